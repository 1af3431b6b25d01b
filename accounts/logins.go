package accounts

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Login slowing across addresses (issue 16.1). The lockout of one name
// from one address (MaxFailures, Lockout) stops a guesser with one
// address; a guesser with many addresses is slowed per account: after
// SlowAfter failures within SlowWindow from addresses the account has not
// logged in from, each further attempt from such an address waits 1s,
// doubling with every failure, up to MaxSlowDelay. Attempts during the wait
// are refused without a password check and not counted, so they cannot
// push the wait further. Addresses the account logged in from within
// KnownAddressFor are exempt: the caseworker's own office keeps its own
// budget (the per-address lockout).

// ErrSlowed: too many failed logins for this account from unknown
// addresses; a *SlowedError says until when.
var ErrSlowed = errors.New("accounts: too many failed logins for this account; slowed down")

// SlowedError is returned while an account's logins from unknown addresses
// must wait.
type SlowedError struct{ Until time.Time }

func (e *SlowedError) Error() string {
	return fmt.Sprintf("%v; try again after %s", ErrSlowed, e.Until.Format(time.RFC3339))
}

// Is makes errors.Is(err, ErrSlowed) true.
func (e *SlowedError) Is(target error) bool { return target == ErrSlowed }

// Login outcomes (LoginEvent.Outcome).
const (
	LoginOK             = "ok"
	LoginBadCredentials = "bad_credentials"
	LoginDisabled       = "disabled" // the right password of a disabled account
	LoginLocked         = "locked"
	LoginSlowed         = "slowed"
)

// LoginEvent is one password login attempt, for administrators
// (Store.LoginEvents) and metrics (Options.OnLogin).
type LoginEvent struct {
	At time.Time `json:"at"`
	// User is the name tried (normalized when valid, cut to 64 characters).
	User string `json:"user"`
	// Address is the client's address as limits count it (IPv6: its /64).
	Address string `json:"address"`
	Outcome string `json:"outcome"`
	// KnownAddress: the account has logged in from this address before.
	KnownAddress bool `json:"known_address,omitempty"`
}

// maxLoginEvents is how many login events are kept (the newest).
const maxLoginEvents = 1000

// accountKey is the per-account slowing key of a name as typed: unknown
// names are slowed like known ones, so slowing tells nothing about which
// accounts exist.
func accountKey(name string) string {
	sum := sha256.Sum256([]byte("account\x00" + strings.ToLower(strings.TrimSpace(name))))
	return hex.EncodeToString(sum[:16])
}

// addressKey hides the address in the known-address set.
func addressKey(ip string) string {
	sum := sha256.Sum256([]byte("address\x00" + ip))
	return hex.EncodeToString(sum[:16])
}

// slowDelay is how long after the last failure the next attempt from an
// unknown address must wait, given failures within the window.
func (a *Store) slowDelay(failures int) time.Duration {
	if failures < a.cfg.SlowAfter {
		return 0
	}
	n := failures - a.cfg.SlowAfter
	if n > 30 {
		return a.cfg.MaxSlowDelay
	}
	return min(time.Second<<n, a.cfg.MaxSlowDelay)
}

// slowedUntil reports when an account's next login from an unknown
// address may be tried (zero or past: now).
func (a *Store) slowedUntil(ctx context.Context, acct string, now time.Time) (time.Time, error) {
	n, last, err := a.store.accountFailures(ctx, acct, now, a.cfg.SlowWindow)
	if err != nil || n == 0 {
		return time.Time{}, err
	}
	d := a.slowDelay(n)
	if d == 0 {
		return time.Time{}, nil
	}
	return last.Add(d), nil
}

// record keeps a login event and tells the OnLogin hook; failures to keep
// it do not fail the login.
func (a *Store) record(ctx context.Context, e LoginEvent) {
	if utf8.RuneCountInString(e.User) > 64 {
		e.User = string([]rune(e.User)[:64])
	}
	e.User = strings.ToValidUTF8(e.User, "?")
	if a.onLogin != nil {
		a.onLogin(e)
	}
	_ = a.store.addLoginEvent(context.WithoutCancel(ctx), e, maxLoginEvents)
}

// LoginEvents returns the newest password login attempts first (at most
// limit, and at most the last 1000), for administrators.
func (a *Store) LoginEvents(ctx context.Context, limit int) ([]LoginEvent, error) {
	if limit <= 0 || limit > maxLoginEvents {
		limit = maxLoginEvents
	}
	es, err := a.store.loginEvents(ctx, limit)
	if err != nil {
		return nil, fmt.Errorf("accounts: login events: %w", err)
	}
	if es == nil {
		es = []LoginEvent{}
	}
	return es, nil
}
