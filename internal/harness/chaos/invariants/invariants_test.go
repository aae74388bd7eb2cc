package invariants

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clawdrun/terraform-provider-launchpad/internal/envelope"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sim"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sqlite"
)

// tenantApp is a well-formed tenant as the Fly simulator shows it.
func tenantApp(n string) sim.FlyAppSnapshot {
	app := "lp-hermes-" + n + "-abc"
	return sim.FlyAppSnapshot{
		Name: app, Network: app,
		Volumes:  []sim.VolumeSnapshot{{ID: "vol_" + n, Encrypted: true, AttachedMachineID: "m_" + n, SizeGB: 5}},
		IPs:      []sim.IPSnapshot{{Address: "198.18.0." + n, Type: "v4"}, {Address: "2001:db8::" + n, Type: "v6"}},
		Secrets:  []sim.SecretSnapshot{{Name: launchpad.KeySecretName, Digest: "digest" + n}},
		Machines: []sim.MachineSnapshot{{ID: "m_" + n, State: "started", Mounts: []sim.MountSnapshot{{Volume: "vol_" + n, Path: "/workspace"}}}},
	}
}

// goodFleet is two users' tenants, each with its sub-key, exactly as promised.
func goodFleet() Fleet {
	var f Fleet
	for _, n := range []string{"1", "2"} {
		a := tenantApp(n)
		f.Fly.Apps = append(f.Fly.Apps, a)
		f.OpenRouter.Keys = append(f.OpenRouter.Keys, sim.KeySnapshot{Hash: "hash" + n, Name: "launchpad-user" + n})
		f.Tenants = append(f.Tenants, &launchpad.Tenant{AppName: a.Name, UserID: "user" + n, MachineID: "m_" + n, VolumeID: "vol_" + n,
			KeySource: launchpad.KeySourceSubKey, SubKeyHash: "hash" + n})
		f.SubKeys = append(f.SubKeys, &launchpad.SubKey{Hash: "hash" + n, UserID: "user" + n})
	}
	return f
}

var users = []string{"user1", "user2"}

func TestAGoodFleetPasses(t *testing.T) {
	f := goodFleet()
	if err := Join(f.OneEach(users), f.Isolated()); err != nil {
		t.Fatal(err)
	}
	if r := f.OneEach(users); r.Passed != 3 {
		t.Fatalf("%s; want 3 subjects (two users and nothing else)", r)
	}
	if r := f.Isolated(); r.Passed != 2 {
		t.Fatalf("%s; want the two apps", r)
	}
	if r := f.Empty(); r.Err() == nil {
		t.Fatal("a fleet is not empty")
	}
	if err := (Fleet{}).Empty().Err(); err != nil {
		t.Fatal(err)
	}
}

// TestEachBrokenPromiseIsCaught breaks the good fleet one way at a time; the named check
// must fail, naming what is wrong.
func TestEachBrokenPromiseIsCaught(t *testing.T) {
	for _, tc := range []struct {
		name    string
		breakIt func(*Fleet)
		check   func(Fleet) Result
		mention string
	}{
		{"a duplicate app (a create retried after a lost answer)", func(f *Fleet) {
			dup := tenantApp("3")
			f.Fly.Apps = append(f.Fly.Apps, dup)
		}, func(f Fleet) Result { return f.OneEach(users) }, "lp-hermes-3-abc"},
		{"a leaked key", func(f *Fleet) {
			f.OpenRouter.Keys = append(f.OpenRouter.Keys, sim.KeySnapshot{Hash: "orphan", Name: "launchpad-user1"})
		}, func(f Fleet) Result { return f.OneEach(users) }, "orphan"},
		{"two volumes", func(f *Fleet) {
			f.Fly.Apps[0].Volumes = append(f.Fly.Apps[0].Volumes, sim.VolumeSnapshot{ID: "vol_x", Encrypted: true})
		}, func(f Fleet) Result { return f.OneEach(users) }, "2 volumes"},
		{"a second live machine", func(f *Fleet) {
			f.Fly.Apps[1].Machines = append(f.Fly.Apps[1].Machines, sim.MachineSnapshot{ID: "m_x", State: "stopped"})
		}, func(f Fleet) Result { return f.OneEach(users) }, "2 live machines"},
		{"a shared IPv4", func(f *Fleet) { f.Fly.Apps[0].IPs[0].Type, f.Fly.Apps[0].IPs[0].Shared = "shared_v4", true },
			func(f Fleet) Result { return f.OneEach(users) }, "0 dedicated IPv4"},
		{"a disabled key", func(f *Fleet) { f.OpenRouter.Keys[1].Disabled = true },
			func(f Fleet) Result { return f.OneEach(users) }, "disabled"},
		{"a missing key", func(f *Fleet) { f.OpenRouter.Keys = f.OpenRouter.Keys[:1] },
			func(f Fleet) Result { return f.OneEach(users) }, "not at OpenRouter"},
		{"a user without a tenant", func(f *Fleet) { f.Tenants = f.Tenants[1:] },
			func(f Fleet) Result { return f.OneEach(users) }, "0 tenant records"},
		{"two apps on one network", func(f *Fleet) { f.Fly.Apps[1].Network = f.Fly.Apps[0].Name },
			func(f Fleet) Result { return f.Isolated() }, "network"},
		{"one address in two apps", func(f *Fleet) { f.Fly.Apps[1].IPs[1].Address = f.Fly.Apps[0].IPs[1].Address },
			func(f Fleet) Result { return f.Isolated() }, "ip 2001:db8::1"},
		{"one key secret in two apps", func(f *Fleet) { f.Fly.Apps[1].Secrets[0].Digest = "digest1" },
			func(f Fleet) Result { return f.Isolated() }, "secret digest"},
		{"one sub-key for two tenants", func(f *Fleet) { f.Tenants[1].SubKeyHash = "hash1" },
			func(f Fleet) Result { return f.Isolated() }, "sub-key hash1"},
		{"an unencrypted volume", func(f *Fleet) { f.Fly.Apps[0].Volumes[0].Encrypted = false },
			func(f Fleet) Result { return f.Isolated() }, "not encrypted"},
		{"another app's volume mounted", func(f *Fleet) {
			f.Fly.Apps[1].Machines[0].Mounts[0].Volume = "vol_1"
		}, func(f Fleet) Result { return f.Isolated() }, "not its app's"},
		{"a volume attached across apps", func(f *Fleet) { f.Fly.Apps[0].Volumes[0].AttachedMachineID = "m_2" },
			func(f Fleet) Result { return f.Isolated() }, "of another app"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := goodFleet()
			tc.breakIt(&f)
			r := tc.check(f)
			err := r.Err()
			if err == nil {
				t.Fatalf("%s passed", r)
			}
			if !strings.Contains(err.Error(), tc.mention) {
				t.Fatalf("the failure does not name %q:\n%v", tc.mention, err)
			}
		})
	}
}

func TestNothingCheckedIsAFailure(t *testing.T) {
	if err := (Fleet{}).Isolated().Err(); err == nil || !strings.Contains(err.Error(), "nothing was checked") {
		t.Fatalf("an isolation check over no app: %v", err)
	}
}

func TestNoSecrets(t *testing.T) {
	key := "sk-or-v1-0123456789abcdef0123456789abcdef"
	secrets := []Secret{{What: "sub-key of user u1", Value: key}}
	clean := []Haystack{{What: "state", Data: []byte(`{"hash":"abc"}`)}, {What: "log", Data: []byte("nothing here")}}
	if r := NoSecrets(secrets, clean); r.Err() != nil || r.Passed != 2 {
		t.Fatalf("clean haystacks: %s %v", r, r.Err())
	}
	dirty := append(clean, Haystack{What: "serve.log", Data: []byte(`{"msg":"oops","key":"` + key + `"}`)})
	r := NoSecrets(secrets, dirty)
	err := r.Err()
	if err == nil || r.Failed() != 1 || !strings.Contains(err.Error(), "serve.log holds [sub-key of user u1]") {
		t.Fatalf("a leaked key: %s %v", r, err)
	}
	if strings.Contains(err.Error(), key) {
		t.Fatal("the failure shows the secret itself")
	}
	if r := NoSecrets([]Secret{{What: "tiny", Value: "abc"}}, clean); r.Err() == nil {
		t.Fatal("a secret too short to look for passed")
	}
	if r := NoSecrets(nil, clean); r.Err() == nil {
		t.Fatal("no secret to look for passed")
	}
}

// TestStoreHaystacksAndSealedSecrets reads secrets and haystacks from a real store.
func TestStoreHaystacksAndSealedSecrets(t *testing.T) {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "l.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	kr, err := envelope.NewKeyring("a-platform-secret-of-enough-length-0123456789", "")
	if err != nil {
		t.Fatal(err)
	}
	key := "sk-or-v1-" + strings.Repeat("ab", 32)
	sealed, err := kr.Seal([]byte(key), "u1")
	if err != nil {
		t.Fatal(err)
	}
	if err := db.CreateUser(ctx, &launchpad.User{ID: "u1", Email: "u1@example.com", Plan: launchpad.TrialPlan, OpenRouterKey: sealed}); err != nil {
		t.Fatal(err)
	}
	secrets, err := SealedSecrets(ctx, db, kr)
	if err != nil || len(secrets) != 1 || secrets[0].Value != key {
		t.Fatalf("sealed secrets: %d (%v)", len(secrets), err)
	}
	if _, err := db.PutState(ctx, &launchpad.StateBlob{Workspace: "u1", Data: []byte(`{"leak":"` + key + `"}`)}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.AppendAudit(ctx, &launchpad.AuditEvent{Stream: "u1", Action: "key.minted", Details: map[string]string{"hash": "abc"}}); err != nil {
		t.Fatal(err)
	}
	states, err := StateHaystacks(ctx, db, []string{"u1", "nobody"})
	if err != nil || len(states) != 1 {
		t.Fatalf("states: %d (%v)", len(states), err)
	}
	audit, err := AuditHaystacks(ctx, db)
	if err != nil || len(audit) != 1 {
		t.Fatalf("audit streams: %d (%v)", len(audit), err)
	}
	r := NoSecrets(secrets, append(states, audit...))
	if r.Passed != 1 || r.Failed() != 1 || !strings.Contains(r.Failures[0], "Terraform state of u1") {
		t.Fatalf("the leaked state is not caught: %s %v", r, r.Failures)
	}
}
