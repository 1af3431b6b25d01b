package twilio

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/twilio/twilio-go/client"
	api "github.com/twilio/twilio-go/rest/api/v2010"

	"github.com/civibot/civibot/channels"
	"github.com/civibot/civibot/conversation"
	"github.com/civibot/civibot/dialog"
)

// WhatsApp arrives on the SMS webhook with "whatsapp:" addresses. It is a
// channel of its own (conversation.ChannelWhatsApp, its own conversation
// per number, limits and analytics): answers are not shortened to SMS
// segments but formatted for WhatsApp (*bold* titles, lists, links), the
// choices of a clarifying question are numbered (or buttons of a
// quick-reply content template), pictures and voice messages are
// acknowledged but not read, and WhatsApp's 24-hour customer-service
// window is kept: outside it only the approved template goes out.

// waPrefix is Twilio's address prefix for WhatsApp.
const waPrefix = "whatsapp:"

// waWindow is WhatsApp's customer-service window: free-form messages may
// be sent until 24 hours after the citizen's last message.
const waWindow = 24 * time.Hour

// maxWAChars is the longest WhatsApp body Twilio accepts.
const maxWAChars = 1600

var _ channels.Windowed = (*Channel)(nil)

// isWhatsApp reports a "whatsapp:" address.
func isWhatsApp(addr string) bool { return strings.HasPrefix(addr, waPrefix) }

// whatsapp stores and answers one WhatsApp message.
func (c *Channel) whatsapp(ctx context.Context, sid, from string, f url.Values) (smsReply, error) {
	number := strings.TrimPrefix(from, waPrefix)
	if !e164Re.MatchString(number) {
		return smsReply{}, fmt.Errorf("twilio: whatsapp sender is not an E.164 number")
	}
	id := conversation.WhatsAppID(c.o.Key, number)
	out := smsReply{conv: id}
	conv, err := c.open(ctx, dialog.Opening{ConversationID: id, Channel: conversation.ChannelWhatsApp, Address: from})
	if err != nil {
		return out, err
	}
	// When did the citizen write last, before this message? A window that
	// had closed opens again now: replies kept back go out.
	prev, err := c.lastCitizen(ctx, conv)
	if err != nil {
		return out, err
	}
	body := strings.TrimSpace(f.Get("Body"))
	if p := strings.TrimSpace(f.Get("ButtonPayload")); p != "" {
		body = p // a quick-reply button: its id is the choice's number
	}
	media, _ := strconv.Atoi(f.Get("NumMedia"))
	in := dialog.Inbound{ConversationID: id, Channel: conversation.ChannelWhatsApp, Address: from, ClientID: "wa-" + sid, Text: body}
	lang := c.language(conv.Language)
	t := textsFor(lang)
	text := func(s string) smsReply { out.text = s; return out }

	kind, _, _ := keyword(body)
	switch {
	case kind == kwOptOut:
		// WhatsApp has no carrier STOP: civibot confirms itself.
		if err := c.setOptOut(ctx, in, true); err != nil {
			return out, err
		}
		c.log.InfoContext(ctx, "twilio whatsapp: opted out", "conversation_id", id)
		return text(t.WAStopConfirm), nil
	case kind == kwOptIn && conv.OptedOut:
		if err := c.setOptOut(ctx, in, false); err != nil {
			return out, err
		}
		return text(t.StartConfirm), nil
	case conv.OptedOut:
		return out, c.record(ctx, in, "whatsapp message of an opted-out citizen")
	}
	if body == "" {
		if media > 0 {
			return text(t.WAMediaOnly), nil
		}
		return out, nil
	}
	if conv.Status != conversation.StatusClaimed {
		allowed, err := c.o.Service.TakeAnswer(ctx, id, c.cfg.WhatsApp.AnswersPerDay)
		if err != nil {
			return out, fmt.Errorf("twilio: %w", err)
		}
		if allowed != dialog.AnswerAllowed {
			if err := c.record(ctx, in, "whatsapp message over the daily limit"); err != nil {
				return out, err
			}
			c.log.WarnContext(ctx, "twilio whatsapp: daily answer limit of the number reached; not answered",
				"conversation_id", id, "limit", c.cfg.WhatsApp.AnswersPerDay, "notice", allowed == dialog.AnswerLimitNotice)
			if allowed == dialog.AnswerLimitNotice {
				return text(fmt.Sprintf(t.WADailyLimit, c.cfg.WhatsApp.AnswersPerDay)), nil
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
		return text(fmt.Sprintf(t.TooLong, c.o.MaxMessageChars)), nil
	case err != nil:
		return out, err
	}
	if !res.Duplicate && (prev.IsZero() || c.now().Sub(prev) > waWindow) {
		c.redeliver(ctx, res.Conversation, prev, res.Citizen.Seq)
	}
	if res.Duplicate || len(res.Replies) == 0 {
		return out, nil
	}
	if res.Queue != nil && res.Queue.Ticket {
		if err := c.o.Service.Ticket(ctx, id, conversation.Contact{Phone: number, Note: "WhatsApp"}); err != nil {
			c.log.ErrorContext(ctx, "twilio whatsapp: record callback number failed", "conversation_id", id, "error", err)
		}
	}
	bot := res.Replies[len(res.Replies)-1]
	bt := textsFor(c.language(bot.Language))
	var notes []string
	if res.Citizen.Seq == 1 {
		notes = append(notes, c.waDisclosure(bt))
	}
	if media > 0 {
		notes = append(notes, bt.WAMediaNote)
	}
	if c.cfg.WhatsApp.QuickReplySID != "" && bot.Decision != nil && bot.Decision.Kind == dialog.KindClarify && len(bot.QuickReplies) == 3 {
		// Buttons: the answer goes through the REST API with the template.
		vars := map[string]string{"1": cut(joinParas(append([]string{bot.Text}, notes...)...), 1024)}
		for i, q := range bot.QuickReplies {
			vars[strconv.Itoa(i+2)] = cut(q.Label, 20)
		}
		if err := c.sendWA(ctx, id, from, "", c.cfg.WhatsApp.QuickReplySID, vars, bot.Seq); err == nil {
			return out, nil
		}
		// Twilio refused the template: numbered choices as text instead.
	}
	out.text = waBody(bot, notes)
	out.seq = bot.Seq
	return out, nil
}

// waDisclosure: who answers (an AI) and where the privacy notice is.
func (c *Channel) waDisclosure(t texts) string {
	s := fmt.Sprintf(t.WADisclosure, c.o.CityName)
	if c.o.PrivacyURL != "" {
		s += " " + fmt.Sprintf(t.WAPrivacy, c.o.PrivacyURL)
	}
	return s
}

// waBody formats a bot message for WhatsApp: the page title in bold, bullet
// lists as they are, numbered choices for a clarifying question, the link
// on its own line (WhatsApp shows a preview), the channel's notes last; at
// most 1,600 characters, the link kept.
func waBody(m conversation.Message, notes []string) string {
	text := m.Text
	for _, s := range m.Sources {
		if title := strings.TrimSpace(s.Title); title != "" && strings.HasPrefix(text, title+"\n") {
			text = "*" + waEscape(title) + "*" + text[len(title):]
			break
		}
	}
	if m.Decision != nil && m.Decision.Kind == dialog.KindClarify && len(m.QuickReplies) > 0 {
		var b strings.Builder
		b.WriteString(text + "\n\n" + textsFor(m.Language).Options)
		for i, q := range m.QuickReplies {
			fmt.Fprintf(&b, "\n%d. %s", i+1, q.Label)
		}
		text = b.String()
	}
	l := link(m)
	tail := joinParas(notes...)
	full := joinParas(text, l, tail)
	if len([]rune(full)) <= maxWAChars {
		return full
	}
	room := maxWAChars - len([]rune(joinParas("", l, tail))) - 4
	return joinParas(strings.TrimSpace(string([]rune(text)[:max(room, 0)]))+" …", l, tail)
}

// waEscape keeps a title's own *, _ and ~ from being read as formatting.
func waEscape(s string) string {
	return strings.NewReplacer("*", "∗", "_", "＿", "~", "∼", "`", "ˋ").Replace(s)
}

func joinParas(parts ...string) string {
	var kept []string
	for _, p := range parts {
		if strings.TrimSpace(p) != "" {
			kept = append(kept, strings.TrimSpace(p))
		}
	}
	return strings.Join(kept, "\n\n")
}

func cut(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// lastCitizen is when the citizen last wrote (zero: never).
func (c *Channel) lastCitizen(ctx context.Context, conv conversation.Conversation) (time.Time, error) {
	for _, after := range []int64{max(0, conv.LastSeq-50), 0} {
		msgs, err := c.o.Service.Messages(ctx, conv.ID, after)
		if err != nil {
			return time.Time{}, fmt.Errorf("twilio: read transcript: %w", err)
		}
		for i := len(msgs) - 1; i >= 0; i-- {
			if msgs[i].Role == conversation.RoleCitizen {
				return msgs[i].At, nil
			}
		}
		if after == 0 {
			break
		}
	}
	return time.Time{}, nil
}

// Window reports the conversation's 24-hour customer-service window
// (channels.Windowed).
func (c *Channel) Window(ctx context.Context, conv conversation.Conversation) (channels.Window, error) {
	if conv.Channel != conversation.ChannelWhatsApp {
		return channels.Window{Open: true}, nil
	}
	last, err := c.lastCitizen(ctx, conv)
	if err != nil {
		return channels.Window{}, err
	}
	w := channels.Window{}
	if !last.IsZero() {
		w.Closes = last.Add(waWindow)
		w.Open = c.now().Before(w.Closes)
	}
	if c.cfg.WhatsApp.TemplateSID != "" {
		w.Template = c.cfg.WhatsApp.TemplateText
	}
	return w, nil
}

// redeliver sends caseworker replies that were kept back while the window
// was closed, now that the citizen wrote again (each once).
func (c *Channel) redeliver(ctx context.Context, conv conversation.Conversation, prev time.Time, before int64) {
	msgs, err := c.o.Service.Messages(ctx, conv.ID, max(0, before-50))
	if err != nil {
		c.log.WarnContext(ctx, "twilio whatsapp: read replies kept back failed", "conversation_id", conv.ID, "error", err)
		return
	}
	for _, m := range msgs {
		if m.Seq >= before || m.Role != conversation.RoleCaseworker || m.Action == conversation.ActionTemplate {
			continue
		}
		if !prev.IsZero() && !m.At.After(prev.Add(waWindow)) {
			continue // sent within the window back then
		}
		key := "twilio:wa:redeliver:" + m.ID + ":" + strconv.FormatInt(m.At.UnixNano(), 36)
		ran, err := c.lease.Do(ctx, key, func(ctx context.Context) error {
			return c.sendWA(ctx, conv.ID, conv.Address, m.Text, "", nil, m.Seq)
		})
		if !ran || err != nil {
			continue // sent before, or failed (the caseworker sees it not delivered)
		}
		c.note(ctx, conv.ID, fmt.Sprintf("WhatsApp: reply (message %d) delivered now that the citizen wrote again.", m.Seq))
	}
}

// sendWhatsApp pushes a caseworker's reply or a status notice. Outside the
// 24-hour window only the approved template goes out (a message with
// conversation.ActionTemplate); anything else is refused with
// channels.ErrWindowClosed, so the console can offer the template.
func (c *Channel) sendWhatsApp(ctx context.Context, conv conversation.Conversation, m conversation.Message) error {
	if conv.OptedOut {
		return ErrOptedOut
	}
	if !isWhatsApp(conv.Address) {
		return ErrNoNumber
	}
	if m.Action == conversation.ActionTemplate {
		if c.cfg.WhatsApp.TemplateSID == "" {
			return fmt.Errorf("twilio: no whatsapp template configured (twilio.whatsapp.template_sid)")
		}
		return c.sendWA(ctx, conv.ID, conv.Address, "", c.cfg.WhatsApp.TemplateSID, c.cfg.WhatsApp.TemplateVariables, m.Seq)
	}
	w, err := c.Window(ctx, conv)
	if err != nil {
		return err
	}
	if !w.Open {
		c.log.InfoContext(ctx, "twilio whatsapp: reply kept back, the 24-hour window is closed", "conversation_id", conv.ID, "seq", m.Seq)
		return fmt.Errorf("twilio: whatsapp message %d: %w", m.Seq, channels.ErrWindowClosed)
	}
	for _, part := range splitSMS(m.Text, maxWAChars) {
		if err := c.sendWA(ctx, conv.ID, conv.Address, part, "", nil, m.Seq); err != nil {
			return err
		}
	}
	return nil
}

// sendWA creates one WhatsApp message through the REST API: a text, or a
// content template with its variables.
func (c *Channel) sendWA(ctx context.Context, convID, to, body, contentSID string, vars map[string]string, seq int64) error {
	params := &api.CreateMessageParams{}
	params.SetTo(to)
	if contentSID != "" {
		params.SetContentSid(contentSID)
		if len(vars) > 0 {
			b, err := json.Marshal(vars)
			if err != nil {
				return fmt.Errorf("twilio: template variables: %w", err)
			}
			params.SetContentVariables(string(b))
		}
	} else {
		params.SetBody(body)
	}
	if c.cfg.WhatsApp.From != "" {
		params.SetFrom(waPrefix + c.cfg.WhatsApp.From)
	} else {
		params.SetMessagingServiceSid(c.cfg.MessagingServiceSID)
	}
	params.SetStatusCallback(c.statusURL(convID, seq))
	if _, err := c.rest(ctx).CreateMessage(params); err != nil {
		var rest *client.TwilioRestError
		if errors.As(err, &rest) {
			c.log.WarnContext(ctx, "twilio whatsapp not sent", "conversation_id", convID, "seq", seq, "twilio_code", rest.Code, "http_status", rest.Status)
			serr := &SendError{Status: rest.Status, Code: rest.Code}
			if rest.Code == 63016 {
				return fmt.Errorf("%w: %w", serr, channels.ErrWindowClosed)
			}
			return serr
		}
		c.log.WarnContext(ctx, "twilio whatsapp not sent", "conversation_id", convID, "seq", seq, "error", err)
		return fmt.Errorf("twilio: send whatsapp: %w", err)
	}
	c.log.InfoContext(ctx, "twilio whatsapp sent", "conversation_id", convID, "seq", seq, "template", contentSID != "")
	return nil
}
