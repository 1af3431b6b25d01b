package twilio

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

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
	key := "twilio:sms:" + sid
	fresh, err := c.o.Idempotency.Begin(ctx, key, idemLease)
	if err != nil {
		c.log.ErrorContext(ctx, "twilio sms: idempotency unavailable", "error", err)
		c.writeSMS(w, smsReply{text: fitSMS("", textsFor(c.o.DefaultLanguage).SMSFailed, "", c.cfg.MaxSMSSegments)})
		return
	}
	if !fresh {
		c.log.InfoContext(ctx, "twilio sms: duplicate delivery ignored")
		c.writeSMS(w, smsReply{})
		return
	}
	reply, err := c.smsTurn(ctx, sid, from, f)
	if err != nil {
		if aerr := c.o.Idempotency.Abandon(context.WithoutCancel(ctx), key); aerr != nil {
			c.log.WarnContext(ctx, "twilio sms: release idempotency key failed", "error", aerr)
		}
		c.log.ErrorContext(ctx, "twilio sms failed", "conversation_id", reply.conv, "error", err)
		c.writeSMS(w, smsReply{text: fitSMS("", textsFor(c.o.DefaultLanguage).SMSFailed, "", c.cfg.MaxSMSSegments)})
		return
	}
	if err := c.o.Idempotency.Done(context.WithoutCancel(ctx), key, idemKeep); err != nil {
		c.log.WarnContext(ctx, "twilio sms: mark done failed", "conversation_id", reply.conv, "error", err)
	}
	c.writeSMS(w, reply)
}

// smsTurn stores and answers one SMS.
func (c *Channel) smsTurn(ctx context.Context, sid, from string, f url.Values) (smsReply, error) {
	id := conversation.PhoneID(c.o.Key, from)
	out := smsReply{conv: id}
	conv, _, err := c.open(ctx, id, conversation.ChannelSMS, from, "")
	if err != nil {
		return out, err
	}
	body := strings.TrimSpace(f.Get("Body"))
	clientID := "sms-" + sid
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
		if err := c.setOptOut(ctx, id, true, clientID, body); err != nil {
			return out, err
		}
		c.log.InfoContext(ctx, "twilio sms: opted out", "conversation_id", id)
		return own(t.StopConfirm), nil
	case kind == kwOptIn && conv.OptedOut:
		if err := c.setOptOut(ctx, id, false, clientID, body); err != nil {
			return out, err
		}
		c.log.InfoContext(ctx, "twilio sms: opted in again", "conversation_id", id)
		return own(t.StartConfirm), nil
	case conv.OptedOut:
		// After STOP nothing is answered; the message is kept for staff.
		if _, _, err := c.o.Store.Append(ctx, id, conversation.Message{Role: conversation.RoleCitizen, ClientID: clientID, Text: body}); err != nil {
			return out, fmt.Errorf("twilio: store message of opted-out citizen: %w", err)
		}
		return out, nil
	case kind == kwHelp, kind == kwOptIn && word != "YES":
		// HELP, or START without a STOP before: the service in two sentences.
		if _, _, err := c.o.Store.Append(ctx, id, conversation.Message{Role: conversation.RoleCitizen, ClientID: clientID, Text: body}); err != nil {
			return out, fmt.Errorf("twilio: store keyword: %w", err)
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
		if allowed != smsAnswer {
			if _, _, err := c.o.Store.Append(ctx, id, conversation.Message{Role: conversation.RoleCitizen, ClientID: clientID, Text: body}); err != nil {
				return out, fmt.Errorf("twilio: store message over the daily limit: %w", err)
			}
			c.log.WarnContext(ctx, "twilio sms: daily answer limit of the number reached; not answered",
				"conversation_id", id, "limit", c.cfg.SMSAnswersPerDay, "notice", allowed == smsLimitNotice)
			if allowed == smsLimitNotice {
				out.text = fitSMS("", fmt.Sprintf(t.DailyLimit, c.cfg.SMSAnswersPerDay), "", c.cfg.MaxSMSSegments)
			}
			return out, nil
		}
	}
	body = c.pickOption(ctx, conv, body)

	res, err := c.o.Service.Handle(ctx, dialog.Inbound{
		ConversationID: id, Channel: conversation.ChannelSMS, Address: from,
		ClientID: clientID, Text: body, Style: dialog.StyleShort,
	})
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
		if err := c.o.Desk.Ticket(ctx, id, conversation.Contact{Phone: from, Note: "SMS"}); err != nil {
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

// smsAllowance is what the daily limit allows for an SMS the bot would answer.
type smsAllowance int

const (
	smsAnswer      smsAllowance = iota // answer as usual
	smsLimitNotice                     // this message reaches the limit: say so, once
	smsSilent                          // over the limit: store it, answer nothing
)

// errSMSLimit: the number has had its SMS for today (twilio.sms_answers_per_day).
var errSMSLimit = errors.New("twilio: the number's daily SMS limit is reached")

// errQuotaUnchanged aborts the quota update when nothing is counted.
var errQuotaUnchanged = errors.New("twilio: quota unchanged")

// takeSMSAnswer counts one answer against the number's limit
// (twilio.sms_answers_per_day) in a window of 24 hours from the first
// answer. The count lives on the conversation record, so every instance
// sees it; it is gone with the conversation.
func (c *Channel) takeSMSAnswer(ctx context.Context, id string) (smsAllowance, error) {
	limit := c.cfg.SMSAnswersPerDay
	if limit < 0 {
		return smsAnswer, nil
	}
	now := c.now().UTC()
	got := smsAnswer
	_, err := c.o.Store.Update(ctx, id, func(cv *conversation.Conversation) error {
		q := cv.SMSQuota
		if q.Since.IsZero() || now.Sub(q.Since) >= 24*time.Hour || now.Before(q.Since) {
			q = conversation.Quota{Since: now}
		}
		switch {
		case q.Count < limit:
			got = smsAnswer
		case q.Count == limit:
			got = smsLimitNotice
		default:
			got = smsSilent
			return errQuotaUnchanged
		}
		q.Count++
		cv.SMSQuota = q
		return nil
	})
	if err != nil && !errors.Is(err, errQuotaUnchanged) {
		return smsAnswer, fmt.Errorf("twilio: count the answer: %w", err)
	}
	return got, nil
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
func (c *Channel) setOptOut(ctx context.Context, id string, out bool, clientID, body string) error {
	if _, err := c.o.Store.Update(ctx, id, func(cv *conversation.Conversation) error {
		cv.OptedOut = out
		return nil
	}); err != nil {
		return fmt.Errorf("twilio: opt-out flag: %w", err)
	}
	if _, _, err := c.o.Store.Append(ctx, id, conversation.Message{Role: conversation.RoleCitizen, ClientID: clientID, Text: body}); err != nil {
		return fmt.Errorf("twilio: store keyword: %w", err)
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
