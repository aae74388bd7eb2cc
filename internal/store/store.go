// Package store is the one place that turns LAUNCHPAD_STORE into a launchpad.Store. The
// provider and the control plane both call Open, so they read and write the same store given
// the same setting.
//
// A PostgreSQL connection string may hold a password: Target.String and every error here
// show it redacted.
package store

import (
	"context"
	"log/slog"
	"net/url"
	"regexp"
	"strings"

	"github.com/clawdrun/terraform-provider-launchpad/internal/firestore"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/postgres"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sqlite"
)

// Backends a Target names.
const (
	SQLite    = "sqlite"
	Firestore = "firestore"
	Postgres  = "postgres"
)

// DefaultPath is the SQLite file used when LAUNCHPAD_STORE is empty.
const DefaultPath = "./launchpad.db"

// acceptedForms is shown in every error about a bad URL.
const acceptedForms = "use sqlite:///absolute/path.db, sqlite://./relative/path.db, a plain file path (empty means " + DefaultPath + "), firestore://PROJECT_ID, " +
	"or a PostgreSQL connection string: postgres://USER:PASSWORD@HOST:5432/DATABASE?sslmode=verify-full or libpq keywords such as \"host=HOST dbname=DATABASE user=USER\""

// Target is where a LAUNCHPAD_STORE URL points.
type Target struct {
	Backend   string // SQLite, Firestore or Postgres
	Path      string // the SQLite file, as given (relative paths are relative to the working directory)
	ProjectID string // the Google Cloud project of Firestore
	// DSN is the PostgreSQL connection string as given (a URL or libpq keywords). It may hold
	// a password: log String, never DSN.
	DSN string
}

// String returns the target as a canonical URL, for logs; a PostgreSQL password is redacted.
func (t Target) String() string {
	switch t.Backend {
	case Firestore:
		return "firestore://" + t.ProjectID
	case Postgres:
		return postgres.Redact(t.DSN)
	}
	return "sqlite://" + (&url.URL{Path: t.Path}).EscapedPath()
}

// A URL scheme: what comes before "://".
var schemePattern = regexp.MustCompile(`^([A-Za-z][A-Za-z0-9+.-]*)://(.*)$`)

// Google Cloud project ids: 6-30 lower-case letters, digits and hyphens, starting with a
// letter, not ending with a hyphen.
var projectIDPattern = regexp.MustCompile(`^[a-z][a-z0-9-]{4,28}[a-z0-9]$`)

// Parse reads a LAUNCHPAD_STORE value. Accepted: sqlite:///abs/path.db, sqlite://./rel.db
// (any path after sqlite://, %-escapes decoded), a bare file path, "" (DefaultPath),
// firestore://PROJECT_ID, and a PostgreSQL connection string in any form libpq accepts — a
// postgres:// or postgresql:// URL, or keyword=value pairs whose every keyword is libpq's
// ("host=db dbname=launchpad sslmode=verify-full"). Anything else is EINVALID with a message
// showing these forms.
func Parse(raw string) (Target, error) {
	s := strings.TrimSpace(raw)
	if s == "" {
		return Target{Backend: SQLite, Path: DefaultPath}, nil
	}
	if postgres.IsKeywordDSN(s) {
		return parsePostgres(s)
	}
	m := schemePattern.FindStringSubmatch(s)
	if m == nil {
		if strings.HasPrefix(strings.ToLower(s), "sqlite:") || strings.HasPrefix(strings.ToLower(s), "firestore:") {
			return Target{}, invalid(raw, "the scheme must be followed by \"://\"")
		}
		return Target{Backend: SQLite, Path: s}, nil // a bare path
	}
	scheme, rest := strings.ToLower(m[1]), m[2]
	switch scheme {
	case SQLite:
		if strings.ContainsAny(rest, "?#") {
			return Target{}, invalid(raw, "query parameters and fragments are not supported (the store sets its own SQLite options)")
		}
		path, err := url.PathUnescape(rest)
		if err != nil {
			return Target{}, invalid(raw, "the path has a malformed %-escape")
		}
		if path == "" {
			return Target{}, invalid(raw, "the SQLite file path is missing")
		}
		return Target{Backend: SQLite, Path: path}, nil
	case "postgres", "postgresql":
		return parsePostgres(scheme + "://" + rest) // libpq reads the scheme in lower case only
	case Firestore:
		project := strings.TrimSuffix(rest, "/")
		if !projectIDPattern.MatchString(project) {
			return Target{}, invalid(raw, "the Firestore project id must be 6-30 lower-case letters, digits and hyphens, starting with a letter (as in firestore://my-project-123)")
		}
		return Target{Backend: Firestore, ProjectID: project}, nil
	default:
		return Target{}, invalid(raw, "the scheme "+m[1]+" is not a store")
	}
}

// parsePostgres checks a PostgreSQL connection string as the store will read it (without
// connecting), so that a bad one is reported with the rest of a configuration's problems.
func parsePostgres(dsn string) (Target, error) {
	if err := postgres.CheckDSN(dsn); err != nil {
		return Target{}, launchpad.Errorf(launchpad.EINVALID, "LAUNCHPAD_STORE is not a usable PostgreSQL connection string: %s", launchpad.ErrorMessage(err))
	}
	return Target{Backend: Postgres, DSN: dsn}, nil
}

func invalid(raw, why string) error {
	return launchpad.Errorf(launchpad.EINVALID, "LAUNCHPAD_STORE %q is not a store URL: %s; %s", redactUserinfo(raw), why, acceptedForms)
}

// redactUserinfo hides the password of a URL of a scheme that is not a store (mysql://u:p@…),
// which an error would otherwise repeat.
func redactUserinfo(raw string) string {
	if u, err := url.Parse(strings.TrimSpace(raw)); err == nil && u.User != nil {
		return u.Redacted()
	}
	if i := strings.Index(raw, "@"); i >= 0 && strings.Contains(raw[:i], "://") {
		return raw[:strings.Index(raw, "://")+3] + "…" + raw[i:]
	}
	return raw
}

// Open turns a LAUNCHPAD_STORE URL into a Store: sqlite:///abs/path.db, sqlite://./rel.db or a
// bare path (default "./launchpad.db" when url is ""), firestore://PROJECT_ID, or a PostgreSQL
// connection string (internal/postgres). Bad URLs get an EINVALID error that shows the
// accepted forms. The caller closes the store.
func Open(ctx context.Context, url string) (launchpad.Store, error) {
	return OpenWith(ctx, url, Options{})
}

// Options tune OpenWith; the zero value is Open's.
type Options struct {
	// Logger receives what a store does on its own — a PostgreSQL store's migrations, a
	// schema newer than this binary, its LISTEN connection lost and regained; nil discards
	// it. Long-running processes (serve) should pass theirs.
	Logger *slog.Logger
}

// OpenWith is Open with options.
func OpenWith(ctx context.Context, url string, opts Options) (launchpad.Store, error) {
	t, err := Parse(url)
	if err != nil {
		return nil, err
	}
	switch t.Backend {
	case Postgres:
		db, err := postgres.Open(ctx, t.DSN, postgres.Options{Logger: opts.Logger})
		if err != nil {
			return nil, err // not a nil *postgres.DB inside a non-nil Store
		}
		return db, nil
	case Firestore:
		// Honours FIRESTORE_EMULATOR_HOST; otherwise Application Default Credentials.
		fs, err := firestore.Open(ctx, t.ProjectID, firestore.Options{})
		if err != nil {
			return nil, err // not a nil *firestore.Store inside a non-nil Store
		}
		return fs, nil
	default:
		db, err := sqlite.Open(ctx, t.Path, sqlite.Options{})
		if err != nil {
			return nil, err // not a nil *sqlite.DB inside a non-nil Store
		}
		return db, nil
	}
}
