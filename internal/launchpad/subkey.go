package launchpad

import "time"

// Limit reset periods of an OpenRouter key.
const (
	LimitResetDaily   = "daily"
	LimitResetWeekly  = "weekly"
	LimitResetMonthly = "monthly"
)

// SubKey is the record of a tenant's OpenRouter sub-key. The plaintext is never here: it is
// sealed into the user's record (User.OpenRouterKey), and the id of the key it is sealed under
// is read from that sealed value's header (envelope.KeyID), not stored twice. Hash is
// OpenRouter's key id.
type SubKey struct {
	Hash               string
	UserID             string
	Plan               string
	Name               string
	LimitUSD           float64
	LimitReset         string
	IncludeBYOKInLimit bool
	Disabled           bool
	RotationGeneration int64
	CreatedAt          time.Time
	UpdatedAt          time.Time
}

// SubKeyFilter selects sub-keys; zero fields match everything.
type SubKeyFilter struct {
	UserID string
}
