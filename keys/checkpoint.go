package keys

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
)

// Checkpoint is the statement a signed audit checkpoint makes: the log named
// Origin held Size events and the newest had hash Hash. Kept outside the
// portal it pins the log: a later log that lost events or was rewritten up
// to Size no longer has Hash at Size. The text and signature follow the
// C2SP checkpoint format (c2sp.org/tlog-checkpoint), a signed note of
// golang.org/x/mod/sumdb/note.
type Checkpoint struct {
	Origin string // the log's name, also the name of the key that signs it
	Size   int64  // number of events
	Hash   []byte // hash of event Size: SHA-256, 32 bytes; the genesis hash for an empty log
}

// maxCheckpoint bounds the signed notes OpenCheckpoint reads: a real one
// is some 200 bytes.
const maxCheckpoint = 64 << 10

// Text returns the checkpoint body: the origin, the size in decimal and
// the hash in standard base64, each followed by a newline.
func (c Checkpoint) Text() string {
	return c.Origin + "\n" + strconv.FormatInt(c.Size, 10) + "\n" + base64.StdEncoding.EncodeToString(c.Hash) + "\n"
}

// ParseCheckpoint reads a checkpoint body as Text writes it. Extension
// lines after the hash, which the format allows, are ignored. The error
// says which line is wrong.
func ParseCheckpoint(text string) (Checkpoint, error) {
	c, err := parseCheckpoint(text)
	if err != nil {
		return Checkpoint{}, fmt.Errorf("keys: checkpoint: %w", err)
	}
	return c, nil
}

func parseCheckpoint(text string) (Checkpoint, error) {
	if !strings.HasSuffix(text, "\n") {
		return Checkpoint{}, errors.New("the text does not end with a newline")
	}
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	if len(lines) < 3 {
		return Checkpoint{}, fmt.Errorf("%d lines, want origin, size and hash", len(lines))
	}
	origin, size, hash := lines[0], lines[1], lines[2]
	if origin == "" {
		return Checkpoint{}, errors.New("the origin line is empty")
	}
	n, err := strconv.ParseInt(size, 10, 64)
	if err != nil || n < 0 || strconv.FormatInt(n, 10) != size { // no sign, no leading zeros
		return Checkpoint{}, fmt.Errorf("the size line %q is not a count", size)
	}
	h, err := base64.StdEncoding.DecodeString(hash)
	if err != nil || len(h) != 32 {
		return Checkpoint{}, fmt.Errorf("the hash line %q is not a base64 SHA-256 hash", hash)
	}
	return Checkpoint{Origin: origin, Size: n, Hash: h}, nil
}

// noteSigner signs notes with one Ed25519 key of a ring.
type noteSigner struct {
	name string
	hash uint32
	key  ed25519.PrivateKey
}

func (s noteSigner) Name() string                    { return s.name }
func (s noteSigner) KeyHash() uint32                 { return s.hash }
func (s noteSigner) Sign(msg []byte) ([]byte, error) { return ed25519.Sign(s.key, msg), nil }

// verifier returns the note verifier of pub under name.
func verifier(name string, pub ed25519.PublicKey) (note.Verifier, string, error) {
	vkey, err := note.NewEd25519VerifierKey(name, pub)
	if err != nil {
		return nil, "", fmt.Errorf("keys: verifier key %q: %w", name, err)
	}
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return nil, "", fmt.Errorf("keys: verifier %q: %w", name, err)
	}
	return v, vkey, nil
}

// VerifierKey returns the note verifier key (name+hash+key) of the ring's
// newest key under name, which is what checks the notes SignCheckpoint
// makes. An error when name is not a valid key name (empty, or holding a
// space or '+').
func (r *Ring) VerifierKey(name string) (string, error) {
	_, key := r.Signer()
	_, vkey, err := verifier(name, key.Public().(ed25519.PublicKey))
	return vkey, err
}

// SignCheckpoint returns c as a signed note, signed with the ring's newest
// key under the key name c.Origin. An error when c.Origin is not a valid key
// name.
func (r *Ring) SignCheckpoint(c Checkpoint) ([]byte, error) {
	_, key := r.Signer()
	v, _, err := verifier(c.Origin, key.Public().(ed25519.PublicKey))
	if err != nil {
		return nil, err
	}
	msg, err := note.Sign(&note.Note{Text: c.Text()}, noteSigner{name: c.Origin, hash: v.KeyHash(), key: key})
	if err != nil {
		return nil, fmt.Errorf("keys: sign checkpoint: %w", err)
	}
	return msg, nil
}

// Errors of OpenCheckpoint.
var (
	// ErrNotACheckpoint: the message is not a signed checkpoint at all.
	ErrNotACheckpoint = errors.New("not a signed checkpoint")
	// ErrCheckpointSignature: no key of the ring signed it under the
	// origin's name, or a signature by one does not verify.
	ErrCheckpointSignature = errors.New("its signature does not verify with this store's checkpoint key")
	// ErrOtherLog: it is signed by the ring but for a log of another name.
	ErrOtherLog = errors.New("it is a checkpoint of another log")
)

// OpenCheckpoint verifies a signed checkpoint against every key of the
// ring, under the name origin, and returns what it states. Errors wrap
// ErrNotACheckpoint (unreadable), ErrCheckpointSignature (signed by a key
// the ring does not hold, under another name, or altered since) or
// ErrOtherLog (its origin line is not origin).
func (r *Ring) OpenCheckpoint(msg []byte, origin string) (Checkpoint, error) {
	if len(msg) > maxCheckpoint || !bytes.HasSuffix(msg, []byte("\n")) {
		return Checkpoint{}, fmt.Errorf("keys: %w", ErrNotACheckpoint)
	}
	ks := r.publicKeys()
	vs := make([]note.Verifier, 0, len(ks))
	for _, e := range ks {
		v, _, err := verifier(origin, e.pub)
		if err != nil {
			return Checkpoint{}, err
		}
		vs = append(vs, v)
	}
	n, err := note.Open(msg, note.VerifierList(vs...))
	var unverified *note.UnverifiedNoteError
	var invalid *note.InvalidSignatureError
	switch {
	case errors.As(err, &unverified), errors.As(err, &invalid):
		return Checkpoint{}, fmt.Errorf("keys: %w", ErrCheckpointSignature)
	case err != nil:
		return Checkpoint{}, fmt.Errorf("keys: %w: %w", ErrNotACheckpoint, err)
	}
	c, err := parseCheckpoint(n.Text)
	if err != nil {
		return Checkpoint{}, fmt.Errorf("keys: %w: %w", ErrNotACheckpoint, err)
	}
	if c.Origin != origin {
		return Checkpoint{}, fmt.Errorf("keys: %w: %q, this store's is %q", ErrOtherLog, c.Origin, origin)
	}
	return c, nil
}
