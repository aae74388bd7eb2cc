package main

import (
	"bytes"
	"strings"
	"testing"
)

func run(t *testing.T, input string) (string, int) {
	t.Helper()
	var out bytes.Buffer
	r := &report{out: &out, output: map[string][]string{}, packages: map[string]string{}}
	if err := r.read(strings.NewReader(input)); err != nil {
		t.Fatal(err)
	}
	code := r.summary()
	return out.String(), code
}

const pkg = `"Package":"github.com/clawdrun/terraform-provider-launchpad/internal/x"`

func TestReportShowsFailuresSkipsAndFigures(t *testing.T) {
	in := strings.Join([]string{
		`{"Action":"run",` + pkg + `,"Test":"TestA"}`,
		`{"Action":"output",` + pkg + `,"Test":"TestA","Output":"    x_test.go:9: conformance: 111 cases on sqlite\n"}`,
		`{"Action":"pass",` + pkg + `,"Test":"TestA","Elapsed":0.1}`,
		`{"Action":"output",` + pkg + `,"Test":"TestB","Output":"    x_test.go:3: WARNING: emulator missing\n"}`,
		`{"Action":"output",` + pkg + `,"Test":"TestB","Output":"--- SKIP: TestB (0.00s)\n"}`,
		`{"Action":"skip",` + pkg + `,"Test":"TestB"}`,
		`{"Action":"output",` + pkg + `,"Test":"TestC","Output":"    x_test.go:5: want 2, got 3\n"}`,
		`{"Action":"fail",` + pkg + `,"Test":"TestC","Elapsed":0.2}`,
		`{"Action":"fail",` + pkg + `,"Elapsed":0.5}`,
	}, "\n")
	out, code := run(t, in)
	if code != 1 {
		t.Errorf("exit code %d, want 1", code)
	}
	for _, want := range []string{
		"--- FAIL: internal/x TestC", "want 2, got 3",
		"internal/x TestB: x_test.go:3: WARNING: emulator missing",
		"internal/x: conformance: 111 cases on sqlite",
		"1 passed, 1 failed, 1 skipped",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
}

func TestReportPassesOnlyWhenSomethingRan(t *testing.T) {
	if _, code := run(t, `{"Action":"pass",`+pkg+`,"Test":"TestA"}`+"\n"+`{"Action":"pass",`+pkg+`}`); code != 0 {
		t.Errorf("a passing run exits %d", code)
	}
	if out, code := run(t, `{"Action":"skip",`+pkg+`}`); code != 1 || !strings.Contains(out, "no test ran") {
		t.Errorf("an empty run exits %d:\n%s", code, out)
	}
}

func TestReportShowsBuildErrors(t *testing.T) {
	out, _ := run(t, "# github.com/x\n./a.go:1: syntax error\n")
	if !strings.Contains(out, "syntax error") {
		t.Errorf("build error not shown:\n%s", out)
	}
}
