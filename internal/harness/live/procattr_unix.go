//go:build unix

package live

import (
	"os"
	"os/exec"
	"syscall"
)

// ownGroup puts the tests (go test, the test binaries, the tofu they run) in a process group
// of their own, so that testlive, not the terminal, decides when they stop: on Ctrl-C it
// interrupts them, waits, and only then sweeps.
func ownGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}

// interrupt sends SIGINT to the process's whole group.
func interrupt(p *os.Process) error {
	return syscall.Kill(-p.Pid, syscall.SIGINT)
}
