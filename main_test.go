package main

import (
	"testing"

	"github.com/clawdrun/terraform-provider-launchpad/controlplane"
	"github.com/clawdrun/terraform-provider-launchpad/internal/healthcheck"
)

// TestHealthcheckAsksWhereServeListens: with no LAUNCHPAD_ADDR, healthcheck asks serve's
// default address.
func TestHealthcheckAsksWhereServeListens(t *testing.T) {
	if healthcheck.DefaultAddr != controlplane.DefaultAddr {
		t.Fatalf("healthcheck asks %s by default, serve listens on %s", healthcheck.DefaultAddr, controlplane.DefaultAddr)
	}
}
