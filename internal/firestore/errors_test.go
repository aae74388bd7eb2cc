package firestore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

func TestStoreErrorCodes(t *testing.T) {
	for _, c := range []struct {
		err  error
		want string
	}{
		{status.Error(codes.NotFound, "no document"), launchpad.ENOTFOUND},
		{status.Error(codes.AlreadyExists, "exists"), launchpad.ECONFLICT},
		{status.Error(codes.Aborted, "too much contention"), launchpad.ECONFLICT},
		{status.Error(codes.FailedPrecondition, "stored version differs"), launchpad.ECONFLICT},
		{status.Error(codes.Unavailable, "connection refused"), launchpad.EUNAVAILABLE},
		{status.Error(codes.DeadlineExceeded, "deadline"), launchpad.EUNAVAILABLE},
		{status.Error(codes.ResourceExhausted, "quota"), launchpad.EUNAVAILABLE},
		{status.Error(codes.PermissionDenied, "denied"), launchpad.EUNAVAILABLE},
		{status.Error(codes.Unauthenticated, "no token"), launchpad.EUNAVAILABLE},
		{status.Error(codes.InvalidArgument, "value too long"), launchpad.EINVALID},
		{status.Error(codes.Internal, "boom"), launchpad.EINTERNAL},
		{context.DeadlineExceeded, launchpad.EUNAVAILABLE},
		{fmt.Errorf("wrapped: %w", context.DeadlineExceeded), launchpad.EUNAVAILABLE},
		{errors.New("anything else"), launchpad.EINTERNAL},
	} {
		got := storeError(c.err, "doing a thing")
		if code := launchpad.ErrorCode(got); code != c.want {
			t.Errorf("storeError(%v) has code %q, want %q", c.err, code, c.want)
		}
		if !errors.Is(got, c.err) {
			t.Errorf("storeError(%v) lost the cause from the chain", c.err)
		}
		if c.want != launchpad.EINTERNAL && !strings.Contains(launchpad.ErrorMessage(got), "doing a thing") {
			t.Errorf("storeError(%v) message %q does not say what failed", c.err, launchpad.ErrorMessage(got))
		}
	}
	coded := launchpad.Errorf(launchpad.ENOTFOUND, "user %q not found", "u1")
	if got := storeError(coded, "x"); got != error(coded) {
		t.Errorf("storeError changed an already coded error to %v", got)
	}
	if storeError(nil, "x") != nil {
		t.Error("storeError(nil) is not nil")
	}
}

func TestLostRace(t *testing.T) {
	for code, want := range map[codes.Code]bool{
		codes.FailedPrecondition: true, codes.AlreadyExists: true, codes.NotFound: true, codes.Aborted: true,
		codes.Unavailable: false, codes.InvalidArgument: false, codes.PermissionDenied: false,
	} {
		if got := lostRace(status.Error(code, "x")); got != want {
			t.Errorf("lostRace(%s) = %v, want %v", code, got, want)
		}
	}
}
