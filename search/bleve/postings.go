package bleve

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/blevesearch/bleve/v2/index/scorch"
	segment "github.com/blevesearch/scorch_segment_api/v2"
)

// candidates returns, for each segment of v, the live documents that hold every word of p; nil
// when p has no words (every live document is a candidate). Words of up to maxGram characters
// come first, as whole bitmaps; a longer word's positions are then read only for the documents
// that are still candidates.
func candidates(ctx context.Context, v *view, p *plan) ([]*roaring.Bitmap, error) {
	if len(p.words) == 0 {
		return nil, nil
	}
	cands := make([]*roaring.Bitmap, len(v.segs))
	var long []string
	for _, w := range p.words {
		if len(phraseGrams(w)) > 0 {
			long = append(long, w)
			continue
		}
		for seg, ss := range v.segs {
			if cands[seg] != nil && cands[seg].IsEmpty() {
				continue
			}
			bm, err := termBitmap(ss.Segment(), gramField(w), w)
			if err != nil {
				return nil, err
			}
			if cands[seg] == nil {
				cands[seg] = bm
			} else {
				cands[seg].And(bm)
			}
		}
	}
	for seg, ss := range v.segs {
		if d := ss.Deleted(); d != nil && cands[seg] != nil && !cands[seg].IsEmpty() {
			cands[seg].AndNot(d)
		}
	}
	for _, w := range long {
		grams := phraseGrams(w)
		for seg, ss := range v.segs {
			if cands[seg] != nil && cands[seg].IsEmpty() {
				continue
			}
			bm, err := phraseBitmap(ctx, ss, cands[seg], grams)
			if err != nil {
				return nil, fmt.Errorf("phrase %q: %w", grams, err)
			}
			cands[seg] = bm
		}
	}
	return cands, nil
}

// orIntoer is what a zap postings list offers beyond the segment API: its bitmap whole.
type orIntoer interface{ OrInto(*roaring.Bitmap) }

// gramField returns the field that holds the gram w.
func gramField(w string) string {
	if utf8.RuneCountInString(w) == maxGram {
		return fieldLong
	}
	return fieldText
}

// termBitmap returns the documents of seg (deleted ones included) whose field holds the gram term.
func termBitmap(seg segment.Segment, field, term string) (*roaring.Bitmap, error) {
	dict, err := seg.Dictionary(field)
	if err != nil {
		return nil, err
	}
	pl, err := dict.PostingsList([]byte(term), nil, nil)
	if err != nil {
		return nil, err
	}
	return postingsBitmap(pl)
}

// postingsBitmap returns the documents of the postings list pl.
func postingsBitmap(pl segment.PostingsList) (*roaring.Bitmap, error) {
	bm := roaring.New()
	if o, ok := pl.(orIntoer); ok {
		o.OrInto(bm)
		return bm, nil
	}
	it := pl.Iterator(false, false, false, nil)
	for {
		posting, err := it.Next()
		if err != nil {
			return nil, err
		}
		if posting == nil {
			return bm, nil
		}
		bm.Add(uint32(posting.Number()))
	}
}

// phraseBitmap returns the documents of within (nil: every live document), in segment ss, whose
// fieldLong holds the phrase of grams: each non-empty gram at its offset from a common position.
// The documents that hold every gram are found from the postings bitmaps; the positions are then
// read for those alone, straight from the postings, which costs a fraction of an engine phrase
// searcher (no match objects, no maps of term locations per document).
func phraseBitmap(ctx context.Context, ss *scorch.SegmentSnapshot, within *roaring.Bitmap, grams []string) (*roaring.Bitmap, error) {
	dict, err := ss.Segment().Dictionary(fieldLong)
	if err != nil {
		return nil, err
	}
	type need struct {
		off uint64
		it  segment.PostingsIterator
	}
	var needs []need
	var bm *roaring.Bitmap
	for off, g := range grams {
		if g == "" {
			continue
		}
		pl, err := dict.PostingsList([]byte(g), nil, nil)
		if err != nil {
			return nil, err
		}
		gm, err := postingsBitmap(pl)
		if err != nil {
			return nil, err
		}
		if bm == nil {
			bm = gm
		} else if bm.And(gm); bm.IsEmpty() {
			return bm, nil
		}
		needs = append(needs, need{off: uint64(off), it: pl.Iterator(true, false, true, nil)})
	}
	switch {
	case within != nil:
		bm.And(within)
	case ss.Deleted() != nil:
		bm.AndNot(ss.Deleted())
	}
	out := roaring.New()
	if bm.IsEmpty() {
		return out, nil
	}
	var starts, at []uint64 // positions where the phrase may start; positions of one gram
	n := 0
	for it := bm.Iterator(); it.HasNext(); {
		doc := uint64(it.Next())
		if n++; n%checkEvery == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		starts = starts[:0]
		for i, nd := range needs {
			if at, err = positions(nd.it, doc, at[:0]); err != nil {
				return nil, err
			}
			if i == 0 {
				// needs[0] is the gram at offset 0.
				starts = append(starts, at...)
				continue
			}
			starts = keepFollowed(starts, at, nd.off)
			if len(starts) == 0 {
				break
			}
		}
		if len(starts) > 0 {
			out.Add(uint32(doc))
		}
	}
	return out, nil
}

// positions appends to dst the positions, in increasing order, of the term of it in document
// doc, which its postings hold. it is only ever advanced.
func positions(it segment.PostingsIterator, doc uint64, dst []uint64) ([]uint64, error) {
	p, err := it.Advance(doc)
	if err != nil {
		return nil, err
	}
	if p == nil || p.Number() != doc {
		return nil, fmt.Errorf("the postings of document %d are missing", doc)
	}
	for _, l := range p.Locations() {
		dst = append(dst, l.Pos())
	}
	if !slices.IsSorted(dst) {
		slices.Sort(dst)
	}
	return dst, nil
}

// keepFollowed keeps the starts s (sorted) for which s+off is in at (sorted), in place.
func keepFollowed(starts, at []uint64, off uint64) []uint64 {
	kept, j := starts[:0], 0
	for _, s := range starts {
		for j < len(at) && at[j] < s+off {
			j++
		}
		if j < len(at) && at[j] == s+off {
			kept = append(kept, s)
		}
	}
	return kept
}

// titleLevels splits the candidates cands of segment seg by how many of the words their titles
// hold: levels[k] holds those whose title holds k of them. Words of up to maxGram characters are
// looked up as grams of the title; a longer word is narrowed by its grams and then checked
// against the title itself.
func titleLevels(v *view, seg int, cands *roaring.Bitmap, words []string) ([]*roaring.Bitmap, error) {
	// atLeast[k] holds the candidates whose titles hold at least k of the words seen so far.
	atLeast := make([]*roaring.Bitmap, len(words)+1)
	atLeast[0] = cands
	for k := 1; k < len(atLeast); k++ {
		atLeast[k] = roaring.New()
	}
	for i, w := range words {
		in, err := inTitles(v, seg, cands, w)
		if err != nil {
			return nil, err
		}
		for k := i + 1; k >= 1; k-- {
			atLeast[k].Or(roaring.And(atLeast[k-1], in))
		}
	}
	levels := make([]*roaring.Bitmap, len(atLeast))
	for k := range atLeast {
		if k+1 < len(atLeast) {
			levels[k] = roaring.AndNot(atLeast[k], atLeast[k+1])
		} else {
			levels[k] = atLeast[k]
		}
	}
	return levels, nil
}

// inTitles returns the candidates of segment seg whose title holds w.
func inTitles(v *view, seg int, cands *roaring.Bitmap, w string) (*roaring.Bitmap, error) {
	s := v.segs[seg].Segment()
	grams := phraseGrams(w)
	if grams == nil {
		bm, err := termBitmap(s, fieldTitle, w)
		if err != nil {
			return nil, err
		}
		bm.And(cands)
		return bm, nil
	}
	bm := cands.Clone()
	for _, g := range grams {
		if g == "" {
			continue
		}
		gm, err := termBitmap(s, fieldTitle, g)
		if err != nil {
			return nil, err
		}
		bm.And(gm)
	}
	title := v.cols[seg].title
	out := roaring.New()
	for it := bm.Iterator(); it.HasNext(); {
		if local := it.Next(); strings.Contains(title[local], w) {
			out.Add(local)
		}
	}
	return out, nil
}
