package handoff

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"
)

// Role is what a console account may do.
type Role string

const (
	// RoleCaseworker answers citizens.
	RoleCaseworker Role = "caseworker"
	// RoleAdmin also edits canned replies.
	RoleAdmin Role = "admin"
)

// User is a console account.
type User struct {
	// Name is the login name: lowercase letters, digits, '.', '_' and '-'.
	Name        string `json:"name"`
	DisplayName string `json:"display_name,omitempty"`
	Role        Role   `json:"role"`
	Disabled    bool   `json:"disabled,omitempty"`
	// Hash is the bcrypt hash; empty in values Accounts returns.
	Hash string `json:"hash,omitempty"`
	// Gen changes when the password changes or the account is disabled;
	// sessions of an older generation end.
	Gen     int       `json:"gen"`
	Created time.Time `json:"created"`
	Updated time.Time `json:"updated"`
}

// Session is a logged-in console session.
type Session struct {
	User        string `json:"user"`
	DisplayName string `json:"display_name,omitempty"`
	Role        Role   `json:"role"`
	// CSRF is a random per-session secret for the console's CSRF check.
	CSRF     string    `json:"csrf"`
	Gen      int       `json:"gen"`
	Created  time.Time `json:"created"`
	LastSeen time.Time `json:"last_seen"`
	// Expires is when the session ends unless used before (idle), never
	// after Created+SessionMax. Use it for the cookie's lifetime.
	Expires time.Time `json:"expires"`
}

// CannedReply is a prepared answer caseworkers can insert.
type CannedReply struct {
	Title    string `json:"title"`
	Text     string `json:"text"`
	Language string `json:"language,omitempty"` // de, en, or "" for any
}

// Account errors.
var (
	ErrUserNotFound = errors.New("handoff: no such user")
	ErrUserExists   = errors.New("handoff: user already exists")
	// ErrBadCredentials: unknown user or wrong password (not told apart).
	ErrBadCredentials = errors.New("handoff: wrong username or password")
	// ErrDisabled: the password was right but the account is disabled.
	ErrDisabled = errors.New("handoff: account disabled")
	// ErrLocked: too many failed logins; a *LockedError says until when.
	ErrLocked = errors.New("handoff: too many failed logins")
	// ErrNoSession: unknown or expired session token.
	ErrNoSession = errors.New("handoff: no such session, or it expired")
	// ErrForbidden: the action needs the admin role.
	ErrForbidden = errors.New("handoff: admin role required")
)

// LockedError is returned while a username and address are locked out.
type LockedError struct{ Until time.Time }

func (e *LockedError) Error() string {
	return fmt.Sprintf("%v; try again after %s", ErrLocked, e.Until.Format(time.RFC3339))
}

// Is makes errors.Is(err, ErrLocked) true.
func (e *LockedError) Is(target error) bool { return target == ErrLocked }

// accountStore is what an Accounts backend keeps.
type accountStore interface {
	user(ctx context.Context, name string) (User, error)
	addUser(ctx context.Context, u User) error
	updateUser(ctx context.Context, name string, fn func(*User) error) (User, error)
	users(ctx context.Context) ([]User, error)
	putSession(ctx context.Context, key string, s Session, ttl time.Duration) error
	session(ctx context.Context, key string) (Session, error)
	deleteSession(ctx context.Context, key string) error
	// loginFailure counts a failed login at now; after max failures within
	// window the key is locked until the returned time (zero: not locked).
	loginFailure(ctx context.Context, key string, now time.Time, window time.Duration, max int, lockout time.Duration) (time.Time, error)
	loginLocked(ctx context.Context, key string) (time.Time, error)
	clearLogin(ctx context.Context, key string) error
	canned(ctx context.Context) ([]CannedReply, error)
	setCanned(ctx context.Context, list []CannedReply) error
}

// Accounts holds caseworker accounts, console sessions, login limits and
// canned replies. Build it with NewMemoryAccounts or NewRedisAccounts.
type Accounts struct {
	cfg   AccountsConfig
	store accountStore
	now   func() time.Time

	dummyOnce sync.Once
	dummy     []byte // a hash to compare against for unknown users
}

// AccountsOption configures Accounts.
type AccountsOption func(*Accounts)

// WithAccountsClock sets the clock (default time.Now).
func WithAccountsClock(now func() time.Time) AccountsOption {
	return func(a *Accounts) { a.now = now }
}

func newAccounts(cfg AccountsConfig, store accountStore, opts []AccountsOption) (*Accounts, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("handoff: accounts: %w", err)
	}
	a := &Accounts{cfg: cfg.withDefaults(), store: store, now: time.Now}
	for _, o := range opts {
		o(a)
	}
	return a, nil
}

var _ Directory = (*Accounts)(nil)

var nameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)

// NormalizeName lowercases a login name and checks it.
func NormalizeName(name string) (string, error) {
	n := strings.ToLower(strings.TrimSpace(name))
	if !nameRE.MatchString(n) {
		return "", fmt.Errorf("%w: user name %q: use 1–64 letters a–z, digits, '.', '_' or '-', starting with a letter or digit", ErrInvalid, name)
	}
	return n, nil
}

func public(u User) User {
	u.Hash = ""
	return u
}

func (a *Accounts) checkPassword(pw string) error {
	if n := utf8.RuneCountInString(pw); n < a.cfg.MinPasswordChars {
		return fmt.Errorf("%w: the password needs at least %d characters (it has %d)", ErrInvalid, a.cfg.MinPasswordChars, n)
	}
	if len(pw) > 72 {
		return fmt.Errorf("%w: the password may have at most 72 bytes", ErrInvalid)
	}
	return nil
}

func (a *Accounts) hash(pw string) (string, error) {
	h, err := bcrypt.GenerateFromPassword([]byte(pw), a.cfg.BcryptCost)
	if err != nil {
		return "", fmt.Errorf("handoff: hash password: %w", err)
	}
	return string(h), nil
}

// AddUser creates an account. ErrUserExists if the name is taken.
func (a *Accounts) AddUser(ctx context.Context, name, displayName string, role Role, password string) (User, error) {
	n, err := NormalizeName(name)
	if err != nil {
		return User{}, fmt.Errorf("handoff: add user: %w", err)
	}
	if role != RoleCaseworker && role != RoleAdmin {
		return User{}, fmt.Errorf("handoff: add user: %w: role %q (caseworker or admin)", ErrInvalid, role)
	}
	if err := a.checkPassword(password); err != nil {
		return User{}, fmt.Errorf("handoff: add user: %w", err)
	}
	h, err := a.hash(password)
	if err != nil {
		return User{}, err
	}
	now := a.now().UTC()
	u := User{Name: n, DisplayName: strings.TrimSpace(displayName), Role: role, Hash: h, Gen: 1, Created: now, Updated: now}
	if err := a.store.addUser(ctx, u); err != nil {
		return User{}, fmt.Errorf("handoff: add user %s: %w", n, err)
	}
	return public(u), nil
}

// User returns an account (without its hash). ErrUserNotFound if none.
func (a *Accounts) User(ctx context.Context, name string) (User, error) {
	n, err := NormalizeName(name)
	if err != nil {
		return User{}, fmt.Errorf("handoff: user: %w: %w", ErrUserNotFound, err)
	}
	u, err := a.store.user(ctx, n)
	if err != nil {
		return User{}, fmt.Errorf("handoff: user %s: %w", n, err)
	}
	return public(u), nil
}

// Users lists all accounts by name.
func (a *Accounts) Users(ctx context.Context) ([]User, error) {
	us, err := a.store.users(ctx)
	if err != nil {
		return nil, fmt.Errorf("handoff: users: %w", err)
	}
	for i := range us {
		us[i] = public(us[i])
	}
	slices.SortFunc(us, func(x, y User) int { return strings.Compare(x.Name, y.Name) })
	return us, nil
}

func (a *Accounts) update(ctx context.Context, op, name string, fn func(*User) error) (User, error) {
	n, err := NormalizeName(name)
	if err != nil {
		return User{}, fmt.Errorf("handoff: %s: %w: %w", op, ErrUserNotFound, err)
	}
	now := a.now().UTC()
	u, err := a.store.updateUser(ctx, n, func(u *User) error {
		if err := fn(u); err != nil {
			return err
		}
		u.Updated = now
		return nil
	})
	if err != nil {
		return User{}, fmt.Errorf("handoff: %s %s: %w", op, n, err)
	}
	return public(u), nil
}

// SetPassword changes a password; the user's sessions end.
func (a *Accounts) SetPassword(ctx context.Context, name, password string) error {
	if err := a.checkPassword(password); err != nil {
		return fmt.Errorf("handoff: set password: %w", err)
	}
	h, err := a.hash(password)
	if err != nil {
		return err
	}
	_, err = a.update(ctx, "set password", name, func(u *User) error {
		u.Hash = h
		u.Gen++
		return nil
	})
	return err
}

// SetDisabled disables (sessions end, logins refused) or enables an account.
func (a *Accounts) SetDisabled(ctx context.Context, name string, disabled bool) error {
	_, err := a.update(ctx, "set disabled", name, func(u *User) error {
		if disabled && !u.Disabled {
			u.Gen++
		}
		u.Disabled = disabled
		return nil
	})
	return err
}

func limitKey(name, ip string) string {
	sum := sha256.Sum256([]byte(strings.ToLower(strings.TrimSpace(name)) + "\x00" + ip))
	return hex.EncodeToString(sum[:16])
}

func (a *Accounts) dummyHash() []byte {
	a.dummyOnce.Do(func() {
		b := make([]byte, 16)
		_, _ = rand.Read(b)
		a.dummy, _ = bcrypt.GenerateFromPassword([]byte(hex.EncodeToString(b)), a.cfg.BcryptCost)
	})
	return a.dummy
}

// Authenticate checks a login from address ip. Unknown users and wrong
// passwords both give ErrBadCredentials, after the same bcrypt work. After
// MaxFailures failures for one name and address within FailureWindow, that
// pair is refused with a *LockedError (errors.Is ErrLocked) for Lockout,
// across instances. A disabled account gives ErrDisabled (only with the
// right password).
func (a *Accounts) Authenticate(ctx context.Context, name, password, ip string) (User, error) {
	now := a.now()
	key := limitKey(name, ip)
	until, err := a.store.loginLocked(ctx, key)
	if err != nil {
		return User{}, fmt.Errorf("handoff: authenticate: %w", err)
	}
	if now.Before(until) {
		return User{}, &LockedError{Until: until}
	}
	fail := func() (User, error) {
		until, err := a.store.loginFailure(ctx, key, now, a.cfg.FailureWindow, a.cfg.MaxFailures, a.cfg.Lockout)
		if err != nil {
			return User{}, fmt.Errorf("handoff: authenticate: %w", err)
		}
		if now.Before(until) {
			return User{}, &LockedError{Until: until}
		}
		return User{}, ErrBadCredentials
	}
	var u User
	n, nerr := NormalizeName(name)
	if nerr == nil {
		u, err = a.store.user(ctx, n)
	}
	if nerr != nil || errors.Is(err, ErrUserNotFound) {
		_ = bcrypt.CompareHashAndPassword(a.dummyHash(), []byte(password))
		return fail()
	}
	if err != nil {
		return User{}, fmt.Errorf("handoff: authenticate: %w", err)
	}
	if bcrypt.CompareHashAndPassword([]byte(u.Hash), []byte(password)) != nil {
		return fail()
	}
	if u.Disabled {
		return User{}, ErrDisabled
	}
	if err := a.store.clearLogin(ctx, key); err != nil {
		return User{}, fmt.Errorf("handoff: authenticate: %w", err)
	}
	if cost, err := bcrypt.Cost([]byte(u.Hash)); err == nil && cost < a.cfg.BcryptCost {
		// Upgrade an old hash while the password is at hand.
		if h, err := a.hash(password); err == nil {
			_, _ = a.store.updateUser(ctx, n, func(x *User) error {
				if x.Hash == u.Hash {
					x.Hash = h
				}
				return nil
			})
		}
	}
	return public(u), nil
}

func sessionKey(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

func randomToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("handoff: random token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

func (a *Accounts) expires(s Session) time.Time {
	idle := s.LastSeen.Add(a.cfg.SessionIdle)
	if abs := s.Created.Add(a.cfg.SessionMax); abs.Before(idle) {
		return abs
	}
	return idle
}

func ttl(until, now time.Time) time.Duration {
	return max(until.Sub(now), time.Second)
}

// NewSession starts a console session for an authenticated user. The token
// goes into the session cookie; only its SHA-256 is stored.
func (a *Accounts) NewSession(ctx context.Context, u User) (string, Session, error) {
	token, err := randomToken()
	if err != nil {
		return "", Session{}, err
	}
	csrf, err := randomToken()
	if err != nil {
		return "", Session{}, err
	}
	now := a.now().UTC()
	s := Session{User: u.Name, DisplayName: u.DisplayName, Role: u.Role, CSRF: csrf, Gen: u.Gen, Created: now, LastSeen: now}
	s.Expires = a.expires(s)
	if err := a.store.putSession(ctx, sessionKey(token), s, ttl(s.Expires, now)); err != nil {
		return "", Session{}, fmt.Errorf("handoff: new session: %w", err)
	}
	return token, s, nil
}

// Session returns the session for token and keeps it alive. ErrNoSession
// when unknown, idle for SessionIdle, older than SessionMax, or when the
// account was disabled or its password changed since login. Role and
// DisplayName are the account's current ones.
func (a *Accounts) Session(ctx context.Context, token string) (Session, error) {
	if token == "" {
		return Session{}, ErrNoSession
	}
	key := sessionKey(token)
	s, err := a.store.session(ctx, key)
	if err != nil {
		return Session{}, fmt.Errorf("handoff: session: %w", err)
	}
	now := a.now().UTC()
	end := func() (Session, error) {
		_ = a.store.deleteSession(ctx, key)
		return Session{}, ErrNoSession
	}
	if !now.Before(a.expires(s)) {
		return end()
	}
	u, err := a.store.user(ctx, s.User)
	if errors.Is(err, ErrUserNotFound) {
		return end()
	}
	if err != nil {
		return Session{}, fmt.Errorf("handoff: session: %w", err)
	}
	if u.Disabled || u.Gen != s.Gen {
		return end()
	}
	s.Role, s.DisplayName = u.Role, u.DisplayName
	// Refresh the idle timer, but not on every request.
	if now.Sub(s.LastSeen) >= min(a.cfg.SessionIdle/10, time.Minute) {
		s.LastSeen = now
		s.Expires = a.expires(s)
		if err := a.store.putSession(ctx, key, s, ttl(s.Expires, now)); err != nil {
			return Session{}, fmt.Errorf("handoff: session: %w", err)
		}
	}
	return s, nil
}

// EndSession logs out. An unknown token is not an error.
func (a *Accounts) EndSession(ctx context.Context, token string) error {
	if token == "" {
		return nil
	}
	if err := a.store.deleteSession(ctx, sessionKey(token)); err != nil {
		return fmt.Errorf("handoff: end session: %w", err)
	}
	return nil
}

// Limits on canned replies.
const (
	maxCanned      = 200
	maxCannedTitle = 80
	maxCannedText  = 2000
)

// CannedReplies returns the canned replies in their stored order.
func (a *Accounts) CannedReplies(ctx context.Context) ([]CannedReply, error) {
	list, err := a.store.canned(ctx)
	if err != nil {
		return nil, fmt.Errorf("handoff: canned replies: %w", err)
	}
	if list == nil {
		list = []CannedReply{}
	}
	return list, nil
}

// SetCannedReplies replaces the canned replies. actor must be an enabled
// admin (ErrForbidden otherwise).
func (a *Accounts) SetCannedReplies(ctx context.Context, actor string, list []CannedReply) error {
	u, err := a.User(ctx, actor)
	if errors.Is(err, ErrUserNotFound) || err == nil && (u.Role != RoleAdmin || u.Disabled) {
		return fmt.Errorf("handoff: set canned replies: %w", ErrForbidden)
	}
	if err != nil {
		return fmt.Errorf("handoff: set canned replies: %w", err)
	}
	if len(list) > maxCanned {
		return fmt.Errorf("handoff: set canned replies: %w: at most %d replies", ErrInvalid, maxCanned)
	}
	clean := make([]CannedReply, len(list))
	for i, c := range list {
		c.Title, c.Text = strings.TrimSpace(c.Title), strings.TrimSpace(c.Text)
		switch {
		case c.Title == "" || utf8.RuneCountInString(c.Title) > maxCannedTitle:
			return fmt.Errorf("handoff: set canned replies: %w: reply %d needs a title of 1–%d characters", ErrInvalid, i+1, maxCannedTitle)
		case c.Text == "" || utf8.RuneCountInString(c.Text) > maxCannedText:
			return fmt.Errorf("handoff: set canned replies: %w: reply %d needs a text of 1–%d characters", ErrInvalid, i+1, maxCannedText)
		case c.Language != "" && c.Language != "de" && c.Language != "en":
			return fmt.Errorf("handoff: set canned replies: %w: reply %d: language must be de, en or empty", ErrInvalid, i+1)
		}
		clean[i] = c
	}
	if err := a.store.setCanned(ctx, clean); err != nil {
		return fmt.Errorf("handoff: set canned replies: %w", err)
	}
	return nil
}
