package accounts

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/civibot/civibot/internal/filelock"
)

// FileName is the name of the accounts file in the data directory
// (security.data_dir) when there is no Redis: `civibot user` writes it and
// `civibot serve` reads it.
const FileName = "accounts.json"

// NewMemory returns a Store for a single instance. Accounts and
// canned replies are kept in the JSON file at path (mode 0600), so
// `civibot user add` and a running `civibot serve` share them: every write
// re-reads the file under a lock and replaces it atomically, and reads pick
// up changes another process made. Sessions and login limits live in
// memory only (a restart logs everyone out). path "" keeps everything in
// memory.
func NewMemory(cfg Config, path string, o Options) (*Store, error) {
	return newStore(cfg, &memAccounts{
		file:     filelock.JSONFile[accountsFile]{Path: path, Empty: func() accountsFile { return accountsFile{Users: map[string]User{}} }},
		data:     accountsFile{Users: map[string]User{}},
		sessions: map[string]Session{},
		logins:   map[string]memLogin{},
		acctFail: map[string][]time.Time{},
		known:    map[string]map[string]time.Time{},
	}, o)
}

// accountsFile is the JSON file's content.
type accountsFile struct {
	Users  map[string]User `json:"users"`
	Canned []CannedReply   `json:"canned,omitempty"`
}

type memLogin struct {
	n            int
	start, until time.Time
}

type memAccounts struct {
	file filelock.JSONFile[accountsFile]

	mu       sync.Mutex
	data     accountsFile // as the file was when last read
	sessions map[string]Session
	logins   map[string]memLogin
	acctFail map[string][]time.Time          // account → failure times, oldest first
	known    map[string]map[string]time.Time // account → address → known until
	events   []LoginEvent                    // oldest first
}

// load re-reads the file if another process changed it. m.mu is held.
func (m *memAccounts) load() error {
	d, err := m.file.Get()
	if err != nil {
		return fmt.Errorf("read accounts: %w", err)
	}
	if d.Users == nil {
		d.Users = map[string]User{}
	}
	m.data = d
	return nil
}

// write applies fn to the current file content under the file lock and
// replaces the file; fn's own error comes back as it is. m.mu is held.
func (m *memAccounts) write(fn func(*accountsFile) error) error {
	var fnErr error
	err := m.file.Update(func(d *accountsFile) error {
		if d.Users == nil {
			d.Users = map[string]User{}
		}
		fnErr = fn(d)
		return fnErr
	})
	if fnErr != nil {
		return fnErr
	}
	if err != nil {
		return fmt.Errorf("write accounts: %w", err)
	}
	return m.load()
}

func (m *memAccounts) user(ctx context.Context, name string) (User, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.load(); err != nil {
		return User{}, err
	}
	u, ok := m.data.Users[name]
	if !ok {
		return User{}, ErrUserNotFound
	}
	return u, nil
}

func (m *memAccounts) addUser(ctx context.Context, u User) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.write(func(f *accountsFile) error {
		if _, ok := f.Users[u.Name]; ok {
			return ErrUserExists
		}
		f.Users[u.Name] = u
		return nil
	})
}

func (m *memAccounts) updateUser(ctx context.Context, name string, fn func(*User) error) (User, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out User
	err := m.write(func(f *accountsFile) error {
		u, ok := f.Users[name]
		if !ok {
			return ErrUserNotFound
		}
		if err := fn(&u); err != nil {
			return err
		}
		f.Users[name] = u
		out = u
		return nil
	})
	return out, err
}

func (m *memAccounts) users(ctx context.Context) ([]User, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.load(); err != nil {
		return nil, err
	}
	out := make([]User, 0, len(m.data.Users))
	for _, u := range m.data.Users {
		out = append(out, u)
	}
	return out, nil
}

func (m *memAccounts) putSession(ctx context.Context, key string, s Session, ttl time.Duration) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sessions[key] = s
	return nil
}

func (m *memAccounts) session(ctx context.Context, key string) (Session, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s, ok := m.sessions[key]
	if !ok {
		return Session{}, ErrNoSession
	}
	return s, nil
}

func (m *memAccounts) deleteSession(ctx context.Context, key string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.sessions, key)
	return nil
}

// failure applies one failed login to l; shared by both backends' logic.
func (l memLogin) failure(now time.Time, window time.Duration, max int, lockout time.Duration) memLogin {
	if now.Sub(l.start) > window {
		l.n, l.start = 0, now
	}
	l.n++
	if l.n >= max {
		l.until, l.n, l.start = now.Add(lockout), 0, now
	}
	return l
}

func (m *memAccounts) loginFailure(ctx context.Context, key string, now time.Time, window time.Duration, max int, lockout time.Duration) (time.Time, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	l := m.logins[key].failure(now, window, max, lockout)
	m.logins[key] = l
	// Forget stale records so the map does not grow without bound.
	if len(m.logins) > 10000 {
		for k, v := range m.logins {
			if now.Sub(v.start) > window && !now.Before(v.until) {
				delete(m.logins, k)
			}
		}
	}
	return l.until, nil
}

func (m *memAccounts) loginLocked(ctx context.Context, key string) (time.Time, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.logins[key].until, nil
}

func (m *memAccounts) clearLogin(ctx context.Context, key string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.logins, key)
	return nil
}

func (m *memAccounts) canned(ctx context.Context) ([]CannedReply, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.load(); err != nil {
		return nil, err
	}
	return slices.Clone(m.data.Canned), nil
}

func (m *memAccounts) setCanned(ctx context.Context, list []CannedReply) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.write(func(f *accountsFile) error {
		f.Canned = slices.Clone(list)
		return nil
	})
}

// maxKnownAddresses bounds the addresses remembered per account.
const maxKnownAddresses = 20

// inWindow drops the times before now-window.
func inWindow(ts []time.Time, now time.Time, window time.Duration) []time.Time {
	i := 0
	for i < len(ts) && now.Sub(ts[i]) > window {
		i++
	}
	return ts[i:]
}

func (m *memAccounts) accountFailure(ctx context.Context, acct string, now time.Time, window time.Duration) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.acctFail[acct] = append(inWindow(m.acctFail[acct], now, window), now)
	if len(m.acctFail) > 10000 {
		for k, ts := range m.acctFail {
			if len(inWindow(ts, now, window)) == 0 {
				delete(m.acctFail, k)
			}
		}
	}
	return nil
}

func (m *memAccounts) accountFailures(ctx context.Context, acct string, now time.Time, window time.Duration) (int, time.Time, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	ts := inWindow(m.acctFail[acct], now, window)
	if len(ts) == 0 {
		return 0, time.Time{}, nil
	}
	return len(ts), ts[len(ts)-1], nil
}

func (m *memAccounts) rememberAddress(ctx context.Context, acct, addr string, now time.Time, keep time.Duration) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	k := m.known[acct]
	if k == nil {
		k = map[string]time.Time{}
		m.known[acct] = k
	}
	for a, until := range k {
		if !now.Before(until) {
			delete(k, a)
		}
	}
	k[addr] = now.Add(keep)
	for len(k) > maxKnownAddresses { // forget the one known shortest
		var oldest string
		for a, until := range k {
			if oldest == "" || until.Before(k[oldest]) {
				oldest = a
			}
		}
		delete(k, oldest)
	}
	return nil
}

func (m *memAccounts) knownAddress(ctx context.Context, acct, addr string, now time.Time) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	until, ok := m.known[acct][addr]
	return ok && now.Before(until), nil
}

func (m *memAccounts) addLoginEvent(ctx context.Context, e LoginEvent, max int) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.events = append(m.events, e)
	if len(m.events) > max {
		m.events = slices.Delete(m.events, 0, len(m.events)-max)
	}
	return nil
}

func (m *memAccounts) loginEvents(ctx context.Context, limit int) ([]LoginEvent, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]LoginEvent, 0, min(limit, len(m.events)))
	for i := len(m.events) - 1; i >= 0 && len(out) < limit; i-- {
		out = append(out, m.events[i])
	}
	return out, nil
}
