//go:build !unix

package benchmark

import "time"

func childrenCPU() (time.Duration, bool) { return 0, false }
