package stack

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"syscall"
	"time"
)

// Proc is a child process: sandbox or serve.
type Proc struct {
	Name string
	Cmd  *exec.Cmd
	Log  string // where its stderr goes
	done chan struct{}
	err  error // cmd.Wait's, once done is closed
}

// StartProc runs binary with args and env (nothing inherited but what env says). Its stderr
// goes to logPath, created or truncated; its stdout to stdout, or the log when nil. The child
// leads a process group of its own and is stopped by the kernel if this program dies.
func StartProc(name, binary string, args, env []string, logPath string, stdout io.Writer) (*Proc, error) {
	f, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	cmd := exec.Command(binary, args...)
	cmd.Env, cmd.Stderr, cmd.Stdout = env, f, stdout
	if stdout == nil {
		cmd.Stdout = f
	}
	detach(cmd)
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &Proc{Name: name, Cmd: cmd, Log: logPath, done: make(chan struct{})}
	go func() { p.err = cmd.Wait(); close(p.done) }()
	return p, nil
}

// Pid is the process id.
func (p *Proc) Pid() int { return p.Cmd.Process.Pid }

// Done is closed when the process has ended.
func (p *Proc) Done() <-chan struct{} { return p.done }

// Exited reports whether the process has ended, with its error.
func (p *Proc) Exited() (bool, error) {
	select {
	case <-p.done:
		return true, p.err
	default:
		return false, nil
	}
}

// Stop asks the process to stop (SIGTERM), waits up to grace, then kills it. It returns the
// process's own error when it did not exit cleanly.
func (p *Proc) Stop(grace time.Duration) error {
	if done, err := p.Exited(); done {
		return err
	}
	_ = p.Cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
		return p.err
	case <-time.After(grace):
	}
	_ = p.Cmd.Process.Kill()
	<-p.done
	return errors.New(p.Name + " did not stop within " + grace.String() + " of SIGTERM and was killed")
}

// Kill sends SIGKILL to the process alone (not its group: what it started must notice by
// itself) and waits until it is gone: a crash, with no chance to clean up.
func (p *Proc) Kill() error {
	if done, _ := p.Exited(); done {
		return fmt.Errorf("%s (pid %d) had already exited", p.Name, p.Pid())
	}
	if err := p.Cmd.Process.Signal(syscall.SIGKILL); err != nil {
		return err
	}
	<-p.done
	return nil
}
