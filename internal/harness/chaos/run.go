package main

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/harness/chaos/invariants"
	"github.com/clawdrun/terraform-provider-launchpad/internal/harness/stack"
)

// chaos is one run: its working directory, secrets, processes and findings.
type chaos struct {
	o     options
	out   io.Writer
	work  string
	start time.Time
	rand  *rand.Rand

	secrets struct{ platform, admin, webhook string }
	// pgURL is the run's PostgreSQL server (-store postgres), pgPassword its password when the
	// run started it (a secret the checks look for everywhere).
	pgURL, pgPassword string

	mu      sync.Mutex
	results []invariants.Result
	rows    []scenarioRow
	stops   []func() // processes to stop on the way out, last first
}

// scenarioRow is one line of the scenario table.
type scenarioRow struct {
	scenario, runs, subjects, lost string
}

// run runs the scenarios asked for and returns how many invariants failed.
func run(ctx context.Context, o options, out io.Writer) (failed int, err error) {
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	c := &chaos{o: o, out: out, start: time.Now(), rand: rand.New(rand.NewPCG(uint64(o.seed), uint64(o.seed)^0x5deece66d))}
	if err := c.o.Resolve(); err != nil {
		return 0, err
	}
	if c.work, err = os.MkdirTemp("", "launchpad-chaos-"); err != nil {
		return 0, err
	}
	c.secrets.platform, c.secrets.admin, c.secrets.webhook = stack.RandomHex(32), stack.RandomHex(32), "whsec_"+stack.RandomHex(24)
	fmt.Fprintf(out, "Launchpad chaos run, seed %d (repeat its choices with -seed %d)\n", o.seed, o.seed)
	fmt.Fprintf(out, "working directory %s\n", c.work)
	defer func() {
		c.stopAll()
		switch {
		case err != nil || failed > 0:
			fmt.Fprintf(out, "\nThe logs, stores and workspaces are kept in %s\n", c.work)
		case o.keep:
			fmt.Fprintf(out, "Kept %s (logs, stores, workspaces).\n", c.work)
		default:
			os.RemoveAll(c.work)
		}
	}()

	scenarios := []struct {
		name string
		fn   func(context.Context) error
	}{
		{"faults", c.faultsScenario},
		{"crash", nil},
		{"load", nil},
	}
	cp := &controlPlaneRun{c: c}
	scenarios[1].fn, scenarios[2].fn = cp.crash, cp.load
	for _, s := range scenarios {
		if !o.wants(s.name) {
			continue
		}
		began := time.Now()
		fmt.Fprintf(out, "\n== %s\n", s.name)
		if err := s.fn(ctx); err != nil {
			if ctx.Err() != nil {
				err = fmt.Errorf("%w (%v)", err, context.Cause(ctx))
			}
			err = fmt.Errorf("scenario %s: %w", s.name, err)
			return c.report(err), err
		}
		c.say("%s took %s", s.name, time.Since(began).Round(time.Second))
	}
	if o.wants("crash") || o.wants("load") {
		fmt.Fprintf(out, "\n== final checks over the control plane's whole run\n")
		if err := cp.final(ctx); err != nil {
			err = fmt.Errorf("final checks: %w", err)
			return c.report(err), err
		}
	}
	return c.report(nil), nil
}

func (c *chaos) say(format string, args ...any) {
	fmt.Fprintf(c.out, "   "+format+"\n", args...)
}

// add keeps a checked invariant, named for its scenario, and prints its tally.
func (c *chaos) add(scenario string, rs ...invariants.Result) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, r := range rs {
		r.Name = scenario + ": " + r.Name
		c.results = append(c.results, r)
		mark := "ok  "
		if r.Err() != nil {
			mark = "FAIL"
		}
		fmt.Fprintf(c.out, "   %s %s\n", mark, r)
		if err := r.Err(); err != nil {
			for _, l := range strings.Split(err.Error(), "\n")[1:] {
				fmt.Fprintf(c.out, "        %s\n", l)
			}
		}
	}
}

func (c *chaos) row(r scenarioRow) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.rows = append(c.rows, r)
}

func (c *chaos) onStop(f func()) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.stops = append(c.stops, f)
}

func (c *chaos) stopAll() {
	c.mu.Lock()
	stops := c.stops
	c.stops = nil
	c.mu.Unlock()
	for i := len(stops) - 1; i >= 0; i-- {
		stops[i]()
	}
}

// report prints every invariant's tally and the scenario table, and returns how many
// invariants failed; runErr is a scenario that could not run to its end.
func (c *chaos) report(runErr error) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	fmt.Fprintf(c.out, "\n== invariants (seed %d)\n", c.o.seed)
	failed := 0
	for _, r := range c.results {
		mark := "ok  "
		if r.Err() != nil {
			mark = "FAIL"
			failed++
		}
		fmt.Fprintf(c.out, "   %s %s\n", mark, r)
	}
	fmt.Fprintf(c.out, "\n== scenarios\n")
	rows := append([]scenarioRow{{"scenario", "runs", "events / tenants", "lost"}}, c.rows...)
	w := [4]int{}
	for _, r := range rows {
		for i, cell := range []string{r.scenario, r.runs, r.subjects, r.lost} {
			w[i] = max(w[i], len(cell))
		}
	}
	for i, r := range rows {
		fmt.Fprintf(c.out, "   | %-*s | %-*s | %-*s | %-*s |\n", w[0], r.scenario, w[1], r.runs, w[2], r.subjects, w[3], r.lost)
		if i == 0 {
			fmt.Fprintf(c.out, "   |%s|%s|%s|%s|\n", strings.Repeat("-", w[0]+2), strings.Repeat("-", w[1]+2), strings.Repeat("-", w[2]+2), strings.Repeat("-", w[3]+2))
		}
	}
	verdict := "PASSED"
	switch {
	case runErr != nil:
		verdict = "FAILED (a scenario did not run to its end)"
	case failed > 0:
		verdict = fmt.Sprintf("FAILED (%d of %d invariants)", failed, len(c.results))
	}
	fmt.Fprintf(c.out, "\nchaos %s in %s (seed %d)\n", verdict, time.Since(c.start).Round(time.Second), c.o.seed)
	return failed
}
