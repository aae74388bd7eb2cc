package benchmark

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"path/filepath"
	"strconv"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/harness/stack"
)

// WebhookOptions say how webhook_ingest is measured.
type WebhookOptions struct {
	// Events is how many signed events, each with an id of its own, one timed run sends
	// (and the floor records).
	Events int
	// Senders is how many goroutines post at once, each on its own keep-alive connection.
	Senders int
	// Runs is how many timed runs of the server and of the floor alternate; each figure is
	// the median of its runs.
	Runs int
	// Warmup events go to the server and to the floor before the timed runs, untimed.
	Warmup int
	// Store is the store serve and the floor use (StoreSQLite when empty); the figures of
	// another store carry its name ("webhook_ingest_postgres").
	Store string
}

// ingestEventType is the type of the events posted. The control plane verifies and records
// every event it receives, but enqueues a processing job only for the types it handles
// (subscriptions, checkouts, invoices paid or failed); invoice.finalized, which Stripe sends
// before every invoice.paid, is one it records as processed at once. So the workers stay idle
// and the figure is ingest alone — verify, record durably, answer 2xx — rather than ingest
// competing with 5,000 processing jobs for the same two cores and the store's write lock.
// The floor's details keep, beside it, the in-process rate with a job in the same transaction,
// which is what a handled event's record costs.
const ingestEventType = "invoice.finalized"

// WebhookIngest is the webhook_ingest figure group: events per second through POST
// /api/stripe/webhook of a real `serve` (the built binary, on o.Store) from Senders
// concurrent senders on loopback, against the floor of the same events verified with stripe-go
// (webhook.ConstructEventWithOptions) and recorded (Store.RecordStripeEvent) one after the
// other in this process, on a store of the same kind. Every event the server answered
// for is then looked up in its store; one missing fails the figure. It also emits the
// latency percentiles under that load and serve's peak resident memory.
func WebhookIngest(o WebhookOptions) Figure {
	return Figure{Name: "webhook" + storeSuffix(o.Store), Run: func(ctx context.Context, env *Env, emit func(Result)) error {
		return runWebhookIngest(ctx, env, o, emit)
	}}
}

// ingestRun is what one timed run measured.
type ingestRun struct {
	rate      float64   // events/s
	latencies []float64 // seconds, one per event
	// cpu is the CPU time of the process that did the work (serve, or this one for the
	// floor) and senderCPU this process's while it sent to serve; zero where /proc is missing.
	cpu, senderCPU time.Duration
}

// cpuDelta measures the CPU time processes use during fn: the same process ids as
// processCPU takes ("self" for this one). A process whose CPU time cannot be read counts 0.
func cpuDelta(pids []string, fn func() error) ([]time.Duration, error) {
	before := make([]time.Duration, len(pids))
	for i, pid := range pids {
		before[i], _ = processCPU(pid)
	}
	if err := fn(); err != nil {
		return nil, err
	}
	out := make([]time.Duration, len(pids))
	for i, pid := range pids {
		if after, err := processCPU(pid); err == nil && before[i] > 0 {
			out[i] = after - before[i]
		}
	}
	return out, nil
}

func runWebhookIngest(ctx context.Context, env *Env, o WebhookOptions, emit func(Result)) (err error) {
	if o.Events < 1 || o.Senders < 1 || o.Runs < 1 || o.Warmup < 0 {
		return fmt.Errorf("webhook_ingest: events, senders and runs must be at least 1 (got %d, %d, %d)", o.Events, o.Senders, o.Runs)
	}
	if o.Store == "" {
		o.Store = StoreSQLite
	}
	suffix := storeSuffix(o.Store)
	dir := filepath.Join(env.WorkDir, "webhook"+suffix)
	stores := env.stores(dir)
	if env.Stores == nil {
		defer stores.Close()
	}
	base := stack.BaseEnv()
	storeEnv, err := stores.ServeEnv(ctx, o.Store, "webhook")
	if err != nil {
		return err
	}
	maps.Copy(base, storeEnv)
	base["PLATFORM_SECRET"] = "bench-platform-secret-" + randomHex(16)
	// No Fly or OpenRouter settings: nothing is applied, and serve then leaves metering off.
	cp, err := startControlPlane(ctx, env, dir, base, nil)
	if err != nil {
		return err
	}
	defer func() {
		if cp != nil {
			err = errors.Join(err, cp.stop())
		}
	}()
	floorStore, err := stores.Open(ctx, o.Store, "webhook_floor")
	if err != nil {
		return err
	}
	defer floorStore.Close()
	floorJobStore, err := stores.Open(ctx, o.Store, "webhook_floor_job")
	if err != nil {
		return err
	}
	defer floorJobStore.Close()

	batches := newEventBatches(time.Now())
	var sent []ingestEvent
	sender := newIngestSender(cp.serve.URL, o.Senders)
	defer sender.close()
	env.Log.Info("webhook: warming up (not timed)", "events", o.Warmup, "serve", cp.serve.URL, "workers", cp.serve.Workers)
	if o.Warmup > 0 {
		evs := batches.next("warm", o.Warmup, cp.webhookSecret)
		if _, err := sender.send(ctx, evs); err != nil {
			return err
		}
		sent = append(sent, evs...)
		if _, err := floorIngest(ctx, floorStore, batches.next("warmfloor", o.Warmup, cp.webhookSecret), cp.webhookSecret, false); err != nil {
			return err
		}
	}

	var serveRuns, floorRuns, floorJobRuns []ingestRun
	for i := range o.Runs {
		timeServe := func() error {
			evs := batches.next(fmt.Sprintf("r%d", i), o.Events, cp.webhookSecret)
			var run ingestRun
			cpu, err := cpuDelta([]string{strconv.Itoa(cp.serve.Pid()), "self"}, func() (err error) {
				run, err = sender.send(ctx, evs)
				return err
			})
			if err != nil {
				return err
			}
			run.cpu, run.senderCPU = cpu[0], cpu[1]
			sent = append(sent, evs...)
			serveRuns = append(serveRuns, run)
			return nil
		}
		timeFloor := func() error {
			evs := batches.next(fmt.Sprintf("f%d", i), o.Events, cp.webhookSecret)
			var run ingestRun
			cpu, err := cpuDelta([]string{"self"}, func() (err error) {
				run, err = floorIngest(ctx, floorStore, evs, cp.webhookSecret, false)
				return err
			})
			if err != nil {
				return err
			}
			run.cpu = cpu[0]
			floorRuns = append(floorRuns, run)
			run, err = floorIngest(ctx, floorJobStore, batches.next(fmt.Sprintf("j%d", i), o.Events, cp.webhookSecret), cp.webhookSecret, true)
			if err != nil {
				return err
			}
			floorJobRuns = append(floorJobRuns, run)
			return nil
		}
		if err := inTurn(i, timeServe, timeFloor); err != nil {
			return err
		}
		env.Log.Info("webhook: timed", "run", i+1, "serve_events_per_s", round(serveRuns[i].rate), "floor_events_per_s", round(floorRuns[i].rate),
			"floor_with_job_events_per_s", round(floorJobRuns[i].rate))
	}

	// The premise of the figure: nothing was enqueued, so the workers stayed idle.
	queued, err := cp.jobs(ctx, url.Values{"kind": {"stripe_event"}, "limit": {"1"}})
	if err != nil {
		return err
	}
	if len(queued) > 0 {
		return fmt.Errorf("webhook_ingest: serve enqueued processing jobs for %s events (job %s), so its workers were not idle and the figure is not ingest alone", ingestEventType, queued[0].ID)
	}
	peak, peakErr := peakRSS(cp.serve.Pid())
	if peakErr != nil {
		env.Log.Warn("webhook: serve's peak RSS cannot be read on this platform", "err", peakErr)
	}
	pid, workers := cp.serve.Pid(), cp.serve.Workers
	stopErr := cp.stop()
	cp = nil
	if stopErr != nil {
		return fmt.Errorf("stop serve: %w", stopErr)
	}
	// Nothing lost: every event answered 200 is in serve's store, with the body it was sent.
	served, err := stores.Open(ctx, o.Store, "webhook")
	if err != nil {
		return err
	}
	defer served.Close()
	if err := checkRecorded(ctx, served, sent); err != nil {
		return err
	}

	var serveRates, floorRates, floorJobRates, p50s, p99s, floorP50s, floorP99s []float64
	var serveCPU, senderCPU, floorCPU []float64 // µs per event
	perEvent := func(d time.Duration) float64 { return float64(d.Microseconds()) / float64(o.Events) }
	for i := range serveRuns {
		serveCPU = append(serveCPU, perEvent(serveRuns[i].cpu))
		senderCPU = append(senderCPU, perEvent(serveRuns[i].senderCPU))
		floorCPU = append(floorCPU, perEvent(floorRuns[i].cpu))
		serveRates = append(serveRates, serveRuns[i].rate)
		floorRates = append(floorRates, floorRuns[i].rate)
		floorJobRates = append(floorJobRates, floorJobRuns[i].rate)
		p50s = append(p50s, 1000*Percentile(serveRuns[i].latencies, 50))
		p99s = append(p99s, 1000*Percentile(serveRuns[i].latencies, 99))
		floorP50s = append(floorP50s, 1000*Percentile(floorRuns[i].latencies, 50))
		floorP99s = append(floorP99s, 1000*Percentile(floorRuns[i].latencies, 99))
	}
	common := func(r Result) Result {
		return r.With("events_per_run", o.Events).With("runs", o.Runs).With("senders", o.Senders).
			With("event_type", ingestEventType).With("body_bytes", len(sent[len(sent)-1].body)).
			With("workers", workers).With("workers_state", "idle: "+ingestEventType+" is recorded without a processing job").
			With("store", o.Store).With("store_is", stores.Describe(o.Store)).With("events_recorded", len(sent))
	}
	ingest := common(Rate("webhook_ingest"+suffix, Median(serveRates), "events/s", Median(floorRates))).
		With("serve_cpu_us_per_event", Median(serveCPU)).
		With("sender_cpu_us_per_event", Median(senderCPU)).
		With("floor_cpu_us_per_event", Median(floorCPU))
	if f := Median(floorCPU); f > 0 {
		ingest = ingest.With("cpu_ratio", Median(serveCPU)/f)
	}
	emit(ingest.
		With("serve_events_per_s", serveRates).
		With("floor_events_per_s", floorRates).
		With("floor_with_job_events_per_s", floorJobRates).
		With("floor_with_job_median_events_per_s", Median(floorJobRates)))
	// Latency under 16 concurrent senders is mostly waiting for the other 15 (Little's law:
	// about senders / rate), so it has no floor of its own; the floor's latency of one
	// operation alone is kept beside it.
	emit(common(Result{Name: "webhook_ingest" + suffix + "_p50", Value: Median(p50s), Unit: "ms"}).
		With("per_run_ms", p50s).With("floor_op_p50_ms", Median(floorP50s)))
	emit(common(Result{Name: "webhook_ingest" + suffix + "_p99", Value: Median(p99s), Unit: "ms"}).
		With("per_run_ms", p99s).With("floor_op_p99_ms", Median(floorP99s)))
	if peakErr == nil {
		emit(common(Result{Name: "webhook_ingest" + suffix + "_serve_peak_rss", Value: float64(peak) / (1 << 20), Unit: "MiB"}).
			With("source", fmt.Sprintf("VmHWM of /proc/%d/status after every run", pid)))
	}
	return nil
}

// round keeps a log line short.
func round(v float64) float64 {
	return float64(int64(v*10+0.5)) / 10
}
