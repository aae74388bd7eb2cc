package runner_test

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	tfjson "github.com/hashicorp/terraform-json"

	"github.com/clawdrun/terraform-provider-launchpad/controlplane/runner"
	"github.com/clawdrun/terraform-provider-launchpad/internal/harness/stack/stacktest"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

func TestRenderFillsTheTemplate(t *testing.T) {
	d := launchpad.ApplyRequest{UserID: "user_01-A", Plan: "pro", Product: "hermes", Region: "ams", Image: "registry.fly.io/hermes-agent:1.4.2",
		KeyRotation: 3, Rebuild: 1 << 40, Reset: 2, WorkspaceRetentionDays: 7}
	out, err := runner.Render(d)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Terraform struct {
			RequiredProviders map[string]struct{ Source string } `json:"required_providers"`
		} `json:"terraform"`
		Provider map[string]any                       `json:"provider"`
		Resource map[string]map[string]map[string]any `json:"resource"`
	}
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatalf("rendered workspace is not JSON: %v\n%s", err, out)
	}
	if src := doc.Terraform.RequiredProviders["launchpad"].Source; src != "clawdrun/launchpad" {
		t.Errorf("required provider source %q, want clawdrun/launchpad", src)
	}
	if _, ok := doc.Provider["launchpad"]; !ok {
		t.Errorf("no provider \"launchpad\" block")
	}
	tenant := doc.Resource["launchpad_tenant"]["this"]
	want := map[string]any{"user_id": "user_01-A", "product": "hermes", "region": "ams", "plan": "pro",
		"image": "registry.fly.io/hermes-agent:1.4.2", "subkey_hash": "${launchpad_subkey.this.hash}",
		"rebuild_generation": float64(1 << 40), "reset_generation": float64(2), "workspace_retention_days": float64(7)}
	for k, v := range want {
		if tenant[k] != v {
			t.Errorf("launchpad_tenant.this.%s = %v, want %v", k, tenant[k], v)
		}
	}
	if len(tenant) != len(want) {
		t.Errorf("launchpad_tenant.this has %d attributes, want %d: %v", len(tenant), len(want), tenant)
	}
	subkey := doc.Resource["launchpad_subkey"]["this"]
	if subkey["user_id"] != "user_01-A" || subkey["plan"] != "pro" || subkey["rotation_generation"] != float64(3) || len(subkey) != 3 {
		t.Errorf("launchpad_subkey.this = %v", subkey)
	}

	destroy, err := runner.Render(launchpad.ApplyRequest{UserID: "user_01-A", Destroy: true})
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(destroy, []byte(`"resource"`)) || !bytes.Contains(destroy, []byte(`"clawdrun/launchpad"`)) {
		t.Errorf("a destroy workspace must keep the provider and have no resources:\n%s", destroy)
	}

	if _, err := runner.Render(launchpad.ApplyRequest{UserID: "u1", Plan: "pro"}); launchpad.ErrorCode(err) != launchpad.EINVALID {
		t.Errorf("Render without product/region/image: %v; want EINVALID naming the settings", err)
	}

	// Generation zero is rendered as 0, the provider's default: a workspace applied before
	// the generations existed plans no change.
	zero, err := runner.Render(launchpad.ApplyRequest{UserID: "u1", Plan: "pro", Product: "hermes", Region: "ams", Image: "registry.fly.io/hermes-agent:1.4.2"})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(zero, []byte(`"rotation_generation": 0`)) || !bytes.Contains(zero, []byte(`"rebuild_generation": 0`)) || !bytes.Contains(zero, []byte(`"reset_generation": 0`)) {
		t.Errorf("generation zero is not rendered as 0:\n%s", zero)
	}
	if !bytes.Contains(zero, []byte(`"workspace_retention_days": 0`)) {
		t.Errorf("no snapshot retention is not rendered as 0 (keep none):\n%s", zero)
	}

	// The snapshot retention is the operator's (LAUNCHPAD_RETENTION_SNAPSHOTS): it replaces
	// whatever a job carries, and out of Fly's 0-60 days it is refused.
	def := runner.Defaults{Product: "hermes", Region: "iad", Image: runner.DefaultImage, WorkspaceRetentionDays: 5}
	if got := def.Apply(launchpad.ApplyRequest{UserID: "u1", Plan: "pro", Destroy: true, WorkspaceRetentionDays: 60}); got.WorkspaceRetentionDays != 5 {
		t.Errorf("Defaults.Apply kept the job's retention %d, want the operator's 5", got.WorkspaceRetentionDays)
	}
	if _, err := runner.Render(launchpad.ApplyRequest{UserID: "u1", Plan: "pro", Product: "hermes", Region: "iad", Image: runner.DefaultImage, WorkspaceRetentionDays: 61}); launchpad.ErrorCode(err) != launchpad.EINVALID || !strings.Contains(err.Error(), "workspace_retention_days") {
		t.Errorf("Render of 61 retention days: %v; want EINVALID naming workspace_retention_days", err)
	}
}

func TestRenderRefusesHostileValues(t *testing.T) {
	base := launchpad.ApplyRequest{UserID: "u1", Plan: "pro", Product: "hermes", Region: "iad", Image: "registry.fly.io/hermes-agent:1.4.2"}
	for name, mutate := range map[string]func(*launchpad.ApplyRequest){
		"quote in user id":         func(d *launchpad.ApplyRequest) { d.UserID = `u1" } } resource "x" {` },
		"interpolation in user id": func(d *launchpad.ApplyRequest) { d.UserID = `${file("/etc/passwd")}` },
		"newline in user id":       func(d *launchpad.ApplyRequest) { d.UserID = "u1\nplan = \"free\"" },
		"traversal in user id":     func(d *launchpad.ApplyRequest) { d.UserID = "../../root" },
		"template in plan":         func(d *launchpad.ApplyRequest) { d.Plan = "%{if true}pro%{endif}" },
		"interpolation in image":   func(d *launchpad.ApplyRequest) { d.Image = "registry.fly.io/x:${var.y}" },
		"quote in image":           func(d *launchpad.ApplyRequest) { d.Image = `x","plan":"free` },
		"uppercase region":         func(d *launchpad.ApplyRequest) { d.Region = "IAD" },
		"product with dash":        func(d *launchpad.ApplyRequest) { d.Product = "her-mes" },
		"negative key rotation":    func(d *launchpad.ApplyRequest) { d.KeyRotation = -1 },
		"negative rebuild":         func(d *launchpad.ApplyRequest) { d.Rebuild = -5 },
		"negative reset":           func(d *launchpad.ApplyRequest) { d.Reset = -1 },
	} {
		d := base
		mutate(&d)
		if out, err := runner.Render(d); launchpad.ErrorCode(err) != launchpad.EINVALID {
			t.Errorf("%s: Render returned %v\n%s\nwant EINVALID", name, err, out)
		}
	}
}

// TestLiteralSurvivesTofu shows that a value escaped with Literal reaches tofu as exactly
// that string, whatever it holds: JSON syntax, HCL, interpolations, template directives.
func TestLiteralSurvivesTofu(t *testing.T) {
	tofu := stacktest.Tofu(t)
	hostile := []string{
		`${file("/etc/passwd")}`,
		`$${already escaped}`,
		`%{ if true }yes%{ endif }`,
		`"}, "resource": {"terraform_data": {"evil": {}}}, "x": {"`,
		"line one\nline two\r\n\ttab",
		`back\slash \" and \\"`,
		`../../etc/passwd`,
		"unicode \u2028 \u0000 end",
		`${`, `%{`, `$`, `%`,
	}
	resources := map[string]any{}
	for i, h := range hostile {
		resources["v"+string(rune('a'+i))] = map[string]any{"input": runner.Literal(h)}
	}
	config, err := json.Marshal(map[string]any{"resource": map[string]any{"terraform_data": resources}})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.tf.json"), config, 0o600); err != nil {
		t.Fatal(err)
	}
	rc := filepath.Join(dir, "empty.tfrc")
	if err := os.WriteFile(rc, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) []byte {
		cmd := exec.Command(tofu, args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "TF_CLI_CONFIG_FILE="+rc, "TF_IN_AUTOMATION=1")
		out, err := cmd.Output()
		if err != nil {
			var stderr string
			if ee, ok := err.(*exec.ExitError); ok {
				stderr = string(ee.Stderr)
			}
			t.Fatalf("tofu %v: %v\n%s\n%s", args, err, out, stderr)
		}
		return out
	}
	run("validate", "-no-color")
	run("plan", "-input=false", "-no-color", "-out=tfplan")
	var plan tfjson.Plan
	if err := json.Unmarshal(run("show", "-json", "tfplan"), &plan); err != nil {
		t.Fatal(err)
	}
	if len(plan.ResourceChanges) != len(hostile) {
		t.Fatalf("the plan has %d resources, want %d: a value added or removed one", len(plan.ResourceChanges), len(hostile))
	}
	for _, rc := range plan.ResourceChanges {
		i := int(rc.Name[1] - 'a')
		after, _ := rc.Change.After.(map[string]any)
		if got := after["input"]; got != hostile[i] {
			t.Errorf("value %q reached tofu as %q", hostile[i], got)
		}
	}
}

// TestSummarizePlanOutputReadsEveryFormOfThePlanLine: the summary of every plan line OpenTofu
// (internal/command/jsonformat/plan.go) and Terraform print, the last line when there are
// several, and no summary from output without one.
func TestSummarizePlanOutputReadsEveryFormOfThePlanLine(t *testing.T) {
	for _, c := range []struct {
		out  string
		want launchpad.PlanSummary
		ok   bool
	}{
		{"Plan: 3 to add, 2 to change, 3 to destroy.\n", launchpad.PlanSummary{Add: 3, Change: 2, Destroy: 3}, true},
		{"  # x will be created\n\nPlan: 4 to import, 1 to add, 0 to change, 12 to destroy.\n", launchpad.PlanSummary{Add: 1, Destroy: 12}, true},
		{"Plan: 0 to add, 1 to change, 0 to destroy, 2 to forget.\n", launchpad.PlanSummary{Change: 1}, true},
		{"Plan: 1 to import, 0 to add, 0 to change, 0 to destroy, 1 to forget.\n", launchpad.PlanSummary{}, true},
		{"Plan: 9 to add, 9 to change, 9 to destroy.\nPlan: 1 to add, 0 to change, 0 to destroy.\n", launchpad.PlanSummary{Add: 1}, true},
		{"No changes. Your infrastructure matches the configuration.\n", launchpad.PlanSummary{}, false},
		{"  description = \"Plan: 5 to add, 0 to change, 0 to destroy.\"\n", launchpad.PlanSummary{}, false},
	} {
		got, ok := runner.SummarizePlanOutput([]byte(c.out))
		if got != c.want || ok != c.ok {
			t.Errorf("SummarizePlanOutput(%q) = %+v, %v; want %+v, %v", c.out, got, ok, c.want, c.ok)
		}
	}
}

func FuzzRender(f *testing.F) {
	f.Add("u1", "pro", "hermes", "iad", "registry.fly.io/hermes-agent:1.4.2", int64(0), int64(0))
	f.Add(`${x}`, "%{y}", "a", "b", `"}`, int64(-1), int64(1<<62))
	f.Fuzz(func(t *testing.T, user, plan, product, region, image string, rotation, rebuild int64) {
		out, err := runner.Render(launchpad.ApplyRequest{UserID: user, Plan: plan, Product: product, Region: region, Image: image,
			KeyRotation: rotation, Rebuild: rebuild})
		if err != nil {
			if launchpad.ErrorCode(err) != launchpad.EINVALID {
				t.Fatalf("Render error %v is not EINVALID", err)
			}
			return
		}
		var doc struct {
			Resource struct {
				SubKey map[string]struct {
					RotationGeneration int64 `json:"rotation_generation"`
				} `json:"launchpad_subkey"`
				Tenant map[string]struct {
					RebuildGeneration int64 `json:"rebuild_generation"`
				} `json:"launchpad_tenant"`
			} `json:"resource"`
		}
		if err := json.Unmarshal(out, &doc); err != nil {
			t.Fatalf("Render produced invalid JSON: %v", err)
		}
		if rotation < 0 || rebuild < 0 {
			t.Fatalf("Render accepted a negative generation (%d, %d)", rotation, rebuild)
		}
		if doc.Resource.SubKey["this"].RotationGeneration != rotation || doc.Resource.Tenant["this"].RebuildGeneration != rebuild {
			t.Fatalf("generations %d, %d rendered as %+v", rotation, rebuild, doc.Resource)
		}
		for _, s := range []string{user, plan, product, region, image} {
			if strings.ContainsAny(s, "${}%\"\\\n") {
				t.Fatalf("Render accepted a value with template or JSON syntax: %q", s)
			}
		}
	})
}

func TestProviderEnvFromEnvMakesTheStoreAbsolute(t *testing.T) {
	wd, _ := os.Getwd()
	for in, want := range map[string]string{
		"":                         "sqlite://" + filepath.Join(wd, "launchpad.db"),
		"sqlite://./data/lp.db":    "sqlite://" + filepath.Join(wd, "data/lp.db"),
		"data/lp.db":               "sqlite://" + filepath.Join(wd, "data/lp.db"),
		"sqlite:///var/lib/lp.db":  "sqlite:///var/lib/lp.db",
		"firestore://my-project-1": "firestore://my-project-1",
	} {
		env := runner.ProviderEnvFromEnv(func(k string) string {
			if k == "LAUNCHPAD_STORE" {
				return in
			}
			return ""
		})
		if env["LAUNCHPAD_STORE"] != want {
			t.Errorf("LAUNCHPAD_STORE %q became %q, want %q (tofu runs the provider in another directory)", in, env["LAUNCHPAD_STORE"], want)
		}
		if len(env) != 1 {
			t.Errorf("unset variables were passed: %v", env)
		}
	}
}
