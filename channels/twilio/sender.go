package twilio

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"

	"github.com/twilio/twilio-go/client"
	api "github.com/twilio/twilio-go/rest/api/v2010"

	"github.com/civibot/civibot/channels"
	"github.com/civibot/civibot/conversation"
)

var _ channels.Sender = (*Channel)(nil)

// Errors of Send. They wrap into handoff.ErrNotDelivered when a
// caseworker's reply cannot go out, so the console says so.
var (
	// ErrOptedOut: the citizen sent STOP; nothing is sent until START.
	ErrOptedOut = errors.New("twilio: the citizen opted out of SMS (STOP)")
	// ErrNoNumber: the conversation has no number to text (a withheld caller).
	ErrNoNumber = errors.New("twilio: no phone number to send to")
)

// SendError is an error answer of Twilio's REST API. Twilio's message is
// not kept: it may quote the phone number.
type SendError struct {
	Status int // HTTP status
	Code   int // Twilio error code (https://www.twilio.com/docs/api/errors)
}

func (e *SendError) Error() string {
	s := fmt.Sprintf("twilio: send sms: Twilio error %d (HTTP %d)", e.Code, e.Status)
	if d := errorCode(e.Code); d != "" {
		s += ": " + d
	}
	return s
}

// Is makes a 21610 answer (the number replied STOP to Twilio) an ErrOptedOut.
func (e *SendError) Is(target error) bool { return target == ErrOptedOut && e.Code == 21610 }

// errorCode describes the Twilio errors an operator meets most.
func errorCode(code int) string {
	switch code {
	case 20003:
		return "authentication failed (check twilio.account_sid and twilio.auth_token)"
	case 21211:
		return "the To number is not a valid phone number"
	case 21408:
		return "SMS to this region is not enabled for the account (Messaging geographic permissions)"
	case 21606:
		return "the From number cannot send SMS (check twilio.from)"
	case 21610:
		return "the recipient replied STOP and has opted out"
	case 21612:
		return "the number cannot be reached by SMS from this From number"
	case 21614:
		return "the To number is not a mobile number"
	case 21617:
		return "the message body is too long"
	case 30003:
		return "unreachable handset"
	case 30004:
		return "message blocked"
	case 30005:
		return "unknown destination handset"
	case 30006:
		return "landline or unreachable carrier"
	case 30007:
		return "filtered by the carrier"
	case 30008:
		return "unknown error from the carrier"
	case 63003:
		return "the number has no WhatsApp account"
	case 63016:
		return "outside WhatsApp's 24-hour window: only an approved template can be sent"
	case 63018:
		return "WhatsApp rate limit of the sender reached"
	case 63024:
		return "not a valid WhatsApp recipient"
	case 63049:
		return "WhatsApp did not deliver this marketing message"
	}
	return ""
}

// Send pushes a message (a caseworker's reply, a status notice) to the
// conversation's number by SMS. It implements channels.Sender for
// conversation.ChannelSMS and ChannelVoice (a caller gets the answer as
// text). Private notes are never sent.
func (c *Channel) Send(ctx context.Context, conv conversation.Conversation, m conversation.Message) error {
	if m.Role == conversation.RoleNote {
		return nil
	}
	if conv.Channel == conversation.ChannelWhatsApp {
		return c.sendWhatsApp(ctx, conv, m)
	}
	if conv.OptedOut {
		return ErrOptedOut
	}
	if conv.Address == "" {
		return ErrNoNumber
	}
	text := foldGSM(m.Text)
	for _, part := range splitSMS(text, maxSMSChars) {
		if err := c.sendSMS(ctx, conv.ID, conv.Address, part, m.Seq); err != nil {
			if errors.Is(err, ErrOptedOut) {
				c.markOptedOut(ctx, conv.ID)
			}
			return err
		}
	}
	return nil
}

// markOptedOut keeps Twilio's word that the number sent STOP.
func (c *Channel) markOptedOut(ctx context.Context, id string) {
	if _, err := c.o.Service.SetOptOut(ctx, id, true); err != nil {
		c.log.WarnContext(ctx, "twilio: store opt-out failed", "conversation_id", id, "error", err)
	}
}

// sendSMS creates one message through the REST API with twilio-go.
func (c *Channel) sendSMS(ctx context.Context, convID, to, body string, seq int64) error {
	params := &api.CreateMessageParams{}
	params.SetTo(to)
	params.SetBody(body)
	if c.cfg.MessagingServiceSID != "" {
		params.SetMessagingServiceSid(c.cfg.MessagingServiceSID)
	} else {
		params.SetFrom(c.cfg.From)
	}
	params.SetStatusCallback(c.statusURL(convID, seq))
	msg, err := c.rest(ctx).CreateMessage(params)
	if err != nil {
		var rest *client.TwilioRestError
		if errors.As(err, &rest) {
			serr := &SendError{Status: rest.Status, Code: rest.Code}
			c.log.WarnContext(ctx, "twilio sms not sent", "conversation_id", convID, "seq", seq, "twilio_code", rest.Code, "http_status", rest.Status)
			return serr
		}
		c.log.WarnContext(ctx, "twilio sms not sent", "conversation_id", convID, "seq", seq, "error", err)
		return fmt.Errorf("twilio: send sms: %w", err)
	}
	status := ""
	if msg.Status != nil {
		status = *msg.Status
	}
	c.log.InfoContext(ctx, "twilio sms sent", "conversation_id", convID, "seq", seq, "status", status,
		"segments", EstimateSegments(body).Segments)
	return nil
}

// rest returns the REST API bound to ctx: twilio-go builds its requests
// without a context, so the transport adds it (and reaches the fake API in
// tests).
func (c *Channel) rest(ctx context.Context) *api.ApiService {
	cl := &client.Client{
		Credentials: client.NewCredentials(c.cfg.AccountSID, c.cfg.AuthToken),
		HTTPClient: &http.Client{
			Transport: &restTransport{ctx: ctx, base: c.o.Transport, api: c.api},
			Timeout:   restTimeout,
			CheckRedirect: func(*http.Request, []*http.Request) error {
				return http.ErrUseLastResponse
			},
		},
	}
	cl.SetAccountSid(c.cfg.AccountSID)
	return api.NewApiServiceWithClient(cl)
}

// restTransport gives twilio-go's requests a context, points them at the
// configured API base, and reads error bodies in full so the connection is
// released (twilio-go does not close them).
type restTransport struct {
	ctx  context.Context
	base http.RoundTripper
	api  *url.URL
}

// maxErrorBody bounds how much of an error answer is kept.
const maxErrorBody = 64 << 10

func (t *restTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(t.ctx)
	if t.api != nil {
		req.URL.Scheme, req.URL.Host = t.api.Scheme, t.api.Host
		req.Host = ""
	}
	resp, err := t.base.RoundTrip(req)
	if err != nil || resp.StatusCode < 400 {
		return resp, err
	}
	b, rerr := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	resp.Body.Close()
	if rerr != nil {
		return nil, fmt.Errorf("twilio: read error answer: %w", rerr)
	}
	resp.Body = io.NopCloser(bytes.NewReader(b))
	return resp, nil
}

// splitSMS cuts text into messages of at most n characters, at line or
// word boundaries where it can.
func splitSMS(text string, n int) []string {
	runes := []rune(text)
	var out []string
	for len(runes) > n {
		cut := n
		for i := n; i > n/2; i-- {
			if runes[i] == '\n' || runes[i] == ' ' {
				cut = i
				break
			}
		}
		out = append(out, string(runes[:cut]))
		runes = runes[cut:]
		for len(runes) > 0 && (runes[0] == ' ' || runes[0] == '\n') {
			runes = runes[1:]
		}
	}
	if len(runes) > 0 {
		out = append(out, string(runes))
	}
	return out
}
