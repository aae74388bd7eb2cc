package firestore

import (
	"bytes"
	"context"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
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
			return launchpad.Errorf(launchpad.ENOTFOUND, "there is no sign-in code for this email; request a new one")
		}
		counted = signInDoc{}
		if err := snap.DataTo(&counted); err != nil {
			return err
		}
		if err := usable(&counted, now); err != nil {
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
		return nil, launchpad.Errorf(launchpad.ERATELIMITED, "too many attempts for this sign-in code; request a new one")
	}
	if !match(clone(counted.HMAC)) {
		return nil, launchpad.Errorf(launchpad.EINVALID, "the sign-in code is wrong")
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
			return launchpad.Errorf(launchpad.EINVALID, "this sign-in code was already used; request a new one")
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

// usable returns EINVALID for a used or expired code.
func usable(d *signInDoc, now time.Time) error {
	switch {
	case d.Used:
		return launchpad.Errorf(launchpad.EINVALID, "this sign-in code was already used; request a new one")
	case !now.Before(fromTS(d.ExpiresAt)):
		return launchpad.Errorf(launchpad.EINVALID, "this sign-in code has expired; request a new one")
	}
	return nil
}
