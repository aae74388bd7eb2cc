package store_test

import (
	"bytes"
	"context"
	"log/slog"
	neturl "net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/firestore"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/postgres"
	"github.com/clawdrun/terraform-provider-launchpad/internal/postgres/pgtest"
	"github.com/clawdrun/terraform-provider-launchpad/internal/store"
)

func TestParse(t *testing.T) {
	for _, c := range []struct {
		url  string
		want store.Target
	}{
		{"", store.Target{Backend: store.SQLite, Path: "./launchpad.db"}},
		{"   ", store.Target{Backend: store.SQLite, Path: "./launchpad.db"}},
		{"sqlite:///var/lib/launchpad/launchpad.db", store.Target{Backend: store.SQLite, Path: "/var/lib/launchpad/launchpad.db"}},
		{"sqlite://./rel.db", store.Target{Backend: store.SQLite, Path: "./rel.db"}},
		{"sqlite://data/launchpad.db", store.Target{Backend: store.SQLite, Path: "data/launchpad.db"}},
		{"SQLite:///x.db", store.Target{Backend: store.SQLite, Path: "/x.db"}},
		{"sqlite:///my%20dir/x.db", store.Target{Backend: store.SQLite, Path: "/my dir/x.db"}},
		{"./launchpad.db", store.Target{Backend: store.SQLite, Path: "./launchpad.db"}},
		{"/abs/launchpad.db", store.Target{Backend: store.SQLite, Path: "/abs/launchpad.db"}},
		{"launchpad.db", store.Target{Backend: store.SQLite, Path: "launchpad.db"}},
		{"dir with space/x.db", store.Target{Backend: store.SQLite, Path: "dir with space/x.db"}},
		{"firestore://my-project-123", store.Target{Backend: store.Firestore, ProjectID: "my-project-123"}},
		{"firestore://my-project-123/", store.Target{Backend: store.Firestore, ProjectID: "my-project-123"}},
	} {
		got, err := store.Parse(c.url)
		if err != nil {
			t.Errorf("Parse(%q): %v", c.url, err)
			continue
		}
		if got != c.want {
			t.Errorf("Parse(%q) = %+v, want %+v", c.url, got, c.want)
		}
	}
}

func TestParseRefusesBadURLs(t *testing.T) {
	for _, c := range []struct{ url, says string }{
		{"sqlite://", "path is missing"},
		{"sqlite:./x.db", "followed by \"://\""},
		{"firestore:my-project", "followed by \"://\""},
		{"sqlite:///x.db?mode=ro", "query parameters"},
		{"sqlite:///x.db#frag", "query parameters"},
		{"sqlite:///x%zz.db", "%-escape"},
		{"firestore://", "project id"},
		{"firestore://My_Project", "project id"},
		{"firestore://proj/extra/path", "project id"},
		{"mysql://db.example.com/launchpad", "scheme mysql is not a store"},
		{"postgres://lp:pw@db:notaport/launchpad", "not a usable PostgreSQL connection string"},
		{"host=db sslmode=sometimes", "not a usable PostgreSQL connection string"},
		{"https://example.com/x.db", "scheme https is not a store"},
	} {
		_, err := store.Parse(c.url)
		if launchpad.ErrorCode(err) != launchpad.EINVALID {
			t.Errorf("Parse(%q) = %v, want EINVALID", c.url, err)
			continue
		}
		msg := launchpad.ErrorMessage(err)
		wants := []string{c.says}
		if !strings.Contains(c.says, "PostgreSQL") {
			wants = append(wants, "sqlite:///absolute/path.db", "sqlite://./relative/path.db", "firestore://PROJECT_ID", "./launchpad.db", "postgres://USER:PASSWORD@HOST")
		}
		for _, want := range wants {
			if !strings.Contains(msg, want) {
				t.Errorf("Parse(%q) message %q does not say %q", c.url, msg, want)
			}
		}
	}
}

func TestTargetString(t *testing.T) {
	for url, want := range map[string]string{
		"":                      "sqlite://./launchpad.db",
		"sqlite:///abs/x.db":    "sqlite:///abs/x.db",
		"firestore://my-proj-1": "firestore://my-proj-1",
		"/my dir/x%.db":         "sqlite:///my%20dir/x%25.db",
	} {
		got, err := store.Parse(url)
		if err != nil {
			t.Fatal(err)
		}
		if got.String() != want {
			t.Errorf("Parse(%q).String() = %q, want %q", url, got, want)
		}
		if again, err := store.Parse(got.String()); err != nil || again != got {
			t.Errorf("the canonical URL %q does not parse back to %+v: %+v, %v", got, got, again, err)
		}
	}
}

func TestOpenSQLite(t *testing.T) {
	dir := t.TempDir()
	for _, url := range []string{
		"sqlite://" + filepath.Join(dir, "a.db"),
		filepath.Join(dir, "b.db"),
	} {
		s, err := store.Open(t.Context(), url)
		if err != nil {
			t.Fatalf("Open(%q): %v", url, err)
		}
		if err := s.Ping(t.Context()); err != nil {
			t.Errorf("Ping on %q: %v", url, err)
		}
		if err := s.CreateUser(t.Context(), &launchpad.User{ID: "u1"}); err != nil {
			t.Errorf("CreateUser on %q: %v", url, err)
		}
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	}
	for _, name := range []string{"a.db", "b.db"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Errorf("the store did not create %s: %v", name, err)
		}
	}
}

func TestOpenRelativeAndDefault(t *testing.T) {
	t.Chdir(t.TempDir())
	for _, url := range []string{"", "sqlite://./rel.db"} {
		s, err := store.Open(t.Context(), url)
		if err != nil {
			t.Fatalf("Open(%q): %v", url, err)
		}
		s.Close()
	}
	for _, name := range []string{"launchpad.db", "rel.db"} {
		if _, err := os.Stat(name); err != nil {
			t.Errorf("%s was not created in the working directory: %v", name, err)
		}
	}
}

func TestOpenErrors(t *testing.T) {
	s, err := store.Open(t.Context(), "mysql://x")
	if launchpad.ErrorCode(err) != launchpad.EINVALID || s != nil {
		t.Fatalf("Open(mysql://x) = %v, %v; want a nil store and EINVALID", s, err)
	}
	// A file of another program: the error comes from the SQLite store, and the Store is nil
	// (not a nil *sqlite.DB in a non-nil interface).
	path := filepath.Join(t.TempDir(), "notes.txt")
	if err := os.WriteFile(path, []byte(strings.Repeat("not a database\n", 300)), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err = store.Open(t.Context(), path)
	if launchpad.ErrorCode(err) != launchpad.EINVALID || s != nil {
		t.Fatalf("Open(a text file) = %v, %v; want a nil store and EINVALID", s, err)
	}
}

// TestOpenFirestore checks that firestore://PROJECT_ID opens the Firestore store and that it
// honours FIRESTORE_EMULATOR_HOST: pointed at a port where nothing listens, the store opens
// (connections are made lazily) and Ping reports EUNAVAILABLE. The store itself is tested
// against the real emulator in internal/firestore.
func TestOpenFirestore(t *testing.T) {
	t.Setenv("FIRESTORE_EMULATOR_HOST", "127.0.0.1:1")
	s, err := store.Open(t.Context(), "firestore://my-project-123")
	if err != nil {
		t.Fatalf("Open(firestore://my-project-123) = %v", err)
	}
	defer s.Close()
	if _, ok := s.(*firestore.Store); !ok {
		t.Fatalf("Open(firestore://…) returned a %T, want *firestore.Store", s)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Second)
	defer cancel()
	if err := s.Ping(ctx); launchpad.ErrorCode(err) != launchpad.EUNAVAILABLE {
		t.Fatalf("Ping of a Firestore emulator that is not there = %v, want %s", err, launchpad.EUNAVAILABLE)
	}
}

// TestParsePostgres: every libpq form selects the PostgreSQL store, kept as given (the store
// reads it with libpq's rules), and shown everywhere with its password redacted.
func TestParsePostgres(t *testing.T) {
	const secret = "S3cret-not-shown"
	for raw, shown := range map[string]string{
		"postgres://lp:" + secret + "@db.internal:5432/launchpad?sslmode=verify-full&sslsni=1":        "postgres://lp:xxxxx@db.internal:5432/launchpad?sslmode=verify-full&sslsni=1",
		"postgresql://lp@db.internal/launchpad?password=" + secret:                                    "postgresql://lp@db.internal/launchpad?password=xxxxx",
		"postgres:///launchpad?host=/var/run/postgresql":                                              "postgres:///launchpad?host=%2Fvar%2Frun%2Fpostgresql",
		"host=db.internal port=5432 dbname=launchpad user=lp password=" + secret + " sslmode=require": "host=db.internal port=5432 dbname=launchpad user=lp password=xxxxx sslmode=require",
		"host=/var/run/postgresql dbname=launchpad":                                                   "host=/var/run/postgresql dbname=launchpad",
	} {
		got, err := store.Parse(raw)
		if err != nil {
			t.Errorf("Parse(%q): %v", raw, err)
			continue
		}
		if got.Backend != store.Postgres || got.DSN != raw {
			t.Errorf("Parse(%q) = %+v, want the postgres backend with the string as given", raw, got)
		}
		if got.String() != shown {
			t.Errorf("Parse(%q).String() = %q, want %q", raw, got.String(), shown)
		}
	}
	if got, err := store.Parse("PostgreSQL://db/launchpad"); err != nil || got.DSN != "postgresql://db/launchpad" {
		t.Errorf("Parse of an upper-case scheme = %+v, %v; want it lower-cased, as libpq reads it", got, err)
	}
	for _, raw := range []string{"postgres://lp:" + secret + "@db:notaport/x", "host=db password=" + secret + " sslmode=sometimes", "mysql://lp:" + secret + "@db/x"} {
		_, err := store.Parse(raw)
		if launchpad.ErrorCode(err) != launchpad.EINVALID {
			t.Errorf("Parse(%q) = %v, want EINVALID", raw, err)
		}
		if err != nil && strings.Contains(err.Error(), secret) {
			t.Errorf("Parse(%q)'s error shows the password: %v", raw, err)
		}
	}
}

// TestOpenPostgres opens a real server (started by the test, see internal/postgres/pgtest)
// through store.Open, in both connection string forms.
func TestOpenPostgres(t *testing.T) {
	base := pgtest.ForTest(t)
	url := pgtest.Schema(t, base)
	s, err := store.Open(t.Context(), url)
	if err != nil {
		t.Fatalf("Open(postgres://…): %v", err)
	}
	if _, ok := s.(*postgres.DB); !ok {
		t.Fatalf("Open(postgres://…) returned a %T, want *postgres.DB", s)
	}
	if err := s.CreateUser(t.Context(), &launchpad.User{ID: "u1"}); err != nil {
		t.Fatal(err)
	}
	s.Close()

	u, err := neturl.Parse(url)
	if err != nil {
		t.Fatal(err)
	}
	pw, _ := u.User.Password()
	keywords := "host=" + u.Hostname() + " port=" + u.Port() + " dbname=postgres sslmode=disable user=" + u.User.Username() +
		" password=" + pw + " search_path=" + u.Query().Get("search_path")
	s, err = store.Open(t.Context(), keywords)
	if err != nil {
		t.Fatalf("Open(keywords): %v", err)
	}
	defer s.Close()
	if _, err := s.GetUser(t.Context(), "u1"); err != nil {
		t.Fatalf("the user stored through the URL form is not found through the keyword form: %v", err)
	}

	// OpenWith hands its logger to the store: a new schema's migrations are logged, the
	// password is not.
	var logs bytes.Buffer
	s3, err := store.OpenWith(t.Context(), pgtest.Schema(t, base), store.Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatalf("OpenWith: %v", err)
	}
	s3.Close()
	if !strings.Contains(logs.String(), "applied a schema migration") || strings.Contains(logs.String(), pw) {
		t.Errorf("OpenWith's logger got %q; want the migrations, without the password", logs.String())
	}

	// The wrong password: EINVALID, a nil Store, and the password in no message.
	wrong := strings.Replace(url, ":"+pw+"@", ":Not-The-Password@", 1)
	s2, err := store.Open(t.Context(), wrong)
	if launchpad.ErrorCode(err) != launchpad.EINVALID || s2 != nil {
		t.Fatalf("Open with a wrong password = %v, %v; want a nil store and EINVALID", s2, err)
	}
	if strings.Contains(err.Error(), "Not-The-Password") || strings.Contains(err.Error(), pw) {
		t.Fatalf("the error shows a password: %v", err)
	}
}
