package bleve

import (
	"context"
	"fmt"
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
