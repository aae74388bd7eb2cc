// Command image is `make image`: it builds the control plane's OCI image (see package image)
// from a static terraform-provider-launchpad and a static tofu and writes it as an oci-archive.
// SOURCE_DATE_EPOCH (the make target sets it to the commit's time) dates the image and its
// files, so the same commit builds the same digest.
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/harness/image"
)

func main() {
	binary := flag.String("binary", "", "a static linux build of terraform-provider-launchpad (required)")
	tofu := flag.String("tofu", "", "a static linux build of tofu (required)")
	ca := flag.String("ca-certs", image.DefaultCACerts, "the CA certificate bundle to ship")
	version := flag.String("version", "dev", "the image's version")
	arch := flag.String("arch", runtime.GOARCH, "GOARCH of the two executables")
	out := flag.String("out", "dist/launchpad-image.tar", "where the oci-archive is written")
	flag.Parse()
	if err := run(*binary, *tofu, *ca, *version, *arch, *out); err != nil {
		fmt.Fprintln(os.Stderr, "image:", err)
		os.Exit(1)
	}
}

func run(binary, tofu, ca, version, arch, out string) error {
	if binary == "" || tofu == "" {
		return fmt.Errorf("-binary and -tofu are required")
	}
	var created time.Time
	if v := os.Getenv("SOURCE_DATE_EPOCH"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return fmt.Errorf("SOURCE_DATE_EPOCH=%q is not a number of seconds", v)
		}
		created = time.Unix(n, 0).UTC()
	}
	start := time.Now()
	img, err := image.Build(image.Options{Binary: binary, Tofu: tofu, CACerts: ca, Version: version, Arch: arch, Created: created})
	if err != nil {
		return err
	}
	digest, err := image.WriteArchive(out, img, "launchpad:"+version, created)
	if err != nil {
		return err
	}
	st, err := os.Stat(out)
	if err != nil {
		return err
	}
	fmt.Printf("wrote %s in %s: launchpad:%s, linux/%s, %.1f MB, digest %s\n",
		out, time.Since(start).Round(100*time.Millisecond), version, arch, float64(st.Size())/1e6, digest)
	fmt.Printf("load it with: skopeo copy oci-archive:%s docker-daemon:launchpad:%s   (or podman load -i %s)\n", out, version, out)
	return nil
}
