// Package healthcheck is `terraform-provider-launchpad healthcheck`: it asks the control plane
// on this host for /healthz and exits 0 when it answers 200. It is the container image's health
// check, which has no curl or shell to run one with.
package healthcheck

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/cliflag"
	"github.com/clawdrun/terraform-provider-launchpad/internal/settings"
)

// DefaultAddr is serve's default LAUNCHPAD_ADDR (controlplane.DefaultAddr; a test keeps them
// equal).
const DefaultAddr = "127.0.0.1:8080"

// Run is `terraform-provider-launchpad healthcheck [--url URL] [--timeout D]`. Without --url it
// asks http://ADDR/healthz, ADDR being LAUNCHPAD_ADDR (what serve listens on) with a wildcard
// host replaced by loopback. Exit codes: 0 healthy, 1 not, 2 bad usage.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return run(ctx, args, os.Getenv, stdout, stderr)
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("healthcheck", flag.ContinueOnError)
	fs.SetOutput(stderr)
	url := fs.String("url", "", "the URL to ask (default http://LAUNCHPAD_ADDR/healthz)")
	timeout := fs.Duration("timeout", 5*time.Second, "how long to wait for the answer")
	if code, stop := cliflag.ParseNoArgs(fs, args, ""); stop {
		return code
	}
	if *url == "" {
		u, err := URL(getenv(settings.Addr))
		if err != nil {
			fmt.Fprintf(stderr, "healthcheck: %v\n", err)
			return 2
		}
		*url = u
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, *url, nil)
	if err != nil {
		fmt.Fprintf(stderr, "healthcheck: %v\n", err)
		return 2
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Fprintf(stderr, "healthcheck: %s: %v\n", *url, err)
		return 1
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	if resp.StatusCode != http.StatusOK {
		fmt.Fprintf(stderr, "healthcheck: %s answered %s\n", *url, resp.Status)
		return 1
	}
	fmt.Fprintf(stdout, "healthcheck: %s answered %s\n", *url, resp.Status)
	return 0
}

// URL is the /healthz URL of a serve listening on addr ("" means DefaultAddr): a wildcard or
// empty host is asked on loopback.
func URL(addr string) (string, error) {
	if addr == "" {
		addr = DefaultAddr
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("LAUNCHPAD_ADDR %q is not host:port: %v", addr, err)
	}
	switch host {
	case "", "0.0.0.0":
		host = "127.0.0.1"
	case "::":
		host = "::1"
	}
	return "http://" + net.JoinHostPort(host, port) + "/healthz", nil
}
