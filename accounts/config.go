package accounts

import (
	"errors"
	"fmt"
	"time"
)

// Config configures caseworker accounts and console sessions.
type Config struct {
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
	// SlowAfter failed logins for one account within SlowWindow, from
	// addresses it has not logged in from, make each further attempt from
	// such an address wait: 1s, doubling per failure, up to MaxSlowDelay
	// (defaults 10, 1h, 5m). Slowing, unlike a lockout, never shuts the
	// account out.
	SlowAfter    int           `yaml:"slow_after"`
	SlowWindow   time.Duration `yaml:"slow_window"`
	MaxSlowDelay time.Duration `yaml:"max_slow_delay"`
	// KnownAddressFor: an address (IPv6: its /64) the account logged in
	// from is exempt from slowing for this long after (default 720h).
	KnownAddressFor time.Duration `yaml:"known_address_for"`
}

// Defaults for Config.
const (
	DefaultBcryptCost       = 12
	MinBcryptCost           = 10
	DefaultMinPasswordChars = 10
	DefaultSessionIdle      = 30 * time.Minute
	DefaultSessionMax       = 12 * time.Hour
	DefaultMaxFailures      = 5
	DefaultFailureWindow    = 15 * time.Minute
	DefaultLockout          = 15 * time.Minute
	DefaultSlowAfter        = 10
	DefaultSlowWindow       = time.Hour
	DefaultMaxSlowDelay     = 5 * time.Minute
	DefaultKnownAddressFor  = 30 * 24 * time.Hour
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
	if c.SlowAfter == 0 {
		c.SlowAfter = DefaultSlowAfter
	}
	def(&c.SlowWindow, DefaultSlowWindow)
	def(&c.MaxSlowDelay, DefaultMaxSlowDelay)
	def(&c.KnownAddressFor, DefaultKnownAddressFor)
	return c
}

// Validate checks the configuration (defaults applied first).
func (c Config) Validate() error {
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
	}{{"session_idle", c.SessionIdle}, {"session_max", c.SessionMax}, {"failure_window", c.FailureWindow}, {"lockout", c.Lockout},
		{"slow_window", c.SlowWindow}, {"max_slow_delay", c.MaxSlowDelay}, {"known_address_for", c.KnownAddressFor}} {
		if s.d < 0 {
			errs = append(errs, fmt.Errorf("handoff.accounts.%s must be positive, got %v", s.name, s.d))
		}
	}
	if c.SessionIdle > c.SessionMax {
		errs = append(errs, fmt.Errorf("handoff.accounts.session_idle (%v) must not exceed handoff.accounts.session_max (%v)", c.SessionIdle, c.SessionMax))
	}
	if c.SlowAfter < 1 {
		errs = append(errs, fmt.Errorf("handoff.accounts.slow_after must be at least 1, got %d", c.SlowAfter))
	}
	if c.MaxFailures < 1 {
		errs = append(errs, fmt.Errorf("handoff.accounts.max_failures must be at least 1, got %d", c.MaxFailures))
	}
	return errors.Join(errs...)
}
