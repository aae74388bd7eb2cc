package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/harness/stack"
)

// mailbox reads the sign-in codes that serve's log mailer writes to its log (the sandbox
// setup has no mail server), following the log as it grows.
type mailbox struct {
	mu    sync.Mutex
	codes map[string]string        // newest code per address, not yet taken
	wait  map[string]chan struct{} // closed when a code for the address arrives
}

var codeLine = regexp.MustCompile(`(?m)^\s*(\d{6})\s*$`)

func newMailbox() *mailbox {
	return &mailbox{codes: map[string]string{}, wait: map[string]chan struct{}{}}
}

// follow reads path from the start until ctx ends.
func (m *mailbox) follow(ctx context.Context, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 1<<20)
	var partial []byte
	for {
		line, err := r.ReadBytes('\n')
		partial = append(partial, line...)
		if errors.Is(err, io.EOF) {
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(20 * time.Millisecond):
			}
			continue
		}
		if err != nil {
			return err
		}
		m.read(partial)
		partial = partial[:0]
	}
}

func (m *mailbox) read(line []byte) {
	if !strings.Contains(string(line), "sign-in code") {
		return
	}
	var rec stack.LogRecord
	if json.Unmarshal(line, &rec) != nil || rec.To == "" || !strings.Contains(rec.Subject, "sign-in code") {
		return
	}
	c := codeLine.FindStringSubmatch(rec.Text)
	if c == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.codes[rec.To] = c[1]
	if ch, ok := m.wait[rec.To]; ok {
		close(ch)
		delete(m.wait, rec.To)
	}
}

// code waits for a code mailed to address and takes it.
func (m *mailbox) code(ctx context.Context, address string) (string, error) {
	for {
		m.mu.Lock()
		if c, ok := m.codes[address]; ok {
			delete(m.codes, address)
			m.mu.Unlock()
			return c, nil
		}
		ch, ok := m.wait[address]
		if !ok {
			ch = make(chan struct{})
			m.wait[address] = ch
		}
		m.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return "", ctx.Err()
		}
	}
}
