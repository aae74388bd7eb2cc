package rollout

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/clawdrun/terraform-provider-launchpad/controlplane/httpjson"
	"github.com/clawdrun/terraform-provider-launchpad/controlplane/operator"
	"github.com/clawdrun/terraform-provider-launchpad/internal/cliflag"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/settings"
)

// exitControlPlane is the CLI's exit code when the control plane refused or could not be reached.
const exitControlPlane = 125

const cliUsage = `Usage: terraform-provider-launchpad rollout COMMAND [flags] [ID]

Commands:
  start   -image IMAGE and/or -plan PLAN [policy flags]   start a rollout (-follow to watch it)
  status  [ID] [-follow]                                   list rollouts, or show one (and follow it)
  pause   ID                                               stop reaching more tenants
  resume  ID                                               go on (or start a proposed rollout)
  abort   ID                                               stop, and put changed tenants back

The control plane is LAUNCHPAD_URL (default ` + operator.DefaultURL + `); LAUNCHPAD_ADMIN_TOKEN
(environment only) authorises the requests; -operator (default $USER) names you in the audit log.
Exit codes: 0 done, 1 a followed rollout ended paused, aborted or rolled back, 2 usage, 125 refused.`

// RunCLI is the rollout subcommand.
func RunCLI(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	out, isTTY := stdout, false
	if f, ok := stdout.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		isTTY = true
	}
	c := &cli{getenv: os.Getenv, client: http.DefaultClient, stdout: out, stderr: stderr, tty: isTTY, every: time.Second}
	return c.run(ctx, args)
}

// cli is one run of the rollout command.
type cli struct {
	getenv         func(string) string
	client         *http.Client
	stdout, stderr io.Writer
	tty            bool          // stdout is a terminal: draw a progress bar
	every          time.Duration // how often -follow polls

	baseURL, token, operator string
}

func (c *cli) run(ctx context.Context, args []string) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "-help" || args[0] == "--help" {
		fmt.Fprintln(c.stderr, cliUsage)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	sub, args := args[0], args[1:]
	fs := flag.NewFlagSet("rollout "+sub, flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	urlFlag := fs.String("url", "", "control plane URL (env LAUNCHPAD_URL, default "+operator.DefaultURL+")")
	opFlag := fs.String("operator", "", "your name, recorded in the audit log (default $USER)")
	follow := fs.Bool("follow", false, "watch the rollout until it rests: a progress bar on a terminal, plain lines otherwise")
	var req Request
	var canary, maxFailures, plans, users string
	if sub == "start" {
		fs.StringVar(&req.Image, "image", "", "the agent image every selected tenant moves to")
		fs.StringVar(&req.Plan, "plan", "", "a plan whose current definition is re-applied to its tenants")
		fs.StringVar(&plans, "plans", "", "only tenants on these plans (comma-separated)")
		fs.StringVar(&users, "users", "", "only these users' tenants (comma-separated user ids)")
		fs.StringVar(&canary, "canary", "", "tenants that go first, alone (default 1; 0 for none)")
		fs.IntVar(&req.BatchSize, "batch-size", 0, "tenants per wave after the canaries (default 10)")
		fs.IntVar(&req.MaxParallel, "max-parallel", 0, "applies in flight at once (default 4)")
		fs.StringVar(&maxFailures, "max-failures", "", "failures before the rollout pauses: a number (2) or a ratio (0.1); default 0")
		fs.StringVar(&req.HealthTimeout, "health-timeout", "", "how long a machine has to start and pass its checks (default 5m)")
	}
	if code, stop := cliflag.Parse(fs, args, cliUsage+"\n\nFlags of "+sub+":"); stop {
		return code
	}
	if err := c.settings(fs, *urlFlag, *opFlag); err != nil {
		fmt.Fprintf(c.stderr, "terraform-provider-launchpad rollout: %v\n", err)
		return 2
	}
	id := fs.Arg(0)
	if fs.NArg() > 1 || (id == "" && sub != "start" && sub != "status") || (id != "" && sub == "start") {
		fmt.Fprintf(c.stderr, "terraform-provider-launchpad rollout %s: give %s\n", sub, map[bool]string{true: "no rollout id", false: "one rollout id"}[sub == "start"])
		return 2
	}
	var err error
	switch sub {
	case "start":
		req.Plans, req.UserIDs = splitList(plans), splitList(users)
		req.MaxFailures = json.Number(maxFailures)
		if canary != "" {
			n, cerr := strconv.Atoi(canary)
			if cerr != nil {
				fmt.Fprintf(c.stderr, "terraform-provider-launchpad rollout start: -canary %q is not a whole number\n", canary)
				return 2
			}
			req.Canary = &n
		}
		var started struct {
			ID    string `json:"id"`
			State string `json:"state"`
			Total int    `json:"total"`
		}
		if err = c.call(ctx, http.MethodPost, "/api/admin/rollouts", req, &started); err == nil {
			fmt.Fprintf(c.stdout, "rollout %s %s over %d tenants\n", started.ID, started.State, started.Total)
			id = started.ID
		}
	case "status":
		if id == "" {
			err = c.list(ctx)
			break
		}
		var v view
		if err = c.call(ctx, http.MethodGet, "/api/admin/rollouts/"+url.PathEscape(id), nil, &v); err == nil && !*follow {
			printView(c.stdout, &v)
		}
	case "pause", "resume", "abort":
		var v view
		if err = c.call(ctx, http.MethodPost, "/api/admin/rollouts/"+url.PathEscape(id)+"/"+sub, struct{}{}, &v); err == nil {
			fmt.Fprintf(c.stdout, "rollout %s %s\n", v.ID, v.State)
		}
	default:
		fmt.Fprintf(c.stderr, "terraform-provider-launchpad rollout: unknown command %q\n\n%s\n", sub, cliUsage)
		return 2
	}
	if err != nil {
		fmt.Fprintf(c.stderr, "terraform-provider-launchpad rollout %s: %v\n", sub, err)
		return exitControlPlane
	}
	if *follow && id != "" {
		return c.follow(ctx, id)
	}
	return 0
}

// settings reads the URL, the operator's name and the admin token.
func (c *cli) settings(fs *flag.FlagSet, urlFlag, opFlag string) error {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	c.baseURL, c.operator = urlFlag, opFlag
	if !set["url"] {
		c.baseURL = c.getenv(settings.URL)
	}
	if c.baseURL == "" {
		c.baseURL = operator.DefaultURL
	}
	if u, err := url.Parse(c.baseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("LAUNCHPAD_URL %q is not an http(s) URL like %s", launchpad.Clip(c.baseURL, 80), operator.DefaultURL)
	}
	if !set["operator"] {
		c.operator = c.getenv(settings.OperatorName)
	}
	if c.operator != "" {
		if err := launchpad.ValidateOperatorName(c.operator); err != nil {
			return errors.New(launchpad.ErrorMessage(err))
		}
	}
	if c.token = c.getenv(settings.AdminToken); c.token == "" {
		return errors.New("LAUNCHPAD_ADMIN_TOKEN is not set: set it to the control plane's admin token (it is read from the environment only, never from a flag)")
	}
	return nil
}

// view is a rollout as GET /api/admin/rollouts/{id} answers it.
type view struct {
	launchpad.Rollout
	Counts launchpad.RolloutCounts `json:"counts"`
}

func (c *cli) list(ctx context.Context) error {
	var l struct {
		Rollouts []view `json:"rollouts"`
	}
	if err := c.call(ctx, http.MethodGet, "/api/admin/rollouts", nil, &l); err != nil {
		return err
	}
	for _, v := range l.Rollouts {
		fmt.Fprintf(c.stdout, "%s  %-11s %s  %s\n", v.ID, v.State, countsLine(v.Counts), what(&v.Rollout))
	}
	return nil
}

// follow polls the rollout until it rests (anything but running, or paused with applies in
// flight): a progress bar of the tenants done on a terminal, a line per change otherwise.
func (c *cli) follow(ctx context.Context, id string) int {
	var bar *progressbar.ProgressBar
	last := ""
	for {
		var v view
		if err := c.call(ctx, http.MethodGet, "/api/admin/rollouts/"+url.PathEscape(id), nil, &v); err != nil {
			fmt.Fprintf(c.stderr, "terraform-provider-launchpad rollout: %v\n", err)
			return exitControlPlane
		}
		done := v.Counts.Succeeded + v.Counts.Failed + v.Counts.RolledBack
		line := fmt.Sprintf("%s %s: %s", v.ID, v.State, countsLine(v.Counts))
		switch {
		case c.tty:
			if bar == nil {
				bar = progressbar.NewOptions(max(v.Counts.Total, 1), progressbar.OptionSetWriter(c.stdout),
					progressbar.OptionSetWidth(30), progressbar.OptionShowCount(), progressbar.OptionClearOnFinish())
			}
			bar.Describe(v.State + " " + countsLine(v.Counts))
			_ = bar.Set(done)
		case line != last:
			fmt.Fprintln(c.stdout, line)
		}
		last = line
		if resting(&v) {
			if bar != nil {
				_ = bar.Finish()
			}
			printView(c.stdout, &v)
			if v.State == launchpad.RolloutCompleted {
				return 0
			}
			return 1
		}
		select {
		case <-ctx.Done():
			return 1
		case <-time.After(c.every):
		}
	}
}

// resting: nothing will change without an operator.
func resting(v *view) bool {
	switch v.State {
	case launchpad.RolloutRunning:
		return false
	case launchpad.RolloutPaused:
		return v.Counts.InFlight == 0
	case launchpad.RolloutAborted:
		return v.Counts.InFlight == 0 && !moving(&v.Rollout)
	}
	return true
}

func printView(w io.Writer, v *view) {
	fmt.Fprintf(w, "rollout %s: %s, %s\n  %s\n", v.ID, v.State, what(&v.Rollout), countsLine(v.Counts))
	if v.Reason != "" {
		fmt.Fprintf(w, "  %s\n", v.Reason)
	}
	for _, t := range v.Tenants {
		fmt.Fprintf(w, "  wave %d  %-12s %s", t.Wave, t.Status, t.UserID)
		if t.Error != "" {
			fmt.Fprintf(w, "  (%s)", launchpad.Clip(t.Error, 200))
		}
		fmt.Fprintln(w)
	}
}

func what(r *launchpad.Rollout) string {
	var parts []string
	if r.Image != "" {
		parts = append(parts, "image "+r.Image)
	}
	if r.Plan != "" {
		parts = append(parts, "plan "+r.Plan)
	}
	return strings.Join(parts, ", ")
}

func countsLine(c launchpad.RolloutCounts) string {
	return fmt.Sprintf("%d/%d succeeded, %d failed, %d in flight, %d pending, %d rolled back", c.Succeeded, c.Total, c.Failed, c.InFlight, c.Pending, c.RolledBack)
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// call sends one admin request and decodes the answer into out; a non-2xx answer becomes an
// error carrying the control plane's message.
func (c *cli) call(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimSuffix(c.baseURL, "/")+path, body)
	if err != nil {
		return err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	if c.operator != "" {
		req.Header.Set(operator.OperatorHeader, c.operator)
	}
	resp, err := c.client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return fmt.Errorf("the control plane at %s did not answer: %v", c.baseURL, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return fmt.Errorf("reading the control plane's answer: %v", err)
	}
	if resp.StatusCode/100 != 2 {
		var eb httpjson.ErrorBody
		if json.Unmarshal(raw, &eb) == nil && eb.Error.Message != "" {
			return fmt.Errorf("the control plane refused (HTTP %d, %s): %s", resp.StatusCode, eb.Error.Code, eb.Error.Message)
		}
		return fmt.Errorf("the control plane answered HTTP %d without an error message", resp.StatusCode)
	}
	return json.Unmarshal(raw, out)
}
