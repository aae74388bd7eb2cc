//go:build !unix

package envelope_test

import "time"

func processCPUTime() (time.Duration, bool) { return 0, false }
