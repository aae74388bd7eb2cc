// Package invariants checks what Launchpad promises about a fleet of tenants, over what the
// simulators and the store hold after any run: one of everything per tenant and nothing
// else (no duplicate, no leak), no resource shared between two tenants, every volume
// encrypted and mounted by its own tenant's machine only, and no secret anywhere it must not
// reach (Terraform state, logs, audit entries, API answers).
//
// The chaos run (internal/chaos, `make chaos`) and the provider's fault tests call the same
// checks, so a promise is checked one way everywhere. Each check is a Result: how many
// subjects (tenants, apps, files) passed, and one line for each that failed. Failure lines
// name what is wrong; they never quote a secret.
package invariants

import (
	"errors"
	"fmt"
	"strings"
)

// Result is one invariant checked over many subjects.
type Result struct {
	Name     string
	Passed   int
	Failures []string
}

// Pass counts one subject that kept the invariant.
func (r *Result) Pass() { r.Passed++ }

// Fail records one subject that broke it, and why.
func (r *Result) Fail(format string, args ...any) {
	r.Failures = append(r.Failures, fmt.Sprintf(format, args...))
}

// Check counts a subject as passed when err is nil, else records err.
func (r *Result) Check(subject string, err error) {
	if err == nil {
		r.Pass()
		return
	}
	r.Fail("%s: %v", subject, err)
}

// Failed is how many subjects broke the invariant.
func (r Result) Failed() int { return len(r.Failures) }

// String is the one-line tally: "isolation: 20 passed, 0 failed".
func (r Result) String() string {
	return fmt.Sprintf("%s: %d passed, %d failed", r.Name, r.Passed, r.Failed())
}

// Err is nil when the invariant held over at least one subject; otherwise it lists the
// failures (the first ten), or says that nothing was checked — a check over nothing proves
// nothing.
func (r Result) Err() error {
	switch {
	case r.Failed() > 0:
		shown := r.Failures
		more := ""
		if len(shown) > 10 {
			shown, more = shown[:10], fmt.Sprintf("\n  … and %d more", len(r.Failures)-10)
		}
		return fmt.Errorf("%s:\n  %s%s", r.String(), strings.Join(shown, "\n  "), more)
	case r.Passed == 0:
		return errors.New(r.Name + ": nothing was checked")
	}
	return nil
}

// Join is the error of every result that has one.
func Join(rs ...Result) error {
	var errs []error
	for _, r := range rs {
		errs = append(errs, r.Err())
	}
	return errors.Join(errs...)
}
