package account

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sqlite"
)

// keys answers GetKey with key, or err.
type keys struct {
	launchpad.KeyIssuer
	key *launchpad.KeyInfo
	err error
}

func (k keys) GetKey(ctx context.Context, hash string) (*launchpad.KeyInfo, error) {
	return k.key, k.err
}

// Where the spend comes from, and when the page says it could not be read just now.
func TestSpendSource(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "launchpad.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	withKey := &launchpad.User{ID: "user1abc", Plan: launchpad.TrialPlan, OpenRouterKeyHash: "h1"}
	live := &launchpad.KeyInfo{Hash: "h1", UsageUSD: 2.5}
	for _, c := range []struct {
		name   string
		u      *launchpad.User
		keys   launchpad.KeyIssuer
		source SpendSource
		unread bool
	}{
		{"no sub-key", &launchpad.User{ID: "user2abc", Plan: launchpad.TrialPlan}, keys{key: live}, SpendFromNowhere, false},
		{"no OpenRouter", withKey, nil, SpendFromLastPass, false},
		{"OpenRouter down", withKey, keys{err: launchpad.Errorf(launchpad.EUNAVAILABLE, "down")}, SpendFromLastPass, true},
		{"read live", withKey, keys{key: live}, SpendFromOpenRouter, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			o, err := (&Reader{Store: st, Keys: c.keys}).Overview(ctx, c.u)
			if err != nil {
				t.Fatal(err)
			}
			if o.Spend != c.source || o.SpendUnread != c.unread || (c.source == SpendFromOpenRouter) != (o.Usage.SpendUSD != nil) {
				t.Fatalf("spend from %q, unread %v, usage %+v; want %q, %v", o.Spend, o.SpendUnread, o.Usage, c.source, c.unread)
			}
		})
	}
}
