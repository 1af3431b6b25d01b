// Package handoff is the handoff desk: when the bot cannot help, or the
// citizen asks for a person, a conversation waits here for a caseworker.
//
// The Desk owns the handoff side of a conversation's status (bot → waiting
// → claimed → bot/closed, or → ticket when nobody can come). The
// conversation record in the conversation store is the source of truth; the
// Queue keeps indexes beside it (who waits in which order, open tickets,
// who holds what, presence, recent wait times) and, on Redis, a stream with
// a consumer group through which one live instance watches each waiting
// conversation. An index entry whose conversation is no longer in that
// state (or is gone) is stale and dropped when seen.
//
// Accounts holds caseworker accounts, console sessions, login rate limits
// and canned replies.
//
// Personal data: citizen message text, contact details and addresses may be
// returned to the console; they are never logged.
package handoff

import (
	"errors"
	"fmt"
	"time"

	"github.com/civibot/civibot/conversation"
)

// Errors. Callers test with errors.Is.
var (
	// ErrUnavailable: the store or the queue cannot be reached (Redis
	// down). It is conversation.ErrUnavailable, so one check covers both.
	ErrUnavailable = conversation.ErrUnavailable
	// ErrNotFound: no such conversation (conversation.ErrNotFound).
	ErrNotFound = conversation.ErrNotFound
	// ErrAlreadyClaimed: another caseworker claimed the conversation first.
	ErrAlreadyClaimed = errors.New("handoff: already claimed by another caseworker")
	// ErrNotWaiting: the conversation is not waiting for a caseworker (nor
	// a ticket), so it cannot be claimed.
	ErrNotWaiting = errors.New("handoff: conversation is not waiting for a caseworker")
	// ErrNotAssignee: only the caseworker who holds the conversation may do
	// this.
	ErrNotAssignee = errors.New("handoff: conversation is not assigned to this caseworker")
	// ErrUnknownCaseworker: a transfer names no existing, enabled account.
	ErrUnknownCaseworker = errors.New("handoff: no such enabled caseworker")
	// ErrInvalid: the arguments are wrong (empty text, unknown outcome, …).
	ErrInvalid = errors.New("handoff: invalid argument")
	// ErrNotDelivered: a reply was stored but could not be pushed on the
	// citizen's channel (Telegram or Twilio failed). The console should say
	// so; the message stays in the transcript.
	ErrNotDelivered = errors.New("handoff: reply stored but not delivered")
)

// Outcomes a caseworker closes a conversation with.
const (
	OutcomeResolved     = "resolved"
	OutcomeCallbackDone = "callback_done"
	OutcomeNoShow       = "no_show"
	OutcomeSpam         = "spam"
	OutcomeOther        = "other"
)

// Outcomes lists the valid close outcomes, for the console's select.
func Outcomes() []string {
	return []string{OutcomeResolved, OutcomeCallbackDone, OutcomeNoShow, OutcomeSpam, OutcomeOther}
}

// Audit actions (conversation.AuditEntry.Action).
const (
	ActionRequested   = "requested"
	ActionTicket      = "ticket"
	ActionClaimed     = "claimed"
	ActionReplied     = "replied"
	ActionNoted       = "noted"
	ActionTransferred = "transferred"
	ActionGaveBack    = "gave_back"
	ActionClosed      = "closed"
)

// Config configures the desk and the accounts. The zero value of every
// field means its default (Default* constants).
type Config struct {
	// OfficeHours: when caseworkers work. Empty: always open (presence
	// alone decides).
	OfficeHours OfficeHours `yaml:"office_hours"`
	// OfflineAfter: when no caseworker has sent a heartbeat for this long, a
	// new request becomes a callback ticket at once, and waiting ones are
	// turned into tickets (the citizen is offered a callback).
	OfflineAfter time.Duration `yaml:"offline_after"`
	// PresenceTimeout: a caseworker counts as online this long after their
	// last heartbeat (the console sends one every ~20 s).
	PresenceTimeout time.Duration `yaml:"presence_timeout"`
	// ReclaimAfter: a waiting entry watched by an instance that has not
	// renewed it for this long (the instance died) is taken over by another.
	ReclaimAfter time.Duration `yaml:"reclaim_after"`
	// WatchInterval: how often each instance checks the entries it watches,
	// renews them, reclaims abandoned ones and notices who went offline.
	WatchInterval time.Duration `yaml:"watch_interval"`
	// WaitSamples: how many recent claim waits the wait estimate uses.
	WaitSamples int `yaml:"wait_samples"`
	// MaxTextChars: the longest reply or note a caseworker may send.
	MaxTextChars int `yaml:"max_text_chars"`
	// Accounts: console accounts, sessions and login limits.
	Accounts AccountsConfig `yaml:"accounts"`
}

// Defaults for Config.
const (
	DefaultOfflineAfter    = 5 * time.Minute
	DefaultPresenceTimeout = 60 * time.Second
	DefaultReclaimAfter    = 30 * time.Second
	DefaultWatchInterval   = 2 * time.Second
	DefaultWaitSamples     = 20
	DefaultMaxTextChars    = 4000
)

// AccountsConfig configures caseworker accounts and console sessions.
type AccountsConfig struct {
	// BcryptCost for new password hashes (at least 10; default 12).
	BcryptCost int `yaml:"bcrypt_cost"`
	// MinPasswordChars: the shortest password accepted (default 10).
	MinPasswordChars int `yaml:"min_password_chars"`
	// SessionIdle: a session unused for this long ends (default 30m).
	SessionIdle time.Duration `yaml:"session_idle"`
	// SessionMax: a session ends this long after login, used or not
	// (default 12h).
	SessionMax time.Duration `yaml:"session_max"`
	// MaxFailures failed logins for one username from one address within
	// FailureWindow lock that pair out for Lockout (defaults 5, 15m, 15m).
	MaxFailures   int           `yaml:"max_failures"`
	FailureWindow time.Duration `yaml:"failure_window"`
	Lockout       time.Duration `yaml:"lockout"`
}

// Defaults for AccountsConfig.
const (
	DefaultBcryptCost       = 12
	MinBcryptCost           = 10
	DefaultMinPasswordChars = 10
	DefaultSessionIdle      = 30 * time.Minute
	DefaultSessionMax       = 12 * time.Hour
	DefaultMaxFailures      = 5
	DefaultFailureWindow    = 15 * time.Minute
	DefaultLockout          = 15 * time.Minute
)

// DefaultConfig returns the configuration used when nothing is set.
func DefaultConfig() Config {
	return Config{}.withDefaults()
}

func (c Config) withDefaults() Config {
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	def(&c.OfflineAfter, DefaultOfflineAfter)
	def(&c.PresenceTimeout, DefaultPresenceTimeout)
	def(&c.ReclaimAfter, DefaultReclaimAfter)
	def(&c.WatchInterval, DefaultWatchInterval)
	if c.WaitSamples == 0 {
		c.WaitSamples = DefaultWaitSamples
	}
	if c.MaxTextChars == 0 {
		c.MaxTextChars = DefaultMaxTextChars
	}
	c.Accounts = c.Accounts.withDefaults()
	return c
}

func (c AccountsConfig) withDefaults() AccountsConfig {
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	if c.BcryptCost == 0 {
		c.BcryptCost = DefaultBcryptCost
	}
	if c.MinPasswordChars == 0 {
		c.MinPasswordChars = DefaultMinPasswordChars
	}
	if c.MaxFailures == 0 {
		c.MaxFailures = DefaultMaxFailures
	}
	def(&c.SessionIdle, DefaultSessionIdle)
	def(&c.SessionMax, DefaultSessionMax)
	def(&c.FailureWindow, DefaultFailureWindow)
	def(&c.Lockout, DefaultLockout)
	return c
}

// Validate checks the configuration (defaults applied first); its messages
// name the setting and how to fix it.
func (c Config) Validate() error {
	c = c.withDefaults()
	var errs []error
	if err := c.OfficeHours.Validate(); err != nil {
		errs = append(errs, err)
	}
	positive := func(name string, d time.Duration) {
		if d < 0 {
			errs = append(errs, fmt.Errorf("handoff.%s must be positive, got %v", name, d))
		}
	}
	positive("offline_after", c.OfflineAfter)
	positive("presence_timeout", c.PresenceTimeout)
	positive("reclaim_after", c.ReclaimAfter)
	positive("watch_interval", c.WatchInterval)
	if c.WatchInterval > 0 && c.ReclaimAfter > 0 && c.WatchInterval*3 > c.ReclaimAfter {
		errs = append(errs, fmt.Errorf("handoff.watch_interval (%v) must be at most a third of handoff.reclaim_after (%v), or live instances lose their entries to others", c.WatchInterval, c.ReclaimAfter))
	}
	if c.WaitSamples < 0 {
		errs = append(errs, fmt.Errorf("handoff.wait_samples must be positive, got %d", c.WaitSamples))
	}
	if c.MaxTextChars < 0 {
		errs = append(errs, fmt.Errorf("handoff.max_text_chars must be positive, got %d", c.MaxTextChars))
	}
	if err := c.Accounts.Validate(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// Validate checks the accounts configuration (defaults applied first).
func (c AccountsConfig) Validate() error {
	c = c.withDefaults()
	var errs []error
	if c.BcryptCost < MinBcryptCost || c.BcryptCost > 31 {
		errs = append(errs, fmt.Errorf("handoff.accounts.bcrypt_cost must be between %d and 31, got %d", MinBcryptCost, c.BcryptCost))
	}
	if c.MinPasswordChars < 8 {
		errs = append(errs, fmt.Errorf("handoff.accounts.min_password_chars must be at least 8, got %d", c.MinPasswordChars))
	}
	for _, s := range []struct {
		name string
		d    time.Duration
	}{{"session_idle", c.SessionIdle}, {"session_max", c.SessionMax}, {"failure_window", c.FailureWindow}, {"lockout", c.Lockout}} {
		if s.d < 0 {
			errs = append(errs, fmt.Errorf("handoff.accounts.%s must be positive, got %v", s.name, s.d))
		}
	}
	if c.SessionIdle > c.SessionMax {
		errs = append(errs, fmt.Errorf("handoff.accounts.session_idle (%v) must not exceed handoff.accounts.session_max (%v)", c.SessionIdle, c.SessionMax))
	}
	if c.MaxFailures < 1 {
		errs = append(errs, fmt.Errorf("handoff.accounts.max_failures must be at least 1, got %d", c.MaxFailures))
	}
	return errors.Join(errs...)
}
