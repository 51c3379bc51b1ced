package handlers_test

import (
	"encoding/base64"
	"encoding/hex"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"
)

// checkpoint is what a signed checkpoint states.
type checkpoint struct {
	origin string
	size   int64
	hash   string // hex
}

// openCheckpoint verifies a signed checkpoint as any auditor would, with
// golang.org/x/mod/sumdb/note and the portal's published verifier key, and
// reads the C2SP checkpoint body.
func openCheckpoint(t *testing.T, vkey string, msg []byte) checkpoint {
	t.Helper()
	v, err := note.NewVerifier(vkey)
	if err != nil {
		t.Fatalf("verifier key %q: %v", vkey, err)
	}
	n, err := note.Open(msg, note.VerifierList(v))
	if err != nil {
		t.Fatalf("checkpoint does not verify: %v\n%s", err, msg)
	}
	if len(n.Sigs) != 1 || n.Sigs[0].Name != v.Name() {
		t.Fatalf("signatures %+v", n.Sigs)
	}
	lines := strings.Split(n.Text, "\n")
	if len(lines) != 4 || lines[3] != "" {
		t.Fatalf("checkpoint body %q: want origin, size and hash lines", n.Text)
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil {
		t.Fatalf("size line %q", lines[1])
	}
	hash, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || len(hash) != 32 {
		t.Fatalf("hash line %q", lines[2])
	}
	if lines[0] != v.Name() {
		t.Fatalf("origin %q signed under key name %q", lines[0], v.Name())
	}
	return checkpoint{origin: lines[0], size: size, hash: hex.EncodeToString(hash)}
}

// fetchCheckpoint gets the public checkpoint and its key from e.
func (e *env) fetchCheckpoint() (vkey string, msg []byte) {
	e.t.Helper()
	k := e.do("GET", "/api/v1/audit/checkpoint/key", nil)
	cp := e.do("GET", "/api/v1/audit/checkpoint", nil)
	for _, r := range []*response{k, cp} {
		if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/plain") {
			e.t.Fatalf("%d %q %s", r.status, r.header.Get("Content-Type"), r.body)
		}
	}
	if cc := cp.header.Get("Cache-Control"); cc != "no-cache" {
		e.t.Fatalf("checkpoint Cache-Control %q: it changes with every event", cc)
	}
	return string(k.body), cp.body
}

func TestAuditCheckpointIsPublicAndVerifies(t *testing.T) {
	e := newEnv(t, nil)

	// An empty log has a checkpoint too: no events, the genesis hash.
	vkey, msg := e.fetchCheckpoint()
	if cp := openCheckpoint(t, vkey, msg); cp.size != 0 || cp.hash != strings.Repeat("00", 32) || cp.origin != "portal.test/audit" {
		t.Fatalf("empty log: %+v", cp)
	}

	tm := e.team()
	verify := e.do("GET", "/api/v1/admin/audit/verify", nil, bearer(tm.admin)...)
	events, head := int64(verify.json["events"].(float64)), verify.str("head")
	vkey, msg = e.fetchCheckpoint()
	cp := openCheckpoint(t, vkey, msg)
	if cp.size != events || cp.hash != head {
		t.Fatalf("checkpoint %+v, the verified log has %d events with head %s", cp, events, head)
	}
	// The verify answer carries a checkpoint of exactly what it verified.
	if got := openCheckpoint(t, vkey, []byte(verify.str("checkpoint"))); got != cp {
		t.Fatalf("verify's checkpoint %+v, the public one %+v", got, cp)
	}

	// Another event moves the checkpoint on; the old one stays verifiable.
	e.do("POST", "/api/v1/auth/logout", nil, bearer(tm.editor)...)
	_, later := e.fetchCheckpoint()
	if next := openCheckpoint(t, vkey, later); next.size != cp.size+1 || next.hash == cp.hash {
		t.Fatalf("after one more event: %+v, before %+v", next, cp)
	}
	openCheckpoint(t, vkey, msg)

	// An altered checkpoint does not verify.
	v, _ := note.NewVerifier(vkey)
	forged := strings.Replace(string(msg), "\n"+strconv.FormatInt(cp.size, 10)+"\n", "\n"+strconv.FormatInt(cp.size-1, 10)+"\n", 1)
	if _, err := note.Open([]byte(forged), note.VerifierList(v)); err == nil {
		t.Fatal("a checkpoint with a changed count verifies")
	}
}

// TestInstancesSignTheSameCheckpoints: every instance on a store signs with
// the store's checkpoint key under the same origin, whatever its address.
func TestInstancesSignTheSameCheckpoints(t *testing.T) {
	for name, open := range sharedBackends() {
		t.Run(name, func(t *testing.T) {
			opener := open(t)
			a, _ := twoInstances(t, opener)
			a.addUser("alice", "registrar")
			cfgB := testConfig(t, map[string]string{"PORTAL_ADDR": "127.0.0.1:8097"})
			b := newEnvOn(t, cfgB, opener(), a.clock)
			keyA, msgA := a.fetchCheckpoint()
			keyB, msgB := b.fetchCheckpoint()
			if keyA != keyB || string(msgA) != string(msgB) {
				t.Fatalf("instances differ:\n%s %s\n%s %s", keyA, msgA, keyB, msgB)
			}
			if cp := openCheckpoint(t, keyA, msgB); cp.size != 2 { // user.create, auth.login
				t.Fatalf("checkpoint %+v", cp)
			}
		})
	}
}
