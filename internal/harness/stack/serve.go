package stack

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"time"
)

// Serve is a running `terraform-provider-launchpad serve`.
type Serve struct {
	*Proc
	URL     string // http://host:port it listens on
	Workers int    // apply workers, as it logged them
}

// StartServe starts `binary serve` with env (LAUNCHPAD_LOG_FORMAT must be json, the default),
// its log in logPath, and waits until it listens and says its store is ready.
func StartServe(ctx context.Context, binary string, env map[string]string, logPath string) (*Serve, error) {
	p, err := StartProc("serve", binary, []string{"serve"}, EnvList(env), logPath, nil)
	if err != nil {
		return nil, err
	}
	s := &Serve{Proc: p}
	var listening struct {
		Addr    string `json:"addr"`
		Workers int    `json:"workers"`
	}
	if err := WaitLog(ctx, p, func(rec LogRecord) bool {
		return rec.Msg == "control plane listening" && json.Unmarshal(rec.Raw, &listening) == nil
	}); err != nil {
		_ = p.Stop(10 * time.Second)
		return nil, err
	}
	s.URL, s.Workers = "http://"+listening.Addr, listening.Workers
	c := &Client{URL: s.URL, HC: &http.Client{Timeout: 10 * time.Second}}
	if err := c.WaitReady(ctx); err != nil {
		_ = p.Stop(10 * time.Second)
		return nil, err
	}
	return s, nil
}

// LogRecord is one line of serve's JSON log: the fields this package reads, and the line.
type LogRecord struct {
	Msg     string `json:"msg"`
	To      string `json:"to"`      // the log mailer's recipient
	Subject string `json:"subject"` // the log mailer's subject
	Text    string `json:"text"`    // the log mailer's message
	Raw     []byte `json:"-"`
}

// WaitLog waits for a line of p's JSON log that match accepts, reading the log from the
// start each time.
func WaitLog(ctx context.Context, p *Proc, match func(LogRecord) bool) error {
	for {
		if f, err := os.Open(p.Log); err == nil {
			sc := bufio.NewScanner(f)
			sc.Buffer(make([]byte, 64<<10), 1<<20)
			for sc.Scan() {
				rec := LogRecord{Raw: append([]byte(nil), sc.Bytes()...)}
				if json.Unmarshal(rec.Raw, &rec) == nil && match(rec) {
					f.Close()
					return nil
				}
			}
			f.Close()
		}
		if done, err := p.Exited(); done {
			return fmt.Errorf("%s exited (%v); its log %s says why", p.Name, err, p.Log)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("the log of %s (%s) never showed what is awaited: %w", p.Name, p.Log, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}
