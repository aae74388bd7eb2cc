package benchmark

import (
	"context"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/store"
)

// TestWebhookIngestEndToEnd runs webhook_ingest at a tiny size against serve of the built
// binary and checks every figure: a rate against a floor, latencies, serve's peak memory, and
// that every event sent was found in serve's store.
func TestWebhookIngestEndToEnd(t *testing.T) {
	env := envForTest(t)
	got := emitted(t, env, WebhookIngest(WebhookOptions{Events: 200, Senders: 16, Runs: 2, Warmup: 20}))
	byName := map[string]Result{}
	for _, r := range got {
		byName[r.Name] = r
		if r.Value <= 0 {
			t.Errorf("%s: value %v", r.Name, r.Value)
		}
		if !strings.HasPrefix(r.Line(), "BENCH "+r.Name+" ") {
			t.Errorf("line %q", r.Line())
		}
	}
	if names, want := figureNames(got), "webhook_ingest webhook_ingest_p50 webhook_ingest_p99 webhook_ingest_serve_peak_rss"; names != want {
		t.Fatalf("figures %s, want %s", names, want)
	}
	ingest := byName["webhook_ingest"]
	if ingest.Unit != "events/s" || ingest.Floor == nil || *ingest.Floor <= 0 || ingest.Ratio == nil {
		t.Errorf("webhook_ingest = %+v: want events/s against a measured floor", ingest)
	}
	if n := ingest.Details["events_recorded"]; n != 2*200+20 {
		t.Errorf("events found in serve's store: %v, want %d", n, 2*200+20)
	}
	if runtime.GOOS == "linux" && ingest.Details["serve_cpu_us_per_event"].(float64) <= 0 {
		t.Errorf("serve's CPU per event %v: /proc/<pid>/stat was not read", ingest.Details["serve_cpu_us_per_event"])
	}
	if len(ingest.Details["serve_events_per_s"].([]float64)) != 2 {
		t.Errorf("serve runs: %v", ingest.Details["serve_events_per_s"])
	}
	if p50, p99 := byName["webhook_ingest_p50"].Value, byName["webhook_ingest_p99"].Value; p50 > p99 {
		t.Errorf("p50 %v ms above p99 %v ms", p50, p99)
	}
	// A Go HTTP server with a SQLite store holds more than a few MiB; less means the wrong
	// line or unit was read.
	if rss := byName["webhook_ingest_serve_peak_rss"]; rss.Unit != "MiB" || rss.Value < 5 || rss.Value > 4096 {
		t.Errorf("peak RSS %v %s", rss.Value, rss.Unit)
	}
}

// openStore opens a new SQLite store named file in the test's directory, through store.Open as
// the figures do; it is closed when the test ends.
func openStore(t *testing.T, file string) launchpad.Store {
	t.Helper()
	st, err := store.Open(context.Background(), "sqlite://"+filepath.Join(t.TempDir(), file))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}

// TestFloorIngestVerifiesAndRecords checks the floor does the work it stands for: an event
// signed with another secret is refused, and every event it accepts is in the store.
func TestFloorIngestVerifiesAndRecords(t *testing.T) {
	ctx := context.Background()
	st := openStore(t, "floor.db")
	b := newEventBatches(time.Now())
	evs := b.next("t", 5, "whsec_right")
	run, err := floorIngest(ctx, st, evs, "whsec_right", true)
	if err != nil {
		t.Fatal(err)
	}
	if run.rate <= 0 || len(run.latencies) != 5 {
		t.Errorf("run %+v", run)
	}
	if err := checkRecorded(ctx, st, evs); err != nil {
		t.Fatal(err)
	}
	jobs, err := st.ListJobs(ctx, launchpad.JobFilter{Kind: launchpad.JobStripeEvent})
	if err != nil || len(jobs) != 5 {
		t.Errorf("with a job: %d stripe_event jobs (%v), want 5", len(jobs), err)
	}
	if _, err := floorIngest(ctx, st, b.next("u", 1, "whsec_other"), "whsec_right", false); err == nil || !strings.Contains(err.Error(), "verifying") {
		t.Errorf("an event signed with another secret: %v, want a verification error", err)
	}
	if _, err := floorIngest(ctx, st, evs[:1], "whsec_right", false); err == nil || !strings.Contains(err.Error(), "duplicate") {
		t.Errorf("an event recorded twice: %v, want the floor to refuse a duplicate", err)
	}
}

// TestCheckRecordedFindsLostEvents: an event answered for but missing, or stored with another
// body, fails the figure and is named.
func TestCheckRecordedFindsLostEvents(t *testing.T) {
	ctx := context.Background()
	st := openStore(t, "served.db")
	evs := newEventBatches(time.Now()).next("t", 4, "whsec_x")
	for _, e := range evs[:2] {
		if _, err := st.RecordStripeEvent(ctx, &launchpad.StripeEvent{ID: e.id, Type: ingestEventType, Payload: e.body}, nil); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := st.RecordStripeEvent(ctx, &launchpad.StripeEvent{ID: evs[2].id, Type: ingestEventType, Payload: []byte(`{}`)}, nil); err != nil {
		t.Fatal(err)
	}
	err := checkRecorded(ctx, st, evs)
	if err == nil {
		t.Fatal("one event missing and one altered passed the check")
	}
	for _, want := range []string{"1 are not in its store (first: " + evs[3].id + ")", "1 are stored with another body (first: " + evs[2].id + ")"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if err := checkRecorded(ctx, st, evs[:2]); err != nil {
		t.Errorf("events all stored: %v", err)
	}
}

func TestParseVmHWM(t *testing.T) {
	status := "Name:\tterraform-provid\nVmPeak:\t 1300000 kB\nVmHWM:\t   51234 kB\nVmRSS:\t   40000 kB\n"
	got, err := parseVmHWM(strings.NewReader(status))
	if err != nil || got != 51234*1024 {
		t.Errorf("parseVmHWM = %d, %v; want %d", got, err, 51234*1024)
	}
	for _, bad := range []string{"Name:\tx\nVmRSS:\t 1 kB\n", "VmHWM:\t 12 MB\n", "VmHWM:\t x kB\n"} {
		if _, err := parseVmHWM(strings.NewReader(bad)); err == nil {
			t.Errorf("parseVmHWM(%q) gave no error", bad)
		}
	}
}

func TestParseStatCPU(t *testing.T) {
	// A command name with a space and a parenthesis: fields count from the last ')'.
	stat := "4242 (serve (x) y) S 1 4242 4242 0 -1 4194560 900 0 0 0 150 50 300 7 20 0 9 0 100 2000000 3000 18446744073709551615\n"
	own, children, err := parseStatCPU(stat)
	if err != nil || own != 2*time.Second || children != 3070*time.Millisecond {
		t.Errorf("parseStatCPU = %v, %v, %v; want 2s (150+50 ticks) and 3.07s (300+7)", own, children, err)
	}
	for _, bad := range []string{"4242 serve S 1", "4242 (serve) S 1 2 3", "4242 (serve) S 1 2 3 4 5 6 7 8 9 10 x 50 0 0"} {
		if _, _, err := parseStatCPU(bad); err == nil {
			t.Errorf("parseStatCPU(%q) gave no error", bad)
		}
	}
	// This process's own time grows as it works (in 10 ms ticks).
	before, err := processCPU("self")
	if err != nil {
		t.Skipf("WARNING: no /proc here, so the figures go without CPU times: %v", err)
	}
	x := uint64(1)
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); {
		for range 1 << 20 {
			x = x*6364136223846793005 + 1442695040888963407
		}
		if after, _ := processCPU("self"); after > before {
			return
		}
	}
	t.Errorf("this process's CPU time stayed at %v over 5 s of work (%d)", before, x)
}
