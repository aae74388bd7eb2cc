package operator

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
	"strings"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/controlplane/httpjson"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/settings"
)

// DefaultURL is where the CLI finds the control plane without LAUNCHPAD_URL.
const DefaultURL = "http://127.0.0.1:8080"

// exitControlPlane is the CLI's exit code when the control plane refused or failed the
// request, so that it cannot be mistaken for the command's own exit code (as `docker run`
// uses 125).
const exitControlPlane = 125

// RunExec is `terraform-provider-launchpad exec [flags] USER_ID -- CMD [ARG…]`: it asks the
// control plane (LAUNCHPAD_URL, default http://127.0.0.1:8080) to run CMD in the user's tenant
// machine — POST /api/admin/tenants/{user_id}/exec with Authorization: Bearer
// $LAUNCHPAD_ADMIN_TOKEN (from the environment only; never a flag) and the operator's name —
// and prints the command's stdout and stderr and exits with its exit code. The control plane
// audits the command in the user's audit log before running it.
//
// Exit codes: the command's own; 2 for a usage error; 125 when the control plane refused or
// failed the request (the reason is on stderr).
func RunExec(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return runExec(ctx, args, os.Getenv, http.DefaultClient, stdout, stderr)
}

type execArgs struct {
	baseURL, token, operator, app, userID string
	timeout                               time.Duration
	command                               []string
}

func runExec(ctx context.Context, args []string, getenv func(string) string, client *http.Client, stdout, stderr io.Writer) int {
	a, err := parseExecArgs(args, getenv, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "terraform-provider-launchpad exec: %v\n", err)
		return 2
	}
	resp, err := postExec(ctx, client, a)
	if err != nil {
		fmt.Fprintf(stderr, "terraform-provider-launchpad exec: %v\n", err)
		return exitControlPlane
	}
	_, _ = io.WriteString(stdout, resp.Stdout)
	_, _ = io.WriteString(stderr, resp.Stderr)
	if resp.Stderr != "" && !strings.HasSuffix(resp.Stderr, "\n") {
		fmt.Fprintln(stderr)
	}
	if resp.AuditWarning != "" {
		fmt.Fprintf(stderr, "terraform-provider-launchpad exec: warning: %s\n", resp.AuditWarning)
	}
	fmt.Fprintf(stderr, "terraform-provider-launchpad exec: exit code %d (app %s, machine %s, audit event %s)\n", resp.ExitCode, resp.App, resp.Machine, resp.AuditEventID)
	if resp.ExitCode < 0 || resp.ExitCode > 255 {
		return 1
	}
	return resp.ExitCode
}

func parseExecArgs(args []string, getenv func(string) string, stderr io.Writer) (*execArgs, error) {
	a := &execArgs{}
	fs := flag.NewFlagSet("exec", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&a.baseURL, "url", "", "control plane URL (env LAUNCHPAD_URL, default "+DefaultURL+")")
	fs.StringVar(&a.operator, "operator", "", "your name, recorded in the user's audit log (default $USER)")
	fs.StringVar(&a.app, "app", "", "the tenant's app, when the user has several")
	fs.DurationVar(&a.timeout, "timeout", DefaultTimeout, "how long the command may run (at most "+MaxTimeout.String()+")")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: terraform-provider-launchpad exec [flags] USER_ID -- CMD [ARG…]\n\n"+
			"Runs CMD in the user's tenant machine through the control plane, which writes it to the\n"+
			"user's audit log first. LAUNCHPAD_ADMIN_TOKEN (environment only) authorises the request.\n"+
			"Exits with the command's exit code; 125 when the control plane refuses, 2 on usage errors.\n\nFlags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	rest := fs.Args()
	if len(rest) == 0 {
		return nil, errors.New("name the user: exec [flags] USER_ID -- CMD [ARG…]")
	}
	a.userID, rest = rest[0], rest[1:]
	if len(rest) > 0 && rest[0] == "--" {
		rest = rest[1:]
	}
	a.command = rest
	if err := launchpad.ValidateUserID(a.userID); err != nil {
		return nil, errors.New(launchpad.ErrorMessage(err))
	}
	if err := validateCommand(a.command); err != nil {
		return nil, errors.New(launchpad.ErrorMessage(err))
	}
	if a.timeout < time.Second || a.timeout > MaxTimeout {
		return nil, fmt.Errorf("-timeout %s is out of range: use 1s to %s", a.timeout, MaxTimeout)
	}

	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if !set["url"] {
		a.baseURL = getenv(settings.URL)
	}
	if a.baseURL == "" {
		a.baseURL = DefaultURL
	}
	if u, err := url.Parse(a.baseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("LAUNCHPAD_URL %q is not an http(s) URL like %s", launchpad.Clip(a.baseURL, 80), DefaultURL)
	}
	if !set["operator"] {
		a.operator = getenv(settings.OperatorName)
	}
	if a.operator == "" {
		return nil, errors.New("name yourself with -operator NAME (or set USER): the name goes into the user's audit log")
	}
	if err := launchpad.ValidateOperatorName(a.operator); err != nil {
		return nil, errors.New(launchpad.ErrorMessage(err))
	}
	if a.token = getenv(settings.AdminToken); a.token == "" {
		return nil, errors.New("LAUNCHPAD_ADMIN_TOKEN is not set: set it to the control plane's admin token (it is read from the environment only, never from a flag)")
	}
	return a, nil
}

// postExec sends the request and decodes the answer; a non-2xx answer becomes an error
// carrying the control plane's message.
func postExec(ctx context.Context, client *http.Client, a *execArgs) (*ExecResponse, error) {
	body, _ := json.Marshal(ExecRequest{Command: a.command, App: a.app, TimeoutSeconds: int(a.timeout / time.Second)})
	endpoint := strings.TrimSuffix(a.baseURL, "/") + "/api/admin/tenants/" + url.PathEscape(a.userID) + "/exec"
	ctx, cancel := context.WithTimeout(ctx, a.timeout+time.Minute) // the command's time and the control plane's
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+a.token)
	req.Header.Set(OperatorHeader, a.operator)
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("the control plane at %s did not answer: %v", a.baseURL, unwrapURLError(err))
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, fmt.Errorf("reading the control plane's answer: %v", err)
	}
	if resp.StatusCode/100 != 2 {
		var eb httpjson.ErrorBody
		if json.Unmarshal(raw, &eb) == nil && eb.Error.Message != "" {
			return nil, fmt.Errorf("the control plane refused (HTTP %d, %s): %s", resp.StatusCode, eb.Error.Code, eb.Error.Message)
		}
		return nil, fmt.Errorf("the control plane answered HTTP %d without an error message", resp.StatusCode)
	}
	var out ExecResponse
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, fmt.Errorf("the control plane's answer is not an exec result: %v", err)
	}
	return &out, nil
}

// unwrapURLError drops the *url.Error wrapper, whose text repeats the method and URL.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
