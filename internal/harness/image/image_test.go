package image

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/clawdrun/terraform-provider-launchpad/internal/harness/release"
	"github.com/clawdrun/terraform-provider-launchpad/internal/harness/stack"
	"github.com/clawdrun/terraform-provider-launchpad/internal/harness/stack/stacktest"
)

func TestMain(m *testing.M) {
	MaybeContain() // when Command re-executes this test binary inside an image's root
	os.Exit(m.Run())
}

// TestSameInputsSameDigest builds the image twice from the same small stand-in inputs: the
// digests and the archives' bytes are equal; another time gives another digest.
func TestSameInputsSameDigest(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string]string{"bin": "launchpad", "tofu": "tofu", "ca.pem": "certs"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	build := func(created time.Time, out string) (v1.Hash, string) {
		img, err := Build(Options{Binary: filepath.Join(dir, "bin"), Tofu: filepath.Join(dir, "tofu"), CACerts: filepath.Join(dir, "ca.pem"),
			Version: "1.0.0", Arch: "amd64", Created: created})
		if err != nil {
			t.Fatal(err)
		}
		d, err := WriteArchive(filepath.Join(dir, out), img, "launchpad:1.0.0", created)
		if err != nil {
			t.Fatal(err)
		}
		sum, err := release.FileSHA256(filepath.Join(dir, out))
		if err != nil {
			t.Fatal(err)
		}
		return d, sum
	}
	d1, s1 := build(at, "a.tar")
	d2, s2 := build(at, "b.tar")
	if d1 != d2 || s1 != s2 {
		t.Fatalf("the same inputs built %s (archive %s) and %s (archive %s)", d1, s1, d2, s2)
	}
	if d3, _ := build(at.Add(time.Second), "c.tar"); d3 == d1 {
		t.Fatal("another creation time built the same digest")
	}

	rootfs := t.TempDir()
	digest, cfg, err := Unpack(filepath.Join(dir, "a.tar"), rootfs)
	if err != nil {
		t.Fatal(err)
	}
	if digest != d1 {
		t.Fatalf("Unpack read digest %s, WriteArchive wrote %s", digest, d1)
	}
	if cfg.Config.User != "65532:65532" || strings.Join(cfg.Config.Entrypoint, " ") != BinaryPath+" serve" ||
		strings.Join(Healthcheck(cfg), " ") != BinaryPath+" healthcheck" || cfg.OS != "linux" || !cfg.Created.Time.Equal(at) {
		t.Fatalf("config %+v", cfg)
	}
	for path, want := range map[string]string{BinaryPath: "launchpad", TofuPath: "tofu", CAPath: "certs"} {
		if b, err := os.ReadFile(filepath.Join(rootfs, path)); err != nil || string(b) != want {
			t.Errorf("%s in the root file system: %q, %v", path, b, err)
		}
	}
	if st, err := os.Stat(filepath.Join(rootfs, "tmp")); err != nil || st.Mode()&os.ModeSticky == 0 || st.Mode().Perm() != 0o777 {
		t.Errorf("/tmp: %v %v", st.Mode(), err)
	}
	passwd, _ := os.ReadFile(filepath.Join(rootfs, "etc/passwd"))
	if !strings.Contains(string(passwd), "launchpad:x:65532:65532:") {
		t.Errorf("/etc/passwd has no launchpad user:\n%s", passwd)
	}
}

// TestImageRunsServeAsItsUser unpacks the image `make image` built (LAUNCHPAD_IMAGE_ARCHIVE,
// which `make test` sets) and runs it as a container runtime would: the entrypoint from the
// image's own root file system as the image's user, with the image's environment. serve answers
// /healthz, the image's health check passes, the store it creates belongs to the user, and the
// tofu inside runs.
func TestImageRunsServeAsItsUser(t *testing.T) {
	archive := os.Getenv("LAUNCHPAD_IMAGE_ARCHIVE")
	if archive == "" {
		stacktest.Missing(t, "LAUNCHPAD_IMAGE_ARCHIVE is not set: run `make image` (it writes dist/launchpad-image.tar; `make test` sets the variable)")
	}
	if _, err := os.Stat(archive); err != nil {
		stacktest.Missing(t, fmt.Sprintf("the image archive %s is not there (%v): run `make image` first", archive, err))
	}
	if os.Geteuid() != 0 {
		stacktest.Missing(t, "running the image's root file system needs root (chroot, mounts, setuid)")
	}
	rootfs := t.TempDir()
	digest, cfg, err := Unpack(archive, rootfs)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("image %s: user %s, entrypoint %v", digest, cfg.Config.User, cfg.Config.Entrypoint)
	var uid, gid int
	if _, err := fmt.Sscanf(cfg.Config.User, "%d:%d", &uid, &gid); err != nil || uid == 0 || gid == 0 {
		t.Fatalf("the image's user %q is not a non-root uid:gid", cfg.Config.User)
	}

	run := func(env []string, argv ...string) (string, error) {
		cmd, err := Command(rootfs, cfg.Config.WorkingDir, uid, gid, env, argv...)
		if err != nil {
			t.Fatal(err)
		}
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	out, err := run(cfg.Config.Env, TofuPath, "version")
	if err != nil || !strings.Contains(out, "OpenTofu v") {
		t.Fatalf("the image's tofu as its user: %v\n%s", err, out)
	}
	t.Logf("the image's tofu: %s", strings.SplitN(out, "\n", 2)[0])

	addr := freeAddr(t)
	env := withEnv(cfg.Config.Env,
		"PLATFORM_SECRET="+stack.RandomHex(32), "LAUNCHPAD_SMTP_URL=log:", "LAUNCHPAD_METER_INTERVAL=off",
		"LAUNCHPAD_ADDR="+addr) // the host's network: loopback instead of the image's 0.0.0.0:8080
	serve, err := Command(rootfs, cfg.Config.WorkingDir, uid, gid, env, cfg.Config.Entrypoint...)
	if err != nil {
		t.Fatal(err)
	}
	var log stacktest.Output
	serve.Stdout, serve.Stderr = &log, &log
	if err := serve.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- serve.Wait() }()
	defer func() {
		_ = serve.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(15 * time.Second):
			_ = serve.Process.Kill()
			<-exited
		}
	}()

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	healthz := "http://" + addr + "/healthz"
	for {
		resp, err := http.Get(healthz)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		select {
		case err := <-exited:
			t.Fatalf("serve exited from the image: %v\n%s", err, log.String())
		case <-ctx.Done():
			t.Fatalf("serve in the image never answered %s\n%s", healthz, log.String())
		case <-time.After(200 * time.Millisecond):
		}
	}

	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", serve.Process.Pid))
	if err != nil || !strings.Contains(string(status), fmt.Sprintf("\nUid:\t%d\t%d\t%d\t%d\n", uid, uid, uid, uid)) {
		t.Fatalf("serve does not run as uid %d: %v\n%s", uid, err, status)
	}
	store := filepath.Join(rootfs, StateDir, "launchpad.db")
	if st, err := os.Stat(store); err != nil || st.Sys().(*syscall.Stat_t).Uid != uint32(uid) {
		t.Fatalf("the store %s: %v, %+v", store, err, st)
	}

	out, err = run(withEnv(cfg.Config.Env, "LAUNCHPAD_ADDR="+addr), Healthcheck(cfg)...)
	if err != nil || !strings.Contains(out, "200 OK") {
		t.Fatalf("the image's health check %v: %v\n%s", Healthcheck(cfg), err, out)
	}
}

// withEnv is env with the KEY=value settings of set replacing those of the same keys, as
// `docker run -e` does: a process sees the first of two equal keys.
func withEnv(env []string, set ...string) []string {
	out := append([]string(nil), set...)
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		replaced := false
		for _, s := range set {
			if strings.HasPrefix(s, k+"=") {
				replaced = true
			}
		}
		if !replaced {
			out = append(out, kv)
		}
	}
	return out
}

// freeAddr is a loopback address with a port nothing listens on right now.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}
