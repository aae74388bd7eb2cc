package stacktest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/synctest"
)

// recordingTB records what a helper asks of a test instead of ending it.
type recordingTB struct {
	testing.TB
	fatal, skip string
}

func (r *recordingTB) Helper()                   {}
func (r *recordingTB) Fatal(args ...any)         { r.fatal = fmt.Sprint(args...) }
func (r *recordingTB) Fatalf(f string, a ...any) { r.fatal = fmt.Sprintf(f, a...) }
func (r *recordingTB) Skip(args ...any)          { r.skip = fmt.Sprint(args...) }

func TestMissingFailsInCIAndSkipsLoudlyElsewhere(t *testing.T) {
	t.Setenv("TF_ACC_TERRAFORM_PATH", "")
	t.Setenv("LAUNCHPAD_TOFU", "")

	t.Setenv("CI", "true")
	ci := &recordingTB{TB: t}
	Tofu(ci)
	if ci.skip != "" || !strings.Contains(ci.fatal, "OpenTofu not found") || !strings.Contains(ci.fatal, "make tools") {
		t.Errorf("with CI=true a missing tofu skipped (%q) or failed without saying what to do (%q)", ci.skip, ci.fatal)
	}

	t.Setenv("CI", "")
	dev := &recordingTB{TB: t}
	Tofu(dev)
	if dev.fatal != "" || !strings.HasPrefix(dev.skip, "SKIPPED: OpenTofu not found") {
		t.Errorf("without CI a missing tofu failed (%q) or skipped quietly (%q)", dev.fatal, dev.skip)
	}
}

func TestAPathThatIsNoExecutableFails(t *testing.T) {
	notExec := filepath.Join(t.TempDir(), "tofu")
	if err := os.WriteFile(notExec, []byte("not a program"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("CI", "")
	t.Setenv("TF_ACC_TERRAFORM_PATH", notExec)
	r := &recordingTB{TB: t}
	Tofu(r)
	if r.skip != "" || !strings.Contains(r.fatal, "TF_ACC_TERRAFORM_PATH="+notExec+" is not an executable") {
		t.Errorf("a tofu that cannot run: fatal %q, skip %q; want a failure naming the variable", r.fatal, r.skip)
	}
}

// TestOutputWaitFor: WaitFor returns once the text is written, even across writes, and not
// before; it gives up when its context ends.
func TestOutputWaitFor(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var o Output
		found := make(chan bool, 1)
		go func() { found <- o.WaitFor(t.Context(), "ready") }()
		fmt.Fprint(&o, "starting, ")
		synctest.Wait() // the waiter has looked again and waits for the next write
		select {
		case <-found:
			t.Fatal("WaitFor returned before the text was written")
		default:
		}
		fmt.Fprint(&o, "rea")
		fmt.Fprint(&o, "dy\n")
		if !<-found {
			t.Fatal("WaitFor did not find text written in two pieces")
		}
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		if o.WaitFor(ctx, "never written") {
			t.Fatal("WaitFor found text that was never written")
		}
	})
}
