package benchmark

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// clockTicks is the unit of utime and stime in /proc/<pid>/stat (USER_HZ), 100 on every
// Linux architecture Go supports.
const clockTicks = 100

// processCPU is the user+system CPU time that process pid (all its threads) has used so far,
// from /proc/<pid>/stat ("self" for this process). Only Linux has it; elsewhere the error
// says so. Its resolution is 10 ms, fine for runs of seconds.
func processCPU(pid string) (time.Duration, error) {
	own, _, err := processTreeCPU(pid)
	return own, err
}

// processTreeCPU is processCPU and, apart, the CPU time of the process's children that it
// has waited for, and of theirs that they waited for (cutime and cstime): for serve, the tofu
// runs of its finished applies and the provider processes they started.
func processTreeCPU(pid string) (own, children time.Duration, err error) {
	b, err := os.ReadFile("/proc/" + pid + "/stat")
	if err != nil {
		return 0, 0, fmt.Errorf("CPU time of process %s: %w (needs Linux's /proc)", pid, err)
	}
	return parseStatCPU(string(b))
}

// parseStatCPU reads utime and stime (fields 14 and 15), and cutime and cstime (16 and 17), of
// a /proc/<pid>/stat line. The command name (field 2) is in parentheses and may hold spaces
// and parentheses, so fields are counted from the last ')'.
func parseStatCPU(stat string) (own, children time.Duration, err error) {
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, 0, fmt.Errorf("a process stat line without its (command): %q", truncateBytes(stat, 80))
	}
	f := strings.Fields(stat[i+1:]) // f[0] is field 3 (state)
	if len(f) < 15 {
		return 0, 0, fmt.Errorf("a process stat line with %d fields after the command; want at least 15", len(f))
	}
	var ticks [4]int64
	for j, s := range f[11:15] {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 0 {
			return 0, 0, fmt.Errorf("field %d (%q) of a process stat line is not a tick count", 14+j, s)
		}
		ticks[j] = n
	}
	tick := func(n int64) time.Duration { return time.Duration(n) * time.Second / clockTicks }
	return tick(ticks[0] + ticks[1]), tick(ticks[2] + ticks[3]), nil
}

func truncateBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
