package postgres_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/postgres"
)

func TestRedact(t *testing.T) {
	for in, want := range map[string]string{
		"postgres://lp:s3cr%2Ft@db.internal:5432/launchpad?sslmode=verify-full": "postgres://lp:xxxxx@db.internal:5432/launchpad?sslmode=verify-full",
		"postgresql://lp@db/launchpad?password=s3cret&sslmode=require":          "postgresql://lp@db/launchpad?password=xxxxx&sslmode=require",
		"postgres://db/launchpad?sslpassword=keypass":                           "postgres://db/launchpad?sslpassword=xxxxx",
		"postgres:///launchpad?host=%2Fvar%2Frun%2Fpostgresql":                  "postgres:///launchpad?host=%2Fvar%2Frun%2Fpostgresql",
		"host=db.internal dbname=launchpad user=lp password=s3cret":             "host=db.internal dbname=launchpad user=lp password=xxxxx",
		"host=db password='with space' sslmode=verify-ca":                       "host=db password=xxxxx sslmode=verify-ca",
		"host=db password = 'it\\'s' dbname=x":                                  "host=db password=xxxxx dbname=x",
		"postgres://u:p@ss:w0rd@h/db":                                           "postgres://u:xxxxx@h/db",
		"postgres://u:pw@%zz/db":                                                "postgres://(a URL that does not parse)",
		"host='unterminated password=s3cret":                                    "(a connection string that does not parse)",
	} {
		if got := postgres.Redact(in); got != want {
			t.Errorf("Redact(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestIsKeywordDSN(t *testing.T) {
	for s, want := range map[string]bool{
		"host=db dbname=launchpad":              true,
		"  host = db   sslmode=verify-full  ":   true,
		"service=launchpad":                     true,
		"host=db password='a b' search_path=lp": true,
		"./launchpad.db":                        false,
		"a=b.db":                                false, // a file name with '=', not a keyword libpq knows
		"host=db unknown_option=1":              false,
		"":                                      false,
		"/var/lib/launchpad/host=weird/launchpad.db": false,
	} {
		if got := postgres.IsKeywordDSN(s); got != want {
			t.Errorf("IsKeywordDSN(%q) = %v, want %v", s, got, want)
		}
	}
}

// TestPasswordNeverInErrorsOrLogs opens stores whose connection strings carry a distinctive
// password in every way Open can fail — a server that is not there, the right server with the
// wrong password, a malformed string, a certificate file that does not exist, a schema name
// that cannot be used — and on the right server, and checks that the password is in no error
// and no log line.
func TestPasswordNeverInErrorsOrLogs(t *testing.T) {
	requireServer(t)
	const secret = "Pw-7f3a9c-never-logged"
	u, err := url.Parse(freshURL(t))
	if err != nil {
		t.Fatal(err)
	}
	right, _ := u.User.Password()
	wrongPassword := *u
	wrongPassword.User = url.UserPassword(u.User.Username(), secret)
	notThere := wrongPassword
	notThere.Host = "127.0.0.1:1"

	cases := []struct {
		name, dsn string
		code      string
	}{
		{"no server", notThere.String() + "&connect_timeout=2", launchpad.EUNAVAILABLE},
		{"wrong password", wrongPassword.String(), launchpad.EINVALID},
		{"malformed URL", "postgres://lp:" + secret + "@db:notaport/x", launchpad.EINVALID},
		{"malformed keywords", "host=db password=" + secret + " port=notaport", launchpad.EINVALID},
		{"missing root certificate", "host=db password=" + secret + " sslmode=verify-full sslrootcert=" + filepath.Join(t.TempDir(), "ca.pem"), launchpad.EINVALID},
		{"unusable search_path", strings.Replace(wrongPassword.String(), "search_path=", "search_path=%24user%2C", 1), launchpad.EINVALID},
	}
	for _, c := range cases {
		var logs bytes.Buffer
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		db, err := postgres.Open(ctx, c.dsn, postgres.Options{Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
		cancel()
		if err == nil {
			db.Close()
			t.Errorf("%s: Open succeeded", c.name)
			continue
		}
		if got := launchpad.ErrorCode(err); got != c.code {
			t.Errorf("%s: error code %q (%v), want %q", c.name, got, err, c.code)
		}
		for what, text := range map[string]string{"error": err.Error(), "message": launchpad.ErrorMessage(err), "log": logs.String()} {
			if strings.Contains(text, secret) {
				t.Errorf("%s: the password is in the %s: %s", c.name, what, text)
			}
		}
		t.Logf("%s: %v", c.name, err)
	}

	// The right password: the store opens, logs its migrations and the notification
	// connection's troubles, and never the password.
	var logs bytes.Buffer
	db := openStore(t, u.String(), postgres.Options{Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if err := db.Ping(t.Context()); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), "applied a schema migration") || !strings.Contains(logs.String(), "xxxxx") {
		t.Errorf("the store's log does not show its migrations against the redacted URL:\n%s", logs.String())
	}
	if strings.Contains(logs.String(), right) {
		t.Errorf("the store's log holds the password:\n%s", logs.String())
	}
}

// TestOpenHonoursLibpqEnvironment: what the connection string leaves out comes from the PG*
// variables and the password file, as in libpq — here the password from PGPASSFILE.
func TestOpenHonoursLibpqEnvironment(t *testing.T) {
	requireServer(t)
	u, err := url.Parse(freshURL(t))
	if err != nil {
		t.Fatal(err)
	}
	pw, _ := u.User.Password()
	passfile := filepath.Join(t.TempDir(), "pgpass")
	if err := os.WriteFile(passfile, []byte("*:*:*:"+u.User.Username()+":"+pw+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PGPASSFILE", passfile)
	t.Setenv("PGSSLMODE", "disable")
	dsn := "host=" + u.Hostname() + " port=" + u.Port() + " dbname=" + strings.TrimPrefix(u.Path, "/") +
		" user=" + u.User.Username() + " search_path=" + u.Query().Get("search_path")
	if !postgres.IsKeywordDSN(dsn) {
		t.Fatalf("%q is not recognised as a keyword/value string", dsn)
	}
	db := openStore(t, dsn, postgres.Options{})
	if err := db.CreateUser(t.Context(), &launchpad.User{ID: "u1"}); err != nil {
		t.Fatal(err)
	}
}

// TestSearchPathInLibpqOptions: a connection string that also serves psql and pg_dump names the
// schema in libpq's options (they refuse a search_path parameter); the store reads it there.
func TestSearchPathInLibpqOptions(t *testing.T) {
	requireServer(t)
	u, err := url.Parse(freshURL(t))
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	schema := q.Get("search_path")
	q.Del("search_path")
	q.Set("options", "-csearch_path="+schema)
	u.RawQuery = q.Encode()
	db := openStore(t, u.String(), postgres.Options{})
	if err := db.CreateUser(t.Context(), &launchpad.User{ID: "u1"}); err != nil {
		t.Fatal(err)
	}
	// The same schema, named the pgx way, holds the user.
	q.Del("options")
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	if _, err := openStore(t, u.String(), postgres.Options{}).GetUser(t.Context(), "u1"); err != nil {
		t.Fatalf("the user stored through options=-csearch_path=%s is not in schema %s: %v", schema, schema, err)
	}
}
