package rotation

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/envelope"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// Defaults of Options.
const (
	DefaultBatchSize = 500
	DefaultWorkers   = 4
	// MaxReportedFailures bounds Result.Failures; Result.Failed counts them all.
	MaxReportedFailures = 1000
)

// Options tune a rotation. The zero value is usable.
type Options struct {
	// BatchSize is how many users one ListUsers page holds; 0 means DefaultBatchSize. Stores
	// cap a page at 1000.
	BatchSize int
	// Workers is how many users of a page are re-sealed at once; 0 means DefaultWorkers. Each
	// user is still one transaction; more workers help a remote store (Firestore), not SQLite,
	// which has one writer.
	Workers int
	// Progress, if set, is told the running counts after every user (calls are serialised).
	Progress func(Result)
	// AfterUser, if set, is called after each user is handled with the number handled so far
	// (calls are serialised). Tests cancel the run from it at a chosen point.
	AfterUser func(handled int)
	// Actor is the audit event's actor; default launchpad.ActorSystem.
	Actor string
	// PreviousKeyID, if known, is recorded in the audit event.
	PreviousKeyID string
	// Logger receives one line per credential that does not open (never its value); nil
	// discards.
	Logger *slog.Logger
	// Now is the clock for Result.Elapsed; default time.Now.
	Now func() time.Time
}

// Result is what a rotation did. Counts are of credentials (sealed fields) unless named
// otherwise.
type Result struct {
	// KeyID is the current key id, the one every credential is sealed under afterwards.
	KeyID string
	// UsersScanned counts users read; UsersUpdated those written.
	UsersScanned int
	UsersUpdated int
	// Resealed counts credentials moved to the current key in this run.
	Resealed int
	// AlreadyCurrent counts credentials that were already under the current key (and open).
	AlreadyCurrent int
	// Failed counts credentials that open under neither secret; Failures lists the first
	// MaxReportedFailures of them.
	Failed   int
	Failures []Failure
	// Complete is true when every user was visited.
	Complete bool
	// Activated is true when the run made KeyID the store's active key (and retired the old
	// one): it was complete and every credential opened. A process with only the old secret is
	// refused from then on.
	Activated bool
	Elapsed   time.Duration
}

// Failure is a credential that could not be re-sealed: whose, which field, and why. It never
// holds the value.
type Failure struct {
	UserID string
	Field  string
	Reason string
}

// errNoChange aborts an UpdateUser whose function found nothing to write.
var errNoChange = errors.New("rotation: nothing to write")

// Rotate re-seals every credential of every user in st under kr's current key (see the
// package documentation), then writes one AuditSecretRotated event to the platform stream. kr must hold the previous secret for
// values sealed under it to open.
//
// Credentials that do not open are counted and listed in the result and the run goes on. A
// store error or a cancelled ctx stops the run and is returned with the counts so far;
// running Rotate again resumes it.
func Rotate(ctx context.Context, st launchpad.Store, kr *envelope.Keyring, opts Options) (Result, error) {
	r := newRun(kr, st, opts)
	if err := begin(ctx, st, kr); err != nil {
		return r.result(), err
	}
	err := r.users(ctx, st)
	res := r.result()
	if err != nil {
		return res, err
	}
	res.Complete = true
	if res.Failed == 0 {
		if err := activate(ctx, st, kr); err != nil {
			return res, launchpad.Wrapf(err, "every credential is re-sealed, but the store's active key could not be set to %s; run rotate-secret again", res.KeyID)
		}
		res.Activated = true
	}
	if err := audit(ctx, st, res, r.opts); err != nil {
		return res, launchpad.Wrapf(err, "every credential was visited, but the platform.secret_rotated audit event could not be written")
	}
	return res, nil
}

// begin checks that the store's platform key record allows this rotation and records it:
// the credentials must be sealed under PLATFORM_SECRET_PREVIOUS's key (the store's active
// key), or already under PLATFORM_SECRET's (a rotation run again), and no rotation to a third
// key may be under way. The new key becomes the store's next key, so that processes still
// holding only the old secret keep working until the rotation completes, and processes with
// the new one may seal meanwhile. A store without a record takes the previous key as active:
// it is the key the runbook says the credentials are sealed under, and the run reports every
// credential that is not.
func begin(ctx context.Context, st launchpad.Store, kr *envelope.Keyring) error {
	current, previous := kr.CurrentKeyID(), kr.PreviousKeyID()
	_, err := st.UpdatePlatformKeys(ctx, func(k *launchpad.PlatformKeys) error {
		if k.Active == "" {
			k.Active = previous
		}
		if err := launchpad.CheckPlatformKey(k, current, previous); err != nil {
			return err
		}
		launchpad.ClaimPlatformKey(k, current, previous)
		return nil
	})
	return err
}

// activate makes the new key the store's active key and retires the old one, once every
// credential opens under it: from then on a process with only the old secret is refused
// before it seals anything.
func activate(ctx context.Context, st launchpad.Store, kr *envelope.Keyring) error {
	_, err := st.UpdatePlatformKeys(ctx, func(k *launchpad.PlatformKeys) error {
		launchpad.CompleteRotation(k, kr.CurrentKeyID())
		return nil
	})
	return err
}

// run is one rotation's state, shared by its workers.
type run struct {
	kr     *envelope.Keyring
	sealer *envelope.Sealer // reads (or creates) the users' key material
	opts   Options
	start  time.Time

	mu      sync.Mutex
	res     Result
	handled int
}

func newRun(kr *envelope.Keyring, st launchpad.UserKeyStore, opts Options) *run {
	if opts.BatchSize <= 0 {
		opts.BatchSize = DefaultBatchSize
	}
	if opts.Workers <= 0 {
		opts.Workers = DefaultWorkers
	}
	if opts.Actor == "" {
		opts.Actor = launchpad.ActorSystem
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &run{kr: kr, sealer: envelope.NewSealer(kr, st), opts: opts, start: opts.Now(), res: Result{KeyID: kr.CurrentKeyID()}}
}

func (r *run) result() Result {
	r.mu.Lock()
	defer r.mu.Unlock()
	res := r.res
	res.Failures = append([]Failure(nil), r.res.Failures...)
	res.Elapsed = r.opts.Now().Sub(r.start)
	return res
}

// users pages through every user, handing each page to the workers.
func (r *run) users(ctx context.Context, st launchpad.Store) error {
	after := ""
	for {
		if err := ctx.Err(); err != nil {
			return interrupted(err)
		}
		page, err := st.ListUsers(ctx, after, r.opts.BatchSize)
		if err != nil {
			return launchpad.Wrapf(err, "listing users after %q", after)
		}
		if len(page) == 0 {
			return nil
		}
		if err := r.page(ctx, st, page); err != nil {
			return err
		}
		after = page[len(page)-1].ID
	}
}

// page re-seals one page of users with up to Workers at once.
func (r *run) page(ctx context.Context, st launchpad.Store, page []*launchpad.User) error {
	return parallel(ctx, r.opts.Workers, page, func(ctx context.Context, u *launchpad.User) error {
		return r.user(ctx, st, u)
	})
}

// parallel calls fn for each item with up to workers calls at once. After the first error it
// starts no more calls, cancels those running, and returns that error; if the parent context
// ends first, it returns an interruption.
func parallel[T any](parent context.Context, workers int, items []T, fn func(context.Context, T) error) error {
	ctx, cancel := context.WithCancel(parent)
	defer cancel()
	next := make(chan T)
	errs := make(chan error, workers)
	var wg sync.WaitGroup
	for range min(workers, len(items)) {
		wg.Go(func() {
			for item := range next {
				if err := fn(ctx, item); err != nil {
					errs <- err
					cancel()
					return
				}
			}
		})
	}
feed:
	for _, item := range items {
		select {
		case next <- item:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return err
	}
	if err := parent.Err(); err != nil {
		return interrupted(err)
	}
	return nil
}

// fieldOutcome is what happened to one sealed field.
type fieldOutcome struct {
	resealed bool
	failure  *Failure
}

// user handles one user. A user whose fields are all under the current key is only checked
// (every value must open); the others are re-sealed in one UpdateUser transaction, on the
// record as it is at that moment.
func (r *run) user(ctx context.Context, st launchpad.Store, listed *launchpad.User) error {
	var outcomes []fieldOutcome
	key, err := r.userKey(ctx, listed)
	if err != nil {
		return err
	}
	if r.needsReseal(listed) {
		_, err := st.UpdateUser(ctx, listed.ID, func(u *launchpad.User) error {
			// fn may run again on a conflict: only the last run counts.
			outcomes = r.reseal(u, key)
			for _, o := range outcomes {
				if o.resealed {
					return nil
				}
			}
			return errNoChange
		})
		switch {
		case err == nil, errors.Is(err, errNoChange):
			// errNoChange: another writer got there first, or nothing opens.
		case launchpad.IsNotFound(err):
			outcomes = nil // deleted since the page was read
		case ctx.Err() != nil:
			return interrupted(ctx.Err())
		default:
			return launchpad.Wrapf(err, "re-sealing the credentials of user %s", listed.ID)
		}
	} else {
		outcomes = r.reseal(listed, key) // all current: opening each one checks it
	}
	r.record(outcomes)
	return nil
}

func (r *run) needsReseal(u *launchpad.User) bool {
	for _, p := range u.SealedFields() {
		if r.kr.NeedsReseal(*p) {
			return true
		}
	}
	return false
}

// userKey is the user's key material, read before the transaction that re-seals their
// fields: nil when they have no field to re-seal or open under it. Material that was erased
// (an account being deleted) is not an error here: each v2 field then fails on its own.
type userKey struct {
	material []byte
	err      error // why there is no material, for the fields that need it
}

func (r *run) userKey(ctx context.Context, u *launchpad.User) (userKey, error) {
	var values []string
	v2 := false
	for _, p := range u.SealedFields() {
		if *p == "" {
			continue
		}
		values = append(values, *p)
		if ver, err := envelope.Version(*p); err == nil && ver == "v2" {
			v2 = true
		}
	}
	if !v2 && !r.needsReseal(u) {
		return userKey{}, nil // v1 values under the current key: opened without material
	}
	material, err := r.sealer.KeyFor(ctx, u.ID, values...)
	switch {
	case err == nil:
		return userKey{material: material}, nil
	case errors.Is(err, envelope.ErrKeyErased), launchpad.IsNotFound(err):
		return userKey{err: err}, nil
	case ctx.Err() != nil:
		return userKey{}, interrupted(ctx.Err())
	}
	return userKey{}, launchpad.Wrapf(err, "reading the key material of user %s", u.ID)
}

// reseal re-seals u's fields in place and says what happened to each. A value under the
// current key is opened (ResealWith returns it unchanged), so one that no longer opens is
// found. Values move to v2 with the user's material, which does not change.
func (r *run) reseal(u *launchpad.User, key userKey) []fieldOutcome {
	fields := u.SealedFields()
	out := make([]fieldOutcome, len(fields))
	for i, p := range fields {
		needed := r.kr.NeedsReseal(*p)
		sealed, err := r.kr.ResealWith(*p, u.ID, key.material)
		if errors.Is(err, envelope.ErrNeedsUserKey) && key.err != nil {
			err = key.err
		}
		if err != nil {
			out[i].failure = &Failure{UserID: u.ID, Field: fieldName(u, p, i), Reason: launchpad.ErrorMessage(err)}
			continue
		}
		*p, out[i].resealed = sealed, needed
	}
	return out
}

// record adds one user's outcomes to the counts and reports progress.
func (r *run) record(outcomes []fieldOutcome) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.res.UsersScanned++
	updated := false
	for _, o := range outcomes {
		switch {
		case o.failure != nil:
			r.res.Failed++
			if len(r.res.Failures) < MaxReportedFailures {
				r.res.Failures = append(r.res.Failures, *o.failure)
			}
			r.opts.Logger.Warn("credential does not open under the current or the previous secret; left as it is",
				"user", o.failure.UserID, "field", o.failure.Field, "reason", o.failure.Reason)
		case o.resealed:
			r.res.Resealed++
			updated = true
		default:
			r.res.AlreadyCurrent++
		}
	}
	if updated {
		r.res.UsersUpdated++
	}
	r.handled++
	if r.opts.Progress != nil {
		r.opts.Progress(r.res)
	}
	if r.opts.AfterUser != nil {
		r.opts.AfterUser(r.handled)
	}
}

// audit writes the platform.secret_rotated event: counts and key ids, nothing secret.
func audit(ctx context.Context, st launchpad.Store, res Result, opts Options) error {
	details := map[string]string{
		"key_id":          res.KeyID,
		"users_scanned":   strconv.Itoa(res.UsersScanned),
		"users_updated":   strconv.Itoa(res.UsersUpdated),
		"resealed":        strconv.Itoa(res.Resealed),
		"already_current": strconv.Itoa(res.AlreadyCurrent),
		"failed":          strconv.Itoa(res.Failed),
		"activated":       strconv.FormatBool(res.Activated),
	}
	if opts.PreviousKeyID != "" {
		details["previous_key_id"] = opts.PreviousKeyID
	}
	_, err := st.AppendAudit(ctx, &launchpad.AuditEvent{
		Stream:  launchpad.PlatformStream,
		Actor:   opts.Actor,
		Action:  launchpad.AuditSecretRotated,
		Target:  res.KeyID,
		Details: details,
	})
	return err
}

// interrupted says how to finish after a cancellation. The error is EUNAVAILABLE for
// launchpad.ErrorCode and still matches the context's error for errors.Is.
func interrupted(cause error) error {
	return &interruptedError{
		coded: launchpad.Errorf(launchpad.EUNAVAILABLE, "rotation interrupted; run rotate-secret again to finish it (it skips what is already re-sealed)"),
		cause: cause,
	}
}

type interruptedError struct {
	coded *launchpad.Error
	cause error
}

func (e *interruptedError) Error() string   { return e.coded.Error() }
func (e *interruptedError) Unwrap() []error { return []error{e.coded, e.cause} }
