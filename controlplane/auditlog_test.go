package controlplane

import (
	"strings"
	"testing"

	"github.com/clawdrun/terraform-provider-launchpad/internal/settings"
)

func TestLoadAuditLogConfig(t *testing.T) {
	const platform = "platform-secret-0123456789abcdef0123456789"
	env := func(kv ...string) func(string) string {
		m := map[string]string{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return func(k string) string { return m[k] }
	}
	// Nothing set: no signer, no witness, no problem (the endpoint answers 503).
	c, problems := loadAuditLogConfig(env(), platform)
	if c.signer != nil || c.witness != nil || len(problems) != 0 || c.interval.String() != "5m0s" {
		t.Fatalf("defaults: %+v, %v", c, problems)
	}
	c, problems = loadAuditLogConfig(env(settings.AuditSigningSecret, testAuditSecret, settings.PublicURL, "https://lp.example.com",
		settings.AuditWitness, "file:///var/lib/launchpad/checkpoints", settings.AuditWitnessInterval, "1m"), platform)
	if len(problems) != 0 || c.signer == nil || c.signer.Origin() != "lp.example.com/audit" || c.witness == nil || c.interval.String() != "1m0s" {
		t.Fatalf("full config: %+v, %v", c, problems)
	}
	for _, bad := range []struct {
		env  []string
		want string
	}{
		{[]string{settings.AuditSigningSecret, "short"}, "too short"},
		{[]string{settings.AuditSigningSecret, platform}, "equals PLATFORM_SECRET"},
		{[]string{settings.AuditOrigin, "has space"}, "LAUNCHPAD_AUDIT_ORIGIN"},
		{[]string{settings.AuditWitnessInterval, "1s"}, "LAUNCHPAD_AUDIT_WITNESS_INTERVAL"},
		{[]string{settings.AuditWitness, "https://witness.example/add?token=tok-value-secret"}, "LAUNCHPAD_AUDIT_SIGNING_SECRET is not"},
		{[]string{settings.AuditSigningSecret, testAuditSecret, settings.AuditWitness, "ftp://tok-value-secret@x"}, "LAUNCHPAD_AUDIT_WITNESS must"},
	} {
		_, problems := loadAuditLogConfig(env(bad.env...), platform)
		joined := strings.Join(problems, "\n")
		if !strings.Contains(joined, bad.want) || strings.Contains(joined, "tok-value-secret") || strings.Contains(joined, platform) {
			t.Errorf("%v: problems %q; want one naming %q, without secrets", bad.env, joined, bad.want)
		}
	}
}
