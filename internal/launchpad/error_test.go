package launchpad_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// The code strings are part of the contract: the HTTP layer and the provider map them.
func TestErrorCodeValues(t *testing.T) {
	for code, want := range map[string]string{
		launchpad.ENOTFOUND:     "not_found",
		launchpad.ECONFLICT:     "conflict",
		launchpad.EINVALID:      "invalid",
		launchpad.EUNAUTHORIZED: "unauthorized",
		launchpad.ERATELIMITED:  "rate_limited",
		launchpad.EUNAVAILABLE:  "unavailable",
		launchpad.EINTERNAL:     "internal",
	} {
		if code != want {
			t.Errorf("code %q, want %q", code, want)
		}
	}
}

func TestErrorCodeAndMessage(t *testing.T) {
	coded := launchpad.Errorf(launchpad.ENOTFOUND, "tenant %q not found", "lp-h-a-1")
	limited := &launchpad.Error{Code: launchpad.ERATELIMITED, Message: "slow down", RetryAfter: 30 * time.Second}
	for _, tc := range []struct {
		name       string
		err        error
		code, msg  string
		retryAfter time.Duration
	}{
		{"nil", nil, "", "", 0},
		{"coded", coded, launchpad.ENOTFOUND, `tenant "lp-h-a-1" not found`, 0},
		{"wrapped once", fmt.Errorf("get tenant: %w", coded), launchpad.ENOTFOUND, `tenant "lp-h-a-1" not found`, 0},
		{"wrapped twice", fmt.Errorf("apply: %w", fmt.Errorf("get tenant: %w", coded)), launchpad.ENOTFOUND, `tenant "lp-h-a-1" not found`, 0},
		{"joined", errors.Join(errors.New("other"), coded), launchpad.ENOTFOUND, `tenant "lp-h-a-1" not found`, 0},
		{"first coded error wins", fmt.Errorf("%w: %w", launchpad.Errorf(launchpad.ECONFLICT, "taken"), coded), launchpad.ECONFLICT, "taken", 0},
		{"retry after", fmt.Errorf("openrouter: %w", limited), launchpad.ERATELIMITED, "slow down", 30 * time.Second},
		{"uncoded", errors.New("dial tcp 10.0.0.1:5432: password=hunter2 refused"), launchpad.EINTERNAL, "Internal error.", 0},
		{"uncoded wrapped", fmt.Errorf("store: %w", errors.New("disk full")), launchpad.EINTERNAL, "Internal error.", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := launchpad.ErrorCode(tc.err); got != tc.code {
				t.Errorf("ErrorCode = %q, want %q", got, tc.code)
			}
			if got := launchpad.ErrorMessage(tc.err); got != tc.msg {
				t.Errorf("ErrorMessage = %q, want %q", got, tc.msg)
			}
			if got := launchpad.ErrorRetryAfter(tc.err); got != tc.retryAfter {
				t.Errorf("ErrorRetryAfter = %v, want %v", got, tc.retryAfter)
			}
		})
	}
}

func TestErrorText(t *testing.T) {
	err := launchpad.Errorf(launchpad.EINVALID, "plan %q: %d is too many", "pro", 745)
	if got, want := err.Error(), `invalid: plan "pro": 745 is too many`; got != want {
		t.Fatalf("Error() = %q, want %q", got, want)
	}
	if err.Code != launchpad.EINVALID || err.Message != `plan "pro": 745 is too many` {
		t.Fatalf("Errorf fields = %+v", err)
	}
}

func TestIsNotFoundAndIsConflict(t *testing.T) {
	notFound := fmt.Errorf("x: %w", launchpad.Errorf(launchpad.ENOTFOUND, "gone"))
	conflict := launchpad.Errorf(launchpad.ECONFLICT, "taken")
	for _, tc := range []struct {
		err                 error
		notFound, conflicts bool
	}{
		{notFound, true, false},
		{conflict, false, true},
		{errors.New("plain"), false, false},
		{nil, false, false},
	} {
		if got := launchpad.IsNotFound(tc.err); got != tc.notFound {
			t.Errorf("IsNotFound(%v) = %v", tc.err, got)
		}
		if got := launchpad.IsConflict(tc.err); got != tc.conflicts {
			t.Errorf("IsConflict(%v) = %v", tc.err, got)
		}
	}
}
