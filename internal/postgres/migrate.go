package postgres

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// The schema is a sequence of embedded migrations, migrations/NNNN_name.sql, numbered from
// 0001 without gaps. Each is applied in a transaction of its own (PostgreSQL's DDL is
// transactional) together with its row in schema_versions, under a transaction-scoped
// advisory lock on the schema: replicas that start together queue on the lock, and each reads
// the version only once it holds it, so every migration is applied exactly once.
//
// Rolling deploys. During a deploy, replicas of the old and the new binary run against one
// schema, so a migration is either
//   - expanding (the default): it adds tables, indexes, or columns with a default. A binary
//     that knows fewer migrations still works on the schema after it, because every statement
//     names the columns it reads and writes; it opens a newer schema, and says so in its log.
//   - contracting: it drops or renames something, or changes what a column means. Its file
//     says so in a line `-- launchpad: contract`, and once it is applied, binaries that do not
//     know it refuse to open the schema (EINVALID, naming the version they need).
//
// schema_versions records, with each version, the oldest version of the schema a binary must
// know to use it ("oldest_compatible"): a binary opens a schema at version v if it knows v, or
// if it knows at least v's oldest_compatible. A contraction is therefore deployed in two
// steps: first the binaries that no longer use what it removes, then the migration.

//go:embed migrations/*.sql
var migrationFS embed.FS

// migration is one embedded script.
type migration struct {
	version  int
	name     string
	sql      string
	contract bool
}

// contractMarker marks a migration that binaries which do not know it cannot run against.
const contractMarker = "-- launchpad: contract"

// loadMigrations returns the embedded migrations in order.
func loadMigrations() ([]migration, error) {
	entries, err := fs.ReadDir(migrationFS, "migrations") // sorted by name
	if err != nil {
		return nil, err
	}
	var out []migration
	for _, e := range entries {
		m := migration{version: len(out) + 1}
		num, rest, ok := strings.Cut(e.Name(), "_")
		if n, err := strconv.Atoi(num); !ok || err != nil || n != m.version || path.Ext(rest) != ".sql" {
			return nil, fmt.Errorf("postgres: migration %s is out of sequence: want %04d_NAME.sql", e.Name(), m.version)
		}
		b, err := fs.ReadFile(migrationFS, "migrations/"+e.Name())
		if err != nil {
			return nil, err
		}
		m.name, m.sql = strings.TrimSuffix(rest, ".sql"), string(b)
		for line := range strings.Lines(m.sql) {
			m.contract = m.contract || strings.TrimSpace(line) == contractMarker
		}
		out = append(out, m)
	}
	return out, nil
}

// migrate creates the schema if it does not exist and applies the migrations it lacks, one
// transaction each.
func (db *DB) migrate(ctx context.Context) error {
	ms, err := loadMigrations()
	if err != nil {
		return err
	}
	for {
		done, err := db.migrateOne(ctx, ms)
		if err != nil {
			return db.openError(err)
		}
		if done {
			return nil
		}
	}
}

// openError names the store in a failure to open it, keeping the error's code; an uncoded
// error keeps its details (for the log of the process that failed to start).
func (db *DB) openError(err error) error {
	switch {
	case strings.Contains(err.Error(), db.conn.redacted):
		return err // it names the store already
	case launchpad.ErrorCode(err) == launchpad.EINTERNAL:
		return fmt.Errorf("opening the PostgreSQL store %s: %w", db.conn.redacted, err)
	}
	return launchpad.Wrapf(err, "opening the PostgreSQL store %s", db.conn.redacted)
}

// schemaState is what schema_versions says.
type schemaState struct {
	version, oldestCompatible int
}

// migrateOne applies the next missing migration, if any. It runs at READ COMMITTED: the
// advisory lock is taken by the first statement, and every statement after it sees what the
// replicas that held the lock before committed.
func (db *DB) migrateOne(ctx context.Context, ms []migration) (done bool, err error) {
	err = db.inTx(ctx, readCommitted, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, "launchpad migrate "+db.conn.schema); err != nil {
			return err
		}
		if err := db.ensureSchema(ctx, tx); err != nil {
			return err
		}
		st, err := readSchemaState(ctx, tx)
		if err != nil {
			return err
		}
		known := len(ms)
		switch {
		case st.version > known && st.oldestCompatible <= known:
			db.log.Warn("the schema is newer than this binary; it is compatible, so this binary runs on it (a deploy in progress?)",
				"schema", db.conn.schema, "schema_version", st.version, "binary_knows", known, "oldest_compatible", st.oldestCompatible)
			done = true
			return nil
		case st.version > known:
			return launchpad.Errorf(launchpad.EINVALID, "schema %q is at version %d, which needs a binary that knows version %d or later; this one knows %d: deploy the newer terraform-provider-launchpad",
				db.conn.schema, st.version, st.oldestCompatible, known)
		case st.version == known:
			done = true
			return nil
		case st.version == 0:
			if err := refuseForeignTables(ctx, tx, db.conn.schema); err != nil {
				return err
			}
		}
		m := ms[st.version]
		if _, err := tx.Exec(ctx, m.sql); err != nil {
			return fmt.Errorf("postgres: migration %04d_%s in schema %s: %w", m.version, m.name, db.conn.schema, err)
		}
		oldest := max(st.oldestCompatible, 1)
		if m.contract {
			oldest = m.version
		}
		if _, err := tx.Exec(ctx, `INSERT INTO schema_versions (version, name, oldest_compatible, applied_at) VALUES ($1, $2, $3, $4)`,
			m.version, m.name, oldest, db.clock()); err != nil {
			return err
		}
		db.log.Info("applied a schema migration", "schema", db.conn.schema, "version", m.version, "name", m.name, "contract", m.contract)
		done = m.version == known
		return nil
	})
	return done, err
}

// ensureSchema creates the schema and its version table when they do not exist. The schema
// is looked up first: a role without CREATE on the database can use one an administrator made
// for it.
func (db *DB) ensureSchema(ctx context.Context, tx pgx.Tx) error {
	var exists bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)`, db.conn.schema).Scan(&exists); err != nil {
		return err
	}
	if !exists {
		if _, err := tx.Exec(ctx, `CREATE SCHEMA `+pgx.Identifier{db.conn.schema}.Sanitize()); err != nil {
			return err
		}
	}
	_, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS `+pgx.Identifier{db.conn.schema, "schema_versions"}.Sanitize()+` (
		version           integer PRIMARY KEY,
		name              text NOT NULL,
		oldest_compatible integer NOT NULL,
		applied_at        timestamptz NOT NULL
	)`)
	return err
}

func readSchemaState(ctx context.Context, tx pgx.Tx) (schemaState, error) {
	var st schemaState
	err := tx.QueryRow(ctx, `SELECT version, oldest_compatible FROM schema_versions ORDER BY version DESC LIMIT 1`).
		Scan(&st.version, &st.oldestCompatible)
	if isNoRows(err) {
		return schemaState{}, nil
	}
	return st, err
}

// refuseForeignTables refuses a schema that holds tables of another program: the migrations
// would fail half-way on a name they share, or worse, succeed beside them.
func refuseForeignTables(ctx context.Context, tx pgx.Tx, schema string) error {
	var tables []string
	rows, err := tx.Query(ctx, `SELECT tablename FROM pg_tables WHERE schemaname = $1 AND tablename <> 'schema_versions' ORDER BY tablename LIMIT 5`, schema)
	if err != nil {
		return err
	}
	if tables, err = pgx.CollectRows(rows, pgx.RowTo[string]); err != nil {
		return err
	}
	if len(tables) > 0 {
		return launchpad.Errorf(launchpad.EINVALID, "schema %q holds tables Launchpad did not create (%s); it was left untouched: give Launchpad a schema of its own with ?search_path=NAME",
			schema, strings.Join(tables, ", "))
	}
	return nil
}
