package purge_test

import (
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/controlplane/purge"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad/storetest"
	"github.com/clawdrun/terraform-provider-launchpad/internal/settings"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sqlite"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sqlite/sqlitetest"
)

func TestLoadEnvReadsDaysAndForeverAndNamesBadSettings(t *testing.T) {
	env := map[string]string{
		settings.RetentionStripePayloads: "7d",
		settings.RetentionJobLogs:        "forever",
		settings.RetentionSessions:       "36h",
		settings.PurgeInterval:           "15m",
	}
	c, err := purge.LoadEnv(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	want := purge.Defaults()
	want.StripePayloads, want.JobLogs, want.Sessions, want.Interval = 7*24*time.Hour, purge.Forever, 36*time.Hour, 15*time.Minute
	if c != want {
		t.Fatalf("LoadEnv = %+v, want %+v", c, want)
	}
	if d := purge.Defaults(); d.StripePayloads != 30*24*time.Hour {
		t.Fatalf("the default Stripe payload retention is %s, want 30 days", d.StripePayloads)
	}

	bad := map[string]string{
		settings.RetentionStripePayloads: "30 days",
		settings.RetentionDevices:        "-1d",
		settings.RetentionSignInCodes:    "0s",
		settings.PurgeInterval:           "0",
	}
	_, err = purge.LoadEnv(func(k string) string { return bad[k] })
	if err == nil {
		t.Fatal("LoadEnv accepted bad settings")
	}
	for name := range bad {
		if !strings.Contains(err.Error(), name+"=") {
			t.Errorf("the error does not name %s: %v", name, err)
		}
	}
	if !strings.Contains(err.Error(), "30d") {
		t.Errorf("the error does not show the syntax to use: %v", err)
	}
}

// TestOneReplicaSweepsEachWindow: of several replicas running a pass in the same interval
// window, exactly one sweeps; in the next window one sweeps again.
func TestOneReplicaSweepsEachWindow(t *testing.T) {
	st, _ := sqlitetest.Open(t, sqlite.Options{})
	ctx := t.Context()
	now := time.Date(2041, time.March, 14, 15, 0, 0, 0, time.UTC)
	for i, id := range []string{"evt_1", "evt_2"} {
		if _, err := st.RecordStripeEvent(ctx, &launchpad.StripeEvent{ID: id, Payload: []byte(`{"name":"x"}`), ReceivedAt: now.Add(-time.Duration(48-24*i) * time.Hour)}, nil); err != nil {
			t.Fatal(err)
		}
	}
	clock := atomic.Pointer[time.Time]{}
	clock.Store(&now)
	cfg := purge.Defaults()
	cfg.StripePayloads = 36 * time.Hour
	var counted atomic.Int64
	replicas := make([]*purge.Purger, 4)
	for i := range replicas {
		p, err := purge.New(purge.Deps{Store: st, Config: cfg, Metrics: countMetrics{&counted}, Now: func() time.Time { return *clock.Load() }})
		if err != nil {
			t.Fatal(err)
		}
		replicas[i] = p
	}
	pass := func() int64 {
		var claimed atomic.Int64
		storetest.Race(len(replicas), func(i int) {
			ok, err := replicas[i].RunOnce(ctx)
			if err != nil {
				t.Errorf("RunOnce: %v", err)
			}
			if ok {
				claimed.Add(1)
			}
		})
		return claimed.Load()
	}
	if n := pass(); n != 1 {
		t.Fatalf("%d replicas swept the first window, want 1", n)
	}
	if counted.Load() != 1 {
		t.Fatalf("the first window erased %d payloads, want 1 (the one older than 36h)", counted.Load())
	}
	later := now.Add(cfg.Interval + 13*time.Hour) // the second event is now past 36h too
	clock.Store(&later)
	if n := pass(); n != 1 {
		t.Fatalf("%d replicas swept the next window, want 1", n)
	}
	if counted.Load() != 2 {
		t.Fatalf("after two windows %d payloads were erased, want 2", counted.Load())
	}
}

type countMetrics struct{ n *atomic.Int64 }

func (m countMetrics) Purged(_ string, n int64) { m.n.Add(n) }
func (countMetrics) PurgeFailed(string)         {}
func (countMetrics) PurgeRan(time.Time)         {}
