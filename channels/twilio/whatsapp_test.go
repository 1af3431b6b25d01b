package twilio_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/civibot/civibot/channels"
	"github.com/civibot/civibot/channels/twilio"
	"github.com/civibot/civibot/conversation"
	"github.com/civibot/civibot/handoff"
)

const (
	waSender   = "+4930555111"
	waTemplate = "HX0123456789abcdef0123456789abcdef"
	waButtons  = "HXfedcba9876543210fedcba9876543210"
)

func waConfig(c *twilio.Config) {
	c.WhatsApp = twilio.WhatsAppConfig{Enabled: true, From: waSender, AnswersPerDay: 50,
		TemplateSID: waTemplate, TemplateText: "Wir haben eine Antwort auf Ihre Anfrage. Antworten Sie auf diese Nachricht, um sie zu erhalten.",
		TemplateVariables: map[string]string{"1": "Musterstadt"}}
}

// wa posts a WhatsApp message as Twilio does (the SMS webhook, "whatsapp:"
// addresses); extra adds NumMedia, ButtonPayload, ….
func (h *harness) wa(from, body string, extra ...string) reply {
	h.t.Helper()
	f := smsForm(h.sid("SM"), "whatsapp:"+from, body)
	f.Set("To", "whatsapp:"+waSender)
	f.Set("ProfileName", "Erika")
	f.Set("WaId", strings.TrimPrefix(from, "+"))
	for i := 0; i+1 < len(extra); i += 2 {
		f.Set(extra[i], extra[i+1])
	}
	rep := h.post(twilio.PathSMS, f)
	if rep.status != http.StatusOK {
		h.t.Fatalf("whatsapp: status %d: %s", rep.status, rep.body)
	}
	return rep
}

func waID(number string) string { return conversation.WhatsAppID([]byte(idKey), number) }

// TestWhatsAppAnswer: a WhatsApp question is answered on its own channel,
// formatted for WhatsApp and not shortened to SMS segments, with the AI
// disclosure and the privacy link first; SMS from the same number is
// another conversation.
func TestWhatsAppAnswer(t *testing.T) {
	h := newHarness(t, harnessOpts{cfg: waConfig})
	text := messageText(t, h.wa(citizen, "Welche Unterlagen brauche ich für den Personalausweis?"))
	for _, want := range []string{"*Personalausweis beantragen*", "https://www.musterstadt.example/", "einer KI, keinem Menschen", "Datenschutz: https://"} {
		if !strings.Contains(text, want) {
			t.Errorf("answer lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "...") || twilio.EstimateSegments(text).Segments <= 3 {
		t.Errorf("a WhatsApp answer was shortened like an SMS (%d segments):\n%s", twilio.EstimateSegments(text).Segments, text)
	}
	c, err := h.store.Get(bg, waID(citizen))
	if err != nil || c.Channel != conversation.ChannelWhatsApp || c.Address != "whatsapp:"+citizen {
		t.Fatalf("conversation %+v, %v", c, err)
	}
	if text := messageText(t, h.wa(citizen, "Wie melde ich Sperrmüll an?")); strings.Contains(text, "KI, keinem") {
		t.Errorf("the disclosure came again:\n%s", text)
	}
	h.sms(citizen, "Was kostet ein Personalausweis?")
	if _, err := h.store.Get(bg, phoneID(citizen)); err != nil || phoneID(citizen) == waID(citizen) {
		t.Errorf("SMS and WhatsApp share a conversation: %v", err)
	}
	if len(h.fake.messages()) != 0 {
		t.Errorf("answers went through the REST API: %v", h.fake.messages())
	}
}

// TestWhatsAppChoicesMediaAndLimit: numbered choices, a picture
// acknowledged but not read, and the daily limit of the number.
func TestWhatsAppChoicesMediaAndLimit(t *testing.T) {
	h := newHarness(t, harnessOpts{cfg: func(c *twilio.Config) { waConfig(c); c.WhatsApp.AnswersPerDay = 4 }})
	text := messageText(t, h.wa(citizen, "Parkausweis"))
	if !strings.Contains(text, "Antworten Sie mit der Nummer:\n1. ") || !strings.Contains(text, "\n2. Bewohnerparkausweis") {
		t.Fatalf("choices not numbered:\n%s", text)
	}
	if text := messageText(t, h.wa(citizen, "2")); !strings.Contains(text, "Bewohnerparkausweis") {
		t.Fatalf("choice 2 not answered:\n%s", text)
	}
	if text := messageText(t, h.wa(citizen, "", "NumMedia", "1", "MediaUrl0", "https://api.twilio.com/x.jpg", "MediaContentType0", "image/jpeg")); !strings.Contains(text, "Bilder, Sprachnachrichten und Dateien kann ich nicht lesen") {
		t.Errorf("a picture was not acknowledged:\n%s", text)
	}
	if text := messageText(t, h.wa(citizen, "Wie melde ich Sperrmüll an?", "NumMedia", "1")); !strings.Contains(text, "Sperrmüll") || !strings.Contains(text, "kann ich nicht lesen") {
		t.Errorf("a question with a picture:\n%s", text)
	}
	// Four answers so far… the fifth question reaches the limit.
	messageText(t, h.wa(citizen, "Was kostet ein Personalausweis?"))
	if text := messageText(t, h.wa(citizen, "Wie melde ich Sperrmüll an?")); !strings.Contains(text, "4 Antworten") {
		t.Errorf("no limit notice:\n%s", text)
	}
	if text := messageText(t, h.wa(citizen, "Wie melde ich Sperrmüll an?")); text != "" {
		t.Errorf("answered over the limit:\n%s", text)
	}
	msgs := h.transcript(waID(citizen))
	if last := msgs[len(msgs)-1]; last.Role != conversation.RoleCitizen {
		t.Errorf("the message over the limit was not stored: %+v", last)
	}
}

// TestWhatsAppQuickReplyTemplate: with a quick-reply content template the
// choices go out as buttons through the REST API; a tapped button picks.
func TestWhatsAppQuickReplyTemplate(t *testing.T) {
	h := newHarness(t, harnessOpts{cfg: func(c *twilio.Config) { waConfig(c); c.WhatsApp.QuickReplySID = waButtons }})
	if text := messageText(t, h.wa(citizen, "Parkausweis")); text != "" {
		t.Fatalf("the choices came as TwiML text too:\n%s", text)
	}
	sent := h.fake.messages()
	if len(sent) != 1 || sent[0].Get("ContentSid") != waButtons || sent[0].Get("From") != "whatsapp:"+waSender || sent[0].Get("To") != "whatsapp:"+citizen {
		t.Fatalf("sent %v", sent)
	}
	var vars map[string]string
	if err := json.Unmarshal([]byte(sent[0].Get("ContentVariables")), &vars); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(vars["1"], "Welche") || vars["3"] == "" || len([]rune(vars["2"])) > 20 || vars["4"] == "" {
		t.Errorf("variables %v", vars)
	}
	if text := messageText(t, h.wa(citizen, vars["3"], "ButtonPayload", "2", "ButtonText", vars["3"])); !strings.Contains(text, "Bewohnerparkausweis") {
		t.Errorf("the tapped button was not the choice:\n%s", text)
	}
}

// TestWhatsAppWindow: a caseworker's reply more than 24 hours after the
// citizen's last message is refused with ErrWindowClosed (the console
// shows the window and offers the template); the template goes out; the
// citizen's answer opens the window and the reply kept back follows.
func TestWhatsAppWindow(t *testing.T) {
	h := newHarness(t, harnessOpts{cfg: waConfig, online: true})
	messageText(t, h.wa(citizen, "Ich möchte mit einem Mitarbeiter sprechen"))
	id := waID(citizen)
	if _, err := h.desk.Claim(bg, id, "anna"); err != nil {
		t.Fatal(err)
	}
	w, ok, err := h.desk.Window(bg, id)
	if err != nil || !ok || !w.Open || !w.Closes.Equal(officeOpen.Add(24*time.Hour)) {
		t.Fatalf("window %+v %v %v", w, ok, err)
	}
	if _, err := h.desk.Reply(bg, id, "anna", "Guten Tag, ich kümmere mich darum."); err != nil {
		t.Fatalf("reply within the window: %v", err)
	}
	if sent := h.fake.messages(); len(sent) < 1 || sent[len(sent)-1].Get("Body") != "Guten Tag, ich kümmere mich darum." {
		t.Fatalf("sent %v", sent)
	}
	before := len(h.fake.messages())

	h.clock.Set(officeOpen.Add(25 * time.Hour))
	w, _, _ = h.desk.Window(bg, id)
	if w.Open || w.Template == "" {
		t.Fatalf("window after 25 h: %+v", w)
	}
	_, err = h.desk.Reply(bg, id, "anna", "Ihr Antrag ist fertig.")
	if !errors.Is(err, handoff.ErrNotDelivered) || !errors.Is(err, channels.ErrWindowClosed) {
		t.Fatalf("reply outside the window: %v, want ErrNotDelivered and ErrWindowClosed", err)
	}
	if len(h.fake.messages()) != before {
		t.Fatal("a free-text message went out outside the window")
	}
	m, err := h.desk.SendTemplate(bg, id, "anna", "tpl-1")
	if err != nil {
		t.Fatalf("template: %v", err)
	}
	if m.Action != conversation.ActionTemplate || !strings.Contains(m.Text, "Antwort auf Ihre Anfrage") {
		t.Errorf("stored template %+v", m)
	}
	sent := h.fake.messages()
	if len(sent) != before+1 || sent[before].Get("ContentSid") != waTemplate || sent[before].Get("ContentVariables") != `{"1":"Musterstadt"}` || sent[before].Get("Body") != "" {
		t.Fatalf("template sent as %v", sent[before:])
	}
	if _, err := h.desk.SendTemplate(bg, id, "anna", "tpl-1"); err != nil || len(h.fake.messages()) != before+1 {
		t.Errorf("the same template request went out twice (%v)", err)
	}

	// The citizen answers the template: the reply kept back goes out.
	h.clock.Set(officeOpen.Add(26 * time.Hour))
	if text := messageText(t, h.wa(citizen, "Ja bitte")); text != "" {
		t.Errorf("the bot answered in a caseworker's conversation:\n%s", text)
	}
	sent = h.fake.messages()
	if len(sent) != before+2 || sent[before+1].Get("Body") != "Ihr Antrag ist fertig." {
		t.Fatalf("kept-back reply not delivered: %v", sent[before:])
	}
	h.wa(citizen, "Danke")
	if len(h.fake.messages()) != before+2 {
		t.Error("the kept-back reply went out twice")
	}
	// Twilio's own word: 63016 is the window too.
	h.fake.failFor("whatsapp:"+citizen, 63016)
	if _, err := h.desk.Reply(bg, id, "anna", "Noch etwas."); !errors.Is(err, channels.ErrWindowClosed) {
		t.Errorf("Twilio's 63016: %v", err)
	}
}

// TestWhatsAppStatusAndStop: a failed delivery is noted for caseworkers
// with Twilio's explanation; STOP opts out and refuses later replies.
func TestWhatsAppStatusAndStop(t *testing.T) {
	h := newHarness(t, harnessOpts{cfg: waConfig})
	messageText(t, h.wa(citizen, "Was kostet ein Personalausweis?"))
	id := waID(citizen)
	f := map[string][]string{"MessageSid": {h.sid("SM")}, "MessageStatus": {"undelivered"}, "ErrorCode": {"63016"},
		"To": {"whatsapp:" + citizen}, "From": {"whatsapp:" + waSender}, "AccountSid": {accountSID}}
	if rep := h.post(twilio.PathSMSStatus+"?c="+id+"&m=2", f); rep.status != http.StatusNoContent {
		t.Fatalf("status callback: %d", rep.status)
	}
	msgs := h.transcript(id)
	note := msgs[len(msgs)-1]
	if note.Role != conversation.RoleNote || !strings.Contains(note.Text, "WhatsApp message (message 2) not delivered: undelivered, Twilio error 63016 (outside WhatsApp's 24-hour window") {
		t.Errorf("note %+v", note)
	}
	if text := messageText(t, h.wa(citizen, "STOPP")); !strings.Contains(text, "keine WhatsApp-Nachrichten mehr") {
		t.Errorf("stop confirmation:\n%s", text)
	}
	if text := messageText(t, h.wa(citizen, "Was kostet ein Reisepass?")); text != "" {
		t.Errorf("answered after STOP:\n%s", text)
	}
	c, _ := h.store.Get(bg, id)
	if err := h.ch.Send(bg, c, conversation.Message{Role: conversation.RoleCaseworker, Text: "x"}); !errors.Is(err, twilio.ErrOptedOut) {
		t.Errorf("send after STOP: %v", err)
	}
}

// TestWhatsAppDisabled: WhatsApp messages are ignored (nothing stored)
// while twilio.whatsapp.enabled is off.
func TestWhatsAppDisabled(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	if text := messageText(t, h.wa(citizen, "Was kostet ein Personalausweis?")); text != "" {
		t.Errorf("answered with WhatsApp off:\n%s", text)
	}
	if _, err := h.store.Get(bg, waID(citizen)); !errors.Is(err, conversation.ErrNotFound) {
		t.Errorf("stored with WhatsApp off: %v", err)
	}
}
