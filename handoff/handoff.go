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
// Caseworker accounts, console sessions, login limits and canned replies
// are package accounts; the desk asks a Directory whether a caseworker
// exists.
//
// Personal data: citizen message text, contact details and addresses may be
// returned to the console; they are never logged.
package handoff

import (
	"errors"
	"fmt"
	"time"

	"github.com/civibot/civibot/accounts"
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

// Config configures the desk (and, in Accounts, the caseworker accounts). The zero value of every
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
	// Accounts: console accounts, sessions and login limits (package
	// accounts; kept in this section of the configuration).
	Accounts accounts.Config `yaml:"accounts"`
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

// DefaultConfig returns the configuration used when nothing is set.
func DefaultConfig() Config {
	c := Config{}.withDefaults()
	c.Accounts = accounts.DefaultConfig()
	return c
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
