// Command release is `make release`: it builds the provider's release into a directory in the
// registries' layout (see package release) and, with -mirror, adds it to a mirror tree that
// serves as a filesystem mirror and a static network mirror alike.
//
// The signing key comes from the environment, checked in this order:
//
//	GPG_FINGERPRINT              sign with gpg and this key of the keyring (GoReleaser's convention)
//	RELEASE_SIGNING_KEY          an armored secret key file (gpg --armor --export-secret-keys FPR),
//	RELEASE_SIGNING_PASSPHRASE   with its passphrase, if it has one
//
// With neither, a throwaway key is generated for this one build, and the command says so.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/harness/release"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "release:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context) error {
	version := flag.String("version", "", "the version, x.y.z (required)")
	out := flag.String("out", "dist", "directory the release is written to")
	platforms := flag.String("platforms", "", "comma-separated os_arch list, or host (default: all five release platforms)")
	mirror := flag.String("mirror", "", "also add the release to this mirror directory")
	flag.Parse()
	if *version == "" {
		return fmt.Errorf("-version is required (make release VERSION=x.y.z)")
	}
	*version = strings.TrimPrefix(*version, "v")
	plats, err := parsePlatforms(*platforms)
	if err != nil {
		return err
	}
	stamp, err := sourceDate()
	if err != nil {
		return err
	}
	signer, err := signer(time.Now())
	if err != nil {
		return err
	}
	start := time.Now()
	a, err := release.Build(ctx, release.Options{
		Version: *version, Dir: *out, Platforms: plats, Time: stamp, Signer: signer, Log: os.Stdout,
	})
	if err != nil {
		return err
	}
	fmt.Printf("release %s in %s (%s):\n", a.Version, *out, time.Since(start).Round(time.Second))
	for _, f := range a.Files() {
		fmt.Println("  " + filepath.Base(f))
	}
	if ks, ok := signer.(*release.KeySigner); ok && ks.Throwaway {
		fmt.Printf("NOTE: no signing key is configured, so SHA256SUMS is signed with a throwaway key that nobody trusts\n"+
			"      (its public half is %s). To sign with a real key set GPG_FINGERPRINT\n"+
			"      (a key in your gpg keyring) or RELEASE_SIGNING_KEY (an armored secret key file); see the operator guide.\n",
			filepath.Base(a.PublicKey))
	}
	if *mirror != "" {
		if err := release.Mirror(*mirror, a, nil); err != nil {
			return err
		}
		fmt.Printf("added %s to the mirror %s (for %s)\n", a.Version, *mirror, strings.Join(release.Hosts, " and "))
	}
	return nil
}

func parsePlatforms(s string) ([]release.Platform, error) {
	switch s {
	case "":
		return release.Platforms, nil
	case "host":
		return []release.Platform{release.Host()}, nil
	}
	var out []release.Platform
	for _, p := range strings.Split(s, ",") {
		osName, arch, ok := strings.Cut(strings.TrimSpace(p), "_")
		if !ok {
			return nil, fmt.Errorf("platform %q is not os_arch, like linux_amd64", p)
		}
		out = append(out, release.Platform{OS: osName, Arch: arch})
	}
	return out, nil
}

// sourceDate is SOURCE_DATE_EPOCH (the make target sets it to the commit's time), or the zero
// time, which dates zip entries at zip's epoch.
func sourceDate() (time.Time, error) {
	v := os.Getenv("SOURCE_DATE_EPOCH")
	if v == "" {
		return time.Time{}, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("SOURCE_DATE_EPOCH=%q is not a number of seconds", v)
	}
	return time.Unix(n, 0).UTC(), nil
}

func signer(now time.Time) (release.Signer, error) {
	if fpr := os.Getenv("GPG_FINGERPRINT"); fpr != "" {
		return &release.GPGSigner{Fingerprint: fpr}, nil
	}
	if path := os.Getenv("RELEASE_SIGNING_KEY"); path != "" {
		return release.LoadKeyFile(path, []byte(os.Getenv("RELEASE_SIGNING_PASSPHRASE")))
	}
	fmt.Println("no signing key configured (GPG_FINGERPRINT or RELEASE_SIGNING_KEY): generating a throwaway key for this build")
	return release.ThrowawayKey(now)
}
