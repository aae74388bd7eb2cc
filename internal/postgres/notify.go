package postgres

import (
	"context"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
)

// NotifyJobs calls wake whenever, in any replica, a job of one of kinds (any kind when kinds is
// empty) is enqueued, or a finished job frees its key for a queued one — as soon as the
// transaction that did it commits — until ctx is done or the store is closed; then it returns
// nil. A queue worker that found nothing to claim sleeps until wake or its poll interval,
// whichever comes first, so polling is only the fallback: for jobs that become runnable with
// time (RunAfter, an expired lease) and for notifications lost while the connection was down.
//
// It holds one connection of its own that LISTENs on the queue's channel (a pooled connection
// cannot: a notification reaches only the session that listens). When the connection fails it
// calls wake, since a notification may have been missed, and connects again, backing off from
// 100ms to 30s. wake must not block.
func (db *DB) NotifyJobs(ctx context.Context, kinds []string, wake func()) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-db.closed:
			cancel()
		case <-ctx.Done():
		}
	}()
	backoff := 100 * time.Millisecond
	for {
		err := db.listen(ctx, kinds, wake, func() { backoff = 100 * time.Millisecond })
		if ctx.Err() != nil {
			return nil
		}
		db.log.Warn("the job notification connection failed; idle workers poll until it is back",
			"error", db.formatError(ctx, err).Error(), "retry_in", backoff.String())
		wake()
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 30*time.Second)
	}
}

// listen connects, LISTENs and calls wake for each notification that concerns kinds, until
// the connection fails or ctx is done. connected is called once it listens.
func (db *DB) listen(ctx context.Context, kinds []string, wake func(), connected func()) error {
	conn, err := pgx.ConnectConfig(ctx, db.conn.pool.ConnConfig.Copy())
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, `LISTEN `+pgx.Identifier{db.conn.channel}.Sanitize()); err != nil {
		return err
	}
	connected()
	wake() // jobs enqueued before the LISTEN took effect are not notified: look once
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		if n.Payload == "" || len(kinds) == 0 || slices.Contains(kinds, n.Payload) {
			wake()
		}
	}
}
