// Package accounts holds the caseworkers' console accounts (bcrypt
// password hashes, roles, disabling), console sessions, the login lockout
// of one name from one address, the slowing of one name's logins across
// addresses, the login events administrators see, and the canned replies
// caseworkers insert.
// One Store, two backends: a JSON file shared with `civibot user` for a
// single instance (NewMemory), Redis for several (NewRedis).
//
// Personal data: passwords are never stored or logged; only their bcrypt
// hash is kept, and a session token only as its SHA-256.
package accounts

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

	"github.com/civibot/civibot/conversation"
	"github.com/civibot/civibot/internal/clientaddr"
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
	// Hash is the bcrypt hash; empty in values a Store returns.
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

// Errors. Callers test with errors.Is.
var (
	// ErrInvalid: the arguments are wrong (a bad user name, a short
	// password, an unknown role, a canned reply without text).
	ErrInvalid = errors.New("accounts: invalid argument")
	// ErrUnavailable: Redis cannot be reached (conversation.ErrUnavailable,
	// so one check covers the conversation store, the desk and accounts).
	ErrUnavailable = conversation.ErrUnavailable
	// ErrUserNotFound: no account of that name.
	ErrUserNotFound = errors.New("accounts: no such user")
	ErrUserExists   = errors.New("accounts: user already exists")
	// ErrBadCredentials: unknown user or wrong password (not told apart).
	ErrBadCredentials = errors.New("accounts: wrong username or password")
	// ErrDisabled: the password was right but the account is disabled.
	// Authenticate wraps it together with ErrBadCredentials, so callers
	// answer it like a wrong password (no oracle on departed staff's
	// passwords) and only their log tells it apart.
	ErrDisabled = errors.New("accounts: account disabled")
	// ErrLocked: too many failed logins; a *LockedError says until when.
	ErrLocked = errors.New("accounts: too many failed logins")
	// ErrNoSession: unknown or expired session token.
	ErrNoSession = errors.New("accounts: no such session, or it expired")
	// ErrForbidden: the action needs the admin role.
	ErrForbidden = errors.New("accounts: admin role required")
)

// LockedError is returned while a username and address are locked out.
type LockedError struct{ Until time.Time }

func (e *LockedError) Error() string {
	return fmt.Sprintf("%v; try again after %s", ErrLocked, e.Until.Format(time.RFC3339))
}

// Is makes errors.Is(err, ErrLocked) true.
func (e *LockedError) Is(target error) bool { return target == ErrLocked }

// backend is what a Store's backend keeps.
type backend interface {
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
	// accountFailure records a failed login of an account (accountKey) at
	// now; accountFailures counts those within window and returns the last.
	accountFailure(ctx context.Context, acct string, now time.Time, window time.Duration) error
	accountFailures(ctx context.Context, acct string, now time.Time, window time.Duration) (int, time.Time, error)
	// rememberAddress marks addr (addressKey) as one the account logged in
	// from, for keep; knownAddress asks.
	rememberAddress(ctx context.Context, acct, addr string, now time.Time, keep time.Duration) error
	knownAddress(ctx context.Context, acct, addr string, now time.Time) (bool, error)
	// addLoginEvent keeps e among the newest max events.
	addLoginEvent(ctx context.Context, e LoginEvent, max int) error
	loginEvents(ctx context.Context, limit int) ([]LoginEvent, error)
	canned(ctx context.Context) ([]CannedReply, error)
	setCanned(ctx context.Context, list []CannedReply) error
}

// Store holds caseworker accounts, console sessions, login limits and
// canned replies. Build it with NewMemory or NewRedis.
type Store struct {
	cfg     Config
	store   backend
	now     func() time.Time
	onLogin func(LoginEvent)

	dummyOnce sync.Once
	dummy     []byte // a hash to compare against for unknown users
}

// Options are a Store's collaborators.
type Options struct {
	// Now is the clock (default time.Now).
	Now func() time.Time
	// OnLogin, if set, is told every password login attempt (metrics).
	OnLogin func(LoginEvent)
}

func newStore(cfg Config, store backend, o Options) (*Store, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("accounts: %w", err)
	}
	a := &Store{cfg: cfg.withDefaults(), store: store, now: o.Now, onLogin: o.OnLogin}
	if a.now == nil {
		a.now = time.Now
	}
	return a, nil
}

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

func (a *Store) checkPassword(pw string) error {
	if n := utf8.RuneCountInString(pw); n < a.cfg.MinPasswordChars {
		return fmt.Errorf("%w: the password needs at least %d characters (it has %d)", ErrInvalid, a.cfg.MinPasswordChars, n)
	}
	if len(pw) > 72 {
		return fmt.Errorf("%w: the password may have at most 72 bytes", ErrInvalid)
	}
	return nil
}

func (a *Store) hash(pw string) (string, error) {
	h, err := bcrypt.GenerateFromPassword([]byte(pw), a.cfg.BcryptCost)
	if err != nil {
		return "", fmt.Errorf("accounts: hash password: %w", err)
	}
	return string(h), nil
}

// AddUser creates an account. ErrUserExists if the name is taken.
func (a *Store) AddUser(ctx context.Context, name, displayName string, role Role, password string) (User, error) {
	n, err := NormalizeName(name)
	if err != nil {
		return User{}, fmt.Errorf("accounts: add user: %w", err)
	}
	if role != RoleCaseworker && role != RoleAdmin {
		return User{}, fmt.Errorf("accounts: add user: %w: role %q (caseworker or admin)", ErrInvalid, role)
	}
	if err := a.checkPassword(password); err != nil {
		return User{}, fmt.Errorf("accounts: add user: %w", err)
	}
	h, err := a.hash(password)
	if err != nil {
		return User{}, err
	}
	now := a.now().UTC()
	u := User{Name: n, DisplayName: strings.TrimSpace(displayName), Role: role, Hash: h, Gen: 1, Created: now, Updated: now}
	if err := a.store.addUser(ctx, u); err != nil {
		return User{}, fmt.Errorf("accounts: add user %s: %w", n, err)
	}
	return public(u), nil
}

// User returns an account (without its hash). ErrUserNotFound if none.
func (a *Store) User(ctx context.Context, name string) (User, error) {
	n, err := NormalizeName(name)
	if err != nil {
		return User{}, fmt.Errorf("accounts: user: %w: %w", ErrUserNotFound, err)
	}
	u, err := a.store.user(ctx, n)
	if err != nil {
		return User{}, fmt.Errorf("accounts: user %s: %w", n, err)
	}
	return public(u), nil
}

// Users lists all accounts by name.
func (a *Store) Users(ctx context.Context) ([]User, error) {
	us, err := a.store.users(ctx)
	if err != nil {
		return nil, fmt.Errorf("accounts: users: %w", err)
	}
	for i := range us {
		us[i] = public(us[i])
	}
	slices.SortFunc(us, func(x, y User) int { return strings.Compare(x.Name, y.Name) })
	return us, nil
}

func (a *Store) update(ctx context.Context, op, name string, fn func(*User) error) (User, error) {
	n, err := NormalizeName(name)
	if err != nil {
		return User{}, fmt.Errorf("accounts: %s: %w: %w", op, ErrUserNotFound, err)
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
		return User{}, fmt.Errorf("accounts: %s %s: %w", op, n, err)
	}
	return public(u), nil
}

// SetPassword changes a password; the user's sessions end.
func (a *Store) SetPassword(ctx context.Context, name, password string) error {
	if err := a.checkPassword(password); err != nil {
		return fmt.Errorf("accounts: set password: %w", err)
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
func (a *Store) SetDisabled(ctx context.Context, name string, disabled bool) error {
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

func (a *Store) dummyHash() []byte {
	a.dummyOnce.Do(func() {
		b := make([]byte, 16)
		_, _ = rand.Read(b)
		a.dummy, _ = bcrypt.GenerateFromPassword([]byte(hex.EncodeToString(b)), a.cfg.BcryptCost)
	})
	return a.dummy
}

// Authenticate checks a login from address ip (IPv6 grouped by /64, as
// ClientKey does). Unknown users, wrong passwords and disabled accounts
// all give ErrBadCredentials, after the same bcrypt work, so a departed
// colleague's password cannot be confirmed. After MaxFailures failures for
// one name and address within FailureWindow, that pair is refused with a
// *LockedError (errors.Is ErrLocked) for Lockout, across instances. After
// SlowAfter failures for one name from addresses it has not logged in
// from, further attempts from such addresses wait (a *SlowedError,
// errors.Is ErrSlowed); see logins.go. Every attempt is recorded
// (LoginEvents).
func (a *Store) Authenticate(ctx context.Context, name, password, ip string) (User, error) {
	now := a.now()
	ip = clientaddr.Key(ip)
	key := limitKey(name, ip)
	ev := LoginEvent{At: now.UTC(), User: strings.ToLower(strings.TrimSpace(name)), Address: ip}
	n, nerr := NormalizeName(name)
	if nerr == nil {
		ev.User = n
	}
	until, err := a.store.loginLocked(ctx, key)
	if err != nil {
		return User{}, fmt.Errorf("accounts: authenticate: %w", err)
	}
	if now.Before(until) {
		ev.Outcome = LoginLocked
		a.record(ctx, ev)
		return User{}, &LockedError{Until: until}
	}
	acct := accountKey(name)
	if nerr == nil {
		ev.KnownAddress, err = a.store.knownAddress(ctx, acct, addressKey(ip), now)
		if err != nil {
			return User{}, fmt.Errorf("accounts: authenticate: %w", err)
		}
	}
	if !ev.KnownAddress {
		slowed, err := a.slowedUntil(ctx, acct, now)
		if err != nil {
			return User{}, fmt.Errorf("accounts: authenticate: %w", err)
		}
		if now.Before(slowed) {
			ev.Outcome = LoginSlowed
			a.record(ctx, ev)
			return User{}, &SlowedError{Until: slowed}
		}
	}
	fail := func(outcome string) (User, error) {
		ev.Outcome = outcome
		defer a.record(ctx, ev)
		if !ev.KnownAddress {
			if err := a.store.accountFailure(ctx, acct, now, a.cfg.SlowWindow); err != nil {
				return User{}, fmt.Errorf("accounts: authenticate: %w", err)
			}
		}
		until, err := a.store.loginFailure(ctx, key, now, a.cfg.FailureWindow, a.cfg.MaxFailures, a.cfg.Lockout)
		if err != nil {
			return User{}, fmt.Errorf("accounts: authenticate: %w", err)
		}
		if now.Before(until) {
			return User{}, &LockedError{Until: until}
		}
		if outcome == LoginDisabled {
			// Told apart only by errors.Is, for the server's own log.
			return User{}, fmt.Errorf("%w (%w)", ErrBadCredentials, ErrDisabled)
		}
		return User{}, ErrBadCredentials
	}
	var u User
	if nerr == nil {
		u, err = a.store.user(ctx, n)
	}
	if nerr != nil || errors.Is(err, ErrUserNotFound) {
		_ = bcrypt.CompareHashAndPassword(a.dummyHash(), []byte(password))
		return fail(LoginBadCredentials)
	}
	if err != nil {
		return User{}, fmt.Errorf("accounts: authenticate: %w", err)
	}
	if bcrypt.CompareHashAndPassword([]byte(u.Hash), []byte(password)) != nil {
		return fail(LoginBadCredentials)
	}
	if u.Disabled {
		return fail(LoginDisabled)
	}
	if err := a.store.clearLogin(ctx, key); err != nil {
		return User{}, fmt.Errorf("accounts: authenticate: %w", err)
	}
	if err := a.store.rememberAddress(ctx, acct, addressKey(ip), now, a.cfg.KnownAddressFor); err != nil {
		return User{}, fmt.Errorf("accounts: authenticate: %w", err)
	}
	ev.Outcome = LoginOK
	a.record(ctx, ev)
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
		return "", fmt.Errorf("accounts: random token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

func (a *Store) expires(s Session) time.Time {
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
func (a *Store) NewSession(ctx context.Context, u User) (string, Session, error) {
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
		return "", Session{}, fmt.Errorf("accounts: new session: %w", err)
	}
	return token, s, nil
}

// Session returns the session for token and keeps it alive. ErrNoSession
// when unknown, idle for SessionIdle, older than SessionMax, or when the
// account was disabled or its password changed since login. Role and
// DisplayName are the account's current ones.
func (a *Store) Session(ctx context.Context, token string) (Session, error) {
	if token == "" {
		return Session{}, ErrNoSession
	}
	key := sessionKey(token)
	s, err := a.store.session(ctx, key)
	if err != nil {
		return Session{}, fmt.Errorf("accounts: session: %w", err)
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
		return Session{}, fmt.Errorf("accounts: session: %w", err)
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
			return Session{}, fmt.Errorf("accounts: session: %w", err)
		}
	}
	return s, nil
}

// EndSession logs out. An unknown token is not an error.
func (a *Store) EndSession(ctx context.Context, token string) error {
	if token == "" {
		return nil
	}
	if err := a.store.deleteSession(ctx, sessionKey(token)); err != nil {
		return fmt.Errorf("accounts: end session: %w", err)
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
func (a *Store) CannedReplies(ctx context.Context) ([]CannedReply, error) {
	list, err := a.store.canned(ctx)
	if err != nil {
		return nil, fmt.Errorf("accounts: canned replies: %w", err)
	}
	if list == nil {
		list = []CannedReply{}
	}
	return list, nil
}

// SetCannedReplies replaces the canned replies. actor must be an enabled
// admin (ErrForbidden otherwise).
func (a *Store) SetCannedReplies(ctx context.Context, actor string, list []CannedReply) error {
	u, err := a.User(ctx, actor)
	if errors.Is(err, ErrUserNotFound) || err == nil && (u.Role != RoleAdmin || u.Disabled) {
		return fmt.Errorf("accounts: set canned replies: %w", ErrForbidden)
	}
	if err != nil {
		return fmt.Errorf("accounts: set canned replies: %w", err)
	}
	if len(list) > maxCanned {
		return fmt.Errorf("accounts: set canned replies: %w: at most %d replies", ErrInvalid, maxCanned)
	}
	clean := make([]CannedReply, len(list))
	for i, c := range list {
		c.Title, c.Text = strings.TrimSpace(c.Title), strings.TrimSpace(c.Text)
		switch {
		case c.Title == "" || utf8.RuneCountInString(c.Title) > maxCannedTitle:
			return fmt.Errorf("accounts: set canned replies: %w: reply %d needs a title of 1–%d characters", ErrInvalid, i+1, maxCannedTitle)
		case c.Text == "" || utf8.RuneCountInString(c.Text) > maxCannedText:
			return fmt.Errorf("accounts: set canned replies: %w: reply %d needs a text of 1–%d characters", ErrInvalid, i+1, maxCannedText)
		case c.Language != "" && c.Language != "de" && c.Language != "en":
			return fmt.Errorf("accounts: set canned replies: %w: reply %d: language must be de, en or empty", ErrInvalid, i+1)
		}
		clean[i] = c
	}
	if err := a.store.setCanned(ctx, clean); err != nil {
		return fmt.Errorf("accounts: set canned replies: %w", err)
	}
	return nil
}
