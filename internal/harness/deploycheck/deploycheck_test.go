// Package deploycheck tests the deployment and CI examples under examples/deploy and
// examples/ci with the tools their platforms use: systemd-analyze for the unit, actionlint for
// the GitHub workflows, yamllint for every YAML file, and checks of what the Kubernetes manifest
// and the GitLab pipeline must say that no offline linter knows (the image's user, paths, port
// and health check; stages, jobs and rules).
package deploycheck

import (
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/rhysd/actionlint"
	"gopkg.in/yaml.v3"

	"github.com/clawdrun/terraform-provider-launchpad/internal/harness/image"
	"github.com/clawdrun/terraform-provider-launchpad/internal/harness/stack/stacktest"
)

const (
	examples = "../../../examples"
	unitFile = examples + "/deploy/systemd/launchpad.service"
	k8sFile  = examples + "/deploy/kubernetes/launchpad.yaml"
	gitlab   = examples + "/ci/gitlab/.gitlab-ci.yml"
)

func systemdAnalyze(t *testing.T) string {
	t.Helper()
	return stacktest.Command(t, "systemd-analyze", "systemd-analyze not found: install Debian's systemd package to check the unit")
}

// TestSystemdUnitVerifies: `systemd-analyze verify` accepts the unit without a single warning.
// verify also checks that ExecStart names an executable, so the binary's install path is
// replaced by an executable that exists here (this test's own); nothing else changes.
func TestSystemdUnitVerifies(t *testing.T) {
	analyze := systemdAnalyze(t)
	unit, err := os.ReadFile(unitFile)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"DynamicUser=yes", "ProtectSystem=strict", "PrivateTmp=yes", "NoNewPrivileges=yes",
		"CapabilityBoundingSet=\n", "SystemCallFilter=@system-service", "StateDirectory=launchpad", "EnvironmentFile=/etc/launchpad/launchpad.env",
		"ExecStart=/usr/local/bin/terraform-provider-launchpad serve\n"} {
		if !strings.Contains(string(unit), want) {
			t.Errorf("the unit does not say %q", strings.TrimSpace(want))
		}
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	local := strings.ReplaceAll(string(unit), "/usr/local/bin/terraform-provider-launchpad", self)
	path := filepath.Join(t.TempDir(), "launchpad.service")
	if err := os.WriteFile(path, []byte(local), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(analyze, "verify", path).CombinedOutput()
	if err != nil || len(strings.TrimSpace(string(out))) > 0 {
		t.Fatalf("systemd-analyze verify: %v\n%s", err, out)
	}
}

// TestSystemdUnitScore: `systemd-analyze security --offline=true` rates the unit's exposure at
// 2.5 or lower.
func TestSystemdUnitScore(t *testing.T) {
	analyze := systemdAnalyze(t)
	out, err := exec.Command(analyze, "security", "--offline=true", "--no-pager", unitFile).CombinedOutput()
	m := regexp.MustCompile(`Overall exposure level for launchpad\.service: ([0-9.]+)`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("systemd-analyze security printed no exposure level: %v\n%s", err, out)
	}
	score, _ := strconv.ParseFloat(string(m[1]), 64)
	t.Logf("systemd-analyze security --offline=true: exposure %.1f", score)
	if score > 2.5 {
		t.Fatalf("the unit's exposure is %.1f, more than 2.5:\n%s", score, out)
	}
}

// TestGitHubWorkflowsLintClean runs actionlint (with shellcheck on the run: scripts, when it is
// installed) on the workflow examples, and checks each does its one job.
func TestGitHubWorkflowsLintClean(t *testing.T) {
	files, _ := filepath.Glob(examples + "/ci/github/*.yml")
	if len(files) != 3 {
		t.Fatalf("want the plan, apply and drift workflows, found %v", files)
	}
	if _, err := exec.LookPath("shellcheck"); err != nil {
		t.Log("shellcheck is not installed: actionlint checks the workflows without it")
	}
	linter, err := actionlint.NewLinter(io.Discard, &actionlint.LinterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	errs, err := linter.LintFiles(files, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range errs {
		t.Errorf("actionlint: %s:%d:%d: %s [%s]", e.Filepath, e.Line, e.Column, e.Message, e.Kind)
	}
	yamlLint(t, files...)

	read := func(name string) string {
		b, err := os.ReadFile(examples + "/ci/github/" + name)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	for name, wants := range map[string][]string{
		"tofu-plan.yml":  {"pull_request:", "pull-requests: write", "tofu plan", "createComment", "PG_CONN_STR"},
		"tofu-apply.yml": {"branches: [main]", "tofu apply", "cancel-in-progress: false", "PG_CONN_STR"},
		"tofu-drift.yml": {"schedule:", "-detailed-exitcode", `exitcode == '2'`, "PG_CONN_STR"},
	} {
		text := read(name)
		for _, w := range wants {
			if !strings.Contains(text, w) {
				t.Errorf("%s does not say %q", name, w)
			}
		}
	}
	backend, err := os.ReadFile(examples + "/ci/backend.tf")
	if err != nil || !strings.Contains(string(backend), `backend "pg"`) {
		t.Errorf("examples/ci/backend.tf has no pg backend: %v", err)
	}
}

// TestGitLabPipeline lints the GitLab example with yamllint and checks its structure as GitLab
// would: every job's stage is declared, extends names a template that exists, every job has a
// script and rules; plan reports the plan to the merge request, apply runs on the default
// branch one at a time, drift runs from a schedule with -detailed-exitcode.
func TestGitLabPipeline(t *testing.T) {
	yamlLint(t, gitlab)
	b, err := os.ReadFile(gitlab)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	reserved := map[string]bool{"stages": true, "default": true, "variables": true, "workflow": true, "include": true, "image": true, "services": true, "cache": true, "before_script": true, "after_script": true}
	jobKeys := map[string]bool{"stage": true, "extends": true, "rules": true, "script": true, "artifacts": true, "resource_group": true, "interruptible": true,
		"environment": true, "before_script": true, "after_script": true, "image": true, "variables": true, "needs": true, "when": true, "allow_failure": true, "timeout": true, "tags": true, "cache": true}
	var stages []string
	for _, s := range doc["stages"].([]any) {
		stages = append(stages, s.(string))
	}
	jobs := map[string]map[string]any{}
	for name, v := range doc {
		if reserved[name] {
			continue
		}
		job, ok := v.(map[string]any)
		if !ok {
			t.Fatalf("%s is not a job", name)
		}
		for k := range job {
			if !jobKeys[k] {
				t.Errorf("job %s: unknown keyword %q", name, k)
			}
		}
		jobs[name] = job
	}
	merged := func(name string) map[string]any {
		out := map[string]any{}
		job := jobs[name]
		if ext, ok := job["extends"].(string); ok {
			tmpl, ok := jobs[ext]
			if !ok || !strings.HasPrefix(ext, ".") {
				t.Errorf("job %s extends %q, which is not a hidden job of this file", name, ext)
			}
			for k, v := range tmpl {
				out[k] = v
			}
		}
		for k, v := range job {
			out[k] = v
		}
		return out
	}
	for _, name := range []string{"plan", "apply", "drift"} {
		job, ok := jobs[name]
		if !ok {
			t.Errorf("no %s job", name)
			continue
		}
		m := merged(name)
		if st, _ := job["stage"].(string); !contains(stages, st) {
			t.Errorf("job %s: stage %q is not declared in stages %v", name, st, stages)
		}
		if s, _ := m["script"].([]any); len(s) == 0 {
			t.Errorf("job %s has no script", name)
		}
		if r, _ := m["rules"].([]any); len(r) == 0 {
			t.Errorf("job %s has no rules: it would run in every pipeline", name)
		}
	}
	text := string(b)
	for _, want := range []string{`$CI_PIPELINE_SOURCE == "merge_request_event"`, "terraform: plan.json", `$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH`,
		"resource_group:", `$CI_PIPELINE_SOURCE == "schedule"`, "-detailed-exitcode", "tofu init -lockfile=readonly", "PG_CONN_STR"} {
		if !strings.Contains(text, want) {
			t.Errorf("the GitLab pipeline does not say %q", want)
		}
	}
}

// TestKubernetesManifest lints the manifest with yamllint and checks that it runs the image as
// the image expects: its user, non-root, no privilege escalation, a read-only root with the
// state volume and /tmp mounted, its port, /healthz and /readyz probes, settings from a Secret.
func TestKubernetesManifest(t *testing.T) {
	yamlLint(t, k8sFile)
	f, err := os.Open(k8sFile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	kinds := map[string]map[string]any{}
	dec := yaml.NewDecoder(f)
	for {
		var d map[string]any
		if err := dec.Decode(&d); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		if d == nil {
			continue
		}
		for _, k := range []string{"apiVersion", "kind", "metadata"} {
			if d[k] == nil {
				t.Fatalf("a document has no %s: %v", k, d)
			}
		}
		kinds[d["kind"].(string)] = d
	}
	sts := kinds["StatefulSet"]
	if sts == nil || kinds["Service"] == nil {
		t.Fatalf("want a StatefulSet and a Service, found %v", keys(kinds))
	}
	get := func(v any, path ...any) any {
		for _, p := range path {
			switch p := p.(type) {
			case string:
				m, _ := v.(map[string]any)
				v = m[p]
			case int:
				l, _ := v.([]any)
				if p >= len(l) {
					return nil
				}
				v = l[p]
			}
		}
		return v
	}
	pod := get(sts, "spec", "template", "spec")
	c := get(pod, "containers", 0)
	checks := []struct {
		what string
		got  any
		want any
	}{
		{"replicas (SQLite takes one writer)", get(sts, "spec", "replicas"), 1},
		{"runAsNonRoot", get(pod, "securityContext", "runAsNonRoot"), true},
		{"runAsUser", get(pod, "securityContext", "runAsUser"), image.UID},
		{"runAsGroup", get(pod, "securityContext", "runAsGroup"), image.GID},
		{"seccompProfile", get(pod, "securityContext", "seccompProfile", "type"), "RuntimeDefault"},
		{"automountServiceAccountToken", get(pod, "automountServiceAccountToken"), false},
		{"allowPrivilegeEscalation", get(c, "securityContext", "allowPrivilegeEscalation"), false},
		{"readOnlyRootFilesystem", get(c, "securityContext", "readOnlyRootFilesystem"), true},
		{"capabilities dropped", get(c, "securityContext", "capabilities", "drop", 0), "ALL"},
		{"containerPort", get(c, "ports", 0, "containerPort"), image.Port},
		{"liveness probe", get(c, "livenessProbe", "httpGet", "path"), "/healthz"},
		{"startup probe", get(c, "startupProbe", "httpGet", "path"), "/healthz"},
		{"readiness probe", get(c, "readinessProbe", "httpGet", "path"), "/readyz"},
		{"state volume", get(c, "volumeMounts", 0, "mountPath"), image.StateDir},
		{"/tmp volume", get(c, "volumeMounts", 1, "mountPath"), "/tmp"},
		{"settings from a Secret", get(c, "envFrom", 0, "secretRef", "name"), "launchpad-env"},
		{"state claim", get(sts, "spec", "volumeClaimTemplates", 0, "metadata", "name"), "state"},
	}
	for _, ch := range checks {
		if ch.got != ch.want {
			t.Errorf("%s: %v, want %v", ch.what, ch.got, ch.want)
		}
	}
}

// yamlLint runs yamllint strictly (warnings fail) with long lines allowed and GitHub's `on:`
// key accepted.
func yamlLint(t *testing.T, files ...string) {
	t.Helper()
	yl := stacktest.Command(t, "yamllint", "yamllint not found: install Debian's yamllint package (.ci/run does)")
	conf := "{extends: default, rules: {line-length: {max: 250}, document-start: disable, truthy: {check-keys: false}, comments: {min-spaces-from-content: 1}}}"
	out, err := exec.Command(yl, append([]string{"-s", "-f", "parsable", "-d", conf}, files...)...).CombinedOutput()
	if err != nil {
		t.Errorf("yamllint: %v\n%s", err, out)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
