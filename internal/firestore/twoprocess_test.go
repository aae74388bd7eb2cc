package firestore

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/firestore/emulator"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// The two-process test (issue 5 §4): this test binary runs itself twice more as worker
// processes, each with its own Store (own client, own connections) on one emulator project.
// Both receive all 200 Stripe events and race to record them and to process their jobs; then
// both race to claim 50 apply jobs. Nothing is shared between them but Firestore.
const (
	helperEnv        = "LAUNCHPAD_FIRESTORE_HELPER" // the worker's name; set only in workers
	helperProjectEnv = "LAUNCHPAD_FIRESTORE_HELPER_PROJECT"
	resultPrefix     = "LPRESULT "
	// readyLine is what a worker prints once its store is open; it then waits for a line on
	// stdin, which the parent writes to both once both are ready, so that they start together.
	readyLine = "LPREADY"

	twoProcEvents = 200
	twoProcJobs   = 50
)

// workerResult is one line a worker reports on stdout.
type workerResult struct {
	Worker string `json:"worker"`
	Op     string `json:"op"` // recorded, claimed, finished, error, phase
	ID     string `json:"id"` // event id or job id
	Key    string `json:"key,omitempty"`
	Err    string `json:"err,omitempty"`
}

func TestTwoProcessesShareOneFirestore(t *testing.T) {
	project := newProject(t)
	s := openStore(t, project, Options{})
	ctx := t.Context()
	start := time.Now()

	// The 50 apply jobs both workers will race for, each with its own key.
	applyJobs := map[string]bool{}
	for i := range twoProcJobs {
		j, err := s.EnqueueJob(ctx, &launchpad.Job{Kind: launchpad.JobApply, Key: fmt.Sprintf("user-%02d", i)})
		if err != nil {
			t.Fatal(err)
		}
		applyJobs[j.ID] = true
	}

	var wg sync.WaitGroup
	outputs := make([][]byte, 2)
	errs := make([]error, 2)
	ready := make(chan struct{}, 2)
	starts := make([]io.WriteCloser, 2)
	for i, name := range []string{"proc-a", "proc-b"} {
		cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1")
		cmd.Env = append(os.Environ(),
			helperEnv+"="+name,
			helperProjectEnv+"="+project,
			emulator.EnvHost+"="+emulatorHost)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if starts[i], err = cmd.StdinPipe(); err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatalf("starting worker %s: %v", name, err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			sc := bufio.NewScanner(stdout)
			for sc.Scan() {
				outputs[i] = append(append(outputs[i], sc.Bytes()...), '\n')
				if sc.Text() == readyLine {
					ready <- struct{}{}
				}
			}
			if errs[i] = cmd.Wait(); errs[i] != nil {
				errs[i] = fmt.Errorf("worker %s: %v\n%s\n%s", name, errs[i], outputs[i], stderr.Bytes())
			}
		}()
	}
	// Both workers have opened their stores: let them go together.
	for range 2 {
		select {
		case <-ready:
		case <-time.After(60 * time.Second):
			t.Fatal("the workers did not both get ready within a minute")
		}
	}
	for _, w := range starts {
		_, _ = io.WriteString(w, "go\n")
		_ = w.Close()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}

	recorded := map[string][]string{} // event id → workers that recorded it
	claimed := map[string][]string{}  // job id → workers that claimed it
	finished := map[string][]string{} // job id → workers that finished it
	jobKey := map[string]string{}
	for _, out := range outputs {
		sc := bufio.NewScanner(bytes.NewReader(out))
		for sc.Scan() {
			line, ok := strings.CutPrefix(sc.Text(), resultPrefix)
			if !ok {
				continue
			}
			var r workerResult
			if err := json.Unmarshal([]byte(line), &r); err != nil {
				t.Fatalf("bad worker line %q: %v", line, err)
			}
			switch r.Op {
			case "recorded":
				recorded[r.ID] = append(recorded[r.ID], r.Worker)
			case "claimed":
				claimed[r.ID] = append(claimed[r.ID], r.Worker)
				jobKey[r.ID] = r.Key
			case "finished":
				finished[r.ID] = append(finished[r.ID], r.Worker)
			case "phase":
				t.Logf("%s: %s after %s", r.Worker, r.ID, r.Key)
			case "error":
				t.Errorf("worker %s: %s: %s", r.Worker, r.ID, r.Err)
			}
		}
	}

	// Every event recorded exactly once, by one of the two processes.
	byWorker := map[string]int{}
	for i := range twoProcEvents {
		id := eventID(i)
		if len(recorded[id]) != 1 {
			t.Errorf("event %s was recorded %d times (by %v), want exactly once", id, len(recorded[id]), recorded[id])
		}
		for _, w := range recorded[id] {
			byWorker[w]++
		}
	}
	// Exactly one job per event, claimed once and finished once; every apply job claimed once.
	eventJobs, err := s.ListJobs(ctx, launchpad.JobFilter{Kind: launchpad.JobStripeEvent, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if len(eventJobs) != twoProcEvents {
		t.Errorf("%d stripe_event jobs stored, want one per event (%d)", len(eventJobs), twoProcEvents)
	}
	perEvent := map[string]int{}
	for _, j := range eventJobs {
		perEvent[j.Key]++
		if j.Status != launchpad.JobSucceeded || j.Attempts != 1 {
			t.Errorf("job %s of event %s is %s after %d attempts, want succeeded after 1", j.ID, j.Key, j.Status, j.Attempts)
		}
		if len(claimed[j.ID]) != 1 || len(finished[j.ID]) != 1 {
			t.Errorf("job %s of event %s was claimed by %v and finished by %v, want exactly once each", j.ID, j.Key, claimed[j.ID], finished[j.ID])
		}
	}
	for i := range twoProcEvents {
		if perEvent[eventID(i)] != 1 {
			t.Errorf("event %s has %d jobs, want 1", eventID(i), perEvent[eventID(i)])
		}
	}
	claimsOf := map[string]int{}
	for id := range applyJobs {
		if len(claimed[id]) != 1 {
			t.Errorf("apply job %s was claimed %d times (by %v), want exactly once", id, len(claimed[id]), claimed[id])
		}
		for _, w := range claimed[id] {
			claimsOf[w]++
		}
	}
	t.Logf("two processes, one emulator: %d events recorded (%v per process), %d event jobs and %d apply jobs (%v per process) each claimed once, in %s",
		twoProcEvents, byWorker, len(eventJobs), twoProcJobs, claimsOf, time.Since(start).Round(time.Millisecond))
}

func eventID(i int) string { return fmt.Sprintf("evt_twoproc_%03d", i) }

// TestHelperProcess is a worker of TestTwoProcessesShareOneFirestore; it does nothing unless
// that test started it.
func TestHelperProcess(t *testing.T) {
	name := os.Getenv(helperEnv)
	if name == "" {
		t.Skip("a worker process of TestTwoProcessesShareOneFirestore, run only by it")
	}
	s := openStore(t, os.Getenv(helperProjectEnv), Options{})
	ctx := t.Context()
	var mu sync.Mutex
	enc := json.NewEncoder(os.Stdout)
	report := func(r workerResult) {
		r.Worker = name
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprint(os.Stdout, resultPrefix)
		_ = enc.Encode(r)
	}

	// Ready: wait for the parent's word, which both workers get at once.
	fmt.Println(readyLine)
	if _, err := bufio.NewReader(os.Stdin).ReadString('\n'); err != nil {
		t.Fatalf("waiting for the word to start: %v", err)
	}
	begun := time.Now()

	// work runs four workers of this process (name/prefixN) that claim jobs of kind, report
	// each claim and hand the job to handle, until a claim finds nothing runnable and idle,
	// asked then, says to stop.
	work := func(kind, prefix string, handle func(worker string, j *launchpad.Job), idle func() (stop bool)) {
		var workers sync.WaitGroup
		for p := range 4 {
			workers.Go(func() {
				worker := fmt.Sprintf("%s/%s%d", name, prefix, p)
				for {
					j, err := s.ClaimJob(ctx, launchpad.JobClaim{Worker: worker, Kinds: []string{kind}, Lease: 5 * time.Minute, Now: time.Now()})
					switch launchpad.ErrorCode(err) {
					case "":
						report(workerResult{Op: "claimed", ID: j.ID, Key: j.Key})
						handle(worker, j)
					case launchpad.ECONFLICT:
					case launchpad.ENOTFOUND:
						if idle() {
							return
						}
					default:
						report(workerResult{Op: "error", ID: "claim " + kind, Err: err.Error()})
						return
					}
				}
			})
		}
		workers.Wait()
	}

	// Phase 1: both processes, started together, claim the apply jobs the parent enqueued until
	// none is left.
	work(launchpad.JobApply, "apply-", func(string, *launchpad.Job) {}, func() bool { return true })
	report(workerResult{Op: "phase", ID: "apply jobs claimed", Key: time.Since(begun).Round(time.Millisecond).String()})
	// Phase 2: deliver every event (8 concurrent deliveries) while 4 workers process jobs.
	var delivered sync.WaitGroup
	next := make(chan int)
	for range 8 {
		delivered.Add(1)
		go func() {
			defer delivered.Done()
			for i := range next {
				id := eventID(i)
				ev := &launchpad.StripeEvent{ID: id, Type: "customer.subscription.updated", Payload: []byte(`{"id":"` + id + `"}`)}
				ok, err := s.RecordStripeEvent(ctx, ev, &launchpad.Job{Kind: launchpad.JobStripeEvent, Key: id, Payload: []byte(id)})
				switch {
				case err != nil:
					report(workerResult{Op: "error", ID: id, Err: err.Error()})
				case ok:
					report(workerResult{Op: "recorded", ID: id})
				}
			}
		}()
	}
	deliveriesDone := make(chan struct{})
	go func() {
		for i := range twoProcEvents {
			next <- i
		}
		close(next)
		delivered.Wait()
		report(workerResult{Op: "phase", ID: "events delivered", Key: time.Since(begun).Round(time.Millisecond).String()})
		close(deliveriesDone)
	}()
	work(launchpad.JobStripeEvent, "", func(worker string, j *launchpad.Job) {
		if _, err := s.FinishJob(ctx, j.ID, worker, launchpad.JobResult{Status: launchpad.JobSucceeded}, time.Now()); err != nil {
			report(workerResult{Op: "error", ID: j.ID, Err: err.Error()})
		} else {
			report(workerResult{Op: "finished", ID: j.ID, Key: j.Key})
		}
	}, func() bool {
		// Done once this process delivered everything and no job of either process is left
		// unfinished; until then, poll: the other process's jobs show only in Firestore, which
		// is all the two share.
		select {
		case <-deliveriesDone:
			if done, err := eventJobsDone(ctx, s); err != nil {
				report(workerResult{Op: "error", ID: "check", Err: err.Error()})
				return true
			} else if done {
				return true
			}
		default:
		}
		time.Sleep(100 * time.Millisecond)
		return false
	})
	report(workerResult{Op: "phase", ID: "event jobs done", Key: time.Since(begun).Round(time.Millisecond).String()})

}

// eventJobsDone reports whether every event has its job and none is queued or running.
func eventJobsDone(ctx context.Context, s *Store) (bool, error) {
	all, err := s.ListJobs(ctx, launchpad.JobFilter{Kind: launchpad.JobStripeEvent, Limit: 1000})
	if err != nil || len(all) < twoProcEvents {
		return false, err
	}
	for _, j := range all {
		if j.Status == launchpad.JobQueued || j.Status == launchpad.JobRunning {
			return false, nil
		}
	}
	return true, nil
}
