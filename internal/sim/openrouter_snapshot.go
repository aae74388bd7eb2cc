package sim

import (
	"cmp"
	"maps"
	"slices"
	"time"
)

// OpenRouterSnapshot is everything the OpenRouter simulator holds, for tests. It never holds
// a plaintext key (the simulator does not have any).
type OpenRouterSnapshot struct {
	WorkspaceID string        `json:"workspace_id"`
	Keys        []KeySnapshot `json:"keys"` // oldest first
	Faults      FaultStats    `json:"faults"`
}

// KeySnapshot is a key as of the snapshot (usage windows rolled to the clock's now).
type KeySnapshot struct {
	Hash               string     `json:"hash"`
	Name               string     `json:"name"`
	Label              string     `json:"label"`
	Limit              *float64   `json:"limit"`
	LimitRemaining     *float64   `json:"limit_remaining"`
	LimitReset         string     `json:"limit_reset"` // "" for none
	IncludeBYOKInLimit bool       `json:"include_byok_in_limit"`
	Usage              float64    `json:"usage"`
	UsageDaily         float64    `json:"usage_daily"`
	UsageWeekly        float64    `json:"usage_weekly"`
	UsageMonthly       float64    `json:"usage_monthly"`
	BYOKUsage          float64    `json:"byok_usage"`
	Disabled           bool       `json:"disabled"`
	Exhausted          bool       `json:"exhausted"`
	WorkspaceID        string     `json:"workspace_id"`
	CreatedAt          time.Time  `json:"created_at"`
	UpdatedAt          time.Time  `json:"updated_at"` // zero until the key is first updated
	ExpiresAt          *time.Time `json:"expires_at,omitempty"`
}

// Snapshot returns a copy of the simulator's state.
func (o *OpenRouter) Snapshot() OpenRouterSnapshot {
	_, stats := o.faults.current()
	o.mu.Lock()
	defer o.mu.Unlock()
	now := o.clock.Now()
	keys := slices.Collect(maps.Values(o.st.Keys))
	slices.SortFunc(keys, func(a, b *orKey) int { return cmp.Compare(a.Seq, b.Seq) })
	out := OpenRouterSnapshot{WorkspaceID: o.st.WorkspaceID, Keys: []KeySnapshot{}, Faults: stats}
	for _, k := range keys {
		k.roll(now)
		ks := KeySnapshot{
			Hash: k.Hash, Name: k.Name, Label: k.Label, Limit: clonePtr(k.Limit), LimitRemaining: k.remaining(),
			LimitReset: k.LimitReset, IncludeBYOKInLimit: k.IncludeBYOK,
			Usage: k.Usage.Total, UsageDaily: k.Usage.Daily, UsageWeekly: k.Usage.Weekly, UsageMonthly: k.Usage.Monthly,
			BYOKUsage: k.BYOKUsage.Total, Disabled: k.Disabled, Exhausted: k.exhausted(),
			WorkspaceID: k.WorkspaceID, CreatedAt: k.CreatedAt, UpdatedAt: k.UpdatedAt, ExpiresAt: clonePtr(k.ExpiresAt),
		}
		out.Keys = append(out.Keys, ks)
	}
	return out
}

// Key returns one key's snapshot by hash.
func (s OpenRouterSnapshot) Key(hash string) (KeySnapshot, bool) {
	for _, k := range s.Keys {
		if k.Hash == hash {
			return k, true
		}
	}
	return KeySnapshot{}, false
}

func clonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}
