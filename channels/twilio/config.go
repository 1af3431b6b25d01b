package twilio

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// Config is the "twilio" section of civibot's config.
type Config struct {
	// Enabled mounts the webhooks (/twilio/sms, /twilio/voice, …).
	Enabled bool `yaml:"enabled"`
	// AccountSID is the Twilio account ("AC…"); inbound requests from
	// another account are refused.
	AccountSID string `yaml:"account_sid"`
	// AuthToken signs Twilio's webhooks and authenticates REST calls. Give
	// it through CIVIBOT_TWILIO_AUTH_TOKEN_FILE.
	AuthToken string `yaml:"auth_token"`
	// From is the number SMS are sent from (E.164, the number bought for
	// civibot). MessagingServiceSID ("MG…") may be given instead.
	From                string `yaml:"from"`
	MessagingServiceSID string `yaml:"messaging_service_sid"`
	// PublicURL overrides server.public_url for the webhooks: the https
	// URL Twilio calls (signatures are computed over it, never over the
	// Host header).
	PublicURL string `yaml:"public_url"`
	// CaseworkerLine is the phone number (E.164) a caller is put through
	// to during office hours. Empty: callers always get a callback.
	CaseworkerLine string `yaml:"caseworker_line"`
	// DialTimeout is how long the caseworker line may ring before the
	// caller gets a callback instead (5s–10m; default 25s).
	DialTimeout time.Duration `yaml:"dial_timeout"`
	// DialCallerID is the number the caseworker line sees calling (E.164).
	// Empty: the civibot number the citizen called.
	DialCallerID string `yaml:"dial_caller_id"`
	// Voices for <Say>, per language (Twilio voice names, e.g.
	// Polly.Vicki-Neural).
	Voices Voices `yaml:"voices"`
	// SpeechConfidence: a speech result Twilio is less sure of than this
	// (0–1) counts as not understood (default 0.5).
	SpeechConfidence float64 `yaml:"speech_confidence"`
	// MaxSMSSegments bounds a bot answer by SMS (default 3; 1–10). Longer
	// answers are shortened, the link to the page is kept.
	MaxSMSSegments int `yaml:"max_sms_segments"`
	// SMSAnswersPerDay bounds the bot's SMS answers to one number in 24
	// hours (default 30; -1: no limit): a citizen asking a lot is served,
	// an auto-responder answering every SMS (a loop between two bots) or a
	// flood from one number stops costing money. The message that reaches
	// the limit gets one notice; later ones are stored, not answered. A
	// link by SMS during a call counts too; caseworker replies do not.
	SMSAnswersPerDay int `yaml:"sms_answers_per_day"`
	// APIBase replaces https://api.twilio.com (for tests against a local
	// fake of the REST API).
	APIBase string `yaml:"api_base"`
	// WhatsApp answers WhatsApp messages that arrive on the same webhook
	// (senders "whatsapp:+…") as a channel of their own.
	WhatsApp WhatsAppConfig `yaml:"whatsapp"`
}

// WhatsAppConfig is the "twilio.whatsapp" section: the WhatsApp sender
// registered in Twilio for the city.
type WhatsAppConfig struct {
	// Enabled answers WhatsApp messages; without it they are stored
	// nowhere and answered with nothing.
	Enabled bool `yaml:"enabled"`
	// From is the WhatsApp sender's number (E.164, without "whatsapp:").
	// Empty: twilio.messaging_service_sid sends.
	From string `yaml:"from"`
	// AnswersPerDay bounds the bot's answers to one number in 24 hours
	// (default 50; -1: no limit). Business-initiated templates and
	// caseworker replies are not counted.
	AnswersPerDay int `yaml:"answers_per_day"`
	// TemplateSID is the approved content template ("HX…") a caseworker
	// may send when the 24-hour customer-service window is closed, so the
	// citizen can answer and open it again. Empty: outside the window a
	// reply cannot be sent (the console says so).
	TemplateSID string `yaml:"template_sid"`
	// TemplateText is what the template says, as shown in the console and
	// stored in the transcript.
	TemplateText string `yaml:"template_text"`
	// TemplateVariables are the template's variables ({{1}} → value).
	TemplateVariables map[string]string `yaml:"template_variables"`
	// QuickReplySID is an optional twilio/quick-reply content template
	// with body {{1}} and three buttons titled {{2}}, {{3}}, {{4}} with the
	// ids 1, 2, 3: when the bot asks which of two or three services is
	// meant, the citizen taps instead of typing the number.
	QuickReplySID string `yaml:"quick_reply_sid"`
}

// Voices are the <Say> voices by language.
type Voices struct {
	DE string `yaml:"de"`
	EN string `yaml:"en"`
}

// Defaults for Config.
const (
	DefaultDialTimeout      = 25 * time.Second
	DefaultSpeechConfidence = 0.5
	DefaultMaxSMSSegments   = 3
	DefaultSMSAnswersPerDay = 30
	DefaultWhatsAppPerDay   = 50
	DefaultVoiceDE          = "Polly.Vicki-Neural"
	DefaultVoiceEN          = "Polly.Amy-Neural"
)

// DefaultConfig returns the defaults (disabled).
func DefaultConfig() Config {
	return Config{
		DialTimeout:      DefaultDialTimeout,
		SpeechConfidence: DefaultSpeechConfidence,
		MaxSMSSegments:   DefaultMaxSMSSegments,
		SMSAnswersPerDay: DefaultSMSAnswersPerDay,
		Voices:           Voices{DE: DefaultVoiceDE, EN: DefaultVoiceEN},
		WhatsApp:         WhatsAppConfig{AnswersPerDay: DefaultWhatsAppPerDay},
	}
}

func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if c.DialTimeout == 0 {
		c.DialTimeout = d.DialTimeout
	}
	if c.SpeechConfidence == 0 {
		c.SpeechConfidence = d.SpeechConfidence
	}
	if c.MaxSMSSegments == 0 {
		c.MaxSMSSegments = d.MaxSMSSegments
	}
	if c.SMSAnswersPerDay == 0 {
		c.SMSAnswersPerDay = d.SMSAnswersPerDay
	}
	if c.Voices.DE == "" {
		c.Voices.DE = d.Voices.DE
	}
	if c.Voices.EN == "" {
		c.Voices.EN = d.Voices.EN
	}
	if c.WhatsApp.AnswersPerDay == 0 {
		c.WhatsApp.AnswersPerDay = d.WhatsApp.AnswersPerDay
	}
	return c
}

var (
	e164Re  = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)
	sidRe   = regexp.MustCompile(`^[A-Z]{2}[0-9a-fA-F]{32}$`)
	varRe   = regexp.MustCompile(`^[A-Za-z0-9]{1,16}$`)
	alnumRe = regexp.MustCompile(`^[A-Za-z0-9]+$`)
)

// Validate reports settings that cannot work; the messages say how to fix
// them. A disabled section is only checked for what is set.
func (c Config) Validate() error {
	c = c.withDefaults()
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if c.Enabled && c.AccountSID == "" {
		add("twilio.account_sid is required when twilio.enabled is true (the AC… SID on the Twilio console's dashboard)")
	}
	if c.AccountSID != "" {
		if !strings.HasPrefix(c.AccountSID, "AC") || !sidRe.MatchString(c.AccountSID) {
			add("twilio.account_sid must be an account SID like AC followed by 32 hex digits (got %d characters starting %q)", len(c.AccountSID), prefix(c.AccountSID, 2))
		}
		if c.AuthToken == "" {
			add("twilio.auth_token is required when twilio.account_sid is set (give it through CIVIBOT_TWILIO_AUTH_TOKEN_FILE)")
		}
	}
	if c.AuthToken != "" && !alnumRe.MatchString(c.AuthToken) {
		add("twilio.auth_token must be letters and digits only (copy it from the Twilio console; check for a trailing newline or quotes)")
	}
	if c.Enabled && c.From == "" && c.MessagingServiceSID == "" {
		add("twilio.from (the civibot number, e.g. +4930123456) or twilio.messaging_service_sid is required when twilio.enabled is true, to send SMS")
	}
	if c.From != "" && !e164Re.MatchString(c.From) {
		add("twilio.from must be a phone number in E.164 form, e.g. +4930123456 (got %q)", c.From)
	}
	if c.MessagingServiceSID != "" && (!strings.HasPrefix(c.MessagingServiceSID, "MG") || !sidRe.MatchString(c.MessagingServiceSID)) {
		add("twilio.messaging_service_sid must be like MG followed by 32 hex digits (got %q)", c.MessagingServiceSID)
	}
	if c.CaseworkerLine != "" && !e164Re.MatchString(c.CaseworkerLine) {
		add("twilio.caseworker_line must be a phone number in E.164 form, e.g. +4930901820 (got %q)", c.CaseworkerLine)
	}
	if c.DialCallerID != "" && !e164Re.MatchString(c.DialCallerID) {
		add("twilio.dial_caller_id must be a phone number in E.164 form (got %q), or empty for the civibot number", c.DialCallerID)
	}
	if c.DialTimeout < 5*time.Second || c.DialTimeout > 10*time.Minute {
		add("twilio.dial_timeout must be between 5s and 10m (got %v)", c.DialTimeout)
	}
	if c.SpeechConfidence < 0 || c.SpeechConfidence > 1 {
		add("twilio.speech_confidence must be between 0 and 1 (got %v)", c.SpeechConfidence)
	}
	if c.MaxSMSSegments < 1 || c.MaxSMSSegments > 10 {
		add("twilio.max_sms_segments must be between 1 and 10 (got %d)", c.MaxSMSSegments)
	}
	if c.SMSAnswersPerDay < -1 || c.SMSAnswersPerDay > 10000 {
		add("twilio.sms_answers_per_day must be between 1 and 10000, or -1 for no limit (got %d)", c.SMSAnswersPerDay)
	}
	if c.PublicURL != "" {
		if err := checkBaseURL(c.PublicURL); err != nil {
			add("twilio.public_url %v", err)
		}
	}
	w := c.WhatsApp
	if w.Enabled && !c.Enabled {
		add("twilio.whatsapp.enabled needs twilio.enabled: WhatsApp messages arrive on the Twilio webhook")
	}
	if w.Enabled && w.From == "" && c.MessagingServiceSID == "" {
		add("twilio.whatsapp.from (the WhatsApp sender's number, e.g. +4930123456) or twilio.messaging_service_sid is required when twilio.whatsapp.enabled is true")
	}
	if w.From != "" && !e164Re.MatchString(w.From) {
		add("twilio.whatsapp.from must be a phone number in E.164 form without \"whatsapp:\", e.g. +4930123456 (got %q)", w.From)
	}
	if w.AnswersPerDay < -1 || w.AnswersPerDay > 10000 {
		add("twilio.whatsapp.answers_per_day must be between 1 and 10000, or -1 for no limit (got %d)", w.AnswersPerDay)
	}
	for name, sid := range map[string]string{"template_sid": w.TemplateSID, "quick_reply_sid": w.QuickReplySID} {
		if sid != "" && (!strings.HasPrefix(sid, "HX") || !sidRe.MatchString(sid)) {
			add("twilio.whatsapp.%s must be a content template SID like HX followed by 32 hex digits (Twilio console → Messaging → Content Template Builder), got %q", name, sid)
		}
	}
	if w.TemplateSID != "" && strings.TrimSpace(w.TemplateText) == "" {
		add("twilio.whatsapp.template_text is required with twilio.whatsapp.template_sid: what the approved template says, shown to caseworkers and kept in the transcript")
	}
	for k := range w.TemplateVariables {
		if !varRe.MatchString(k) {
			add("twilio.whatsapp.template_variables: %q is not a template variable name (letters and digits, at most 16)", k)
		}
	}
	if c.APIBase != "" {
		if u, err := url.Parse(c.APIBase); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			add("twilio.api_base must be an http(s) URL such as http://127.0.0.1:9999 (got %q); leave it empty for Twilio itself", c.APIBase)
		}
	}
	return errors.Join(errs...)
}

// checkBaseURL accepts the public URL Twilio calls: https (http only for a
// local test), a host, no query.
func checkBaseURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("must be the https URL Twilio reaches civibot at, like https://chat.city.example (got %q)", s)
	}
	return nil
}

func prefix(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
