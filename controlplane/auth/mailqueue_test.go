package auth

import (
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// funcMailer is a launchpad.Mailer made of a function.
type funcMailer func(ctx context.Context, m launchpad.Message) error

func (f funcMailer) Send(ctx context.Context, m launchpad.Message) error { return f(ctx, m) }

func TestMailQueueRetriesUnavailableAndDrainsOnClose(t *testing.T) {
	var mu sync.Mutex
	calls := map[string]int{}
	mailer := funcMailer(func(_ context.Context, m launchpad.Message) error {
		mu.Lock()
		defer mu.Unlock()
		calls[m.To]++
		switch {
		case m.To == "flaky@example.com" && calls[m.To] < 3:
			return launchpad.Errorf(launchpad.EUNAVAILABLE, "down")
		case m.To == "bad@example.com":
			return launchpad.Errorf(launchpad.EINVALID, "refused")
		case m.To == "down@example.com":
			return launchpad.Errorf(launchpad.EUNAVAILABLE, "down")
		}
		return nil
	})
	m := &countingMetrics{}
	q := newMailQueue(mailer, slog.New(slog.DiscardHandler), m, 8)
	q.retryDelay = time.Millisecond
	for _, to := range []string{"ok@example.com", "flaky@example.com", "bad@example.com", "down@example.com"} {
		if err := q.enqueue("test", "", launchpad.Message{To: to, Subject: "s", Text: "t"}); err != nil {
			t.Fatal(err)
		}
	}
	q.close(context.Background()) // waits for every queued message
	mu.Lock()
	defer mu.Unlock()
	if calls["ok@example.com"] != 1 || calls["flaky@example.com"] != 3 || calls["bad@example.com"] != 1 || calls["down@example.com"] != mailAttempts {
		t.Fatalf("calls = %v", calls)
	}
	if sent, failed := m.count("mail test sent"), m.count("mail test failed"); sent != 2 || failed != 2 {
		t.Fatalf("sent %v failed %v", sent, failed)
	}
	if err := q.enqueue("test", "", launchpad.Message{To: "late@example.com"}); launchpad.ErrorCode(err) != launchpad.EUNAVAILABLE {
		t.Fatalf("enqueue after close: %v", err)
	}
}

func TestMailQueueFullIsUnavailable(t *testing.T) {
	release := make(chan struct{})
	mailer := funcMailer(func(ctx context.Context, m launchpad.Message) error {
		select {
		case <-release:
		case <-ctx.Done():
		}
		return nil
	})
	q := newMailQueue(mailer, slog.New(slog.DiscardHandler), &countingMetrics{}, 1)
	var err error
	for i := 0; i < mailWorkers+2 && err == nil; i++ {
		err = q.enqueue("test", "", launchpad.Message{To: "a@example.com"})
	}
	if launchpad.ErrorCode(err) != launchpad.EUNAVAILABLE || launchpad.ErrorRetryAfter(err) == 0 {
		t.Fatalf("full queue: %v", err)
	}
	close(release)
	q.close(context.Background())
}

// countingMetrics is a Metrics that counts in memory.
type countingMetrics struct {
	mu     sync.Mutex
	counts map[string]int
}

func (m *countingMetrics) SignIn(outcome string)    { m.add("sign-in " + outcome) }
func (m *countingMetrics) Mail(kind, result string) { m.add("mail " + kind + " " + result) }

func (m *countingMetrics) add(what string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.counts == nil {
		m.counts = map[string]int{}
	}
	m.counts[what]++
}

func (m *countingMetrics) count(what string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.counts[what]
}
