package auth

import (
	"strings"
	"testing"
)

// cheap is the cost tests hash with; production uses DefaultParams.
var cheap = Params{Memory: 64, Time: 1, Threads: 1}

func TestHashDefaultsToProductionCost(t *testing.T) {
	if testing.Short() {
		t.Skip("hashes at production cost")
	}
	h, err := NewHasher(DefaultParams()).Hash("correct horse battery staple")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("hash %q is not argon2id in PHC form at the default cost", h)
	}
}

func TestHashAndCheck(t *testing.T) {
	hs := NewHasher(cheap)
	h, err := hs.Hash("correct horse battery staple")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Fatalf("hash %q does not record the hasher's parameters", h)
	}
	if !hs.Check(h, "correct horse battery staple") {
		t.Fatal("the right password was refused")
	}
	for _, bad := range []string{"correct horse battery stapl", "", "Correct horse battery staple"} {
		if hs.Check(h, bad) {
			t.Fatalf("%q was accepted", bad)
		}
	}
	h2, _ := hs.Hash("correct horse battery staple")
	if h == h2 {
		t.Fatal("two hashes of one password are equal: the salt is not random")
	}
	for _, broken := range []string{"", "$argon2id$", strings.Replace(h, "m=64", "m=99999999", 1),
		strings.Replace(h, "argon2id", "argon2i", 1), strings.Replace(h, "t=1", "t=0", 1), "x" + h} {
		if hs.Check(broken, "correct horse battery staple") {
			t.Fatalf("malformed hash %q accepted", broken)
		}
	}
}

// TestCheckUsesTheHashParameters: a hash made at one cost still checks with
// a hasher set to another, so the cost can change without locking anyone out.
func TestCheckUsesTheHashParameters(t *testing.T) {
	h, err := NewHasher(Params{Memory: 128, Time: 2, Threads: 2}).Hash("a long enough password")
	if err != nil {
		t.Fatal(err)
	}
	if !NewHasher(cheap).Check(h, "a long enough password") {
		t.Fatal("a hash made with other parameters was refused")
	}
}

func TestPasswordPolicy(t *testing.T) {
	for pw, ok := range map[string]bool{
		"short":        false,
		"elevenchars":  false,
		"twelve chars": true,
		"十二个汉字的密码足够长了吗是的":            true,
		"\xff\xfe invalid utf8 here": false,
		strings.Repeat("a", 1025):    false,
		strings.Repeat("a", 1024):    true,
		"twelve\x00chars":            false,
		"twelve\x1bchars":            false,
		"twelve\x7fchars":            false,
		"twelve\u0085chars":          false,
		"twelve\u200echars":          true, // only controls are refused
		"twelve\tchars!":             false,
	} {
		if err := CheckPasswordPolicy(pw); (err == nil) != ok {
			t.Errorf("CheckPasswordPolicy(%.20q) = %v, want ok=%v", pw, err, ok)
		}
	}
}
