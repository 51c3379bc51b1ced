package store

import "context"

// CredentialBans is a credential with its holder's bans, as
// CredentialWithBans gives them.
type CredentialBans struct {
	Credential *Credential
	Bans       []Ban // lifted ones included, oldest first; empty, not nil, for none
}

// CredentialBatchReader reads many verifications' worth of the register at
// once, for the batch verification of the School API.
type CredentialBatchReader interface {
	// CredentialsWithBans is CredentialWithBans for many numbers, read in
	// one statement and so from one snapshot: the credentials among
	// numbers that exist, keyed by number, each with its holder's bans.
	// Unknown numbers are absent, and each reads a decoy row of the register
	// as CredentialWithBans does, so a miss costs what a hit does here too.
	// A number given twice is read twice. No numbers give an empty map.
	CredentialsWithBans(ctx context.Context, numbers []string) (map[string]CredentialBans, error)
}
