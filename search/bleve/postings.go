package bleve

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/RoaringBitmap/roaring/v2"
	blevesearch "github.com/blevesearch/bleve/v2"
	bsearch "github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/query"
	index "github.com/blevesearch/bleve_index_api"
	segment "github.com/blevesearch/scorch_segment_api/v2"
)

// candidates returns, for each segment of v, the live documents that hold every word of p; nil
// when p has no words (every live document is a candidate).
func candidates(ctx context.Context, reader index.IndexReader, idx blevesearch.Index, v *view, p *plan) ([]*roaring.Bitmap, error) {
	if len(p.words) == 0 {
		return nil, nil
	}
	cands := make([]*roaring.Bitmap, len(v.segs))
	and := func(seg int, bm *roaring.Bitmap) {
		if cands[seg] == nil {
			cands[seg] = bm
		} else {
			cands[seg].And(bm)
		}
	}
	for _, w := range p.words {
		if grams := phraseGrams(w); grams != nil {
			bms, err := phraseBitmaps(ctx, reader, idx, v, grams)
			if err != nil {
				return nil, err
			}
			for seg, bm := range bms {
				and(seg, bm)
			}
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
			and(seg, bm)
		}
	}
	for seg, ss := range v.segs {
		if d := ss.Deleted(); d != nil && !cands[seg].IsEmpty() {
			cands[seg].AndNot(d)
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

// phraseBitmaps runs the phrase of grams and returns its hits by segment of v.
func phraseBitmaps(ctx context.Context, reader index.IndexReader, idx blevesearch.Index, v *view, grams []string) ([]*roaring.Bitmap, error) {
	s, err := query.NewPhraseQuery(grams, fieldLong).Searcher(ctx, reader, idx.Mapping(), bsearch.SearcherOptions{Score: "none"})
	if err != nil {
		return nil, fmt.Errorf("phrase %q: %w", grams, err)
	}
	defer s.Close()
	bms := make([]*roaring.Bitmap, len(v.segs))
	for i := range bms {
		bms[i] = roaring.New()
	}
	sctx := &bsearch.SearchContext{
		DocumentMatchPool: bsearch.NewDocumentMatchPool(s.DocumentMatchPoolSize()+1, 0),
		IndexReader:       reader,
	}
	seg, n := 0, 0
	dm, err := s.Next(sctx)
	for ; dm != nil && err == nil; dm, err = s.Next(sctx) {
		if n++; n%checkEvery == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		var local uint32
		seg, local = v.locate(dm.IndexInternalID, seg)
		bms[seg].Add(local)
		sctx.DocumentMatchPool.Put(dm)
	}
	if err != nil {
		return nil, err
	}
	return bms, nil
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
