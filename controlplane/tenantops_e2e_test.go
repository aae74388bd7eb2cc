package controlplane

import (
	"context"
	"crypto/sha256"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/controlplane/billing/billingtest"
	"github.com/clawdrun/terraform-provider-launchpad/controlplane/operator"
	"github.com/clawdrun/terraform-provider-launchpad/internal/envelope"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sim"
)

// provision signs email in and pays for the starter plan through signed webhooks, then waits
// for the real apply to create the tenant. It returns the access token, the user id and the
// tenant record.
func (s *stack) provision(email string) (string, string, *launchpad.Tenant) {
	s.t.Helper()
	token := s.signIn(email)
	user := s.me(token).User.ID
	base := time.Now().Truncate(time.Second)
	customer, sub := "cus_"+user, "sub_"+user
	// Stripe's event ids are random: named after the user, they would put the user id in the
	// events' de-duplication record, which an account deletion keeps.
	evt := fmt.Sprintf("%.12x", sha256.Sum256([]byte(user)))
	s.deliver(billingtest.CheckoutCompleted("evt_checkout_"+evt, base, billingtest.Checkout{ID: "cs_" + user, Customer: customer, UserID: user, Email: email, Subscription: sub}).Body)
	s.deliver(billingtest.SubscriptionCreated("evt_created_"+evt, base, billingtest.Subscription{ID: sub, Customer: customer, Status: "active", Price: "price_StarterMonthly", PeriodStart: base.Truncate(24 * time.Hour)}).Body)
	var tn *launchpad.Tenant
	took := waitFor(s.t, "the tenant of "+user, 3*time.Minute, func() bool {
		tn = s.tenantOf(user)
		return tn != nil && tn.MachineID != "" && len(succeeded(s.applies(user))) == 1
	})
	s.t.Logf("MEASURED checkout to tenant running (through serve): %s", took.Round(time.Millisecond))
	return token, user, tn
}

// tenantOf is the user's tenant record, nil while there is none.
func (s *stack) tenantOf(user string) *launchpad.Tenant {
	s.t.Helper()
	ts, err := s.store.ListTenants(context.Background(), launchpad.TenantFilter{UserID: user})
	if err != nil {
		s.t.Fatal(err)
	}
	if len(ts) == 0 {
		return nil
	}
	return ts[0]
}

// action posts an admin tenant action as the operator and decodes its answer.
func (s *stack) action(user, name, operatorName string, want int) *TenantActionResponse {
	s.t.Helper()
	r := s.do(http.MethodPost, "/api/admin/tenants/"+user+"/"+name, stackAdminToken, map[string]string{operator.OperatorHeader: operatorName}, nil)
	mustStatus(s.t, r, want)
	var a TenantActionResponse
	r.decode(s.t, &a)
	return &a
}

// finished waits for a job to succeed and fails the test, with its log, if it fails.
func (s *stack) finished(id string) JobJSON {
	s.t.Helper()
	var j JobJSON
	took := waitFor(s.t, "job "+id, 3*time.Minute, func() bool {
		r := s.admin(http.MethodGet, "/api/admin/jobs/"+id)
		r.decode(s.t, &j)
		if j.Status == launchpad.JobFailed {
			log := s.admin(http.MethodGet, "/api/admin/jobs/"+id+"/log?follow=false")
			s.t.Fatalf("job %s failed: %s\n%s", id, j.Error, log.body)
		}
		return j.Status == launchpad.JobSucceeded
	})
	s.t.Logf("MEASURED job %s (%s) queued to succeeded: %s", id, j.Apply.Reason, took.Round(time.Millisecond))
	return j
}

// spend makes one completion at the OpenRouter simulator's gateway with key, costing usd,
// and returns the gateway's status.
func (s *stack) spend(key string, usd float64) int {
	s.t.Helper()
	req, err := http.NewRequest(http.MethodPost, s.or.URL+"/chat/completions", strings.NewReader(`{"model":"openrouter/auto","messages":[{"role":"user","content":"hi"}]}`))
	if err != nil {
		s.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Sim-Cost-USD", fmt.Sprint(usd))
	res, err := s.hc.Do(req)
	if err != nil {
		s.t.Errorf("gateway: %v", err)
		return 0
	}
	res.Body.Close()
	return res.StatusCode
}

// keyring opens what the stack's store holds sealed.
func (s *stack) keyring() *envelope.Keyring {
	s.t.Helper()
	kr, err := envelope.NewKeyring(testSecret, "")
	if err != nil {
		s.t.Fatal(err)
	}
	return kr
}

// storedKey opens the user's sealed sub-key: the key the provider delivers to the tenant.
func (s *stack) storedKey(kr *envelope.Keyring, user string) (plaintext, hash string) {
	s.t.Helper()
	u, err := s.store.GetUser(context.Background(), user)
	if err != nil {
		s.t.Fatal(err)
	}
	p, err := envelope.NewSealer(kr, s.store).Open(context.Background(), u.OpenRouterKey, user)
	if err != nil {
		s.t.Fatalf("the user's sealed sub-key does not open: %v", err)
	}
	return string(p), u.OpenRouterKeyHash
}

// secretDigest is the digest of the app's model-key secret on the Fly simulator.
func (s *stack) secretDigest(app string) string {
	for _, a := range s.fly.Sim.Snapshot().Apps {
		for _, sec := range a.Secrets {
			if a.Name == app && sec.Name == launchpad.KeySecretName {
				return sec.Digest
			}
		}
	}
	return ""
}

// machine is the app's machine on the Fly simulator.
func (s *stack) machine(app, id string) sim.MachineSnapshot {
	s.t.Helper()
	for _, a := range s.fly.Sim.Snapshot().Apps {
		for _, m := range a.Machines {
			if a.Name == app && m.ID == id {
				return m
			}
		}
	}
	s.t.Fatalf("machine %s of %s is not on the simulator", id, app)
	return sim.MachineSnapshot{}
}

// auditOf reads the user's own audit stream through GET /api/audit, newest first.
func (s *stack) auditOf(token string) []AuditEventJSON {
	s.t.Helper()
	r := s.do(http.MethodGet, "/api/audit?limit=200", token, nil, nil)
	mustStatus(s.t, r, http.StatusOK)
	var page AuditPage
	r.decode(s.t, &page)
	return page.Events
}

func findEvent(events []AuditEventJSON, action, phase string) *AuditEventJSON {
	for i := range events {
		if events[i].Action == action && (phase == "" || events[i].Details["phase"] == phase) {
			return &events[i]
		}
	}
	return nil
}

// TestRotateKeyUnderLoadNeverLeavesTheTenantWithoutAKey rotates a tenant's sub-key through
// the admin API while a spender uses, the whole time, the key the tenant holds: the one whose
// digest is its Fly app secret, opened from the user's sealed record with the platform
// secret. At no moment does the key the tenant holds fail to spend (the old key works until
// the new one is in place); afterwards the old key answers 401 at the gateway and the new one
// spends. The rotation is audited as requested by the operator, then as done by the provider.
func TestRotateKeyUnderLoadNeverLeavesTheTenantWithoutAKey(t *testing.T) {
	s := startFleet(t, nil)
	token, user, tn := s.provision("rosa@example.com")
	kr := s.keyring()
	oldKey, oldHash := s.storedKey(kr, user)
	if s.secretDigest(tn.AppName) != sim.SecretDigest(oldKey) {
		t.Fatal("the tenant's app secret is not the user's sub-key")
	}

	var (
		mu         sync.Mutex
		known      = map[string]string{} // digest → plaintext, of every key the store has held
		spent      atomic.Int64
		keysUsed   sync.Map
		violations []string
		stale      atomic.Int64 // refusals after the tenant had already moved to the next key
	)
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ctx.Err() == nil {
			p, _ := s.storedKey(kr, user)
			mu.Lock()
			known[sim.SecretDigest(p)] = p
			mu.Unlock()
			digest := s.secretDigest(tn.AppName)
			mu.Lock()
			key, ok := known[digest]
			mu.Unlock()
			if !ok {
				continue // delivered after this pass read the store: the next pass knows it
			}
			status := s.spend(key, 0.0001)
			if status == http.StatusOK {
				spent.Add(1)
				keysUsed.Store(digest, true)
				continue
			}
			if now := s.secretDigest(tn.AppName); now != digest {
				stale.Add(1) // the tenant held the next key by the time it spent: not a gap
				continue
			}
			mu.Lock()
			violations = append(violations, fmt.Sprintf("%s: the key the tenant holds (digest %s) answered %d", time.Now().Format(time.StampMicro), digest, status))
			mu.Unlock()
		}
	}()
	waitFor(t, "the spender to get going", time.Minute, func() bool { return spent.Load() >= 20 })

	a := s.action(user, "rotate-key", "ops-rosa", http.StatusAccepted)
	if a.Generation != 1 || a.Job == nil || a.Action != "key_rotation" {
		t.Fatalf("rotate-key answered %+v", a)
	}
	s.finished(a.Job.ID)
	before := spent.Load()
	waitFor(t, "spending with the new key", time.Minute, func() bool { return spent.Load() >= before+20 })
	stop()
	<-done

	if len(violations) > 0 {
		t.Fatalf("the tenant was left without a working key %d times:\n%s", len(violations), strings.Join(violations, "\n"))
	}
	newKey, newHash := s.storedKey(kr, user)
	tn = s.tenantOf(user)
	if newHash == oldHash || tn.SubKeyHash != newHash || s.secretDigest(tn.AppName) != sim.SecretDigest(newKey) {
		t.Fatalf("after the rotation: user key %s (was %s), tenant key %s, app secret is the new key: %v",
			newHash, oldHash, tn.SubKeyHash, s.secretDigest(tn.AppName) == sim.SecretDigest(newKey))
	}
	used := 0
	keysUsed.Range(func(_, _ any) bool { used++; return true })
	if used != 2 {
		t.Fatalf("the spender used %d keys; want the old and the new", used)
	}
	t.Logf("MEASURED %d completions spent through the rotation (%d refusals after the tenant had moved on)", spent.Load(), stale.Load())
	if got := s.spend(oldKey, 0.0001); got != http.StatusUnauthorized {
		t.Fatalf("the old key answers %d at the gateway; want 401", got)
	}
	if got := s.spend(newKey, 0.0001); got != http.StatusOK {
		t.Fatalf("the new key answers %d at the gateway; want 200", got)
	}

	events := s.auditOf(token)
	req := findEvent(events, launchpad.AuditKeyRotated, "requested")
	if req == nil || req.Actor != "operator:ops-rosa" || req.Details["generation"] != "1" || req.Target != oldHash {
		t.Fatalf("the requested rotation in the user's audit: %+v", req)
	}
	var done2 *AuditEventJSON
	for i := range events {
		if events[i].Action == launchpad.AuditKeyRotated && events[i].Details["phase"] == "" {
			done2 = &events[i]
		}
	}
	if done2 == nil || done2.Target != newHash || done2.Details["previous"] != oldHash || done2.Seq < req.Seq {
		t.Fatalf("the provider's rotation event %+v (request at seq %d)", done2, req.Seq)
	}

	// The user rotates their own key too.
	r := s.do(http.MethodPost, "/api/me/rotate-key", token, nil, nil)
	mustStatus(t, r, http.StatusAccepted)
	var mine TenantActionResponse
	r.decode(t, &mine)
	s.finished(mine.Job.ID)
	third, thirdHash := s.storedKey(kr, user)
	if mine.Generation != 2 || thirdHash == newHash || s.spend(newKey, 0.0001) != http.StatusUnauthorized || s.spend(third, 0.0001) != http.StatusOK {
		t.Fatalf("the user's own rotation: %+v; key %s", mine, thirdHash)
	}
	s.assertNoSecretsInLogs()
	for _, k := range []string{oldKey, newKey, third} {
		if strings.Contains(s.logs.String(), k) {
			t.Fatal("serve's log holds a sub-key")
		}
	}
}

// TestRevokeKeyStopsSpendingAtOnce revokes the tenant's sub-key: the very next completion
// with it answers 401, the apply that follows changes nothing (no BYOK key: the revoked key
// stays the tenant's, so it spends nothing), and a rotation then gives the tenant a working
// key again. With a BYOK key stored, a revocation's apply hands the tenant the BYOK key.
func TestRevokeKeyStopsSpendingAtOnce(t *testing.T) {
	s := startFleet(t, nil)
	token, user, tn := s.provision("vera@example.com")
	kr := s.keyring()
	key, hash := s.storedKey(kr, user)
	if got := s.spend(key, 0.01); got != http.StatusOK {
		t.Fatalf("the tenant's key answers %d before the revocation", got)
	}

	a := s.action(user, "revoke-key", "ops-vic", http.StatusOK)
	if got := s.spend(key, 0.01); got != http.StatusUnauthorized {
		t.Fatalf("the revoked key answers %d right after revoke-key; want 401", got)
	}
	if a.Action != "key_revocation" || a.KeyHash != hash || a.Job == nil {
		t.Fatalf("revoke-key answered %+v", a)
	}
	if k, err := s.store.GetSubKey(context.Background(), hash); err != nil || !k.Disabled {
		t.Fatalf("the sub-key record after the revocation: %+v, %v; want disabled", k, err)
	}
	j := s.finished(a.Job.ID)
	if j.Summary.Add != 0 || j.Summary.Destroy != 0 {
		t.Fatalf("the revocation's apply %+v", j.Summary)
	}
	if got := s.spend(key, 0.01); got != http.StatusUnauthorized {
		t.Fatalf("the revoked key answers %d after the apply; want 401", got)
	}
	if tn2 := s.tenantOf(user); tn2.KeySource != launchpad.KeySourceSubKey || tn2.SecretDigest != tn.SecretDigest {
		t.Fatalf("without BYOK the tenant moved to %s (digest %s → %s); want it left on the revoked sub-key", tn2.KeySource, tn.SecretDigest, tn2.SecretDigest)
	}
	ev := findEvent(s.auditOf(token), launchpad.AuditKeyRevoked, "")
	if ev == nil || ev.Actor != "operator:ops-vic" || ev.Target != hash || ev.Details["byok_fallback"] != "false" {
		t.Fatalf("key.revoked in the user's audit: %+v", ev)
	}

	// A rotation restores a working key.
	rot := s.action(user, "rotate-key", "ops-vic", http.StatusAccepted)
	s.finished(rot.Job.ID)
	fresh, _ := s.storedKey(kr, user)
	if got := s.spend(fresh, 0.01); got != http.StatusOK {
		t.Fatalf("the key minted after the revocation answers %d", got)
	}

	// With a BYOK key stored, revoking the sub-key hands the tenant the BYOK key.
	const byok = "sk-or-v1-byok-of-vera-0123456789abcdef0123456789abcdef"
	sealed, err := kr.Seal([]byte(byok), user)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.store.UpdateUser(context.Background(), user, func(u *launchpad.User) error { u.BYOKKey = sealed; return nil }); err != nil {
		t.Fatal(err)
	}
	a = s.action(user, "revoke-key", "ops-vic", http.StatusOK)
	if got := s.spend(fresh, 0.01); got != http.StatusUnauthorized {
		t.Fatalf("the second revoked key answers %d; want 401", got)
	}
	s.finished(a.Job.ID)
	tn = s.tenantOf(user)
	if tn.KeySource != launchpad.KeySourceBYOK || s.secretDigest(tn.AppName) != sim.SecretDigest(byok) {
		t.Fatalf("with BYOK stored, after the revocation the tenant's key source is %s; want byok delivered as its secret", tn.KeySource)
	}
	if strings.Contains(s.logs.String(), byok) {
		t.Fatal("serve's log holds the BYOK key")
	}
}

// TestRebuildGivesANewMachineOnTheSameVolume rebuilds a tenant through the admin API: a new
// machine (from the image, clean) on the same encrypted volume, the same app, IPs and key;
// audited as requested by the operator and done by the provider. An operator's command on the
// new machine is audited in the user's stream.
func TestRebuildGivesANewMachineOnTheSameVolume(t *testing.T) {
	s := startFleet(t, nil)
	token, user, before := s.provision("remy@example.com")

	a := s.action(user, "rebuild", "ops-rae", http.StatusAccepted)
	if a.Generation != 1 || a.Action != "rebuild" {
		t.Fatalf("rebuild answered %+v", a)
	}
	j := s.finished(a.Job.ID)
	after := s.tenantOf(user)
	if after.MachineID == before.MachineID || after.VolumeID != before.VolumeID || after.AppName != before.AppName ||
		after.IPv4 != before.IPv4 || after.SubKeyHash != before.SubKeyHash {
		t.Fatalf("rebuild: machine %s → %s, volume %s → %s, app %s → %s, ipv4 %s → %s; want a new machine and the rest kept",
			before.MachineID, after.MachineID, before.VolumeID, after.VolumeID, before.AppName, after.AppName, before.IPv4, after.IPv4)
	}
	if j.Summary.Add != 0 || j.Summary.Destroy != 0 {
		t.Fatalf("the rebuild's apply %+v: the tenant must be updated in place", j.Summary)
	}
	m := s.machine(after.AppName, after.MachineID)
	if len(m.Mounts) != 1 || m.Mounts[0].Volume != before.VolumeID || m.State != "started" {
		t.Fatalf("the rebuilt machine %+v; want it started with volume %s", m, before.VolumeID)
	}
	if old := s.machine(before.AppName, before.MachineID); old.State != "destroyed" {
		t.Fatalf("the old machine is %s; want destroyed", old.State)
	}
	events := s.auditOf(token)
	if ev := findEvent(events, launchpad.AuditTenantRebuilt, "requested"); ev == nil || ev.Actor != "operator:ops-rae" || ev.Details["generation"] != "1" {
		t.Fatalf("the requested rebuild in the user's audit: %+v", ev)
	}
	if ev := findEvent(events, launchpad.AuditTenantRebuilt, ""); ev == nil {
		t.Fatal("no tenant.rebuild event at all")
	}

	// An operator's command on the rebuilt machine, through serve's wiring.
	s.fly.Sim.ExecHook(func(app, machine string, cmd []string) (string, string, int) { return "ok\n", "", 0 })
	r := s.do(http.MethodPost, "/api/admin/tenants/"+user+"/exec", stackAdminToken,
		map[string]string{"Content-Type": "application/json", operator.OperatorHeader: "ops-rae"}, []byte(`{"command":["cat","/workspace/notes.md"]}`))
	mustStatus(t, r, http.StatusOK)
	var out operator.ExecResponse
	r.decode(t, &out)
	if out.Machine != after.MachineID || out.Stdout != "ok\n" {
		t.Fatalf("exec answered %+v", out)
	}
	ev := findEvent(s.auditOf(token), launchpad.AuditOperatorExec, "requested")
	if ev == nil || ev.Actor != "operator:ops-rae" || ev.Details["command"] != `["cat","/workspace/notes.md"]` {
		t.Fatalf("the exec in the user's audit: %+v", ev)
	}
}

// TestRotateOnPlanChangeThroughServe: with LAUNCHPAD_ROTATE_ON_PLAN_CHANGE=true an upgrade
// gives the tenant a new sub-key at the new plan's limit, and the old key answers 401.
func TestRotateOnPlanChangeThroughServe(t *testing.T) {
	s := startFleet(t, map[string]string{"LAUNCHPAD_ROTATE_ON_PLAN_CHANGE": "true"})
	token, user, _ := s.provision("uma@example.com")
	kr := s.keyring()
	oldKey, oldHash := s.storedKey(kr, user)
	s.deliver(billingtest.SubscriptionUpdated("evt_upgrade_"+user, time.Now().Add(time.Second), billingtest.Subscription{ID: "sub_" + user, Customer: "cus_" + user, Status: "active", Price: "price_ProMonthly", PeriodStart: time.Now().Truncate(24 * time.Hour)}).Body)
	waitFor(t, "the upgrade's apply", 3*time.Minute, func() bool {
		js := succeeded(s.applies(user))
		return len(js) == 2 && js[0].Apply != nil && js[0].Apply.Plan == "pro"
	})
	newKey, newHash := s.storedKey(kr, user)
	if newHash == oldHash || s.tenantOf(user).SubKeyHash != newHash {
		t.Fatalf("after the upgrade the key is %s (was %s); want a new one", newHash, oldHash)
	}
	if s.spend(oldKey, 0.01) != http.StatusUnauthorized || s.spend(newKey, 0.01) != http.StatusOK {
		t.Fatal("after a rotating upgrade the old key must answer 401 and the new one spend")
	}
	if k, err := s.store.GetSubKey(context.Background(), newHash); err != nil || k.LimitUSD != 50 || k.RotationGeneration != 1 {
		t.Fatalf("the new key's record %+v, %v; want the pro limit at generation 1", k, err)
	}
	var ev *AuditEventJSON // billing's plan.changed (the provider writes one of its own)
	for _, e := range s.auditOf(token) {
		if e.Action == launchpad.AuditPlanChanged && e.Actor == "stripe" {
			ev = &e
			break
		}
	}
	if ev == nil || ev.Details["to"] != "pro" || ev.Details["key_rotation_generation"] != "1" {
		t.Fatalf("billing's plan.changed %+v", ev)
	}
}
