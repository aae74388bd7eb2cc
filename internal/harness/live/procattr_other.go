//go:build !unix

package live

import (
	"os"
	"os/exec"
)

// ownGroup leaves the tests in testlive's process group where there are no Unix process
// groups.
func ownGroup(*exec.Cmd) {}

// interrupt stops the tests where no interrupt can be sent to them.
func interrupt(p *os.Process) error { return p.Kill() }
