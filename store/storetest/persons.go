package storetest

import (
	"fmt"
	"testing"
	"time"

	"ethicsportal/store"
)

func testPersonsRoundTrip(t *testing.T, s suite) {
	st := s.open(t)
	h1, h2 := idHash("110101199001011234"), idHash("11010819850505432X")
	ps := []*store.Person{
		{Name: "张伟华", IDHash: h1, CreatedAt: t0},
		{Name: "李娜", IDHash: h2, CreatedAt: t0.Add(time.Minute)},
		{Name: "王某", IDHash: nil, CreatedAt: t0.Add(2 * time.Minute)}, // ID number unknown
		{Name: "赵某", IDHash: nil, CreatedAt: t0.Add(3 * time.Minute)}, // a second NULL is no conflict
		{Name: "钱某", IDHash: []byte{}, CreatedAt: t0.Add(4 * time.Minute)},
	}
	createPersons(t, st, ps...)
	ids := map[int64]bool{}
	for _, p := range ps {
		if ids[p.ID] {
			t.Errorf("CreatePersons gave ID %d twice", p.ID)
		}
		ids[p.ID] = true
	}
	// A third person without a hash, in a later transaction.
	late := &store.Person{Name: "孙某", CreatedAt: t0}
	createPersons(t, st, late)
	if ids[late.ID] {
		t.Errorf("CreatePersons gave ID %d again", late.ID)
	}

	eachReader(t, st, func(t *testing.T, r store.Reader) {
		got, err := r.PersonsByIDHashes(t.Context(), [][]byte{h1, idHash("unknown"), h2, {}})
		if err != nil {
			t.Fatalf("PersonsByIDHashes: %v", err)
		}
		if len(got) != 3 {
			t.Errorf("PersonsByIDHashes returned %d persons, want 3: %v", len(got), got)
		}
		for _, p := range []*store.Person{ps[0], ps[1], ps[4]} {
			checkEqual(t, fmt.Sprintf("person %q", p.Name), norm(*p), got[string(p.IDHash)])
		}

		// A nil hash means "unknown": it must not find the persons whose hash is unknown.
		got, err = r.PersonsByIDHashes(t.Context(), [][]byte{nil})
		if err != nil {
			t.Fatalf("PersonsByIDHashes(nil hash): %v", err)
		}
		if len(got) != 0 {
			t.Errorf("PersonsByIDHashes(nil hash) = %v, want none", got)
		}
		got, err = r.PersonsByIDHashes(t.Context(), nil)
		if err != nil || len(got) != 0 {
			t.Errorf("PersonsByIDHashes(no hashes) = %v, %v; want an empty map", got, err)
		}
	})
}

func testCreatePersonsConflict(t *testing.T, s suite) {
	st := s.open(t)
	h1, h2, h3 := idHash("1"), idHash("2"), idHash("3")
	first := &store.Person{Name: "张三", IDHash: h1, CreatedAt: t0}
	createPersons(t, st, first)

	err := failUpdate(t, st, func(tx store.Tx) error {
		return tx.CreatePersons(t.Context(), []*store.Person{
			{Name: "李四", IDHash: h2, CreatedAt: t0},
			{Name: "张三二", IDHash: h1, CreatedAt: t0},
		})
	})
	wantCode(t, "CreatePersons with a taken IDHash", err, store.EConflict)

	err = failUpdate(t, st, func(tx store.Tx) error {
		return tx.CreatePersons(t.Context(), []*store.Person{
			{Name: "王五", IDHash: h3, CreatedAt: t0},
			{Name: "王五二", IDHash: h3, CreatedAt: t0},
		})
	})
	wantCode(t, "CreatePersons with one IDHash twice", err, store.EConflict)

	got, err := st.PersonsByIDHashes(t.Context(), [][]byte{h1, h2, h3})
	if err != nil {
		t.Fatalf("PersonsByIDHashes: %v", err)
	}
	if len(got) != 1 {
		t.Errorf("after two failed transactions PersonsByIDHashes found %d persons, want only the first", len(got))
	}
	checkEqual(t, "the first person", norm(*first), got[string(h1)])
}

// testPersonsByManyHashes looks up more hashes than a naive IN (...) list
// could carry in some databases' parameter limits.
func testPersonsByManyHashes(t *testing.T, s suite) {
	st := s.open(t)
	const n = 1500
	ps := make([]*store.Person, n)
	var hashes [][]byte
	for i := range ps {
		ps[i] = &store.Person{Name: fmt.Sprintf("教师%04d", i), IDHash: idHash(fmt.Sprint("known", i)), CreatedAt: t0}
		hashes = append(hashes, ps[i].IDHash)
		if i%50 == 0 {
			hashes = append(hashes, idHash(fmt.Sprint("unknown", i)))
		}
	}
	createPersons(t, st, ps...)
	eachReader(t, st, func(t *testing.T, r store.Reader) {
		got, err := r.PersonsByIDHashes(t.Context(), hashes)
		if err != nil {
			t.Fatalf("PersonsByIDHashes(%d hashes): %v", len(hashes), err)
		}
		if len(got) != n {
			t.Errorf("PersonsByIDHashes(%d hashes) found %d persons, want %d", len(hashes), len(got), n)
		}
		for _, p := range ps {
			g := got[string(p.IDHash)]
			if g == nil {
				t.Errorf("person %s missing", p.Name)
				continue
			}
			if g.ID != p.ID || g.Name != p.Name {
				t.Errorf("under the hash of %s: got %d %s, want %d %s", p.Name, g.ID, g.Name, p.ID, p.Name)
			}
		}
	})
}

func testPersonByID(t *testing.T, s suite) {
	st := s.open(t)
	ps := []*store.Person{
		{Name: "张伟华", IDHash: idHash("110101199001011234"), CreatedAt: t0.Add(5 * time.Nanosecond)},
		{Name: "王某", IDHash: nil, CreatedAt: t0.Add(time.Minute)},
		{Name: "钱某", IDHash: []byte{}, CreatedAt: t0.Add(2 * time.Minute)},
	}
	createPersons(t, st, ps...)
	eachReader(t, st, func(t *testing.T, r store.Reader) {
		for _, p := range ps {
			got, err := r.PersonByID(t.Context(), p.ID)
			if err != nil {
				t.Fatalf("PersonByID(%d): %v", p.ID, err)
			}
			checkEqual(t, "person "+p.Name, norm(*p), got)
		}
		for _, id := range []int64{ps[2].ID + 1000, 0} {
			got, err := r.PersonByID(t.Context(), id)
			wantCode(t, fmt.Sprintf("PersonByID(%d)", id), err, store.ENotFound)
			if got != nil {
				t.Errorf("PersonByID(%d) returned %+v with its error", id, got)
			}
		}
	})
}
