package firestore

import (
	"bytes"
	"context"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/store/contract"
)

// signInDoc is the one current sign-in code of an email (launchpad_signin_codes/{email}); only
// the code's HMAC is stored.
type signInDoc struct {
	Email     string     `firestore:"email"`
	HMAC      []byte     `firestore:"hmac"`
	CreatedAt *time.Time `firestore:"createdAt"`
	ExpiresAt *time.Time `firestore:"expiresAt"`
	Attempts  int64      `firestore:"attempts"`
	Used      bool       `firestore:"used"`
}

func (d *signInDoc) code() *launchpad.SignInCode {
	return &launchpad.SignInCode{
		Email: d.Email, HMAC: clone(d.HMAC), CreatedAt: fromTS(d.CreatedAt), ExpiresAt: fromTS(d.ExpiresAt),
		Attempts: int(d.Attempts), Used: d.Used,
	}
}

// sameCode reports whether d is still the code that was read as o (PutSignInCode did not
// replace it in between).
func (d *signInDoc) sameCode(o *signInDoc) bool {
	return bytes.Equal(d.HMAC, o.HMAC) && fromTS(d.CreatedAt).Equal(fromTS(o.CreatedAt)) && fromTS(d.ExpiresAt).Equal(fromTS(o.ExpiresAt))
}

// PutSignInCode stores c as the only code of c.Email, replacing any earlier one and its
// attempt count (one unconditional write: a verification racing with it fails its
// precondition and reads the new code).
func (s *Store) PutSignInCode(ctx context.Context, c *launchpad.SignInCode) error {
	doc := &signInDoc{
		Email: c.Email, HMAC: clone(c.HMAC), CreatedAt: ts(c.CreatedAt), ExpiresAt: ts(c.ExpiresAt),
		Attempts: int64(c.Attempts), Used: c.Used,
	}
	return s.atomically(ctx, "store sign-in code", func(b *batch) error {
		b.set(s.doc(s.col.signInCodes, c.Email), doc)
		return nil
	})
}

// VerifySignInCode checks a guess against email's current code. First the attempt is counted
// — a commit conditional on the code being unchanged, so parallel guesses from any number of
// processes are counted one by one — and only then, for an attempt within maxAttempts, is
// match called, once. A right guess then marks the code used, again conditionally, so that a
// code is used once and a code replaced in between is not.
func (s *Store) VerifySignInCode(ctx context.Context, email string, now time.Time, maxAttempts int, match func(hmac []byte) bool) (*launchpad.SignInCode, error) {
	ref := s.doc(s.col.signInCodes, email)
	var counted signInDoc
	err := s.atomically(ctx, "count sign-in attempt", func(b *batch) error {
		snap, err := s.get(ctx, ref)
		if err != nil {
			return err
		}
		if !snap.Exists() {
			return contract.NoSignInCode()
		}
		counted = signInDoc{}
		if err := snap.DataTo(&counted); err != nil {
			return err
		}
		if err := contract.SignInCodeUsable(counted.Used, fromTS(counted.ExpiresAt), now); err != nil {
			return err
		}
		counted.Attempts++
		b.put(snap, &counted)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if counted.Attempts > int64(maxAttempts) {
		return nil, contract.TooManyGuesses()
	}
	if !match(clone(counted.HMAC)) {
		return nil, contract.WrongSignInCode()
	}

	var out *launchpad.SignInCode
	err = s.atomically(ctx, "use sign-in code", func(b *batch) error {
		snap, err := s.get(ctx, ref)
		if err != nil {
			return err
		}
		var cur signInDoc
		if snap.Exists() {
			if err := snap.DataTo(&cur); err != nil {
				return err
			}
		}
		if !snap.Exists() || !cur.sameCode(&counted) {
			return launchpad.Errorf(launchpad.EINVALID, "this sign-in code was replaced by a newer one; use the newest code")
		}
		if cur.Used {
			return contract.SignInCodeUsed()
		}
		cur.Used = true
		b.put(snap, &cur)
		out = cur.code()
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// usedTokenDoc marks a spent single-use token (launchpad_used_tokens/{id}) until its expiry.
type usedTokenDoc struct {
	ExpiresAt *time.Time `firestore:"expiresAt"`
}

// usedTokenPurge is how many expired markers a successful UseToken deletes at most.
const usedTokenPurge = 20

// UseToken spends a single-use token: the marker is created on condition that it does not
// exist (or replaces an expired one on condition that it is unchanged), so of concurrent uses
// exactly one commits; a loser runs again, finds the marker and is refused. Expired markers
// are then purged, a few at a time, best effort (a Firestore TTL policy on expiresAt does the
// same without it).
func (s *Store) UseToken(ctx context.Context, id string, expiresAt, now time.Time) error {
	ref := s.doc(s.col.usedTokens, id)
	err := s.atomically(ctx, "use token", func(b *batch) error {
		snap, err := s.get(ctx, ref)
		if err != nil {
			return err
		}
		if snap.Exists() {
			var d usedTokenDoc
			if err := snap.DataTo(&d); err != nil {
				return err
			}
			if now.Before(fromTS(d.ExpiresAt)) {
				return contract.TokenUsed()
			}
		}
		b.put(snap, &usedTokenDoc{ExpiresAt: ts(expiresAt)})
		return nil
	})
	if err != nil {
		return err
	}
	s.purgeUsedTokens(ctx, now)
	return nil
}

// purgeUsedTokens deletes a few markers expired at now, in one commit conditional on each
// being unchanged. Failures are ignored: the next use tries again.
func (s *Store) purgeUsedTokens(ctx context.Context, now time.Time) {
	snaps, err := s.client.Collection(s.col.usedTokens).Where("expiresAt", "<=", micro(now)).Limit(usedTokenPurge).Documents(ctx).GetAll()
	if err != nil || len(snaps) == 0 {
		return
	}
	b := &batch{}
	for _, snap := range snaps {
		b.remove(snap)
	}
	_ = s.commit(ctx, b) // once: a marker changed meanwhile is left for a later purge
}
