package email

import (
	"errors"
	"fmt"
	"net"
	"net/mail"
	"strings"
	"time"
)

// Config is the "email" section of civibot's config.
type Config struct {
	// Enabled starts the channel: civibot reads the mailbox and answers.
	Enabled bool `yaml:"enabled"`
	// Address is the mailbox's address: replies come from it, and the
	// Message-IDs civibot writes end in its domain.
	Address string `yaml:"address"`
	// Name is the display name of replies (default "<city> – digitaler
	// Assistent").
	Name string `yaml:"name"`
	// IMAP is where the mail arrives.
	IMAP IMAPConfig `yaml:"imap"`
	// SMTP is how replies leave.
	SMTP SMTPConfig `yaml:"smtp"`
	// AnswersPerDay bounds the bot's answers to one sender address per
	// calendar day (UTC) (default 10; -1: no limit). The mail that reaches
	// the limit gets one notice; later ones are stored for the caseworkers
	// but not answered. Caseworker replies are not counted.
	AnswersPerDay int `yaml:"answers_per_day"`
	// LockTTL is how long the mailbox lock lives without renewal: with
	// Redis, one instance reads the mailbox; another takes over this long
	// after it dies (default 30s).
	LockTTL time.Duration `yaml:"lock_ttl"`
	// HandleTimeout bounds one mail: the dialog turn and sending the answer
	// (default 60s).
	HandleTimeout time.Duration `yaml:"handle_timeout"`
}

// IMAPConfig is the incoming side.
type IMAPConfig struct {
	// Host and Port of the IMAP server (port default: 993 with tls, 143
	// otherwise).
	Host string `yaml:"host"`
	Port int    `yaml:"port"`
	// Security: tls (implicit TLS, port 993), starttls (port 143), or none
	// (only for a server on this machine).
	Security string `yaml:"security"`
	// Username and Password log in (give the password through
	// CIVIBOT_EMAIL_IMAP_PASSWORD_FILE).
	Username string `yaml:"username"`
	Password string `yaml:"password"`
	// Mailbox is read for new mail (default INBOX).
	Mailbox string `yaml:"mailbox"`
	// ProcessedMailbox is where handled mail is moved, answered or not
	// (default "civibot/processed"; created when missing).
	ProcessedMailbox string `yaml:"processed_mailbox"`
	// PollInterval: how often the mailbox is checked when the server has no
	// IDLE, or idle is off (default 1m; with IDLE mail is read at once).
	PollInterval time.Duration `yaml:"poll_interval"`
	// Idle uses IMAP IDLE where the server offers it (default true).
	Idle bool `yaml:"idle"`
	// CAFile is a PEM file of certificate authorities to trust instead of
	// the system's (a city's own CA).
	CAFile string `yaml:"ca_file"`
}

// SMTPConfig is the outgoing side.
type SMTPConfig struct {
	// Host and Port of the submission server (port default: 587 with
	// starttls, 465 with tls, 25 with none).
	Host string `yaml:"host"`
	Port int    `yaml:"port"`
	// Security: starttls (default), tls, or none (only for a relay on this
	// machine).
	Security string `yaml:"security"`
	// Username and Password authenticate (AUTH PLAIN); empty: no AUTH.
	// Give the password through CIVIBOT_EMAIL_SMTP_PASSWORD_FILE.
	Username string `yaml:"username"`
	Password string `yaml:"password"`
	// CAFile as for IMAP.
	CAFile string `yaml:"ca_file"`
	// Timeout bounds one send (default 30s).
	Timeout time.Duration `yaml:"timeout"`
}

// Security modes.
const (
	SecurityTLS      = "tls"
	SecuritySTARTTLS = "starttls"
	SecurityNone     = "none"
)

// Defaults.
const (
	DefaultAnswersPerDay    = 10
	DefaultLockTTL          = 30 * time.Second
	DefaultHandleTimeout    = 60 * time.Second
	DefaultMailbox          = "INBOX"
	DefaultProcessedMailbox = "civibot/processed"
	DefaultPollInterval     = time.Minute
	DefaultSMTPTimeout      = 30 * time.Second
)

// DefaultConfig returns the defaults (disabled).
func DefaultConfig() Config {
	return Config{
		AnswersPerDay: DefaultAnswersPerDay,
		LockTTL:       DefaultLockTTL,
		HandleTimeout: DefaultHandleTimeout,
		IMAP: IMAPConfig{Security: SecurityTLS, Mailbox: DefaultMailbox, ProcessedMailbox: DefaultProcessedMailbox,
			PollInterval: DefaultPollInterval, Idle: true},
		SMTP: SMTPConfig{Security: SecuritySTARTTLS, Timeout: DefaultSMTPTimeout},
	}
}

func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if c.AnswersPerDay == 0 {
		c.AnswersPerDay = d.AnswersPerDay
	}
	if c.LockTTL == 0 {
		c.LockTTL = d.LockTTL
	}
	if c.HandleTimeout == 0 {
		c.HandleTimeout = d.HandleTimeout
	}
	if c.IMAP.Security == "" {
		c.IMAP.Security = d.IMAP.Security
	}
	if c.IMAP.Port == 0 {
		c.IMAP.Port = 143
		if c.IMAP.Security == SecurityTLS {
			c.IMAP.Port = 993
		}
	}
	if c.IMAP.Mailbox == "" {
		c.IMAP.Mailbox = d.IMAP.Mailbox
	}
	if c.IMAP.ProcessedMailbox == "" {
		c.IMAP.ProcessedMailbox = d.IMAP.ProcessedMailbox
	}
	if c.IMAP.PollInterval == 0 {
		c.IMAP.PollInterval = d.IMAP.PollInterval
	}
	if c.SMTP.Security == "" {
		c.SMTP.Security = d.SMTP.Security
	}
	if c.SMTP.Port == 0 {
		switch c.SMTP.Security {
		case SecurityTLS:
			c.SMTP.Port = 465
		case SecurityNone:
			c.SMTP.Port = 25
		default:
			c.SMTP.Port = 587
		}
	}
	if c.SMTP.Timeout == 0 {
		c.SMTP.Timeout = d.SMTP.Timeout
	}
	return c
}

// idle reports whether IDLE may be used.
func (c IMAPConfig) idle() bool { return c.Idle }

// Validate reports settings that cannot work; the messages say how to fix
// them. A disabled section is only checked for what is set.
func (c Config) Validate() error {
	c = c.withDefaults()
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if c.Enabled {
		if c.Address == "" {
			add("email.address is required when email.enabled is true (the mailbox's address, e.g. buergerservice@musterstadt.example)")
		}
		if c.IMAP.Host == "" {
			add("email.imap.host is required when email.enabled is true")
		}
		if c.SMTP.Host == "" {
			add("email.smtp.host is required when email.enabled is true")
		}
		if c.IMAP.Username == "" || c.IMAP.Password == "" {
			add("email.imap.username and email.imap.password are required when email.enabled is true (give the password through CIVIBOT_EMAIL_IMAP_PASSWORD_FILE)")
		}
	}
	if c.Address != "" {
		if a, err := mail.ParseAddress(c.Address); err != nil || a.Address != c.Address || !strings.Contains(c.Address, "@") {
			add("email.address must be a plain address like buergerservice@musterstadt.example (no display name; that is email.name), got %q", c.Address)
		}
	}
	for _, s := range []struct {
		name, security, host, password string
		port                           int
		modes                          []string
	}{
		{"email.imap", c.IMAP.Security, c.IMAP.Host, c.IMAP.Password, c.IMAP.Port, []string{SecurityTLS, SecuritySTARTTLS, SecurityNone}},
		{"email.smtp", c.SMTP.Security, c.SMTP.Host, c.SMTP.Password, c.SMTP.Port, []string{SecurityTLS, SecuritySTARTTLS, SecurityNone}},
	} {
		switch s.security {
		case SecurityTLS, SecuritySTARTTLS:
		case SecurityNone:
			if s.host != "" && !loopback(s.host) {
				add("%s.security none sends the password and the citizens' mail unencrypted; it is only allowed for a server on this machine (host localhost or 127.0.0.1), got host %q: use tls or starttls", s.name, s.host)
			}
		default:
			add("%s.security must be tls, starttls or none (got %q)", s.name, s.security)
		}
		if s.port < 1 || s.port > 65535 {
			add("%s.port must be between 1 and 65535 (got %d)", s.name, s.port)
		}
	}
	if c.SMTP.Username != "" && c.SMTP.Password == "" {
		add("email.smtp.password is required when email.smtp.username is set (give it through CIVIBOT_EMAIL_SMTP_PASSWORD_FILE)")
	}
	if c.IMAP.Mailbox == c.IMAP.ProcessedMailbox {
		add("email.imap.processed_mailbox must differ from email.imap.mailbox (handled mail is moved there), both are %q", c.IMAP.Mailbox)
	}
	if c.IMAP.PollInterval < 5*time.Second || c.IMAP.PollInterval > time.Hour {
		add("email.imap.poll_interval must be between 5s and 1h (got %v)", c.IMAP.PollInterval)
	}
	if c.AnswersPerDay < -1 || c.AnswersPerDay > 1000 {
		add("email.answers_per_day must be between 1 and 1000, or -1 for no limit (got %d)", c.AnswersPerDay)
	}
	if c.LockTTL < 3*time.Second || c.LockTTL > 10*time.Minute {
		add("email.lock_ttl must be between 3s and 10m (got %v)", c.LockTTL)
	}
	if c.HandleTimeout < 5*time.Second || c.HandleTimeout > 10*time.Minute {
		add("email.handle_timeout must be between 5s and 10m (got %v)", c.HandleTimeout)
	}
	if c.SMTP.Timeout < time.Second || c.SMTP.Timeout > 10*time.Minute {
		add("email.smtp.timeout must be between 1s and 10m (got %v)", c.SMTP.Timeout)
	}
	return errors.Join(errs...)
}

func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
