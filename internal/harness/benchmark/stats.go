package benchmark

import (
	"math"
	"slices"
)

// Median of xs; NaN for none. The figures are medians because on a shared machine a single
// run can be slowed by anything, and the median ignores the worst of three.
func Median(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// Percentile of xs by the nearest-rank method (p in 0..100); NaN for none. For the latency
// figures (p50, p95, p99) webhook_ingest and convergence will report.
func Percentile(xs []float64, p float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	rank := int(math.Ceil(p / 100 * float64(len(s))))
	return s[min(max(rank, 1), len(s))-1]
}

// inTurn runs a figure's side and its floor's side of one round, a first on even rounds and
// b first on odd ones, so that a slow spell of a shared machine hits both sides alike rather
// than always the same one; it stops at the first error.
func inTurn(round int, a, b func() error) error {
	if round%2 == 1 {
		a, b = b, a
	}
	if err := a(); err != nil {
		return err
	}
	return b()
}
