package postgres_test

import (
	"testing"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// TestConformance runs the conformance suite every launchpad.Store must pass, each case in a
// schema of its own on the test server, in parallel. A case that skips counts against the
// store: the issue asks for the whole suite with nothing skipped.
func TestConformance(t *testing.T) {
	requireServer(t)
	conformance.Run(t, "postgres ("+serverAbout+")", func(t *testing.T) launchpad.Store { return newTestStore(t) })
}
