package flytoken

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/superfly/macaroon"
	"github.com/superfly/macaroon/flyio"
	"github.com/superfly/macaroon/resset"
)

// TestTheOrgTokenOpensAShell is the control for every refusal below: the token the tests
// start from runs commands, issues SSH certificates and adds WireGuard peers, so a refusal
// after fly-token comes from the caveats it added.
func TestTheOrgTokenOpensAShell(t *testing.T) {
	ft := mintFlyToken(t)
	cs := ft.verify(t, ft.header)
	for _, a := range actions {
		allowed(t, cs, fmt.Sprintf("a command (action %q) with the org token", a), commandAccess(tenantApp, a))
	}
	allowed(t, cs, "issueCertificate with the org token", mutationAccess("issueCertificate"))
	allowed(t, cs, "a WireGuard peer with the org token", featureAccess(flyio.FeatureWireGuard))
	// And verify checks the signature: another issuer's key is refused.
	perm, discharges, err := flyio.ParsePermissionAndDischargeTokens(ft.header)
	if err != nil {
		t.Fatal(err)
	}
	m, err := macaroon.Decode(perm)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Verify(macaroon.NewSigningKey(), discharges, map[string][]macaroon.EncryptionKey{flyio.LocationAuthentication: {ft.authKA}}); err == nil {
		t.Fatal("the token verifies with any key; verify would prove nothing")
	}
}

func TestServeTokenRunsNoCommandButRunsTenants(t *testing.T) {
	ft := mintFlyToken(t)
	token, stderr := narrow(t, ft, "--for", "serve")
	cs := ft.verify(t, token)

	for _, a := range actions {
		refused(t, cs, fmt.Sprintf("a command (action %q) on a tenant machine", a), commandAccess(tenantApp, a))
	}
	refused(t, cs, "issueCertificate (fly ssh console)", mutationAccess("issueCertificate"))
	refused(t, cs, "addWireGuardPeer", mutationAccess("addWireGuardPeer"))
	refused(t, cs, "a WireGuard peer (org feature wg)", featureAccess(flyio.FeatureWireGuard))
	refused(t, cs, "a remote builder", featureAccess(flyio.FeatureRemoteBuilders))

	// What the control plane and its applies do (internal/fly): every app and machine access.
	allowed(t, cs, "reading a tenant machine", machineAccess(tenantApp, resset.ActionRead))
	allowed(t, cs, "starting or stopping a tenant machine", machineAccess(tenantApp, resset.ActionControl))
	allowed(t, cs, "updating a tenant machine", machineAccess(tenantApp, resset.ActionWrite))
	allowed(t, cs, "destroying a tenant machine", machineAccess(tenantApp, resset.ActionDelete))
	allowed(t, cs, "creating a tenant app", createAppAccess())
	allowed(t, cs, "deleting a tenant app", &flyio.Access{OrgID: u64(testOrg), AppID: u64(otherApp), Action: resset.ActionDelete})
	allowed(t, cs, "a volume of a tenant", &flyio.Access{OrgID: u64(testOrg), AppID: u64(tenantApp), Volume: str("vol_1"), Action: resset.ActionAll})

	// The token's own organization caveat still holds.
	other := machineAccess(tenantApp, resset.ActionRead)
	other.OrgID = u64(testOrg + 1)
	refused(t, cs, "a machine of another organization", other)

	if !strings.Contains(stderr, "no command execution") || !strings.Contains(stderr, "operator exec is refused") {
		t.Errorf("stderr does not say what was taken away and what breaks:\n%s", stderr)
	}
}

func TestServeWithExecKeepsOnlyExec(t *testing.T) {
	ft := mintFlyToken(t)
	token, _ := narrow(t, ft, "--for", "serve-with-exec")
	cs := ft.verify(t, token)
	allowed(t, cs, "a command on a tenant machine (operator exec)", commandAccess(tenantApp, resset.ActionControl))
	refused(t, cs, "issueCertificate (fly ssh console)", mutationAccess("issueCertificate"))
	refused(t, cs, "a WireGuard peer", featureAccess(flyio.FeatureWireGuard))
	allowed(t, cs, "creating a tenant app", createAppAccess())
}

func TestPlanTokenOnlyReads(t *testing.T) {
	ft := mintFlyToken(t)
	token, _ := narrow(t, ft, "--for", "plan")
	cs := ft.verify(t, token)
	allowed(t, cs, "reading a tenant machine", machineAccess(tenantApp, resset.ActionRead))
	allowed(t, cs, "reading a tenant volume", &flyio.Access{OrgID: u64(testOrg), AppID: u64(tenantApp), Volume: str("vol_1"), Action: resset.ActionRead})
	for _, a := range []resset.Action{resset.ActionWrite, resset.ActionCreate, resset.ActionDelete, resset.ActionControl} {
		refused(t, cs, fmt.Sprintf("action %q on a tenant machine", a), machineAccess(tenantApp, a))
	}
	refused(t, cs, "creating an app", createAppAccess())
	for _, a := range actions {
		refused(t, cs, fmt.Sprintf("a command (action %q)", a), commandAccess(tenantApp, a))
	}
}

func TestExecTokenReachesOneApp(t *testing.T) {
	ft := mintFlyToken(t)
	token, _ := narrow(t, ft, "--for", "exec", "--app", fmt.Sprint(tenantApp), "--expires", "2h")
	cs := ft.verify(t, token)
	at := func(a *flyio.Access) macaroon.Access { return &accessAt{Access: a, at: now.Add(time.Hour)} }

	allowed(t, cs, "a command on the tenant's machine", at(commandAccess(tenantApp, resset.ActionControl)))
	allowed(t, cs, "reading the tenant's machines", at(machineAccess(tenantApp, resset.ActionRead)))
	for _, a := range actions {
		refused(t, cs, fmt.Sprintf("a command (action %q) on another app's machine", a), at(commandAccess(otherApp, a)))
	}
	refused(t, cs, "updating the tenant's machine (not a command)", at(machineAccess(tenantApp, resset.ActionWrite)))
	refused(t, cs, "deleting the tenant's app", at(&flyio.Access{OrgID: u64(testOrg), AppID: u64(tenantApp), Action: resset.ActionDelete}))
	refused(t, cs, "listing the organization's apps", at(&flyio.Access{OrgID: u64(testOrg), Action: resset.ActionRead}))
	refused(t, cs, "creating an app", at(createAppAccess()))
	refused(t, cs, "issueCertificate", at(mutationAccess("issueCertificate")))
	refused(t, cs, "a command after --expires", &accessAt{Access: commandAccess(tenantApp, resset.ActionControl), at: now.Add(2*time.Hour + time.Minute)})
}

func TestExpiresBoundsTheToken(t *testing.T) {
	ft := mintFlyToken(t)
	token, stderr := narrow(t, ft, "--for", "serve", "--expires", "720h")
	cs := ft.verify(t, token)
	read := machineAccess(tenantApp, resset.ActionRead)
	allowed(t, cs, "a read within the window", &accessAt{Access: read, at: now})
	allowed(t, cs, "a read from a Fly clock 30s behind", &accessAt{Access: read, at: now.Add(-30 * time.Second)})
	allowed(t, cs, "a read on the window's last day", &accessAt{Access: read, at: now.Add(719 * time.Hour)})
	refused(t, cs, "a read after the window", &accessAt{Access: read, at: now.Add(720*time.Hour + time.Minute)})
	refused(t, cs, "a read before the token was made", &accessAt{Access: read, at: now.Add(-time.Hour)})
	windows := macaroon.GetCaveats[*macaroon.ValidityWindow](cs)
	if len(windows) != 1 || windows[0].NotAfter != now.Add(720*time.Hour).Unix() {
		t.Errorf("validity windows = %+v, want one ending at %s", windows, now.Add(720*time.Hour))
	}
	if !strings.Contains(stderr, "valid until 2027-01-06T17:00:00Z") {
		t.Errorf("stderr does not say when the token ends:\n%s", stderr)
	}
}

// TestNarrowingTwiceOnlyNarrows: a token narrowed for serve and then for plan keeps both
// roles' refusals; caveats only ever add up.
func TestNarrowingTwiceOnlyNarrows(t *testing.T) {
	ft := mintFlyToken(t)
	serve, _ := narrow(t, ft, "--for", "serve")
	out, errs, code := runCmd(t, map[string]string{"FLY_API_TOKEN": serve}, "--for", "serve-with-exec")
	if code != 0 {
		t.Fatalf("narrowing a narrowed token failed: %s", errs)
	}
	cs := ft.verify(t, strings.TrimSpace(out))
	refused(t, cs, "a command after serve then serve-with-exec", commandAccess(tenantApp, resset.ActionControl))
}
