package launchpad

import (
	"context"
	"time"
)

// KeyIssuer mints and manages model keys with hard spend caps: OpenRouter's key-management
// API (internal/openrouter). Implementations retry 429 and 5xx with backoff, make CreateKey
// idempotent by name (after a timeout they list before minting again), and never put a key
// in an error.
//
// Errors: ENOTFOUND for an unknown hash; EUNAUTHORIZED for a bad management key; EINVALID for
// a request OpenRouter refuses; ERATELIMITED or EUNAVAILABLE when retries ran out.
type KeyIssuer interface {
	// CreateKey mints a key. The plaintext is in the result and nowhere else, ever.
	CreateKey(ctx context.Context, s KeySpec) (*IssuedKey, error)
	GetKey(ctx context.Context, hash string) (*KeyInfo, error)
	ListKeys(ctx context.Context) ([]*KeyInfo, error)
	UpdateKey(ctx context.Context, hash string, u KeyUpdate) (*KeyInfo, error)
	DeleteKey(ctx context.Context, hash string) error
}

// KeySpec asks for a key. LimitUSD nil means no limit.
type KeySpec struct {
	Name               string
	LimitUSD           *float64
	LimitReset         string // "", daily, weekly, monthly
	IncludeBYOKInLimit bool
}

// IssuedKey is a freshly minted key: the one moment the plaintext exists outside a seal.
type IssuedKey struct {
	Key  string
	Info KeyInfo
}

// KeyInfo describes a key without its plaintext.
type KeyInfo struct {
	Hash               string
	Name               string
	Label              string
	LimitUSD           *float64
	LimitRemaining     *float64
	LimitReset         string
	IncludeBYOKInLimit bool
	UsageUSD           float64
	Disabled           bool
	CreatedAt          time.Time
	UpdatedAt          time.Time
}

// Exhausted reports whether the key has hit its spend cap (completions answer 402).
func (k *KeyInfo) Exhausted() bool {
	return k.LimitRemaining != nil && *k.LimitRemaining <= 0
}

// KeyUpdate changes the fields that are set.
type KeyUpdate struct {
	Name               *string
	LimitUSD           *float64
	LimitReset         *string
	IncludeBYOKInLimit *bool
	Disabled           *bool
}
