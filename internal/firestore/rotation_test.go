package firestore

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// TestRotationWalkSeesEveryUserOnce is what rotate-secret (issue 5 §5) does on this store: page
// through ListUsers in batches of 100 and re-seal each user through UpdateUser, while the
// control plane keeps updating the same users. The walk is interrupted part-way through a
// batch and resumed from its last checkpoint. Every user must be listed exactly once by the
// checkpointed walk, every credential re-sealed exactly once (re-running a batch is
// idempotent), and no concurrent update lost.
func TestRotationWalkSeesEveryUserOnce(t *testing.T) {
	s := newTestStore(t)
	ctx := t.Context()
	const users, batch = 1000, 100
	start := time.Now()
	parallel(16, users, func(i int) {
		id := fmt.Sprintf("user-%04d", i)
		u := &launchpad.User{ID: id, Email: id + "@example.com", OpenRouterKey: "v1.k1.or-" + id, BYOKKey: "v1.k1.byok-" + id}
		if err := s.CreateUser(ctx, u); err != nil {
			t.Errorf("CreateUser %s: %v", id, err)
		}
	})
	if t.Failed() {
		t.FailNow()
	}
	created := time.Since(start)

	// The control plane meters usage of random users for as long as the walk runs.
	metered := make([]atomic.Int64, users)
	stop := make(chan struct{})
	var metering sync.WaitGroup
	for range 4 {
		metering.Add(1)
		go func() {
			defer metering.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				i := rand.IntN(users)
				_, err := s.UpdateUser(ctx, fmt.Sprintf("user-%04d", i), func(u *launchpad.User) error {
					u.Usage.MachineSeconds++
					return nil
				})
				if err != nil {
					t.Errorf("metering update: %v", err)
					return
				}
				metered[i].Add(1)
			}
		}()
	}

	reseal := func(v string) string {
		if rest, ok := strings.CutPrefix(v, "v1.k1."); ok {
			return "v1.k2." + rest
		}
		return v // already under the new key: re-running a batch changes nothing
	}
	rotate := func(page []*launchpad.User, n int) {
		parallel(8, n, func(i int) {
			_, err := s.UpdateUser(ctx, page[i].ID, func(u *launchpad.User) error {
				for _, f := range u.SealedFields() {
					*f = reseal(*f)
				}
				return nil
			})
			if err != nil {
				t.Errorf("re-seal %s: %v", page[i].ID, err)
			}
		})
	}

	listed := map[string]int{}
	checkpoint := ""
	for pages := 0; ; pages++ {
		page, err := s.ListUsers(ctx, checkpoint, batch)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		if pages == 4 {
			// The process dies half-way through its fifth batch, before the checkpoint: the
			// resumed walk lists that batch again and re-seals it (idempotently).
			rotate(page, batch/2)
			continue
		}
		rotate(page, len(page))
		for _, u := range page {
			listed[u.ID]++
		}
		checkpoint = page[len(page)-1].ID
	}
	close(stop)
	metering.Wait()
	walked := time.Since(start) - created

	for i := range users {
		id := fmt.Sprintf("user-%04d", i)
		if listed[id] != 1 {
			t.Errorf("%s was listed %d times by the checkpointed walk, want once", id, listed[id])
		}
	}
	all, err := s.ListUsers(ctx, "", 1000)
	if err != nil || len(all) != users {
		t.Fatalf("ListUsers = %d, %v", len(all), err)
	}
	var updates int64
	for i, u := range all {
		if u.OpenRouterKey != "v1.k2.or-"+u.ID || u.BYOKKey != "v1.k2.byok-"+u.ID {
			t.Errorf("%s has credentials %q / %q, want both re-sealed once under k2", u.ID, u.OpenRouterKey, u.BYOKKey)
		}
		if want := metered[i].Load(); int64(u.Usage.MachineSeconds) != want {
			t.Errorf("%s was metered %d times but holds %v: an update was lost", u.ID, want, u.Usage.MachineSeconds)
		}
		updates += metered[i].Load()
	}
	t.Logf("created %d users in %s; walked and re-sealed them in batches of %d (one batch interrupted and resumed) in %s while %d concurrent updates landed",
		users, created.Round(time.Millisecond), batch, walked.Round(time.Millisecond), updates)
}

// parallel runs fn(i) for i in [0, n) on workers goroutines.
func parallel(workers, n int, fn func(i int)) {
	next := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				fn(i)
			}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
}
