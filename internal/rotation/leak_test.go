package rotation

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/clawdrun/terraform-provider-launchpad/internal/envelope"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/openrouter"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sim"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sim/simtest"
	"github.com/clawdrun/terraform-provider-launchpad/internal/subkey"
	"github.com/clawdrun/terraform-provider-launchpad/internal/tenant/tenanttest"
)

// mailbox is a launchpad.Mailer that keeps what it is given.
type mailbox struct {
	mu   sync.Mutex
	sent []launchpad.Message
}

func (m *mailbox) Send(_ context.Context, msg launchpad.Message) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sent = append(m.sent, msg)
	return nil
}

func (m *mailbox) to() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []string
	for _, msg := range m.sent {
		out = append(out, msg.To)
	}
	return out
}

// failingDelivery fails the next n key deliveries to Fly, as a crash half-way would.
type failingDelivery struct {
	launchpad.Runtime
	mu sync.Mutex
	n  int
}

func (f *failingDelivery) SetSecret(ctx context.Context, app, name, value string) (*launchpad.Secret, error) {
	f.mu.Lock()
	fail := f.n > 0
	f.n--
	f.mu.Unlock()
	if fail {
		return nil, launchpad.Errorf(launchpad.EUNAVAILABLE, "injected: Fly is away")
	}
	return f.Runtime.SetSecret(ctx, app, name, value)
}

// leakWorld is a store with three users under the old secret: alice01 with a sub-key, a
// tenant running on it and TOTP; bob02 with TOTP only; carl03 with neither. The simulators
// of Fly and OpenRouter hold alice's tenant and key.
type leakWorld struct {
	*tenanttest.World
	or        *simtest.OpenRouterServer
	issuer    launchpad.KeyIssuer
	app       string
	oldKey    string // alice's sub-key, plaintext, as a leak would expose it
	oldHash   string
	newRing   *envelope.Keyring
	mail      *mailbox
	totpAlice string // alice's sealed TOTP secret before the leak response
}

func newLeakWorld(t *testing.T) *leakWorld {
	t.Helper()
	ctx := context.Background()
	w := &leakWorld{World: tenanttest.New(t), or: simtest.StartOpenRouter(t, sim.OpenRouterOptions{}), mail: &mailbox{}}
	var err error
	if w.issuer, err = openrouter.New(openrouter.Config{BaseURL: w.or.URL, ManagementKey: w.or.ManagementKey}); err != nil {
		t.Fatal(err)
	}
	keys := subkey.NewService(subkey.Config{Store: w.Store, Issuer: w.issuer, Keyring: w.Keyring, Runtime: w.Runtime})
	for _, u := range []*launchpad.User{
		{ID: "alice01", Email: "alice@example.com", Plan: "starter"},
		{ID: "bob02", Email: "bob@example.com", Plan: launchpad.TrialPlan},
		{ID: "carl03", Email: "carl@example.com", Plan: launchpad.TrialPlan},
	} {
		if u.ID != "carl03" {
			u.MFA = launchpad.MFA{SealedSecret: mustSeal(t, w.Keyring, "JBSWY3DPEHPK3PXP", u.ID), Confirmed: true, RecoveryCodes: []string{"h1"}}
		}
		if err := w.Store.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	k, err := keys.Mint(ctx, "alice01", w.Starter, "launchpad-alice01", 0)
	if err != nil {
		t.Fatal(err)
	}
	w.app, w.oldHash = w.StartTenant(t, "alice01", k.Hash).AppName, k.Hash
	alice, err := w.Store.GetUser(ctx, "alice01")
	if err != nil {
		t.Fatal(err)
	}
	p, err := openIn(w.Store, w.Keyring, alice.OpenRouterKey, "alice01")
	if err != nil {
		t.Fatal(err)
	}
	w.oldKey, w.totpAlice = string(p), alice.MFA.SealedSecret
	w.newRing = mustKeyring(t, newSecret, tenanttest.Secret)
	return w
}

// respond runs the whole command's work: the re-seal, then the leak response.
func (w *leakWorld) respond(t *testing.T, rt launchpad.Runtime) (LeakResult, error) {
	t.Helper()
	ctx := context.Background()
	if _, err := Rotate(ctx, w.Store, w.newRing, Options{}); err != nil {
		t.Fatalf("re-seal: %v", err)
	}
	return RespondToLeak(ctx, LeakConfig{Store: w.Store, Keyring: w.newRing, Issuer: w.issuer, Runtime: rt, Mailer: w.mail,
		PublicURL: "https://launchpad.example.com", Actor: launchpad.OperatorActor("ops-ann")})
}

// After a leak response interrupted half-way (a key delivery to Fly fails) and run again,
// alice's old key answers 401 at OpenRouter, her tenant's machine runs the new key, one key
// only was minted, both TOTP users are marked and mailed once, every step is audited, and a
// third run changes nothing.
func TestLeakResponseRotatesKeysAndMarksFactorsAndResumes(t *testing.T) {
	ctx := context.Background()
	w := newLeakWorld(t)

	res, err := w.respond(t, &failingDelivery{Runtime: w.Runtime, n: 1})
	if err == nil || !strings.Contains(err.Error(), "alice01") || res.Complete {
		t.Fatalf("first run with a failing delivery: %+v, %v; want an error naming alice01", res, err)
	}
	if err := w.or.Sim.Spend(w.oldKey, 0.01); err != nil {
		t.Fatalf("the old key must keep working until the new one is delivered: %v", err)
	}

	res, err = w.respond(t, w.Runtime)
	if err != nil || !res.Complete || res.KeysRotated != 1 {
		t.Fatalf("resumed run: %+v, %v; want complete with alice's key rotated", res, err)
	}
	if err := w.or.Sim.Spend(w.oldKey, 0.01); !errors.Is(err, sim.ErrKeyUnauthorized) {
		t.Errorf("the old key after the leak response: %v; want 401 (unauthorized)", err)
	}
	alice, err := w.Store.GetUser(ctx, "alice01")
	if err != nil {
		t.Fatal(err)
	}
	p, err := openIn(w.Store, w.newRing, alice.OpenRouterKey, "alice01")
	if err != nil {
		t.Fatal(err)
	}
	newKey := string(p)
	if newKey == w.oldKey || alice.OpenRouterKeyHash == w.oldHash {
		t.Fatal("alice still holds the old key")
	}
	if err := w.or.Sim.Spend(newKey, 0.01); err != nil {
		t.Errorf("the new key does not spend: %v", err)
	}
	if id, _ := envelope.KeyID(alice.OpenRouterKey); id != w.newRing.CurrentKeyID() {
		t.Errorf("the new key is sealed under %s, want the new secret's %s", id, w.newRing.CurrentKeyID())
	}
	if n := len(w.or.Sim.Snapshot().Keys); n != 1 {
		t.Errorf("%d keys at OpenRouter, want only the new one (the resumed run reuses the key it minted)", n)
	}
	app := w.App(w.app)
	var machine *sim.MachineSnapshot
	for i, m := range app.Machines {
		if m.State != "destroyed" {
			machine = &app.Machines[i]
		}
	}
	if machine == nil || machine.Secrets[launchpad.KeySecretName] != sim.SecretDigest(newKey) || machine.SecretsVersion != app.SecretsVersion {
		t.Fatalf("the tenant's machine %+v does not run the new key (app secrets version %d)", machine, app.SecretsVersion)
	}
	if rec, _ := w.Store.GetTenant(ctx, w.app); rec.SubKeyHash != alice.OpenRouterKeyHash {
		t.Errorf("tenant record on %s, want the new key %s", rec.SubKeyHash, alice.OpenRouterKeyHash)
	}

	for id, want := range map[string]bool{"alice01": true, "bob02": true, "carl03": false} {
		u, err := w.Store.GetUser(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if u.MFA.ReenrolRequired != want || u.Control.LeakResponseKeyID != w.newRing.CurrentKeyID() {
			t.Errorf("%s: re-enrol %v, leak response under %q; want %v under %s", id, u.MFA.ReenrolRequired, u.Control.LeakResponseKeyID, want, w.newRing.CurrentKeyID())
		}
	}
	if got := strings.Join(w.mail.to(), ","); got != "alice@example.com,bob@example.com" {
		t.Errorf("mailed %q, want alice and bob once each", got)
	}
	for _, m := range w.mail.sent {
		if strings.Contains(m.Text, w.oldKey) || strings.Contains(m.Text, newKey) || strings.Contains(m.Text, "JBSWY3DPEHPK3PXP") {
			t.Fatal("a re-enrolment email holds a key or a TOTP secret")
		}
	}

	for _, c := range []struct{ stream, action string }{
		{"alice01", launchpad.AuditMFAReenrolRequired}, {"bob02", launchpad.AuditMFAReenrolRequired},
		{"alice01", launchpad.AuditKeyRotated}, {launchpad.PlatformStream, launchpad.AuditLeakResponse},
	} {
		evs, err := w.Store.ListAudit(ctx, launchpad.AuditFilter{Stream: c.stream, Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, ev := range evs {
			if ev.Action == c.action {
				n++
				for k, v := range ev.Details {
					if strings.Contains(v, w.oldKey) || strings.Contains(v, newKey) {
						t.Fatalf("audit detail %s of %s holds a key", k, ev.Action)
					}
				}
			}
		}
		if n != 1 {
			t.Errorf("%d %s events in stream %s, want 1", n, c.action, c.stream)
		}
	}

	again, err := w.respond(t, w.Runtime)
	if err != nil || again.KeysRotated != 0 || again.FactorsMarked != 0 || len(w.mail.to()) != 2 || len(w.or.Sim.Snapshot().Keys) != 1 {
		t.Errorf("a third run: %+v, %v, %d mails; want nothing done", again, err, len(w.mail.to()))
	}
}

// Without SMTP the marked users are listed for the operator, and nothing is mailed.
func TestLeakResponseWithoutSMTPListsWhomToTell(t *testing.T) {
	w := newLeakWorld(t)
	ctx := context.Background()
	if _, err := Rotate(ctx, w.Store, w.newRing, Options{}); err != nil {
		t.Fatal(err)
	}
	res, err := RespondToLeak(ctx, LeakConfig{Store: w.Store, Keyring: w.newRing, Issuer: w.issuer, Runtime: w.Runtime})
	if err != nil {
		t.Fatal(err)
	}
	var told []string
	for _, u := range res.ToTell {
		told = append(told, u.UserID+" "+u.Email)
		if !strings.Contains(u.Reason, "LAUNCHPAD_SMTP_URL") {
			t.Errorf("reason %q does not say what to set", u.Reason)
		}
	}
	if strings.Join(told, ",") != "alice01 alice@example.com,bob02 bob@example.com" || res.Mailed != 0 || res.FactorsMarked != 2 {
		t.Errorf("to tell %q, mailed %d, marked %d", told, res.Mailed, res.FactorsMarked)
	}
}
