package benchmark

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// ClaimOptions say how job_claim is measured.
type ClaimOptions struct {
	// Store is the store measured (StoreSQLite when empty).
	Store string
	// Jobs is how many jobs one timed run claims and finishes.
	Jobs int
	// Replicas is how many store handles claim at once — each its own connection pool (its
	// own SQLite connections, its own PostgreSQL pool, its own Firestore client), as separate
	// control-plane processes would have — and Workers how many claimers each runs.
	Replicas, Workers int
	// Runs is how many timed runs make the figure (their median).
	Runs int
}

// JobClaim is the job_claim figure group: jobs per second that Replicas×Workers concurrent
// workers take from a shared queue and finish — ClaimJob with a lease, then FinishJob, the
// queue's whole path for one job — on one store. Before each run Jobs jobs, each with a key of
// its own, are enqueued (not timed); the run ends when the queue is empty. Every job must be
// claimed exactly once across all workers, or the figure fails. It also emits the latency of
// one claim-and-finish under that load and how many claims lost a race (ECONFLICT, tried
// again at once).
func JobClaim(o ClaimOptions) Figure {
	if o.Store == "" {
		o.Store = StoreSQLite
	}
	return Figure{Name: "claim" + storeSuffix(o.Store), Run: func(ctx context.Context, env *Env, emit func(Result)) error {
		return runJobClaim(ctx, env, o, emit)
	}}
}

// claimRun is what one timed run measured.
type claimRun struct {
	rate      float64   // jobs/s
	latencies []float64 // seconds, one per job: its claim and its finish
	conflicts int64
}

func runJobClaim(ctx context.Context, env *Env, o ClaimOptions, emit func(Result)) error {
	if o.Jobs < 1 || o.Replicas < 1 || o.Workers < 1 || o.Runs < 1 {
		return fmt.Errorf("job_claim: jobs, replicas, workers and runs must be at least 1 (got %d, %d, %d, %d)", o.Jobs, o.Replicas, o.Workers, o.Runs)
	}
	suffix := storeSuffix(o.Store)
	stores := env.stores(filepath.Join(env.WorkDir, "claim"+suffix))
	if env.Stores == nil {
		defer stores.Close()
	}
	handles := make([]launchpad.Store, o.Replicas)
	for i := range handles {
		st, err := stores.Open(ctx, o.Store, "claim")
		if err != nil {
			return err
		}
		defer st.Close()
		handles[i] = st
	}
	var runs []claimRun
	for i := range o.Runs {
		if err := enqueueClaimJobs(ctx, handles[0], fmt.Sprintf("r%d", i), o.Jobs); err != nil {
			return err
		}
		run, err := claimAll(ctx, handles, o)
		if err != nil {
			return err
		}
		runs = append(runs, run)
		env.Log.Info("job_claim: timed", "store", o.Store, "run", i+1, "jobs_per_s", round(run.rate), "conflicts", run.conflicts)
	}

	var rates, p50s, p99s []float64
	var conflicts []int64
	for _, r := range runs {
		rates = append(rates, r.rate)
		p50s = append(p50s, 1000*Percentile(r.latencies, 50))
		p99s = append(p99s, 1000*Percentile(r.latencies, 99))
		conflicts = append(conflicts, r.conflicts)
	}
	common := func(r Result) Result {
		return r.With("store", o.Store).With("store_is", stores.Describe(o.Store)).With("jobs_per_run", o.Jobs).With("runs", o.Runs).
			With("replicas", o.Replicas).With("workers_per_replica", o.Workers)
	}
	emit(common(Result{Name: "job_claim" + suffix, Value: Median(rates), Unit: "jobs/s"}).
		With("per_run_jobs_per_s", rates).With("conflicts_per_run", conflicts))
	emit(common(Result{Name: "job_claim" + suffix + "_p50", Value: Median(p50s), Unit: "ms"}).With("per_run_ms", p50s))
	emit(common(Result{Name: "job_claim" + suffix + "_p99", Value: Median(p99s), Unit: "ms"}).With("per_run_ms", p99s))
	return nil
}

// enqueueClaimJobs enqueues n apply jobs, each with a key of its own, 8 at a time.
func enqueueClaimJobs(ctx context.Context, st launchpad.Store, prefix string, n int) error {
	next := make(chan int)
	errs := make(chan error, 8)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for i := range next {
				if _, err := st.EnqueueJob(ctx, &launchpad.Job{Kind: launchpad.JobApply, Key: fmt.Sprintf("%s-%05d", prefix, i), Payload: []byte(`{}`)}); err != nil {
					errs <- fmt.Errorf("job_claim: enqueueing: %w", err)
					return
				}
			}
		})
	}
	var err error
feed:
	for i := range n {
		select {
		case next <- i:
		case err = <-errs:
			break feed
		}
	}
	close(next)
	wg.Wait()
	if err != nil {
		return err
	}
	select {
	case err = <-errs:
	default:
	}
	return err
}

// claimAll runs every worker until the queue is empty and checks that each job was claimed
// once.
func claimAll(ctx context.Context, handles []launchpad.Store, o ClaimOptions) (claimRun, error) {
	var (
		mu        sync.Mutex
		claimed   = map[string]int{}
		latencies []float64
		conflicts atomic.Int64
		failure   error
		wg        sync.WaitGroup
	)
	start := time.Now()
	for r, st := range handles {
		for w := range o.Workers {
			worker := fmt.Sprintf("bench-%d/%d", r, w)
			wg.Go(func() {
				for ctx.Err() == nil {
					t0 := time.Now()
					j, err := st.ClaimJob(ctx, launchpad.JobClaim{Worker: worker, Kinds: []string{launchpad.JobApply}, Lease: time.Minute, Now: time.Now()})
					switch launchpad.ErrorCode(err) {
					case "":
					case launchpad.ECONFLICT:
						conflicts.Add(1)
						continue
					case launchpad.ENOTFOUND:
						return // every job is claimed (they were all enqueued before the run)
					default:
						mu.Lock()
						failure = fmt.Errorf("job_claim: %s: %w", worker, err)
						mu.Unlock()
						return
					}
					if _, err := st.FinishJob(ctx, j.ID, worker, launchpad.JobResult{Status: launchpad.JobSucceeded}, time.Now()); err != nil {
						mu.Lock()
						failure = fmt.Errorf("job_claim: %s finishing %s: %w", worker, j.ID, err)
						mu.Unlock()
						return
					}
					mu.Lock()
					claimed[j.ID]++
					latencies = append(latencies, time.Since(t0).Seconds())
					mu.Unlock()
				}
			})
		}
	}
	wg.Wait()
	elapsed := time.Since(start)
	if failure != nil {
		return claimRun{}, failure
	}
	for id, n := range claimed {
		if n != 1 {
			return claimRun{}, fmt.Errorf("job_claim: job %s was claimed %d times; every job must be claimed once", id, n)
		}
	}
	if len(claimed) != o.Jobs {
		return claimRun{}, fmt.Errorf("job_claim: %d of %d jobs were claimed before the queue looked empty", len(claimed), o.Jobs)
	}
	return claimRun{rate: float64(o.Jobs) / elapsed.Seconds(), latencies: latencies, conflicts: conflicts.Load()}, nil
}
