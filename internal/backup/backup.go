// Package backup is `terraform-provider-launchpad backup FILE`: a consistent online copy of the
// embedded SQLite store, taken while serve and tofu's providers keep using it (see
// sqlite.Backup). Restoring is pointing LAUNCHPAD_STORE at the copy. Other stores have their own
// tools (a Firestore managed export); the command says so instead of copying them.
package backup

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/cliflag"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/settings"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sqlite"
	"github.com/clawdrun/terraform-provider-launchpad/internal/store"
)

// Run is `terraform-provider-launchpad backup [--store URL] FILE`. FILE "-" writes the copy to
// stdout (through a temporary file, which VACUUM INTO needs), for a container with no shell:
// `kubectl exec POD -- terraform-provider-launchpad backup - > launchpad.db`. Exit codes: 0 the
// copy is written and passed SQLite's integrity check, 1 it could not be made, 2 bad usage or a
// store this command does not copy.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return run(ctx, args, os.Getenv, stdout, stderr)
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("backup", flag.ContinueOnError)
	fs.SetOutput(stderr)
	storeURL := fs.String("store", "", "store URL (env LAUNCHPAD_STORE) (default "+store.DefaultPath+")")
	if code, stop := cliflag.Parse(fs, args, "Usage: terraform-provider-launchpad backup [--store URL] FILE\n\n"+
		"Writes a consistent copy of the SQLite store to FILE (which must not exist; - is stdout) while\nserve keeps "+
		"running. To restore, stop serve and point LAUNCHPAD_STORE at the copy (or copy it over the\n"+
		"store); `audit --verify` checks its audit log.\n\nFlags:"); stop {
		return code
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(stderr, "backup takes one argument, the file to write, like launchpad-2026-01-02.db; see backup -h")
		return 2
	}
	if *storeURL == "" {
		*storeURL = getenv(settings.Store)
	}
	t, err := store.Parse(*storeURL)
	if err != nil {
		fmt.Fprintf(stderr, "backup: %s\n", launchpad.ErrorMessage(err))
		return 2
	}
	if t.Backend != store.SQLite {
		fmt.Fprintf(stderr, "backup: %s is not the embedded SQLite store; back it up with its own tools "+
			"(Firestore: a managed export, `gcloud firestore export gs://BUCKET`), as the operator guide describes\n", t)
		return 2
	}
	start := time.Now()
	dst, report := fs.Arg(0), stdout
	if dst == "-" {
		tmp, err := os.MkdirTemp("", "launchpad-backup-")
		if err != nil {
			fmt.Fprintf(stderr, "backup: %v\n", err)
			return 1
		}
		defer os.RemoveAll(tmp)
		dst, report = filepath.Join(tmp, "launchpad.db"), stderr
	}
	info, err := sqlite.Backup(ctx, t.Path, dst)
	if err != nil {
		fmt.Fprintf(stderr, "backup: %s\n", launchpad.ErrorMessage(err))
		return 1
	}
	if fs.Arg(0) == "-" {
		f, err := os.Open(info.Path)
		if err == nil {
			_, err = io.Copy(stdout, f)
			f.Close()
		}
		if err != nil {
			fmt.Fprintf(stderr, "backup: writing the copy to stdout: %v\n", err)
			return 1
		}
		fmt.Fprintf(stderr, "backup: wrote a copy of %s to stdout in %s: %d bytes, schema version %d, %d audit events; integrity check ok\n",
			t, time.Since(start).Round(time.Millisecond), info.Bytes, info.SchemaVersion, info.AuditEvents)
		return 0
	}
	fmt.Fprintf(report, "backup: copied %s to %s in %s: %d bytes, schema version %d, %d audit events; integrity check ok\n",
		t, info.Path, time.Since(start).Round(time.Millisecond), info.Bytes, info.SchemaVersion, info.AuditEvents)
	fmt.Fprintf(stdout, "backup: to restore, stop serve and set LAUNCHPAD_STORE=sqlite://%s\n", info.Path)
	return 0
}
