package main

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/harness/chaos/invariants"
)

// final checks the control plane's whole run (crash and load together): no job stuck, the
// audit chain, one of everything and isolation over every tenant, serve stopping cleanly, and
// no secret anywhere.
func (cp *controlPlaneRun) final(ctx context.Context) error {
	c := cp.c
	c.add("final", cp.checkJobs(ctx), cp.checkAudit(ctx))
	fleet, err := cp.fleet(ctx)
	if err != nil {
		return err
	}
	c.add("final", fleet.OneEach(cp.activeUsers(ctx)), fleet.Isolated())

	// serve drains and exits 0 on SIGTERM; its logs are complete after that.
	stopped := invariants.Result{Name: "serve stops cleanly on SIGTERM"}
	began := time.Now()
	var files []string
	for i, h := range cp.replicas() {
		if err := h.stop(); err != nil {
			stopped.Fail("serve (replica %d): %v", i+1, err)
		} else {
			stopped.Pass()
		}
		files = append(files, h.logFiles()...)
	}
	c.say("serve stopped on SIGTERM in %s", time.Since(began).Round(100*time.Millisecond))

	cp.stopWatch()
	<-cp.watchDone
	cp.collectSecrets(ctx)
	cp.mu.Lock()
	secrets := make([]invariants.Secret, 0, len(cp.collected))
	for _, s := range cp.collected {
		secrets = append(secrets, s)
	}
	cp.mu.Unlock()
	keys := len(secrets)
	secrets = append(secrets, c.platformSecrets(cp.sb)...)

	files = append(files, cp.sb.Log, filepath.Join(cp.dir, "plans.log"))
	hay, err := invariants.FileHaystacks(files...)
	if err != nil {
		return err
	}
	var users, jobKeys []string
	for after := ""; ; {
		page, err := cp.st.ListUsers(ctx, after, 500)
		if err != nil {
			return err
		}
		for _, u := range page {
			users = append(users, u.ID)
		}
		if len(page) < 500 {
			break
		}
		after = page[len(page)-1].ID
	}
	jobKeys = append(jobKeys, users...)
	for _, cu := range cp.customers {
		jobKeys = append(jobKeys, "stripe:"+cu.customer)
	}
	states, err := invariants.StateHaystacks(ctx, cp.st, users)
	if err != nil {
		return err
	}
	jobs, err := invariants.JobHaystacks(ctx, cp.st, jobKeys)
	if err != nil {
		return err
	}
	audit, err := invariants.AuditHaystacks(ctx, cp.st)
	if err != nil {
		return err
	}
	answers := cp.bodies.list()
	for i, b := range answers {
		hay = append(hay, invariants.Haystack{What: fmt.Sprintf("API answer #%d", i+1), Data: b})
	}
	hay = append(append(append(hay, states...), jobs...), audit...)
	c.say("looked for %d secrets (%d sub-keys seen in the store during the run, and the platform's) in %d logs, %d Terraform states, %d job logs, %d audit streams and %d distinct API answers",
		len(secrets), keys, len(files), len(states), len(jobs), len(audit), len(answers))
	c.add("final", stopped, invariants.NoSecrets(secrets, hay))
	return nil
}
