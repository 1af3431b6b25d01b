package console

import (
	"errors"
	"fmt"
	"net/textproto"
	"strings"
	"time"
)

// Config is the console's own settings (the "console" section of civibot's
// config). Accounts, session lifetimes and login limits are
// accounts.Config (the handoff.accounts section).
type Config struct {
	// SecureCookie: "auto" (the default) marks the session cookie Secure,
	// and names it with the __Host- prefix, when server.public_url is https
	// or the request came over TLS; "always" does so for every request (TLS
	// ends at a proxy that civibot cannot see).
	SecureCookie string `yaml:"secure_cookie"`
	// HeartbeatInterval is how often an open console tells the handoff desk
	// that its caseworker is online (default 20s). Keep it well below
	// handoff.presence_timeout.
	HeartbeatInterval time.Duration `yaml:"heartbeat_interval"`
	// SSO lets a single-sign-on proxy in front of civibot log caseworkers
	// in. Off unless all three fields are set.
	SSO SSOConfig `yaml:"sso"`
}

// SSOConfig is the shared-secret header of an SSO proxy. The proxy
// authenticates the caseworker and adds two headers: Header with Secret (so
// civibot knows the request came through the proxy) and UserHeader with the
// caseworker's civibot user name, which must be an enabled account. The
// proxy must strip both headers from what clients send.
type SSOConfig struct {
	// Header carries the shared secret, e.g. "X-Civibot-Proxy-Secret".
	Header string `yaml:"header"`
	// Secret is the shared secret (give it through CIVIBOT_CONSOLE_SSO_SECRET_FILE).
	Secret string `yaml:"secret"`
	// UserHeader names the caseworker, e.g. "X-Forwarded-User".
	UserHeader string `yaml:"user_header"`
	// PasswordLogin keeps the console's own password login working while
	// SSO is on (default false: with SSO on, only the proxy logs in, so the
	// identity provider's MFA and offboarding cannot be bypassed).
	PasswordLogin bool `yaml:"password_login"`
}

// Enabled reports whether the SSO header path is on.
func (s SSOConfig) Enabled() bool { return s.Header != "" && s.Secret != "" && s.UserHeader != "" }

// passwordLogin reports whether POST /console/api/login is allowed.
func (s SSOConfig) passwordLogin() bool { return !s.Enabled() || s.PasswordLogin }

// Defaults for Config.
const (
	SecureAuto               = "auto"
	SecureAlways             = "always"
	DefaultHeartbeatInterval = 20 * time.Second
	// minSSOSecret is the shortest shared secret accepted (bytes).
	minSSOSecret = 16
)

// DefaultConfig returns the settings used when nothing is set.
func DefaultConfig() Config {
	return Config{SecureCookie: SecureAuto, HeartbeatInterval: DefaultHeartbeatInterval}
}

func (c Config) withDefaults() Config {
	if c.SecureCookie == "" {
		c.SecureCookie = SecureAuto
	}
	if c.HeartbeatInterval <= 0 {
		c.HeartbeatInterval = DefaultHeartbeatInterval
	}
	return c
}

// Validate reports settings that cannot work; the messages say how to fix
// them.
func (c Config) Validate() error {
	var errs []error
	switch c.SecureCookie {
	case "", SecureAuto, SecureAlways:
	default:
		errs = append(errs, fmt.Errorf("console.secure_cookie must be auto or always (got %q)", c.SecureCookie))
	}
	if c.HeartbeatInterval < 0 || c.HeartbeatInterval > 0 && c.HeartbeatInterval < time.Second {
		errs = append(errs, fmt.Errorf("console.heartbeat_interval must be at least 1s (got %v)", c.HeartbeatInterval))
	}
	s := c.SSO
	set := 0
	for _, v := range []string{s.Header, s.Secret, s.UserHeader} {
		if v != "" {
			set++
		}
	}
	if set > 0 && set < 3 {
		errs = append(errs, errors.New("console.sso: set header, secret and user_header together (or none of them to turn SSO off)"))
	}
	for name, h := range map[string]string{"console.sso.header": s.Header, "console.sso.user_header": s.UserHeader} {
		if h != "" && !validHeaderName(h) {
			errs = append(errs, fmt.Errorf("%s %q is not a valid HTTP header name", name, h))
		}
	}
	if s.Header != "" && s.UserHeader != "" && strings.EqualFold(s.Header, s.UserHeader) {
		errs = append(errs, errors.New("console.sso.header and console.sso.user_header must differ"))
	}
	if s.Secret != "" && len(s.Secret) < minSSOSecret {
		errs = append(errs, fmt.Errorf("console.sso.secret must have at least %d characters (generate one with: openssl rand -hex 32)", minSSOSecret))
	}
	return errors.Join(errs...)
}

func validHeaderName(h string) bool {
	if h == "" {
		return false
	}
	for i := 0; i < len(h); i++ {
		c := h[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return textproto.CanonicalMIMEHeaderKey(h) != ""
}
