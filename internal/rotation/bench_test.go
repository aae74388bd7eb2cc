package rotation

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/envelope"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sqlite"
)

// benchRecords is the size of rotate_10k: 10,000 user records, each with a sealed sub-key
// and a sealed BYOK key (20,000 credentials).
const benchRecords = 10_000

// BenchmarkRotate10k measures rotate_10k against its floor in the same run, on copies of one
// seeded SQLite file, alternating the two in every iteration so that a busy machine slows
// both alike:
//
//   - rotate: Rotate over the 10,000 user records (re-seal both credentials of each, one
//     UpdateUser per user);
//   - floor: a plain read-and-write of the same user records with no crypto (ListUsers pages
//     and one UpdateUser per user writing the record back), with the same workers: the same
//     writes the rotation makes.
//
// It reports records/s (user records per second) for each and the ratio, and prints a BENCH
// line for `make bench`. Run:
//
//	go test -run '^$' -bench Rotate10k -benchtime 3x ./internal/rotation/
func BenchmarkRotate10k(b *testing.B) {
	template := benchTemplate(b)
	rotKR := mustKeyring(b, newSecret, oldSecret)
	var rotate, floor time.Duration
	for i := 0; i < b.N; i++ {
		floor += timeOn(b, template, func(st launchpad.Store) error { return readWriteUsers(st) })
		rotate += timeOn(b, template, func(st launchpad.Store) error {
			res, err := Rotate(context.Background(), st, rotKR, Options{})
			if err == nil && res.Resealed != 2*benchRecords {
				err = fmt.Errorf("rotation re-sealed %d credentials, want %d", res.Resealed, 2*benchRecords)
			}
			return err
		})
	}
	perSecond := func(d time.Duration) float64 { return float64(benchRecords*b.N) / d.Seconds() }
	b.ReportMetric(0, "ns/op")
	b.ReportMetric(perSecond(rotate), "rotate-records/s")
	b.ReportMetric(perSecond(floor), "floor-records/s")
	b.ReportMetric(rotate.Seconds()/floor.Seconds(), "ratio")
	fmt.Printf("BENCH rotate_10k %.0f records/s floor=%.0f ratio=%.2f\n", perSecond(rotate), perSecond(floor), rotate.Seconds()/floor.Seconds())
}

// timeOn copies the template store, opens it, and times fn on it (the copy is not timed).
func timeOn(b *testing.B, template string, fn func(launchpad.Store) error) time.Duration {
	b.Helper()
	b.StopTimer()
	path := filepath.Join(b.TempDir(), "launchpad.db")
	seeded, err := os.ReadFile(template)
	if err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(path, seeded, 0o600); err != nil {
		b.Fatal(err)
	}
	db, err := sqlite.Open(context.Background(), path, sqlite.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	b.StartTimer()
	start := time.Now()
	if err := fn(db); err != nil {
		b.Fatal(err)
	}
	return time.Since(start)
}

// readWriteUsers is the floor: every user read in pages and written back unchanged, one
// transaction per user, with the rotation's default page size and workers.
func readWriteUsers(st launchpad.Store) error {
	ctx := context.Background()
	after := ""
	for {
		page, err := st.ListUsers(ctx, after, DefaultBatchSize)
		if err != nil || len(page) == 0 {
			return err
		}
		err = parallel(ctx, DefaultWorkers, page, func(ctx context.Context, u *launchpad.User) error {
			_, err := st.UpdateUser(ctx, u.ID, func(*launchpad.User) error { return nil })
			return err
		})
		if err != nil {
			return err
		}
		after = page[len(page)-1].ID
	}
}

// benchTemplate seeds one SQLite file per test process and returns its path.
func benchTemplate(b *testing.B) string {
	path, err := templateOnce()
	if err != nil {
		b.Fatal(err)
	}
	return path
}

var templateOnce = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "rotation-bench-")
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, "template.db")
	db, err := sqlite.Open(context.Background(), path, sqlite.Options{})
	if err != nil {
		return "", err
	}
	kr, err := envelope.NewKeyring(oldSecret, "")
	if err != nil {
		return "", err
	}
	for i := range benchRecords {
		if err := seedUser(context.Background(), db, kr, userID(i)); err != nil {
			db.Close()
			return "", err
		}
	}
	return path, db.Close()
})
