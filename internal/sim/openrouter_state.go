package sim

import "time"

// orState is everything the OpenRouter simulator knows; it is what the state file holds.
// No plaintext key is in it: keys are held by hash (SHA-256 of the key), so a restarted
// simulator still recognises every key it minted without ever storing one.
type orState struct {
	WorkspaceID string            `json:"workspace_id"`
	Keys        map[string]*orKey `json:"keys"` // by hash
	NextSeq     int64             `json:"next_seq"`
}

type orKey struct {
	Hash          string     `json:"hash"`
	Seq           int64      `json:"seq"` // creation order, for listing
	Name          string     `json:"name"`
	Label         string     `json:"label"`
	Limit         *float64   `json:"limit"`
	LimitReset    string     `json:"limit_reset,omitempty"` // "", daily, weekly, monthly
	IncludeBYOK   bool       `json:"include_byok_in_limit"`
	Disabled      bool       `json:"disabled"`
	CreatorUserID *string    `json:"creator_user_id,omitempty"`
	WorkspaceID   string     `json:"workspace_id"`
	CreatedAt     time.Time  `json:"created_at"`
	UpdatedAt     time.Time  `json:"updated_at,omitzero"` // zero until the first update
	ExpiresAt     *time.Time `json:"expires_at,omitempty"`
	Usage         usage      `json:"usage"`      // OpenRouter credits spent
	BYOKUsage     usage      `json:"byok_usage"` // spent through the user's own provider keys
}

// usage is spend in USD, in total and per UTC day, week (Monday to Sunday) and month. Each
// window counter belongs to the window starting at its *Start; roll resets counters whose
// window has passed, so resets happen exactly at the boundaries of the simulator's clock.
type usage struct {
	Total      float64   `json:"total"`
	Daily      float64   `json:"daily"`
	Weekly     float64   `json:"weekly"`
	Monthly    float64   `json:"monthly"`
	DayStart   time.Time `json:"day_start"`
	WeekStart  time.Time `json:"week_start"`
	MonthStart time.Time `json:"month_start"`
}

// Window boundaries (OpenRouter: "Resets happen automatically at midnight UTC, and weeks
// are Monday through Sunday"; months start on the 1st).
func dayStart(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

func weekStart(t time.Time) time.Time {
	d := dayStart(t)
	back := (int(d.Weekday()) + 6) % 7 // days since Monday
	return d.AddDate(0, 0, -back)
}

func monthStart(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
}

// roll moves the window counters to the windows containing now.
func (u *usage) roll(now time.Time) {
	if d := dayStart(now); !u.DayStart.Equal(d) {
		u.DayStart, u.Daily = d, 0
	}
	if w := weekStart(now); !u.WeekStart.Equal(w) {
		u.WeekStart, u.Weekly = w, 0
	}
	if m := monthStart(now); !u.MonthStart.Equal(m) {
		u.MonthStart, u.Monthly = m, 0
	}
}

func (u *usage) add(usd float64, now time.Time) {
	u.roll(now)
	u.Total += usd
	u.Daily += usd
	u.Weekly += usd
	u.Monthly += usd
}

// window is the counter a limit_reset period counts against ("" = the total).
func (u *usage) window(reset string) float64 {
	switch reset {
	case "daily":
		return u.Daily
	case "weekly":
		return u.Weekly
	case "monthly":
		return u.Monthly
	}
	return u.Total
}

// roll brings both counters to now.
func (k *orKey) roll(now time.Time) {
	k.Usage.roll(now)
	k.BYOKUsage.roll(now)
}

// counted is what the key's limit is measured against in the current period.
func (k *orKey) counted() float64 {
	c := k.Usage.window(k.LimitReset)
	if k.IncludeBYOK {
		c += k.BYOKUsage.window(k.LimitReset)
	}
	return c
}

// remaining is limit − counted, never below 0; nil without a limit.
func (k *orKey) remaining() *float64 {
	if k.Limit == nil {
		return nil
	}
	r := max(*k.Limit-k.counted(), 0)
	return &r
}

// exhausted reports whether the key's limit is reached.
func (k *orKey) exhausted() bool {
	return k.Limit != nil && k.counted() >= *k.Limit
}

// expired reports whether the key's expiry has passed.
func (k *orKey) expired(now time.Time) bool {
	return k.ExpiresAt != nil && !now.Before(*k.ExpiresAt)
}

func (s *orState) normalize() {
	if s.Keys == nil {
		s.Keys = map[string]*orKey{}
	}
}
