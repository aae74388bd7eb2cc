package benchmark

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/firestore"
	"github.com/clawdrun/terraform-provider-launchpad/internal/firestore/emulator"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/postgres"
	"github.com/clawdrun/terraform-provider-launchpad/internal/postgres/pgtest"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sqlite"
)

// The stores the store figures compare (-stores).
const (
	StoreSQLite   = "sqlite"
	StorePostgres = "postgres"
	// StorePostgresAsync is the same PostgreSQL server with synchronous_commit=off in the
	// connection string: a commit returns before its WAL reaches the disk, as SQLite's
	// synchronous=NORMAL does (a crash of the server may lose the last fraction of a second of
	// commits; nothing is corrupted).
	StorePostgresAsync = "postgres_async"
	StoreFirestore     = "firestore"
)

// AllStores are the stores in the order the figures print them.
var AllStores = []string{StoreSQLite, StorePostgres, StorePostgresAsync, StoreFirestore}

// Stores provides the stores the figures run on, each a fresh one per name: a SQLite file in
// the run's directory; a schema on a PostgreSQL server (the one PostgresURL names, else one
// started on first use with initdb into a temporary directory, with PostgreSQL's durable
// defaults: fsync and synchronous_commit on, as an operator runs it); a project in the Cloud
// Firestore emulator (FIRESTORE_EMULATOR_HOST's, else one started on first use). Close stops
// what it started.
type Stores struct {
	Dir string
	Log *slog.Logger
	// PostgresURL names a running server to use instead of starting one.
	PostgresURL string
	// PostgresSettings are server settings (-c name=value) of a server it starts.
	PostgresSettings map[string]string

	mu      sync.Mutex
	pgURL   string
	pgAbout string
	fsHost  string
	stops   []func() error
}

// Describe says what a store is, for the figures' details.
func (s *Stores) Describe(kind string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch kind {
	case StorePostgres:
		return s.pgAbout
	case StorePostgresAsync:
		return s.pgAbout + ", with synchronous_commit=off in the connection string"
	case StoreFirestore:
		return "the Cloud Firestore emulator (a JVM on this machine, data in memory)"
	}
	return "a SQLite file (WAL, synchronous=NORMAL)"
}

// ServeEnv is what serve needs in its environment to use store kind named name:
// LAUNCHPAD_STORE, and FIRESTORE_EMULATOR_HOST for the emulator.
func (s *Stores) ServeEnv(ctx context.Context, kind, name string) (map[string]string, error) {
	switch kind {
	case StoreSQLite:
		return map[string]string{"LAUNCHPAD_STORE": "sqlite://" + filepath.Join(s.Dir, name+".db")}, nil
	case StorePostgres, StorePostgresAsync:
		base, err := s.postgres(ctx)
		if err != nil {
			return nil, err
		}
		u, err := pgtest.WithSchema(base, "bench_"+kind+"_"+name)
		if kind == StorePostgresAsync {
			u += "&synchronous_commit=off"
		}
		return map[string]string{"LAUNCHPAD_STORE": u}, err
	case StoreFirestore:
		host, err := s.firestore(ctx)
		if err != nil {
			return nil, err
		}
		return map[string]string{"LAUNCHPAD_STORE": "firestore://" + firestoreProject(name), emulator.EnvHost: host}, nil
	}
	return nil, fmt.Errorf("unknown store %q: use %s", kind, strings.Join(AllStores, ", "))
}

// Open opens store kind named name in this process (the same store ServeEnv names).
func (s *Stores) Open(ctx context.Context, kind, name string) (launchpad.Store, error) {
	env, err := s.ServeEnv(ctx, kind, name)
	if err != nil {
		return nil, err
	}
	switch kind {
	case StorePostgres, StorePostgresAsync:
		return postgres.Open(ctx, env["LAUNCHPAD_STORE"], postgres.Options{})
	case StoreFirestore:
		return firestore.Open(ctx, firestoreProject(name), firestore.Options{EmulatorHost: env[emulator.EnvHost]})
	}
	return sqlite.Open(ctx, strings.TrimPrefix(env["LAUNCHPAD_STORE"], "sqlite://"), sqlite.Options{})
}

// firestoreProject is a valid project id for name (6-30 characters, [a-z0-9-]).
func firestoreProject(name string) string {
	p := "bench-" + strings.ReplaceAll(strings.ToLower(name), "_", "-")
	if len(p) > 30 {
		p = p[:30]
	}
	return strings.TrimRight(p, "-")
}

func (s *Stores) postgres(ctx context.Context) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.pgURL != "" {
		return s.pgURL, nil
	}
	if s.PostgresURL != "" {
		s.pgURL, s.pgAbout = s.PostgresURL, "the PostgreSQL server -postgres-url names"
		return s.pgURL, nil
	}
	bin, err := pgtest.Find("")
	if err != nil {
		return "", err
	}
	start := time.Now()
	srv, err := pgtest.Start(ctx, pgtest.Config{Binaries: bin, Durable: true, Settings: s.PostgresSettings})
	if err != nil {
		return "", err
	}
	s.stops = append(s.stops, srv.Stop)
	s.pgURL = srv.URL("postgres")
	settings := "fsync and synchronous_commit on"
	if len(s.PostgresSettings) > 0 {
		var kv []string
		for k, v := range s.PostgresSettings {
			kv = append(kv, k+"="+v)
		}
		slices.Sort(kv)
		settings += "; " + strings.Join(kv, ", ")
	}
	s.pgAbout = fmt.Sprintf("%s on this machine over loopback TCP (%s)", srv.Version(), settings)
	s.Log.Info("PostgreSQL started for the store figures", "version", srv.Version(), "port", srv.Port(), "took", time.Since(start).Round(time.Millisecond))
	return s.pgURL, nil
}

func (s *Stores) firestore(ctx context.Context) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fsHost != "" {
		return s.fsHost, nil
	}
	host, stop, err := emulator.ForTests(ctx, nil)
	if err != nil {
		return "", err
	}
	s.stops = append(s.stops, stop)
	s.fsHost = host
	s.Log.Info("the Firestore emulator is up for the store figures", "host", host)
	return host, nil
}

// Close stops the servers Stores started.
func (s *Stores) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var errs []error
	for i := len(s.stops) - 1; i >= 0; i-- {
		errs = append(errs, s.stops[i]())
	}
	s.stops = nil
	return errors.Join(errs...)
}
