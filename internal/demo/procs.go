package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"syscall"
	"time"
)

// proc is a child process of the demo: sandbox or serve.
type proc struct {
	name string
	cmd  *exec.Cmd
	log  string // where its stderr goes
	done chan struct{}
	err  error // cmd.Wait's, once done is closed
}

// startProc runs binary with args and env (nothing inherited but what env says). Its stderr
// goes to logPath; its stdout to stdout, or the log when nil.
func startProc(name, binary string, args, env []string, logPath string, stdout io.Writer) (*proc, error) {
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
	p := &proc{name: name, cmd: cmd, log: logPath, done: make(chan struct{})}
	go func() { p.err = cmd.Wait(); close(p.done) }()
	return p, nil
}

// exited reports whether the process has ended, with its error.
func (p *proc) exited() (bool, error) {
	select {
	case <-p.done:
		return true, p.err
	default:
		return false, nil
	}
}

// stop asks the process to stop (SIGTERM), waits up to grace, then kills it. It returns the
// process's own error when it did not exit cleanly.
func (p *proc) stop(grace time.Duration) error {
	if done, err := p.exited(); done {
		return err
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
		return p.err
	case <-time.After(grace):
	}
	_ = p.cmd.Process.Kill()
	<-p.done
	return errors.New(p.name + " did not stop within " + grace.String() + " of SIGTERM and was killed")
}
