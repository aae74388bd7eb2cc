//go:build unix

package envelope_test

import (
	"syscall"
	"time"
)

// processCPUTime is the user+system CPU time of this process so far. The benchmarks report it
// per operation next to wall-clock ns/op, because on a shared machine the wall clock also
// counts the time other processes held the CPU.
func processCPUTime() (time.Duration, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
