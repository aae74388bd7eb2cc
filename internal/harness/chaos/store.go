package main

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/postgres/pgtest"
)

// Stores the chaos run can put the control plane on (-store).
const (
	storeSQLite   = "sqlite"
	storePostgres = "postgres"
)

// storeURL is the LAUNCHPAD_STORE of one scenario's world, named name: a SQLite file in dir,
// or a schema of its own on the run's PostgreSQL server — the one -postgres-url names, or one
// the run starts (initdb into a temporary directory, stopped with the run).
func (c *chaos) storeURL(ctx context.Context, dir, name string) (string, error) {
	if c.o.store != storePostgres {
		return "sqlite://" + filepath.Join(dir, name+".db"), nil
	}
	if c.pgURL == "" {
		if err := c.startPostgres(ctx); err != nil {
			return "", err
		}
	}
	return pgtest.WithSchema(c.pgURL, "chaos_"+name)
}

// startPostgres provides the run's server.
func (c *chaos) startPostgres(ctx context.Context) error {
	if c.o.postgresURL != "" {
		c.pgURL = c.o.postgresURL
		c.say("PostgreSQL: the server -postgres-url names")
		return nil
	}
	bin, err := pgtest.Find("")
	if err != nil {
		return fmt.Errorf("-store postgres: %w", err)
	}
	began := time.Now()
	srv, err := pgtest.Start(ctx, pgtest.Config{Binaries: bin})
	if err != nil {
		return err
	}
	c.onStop(func() { _ = srv.Stop() })
	c.pgURL, c.pgPassword = srv.URL("postgres"), srv.Password()
	c.say("PostgreSQL: %s started in %s on 127.0.0.1:%d (pid %d); every scenario gets a schema of its own", srv.Version(), time.Since(began).Round(100*time.Millisecond), srv.Port(), srv.Pid())
	return nil
}

// storeName is the store in what the run prints.
func (c *chaos) storeName() string {
	if c.o.store == storePostgres {
		return "PostgreSQL"
	}
	return "SQLite"
}
