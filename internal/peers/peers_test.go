package peers_test

import (
	"context"
	"path/filepath"
	"strings"
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
		if rt, problems := p.Runtime(context.Background(), "launchpad_tenant"); rt != nil || len(problems) != 2 ||
			problems[0].Summary != "Missing Fly API token" || problems[1].Summary != "Missing Fly organization" {
			t.Fatalf("Runtime = %v, %+v; want the token and the organization missing", rt, problems)
		}
	}
	if kr, problems := p.Keyring("launchpad_tenant"); kr != nil || len(problems) != 1 || problems[0].Summary != "Missing platform secret" {
		t.Errorf("Keyring = %v, %+v", kr, problems)
	}
	if issuer, problems := p.KeyIssuer("launchpad_subkey"); issuer != nil || len(problems) != 1 || problems[0].Summary != "Missing OpenRouter management key" {
		t.Errorf("KeyIssuer = %v, %+v", issuer, problems)
	}
	st, problems := p.Store(context.Background())
	if st == nil || problems != nil {
		t.Fatalf("Store = %v, %+v", st, problems)
	}
	if again, _ := p.Store(context.Background()); again != st {
		t.Errorf("the store was opened twice")
	}
	if svc, problems := p.Tenants(context.Background(), true); svc != nil || len(problems) != 3 ||
		!strings.HasPrefix(problems[0].Detail, "launchpad_tenant: Sealing") {
		t.Errorf("Tenants = %v, %+v; want the keyring and Fly missing, named for launchpad_tenant", svc, problems)
	}
	if svc, problems := p.SubKeys(context.Background(), false, nil); svc != nil || len(problems) != 1 {
		t.Errorf("SubKeys = %v, %+v; want OpenRouter missing", svc, problems)
	}
	if svc, problems := p.Planner(context.Background(), false); svc == nil || problems != nil {
		t.Errorf("Planner = %v, %+v; want the store alone", svc, problems)
	}
	if svc, problems := p.Planner(context.Background(), true); svc != nil || len(problems) != 1 {
		t.Errorf("Planner with the keyring = %v, %+v; want the keyring missing", svc, problems)
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
	if _, problems := p.Keyring("launchpad_tenant"); len(problems) != 1 || problems[0].Summary != "Invalid platform secret" {
		t.Errorf("Keyring problems %+v", problems)
	}
	if issuer, problems := p.KeyIssuer("launchpad_subkey"); problems != nil {
		t.Errorf("KeyIssuer problems %+v", problems)
	} else if _, ok := issuer.(*subkey.ListedKeys); !ok {
		t.Errorf("KeyIssuer is %T, want the listing in front of OpenRouter", issuer)
	}
	if rt, problems := p.Runtime(context.Background(), "launchpad_tenant"); rt == nil || problems != nil {
		t.Errorf("Runtime = %v, %+v", rt, problems)
	}
}

// The platform secret is checked only when set: its length, the previous one's, and that it
// is the store's.
func TestCheckPlatformSecret(t *testing.T) {
	ctx := context.Background()
	db := "sqlite://" + filepath.Join(t.TempDir(), "launchpad.db")
	long := func(c string) string { return strings.Repeat(c, 40) }
	first := peers.New(peers.Settings{Store: db, PlatformSecret: long("a")}, time.Now, nil)
	st, _ := first.Store(ctx)
	kr, _ := first.Keyring("test")
	if err := kr.ClaimStore(ctx, st); err != nil {
		t.Fatal(err)
	}
	if closer, ok := st.(interface{ Close() error }); ok {
		defer closer.Close()
	}
	cases := []struct {
		name             string
		secret, previous string
		attr, summary    string
	}{
		{name: "unset"},
		{name: "too short", secret: "short", attr: "platform_secret", summary: "Platform secret too short"},
		{name: "previous too short", secret: long("a"), previous: "short", attr: "platform_secret_previous", summary: "Previous platform secret too short"},
		{name: "previous the same", secret: long("a"), previous: long("a"), attr: "platform_secret_previous", summary: "Invalid platform secret"},
		{name: "the store's", secret: long("a")},
		{name: "not the store's", secret: long("b"), attr: "platform_secret", summary: "Platform secret is not the store's"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			problems := peers.New(peers.Settings{Store: db, PlatformSecret: c.secret, PlatformSecretPrevious: c.previous}, time.Now, nil).CheckPlatformSecret(ctx)
			if c.summary == "" {
				if len(problems) != 0 {
					t.Fatalf("problems %+v, want none", problems)
				}
				return
			}
			if len(problems) != 1 || problems[0].Attr != c.attr || problems[0].Summary != c.summary {
				t.Fatalf("problems %+v, want %q on %s", problems, c.summary, c.attr)
			}
		})
	}
}
