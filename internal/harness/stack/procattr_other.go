//go:build !linux

package stack

import "os/exec"

// detach leaves the child as it is where process groups and parent-death signals are not
// those of Linux; the caller still stops it on the way out.
func detach(*exec.Cmd) {}
