package firestore

import (
	"context"
	"errors"
	"fmt"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// storeError turns an error of the Firestore client into a coded launchpad error while doing
// what: NotFound → ENOTFOUND; AlreadyExists, Aborted, FailedPrecondition → ECONFLICT;
// Unavailable, DeadlineExceeded, ResourceExhausted, and refused credentials → EUNAVAILABLE;
// InvalidArgument (a document Firestore cannot store) → EINVALID. Coded errors and errors of
// the caller's functions pass through unchanged. The client's own error stays in the chain
// for the logs; ErrorMessage shows only the coded message.
func storeError(err error, what string) error {
	var coded *launchpad.Error
	if err == nil || errors.As(err, &coded) {
		return err
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return wrap(launchpad.Errorf(launchpad.EUNAVAILABLE, "Firestore did not answer in time (%s); try again", what), err)
	}
	st, ok := status.FromError(err)
	if !ok {
		return fmt.Errorf("firestore: %s: %w", what, err)
	}
	switch st.Code() {
	case codes.NotFound:
		return wrap(launchpad.Errorf(launchpad.ENOTFOUND, "not found (%s)", what), err)
	case codes.AlreadyExists, codes.Aborted, codes.FailedPrecondition:
		return wrap(launchpad.Errorf(launchpad.ECONFLICT, "a concurrent change got there first (%s); try again", what), err)
	case codes.Unavailable, codes.DeadlineExceeded, codes.ResourceExhausted:
		e := launchpad.Errorf(launchpad.EUNAVAILABLE, "Firestore is unavailable (%s); try again", what)
		if st.Code() == codes.ResourceExhausted {
			e.Message = fmt.Sprintf("Firestore refused the request for a quota or rate limit (%s); try again later", what)
		}
		return wrap(e, err)
	case codes.PermissionDenied, codes.Unauthenticated:
		return wrap(launchpad.Errorf(launchpad.EUNAVAILABLE, "Firestore refused the credentials (%s): check Application Default Credentials and that the account may use Cloud Datastore", what), err)
	case codes.InvalidArgument:
		return wrap(launchpad.Errorf(launchpad.EINVALID, "Firestore cannot store this (%s): %s", what, st.Message()), err)
	}
	return fmt.Errorf("firestore: %s: %w", what, err)
}

// wrap keeps cause in the chain behind the coded error, so logs see both.
func wrap(coded *launchpad.Error, cause error) error {
	return fmt.Errorf("%w (%w)", coded, cause)
}

// notFound is the ENOTFOUND error of a missing record.
func notFound(what, key string) error {
	return launchpad.Errorf(launchpad.ENOTFOUND, "%s %q not found", what, launchpad.Clip(key, 200))
}

// taken is the ECONFLICT error of a key that is in use.
func taken(what, key string) error {
	return launchpad.Errorf(launchpad.ECONFLICT, "%s %q already exists", what, launchpad.Clip(key, 200))
}

// keyChanged is the EINVALID error of an update function that changed the record's key.
func keyChanged(what, from, field, to string) error {
	return launchpad.Errorf(launchpad.EINVALID, "%s %q: an update may not change %s (to %q); create a new %s instead", what, launchpad.Clip(from, 200), field, launchpad.Clip(to, 200), what)
}
