package auth

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// mailQueue sends mail in the background. The service only enqueues, which takes the same
// time whatever the address, so SendCode answers known and unknown addresses alike, and a
// slow or failing mail server shows in the logs and metrics, not in response times.
type mailQueue struct {
	mailer  launchpad.Mailer
	log     *slog.Logger
	metrics Metrics

	mu     sync.RWMutex // guards closed against concurrent enqueue
	closed bool
	ch     chan outgoingMail
	wg     sync.WaitGroup
	// retryDelay is the wait before the first retry; it grows fourfold per attempt.
	retryDelay time.Duration
	ctx        context.Context // cancelled when Close gives up waiting
	cancel     context.CancelFunc
}

type outgoingMail struct {
	kind      string // "signin_code", "new_device": for metrics and logs
	requestID string
	msg       launchpad.Message
}

const (
	mailWorkers     = 2
	mailAttempts    = 3
	mailSendTimeout = 30 * time.Second
)

func newMailQueue(mailer launchpad.Mailer, log *slog.Logger, m Metrics, size int) *mailQueue {
	ctx, cancel := context.WithCancel(context.Background())
	q := &mailQueue{mailer: mailer, log: log, metrics: m, ch: make(chan outgoingMail, size), ctx: ctx, cancel: cancel, retryDelay: time.Second}
	for range mailWorkers {
		q.wg.Add(1)
		go q.work()
	}
	return q
}

// enqueue queues msg, or fails with EUNAVAILABLE when the queue is full or closed.
func (q *mailQueue) enqueue(kind, requestID string, msg launchpad.Message) error {
	q.mu.RLock()
	defer q.mu.RUnlock()
	if q.closed {
		return launchpad.Errorf(launchpad.EUNAVAILABLE, "the server is shutting down; try again in a moment")
	}
	select {
	case q.ch <- outgoingMail{kind: kind, requestID: requestID, msg: msg}:
		return nil
	default:
		q.metrics.Mail(kind, "dropped")
		return &launchpad.Error{Code: launchpad.EUNAVAILABLE, Message: "too much mail is waiting to be sent; try again in a minute", RetryAfter: time.Minute}
	}
}

func (q *mailQueue) work() {
	defer q.wg.Done()
	for o := range q.ch {
		q.deliver(o)
	}
}

// deliver tries a few times when the mail server is unavailable. Only the kind, recipient
// and error are logged: the text may hold a sign-in code.
func (q *mailQueue) deliver(o outgoingMail) {
	log := q.log.With(slog.String("kind", o.kind), slog.String("to", o.msg.To), slog.String("request_id", o.requestID))
	backoff := q.retryDelay
	for attempt := 1; ; attempt++ {
		ctx, cancel := context.WithTimeout(q.ctx, mailSendTimeout)
		err := q.mailer.Send(ctx, o.msg)
		cancel()
		if err == nil {
			q.metrics.Mail(o.kind, "sent")
			return
		}
		if launchpad.ErrorCode(err) != launchpad.EUNAVAILABLE || attempt == mailAttempts {
			q.metrics.Mail(o.kind, "failed")
			log.Error("mail not delivered", "error", err.Error(), "attempts", attempt)
			return
		}
		log.Warn("mail server unavailable; retrying", "error", err.Error(), "attempt", attempt)
		select {
		case <-time.After(backoff):
			backoff *= 4
		case <-q.ctx.Done():
			q.metrics.Mail(o.kind, "failed")
			log.Error("mail not delivered: shutting down", "error", err.Error())
			return
		}
	}
}

// close stops taking mail and waits until the queue is sent or ctx ends; then it abandons
// what is left (logged as not delivered).
func (q *mailQueue) close(ctx context.Context) {
	q.mu.Lock()
	if !q.closed {
		q.closed = true
		close(q.ch)
	}
	q.mu.Unlock()
	done := make(chan struct{})
	go func() {
		q.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
		q.cancel()
		<-done
	}
	q.cancel()
}
