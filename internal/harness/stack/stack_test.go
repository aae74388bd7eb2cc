package stack

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestLastSummary(t *testing.T) {
	out := "Plan: 2 to add\nApply complete! Resources: 2 added, 0 changed, 0 destroyed.\n\nDestroy complete! Resources: 2 destroyed.\n"
	if got := LastSummary([]byte(out)); got != "Destroy complete! Resources: 2 destroyed." {
		t.Fatalf("LastSummary = %q", got)
	}
	if got := LastSummary([]byte("Error: nope")); got != "" {
		t.Fatalf("LastSummary of a failure = %q", got)
	}
}

// TestKillIsACrash: Kill ends the process with SIGKILL and waits for it; Stop after that
// reports how it ended; a second Kill says it is gone.
func TestKillIsACrash(t *testing.T) {
	sleep, err := exec.LookPath("sleep")
	if err != nil {
		t.Skip("SKIPPED: no sleep(1) on PATH")
	}
	p, err := StartProc("sleeper", sleep, []string{"60"}, nil, filepath.Join(t.TempDir(), "sleeper.log"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if done, _ := p.Exited(); done {
		t.Fatal("exited at once")
	}
	if err := p.Kill(); err != nil {
		t.Fatal(err)
	}
	done, werr := p.Exited()
	if !done || werr == nil || !strings.Contains(werr.Error(), "killed") {
		t.Fatalf("after Kill: done %v, %v", done, werr)
	}
	if err := p.Kill(); err == nil {
		t.Fatal("a second Kill did not say the process was gone")
	}
}

func TestEnvListIsSorted(t *testing.T) {
	got := EnvList(map[string]string{"B": "2", "A": "1", "C": "x=y"})
	if strings.Join(got, " ") != "A=1 B=2 C=x=y" {
		t.Fatalf("EnvList = %v", got)
	}
}
