package peers_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/peers"
	"github.com/clawdrun/terraform-provider-launchpad/internal/subkey"
)

// A peer whose settings are missing reports what to set, every time it is asked, and the
// others still open.
func TestMissingSettingsNameWhatToSet(t *testing.T) {
	p := peers.New(peers.Settings{Store: "sqlite://" + filepath.Join(t.TempDir(), "launchpad.db")}, time.Now, nil)
	for range 2 {
		if rt, problems := p.Runtime(context.Background()); rt != nil || len(problems) != 2 ||
			problems[0].Summary != "Missing Fly API token" || problems[1].Summary != "Missing Fly organization" {
			t.Fatalf("Runtime = %v, %+v; want the token and the organization missing", rt, problems)
		}
	}
	if kr, problems := p.Keyring(); kr != nil || len(problems) != 1 || problems[0].Summary != "Missing platform secret" {
		t.Errorf("Keyring = %v, %+v", kr, problems)
	}
	if issuer, problems := p.KeyIssuer(); issuer != nil || len(problems) != 1 || problems[0].Summary != "Missing OpenRouter management key" {
		t.Errorf("KeyIssuer = %v, %+v", issuer, problems)
	}
	st, problems := p.Store(context.Background())
	if st == nil || problems != nil {
		t.Fatalf("Store = %v, %+v", st, problems)
	}
	if again, _ := p.Store(context.Background()); again != st {
		t.Errorf("the store was opened twice")
	}
}

// Settings that cannot be used say so; batch reads put one listing of the keys in front of
// OpenRouter.
func TestPeersOpenFromTheirSettings(t *testing.T) {
	p := peers.New(peers.Settings{Store: "mysql://nowhere", PlatformSecret: "too short", OpenRouterKey: "sk-or-mgmt",
		OpenRouterBaseURL: "http://127.0.0.1:1/api/v1", OpenRouterBatchReads: true, FlyToken: "t", FlyOrg: "acme"}, time.Now, nil)
	if _, problems := p.Store(context.Background()); len(problems) != 1 || problems[0].Summary != "Cannot open the Launchpad store" {
		t.Errorf("Store problems %+v", problems)
	}
	if _, problems := p.Keyring(); len(problems) != 1 || problems[0].Summary != "Invalid platform secret" {
		t.Errorf("Keyring problems %+v", problems)
	}
	if issuer, problems := p.KeyIssuer(); problems != nil {
		t.Errorf("KeyIssuer problems %+v", problems)
	} else if _, ok := issuer.(*subkey.ListedKeys); !ok {
		t.Errorf("KeyIssuer is %T, want the listing in front of OpenRouter", issuer)
	}
	if rt, problems := p.Runtime(context.Background()); rt == nil || problems != nil {
		t.Errorf("Runtime = %v, %+v", rt, problems)
	}
}
