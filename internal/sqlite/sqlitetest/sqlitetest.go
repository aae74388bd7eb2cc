// Package sqlitetest opens SQLite stores for tests: on a new file in the test's temporary
// directory, or another handle on one, each closed when the test ends. Only tests and
// internal/harness import it.
package sqlitetest

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/clawdrun/terraform-provider-launchpad/internal/sqlite"
)

// Open opens a store with opts on a new file in tb's temporary directory and returns it with
// the file's path.
func Open(tb testing.TB, opts sqlite.Options) (*sqlite.DB, string) {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "launchpad.db")
	return OpenPath(tb, path, opts), path
}

// OpenPath opens a store with opts on the file at path (another handle, as another process
// would have, when the file exists already).
func OpenPath(tb testing.TB, path string, opts sqlite.Options) *sqlite.DB {
	tb.Helper()
	db, err := sqlite.Open(tb.Context(), path, opts)
	if err != nil {
		tb.Fatalf("open the SQLite store %s: %v", path, err)
	}
	tb.Cleanup(func() {
		if err := db.Close(); err != nil {
			tb.Errorf("closing the SQLite store %s: %v", path, err)
		}
	})
	return db
}

// FilesHolding lists, as "file holds secret", the files of the store at path (the database,
// its write-ahead log and shared memory) that hold any of secrets: erased data must be in
// none of them.
func FilesHolding(tb testing.TB, path string, secrets ...string) []string {
	tb.Helper()
	files, err := filepath.Glob(path + "*")
	if err != nil || len(files) == 0 {
		tb.Fatalf("the store's files: %v, %v", files, err)
	}
	var out []string
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			tb.Fatal(err)
		}
		for _, s := range secrets {
			if bytes.Contains(raw, []byte(s)) {
				out = append(out, filepath.Base(f)+" holds "+s)
			}
		}
	}
	return out
}
