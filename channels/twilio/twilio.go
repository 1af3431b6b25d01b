// Package twilio is the phone channel: SMS and voice calls through Twilio.
//
// Twilio calls civibot's webhooks (every request's X-Twilio-Signature is
// checked against the configured public URL with twilio-go's
// RequestValidator; anything else gets 403 and nothing is stored):
//
//	POST /twilio/sms            an incoming SMS; answered with TwiML <Message>
//	POST /twilio/sms/status     delivery status of an SMS civibot sent
//	POST /twilio/voice          an incoming call: AI disclosure, language choice
//	POST /twilio/voice/language the caller chose German or English
//	POST /twilio/voice/turn     what the caller said or pressed
//	POST /twilio/voice/dial     how putting the call through to staff ended
//	POST /twilio/voice/status   call status changes
//
// SMS and calls from one number share one conversation,
// conversation.PhoneID(key, number), so the console shows a caller's texts
// and calls as one transcript. Messages that arrive later (a caseworker's
// reply, a link the caller asked for) go out through the REST API: Channel
// is the channels.Sender for conversation.ChannelSMS and ChannelVoice.
//
// Phone numbers are personal data: they are stored with the conversation
// (for callbacks) and never logged; logs name the conversation id.
//
// The package knows nothing of retrieval: it calls the dialog Service.
package twilio

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/twilio/twilio-go/client"

	"github.com/civibot/civibot/conversation"
	"github.com/civibot/civibot/dialog"
)

// Service is what the channel needs of dialog.Service: the dialog turns,
// and what the phone channel keeps beside them. The channel opens its
// conversations itself (the call's greeting, or the first SMS answer,
// carries the AI disclosure), records what it answers itself (SMS
// keywords) or does not answer (after STOP, over the daily limit), keeps
// the opt-out flag and the daily SMS count, stores what it says outside a
// turn (a link by SMS), notes delivery failures for the caseworkers and
// turns a caller's wish for a callback into a ticket — all through the
// service, so every message passes its cleaning and its observers.
type Service interface {
	Handle(ctx context.Context, in dialog.Inbound) (dialog.Outcome, error)
	RequestPerson(ctx context.Context, in dialog.Inbound) (dialog.Outcome, error)
	Record(ctx context.Context, in dialog.Inbound) (dialog.Outcome, error)
	Open(ctx context.Context, o dialog.Opening) (conversation.Conversation, error)
	Conversation(ctx context.Context, conversationID string) (conversation.Conversation, error)
	Messages(ctx context.Context, conversationID string, after int64) ([]conversation.Message, error)
	Say(ctx context.Context, conversationID string, m conversation.Message) (conversation.Message, bool, error)
	Note(ctx context.Context, conversationID, author, text string) error
	Ticket(ctx context.Context, conversationID string, c conversation.Contact) error
	SetOptOut(ctx context.Context, conversationID string, out bool) (conversation.Conversation, error)
	TakeAnswer(ctx context.Context, conversationID string, limit int) (dialog.Allowance, error)
}

var _ Service = (*dialog.Service)(nil)

// Hours tells whether the caseworker line is staffed (the compiled
// handoff.office_hours).
type Hours interface {
	Open(t time.Time) bool
}

// Options are the channel's collaborators.
type Options struct {
	Service Service
	// Idempotency remembers which webhook deliveries (MessageSid) were
	// handled, across instances.
	Idempotency conversation.Idempotency
	Hours       Hours
	// Key is the installation key for conversation.PhoneID.
	Key []byte
	// PublicURL is server.public_url (Config.PublicURL overrides it).
	PublicURL string
	// CityName is said in the AI disclosure.
	CityName string
	// PrivacyURL is linked in the first WhatsApp answer.
	PrivacyURL string
	// DefaultLanguage when a caller does not choose ("de" or "en").
	DefaultLanguage string
	// MaxMessageChars is the dialog service's limit, for the "too long" text.
	MaxMessageChars int
	// Transport carries REST calls (default http.DefaultTransport).
	Transport http.RoundTripper
	Log       *slog.Logger
	Now       func() time.Time
}

// Channel serves Twilio's webhooks and sends SMS through the REST API.
type Channel struct {
	cfg       Config
	o         Options
	lease     conversation.Lease // webhook deliveries handled once
	base      string             // public URL without a trailing slash
	validator client.RequestValidator
	api       *url.URL // REST base override (tests); nil: Twilio
	log       *slog.Logger
	now       func() time.Time
}

// Limits and lifetimes.
const (
	// maxWebhookBytes bounds a webhook body: Twilio's forms are a few KB
	// (an SMS body is at most 1,600 characters).
	maxWebhookBytes = 64 << 10
	// turnTimeout bounds one webhook's work; Twilio waits 15 s at most.
	turnTimeout = 12 * time.Second
	// idemLease: how long one worker may hold a MessageSid; idemKeep: how
	// long a handled MessageSid is remembered (Twilio retries within minutes).
	idemLease = time.Minute
	idemKeep  = 48 * time.Hour
	// restTimeout bounds one REST call.
	restTimeout = 10 * time.Second
	// maxSMSChars is the longest Body Twilio accepts in one message.
	maxSMSChars = 1600
)

// New builds the channel. cfg is validated (defaults applied).
func New(cfg Config, o Options) (*Channel, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("twilio: config: %w", err)
	}
	cfg = cfg.withDefaults()
	if cfg.AccountSID == "" || cfg.AuthToken == "" {
		return nil, errors.New("twilio: new: twilio.account_sid and twilio.auth_token are required")
	}
	if o.Service == nil || o.Idempotency == nil || o.Hours == nil {
		return nil, errors.New("twilio: new: service, idempotency and hours are required")
	}
	if len(o.Key) < 16 {
		return nil, errors.New("twilio: new: the installation key must be at least 16 bytes")
	}
	public := cfg.PublicURL
	if public == "" {
		public = o.PublicURL
	}
	if public == "" {
		return nil, errors.New("twilio: set server.public_url (or twilio.public_url) to the https URL Twilio reaches civibot at: webhook signatures are checked against it")
	}
	if err := checkBaseURL(public); err != nil {
		return nil, fmt.Errorf("twilio: public url %w", err)
	}
	c := &Channel{
		cfg: cfg, o: o, base: strings.TrimRight(public, "/"),
		validator: client.NewRequestValidator(cfg.AuthToken),
		log:       o.Log, now: o.Now,
	}
	if cfg.APIBase != "" {
		u, err := url.Parse(cfg.APIBase)
		if err != nil {
			return nil, fmt.Errorf("twilio: api base: %w", err)
		}
		c.api = u
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if c.now == nil {
		c.now = time.Now
	}
	c.lease = conversation.Lease{Idempotency: o.Idempotency, Hold: idemLease, Keep: idemKeep, Log: c.log}
	if c.o.DefaultLanguage != "en" {
		c.o.DefaultLanguage = "de"
	}
	if c.o.MaxMessageChars <= 0 {
		c.o.MaxMessageChars = dialog.DefaultMaxMessageChars
	}
	if c.o.Transport == nil {
		c.o.Transport = http.DefaultTransport
	}
	return c, nil
}

// Routes the channel serves, for the server's mux.
const (
	PathSMS        = "/twilio/sms"
	PathSMSStatus  = "/twilio/sms/status"
	PathVoice      = "/twilio/voice"
	PathLanguage   = "/twilio/voice/language"
	PathTurn       = "/twilio/voice/turn"
	PathDial       = "/twilio/voice/dial"
	PathCallStatus = "/twilio/voice/status"
)

// Mux is where the routes are mounted (web.Server, http.ServeMux).
type Mux interface {
	Handle(pattern string, h http.Handler)
}

// Mount registers the webhooks on m.
func (c *Channel) Mount(m Mux) {
	for path, h := range map[string]webhook{
		PathSMS: c.sms, PathSMSStatus: c.smsStatus,
		PathVoice: c.voiceStart, PathLanguage: c.voiceLanguage, PathTurn: c.voiceTurn,
		PathDial: c.voiceDial, PathCallStatus: c.callStatus,
	} {
		m.Handle("POST "+path, c.verified(h))
	}
}

// webhook handles one validated Twilio request; form holds its parameters
// (body and query).
type webhook func(w http.ResponseWriter, r *http.Request, form url.Values)

// verified checks a webhook before it runs: body size, form, account and
// signature. A request that fails gets 403 (or 400/413) and nothing else
// happens.
func (c *Channel) verified(h webhook) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxWebhookBytes))
		if err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				c.log.WarnContext(r.Context(), "twilio webhook refused: body too large", "path", r.URL.Path)
				http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
				return
			}
			http.Error(w, "cannot read request body", http.StatusBadRequest)
			return
		}
		fullURL := c.base + r.URL.RequestURI()
		sig := r.Header.Get("X-Twilio-Signature")
		if sig == "" || !c.validator.ValidateBody(fullURL, body, sig) {
			c.log.WarnContext(r.Context(), "twilio webhook refused: signature missing or invalid", "path", r.URL.Path,
				"signature_present", sig != "")
			http.Error(w, "invalid Twilio signature", http.StatusForbidden)
			return
		}
		form, err := url.ParseQuery(string(body))
		if err != nil {
			http.Error(w, "malformed form body", http.StatusBadRequest)
			return
		}
		if acc := form.Get("AccountSid"); acc != c.cfg.AccountSID {
			c.log.WarnContext(r.Context(), "twilio webhook refused: another account", "path", r.URL.Path)
			http.Error(w, "unknown account", http.StatusForbidden)
			return
		}
		for k, vs := range r.URL.Query() {
			if _, ok := form[k]; !ok {
				form[k] = vs
			}
		}
		ctx, cancel := context.WithTimeout(r.Context(), turnTimeout)
		defer cancel()
		h(w, r.WithContext(ctx), form)
	})
}

// url builds an absolute webhook URL with query parameters.
func (c *Channel) url(path string, q url.Values) string {
	if len(q) == 0 {
		return c.base + path
	}
	return c.base + path + "?" + q.Encode()
}

// anonymous reports a caller without a usable number: withheld (Twilio's
// pseudo-numbers for anonymous, restricted, blocked, unknown, unavailable)
// or not E.164.
func anonymous(from string) bool {
	switch from {
	case "", "+266696687", "+7378742833", "+2562533", "+8656696", "+86282452253", "anonymous", "Anonymous", "restricted", "unknown":
		return true
	}
	return !e164Re.MatchString(from)
}

// caller returns the caller's number (empty when withheld) and the
// conversation id: one conversation per number; a withheld caller gets
// one per call, so strangers never share a transcript.
func (c *Channel) caller(from, callSid string) (number, id string) {
	if anonymous(from) {
		return "", conversation.PhoneID(c.o.Key, "call:"+callSid)
	}
	return from, conversation.PhoneID(c.o.Key, from)
}

// open returns the phone conversation on channel, creating it (the
// channel gives the AI disclosure itself) and moving it to channel.
func (c *Channel) open(ctx context.Context, o dialog.Opening) (conversation.Conversation, error) {
	conv, err := c.o.Service.Open(ctx, o)
	if err != nil {
		return conv, fmt.Errorf("twilio: open conversation: %w", err)
	}
	return conv, nil
}

// note adds a private note for caseworkers (never delivered). Failures are
// logged: the note is a courtesy.
func (c *Channel) note(ctx context.Context, id, text string) {
	if err := c.o.Service.Note(ctx, id, noteAuthor, text); err != nil {
		c.log.WarnContext(ctx, "twilio: store note failed", "conversation_id", id, "error", err)
	}
}

// noteAuthor names the channel's notes in the console.
const noteAuthor = "twilio"

func writeXML(w http.ResponseWriter, doc string) {
	w.Header().Set("Content-Type", "application/xml; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	_, _ = io.WriteString(w, doc)
}

func (c *Channel) language(lang string) string {
	if lang == "de" || lang == "en" {
		return lang
	}
	return c.o.DefaultLanguage
}
