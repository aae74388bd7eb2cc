package storetest

import (
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// t0 is the base of every explicit time in the suite: microsecond precision (what every
// store keeps), in UTC, and far enough in the future that a store's own clock (used for
// zero CreatedAt/RunAfter) is always before it.
var t0 = time.Date(2041, time.March, 14, 15, 9, 26, 535897000, time.UTC)

// at returns t0 plus d.
func at(d time.Duration) time.Time { return t0.Add(d) }

// concurrency is how many goroutines every race case starts.
const concurrency = 16

// equal compares records field by field; times compare with time.Equal (so the location does
// not matter here; UTC is checked separately) and nil equals empty for maps and slices.
var equalOpts = cmp.Options{cmpopts.EquateEmpty()}

// wantEqual fails t when got and want differ, showing the difference.
func wantEqual(t *testing.T, what string, got, want any) {
	t.Helper()
	if d := cmp.Diff(want, got, equalOpts); d != "" {
		t.Fatalf("%s differs from what was stored (-want +got):\n%s", what, d)
	}
}

// wantCode fails t unless err carries code.
func wantCode(t *testing.T, err error, code, what string) {
	t.Helper()
	if got := launchpad.ErrorCode(err); got != code {
		t.Fatalf("%s: got error code %q (%v), want %q", what, got, err, code)
	}
}

// wantOK fails t on a non-nil err.
func wantOK(t *testing.T, err error, what string) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// wantOneWinner fails t unless exactly one of the racing writers' errs is nil and every other
// is ECONFLICT: a unique value taken by concurrent writers goes to one of them.
func wantOneWinner(t *testing.T, errs []error, what string) {
	t.Helper()
	ok := 0
	for i, err := range errs {
		switch launchpad.ErrorCode(err) {
		case "":
			ok++
		case launchpad.ECONFLICT:
		default:
			t.Errorf("writer %d: %v, want nil or conflict", i, err)
		}
	}
	if ok != 1 {
		t.Fatalf("%d of %d %s succeeded, want exactly 1", ok, len(errs), what)
	}
}

// wantUTC fails t unless every time is in UTC (the zero time counts as UTC).
func wantUTC(t *testing.T, what string, times ...time.Time) {
	t.Helper()
	for i, tm := range times {
		if !tm.IsZero() && tm.Location() != time.UTC {
			t.Errorf("%s: time #%d (%s) is in %s, want UTC", what, i, tm, tm.Location())
		}
	}
}

// wantMicro fails t unless got is in UTC and is in, truncated to the microsecond or kept
// exactly (a store may keep more precision than the suite requires, never less).
func wantMicro(t *testing.T, what string, got, in time.Time) {
	t.Helper()
	wantUTC(t, what, got)
	if !got.Equal(in) && !got.Equal(in.Truncate(time.Microsecond)) {
		t.Errorf("%s: got %s, want %s (microsecond precision at least)", what, got.Format(time.RFC3339Nano), in.UTC().Format(time.RFC3339Nano))
	}
}

// fields returns field(r) of every record, in order: what a failure message shows of a list.
func fields[T, F any](records []*T, field func(*T) F) []F {
	var out []F
	for _, r := range records {
		out = append(out, field(r))
	}
	return out
}

// Race runs fn(i) for i in [0, n) on n goroutines that start together, and waits for all.
// fn reports problems with t.Errorf (never t.Fatal, which must not be called off the test
// goroutine). The conformance suite races writers with it; a store's own tests may too.
func Race(n int, fn func(i int)) {
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			fn(i)
		}()
	}
	close(start)
	wg.Wait()
}

// randomBytes returns n deterministic pseudo-random bytes (every byte value occurs), so a
// failure reproduces.
func randomBytes(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// sealedLike returns a string shaped like a sealed credential: arbitrary bytes, base64 with
// '+', '/' and '=' padding, about n bytes long. Stores must keep it byte for byte.
func sealedLike(seed uint64, n int) string {
	raw := randomBytes(seed, n*3/4+1) // +1: an odd length so the encoding carries '=' padding
	return "v1.k" + fmt.Sprint(seed%10) + "." + base64.StdEncoding.EncodeToString(raw)
}

// elsewhere is a fixed zone a few hours from UTC, used to check that stores convert to UTC.
var elsewhere = time.FixedZone("UTC+05:30", 5*3600+30*60)
