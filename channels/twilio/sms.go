package twilio

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/twilio/twilio-go/twiml"

	"github.com/civibot/civibot/conversation"
	"github.com/civibot/civibot/dialog"
)

// keywordKind is what a one-word SMS asks of the service.
type keywordKind int

const (
	kwNone keywordKind = iota
	kwOptOut
	kwOptIn
	kwHelp
)

// keyword classifies a one-word SMS. byTwilio says whether Twilio answers
// it itself on a long code by default (its English keywords): civibot
// then stays silent so the citizen gets one reply, not two.
func keyword(body string) (kind keywordKind, word string, byTwilio bool) {
	word = strings.ToUpper(strings.Trim(strings.TrimSpace(body), ".!?,;: \"'"))
	switch word {
	case "STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT":
		return kwOptOut, word, true
	case "STOPP", "ABMELDEN", "ABBESTELLEN":
		return kwOptOut, word, false
	case "START", "UNSTOP", "YES":
		return kwOptIn, word, true
	case "ANMELDEN":
		return kwOptIn, word, false
	case "HELP", "INFO":
		return kwHelp, word, true
	case "HILFE":
		return kwHelp, word, false
	}
	return kwNone, word, false
}

// smsReply is what the webhook answers: a text for <Message> (empty: no
// answer) and the seq of the bot message it carries (for the status
// callback; 0 for the channel's own texts).
type smsReply struct {
	text string
	seq  int64
	conv string
}

// sms handles an incoming SMS: once per MessageSid, whatever Twilio
// retries.
func (c *Channel) sms(w http.ResponseWriter, r *http.Request, f url.Values) {
	ctx := r.Context()
	sid := f.Get("MessageSid")
	if sid == "" {
		sid = f.Get("SmsSid")
	}
	from := f.Get("From")
	if sid == "" || from == "" {
		http.Error(w, "MessageSid and From are required", http.StatusBadRequest)
		return
	}
	if !validSID(sid) {
		// Not one Twilio makes: it could never be stored (it keys the
		// message), so "send it again" would be a lie.
		http.Error(w, "MessageSid is not a Twilio message SID", http.StatusBadRequest)
		return
	}
	if isWhatsApp(from) && !c.cfg.WhatsApp.Enabled {
		c.log.WarnContext(ctx, "twilio: a whatsapp message arrived but twilio.whatsapp.enabled is off; ignored")
		c.writeSMS(w, smsReply{})
		return
	}
	turn := c.smsTurn
	if isWhatsApp(from) {
		turn = c.whatsapp
	}
	var reply smsReply
	key := "twilio:sms:" + sid
	ran, err := c.lease.Do(ctx, key, func(ctx context.Context) error {
		var err error
		reply, err = turn(ctx, sid, from, f)
		return err
	})
	held := false
	if !ran && err == nil {
		// Done before, or held by another instance (Twilio's retry after
		// that delivery timed out), which may still fail or die.
		done, ferr := c.lease.Finished(ctx, key)
		held, err = !done && ferr == nil, ferr
	}
	failed := smsReply{text: fitSMS("", textsFor(c.o.DefaultLanguage).SMSFailed, "", c.cfg.MaxSMSSegments)}
	switch {
	case err != nil && !ran:
		c.log.ErrorContext(ctx, "twilio sms: idempotency unavailable", "error", err)
		c.writeSMS(w, failed)
	case held:
		// Not acknowledged: Twilio's retry (or fallback URL) delivers it
		// again; by then it is done or the lease is free.
		c.log.InfoContext(ctx, "twilio sms: another instance is handling this message; asking for a retry")
		w.Header().Set("Retry-After", "5")
		http.Error(w, "this message is being handled; deliver it again", http.StatusServiceUnavailable)
	case !ran:
		c.log.InfoContext(ctx, "twilio sms: duplicate delivery ignored")
		c.writeSMS(w, smsReply{})
	case err != nil:
		// The lease is given up: Twilio's retry of the MessageSid (or the
		// citizen sending again) is answered.
		c.log.ErrorContext(ctx, "twilio sms failed", "conversation_id", reply.conv, "error", err)
		c.writeSMS(w, failed)
	default:
		c.writeSMS(w, reply)
	}
}

// smsTurn stores and answers one SMS.
func (c *Channel) smsTurn(ctx context.Context, sid, from string, f url.Values) (smsReply, error) {
	id := conversation.PhoneID(c.o.Key, from)
	out := smsReply{conv: id}
	conv, err := c.open(ctx, dialog.Opening{ConversationID: id, Channel: conversation.ChannelSMS, Address: from})
	if err != nil {
		return out, err
	}
	body := strings.TrimSpace(f.Get("Body"))
	in := dialog.Inbound{
		ConversationID: id, Channel: conversation.ChannelSMS, Address: from,
		ClientID: "sms-" + sid, Text: body, Style: dialog.StyleShort,
	}
	lang := c.language(conv.Language)
	t := textsFor(lang)

	kind, word, byTwilio := keyword(body)
	if f.Get("OptOutType") != "" {
		byTwilio = true // Advanced Opt-Out: Twilio answered it
	}
	own := func(text string) smsReply {
		if byTwilio {
			return out
		}
		out.text = fitSMS("", text, "", c.cfg.MaxSMSSegments)
		return out
	}
	switch {
	case kind == kwOptOut:
		if err := c.setOptOut(ctx, in, true); err != nil {
			return out, err
		}
		c.log.InfoContext(ctx, "twilio sms: opted out", "conversation_id", id)
		return own(t.StopConfirm), nil
	case kind == kwOptIn && conv.OptedOut:
		if err := c.setOptOut(ctx, in, false); err != nil {
			return out, err
		}
		c.log.InfoContext(ctx, "twilio sms: opted in again", "conversation_id", id)
		return own(t.StartConfirm), nil
	case conv.OptedOut:
		// After STOP nothing is answered; the message is kept for staff.
		return out, c.record(ctx, in, "message of an opted-out citizen")
	case kind == kwHelp, kind == kwOptIn && word != "YES":
		// HELP, or START without a STOP before: the service in two sentences.
		if err := c.record(ctx, in, "keyword"); err != nil {
			return out, err
		}
		return own(fmt.Sprintf(t.Help, c.o.CityName)), nil
	}

	if body == "" {
		if n, _ := strconv.Atoi(f.Get("NumMedia")); n > 0 {
			out.text = fitSMS("", t.MediaOnly, "", c.cfg.MaxSMSSegments)
		}
		return out, nil
	}
	if conv.Status != conversation.StatusClaimed {
		// The bot will answer (a caseworker's conversation is not counted).
		allowed, err := c.takeSMSAnswer(ctx, id)
		if err != nil {
			return out, err
		}
		if allowed != dialog.AnswerAllowed {
			if err := c.record(ctx, in, "message over the daily limit"); err != nil {
				return out, err
			}
			c.log.WarnContext(ctx, "twilio sms: daily answer limit of the number reached; not answered",
				"conversation_id", id, "limit", c.cfg.SMSAnswersPerDay, "notice", allowed == dialog.AnswerLimitNotice)
			if allowed == dialog.AnswerLimitNotice {
				out.text = fitSMS("", fmt.Sprintf(t.DailyLimit, c.cfg.SMSAnswersPerDay), "", c.cfg.MaxSMSSegments)
			}
			return out, nil
		}
	}
	in.Text = c.pickOption(ctx, conv, body)

	res, err := c.o.Service.Handle(ctx, in)
	switch {
	case errors.Is(err, dialog.ErrEmptyMessage):
		return out, nil
	case errors.Is(err, dialog.ErrMessageTooLong):
		out.text = fitSMS("", fmt.Sprintf(t.TooLong, c.o.MaxMessageChars), "", c.cfg.MaxSMSSegments)
		return out, nil
	case err != nil:
		return out, err
	}
	if res.Duplicate || len(res.Replies) == 0 {
		return out, nil // answered before, or a caseworker has the conversation
	}
	if res.Queue != nil && res.Queue.Ticket {
		// "We will call you back on this number": keep the number with the ticket.
		if err := c.o.Service.Ticket(ctx, id, conversation.Contact{Phone: from, Note: "SMS"}); err != nil {
			c.log.ErrorContext(ctx, "twilio sms: record callback number failed", "conversation_id", id, "error", err)
		}
	}
	bot := res.Replies[len(res.Replies)-1]
	prefix := ""
	if res.Citizen.Seq == 1 {
		prefix = fmt.Sprintf(textsFor(c.language(bot.Language)).SMSDisclosure, c.o.CityName)
	}
	out.text = fitSMS(prefix, smsBody(bot), link(bot), c.cfg.MaxSMSSegments)
	out.seq = bot.Seq
	return out, nil
}

// errSMSLimit: the number has had its SMS for today (twilio.sms_answers_per_day).
var errSMSLimit = errors.New("twilio: the number's daily SMS limit is reached")

// takeSMSAnswer counts one answer against the number's limit
// (twilio.sms_answers_per_day) in a window of 24 hours from the first
// answer, on the conversation record (dialog.Service.TakeAnswer).
func (c *Channel) takeSMSAnswer(ctx context.Context, id string) (dialog.Allowance, error) {
	allowed, err := c.o.Service.TakeAnswer(ctx, id, c.cfg.SMSAnswersPerDay)
	if err != nil {
		return allowed, fmt.Errorf("twilio: %w", err)
	}
	return allowed, nil
}

// smsBody is a bot message as SMS text: with numbered choices when it asks
// which service is meant.
func smsBody(m conversation.Message) string {
	if m.Decision == nil || m.Decision.Kind != dialog.KindClarify || len(m.QuickReplies) == 0 {
		return m.Text
	}
	t := textsFor(m.Language)
	var b strings.Builder
	b.WriteString(m.Text)
	b.WriteString(" ")
	b.WriteString(t.Options)
	for i, q := range m.QuickReplies {
		fmt.Fprintf(&b, "\n%d %s", i+1, q.Label)
	}
	return b.String()
}

// link is the page a bot message answers from.
func link(m conversation.Message) string {
	for _, s := range m.Sources {
		if s.URL != "" {
			return s.URL
		}
	}
	return ""
}

// pickOption turns a reply "2" to a numbered choice into that choice.
func (c *Channel) pickOption(ctx context.Context, conv conversation.Conversation, body string) string {
	n, err := strconv.Atoi(strings.Trim(body, " .)"))
	if err != nil || n < 1 || n > 9 || conv.LastSeq == 0 {
		return body
	}
	msgs, err := c.o.Service.Messages(ctx, conv.ID, max(0, conv.LastSeq-4))
	if err != nil {
		return body
	}
	for i := len(msgs) - 1; i >= 0; i-- {
		m := msgs[i]
		if m.Role == conversation.RoleCitizen {
			break
		}
		if m.Role == conversation.RoleBot {
			if m.Decision != nil && m.Decision.Kind == dialog.KindClarify && n <= len(m.QuickReplies) {
				return m.QuickReplies[n-1].Payload
			}
			break
		}
	}
	return body
}

// setOptOut records STOP or START: the flag on the conversation and the
// citizen's message in the transcript.
func (c *Channel) setOptOut(ctx context.Context, in dialog.Inbound, out bool) error {
	if _, err := c.o.Service.SetOptOut(ctx, in.ConversationID, out); err != nil {
		return fmt.Errorf("twilio: %w", err)
	}
	return c.record(ctx, in, "keyword")
}

// record keeps an SMS the bot does not answer in the transcript (what
// says what it is, for the error). An empty or overlong text is not kept
// (the service's limits); that is logged, not an error: the citizen is not
// answered either way.
func (c *Channel) record(ctx context.Context, in dialog.Inbound, what string) error {
	_, err := c.o.Service.Record(ctx, in)
	switch {
	case errors.Is(err, dialog.ErrEmptyMessage), errors.Is(err, dialog.ErrMessageTooLong):
		c.log.InfoContext(ctx, "twilio sms: "+what+" not stored", "conversation_id", in.ConversationID, "reason", err.Error())
		return nil
	case err != nil:
		return fmt.Errorf("twilio: store %s: %w", what, err)
	}
	return nil
}

// writeSMS answers the webhook with TwiML: one <Message>, or none.
func (c *Channel) writeSMS(w http.ResponseWriter, r smsReply) {
	var verbs []twiml.Element
	if r.text != "" {
		m := twiml.MessagingMessage{Body: r.text}
		if r.conv != "" {
			m.Action = c.statusURL(r.conv, r.seq)
		}
		verbs = append(verbs, m)
	}
	doc, err := twiml.Messages(verbs)
	if err != nil {
		http.Error(w, "cannot build TwiML", http.StatusInternalServerError)
		return
	}
	writeXML(w, doc)
}

// statusURL is where Twilio reports the delivery of an SMS civibot sent.
func (c *Channel) statusURL(conv string, seq int64) string {
	q := url.Values{"c": {conv}}
	if seq > 0 {
		q.Set("m", strconv.FormatInt(seq, 10))
	}
	return c.url(PathSMSStatus, q)
}
