// Package store is the one place that turns LAUNCHPAD_STORE into a launchpad.Store. The
// provider and the control plane both call Open, so they read and write the same store given
// the same setting.
package store

import (
	"context"
	"net/url"
	"regexp"
	"strings"

	"github.com/clawdrun/terraform-provider-launchpad/internal/firestore"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sqlite"
)

// Backends a Target names.
const (
	SQLite    = "sqlite"
	Firestore = "firestore"
)

// DefaultPath is the SQLite file used when LAUNCHPAD_STORE is empty.
const DefaultPath = "./launchpad.db"

// acceptedForms is shown in every error about a bad URL.
const acceptedForms = "use sqlite:///absolute/path.db, sqlite://./relative/path.db, a plain file path (empty means " + DefaultPath + ") or firestore://PROJECT_ID"

// Target is where a LAUNCHPAD_STORE URL points.
type Target struct {
	Backend   string // SQLite or Firestore
	Path      string // the SQLite file, as given (relative paths are relative to the working directory)
	ProjectID string // the Google Cloud project of Firestore
}

// String returns the target as a canonical URL, for logs.
func (t Target) String() string {
	if t.Backend == Firestore {
		return "firestore://" + t.ProjectID
	}
	return "sqlite://" + (&url.URL{Path: t.Path}).EscapedPath()
}

// A URL scheme: what comes before "://".
var schemePattern = regexp.MustCompile(`^([A-Za-z][A-Za-z0-9+.-]*)://(.*)$`)

// Google Cloud project ids: 6-30 lower-case letters, digits and hyphens, starting with a
// letter, not ending with a hyphen.
var projectIDPattern = regexp.MustCompile(`^[a-z][a-z0-9-]{4,28}[a-z0-9]$`)

// Parse reads a LAUNCHPAD_STORE value. Accepted: sqlite:///abs/path.db, sqlite://./rel.db
// (any path after sqlite://, %-escapes decoded), a bare file path, "" (DefaultPath), and
// firestore://PROJECT_ID. Anything else is EINVALID with a message showing these forms.
func Parse(raw string) (Target, error) {
	s := strings.TrimSpace(raw)
	if s == "" {
		return Target{Backend: SQLite, Path: DefaultPath}, nil
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

func invalid(raw, why string) error {
	return launchpad.Errorf(launchpad.EINVALID, "LAUNCHPAD_STORE %q is not a store URL: %s; %s", raw, why, acceptedForms)
}

// Open turns a LAUNCHPAD_STORE URL into a Store: sqlite:///abs/path.db, sqlite://./rel.db or a
// bare path (default "./launchpad.db" when url is ""), firestore://PROJECT_ID. Bad URLs get an
// EINVALID error that shows the accepted forms. The caller closes the store.
func Open(ctx context.Context, url string) (launchpad.Store, error) {
	t, err := Parse(url)
	if err != nil {
		return nil, err
	}
	switch t.Backend {
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
