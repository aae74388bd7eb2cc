package controlplane

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/settings"
	"github.com/clawdrun/terraform-provider-launchpad/internal/store"
)

// auditPageSize is how many events the CLI reads per store call.
const auditPageSize = 1000

// RunAudit is `terraform-provider-launchpad audit [--user ID] [--follow] [--verify
// [--checkpoint FILE [--verifier-key VKEY]]] [--json]`, or `audit verifier-key`.
// It reads the store (LAUNCHPAD_STORE, or --store) directly, not the HTTP API:
//
//   - without --verify it prints events oldest first, one per line (--json: JSON lines), of
//     one stream (--user ID; "platform" for the platform stream) or of all streams by time;
//     --follow then keeps printing new events until interrupted;
//   - --verify checks the hash chain of every stream (or of --user's) with
//     launchpad.VerifyChain and exits 1 naming the first event that does not verify; it also
//     rebuilds the log's Merkle tree from the events and checks the store's tree hashes
//     against it, and with --checkpoint proves that the log extends that signed checkpoint
//     (cmd_audit_tree.go);
//   - verifier-key prints the key that checks the checkpoints (cmd_audit_tree.go).
//
// Exit codes: 0 fine, 1 broken chain or store failure, 2 bad usage.
func RunAudit(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return runAudit(ctx, args, os.Getenv, stdout, stderr)
}

type auditOptions struct {
	storeURL    string
	user        string
	follow      bool
	verify      bool
	json        bool
	interval    time.Duration
	checkpoint  string
	verifierKey string
}

func runAudit(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "verifier-key" {
		return runVerifierKey(args[1:], getenv, stdout, stderr)
	}
	var o auditOptions
	fs := flag.NewFlagSet("audit", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.storeURL, "store", "", "store URL (env LAUNCHPAD_STORE) (default "+store.DefaultPath+")")
	fs.StringVar(&o.user, "user", "", "only this user's stream (a user id, or \"platform\")")
	fs.BoolVar(&o.follow, "follow", false, "keep printing new events until interrupted")
	fs.BoolVar(&o.verify, "verify", false, "verify the hash chain of every stream (or --user's) and exit")
	fs.BoolVar(&o.json, "json", false, "print JSON lines instead of text")
	fs.DurationVar(&o.interval, "interval", 2*time.Second, "how often --follow polls the store")
	fs.StringVar(&o.checkpoint, "checkpoint", "", "with --verify: a signed checkpoint saved from /api/audit/checkpoint, or a witness file (its newest checkpoint), that the log must extend")
	fs.StringVar(&o.verifierKey, "verifier-key", "", "the key that checks --checkpoint (the last line of `audit verifier-key`); default: derived from "+settings.AuditSigningSecret)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: terraform-provider-launchpad audit [--user ID] [--follow] [--verify [--checkpoint FILE [--verifier-key VKEY]]] [--json]\n       terraform-provider-launchpad audit verifier-key\n\nPrints, follows or verifies the audit log, read from the store; verifier-key prints the key that\nchecks its signed checkpoints.\n\nFlags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	switch {
	case fs.NArg() > 0:
		fmt.Fprintf(stderr, "audit takes no arguments, got %q; see audit -h\n", fs.Arg(0))
		return 2
	case o.verify && o.follow:
		fmt.Fprintln(stderr, "audit: --verify and --follow do not go together: verify checks what is stored and exits")
		return 2
	case o.checkpoint != "" && !o.verify:
		fmt.Fprintln(stderr, "audit: --checkpoint goes with --verify: audit --verify --checkpoint FILE")
		return 2
	case o.checkpoint != "" && o.user != "":
		fmt.Fprintln(stderr, "audit: --checkpoint covers every stream; drop --user")
		return 2
	case o.verifierKey != "" && o.checkpoint == "":
		fmt.Fprintln(stderr, "audit: --verifier-key checks a --checkpoint; give one")
		return 2
	case o.interval <= 0:
		fmt.Fprintln(stderr, "audit: --interval must be positive, like 2s")
		return 2
	}
	if o.storeURL == "" {
		o.storeURL = getenv(settings.Store)
	}
	// Opening a SQLite path creates the file; reading the audit log of a store that does not
	// exist is a mistake (wrong directory, unset variable), not an empty log.
	if t, err := store.Parse(o.storeURL); err == nil && t.Backend == store.SQLite {
		if _, err := os.Stat(t.Path); errors.Is(err, os.ErrNotExist) {
			fmt.Fprintf(stderr, "audit: there is no store at %s; set LAUNCHPAD_STORE (or --store) to the control plane's store\n", t.Path)
			return 1
		}
	}
	st, err := store.Open(ctx, o.storeURL)
	if err != nil {
		fmt.Fprintf(stderr, "audit: cannot open the store (LAUNCHPAD_STORE): %s\n", launchpad.ErrorMessage(err))
		return 1
	}
	defer st.Close()

	p := &auditPrinter{w: stdout, json: o.json}
	if o.verify {
		var cp *checkpointFile
		if o.checkpoint != "" {
			// Read and check the checkpoint first: a wrong file or key is a usage problem,
			// found before the whole log is read.
			if cp, err = readCheckpoint(o.checkpoint, o.verifierKey, getenv); err != nil {
				fmt.Fprintf(stderr, "audit: %s\n", launchpad.ErrorMessage(err))
				return 1
			}
		}
		n, streams, unindexed, err := verifyAudit(ctx, st, o.user)
		if err != nil {
			fmt.Fprintf(stderr, "audit: chain broken: %s\n", launchpad.ErrorMessage(err))
			return 1
		}
		fmt.Fprintf(stdout, "audit: %d events in %d streams verified\n", n, streams)
		if o.user != "" {
			return 0
		}
		return verifyTree(ctx, st, cp, unindexed, stdout, stderr)
	}
	if err := printAudit(ctx, st, o, p); err != nil && !errors.Is(err, context.Canceled) {
		fmt.Fprintf(stderr, "audit: %s\n", launchpad.ErrorMessage(err))
		return 1
	}
	return 0
}

// printAudit prints what is stored, then, with follow, polls for more until ctx ends.
func printAudit(ctx context.Context, st launchpad.AuditStore, o auditOptions, p *auditPrinter) error {
	var next func(context.Context) error
	if o.user != "" {
		var after int64
		next = func(ctx context.Context) error {
			for {
				events, err := st.ListAudit(ctx, launchpad.AuditFilter{Stream: o.user, AfterSeq: after, Limit: auditPageSize})
				if err != nil {
					return err
				}
				for _, e := range events {
					p.print(e)
					after = e.Seq
				}
				if len(events) < auditPageSize {
					return nil
				}
			}
		}
	} else {
		tail := &timeCursor{}
		next = func(ctx context.Context) error { return tail.scan(ctx, st, p.print) }
	}
	if err := next(ctx); err != nil {
		return err
	}
	if !o.follow {
		return nil
	}
	t := time.NewTicker(o.interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			if err := next(ctx); err != nil {
				if ctx.Err() != nil {
					return nil
				}
				return err
			}
		}
	}
}

// timeCursor pages all streams in time order. Since is inclusive, so the ids already seen at
// the last timestamp are remembered and skipped.
type timeCursor struct {
	since  time.Time
	seenAt map[string]bool // ids of events at exactly since
}

func (c *timeCursor) scan(ctx context.Context, st launchpad.AuditStore, fn func(*launchpad.AuditEvent)) error {
	for {
		events, err := st.ListAudit(ctx, launchpad.AuditFilter{Since: c.since, Limit: auditPageSize})
		if err != nil {
			return err
		}
		fresh := 0
		for _, e := range events {
			if e.Time.Equal(c.since) && c.seenAt[e.ID] {
				continue
			}
			fresh++
			if !e.Time.Equal(c.since) {
				c.since, c.seenAt = e.Time, map[string]bool{}
			}
			c.seenAt[e.ID] = true
			fn(e)
		}
		if len(events) < auditPageSize {
			return nil
		}
		if fresh == 0 {
			return launchpad.Errorf(launchpad.EINTERNAL, "more than %d audit events share the time %s; cannot page past them", auditPageSize, c.since.Format(time.RFC3339Nano))
		}
	}
}

// verifyAudit checks the chain of stream, or of every stream that has events, page by page
// in seq order. It returns the number of events and streams checked, and how many of those
// events are not in the tree yet.
func verifyAudit(ctx context.Context, st launchpad.AuditStore, stream string) (events, streams, unindexed int, err error) {
	names := []string{stream}
	if stream == "" {
		set := map[string]bool{}
		if err := (&timeCursor{}).scan(ctx, st, func(e *launchpad.AuditEvent) { set[e.Stream] = true }); err != nil {
			return 0, 0, 0, err
		}
		names = names[:0]
		for s := range set {
			names = append(names, s)
		}
		sort.Strings(names)
	}
	for _, name := range names {
		var prev *launchpad.AuditEvent
		for {
			var after int64
			if prev != nil {
				after = prev.Seq
			}
			page, err := st.ListAudit(ctx, launchpad.AuditFilter{Stream: name, AfterSeq: after, Limit: auditPageSize})
			if err != nil {
				return events, streams, unindexed, err
			}
			if err := launchpad.VerifyChain(prev, page); err != nil {
				return events, streams, unindexed, err
			}
			events += len(page)
			for _, e := range page {
				if e.Index == launchpad.NotIndexed {
					unindexed++
				}
			}
			if len(page) > 0 {
				prev = page[len(page)-1]
			}
			if len(page) < auditPageSize {
				break
			}
		}
		if prev != nil {
			streams++
		}
	}
	return events, streams, unindexed, nil
}

// auditPrinter writes one event per line.
type auditPrinter struct {
	w    io.Writer
	json bool
}

func (p *auditPrinter) print(e *launchpad.AuditEvent) {
	if p.json {
		b, _ := json.Marshal(auditEventJSON(e))
		fmt.Fprintf(p.w, "%s\n", b)
		return
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "%s  %s#%d  %-24s %s", e.Time.UTC().Format("2006-01-02T15:04:05.000000Z"), e.Stream, e.Seq, e.Action, e.Actor)
	if e.Target != "" {
		sb.WriteString("  " + quoteIfNeeded(e.Target))
	}
	keys := make([]string, 0, len(e.Details))
	for k := range e.Details {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		sb.WriteString("  " + k + "=" + quoteIfNeeded(e.Details[k]))
	}
	fmt.Fprintln(p.w, sb.String())
}

func quoteIfNeeded(s string) string {
	if s == "" || strings.ContainsFunc(s, func(r rune) bool { return r <= ' ' || r == '"' || r == '=' || r > '~' }) {
		return strconv.Quote(s)
	}
	return s
}
