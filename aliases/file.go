package aliases

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/civibot/civibot/internal/filelock"
)

// FileName is the aliases file in the data directory (security.data_dir)
// when there is no Redis.
const FileName = "aliases.json"

// NewFile returns a Store for a single instance, kept in the JSON file at
// path (mode 0600; "" keeps it in memory only). Every change rewrites the
// file atomically under its lock; a change another process made (civibot
// aliases import beside a running serve) is read before the next
// operation.
func NewFile(path string, o Options) *Store {
	return newStore(&fileBackend{file: filelock.JSONFile[fileData]{Path: path, Empty: func() fileData {
		return fileData{Entries: map[string]Suggestion{}}
	}}}, o.Now)
}

type fileData struct {
	Version int64                 `json:"version"`
	Entries map[string]Suggestion `json:"entries"`
}

type fileBackend struct {
	mu   sync.Mutex
	file filelock.JSONFile[fileData]
}

// read returns the current content. f.mu is held.
func (f *fileBackend) read() (fileData, error) {
	d, err := f.file.Get()
	if d.Entries == nil {
		d.Entries = map[string]Suggestion{}
	}
	return d, err
}

// write applies fn to the content as the file holds it now; fn's own
// error comes back as it is, nothing written.
func (f *fileBackend) write(fn func(d *fileData) error) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.file.Update(func(d *fileData) error {
		if d.Entries == nil {
			d.Entries = map[string]Suggestion{}
		}
		return fn(d)
	})
}

// errUnchanged stops an Update that has nothing to write.
var errUnchanged = errors.New("unchanged")

func (f *fileBackend) put(_ context.Context, s Suggestion, merge func(*Suggestion) bool) (Suggestion, error) {
	out := s
	err := f.write(func(d *fileData) error {
		if old, ok := d.Entries[s.ID]; ok {
			out = old
			if !merge(&out) {
				return errUnchanged
			}
			d.Entries[s.ID] = out
			return nil
		}
		if len(d.Entries) >= MaxEntries {
			id, ok := oldestPending(d.Entries)
			if !ok {
				return ErrFull
			}
			delete(d.Entries, id)
		}
		d.Entries[s.ID] = s
		return nil
	})
	if err != nil && !errors.Is(err, errUnchanged) {
		return Suggestion{}, err
	}
	return out, nil
}

func (f *fileBackend) update(_ context.Context, id string, fn func(*Suggestion) error) (Suggestion, error) {
	var out Suggestion
	err := f.write(func(d *fileData) error {
		s, ok := d.Entries[id]
		if !ok {
			return ErrNotFound
		}
		if err := fn(&s); err != nil {
			return err
		}
		d.Entries[id], out = s, s
		return nil
	})
	return out, err
}

func (f *fileBackend) remove(_ context.Context, id string) error {
	return f.write(func(d *fileData) error {
		if _, ok := d.Entries[id]; !ok {
			return ErrNotFound
		}
		delete(d.Entries, id)
		return nil
	})
}

func (f *fileBackend) list(context.Context) ([]Suggestion, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	d, err := f.read()
	if err != nil {
		return nil, err
	}
	out := make([]Suggestion, 0, len(d.Entries))
	for _, s := range d.Entries {
		out = append(out, s)
	}
	return out, nil
}

func (f *fileBackend) version(context.Context) (int64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	d, err := f.read()
	return d.Version, err
}

func (f *fileBackend) bump(context.Context) error {
	return f.write(func(d *fileData) error {
		d.Version++
		return nil
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
