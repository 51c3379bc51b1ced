package keys_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"

	"ethicsportal/keys"
	"ethicsportal/store"
)

func hash32(b byte) []byte { return bytes.Repeat([]byte{b}, 32) }

func checkpointRing(t *testing.T) *keys.Ring {
	t.Helper()
	r, err := keys.Load(t.Context(), backends()["sqlite"](t)(), store.KeyPurposeCheckpoint, newClock().now)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestCheckpointIsASignedNoteInC2SPFormat(t *testing.T) {
	r := checkpointRing(t)
	const origin = "portal.example.cn/audit"
	c := keys.Checkpoint{Origin: origin, Size: 43, Hash: hash32(7)}
	msg, err := r.SignCheckpoint(c)
	if err != nil {
		t.Fatal(err)
	}
	want := "portal.example.cn/audit\n43\nBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=\n\n— portal.example.cn/audit "
	if !strings.HasPrefix(string(msg), want) || strings.Count(string(msg), "\n— ") != 1 || !strings.HasSuffix(string(msg), "\n") {
		t.Fatalf("signed checkpoint:\n%s\nwant it to begin\n%s", msg, want)
	}
	// Anyone with the published key verifies it with the note package.
	vkey, err := r.VerifierKey(origin)
	if err != nil {
		t.Fatal(err)
	}
	v, err := note.NewVerifier(vkey)
	if err != nil {
		t.Fatalf("verifier key %q: %v", vkey, err)
	}
	n, err := note.Open(msg, note.VerifierList(v))
	if err != nil || len(n.Sigs) != 1 || n.Text != c.Text() {
		t.Fatalf("note.Open: %v %+v", err, n)
	}
	got, err := r.OpenCheckpoint(msg, origin)
	if err != nil || got.Origin != origin || got.Size != 43 || !bytes.Equal(got.Hash, c.Hash) {
		t.Fatalf("OpenCheckpoint: %+v %v", got, err)
	}
	// Signing is deterministic: the same log state gives the same note.
	again, _ := r.SignCheckpoint(c)
	if !bytes.Equal(again, msg) {
		t.Fatal("the same checkpoint signed twice differs")
	}
}

func TestOpenCheckpointRefuses(t *testing.T) {
	r, other := checkpointRing(t), checkpointRing(t)
	const origin = "portal.example.cn/audit"
	sign := func(r *keys.Ring, c keys.Checkpoint) string {
		msg, err := r.SignCheckpoint(c)
		if err != nil {
			t.Fatal(err)
		}
		return string(msg)
	}
	good := sign(r, keys.Checkpoint{Origin: origin, Size: 5, Hash: hash32(1)})
	for _, tc := range []struct {
		name, msg string
		want      error
	}{
		{"another store's key", sign(other, keys.Checkpoint{Origin: origin, Size: 5, Hash: hash32(1)}), keys.ErrCheckpointSignature},
		{"count changed", strings.Replace(good, "\n5\n", "\n4\n", 1), keys.ErrCheckpointSignature},
		{"signed for another log", sign(r, keys.Checkpoint{Origin: "elsewhere.example.cn/audit", Size: 5, Hash: hash32(1)}), keys.ErrCheckpointSignature},
		{"no signature", "portal.example.cn/audit\n5\n" + strings.Repeat("A", 43) + "=\n", keys.ErrNotACheckpoint},
		{"garbage", "hello\n", keys.ErrNotACheckpoint},
		{"no final newline", strings.TrimSuffix(good, "\n"), keys.ErrNotACheckpoint},
		{"huge", strings.Repeat("x", 70<<10) + "\n", keys.ErrNotACheckpoint},
	} {
		if _, err := r.OpenCheckpoint([]byte(tc.msg), origin); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
	if _, err := r.OpenCheckpoint([]byte(good), origin); err != nil {
		t.Fatalf("the good one: %v", err)
	}
}

func TestParseCheckpoint(t *testing.T) {
	h := "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE="
	c, err := keys.ParseCheckpoint("o/audit\n7\n" + h + "\nextension line\n")
	if err != nil || c.Origin != "o/audit" || c.Size != 7 || !bytes.Equal(c.Hash, hash32(1)) {
		t.Fatalf("with an extension line: %+v %v", c, err)
	}
	if c.Text() != "o/audit\n7\n"+h+"\n" {
		t.Fatalf("Text() = %q", c.Text())
	}
	for _, bad := range []string{
		"", "o/audit\n7\n" + h, "o/audit\n7\n", "\n7\n" + h + "\n",
		"o/audit\n-1\n" + h + "\n", "o/audit\n07\n" + h + "\n", "o/audit\n+7\n" + h + "\n", "o/audit\nseven\n" + h + "\n",
		"o/audit\n7\nAQEB\n", "o/audit\n7\n" + strings.TrimSuffix(h, "=") + "\n",
	} {
		if _, err := keys.ParseCheckpoint(bad); err == nil {
			t.Errorf("ParseCheckpoint(%q) accepted", bad)
		}
	}
}
