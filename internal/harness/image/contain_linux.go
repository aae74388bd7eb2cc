//go:build linux

package image

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"syscall"
)

// containEnv carries a containSpec to the re-executed test binary.
const containEnv = "LAUNCHPAD_IMAGE_CONTAIN"

type containSpec struct {
	Root string   `json:"root"`
	Dir  string   `json:"dir"`
	UID  int      `json:"uid"`
	GID  int      `json:"gid"`
	Argv []string `json:"argv"`
	Env  []string `json:"env"`
}

// Command returns a command that runs argv from the root file system rootfs as uid:gid, in
// dir, with env and nothing else — roughly what a container runtime does with an image, minus
// network isolation: in new mount and PID namespaces, with /proc and /dev mounted inside the
// root, chrooted, then with its ids dropped. It re-executes the running program, which must
// call MaybeContain first thing (a test's TestMain). It needs root.
func Command(rootfs, dir string, uid, gid int, env []string, argv ...string) (*exec.Cmd, error) {
	if os.Geteuid() != 0 {
		return nil, fmt.Errorf("running a command from the image's root file system needs root (chroot, mounts, setuid); running as uid %d", os.Geteuid())
	}
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	abs, err := filepath.Abs(rootfs)
	if err != nil {
		return nil, err
	}
	spec, err := json.Marshal(containSpec{Root: abs, Dir: dir, UID: uid, GID: gid, Argv: argv, Env: env})
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(self)
	cmd.Env = []string{containEnv + "=" + string(spec)}
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Cloneflags: syscall.CLONE_NEWNS | syscall.CLONE_NEWPID,
		Pdeathsig:  syscall.SIGKILL,
	}
	return cmd, nil
}

// MaybeContain does nothing unless this process was started by Command; then it sets up the
// root file system and ids and executes the command in place of this process, and never
// returns.
func MaybeContain() {
	raw := os.Getenv(containEnv)
	if raw == "" {
		return
	}
	runtime.LockOSThread()
	if err := contain(raw); err != nil {
		fmt.Fprintln(os.Stderr, "contain:", err)
		os.Exit(127)
	}
}

func contain(raw string) error {
	var s containSpec
	if err := json.Unmarshal([]byte(raw), &s); err != nil {
		return err
	}
	// Nothing mounted here may reach the host's mount namespace.
	if err := syscall.Mount("", "/", "", syscall.MS_REC|syscall.MS_PRIVATE, ""); err != nil {
		return fmt.Errorf("making mounts private: %w", err)
	}
	for _, d := range []string{"proc", "dev"} {
		if err := os.MkdirAll(filepath.Join(s.Root, d), 0o755); err != nil {
			return err
		}
	}
	if err := syscall.Mount("proc", filepath.Join(s.Root, "proc"), "proc", syscall.MS_NOSUID|syscall.MS_NODEV|syscall.MS_NOEXEC, ""); err != nil {
		return fmt.Errorf("mounting /proc: %w", err)
	}
	if err := syscall.Mount("/dev", filepath.Join(s.Root, "dev"), "", syscall.MS_BIND|syscall.MS_REC, ""); err != nil {
		return fmt.Errorf("mounting /dev: %w", err)
	}
	if err := syscall.Chroot(s.Root); err != nil {
		return fmt.Errorf("chroot: %w", err)
	}
	if err := syscall.Chdir(s.Dir); err != nil {
		return fmt.Errorf("chdir %s: %w", s.Dir, err)
	}
	if err := syscall.Setgroups(nil); err != nil {
		return err
	}
	if err := syscall.Setgid(s.GID); err != nil {
		return err
	}
	if err := syscall.Setuid(s.UID); err != nil {
		return err
	}
	return syscall.Exec(s.Argv[0], s.Argv, s.Env)
}
