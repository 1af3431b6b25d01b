package aliases

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/civibot/civibot/internal/filelock"
)

// FileName is the aliases file in the data directory (security.data_dir)
// when there is no Redis.
const FileName = "aliases.json"

// NewFile returns a Store for a single instance, kept in the JSON file at
// path (mode 0600; "" keeps it in memory only). Every change rewrites the
// file atomically; a change another process made (civibot aliases import
// beside a running serve) is read before the next operation.
func NewFile(path string, o Options) *Store {
	return newStore(&fileBackend{path: path, data: fileData{Entries: map[string]Suggestion{}}}, o.Now)
}

type fileData struct {
	Version int64                 `json:"version"`
	Entries map[string]Suggestion `json:"entries"`
}

type fileBackend struct {
	path string

	mu    sync.Mutex
	data  fileData
	stamp time.Time // modification time of the file data was read from
	size  int64
}

// load re-reads the file if another process changed it. f.mu is held.
func (f *fileBackend) load() error {
	if f.path == "" {
		return nil
	}
	st, err := os.Stat(f.path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if st.ModTime().Equal(f.stamp) && st.Size() == f.size {
		return nil
	}
	raw, err := os.ReadFile(f.path)
	if err != nil {
		return err
	}
	var d fileData
	if err := json.Unmarshal(raw, &d); err != nil {
		return fmt.Errorf("%s is damaged: %v", f.path, err)
	}
	if d.Entries == nil {
		d.Entries = map[string]Suggestion{}
	}
	f.data, f.stamp, f.size = d, st.ModTime(), st.Size()
	return nil
}

// write runs fn on the current content under the file's lock (another
// process, civibot aliases import, may write it too) and saves it when fn
// says so.
func (f *fileBackend) write(fn func() (bool, error)) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.path != "" {
		unlock, err := filelock.Lock(f.path + ".lock")
		if err != nil {
			return err
		}
		defer unlock()
		f.stamp, f.size = time.Time{}, -1 // read it again: it may have changed within the same tick
	}
	if err := f.load(); err != nil {
		return err
	}
	save, err := fn()
	if err != nil || !save {
		return err
	}
	return f.save()
}

// save writes the file atomically. f.mu is held.
func (f *fileBackend) save() error {
	if f.path == "" {
		return nil
	}
	raw, err := json.MarshalIndent(f.data, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(f.path), ".aliases-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(raw); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), f.path); err != nil {
		return err
	}
	if st, err := os.Stat(f.path); err == nil {
		f.stamp, f.size = st.ModTime(), st.Size()
	}
	return nil
}

func (f *fileBackend) put(_ context.Context, s Suggestion, merge func(*Suggestion) bool) (Suggestion, error) {
	out := s
	err := f.write(func() (bool, error) {
		if old, ok := f.data.Entries[s.ID]; ok {
			out = old
			if !merge(&out) {
				return false, nil
			}
			f.data.Entries[s.ID] = out
			return true, nil
		}
		if len(f.data.Entries) >= MaxEntries {
			id, ok := oldestPending(f.data.Entries)
			if !ok {
				return false, ErrFull
			}
			delete(f.data.Entries, id)
		}
		f.data.Entries[s.ID] = s
		return true, nil
	})
	if err != nil {
		return Suggestion{}, err
	}
	return out, nil
}

func (f *fileBackend) update(_ context.Context, id string, fn func(*Suggestion) error) (Suggestion, error) {
	var out Suggestion
	err := f.write(func() (bool, error) {
		s, ok := f.data.Entries[id]
		if !ok {
			return false, ErrNotFound
		}
		if err := fn(&s); err != nil {
			return false, err
		}
		f.data.Entries[id], out = s, s
		return true, nil
	})
	return out, err
}

func (f *fileBackend) remove(_ context.Context, id string) error {
	return f.write(func() (bool, error) {
		if _, ok := f.data.Entries[id]; !ok {
			return false, ErrNotFound
		}
		delete(f.data.Entries, id)
		return true, nil
	})
}

func (f *fileBackend) list(context.Context) ([]Suggestion, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.load(); err != nil {
		return nil, err
	}
	out := make([]Suggestion, 0, len(f.data.Entries))
	for _, s := range f.data.Entries {
		out = append(out, s)
	}
	return out, nil
}

func (f *fileBackend) version(context.Context) (int64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.load(); err != nil {
		return 0, err
	}
	return f.data.Version, nil
}

func (f *fileBackend) bump(context.Context) error {
	return f.write(func() (bool, error) {
		f.data.Version++
		return true, nil
	})
}

// oldestPending names the pending entry suggested first.
func oldestPending(entries map[string]Suggestion) (string, bool) {
	var id string
	var at time.Time
	for k, s := range entries {
		if s.Status == StatusPending && (id == "" || s.Suggested.Before(at)) {
			id, at = k, s.Suggested
		}
	}
	return id, id != ""
}
