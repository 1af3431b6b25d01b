package filelock

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// JSONFile is a value kept in a JSON file that a running civibot serve
// and the commands beside it (civibot user, civibot aliases import) share:
// Get re-reads the file when another process changed it, Update reads it
// afresh under the file's lock, changes it and replaces it atomically
// (mode 0600, synced). Path "" keeps the value in memory only. The caller
// serialises calls within the process.
type JSONFile[T any] struct {
	Path string
	// Empty is the value of a file that does not exist yet.
	Empty func() T

	data   T
	loaded bool
	stamp  stamp // of the file data was read from
}

type stamp struct {
	mod  time.Time
	size int64
}

// Get returns the current value (not a copy: change it only in Update).
func (f *JSONFile[T]) Get() (T, error) {
	if !f.loaded {
		f.data, f.loaded = f.Empty(), true
	}
	if f.Path == "" {
		return f.data, nil
	}
	st, err := os.Stat(f.Path)
	if errors.Is(err, fs.ErrNotExist) {
		f.data, f.stamp = f.Empty(), stamp{}
		return f.data, nil
	}
	if err != nil {
		return f.data, err
	}
	if (stamp{st.ModTime(), st.Size()}) == f.stamp {
		return f.data, nil
	}
	v, s, err := f.read()
	if err != nil {
		return f.data, err
	}
	f.data, f.stamp = v, s
	return f.data, nil
}

// read decodes the file (Empty when it does not exist).
func (f *JSONFile[T]) read() (T, stamp, error) {
	v := f.Empty()
	raw, err := os.ReadFile(f.Path)
	if errors.Is(err, fs.ErrNotExist) {
		return v, stamp{}, nil
	}
	if err != nil {
		return v, stamp{}, err
	}
	st, err := os.Stat(f.Path)
	if err != nil {
		return v, stamp{}, err
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		return v, stamp{}, fmt.Errorf("%s is not valid: %w", f.Path, err)
	}
	return v, stamp{st.ModTime(), st.Size()}, nil
}

// Update applies fn to the value as the file holds it now and writes the
// result. When fn fails, the file and the value stay as they were. In
// memory only, fn changes the value in place.
func (f *JSONFile[T]) Update(fn func(*T) error) error {
	if f.Path == "" {
		if !f.loaded {
			f.data, f.loaded = f.Empty(), true
		}
		return fn(&f.data)
	}
	if err := os.MkdirAll(filepath.Dir(f.Path), 0o700); err != nil {
		return err
	}
	unlock, err := Lock(f.Path + ".lock")
	if err != nil {
		return err
	}
	defer unlock()
	// Read afresh under the lock (another process may have written within
	// the same tick), into a value of fn's own: a failing fn leaves the
	// cached one untouched.
	v, _, err := f.read()
	if err != nil {
		return err
	}
	if err := fn(&v); err != nil {
		return err
	}
	raw, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(f.Path), ".state-*.json")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	for _, step := range []func() error{
		func() error { return tmp.Chmod(0o600) },
		func() error { _, err := tmp.Write(append(raw, '\n')); return err },
		tmp.Sync,
	} {
		if err := step(); err != nil {
			tmp.Close()
			return err
		}
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), f.Path); err != nil {
		return err
	}
	f.data, f.loaded, f.stamp = v, true, stamp{}
	if st, err := os.Stat(f.Path); err == nil {
		f.stamp = stamp{st.ModTime(), st.Size()}
	}
	return nil
}
