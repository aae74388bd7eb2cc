package flytoken

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/superfly/macaroon"
	"github.com/superfly/macaroon/flyio"
	"github.com/superfly/macaroon/resset"
)

// testOrg and the app ids are what Fly would put in its tokens and accesses: numeric ids.
const (
	testOrg   uint64 = 4242
	tenantApp uint64 = 77
	otherApp  uint64 = 78
)

// now is the fixed time every command in these tests runs at.
var now = time.Date(2026, 12, 7, 17, 0, 0, 0, time.UTC)

// flyToken is a token shaped like the one `fly tokens create org` prints, minted locally: a
// permission macaroon for Fly's API location, scoped to one organization with every action,
// carrying a third-party caveat for Fly's authentication service, followed by that service's
// discharge. Nothing here talks to Fly.
type flyToken struct {
	header string // FlyV1 fm2_<permission>,fm2_<discharge>
	perm   string // fm2_<permission>: the part that must never come out unattenuated
	key    macaroon.SigningKey
	authKA macaroon.EncryptionKey
}

func mintFlyToken(t *testing.T) *flyToken {
	t.Helper()
	ft := &flyToken{key: macaroon.NewSigningKey(), authKA: macaroon.NewEncryptionKey()}
	m, err := macaroon.New([]byte("test-key-id"), flyio.LocationPermission, ft.key)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Add(&flyio.Organization{ID: testOrg, Mask: resset.ActionAll}); err != nil {
		t.Fatal(err)
	}
	if err := m.Add3P(ft.authKA, flyio.LocationAuthentication); err != nil {
		t.Fatal(err)
	}
	permBytes, err := m.Encode()
	if err != nil {
		t.Fatal(err)
	}
	ticket, err := m.ThirdPartyTicket(flyio.LocationAuthentication)
	if err != nil {
		t.Fatal(err)
	}
	_, dm, err := macaroon.DischargeTicket(ft.authKA, flyio.LocationAuthentication, ticket)
	if err != nil {
		t.Fatal(err)
	}
	disBytes, err := dm.Encode()
	if err != nil {
		t.Fatal(err)
	}
	ft.header = macaroon.ToAuthorizationHeader(permBytes, disBytes)
	ft.perm = strings.TrimPrefix(macaroon.ToAuthorizationHeader(permBytes), macaroon.AuthorizationSchemeFlyV1+" ")
	return ft
}

// verify checks header's signatures as Fly would, with the test's keys, and returns the
// caveats a request is then checked against. It fails the test when the signature does not
// verify: a token whose caveats were stripped or rewritten would not.
func (ft *flyToken) verify(t *testing.T, header string) *macaroon.CaveatSet {
	t.Helper()
	perm, discharges, err := flyio.ParsePermissionAndDischargeTokens(header)
	if err != nil {
		t.Fatalf("the output is not a Fly token: %v", err)
	}
	m, err := macaroon.Decode(perm)
	if err != nil {
		t.Fatal(err)
	}
	cs, err := m.Verify(ft.key, discharges, map[string][]macaroon.EncryptionKey{flyio.LocationAuthentication: {ft.authKA}})
	if err != nil {
		t.Fatalf("the output does not verify with the issuer's key and its discharge: %v", err)
	}
	return cs
}

// accessAt is a flyio.Access evaluated at a given time (flyio.Access always says time.Now).
type accessAt struct {
	*flyio.Access
	at time.Time
}

func (a *accessAt) Now() time.Time { return a.at }

func u64(v uint64) *uint64 { return &v }
func str(v string) *string { return &v }

// The accesses the tests try: what Fly builds for a request before it checks the caveats.
func machineAccess(app uint64, action resset.Action) *flyio.Access {
	return &flyio.Access{OrgID: u64(testOrg), AppID: u64(app), Machine: str("3d8d9e1b2c4e58"), Action: action}
}

func commandAccess(app uint64, action resset.Action) *flyio.Access {
	a := machineAccess(app, action)
	a.Command = []string{"/bin/sh", "-c", "cat /workspace/.hermes/auth.json"}
	return a
}

func createAppAccess() *flyio.Access {
	// An app that does not exist yet is app 0 (resset.ZeroID): what creating one asks for.
	return &flyio.Access{OrgID: u64(testOrg), AppID: u64(0), Action: resset.ActionCreate}
}

func mutationAccess(name string) *flyio.Access {
	return &flyio.Access{OrgID: u64(testOrg), AppID: u64(tenantApp), Mutation: str(name), Action: resset.ActionWrite}
}

func featureAccess(feature string) *flyio.Access {
	return &flyio.Access{OrgID: u64(testOrg), Feature: str(feature), Action: resset.ActionCreate}
}

// actions are the action sets a command access is tried with: which one Fly assigns to an
// exec request is Fly's business, so a refusal must hold for each.
var actions = []resset.Action{resset.ActionNone, resset.ActionRead, resset.ActionWrite, resset.ActionControl, resset.ActionAll}

func allowed(t *testing.T, cs *macaroon.CaveatSet, what string, a macaroon.Access) {
	t.Helper()
	if err := cs.Validate(a); err != nil {
		t.Errorf("%s is refused, want allowed: %v", what, err)
	}
}

func refused(t *testing.T, cs *macaroon.CaveatSet, what string, a macaroon.Access) {
	t.Helper()
	if err := cs.Validate(a); err == nil {
		t.Errorf("%s is allowed, want refused", what)
	}
}

// runCmd runs the command in-process with env as its whole environment.
func runCmd(t *testing.T, env map[string]string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errw bytes.Buffer
	code = run(args, func(k string) string { return env[k] }, func() time.Time { return now }, &out, &errw)
	return out.String(), errw.String(), code
}

// narrow runs the command on ft for args and returns the printed token, failing unless it
// succeeded and printed the token alone on stdout.
func narrow(t *testing.T, ft *flyToken, args ...string) (token, stderr string) {
	t.Helper()
	out, errs, code := runCmd(t, map[string]string{"FLY_API_TOKEN": ft.header}, args...)
	if code != 0 {
		t.Fatalf("fly-token %v exited %d: %s", args, code, errs)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != 1 || !strings.HasPrefix(lines[0], "FlyV1 fm2_") {
		t.Fatalf("stdout is not the token alone on one line: %q", out)
	}
	token = lines[0]
	if strings.Contains(token, ft.perm) {
		t.Fatal("the output carries the input's permission token unattenuated")
	}
	for _, part := range strings.Split(strings.TrimPrefix(token, "FlyV1 "), ",") {
		if strings.Contains(errs, part) {
			t.Fatal("stderr carries a part of the new token")
		}
	}
	if strings.Contains(errs, ft.perm) {
		t.Fatal("stderr carries the input token")
	}
	return token, errs
}
