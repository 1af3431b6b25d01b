package web

import (
	"errors"
	"fmt"
	"math"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Config is the HTTP server (the "server" section of civibot's config).
type Config struct {
	// Addr is where to listen, e.g. ":8080" or "127.0.0.1:8080".
	Addr string `yaml:"addr"`
	// PublicURL is the URL citizens and providers reach civibot at
	// (https://chat.city.example). Webhook signatures are checked against it.
	PublicURL string `yaml:"public_url"`
	// AllowedOrigins may open the chat WebSocket (the city's websites).
	// The server's own origin is always allowed.
	AllowedOrigins []string `yaml:"allowed_origins"`
	// FrameAncestors may embed civibot's pages in a frame (CSP frame-ancestors).
	// Empty: only civibot's own pages ('self').
	FrameAncestors  []string      `yaml:"frame_ancestors"`
	ReadTimeout     time.Duration `yaml:"read_timeout"`
	WriteTimeout    time.Duration `yaml:"write_timeout"`
	IdleTimeout     time.Duration `yaml:"idle_timeout"`
	ShutdownTimeout time.Duration `yaml:"shutdown_timeout"`
	// MaxBodyBytes limits request bodies (webhooks, console API).
	MaxBodyBytes int64 `yaml:"max_body_bytes"`
	// TrustProxy takes the client address from X-Forwarded-For (the last
	// address, the one the proxy in front of civibot added). Set it only
	// when civibot is reachable through that proxy alone.
	TrustProxy bool `yaml:"trust_proxy"`
}

// Defaults for Config.
const (
	DefaultAddr            = "127.0.0.1:8080"
	DefaultReadTimeout     = 15 * time.Second
	DefaultWriteTimeout    = 30 * time.Second
	DefaultIdleTimeout     = 120 * time.Second
	DefaultShutdownTimeout = 15 * time.Second
	DefaultMaxBodyBytes    = 1 << 20
)

// DefaultConfig returns the server settings used when nothing is set.
func DefaultConfig() Config {
	return Config{
		Addr:            DefaultAddr,
		ReadTimeout:     DefaultReadTimeout,
		WriteTimeout:    DefaultWriteTimeout,
		IdleTimeout:     DefaultIdleTimeout,
		ShutdownTimeout: DefaultShutdownTimeout,
		MaxBodyBytes:    DefaultMaxBodyBytes,
	}
}

func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if c.Addr == "" {
		c.Addr = d.Addr
	}
	if c.ReadTimeout <= 0 {
		c.ReadTimeout = d.ReadTimeout
	}
	if c.WriteTimeout <= 0 {
		c.WriteTimeout = d.WriteTimeout
	}
	if c.IdleTimeout <= 0 {
		c.IdleTimeout = d.IdleTimeout
	}
	if c.ShutdownTimeout <= 0 {
		c.ShutdownTimeout = d.ShutdownTimeout
	}
	if c.MaxBodyBytes <= 0 {
		c.MaxBodyBytes = d.MaxBodyBytes
	}
	return c
}

// Validate reports settings that cannot work; the messages say how to fix them.
func (c Config) Validate() error {
	var errs []error
	if c.Addr == "" {
		errs = append(errs, errors.New("server.addr is required (e.g. \":8080\")"))
	} else if err := checkAddr(c.Addr); err != nil {
		errs = append(errs, fmt.Errorf("server.addr %q: %w (e.g. \":8080\" or \"127.0.0.1:8080\")", c.Addr, err))
	}
	if c.PublicURL != "" {
		if u, err := url.Parse(c.PublicURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, fmt.Errorf("server.public_url must start with https:// (got %q)", c.PublicURL))
		}
	}
	if c.MaxBodyBytes <= 0 {
		errs = append(errs, errors.New("server.max_body_bytes must be positive (default 1048576)"))
	}
	for _, o := range c.AllowedOrigins {
		if _, err := NormalizeOrigin(o); err != nil {
			errs = append(errs, fmt.Errorf("server.allowed_origins: %w", err))
		}
	}
	for _, a := range c.FrameAncestors {
		if !validSource(a) {
			errs = append(errs, fmt.Errorf("server.frame_ancestors: %q is not an origin like https://www.city.example (or 'self')", a))
		}
	}
	return errors.Join(errs...)
}

// checkAddr accepts what net.Listen("tcp", addr) would: host:port with a
// port from 0 to 65535 (0: any free port).
func checkAddr(addr string) error {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return errors.New("not host:port")
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("port %q is not a number from 0 to 65535", port)
	}
	return nil
}

// NormalizeOrigin turns "https://www.City.example/" into
// "https://www.city.example", the form browsers send in the Origin header.
func NormalizeOrigin(o string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(o))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
		return "", fmt.Errorf("%q is not an origin like https://www.city.example", o)
	}
	return strings.ToLower(u.Scheme + "://" + u.Host), nil
}

// validSource accepts what may appear in a CSP source list here: 'self',
// 'none', or an http(s) origin (a leading "*." wildcard host is allowed).
func validSource(s string) bool {
	if s == "'self'" || s == "'none'" {
		return true
	}
	o := strings.Replace(s, "://*.", "://wildcard.", 1)
	_, err := NormalizeOrigin(o)
	return err == nil && !strings.ContainsAny(s, " ;,'\"")
}

// Branding is how the city presents itself in the widget (the "city"
// section of civibot's config).
type Branding struct {
	Name string `yaml:"name"`
	// LogoURL is shown in the widget header (optional, http(s)).
	LogoURL string `yaml:"logo_url"`
	// PrimaryColor and its text colour (#rrggbb); the pair must keep a
	// 4.5:1 contrast (WCAG 2.1 AA).
	PrimaryColor   string `yaml:"primary_color"`
	OnPrimaryColor string `yaml:"on_primary_color"`
	// PrivacyURL links the privacy notice shown on first open (http(s)).
	PrivacyURL string `yaml:"privacy_url"`
	// ChatExpiry is how long the widget keeps an idle chat in the browser
	// (its token and transcript), so the next person at a shared computer
	// does not see it. The conversation stays on the server for its
	// retention time.
	ChatExpiry time.Duration `yaml:"chat_expiry"`
	// StartersDE and StartersEN are the questions the widget offers on its
	// start screen, in German and English (at most 6, each at most 80
	// characters; unset: a few services every city offers; [] for none).
	StartersDE []string `yaml:"starters_de"`
	StartersEN []string `yaml:"starters_en"`
}

// MaxStarters and MaxStarterChars bound Branding.StartersDE/EN.
const (
	MaxStarters     = 6
	MaxStarterChars = 80
)

// defaultStarters are services every German city offers.
var (
	defaultStartersDE = []string{"Was kostet ein Personalausweis?", "Wie melde ich meinen Wohnsitz um?", "Wie melde ich meinen Hund an?", "Wie bestelle ich Sperrmüll?"}
	defaultStartersEN = []string{"How much is an ID card?", "How do I register my new address?", "How do I register my dog?", "How do I book a bulky waste pickup?"}
)

// Default branding colours (contrast 8.65:1) and chat expiry.
const (
	DefaultPrimaryColor   = "#00507a"
	DefaultOnPrimaryColor = "#ffffff"
	DefaultChatExpiry     = 4 * time.Hour
)

// DefaultBranding returns the sample city's branding.
func DefaultBranding() Branding {
	return Branding{Name: "Musterstadt", PrimaryColor: DefaultPrimaryColor, OnPrimaryColor: DefaultOnPrimaryColor, ChatExpiry: DefaultChatExpiry,
		StartersDE: slices.Clone(defaultStartersDE), StartersEN: slices.Clone(defaultStartersEN)}
}

func (b Branding) withDefaults() Branding {
	if b.PrimaryColor == "" {
		b.PrimaryColor = DefaultPrimaryColor
	}
	if b.OnPrimaryColor == "" {
		b.OnPrimaryColor = DefaultOnPrimaryColor
	}
	if b.ChatExpiry == 0 {
		b.ChatExpiry = DefaultChatExpiry
	}
	// Unset: the defaults; an empty list ([]): no starter questions.
	if b.StartersDE == nil {
		b.StartersDE = slices.Clone(defaultStartersDE)
	}
	if b.StartersEN == nil {
		b.StartersEN = slices.Clone(defaultStartersEN)
	}
	return b
}

// Validate checks the branding; the messages say how to fix it.
func (b Branding) Validate() error {
	var errs []error
	if b.Name == "" {
		errs = append(errs, errors.New("city.name is required (the name the bot introduces itself with)"))
	}
	b = b.withDefaults()
	fg, errF := parseHexColor(b.OnPrimaryColor)
	if errF != nil {
		errs = append(errs, fmt.Errorf("city.on_primary_color: %w", errF))
	}
	bg, errB := parseHexColor(b.PrimaryColor)
	if errB != nil {
		errs = append(errs, fmt.Errorf("city.primary_color: %w", errB))
	}
	if errF == nil && errB == nil {
		if r := ContrastRatio(fg, bg); r < 4.5 {
			errs = append(errs, fmt.Errorf("city.primary_color %s and city.on_primary_color %s have a contrast of %.2f:1; WCAG AA needs at least 4.5:1 (darken the primary colour or change the text colour)",
				b.PrimaryColor, b.OnPrimaryColor, r))
		}
	}
	for key, list := range map[string][]string{"city.starters_de": b.StartersDE, "city.starters_en": b.StartersEN} {
		if len(list) > MaxStarters {
			errs = append(errs, fmt.Errorf("%s has %d questions; the start screen shows at most %d", key, len(list), MaxStarters))
		}
		for _, q := range list {
			if strings.TrimSpace(q) == "" || utf8.RuneCountInString(q) > MaxStarterChars {
				errs = append(errs, fmt.Errorf("%s: %q must be a question of 1 to %d characters", key, q, MaxStarterChars))
			}
		}
	}
	if b.ChatExpiry < time.Minute || b.ChatExpiry > 30*24*time.Hour {
		errs = append(errs, fmt.Errorf("city.chat_expiry must be between 1m and 720h (got %s; default 4h)", b.ChatExpiry))
	}
	for name, u := range map[string]string{"city.logo_url": b.LogoURL, "city.privacy_url": b.PrivacyURL} {
		if u == "" {
			continue
		}
		if p, err := url.Parse(u); err != nil || (p.Scheme != "https" && p.Scheme != "http") || p.Host == "" {
			errs = append(errs, fmt.Errorf("%s must be an http(s) URL (got %q)", name, u))
		}
	}
	return errors.Join(errs...)
}

// RGB is a colour with 8-bit channels.
type RGB struct{ R, G, B uint8 }

func parseHexColor(s string) (RGB, error) {
	if len(s) != 7 || s[0] != '#' {
		return RGB{}, fmt.Errorf("want a colour like #00507a, got %q", s)
	}
	v, err := strconv.ParseUint(s[1:], 16, 32)
	if err != nil {
		return RGB{}, fmt.Errorf("want a colour like #00507a, got %q", s)
	}
	return RGB{uint8(v >> 16), uint8(v >> 8), uint8(v)}, nil
}

// ContrastRatio is the WCAG 2.1 contrast ratio of two colours (1 to 21).
func ContrastRatio(a, b RGB) float64 {
	la, lb := luminance(a), luminance(b)
	if la < lb {
		la, lb = lb, la
	}
	return (la + 0.05) / (lb + 0.05)
}

func luminance(c RGB) float64 {
	ch := func(v uint8) float64 {
		s := float64(v) / 255
		if s <= 0.03928 {
			return s / 12.92
		}
		return math.Pow((s+0.055)/1.055, 2.4)
	}
	return 0.2126*ch(c.R) + 0.7152*ch(c.G) + 0.0722*ch(c.B)
}
