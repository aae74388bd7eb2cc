package postgres

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io/fs"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/settings"
)

// DefaultSchema holds Launchpad's tables unless the connection string's search_path names
// another schema.
const DefaultSchema = "launchpad"

// DefaultConnectTimeout bounds one connection attempt when the connection string sets no
// connect_timeout: a server that does not answer is EUNAVAILABLE, not a hang.
const DefaultConnectTimeout = 10 * time.Second

// connConfig is a parsed connection string with Launchpad's defaults applied.
type connConfig struct {
	pool *pgxpool.Config
	// redacted is the connection string without its passwords, for logs and errors.
	redacted string
	// passwords are the passwords the configuration holds, scrubbed from any message that
	// leaves the store.
	passwords []string
	// schema is where the tables are: the first schema of search_path.
	schema string
	// channel is the LISTEN/NOTIFY channel of this schema's job queue.
	channel string
}

// EnvVars are the libpq environment variables the store reads for what a connection string
// leaves out (as pgx reads them). A process that opens the store on another's behalf — the
// runner starting tofu, whose provider opens LAUNCHPAD_STORE — passes them on.
var EnvVars = settings.PostgresEnv

// SecretEnvVars are those of EnvVars whose values are secret.
var SecretEnvVars = settings.PostgresSecretEnv

// CheckDSN reports whether dsn is a connection string Open can use, without connecting: the
// EINVALID error Open would return, or nil.
func CheckDSN(dsn string) error {
	_, err := parseDSN(dsn)
	return err
}

// parseDSN parses a libpq connection string — a postgres:// or postgresql:// URL or a
// keyword/value string, completed from the PG* environment variables, the password file and
// the service file — and applies Launchpad's defaults: search_path launchpad,
// application_name launchpad, a 10-second connect timeout. Errors are EINVALID and never quote
// the string.
func parseDSN(dsn string) (*connConfig, error) {
	redacted := Redact(dsn)
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, launchpad.Errorf(launchpad.EINVALID, "the PostgreSQL connection string %s cannot be used: %s; "+
			"use a URL like postgres://USER@HOST:5432/DATABASE?sslmode=verify-full or keywords like \"host=HOST dbname=DATABASE user=USER\"",
			redacted, parseProblem(err))
	}
	cc := &connConfig{pool: cfg, redacted: redacted}
	// Fallback hosts share this password (or read theirs from the password file when they
	// connect, which never reaches a message).
	cc.passwords = append(cc.passwords, cfg.ConnConfig.Password)
	rt := cfg.ConnConfig.RuntimeParams
	if rt["application_name"] == "" {
		rt["application_name"] = "launchpad"
	}
	searchPath := searchPathOf(rt)
	if searchPath == "" {
		searchPath, rt["search_path"] = DefaultSchema, DefaultSchema
	}
	if cc.schema, err = firstSchema(searchPath); err != nil {
		return nil, err
	}
	if cfg.ConnConfig.ConnectTimeout == 0 {
		cfg.ConnConfig.ConnectTimeout = DefaultConnectTimeout
	}
	cc.channel = channelFor(cc.schema)
	return cc, nil
}

// parseProblem says what is wrong with a connection string pgx refused, without quoting any
// of it (a malformed string can hide its password anywhere).
func parseProblem(err error) string {
	var pathErr *fs.PathError
	var numErr *strconv.NumError
	switch {
	case errors.As(err, &pathErr):
		return "the file " + pathErr.Path + " it names cannot be read (" + pathErr.Err.Error() + ")"
	case errors.As(err, &numErr):
		return "a number in it (the port, connect_timeout or a pool setting) is not a number"
	}
	msg := err.Error()
	for _, known := range []struct{ says, means string }{
		{"sslmode is invalid", "sslmode must be disable, allow, prefer, require, verify-ca or verify-full"},
		{"invalid port", "a port is not a number between 1 and 65535"},
		{"failed to parse as URL", "it is not a valid URL (a password with / ? # @ : or % must be %-escaped)"},
		{"failed to parse as keyword/value", "it is not a valid keyword=value list (quote values with spaces in single quotes)"},
		{"pool_", "a pool_* setting is out of range"},
		{"sslcert", "sslcert and sslkey must be given together and be readable"},
		{"sslrootcert", "the sslrootcert file cannot be used"},
		{"service", "the service it names is not in the service file"},
	} {
		if strings.Contains(msg, known.says) {
			return known.means
		}
	}
	return "it is not a connection string libpq accepts"
}

// searchPathOf is the search_path a connection string sets: as a parameter of its own (pgx's
// form, ?search_path=x), or in libpq's options (options=-csearch_path=x, which psql and pg_dump
// accept too). "" when it sets none.
func searchPathOf(rt map[string]string) string {
	if sp := strings.TrimSpace(rt["search_path"]); sp != "" {
		return sp
	}
	opts := strings.Fields(rt["options"])
	for i, o := range opts {
		if o == "-c" && i+1 < len(opts) {
			o = "-c" + opts[i+1]
		}
		for _, prefix := range []string{"-csearch_path=", "--search_path=", "--search-path="} {
			if v, ok := strings.CutPrefix(o, prefix); ok {
				return v
			}
		}
	}
	return ""
}

// firstSchema returns the first schema of a search_path, which is where the store creates
// and finds its tables.
func firstSchema(searchPath string) (string, error) {
	first, _, _ := strings.Cut(searchPath, ",")
	first = strings.TrimSpace(first)
	if len(first) >= 2 && first[0] == '"' && first[len(first)-1] == '"' {
		first = strings.ReplaceAll(first[1:len(first)-1], `""`, `"`)
	}
	if first == "" || strings.HasPrefix(first, "$") || len(first) > 63 {
		return "", launchpad.Errorf(launchpad.EINVALID, "search_path %q does not start with a schema name the store can create its tables in: name one, as in ?search_path=launchpad", launchpad.Clip(searchPath, 80))
	}
	return first, nil
}

// channelFor is the notification channel of a schema's job queue: schemas of one database
// share the channel namespace, so it carries the schema (or, for a long name, a digest of it:
// channel names are identifiers of at most 63 bytes).
func channelFor(schema string) string {
	const prefix = "launchpad_jobs:"
	if len(prefix)+len(schema) <= 63 {
		return prefix + schema
	}
	sum := sha256.Sum256([]byte(schema))
	return prefix + hex.EncodeToString(sum[:12])
}

// scrub removes the configuration's passwords from a message: a last line of defence behind
// messages that are built without them.
func (cc *connConfig) scrub(msg string) string {
	for _, p := range cc.passwords {
		if len(p) >= 3 {
			msg = strings.ReplaceAll(msg, p, redactedMark)
		}
	}
	return msg
}

// redactedMark replaces a password.
const redactedMark = "xxxxx"

// secretParams are the connection parameters whose values are secret.
var secretParams = map[string]bool{"password": true, "sslpassword": true}

// Redact returns a PostgreSQL connection string with its passwords replaced by xxxxx — the
// URL's userinfo password and any password or sslpassword parameter — for logs and error
// messages. A string that cannot be read is described, never returned.
func Redact(dsn string) string {
	s := strings.TrimSpace(dsn)
	if lower := strings.ToLower(s); strings.HasPrefix(lower, "postgres://") || strings.HasPrefix(lower, "postgresql://") {
		u, err := url.Parse(s)
		if err != nil {
			return "postgres://(a URL that does not parse)"
		}
		if _, has := u.User.Password(); has {
			u.User = url.UserPassword(u.User.Username(), redactedMark)
		}
		q := u.Query()
		for k := range q {
			if secretParams[strings.ToLower(k)] {
				q.Set(k, redactedMark)
			}
		}
		u.RawQuery = q.Encode()
		return u.String()
	}
	pairs, ok := splitKeywords(s)
	if !ok {
		return "(a connection string that does not parse)"
	}
	var b strings.Builder
	for i, kv := range pairs {
		if i > 0 {
			b.WriteByte(' ')
		}
		v := kv[1]
		if secretParams[strings.ToLower(kv[0])] {
			v = redactedMark
		}
		b.WriteString(kv[0] + "=" + quoteKeywordValue(v))
	}
	return b.String()
}

// IsKeywordDSN reports whether s is a libpq keyword/value connection string whose every
// keyword libpq knows, such as "host=db.internal dbname=launchpad sslmode=verify-full".
func IsKeywordDSN(s string) bool {
	pairs, ok := splitKeywords(strings.TrimSpace(s))
	if !ok || len(pairs) == 0 {
		return false
	}
	for _, kv := range pairs {
		if !libpqKeywords[kv[0]] {
			return false
		}
	}
	return true
}

// libpqKeywords are the connection parameters of libpq (PostgreSQL 17's list) and pgx's pool
// settings.
var libpqKeywords = map[string]bool{
	"host": true, "hostaddr": true, "port": true, "dbname": true, "user": true, "password": true,
	"passfile": true, "require_auth": true, "channel_binding": true, "connect_timeout": true,
	"client_encoding": true, "options": true, "application_name": true,
	"fallback_application_name": true, "keepalives": true, "keepalives_idle": true,
	"keepalives_interval": true, "keepalives_count": true, "tcp_user_timeout": true,
	"replication": true, "gssencmode": true, "sslmode": true, "requiressl": true,
	"sslnegotiation": true, "sslcompression": true, "sslcert": true, "sslkey": true,
	"sslpassword": true, "sslcertmode": true, "sslrootcert": true, "sslcrl": true,
	"sslcrldir": true, "sslsni": true, "requirepeer": true, "ssl_min_protocol_version": true,
	"ssl_max_protocol_version": true, "krbsrvname": true, "gsslib": true, "gssdelegation": true,
	"service": true, "target_session_attrs": true, "load_balance_hosts": true,
	"search_path": true, "pool_max_conns": true, "pool_min_conns": true,
	"pool_min_idle_conns": true, "pool_max_conn_lifetime": true,
	"pool_max_conn_idle_time": true, "pool_health_check_period": true,
	"pool_max_conn_lifetime_jitter": true,
}

// splitKeywords splits a keyword/value string as libpq does: key = value pairs separated by
// spaces, values optionally in single quotes with backslash escapes.
func splitKeywords(s string) ([][2]string, bool) {
	var out [][2]string
	for {
		s = strings.TrimLeft(s, " \t\n\r")
		if s == "" {
			return out, true
		}
		eq := strings.IndexByte(s, '=')
		if eq <= 0 {
			return nil, false
		}
		key := strings.TrimSpace(s[:eq])
		if key == "" || strings.ContainsAny(key, " \t'\\") {
			return nil, false
		}
		s = strings.TrimLeft(s[eq+1:], " \t")
		var val strings.Builder
		if strings.HasPrefix(s, "'") {
			i, closed := 1, false
			for ; i < len(s); i++ {
				switch c := s[i]; {
				case c == '\\' && i+1 < len(s):
					i++
					val.WriteByte(s[i])
				case c == '\'':
					closed = true
				default:
					val.WriteByte(c)
				}
				if closed {
					break
				}
			}
			if !closed {
				return nil, false
			}
			s = s[i+1:]
		} else {
			end := strings.IndexAny(s, " \t\n\r")
			if end < 0 {
				end = len(s)
			}
			val.WriteString(strings.ReplaceAll(s[:end], `\`, ""))
			s = s[end:]
		}
		out = append(out, [2]string{key, val.String()})
	}
}

// quoteKeywordValue quotes a value for a keyword/value string when it needs it.
func quoteKeywordValue(v string) string {
	if v != "" && !strings.ContainsAny(v, " \t\n\r'\\") {
		return v
	}
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(v) + "'"
}
