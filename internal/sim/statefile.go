package sim

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
)

// saveStateFile writes v as JSON to path atomically: a temporary file in the same directory,
// fsynced, then renamed over path, so a crash never leaves a half-written state file. The file
// is private to its owner (0600); simulator state holds no secret values, but it is nobody
// else's business either.
func saveStateFile(path string, v any) (err error) {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("encode state for %s: %w", path, err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("save state: %w", err)
	}
	defer func() {
		if err != nil {
			_ = os.Remove(tmp.Name())
		}
	}()
	if err := tmp.Chmod(0o600); err != nil {
		_ = tmp.Close()
		return fmt.Errorf("save state: %w", err)
	}
	if _, err := tmp.Write(append(data, '\n')); err != nil {
		_ = tmp.Close()
		return fmt.Errorf("save state to %s: %w", tmp.Name(), err)
	}
	if err := tmp.Sync(); err != nil {
		_ = tmp.Close()
		return fmt.Errorf("save state to %s: %w", tmp.Name(), err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("save state to %s: %w", tmp.Name(), err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("save state: %w", err)
	}
	return nil
}

// loadStateFile reads path into v. A missing file is not an error (found is false): the
// simulator starts empty and creates the file when it saves. A file that is not valid state
// is an error that names the file, and the file is left untouched.
func loadStateFile(path string, v any) (found bool, err error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("load state: %w", err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		return false, fmt.Errorf("load state from %s: not a simulator state file (%v); move it away or pass another path", path, err)
	}
	return true, nil
}

// saver is how a simulator keeps its state: in its own state file, or through persist when
// the sandbox saves both simulators in one file.
type saver struct {
	stateFile  string
	persist    func() error // replaces the state-file save
	closeOnce  sync.Once
	closeError error
}

// load reads the state file, if one is configured and present, into st and normalizes it;
// found says whether it did. name is the simulator's, for the error.
func (s *saver) load(name string, st interface{ normalize() }) (found bool, err error) {
	if s.stateFile == "" {
		return false, nil
	}
	found, err = loadStateFile(s.stateFile, st)
	if err != nil {
		return false, fmt.Errorf("%s simulator: %w", name, err)
	}
	if found {
		st.normalize()
	}
	return found, nil
}

// save writes st, which mu guards, to the state file (or calls persist); without either it
// does nothing.
func (s *saver) save(mu *sync.Mutex, st any) error {
	if s.persist != nil {
		return s.persist()
	}
	if s.stateFile == "" {
		return nil
	}
	mu.Lock()
	defer mu.Unlock()
	return saveStateFile(s.stateFile, st)
}

// closeWith saves once, however often the simulator is closed, and reports that save's error.
func (s *saver) closeWith(save func() error) error {
	s.closeOnce.Do(func() { s.closeError = save() })
	return s.closeError
}

// lockedJSON is st, which mu guards, as it would be saved.
func lockedJSON(mu *sync.Mutex, st any) (json.RawMessage, error) {
	mu.Lock()
	defer mu.Unlock()
	return json.Marshal(st)
}
