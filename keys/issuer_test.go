package keys_test

import (
	"context"
	"errors"
	"regexp"
	"sync"
	"sync/atomic"
	"testing"

	"ethicsportal/keys"
)

func TestIssuerIsKeptOnce(t *testing.T) {
	for name, open := range backends() {
		t.Run(name, func(t *testing.T) {
			opener := open(t)
			// Instances creating the store at once agree on one issuer.
			const n = 4
			got := make([]string, n)
			errs := make([]error, n)
			var wg sync.WaitGroup
			for i := range got {
				st := opener()
				proposal := []string{"https://a.example.cn", "https://b.example.cn", "https://c.example.cn", "https://d.example.cn"}[i]
				wg.Go(func() {
					got[i], errs[i] = keys.Issuer(t.Context(), st, func(context.Context) (string, error) { return proposal, nil })
				})
			}
			wg.Wait()
			for i := range got {
				if errs[i] != nil {
					t.Fatalf("instance %d: %v", i, errs[i])
				}
				if got[i] != got[0] {
					t.Fatalf("instances disagree: %q", got)
				}
			}
			// Once kept, nothing is proposed again and nothing changes it.
			var asked atomic.Int32
			again, err := keys.Issuer(t.Context(), opener(), func(context.Context) (string, error) {
				asked.Add(1)
				return "https://moved.example.cn", nil
			})
			if err != nil || again != got[0] || asked.Load() != 0 {
				t.Fatalf("later start: %q %v (asked %d times), want %q unasked", again, err, asked.Load(), got[0])
			}
		})
	}
}

func TestIssuerProposalErrors(t *testing.T) {
	st := backends()["sqlite"](t)()
	boom := errors.New("boom")
	if _, err := keys.Issuer(t.Context(), st, func(context.Context) (string, error) { return "", boom }); !errors.Is(err, boom) {
		t.Fatalf("a failed proposal: %v, want it wrapped", err)
	}
	if _, err := keys.Issuer(t.Context(), st, func(context.Context) (string, error) { return "", nil }); err == nil {
		t.Fatal("an empty proposal was kept")
	}
}

func TestNewIssuerName(t *testing.T) {
	re := regexp.MustCompile(`^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	a, err := keys.NewIssuerName()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := keys.NewIssuerName()
	if !re.MatchString(a) || !re.MatchString(b) || a == b {
		t.Fatalf("names %q and %q: want two different version 4 UUID URNs", a, b)
	}
}

func TestOrigin(t *testing.T) {
	for issuer, want := range map[string]string{
		"https://portal.example.cn":        "portal.example.cn/audit",
		"http://127.0.0.1:8080/":           "127.0.0.1:8080/audit",
		"https://example.cn/ethics":        "example.cn/ethics/audit",
		"urn:uuid:0f6c3c52-0000-4000-8000": "uuid:0f6c3c52-0000-4000-8000/audit",
		"https://example.cn/a+b c":         "example.cn/a%2Bb%20c/audit",
	} {
		if got := keys.Origin(issuer); got != want {
			t.Errorf("Origin(%q) = %q, want %q", issuer, got, want)
		}
	}
}
