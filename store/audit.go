package store

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"time"
)

// AuditEvent is one entry of the hash-chained audit log. Each event holds
// the hash of the one before it, so changing, removing or reordering any
// event breaks every hash after it.
type AuditEvent struct {
	Seq      int64 // 1, 2, 3, ... with no gaps
	At       time.Time
	Actor    string          // username, "cli", or "anonymous"
	Action   string          // e.g. "auth.login", "action.apply"
	Object   string          // e.g. "user:alice", "action:12"
	Details  json.RawMessage // what changed; never a secret or an ID number
	Digest   []byte          // SHA-256 of Details
	PrevHash []byte          // Hash of event Seq-1; 32 zero bytes for the first
	Hash     []byte          // SHA-256 over the canonical encoding of all of the above
}

// GenesisHash is the PrevHash of the first event.
var GenesisHash = make([]byte, sha256.Size)

const auditDomain = "ethicsportal audit v1\n"

// Seal completes e as the event following prev (nil prev means e is the
// first): it sets Seq, PrevHash, Digest and Hash. At is truncated to the
// microsecond first, the precision every store keeps.
func (e *AuditEvent) Seal(prev *AuditEvent) {
	e.Seq, e.PrevHash = 1, GenesisHash
	if prev != nil {
		e.Seq, e.PrevHash = prev.Seq+1, prev.Hash
	}
	e.At = e.At.UTC().Truncate(time.Microsecond)
	if len(e.Details) == 0 {
		e.Details = json.RawMessage("{}")
	}
	d := sha256.Sum256(e.Details)
	e.Digest = d[:]
	e.Hash = e.computeHash()
}

// Check reports whether e is intact and follows prev (nil for the first).
func (e *AuditEvent) Check(prev *AuditEvent) bool {
	wantSeq, wantPrev := int64(1), GenesisHash
	if prev != nil {
		wantSeq, wantPrev = prev.Seq+1, prev.Hash
	}
	d := sha256.Sum256(e.Details)
	return e.Seq == wantSeq && bytes.Equal(e.PrevHash, wantPrev) &&
		bytes.Equal(e.Digest, d[:]) && bytes.Equal(e.Hash, e.computeHash())
}

// computeHash hashes a length-prefixed encoding, so that no two different
// events encode alike (moving text from Actor to Object changes the hash).
func (e *AuditEvent) computeHash() []byte {
	h := sha256.New()
	h.Write([]byte(auditDomain))
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(e.Seq))
	h.Write(n[:])
	binary.BigEndian.PutUint64(n[:], uint64(e.At.UnixMicro()))
	h.Write(n[:])
	for _, s := range []string{e.Actor, e.Action, e.Object} {
		binary.BigEndian.PutUint64(n[:], uint64(len(s)))
		h.Write(n[:])
		h.Write([]byte(s))
	}
	h.Write(e.Digest)
	h.Write(e.PrevHash)
	return h.Sum(nil)
}
