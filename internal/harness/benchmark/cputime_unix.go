//go:build unix

package benchmark

import (
	"syscall"
	"time"
)

// childrenCPU is the user+system CPU time of every child process this process has waited
// for, and of their children that they waited for: for a tofu run, tofu and the provider
// processes it started. The fleet figures keep it beside the wall time, because on a shared
// machine the wall clock also counts the time other processes held the CPU.
func childrenCPU() (time.Duration, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_CHILDREN, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
