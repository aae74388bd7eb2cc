package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/envelope"
	"github.com/clawdrun/terraform-provider-launchpad/internal/harness/chaos/invariants"
	"github.com/clawdrun/terraform-provider-launchpad/internal/harness/stack"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sim"
	"github.com/clawdrun/terraform-provider-launchpad/internal/store"
)

// cloudFaults are the faults both simulators inject in the faults scenario (the provider's
// TestAccFleet_convergesUnderCloudFaults uses the same, on a smaller fleet).
var cloudFaults = sim.Faults{ErrorRate: 0.2, RateLimitRate: 0.05, RetryAfter: time.Second, DropRate: 0.05, Latency: 5 * time.Millisecond}

func faultFlags(f sim.Faults, seed int64) []string {
	return []string{
		"--fault-rate", strconv.FormatFloat(f.ErrorRate, 'g', -1, 64),
		"--rate-limit-rate", strconv.FormatFloat(f.RateLimitRate, 'g', -1, 64),
		"--retry-after", f.RetryAfter.String(),
		"--drop-rate", strconv.FormatFloat(f.DropRate, 'g', -1, 64),
		"--latency", f.Latency.String(),
		"--seed", strconv.FormatInt(seed, 10),
	}
}

// fleetConfig is a fleet of users, one plan, a sub-key and a tenant each; the provider's
// settings come from the environment.
func fleetConfig(users []string) string {
	quoted := make([]string, len(users))
	for i, u := range users {
		quoted[i] = strconv.Quote(u)
	}
	return `terraform {
  required_providers {
    launchpad = { source = "clawdrun/launchpad" }
  }
}

provider "launchpad" {}

locals {
  users = toset([` + strings.Join(quoted, ", ") + `])
}

resource "launchpad_plan" "starter" {
  name                    = "starter"
  stripe_price_id         = "price_ChaosStarter"
  monthly_spend_limit_usd = 10
  machine_hours_per_cycle = 100
  volume_size_gb          = 5
  guest = {
    cpu_kind  = "shared"
    cpus      = 1
    memory_mb = 1024
  }
}

resource "launchpad_subkey" "user" {
  for_each = local.users
  user_id  = each.value
  plan     = launchpad_plan.starter.name
}

resource "launchpad_tenant" "user" {
  for_each    = local.users
  user_id     = each.value
  product     = "hermes"
  region      = "iad"
  plan        = launchpad_plan.starter.name
  image       = "registry.fly.io/hermes-agent:1.4.2"
  subkey_hash = launchpad_subkey.user[each.value].hash
}
`
}

// faultsScenario applies and destroys a fleet while both clouds misbehave.
func (c *chaos) faultsScenario(ctx context.Context) error {
	dir := filepath.Join(c.work, "faults")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	seed := c.rand.Int64N(1 << 40)
	sb, err := stack.StartSandbox(ctx, c.o.Binary, dir, "sandbox", stack.BaseEnv(), faultFlags(cloudFaults, seed)...)
	if err != nil {
		return err
	}
	c.onStop(func() { _ = sb.Stop(10 * time.Second) })
	c.say("sandbox (pid %d) injects %.0f%% 500s, %.0f%% 429s (Retry-After %s), drops %.0f%% of answers after applying them, adds %s; fault seed %d",
		sb.Pid(), cloudFaults.ErrorRate*100, cloudFaults.RateLimitRate*100, cloudFaults.RetryAfter, cloudFaults.DropRate*100, cloudFaults.Latency, seed)

	var users []string
	for i := 1; i <= c.o.tenants; i++ {
		users = append(users, fmt.Sprintf("fleet%03d", i))
	}
	storeURL, err := c.storeURL(ctx, dir, "faults")
	if err != nil {
		return err
	}
	env := stack.BaseEnv()
	for _, k := range stack.SandboxVars {
		env[k] = sb.Env[k]
	}
	env["FLY_ORG"], env["LAUNCHPAD_STORE"], env["PLATFORM_SECRET"] = "chaos", storeURL, c.secrets.platform
	ws := filepath.Join(dir, "fleet")
	if err := os.MkdirAll(ws, 0o700); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(ws, "main.tf"), []byte(fleetConfig(users)), 0o600); err != nil {
		return err
	}
	tofuLog := filepath.Join(dir, "tofu.log")
	logFile, err := os.Create(tofuLog)
	if err != nil {
		return err
	}
	defer logFile.Close()
	var output bytes.Buffer
	tf, err := stack.Tofu{Tofu: c.o.Tofu, Binary: c.o.Binary, Dir: ws, Env: env, Log: logFile}.New(&output)
	if err != nil {
		return err
	}

	// Apply: one run must do it. Should it not, up to two more runs show whether the fleet
	// converges at all (a finding either way).
	applies := invariants.Result{Name: fmt.Sprintf("a fleet of %d tenants converges in one tofu apply", len(users))}
	began := time.Now()
	runs := 0
	for runs < 3 {
		runs++
		output.Reset()
		err := tf.Apply(ctx)
		if err == nil {
			break
		}
		if ctx.Err() != nil {
			return err
		}
		applies.Fail("apply #%d failed: %s", runs, lastError(output.String()))
	}
	if runs == 1 && applies.Failed() == 0 {
		applies.Pass()
	}
	took := time.Since(began)
	flyStats, orStats, err := sb.FaultStats(ctx)
	if err != nil {
		return err
	}
	c.say("tofu apply: %d run(s), %s; %s", runs, took.Round(100*time.Millisecond), stack.LastSummary(output.Bytes()))
	c.say("faults injected — fly: %d requests, %d 500s, %d 429s, %d dropped; openrouter: %d requests, %d 500s, %d 429s, %d dropped",
		flyStats.Requests, flyStats.Errors, flyStats.RateLimited, flyStats.Dropped, orStats.Requests, orStats.Errors, orStats.RateLimited, orStats.Dropped)

	st, err := store.Open(ctx, storeURL)
	if err != nil {
		return err
	}
	defer st.Close()
	keyring, err := envelope.NewKeyring(c.secrets.platform, "")
	if err != nil {
		return err
	}
	fly, err := sb.Fly(ctx)
	if err != nil {
		return err
	}
	or, err := sb.OpenRouter(ctx)
	if err != nil {
		return err
	}
	fleet, err := invariants.ReadFleet(ctx, st, fly, or)
	if err != nil {
		return err
	}
	secrets, err := invariants.SealedSecrets(ctx, st, keyring)
	if err != nil {
		return err
	}
	secrets = append(secrets, c.platformSecrets(sb)...)
	hay, err := invariants.FileHaystacks(filepath.Join(ws, "terraform.tfstate"), tofuLog, sb.Log)
	if err != nil {
		return err
	}
	audit, err := invariants.AuditHaystacks(ctx, st)
	if err != nil {
		return err
	}
	one, iso := fleet.OneEach(users), fleet.Isolated()
	noSecret := invariants.NoSecrets(secrets, append(hay, audit...))
	c.add("faults", applies, one, iso, noSecret)

	// Destroy, under the same faults.
	destroys := invariants.Result{Name: "the fleet's destroy converges in one tofu destroy"}
	output.Reset()
	began = time.Now()
	if err := tf.Destroy(ctx); err != nil {
		if ctx.Err() != nil {
			return err
		}
		destroys.Fail("destroy failed: %s", lastError(output.String()))
		output.Reset()
		if err := tf.Destroy(ctx); err != nil {
			destroys.Fail("a second destroy failed too: %s", lastError(output.String()))
		}
	} else {
		destroys.Pass()
	}
	c.say("tofu destroy: %s; %s", time.Since(began).Round(100*time.Millisecond), stack.LastSummary(output.Bytes()))
	if fly, err = sb.Fly(ctx); err != nil {
		return err
	}
	if or, err = sb.OpenRouter(ctx); err != nil {
		return err
	}
	if fleet, err = invariants.ReadFleet(ctx, st, fly, or); err != nil {
		return err
	}
	empty := fleet.Empty()
	c.add("faults", destroys, empty)

	lost := "nothing"
	if one.Failed()+empty.Failed() > 0 {
		lost = "see failures"
	}
	c.row(scenarioRow{
		scenario: fmt.Sprintf("cloud faults: %.0f%% 500, %.0f%% 429, %.0f%% dropped, %s", cloudFaults.ErrorRate*100, cloudFaults.RateLimitRate*100, cloudFaults.DropRate*100, cloudFaults.Latency),
		runs:     fmt.Sprintf("%d apply + 1 destroy", runs),
		subjects: fmt.Sprintf("%d tenants, %d API requests", len(users), flyStats.Requests+orStats.Requests),
		lost:     lost,
	})
	return sb.Stop(10 * time.Second)
}

// platformSecrets are the secrets of the platform itself that must appear nowhere.
func (c *chaos) platformSecrets(sandboxes ...*stack.Sandbox) []invariants.Secret {
	out := []invariants.Secret{
		{What: "the platform secret", Value: c.secrets.platform},
		{What: "the admin token", Value: c.secrets.admin},
		{What: "the Stripe webhook secret", Value: c.secrets.webhook},
	}
	if c.pgPassword != "" {
		out = append(out, invariants.Secret{What: "the PostgreSQL password (in LAUNCHPAD_STORE)", Value: c.pgPassword})
	}
	for _, sb := range sandboxes {
		out = append(out,
			invariants.Secret{What: "the Fly API token", Value: sb.Env["FLY_API_TOKEN"]},
			invariants.Secret{What: "the OpenRouter management key", Value: sb.Env["OPENROUTER_MANAGEMENT_KEY"]})
	}
	return out
}

// lastError is the first "Error:" paragraph of tofu's output, shortened.
func lastError(out string) string {
	i := strings.Index(out, "Error: ")
	if i < 0 {
		return stack.Truncate(strings.TrimSpace(out), 300)
	}
	return stack.Truncate(strings.Join(strings.Fields(out[i:]), " "), 400)
}
