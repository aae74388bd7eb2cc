package stack

import (
	"os/exec"
	"syscall"
)

// detach puts a child in a process group of its own, so that the caller, not the terminal,
// decides the order in which children stop on Ctrl-C (serve drains before the sandbox goes),
// and has the kernel stop the child if the caller itself is killed.
func detach(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
}
