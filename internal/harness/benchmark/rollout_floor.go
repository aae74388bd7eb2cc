package benchmark

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"sync"
	"time"
)

// rolloutFloor is rollout_N's floor: the per-tenant workspaces the control plane's runner left
// (its rendered main.tf.json and the state), copied, each moved to a new image with one direct
// `tofu apply`, parallel at once — what an operator scripting the same change over the same
// workspaces would run, with no control plane, queue or health gate around it.
type rolloutFloor struct {
	env         *Env
	dataDir     string // serve's LAUNCHPAD_DATA_DIR
	dir         string
	providerEnv map[string]string
	parallel    int
}

// floorRun is one timed floor: its wall time, tofu's CPU time, and each apply's own time.
type floorRun struct {
	wall, cpu time.Duration
	applies   []float64
}

// applyAll copies each user's workspace afresh (the state as the control plane last saved
// it; not timed), sets its image, then times the applies, f.parallel at once, from the first
// start to the last return.
func (f *rolloutFloor) applyAll(ctx context.Context, users []string, image string) (floorRun, error) {
	wss := make([]*directWorkspace, len(users))
	for i, u := range users {
		ws, err := newDirectWorkspace(f.env, f.dataDir, u, filepath.Join(f.dir, u), f.providerEnv, io.Discard)
		if err != nil {
			return floorRun{}, err
		}
		if err := setWorkspaceAttr(ws.dir, "image", image, "launchpad_tenant"); err != nil {
			return floorRun{}, err
		}
		wss[i] = ws
	}
	run := floorRun{applies: make([]float64, len(wss))}
	next := make(chan int)
	errs := make([]error, len(wss))
	var wg sync.WaitGroup
	cpu0, cpuOK := childrenCPU()
	start := time.Now()
	for range f.parallel {
		wg.Go(func() {
			for i := range next {
				t0 := time.Now()
				errs[i] = wss[i].tf.Apply(ctx)
				run.applies[i] = time.Since(t0).Seconds()
			}
		})
	}
	for i := range wss {
		next <- i
	}
	close(next)
	wg.Wait()
	run.wall = time.Since(start)
	if cpu1, ok := childrenCPU(); ok && cpuOK {
		run.cpu = cpu1 - cpu0
	}
	for i, err := range errs {
		if err != nil {
			return run, fmt.Errorf("the direct tofu apply of user %s to %s in %s: %w", users[i], image, wss[i].dir, err)
		}
	}
	return run, nil
}
