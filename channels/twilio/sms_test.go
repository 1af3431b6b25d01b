package twilio_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/civibot/civibot/channels/twilio"
	"github.com/civibot/civibot/conversation"
	"github.com/civibot/civibot/handoff"
	"github.com/civibot/civibot/internal/redistest"
	"github.com/civibot/civibot/internal/testtime"
)

// messageText returns the one <Message> of an SMS answer ("" for none).
func messageText(t *testing.T, rep reply) string {
	t.Helper()
	ms := rep.doc.all("Message")
	switch len(ms) {
	case 0:
		return ""
	case 1:
		return ms[0].Text
	}
	t.Fatalf("%d <Message> verbs, want at most one:\n%s", len(ms), rep.body)
	return ""
}

func TestSignatureRequired(t *testing.T) {
	h := newHarness(t, harnessOpts{public: "https://civibot.musterstadt.example"})
	form := smsForm(h.sid("SM"), citizen, "Was kostet ein Personalausweis?")
	good := sign(authToken, h.public+twilio.PathSMS, form)

	tampered := url.Values{}
	for k, v := range form {
		tampered[k] = v
	}
	tampered.Set("Body", "Was kostet ein Reisepass?")
	otherAccount := url.Values{}
	for k, v := range form {
		otherAccount[k] = v
	}
	otherAccount.Set("AccountSid", "AC"+strings.Repeat("f", 32))

	tests := []struct {
		name   string
		path   string
		form   url.Values
		sig    string
		header http.Header
		want   int
	}{
		{"no signature", twilio.PathSMS, form, "", nil, http.StatusForbidden},
		{"garbage signature", twilio.PathSMS, form, "bm90IGEgc2lnbmF0dXJl", nil, http.StatusForbidden},
		{"body changed after signing", twilio.PathSMS, tampered, good, nil, http.StatusForbidden},
		{"signed with another token", twilio.PathSMS, form, sign("ffffffffffffffffffffffffffffffff", h.public+twilio.PathSMS, form), nil, http.StatusForbidden},
		// Behind a proxy the URL comes from config: a signature over the URL
		// the request reached (Host header) does not count.
		{"signed for the Host header's URL", twilio.PathSMS, form, sign(authToken, h.srv.URL+twilio.PathSMS, form),
			http.Header{"Host": {"evil.example"}, "X-Forwarded-Host": {"evil.example"}}, http.StatusForbidden},
		{"signed for another path", twilio.PathSMS, form, sign(authToken, h.public+twilio.PathVoice, form), nil, http.StatusForbidden},
		{"query added after signing", twilio.PathSMS + "?x=1", form, good, nil, http.StatusForbidden},
		{"voice webhook unsigned", twilio.PathVoice, callForm(h.sid("CA"), citizen), "", nil, http.StatusForbidden},
		{"status webhook unsigned", twilio.PathSMSStatus, url.Values{"MessageStatus": {"failed"}}, "", nil, http.StatusForbidden},
		{"another Twilio account, validly signed", twilio.PathSMS, otherAccount, sign(authToken, h.public+twilio.PathSMS, otherAccount), nil, http.StatusForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep := h.postWith(tt.path, tt.form, tt.sig, tt.header)
			if rep.status != tt.want {
				t.Fatalf("status %d, want %d: %s", rep.status, tt.want, rep.body)
			}
		})
	}
	// Nothing was stored by any refused request.
	if convs, err := h.store.List(bg, officeOpen.AddDate(-1, 0, 0), 0); err != nil || len(convs) != 0 {
		t.Fatalf("refused requests stored %d conversations (%v)", len(convs), err)
	}
	if len(h.fake.messages()) != 0 {
		t.Fatal("refused requests sent SMS")
	}

	// The same request correctly signed for the public URL is answered,
	// whatever Host it arrived with.
	rep := h.postWith(twilio.PathSMS, form, good, http.Header{"Host": {"10.0.0.7:8080"}})
	if rep.status != http.StatusOK || !strings.Contains(messageText(t, rep), "37,00 Euro") {
		t.Fatalf("valid request: %d %s", rep.status, rep.body)
	}
}

func TestWebhookBodyLimit(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	form := smsForm(h.sid("SM"), citizen, strings.Repeat("x", 70<<10))
	rep := h.post(twilio.PathSMS, form)
	if rep.status != http.StatusRequestEntityTooLarge {
		t.Fatalf("status %d, want 413", rep.status)
	}
	if _, err := h.store.Get(bg, phoneID(citizen)); !errors.Is(err, conversation.ErrNotFound) {
		t.Fatalf("an oversized request stored a conversation: %v", err)
	}
}

func TestSMSAnswer(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	rep := h.sms(citizen, "Was kostet ein Personalausweis?")
	text := messageText(t, rep)
	// The first answer says it is an AI, answers, and links the page, in at
	// most three SMS segments.
	if !strings.HasPrefix(text, "Digitaler Assistent der Stadt Musterstadt (eine KI, kein Mensch).") {
		t.Errorf("no AI disclosure first:\n%s", text)
	}
	if !strings.Contains(text, "37,00 Euro") || !strings.Contains(text, "\nhttps://") {
		t.Errorf("answer or link missing:\n%s", text)
	}
	if est := twilio.EstimateSegments(text); est.Segments > twilio.DefaultMaxSMSSegments || est.Encoding != twilio.GSM7 {
		t.Errorf("answer takes %+v", est)
	}
	action := rep.doc.all("Message")[0].attr("action")
	if !strings.HasPrefix(action, h.public+twilio.PathSMSStatus+"?") || !strings.Contains(action, "c="+phoneID(citizen)) {
		t.Errorf("status callback %q", action)
	}

	conv, err := h.store.Get(bg, phoneID(citizen))
	if err != nil {
		t.Fatal(err)
	}
	if conv.Channel != conversation.ChannelSMS || conv.Address != citizen || conv.Language != "de" {
		t.Errorf("conversation = %+v", conv)
	}
	msgs := h.transcript(conv.ID)
	if len(msgs) != 2 || msgs[0].Role != conversation.RoleCitizen || msgs[1].Role != conversation.RoleBot {
		t.Fatalf("transcript = %+v", msgs)
	}
	if strings.Contains(msgs[1].Text, "KI, kein Mensch. Ich antworte") {
		t.Error("the engine's long chat disclosure went into an SMS")
	}

	// The next answer has no disclosure; an English question is answered in English.
	text = messageText(t, h.sms(citizen, "How much does an ID card cost?"))
	if strings.Contains(text, "AI, not a person") || !strings.Contains(text, "37") {
		t.Errorf("second answer:\n%s", text)
	}
}

func TestSMSNumberedChoice(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	text := messageText(t, h.sms(citizen, "Parkausweis"))
	if !strings.Contains(text, "Antworten Sie mit der Nummer:\n1 ") || !strings.Contains(text, "\n2 Bewohnerparkausweis") {
		t.Fatalf("choices not numbered:\n%s", text)
	}
	text = messageText(t, h.sms(citizen, "2"))
	if !strings.Contains(text, "Bewohnerparkausweis") || !strings.Contains(text, "https://") {
		t.Fatalf("choice 2 not answered:\n%s", text)
	}
	msgs := h.transcript(phoneID(citizen))
	if got := msgs[len(msgs)-2].Text; !strings.HasPrefix(got, "Bewohnerparkausweis") {
		t.Fatalf("stored question = %q, want the chosen service", got)
	}
}

func TestSMSLongAnswerShortened(t *testing.T) {
	h := newHarness(t, harnessOpts{cfg: func(c *twilio.Config) { c.MaxSMSSegments = 1 }})
	text := messageText(t, h.sms(citizen, "Welche Unterlagen brauche ich für den Personalausweis?"))
	est := twilio.EstimateSegments(text)
	if est.Segments != 1 {
		t.Fatalf("answer takes %+v, want 1 segment:\n%s", est, text)
	}
	lines := strings.Split(text, "\n")
	if !strings.HasPrefix(lines[len(lines)-1], "https://") || !strings.Contains(text, "...") {
		t.Fatalf("shortened answer should end with ... and the link:\n%s", text)
	}
}

// backends are the conversation stores a behaviour is checked on: memory
// and a real Redis server.
var backends = []struct {
	name  string
	store func(t *testing.T) backend
}{
	{"memory", func(*testing.T) backend { return conversation.NewMemory(conversation.Options{}) }},
	{"redis", func(t *testing.T) backend {
		return conversation.NewRedis(redistest.Start(t).Client(t), conversation.Options{})
	}},
}

func TestSMSDuplicateAnsweredOnce(t *testing.T) {
	for _, tt := range backends {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, harnessOpts{store: tt.store(t)})
			form := smsForm(h.sid("SM"), citizen, "Was kostet ein Personalausweis?")
			first := h.post(twilio.PathSMS, form)
			if first.status != http.StatusOK || messageText(t, first) == "" {
				t.Fatalf("first delivery: %d %s", first.status, first.body)
			}
			// Twilio retries the same MessageSid: stored and answered once.
			again := h.post(twilio.PathSMS, form)
			if again.status != http.StatusOK || messageText(t, again) != "" {
				t.Fatalf("retry answered again: %s", again.body)
			}
			if msgs := h.transcript(phoneID(citizen)); len(msgs) != 2 {
				t.Fatalf("transcript has %d messages, want 2", len(msgs))
			}
		})
	}
}

// TestSMSHeldElsewhere: a message another instance holds (Twilio's retry
// after that delivery timed out; the instance may still fail or die) is
// not acknowledged here but answered 503, so Twilio delivers it again; once
// the lease is given up it is stored and answered.
func TestSMSHeldElsewhere(t *testing.T) {
	for _, tt := range backends {
		t.Run(tt.name, func(t *testing.T) {
			store := tt.store(t)
			h := newHarness(t, harnessOpts{store: store})
			ctx := context.Background()
			sid := h.sid("SM")
			if ok, err := store.Begin(ctx, "twilio:sms:"+sid, time.Minute); err != nil || !ok {
				t.Fatalf("begin: %v %v", ok, err)
			}
			form := smsForm(sid, citizen, "Was kostet ein Personalausweis?")
			held := h.post(twilio.PathSMS, form)
			if held.status != http.StatusServiceUnavailable {
				t.Fatalf("held elsewhere: %d %s, want 503", held.status, held.body)
			}
			if err := store.Abandon(ctx, "twilio:sms:"+sid); err != nil {
				t.Fatal(err)
			}
			again := h.post(twilio.PathSMS, form)
			if again.status != http.StatusOK || !strings.Contains(messageText(t, again), "37,00 Euro") {
				t.Fatalf("after the lease was given up: %d %s", again.status, again.body)
			}
			if msgs := h.transcript(phoneID(citizen)); len(msgs) != 2 {
				t.Fatalf("transcript has %d messages, want 2", len(msgs))
			}
		})
	}
}

// TestSMSDailyLimit: one number gets at most twilio.sms_answers_per_day
// answers in 24 hours (an auto-responder would otherwise talk to the bot
// for ever, at the city's cost); nothing it sends is lost, and the count
// holds across instances (Redis) and starts again after a day.
func TestSMSDailyLimit(t *testing.T) {
	for _, tt := range backends {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, harnessOpts{store: tt.store(t), cfg: func(c *twilio.Config) { c.SMSAnswersPerDay = 3 }})
			questions := []string{"Was kostet ein Personalausweis?", "Was kostet ein Reisepass?", "Wo melde ich meinen Hund an?"}
			for _, q := range questions {
				if text := messageText(t, h.sms(citizen, q)); !strings.Contains(text, "https://") {
					t.Fatalf("answer %q within the limit:\n%s", q, text)
				}
			}
			notice := messageText(t, h.sms(citizen, "Was kostet ein Anwohnerparkausweis?"))
			if !strings.Contains(notice, "heute 3 Antworten per SMS") || strings.Contains(notice, "https://") {
				t.Fatalf("the message over the limit got %q, want the notice", notice)
			}
			if text := messageText(t, h.sms(citizen, "Und der Sperrmüll?")); text != "" {
				t.Fatalf("after the notice the bot still answered: %q", text)
			}
			// Another number is not affected.
			if text := messageText(t, h.sms("+491709876543", "Was kostet ein Personalausweis?")); !strings.Contains(text, "37,00 Euro") {
				t.Fatalf("another number was limited too: %q", text)
			}
			// Nothing was lost: both unanswered messages are in the transcript.
			msgs := h.transcript(phoneID(citizen))
			var citizenMsgs, botMsgs int
			for _, m := range msgs {
				switch m.Role {
				case conversation.RoleCitizen:
					citizenMsgs++
				case conversation.RoleBot:
					botMsgs++
				}
			}
			if citizenMsgs != 5 || botMsgs != 3 {
				t.Errorf("transcript has %d citizen and %d bot messages, want 5 and 3", citizenMsgs, botMsgs)
			}
			if !strings.Contains(h.logs.String(), "daily answer limit") {
				t.Error("reaching the limit was not logged")
			}
			// A day after the first answer the count starts again.
			h.clock.Set(officeOpen.Add(24*time.Hour + time.Minute))
			if text := messageText(t, h.sms(citizen, "Was kostet ein Personalausweis?")); !strings.Contains(text, "37,00 Euro") {
				t.Fatalf("the next day: %q", text)
			}
		})
	}
}

func TestSMSStopStartHelp(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	id := phoneID(citizen)
	if messageText(t, h.sms(citizen, "Was kostet ein Personalausweis?")) == "" {
		t.Fatal("no answer before STOP")
	}

	// STOP: Twilio confirms it itself, so civibot says nothing, and keeps the flag.
	if text := messageText(t, h.sms(citizen, "Stop")); text != "" {
		t.Fatalf("answered STOP: %q", text)
	}
	if conv, _ := h.store.Get(bg, id); !conv.OptedOut {
		t.Fatal("STOP did not set the opt-out flag")
	}
	// After STOP nothing is answered (the message is kept for staff) …
	before := len(h.transcript(id))
	if text := messageText(t, h.sms(citizen, "Was kostet ein Reisepass?")); text != "" {
		t.Fatalf("answered after STOP: %q", text)
	}
	msgs := h.transcript(id)
	if len(msgs) != before+1 || msgs[len(msgs)-1].Role != conversation.RoleCitizen {
		t.Fatalf("after STOP: %d messages (was %d), last %+v", len(msgs), before, msgs[len(msgs)-1])
	}
	// … and nothing is pushed either.
	conv, _ := h.store.Get(bg, id)
	if err := h.ch.Send(bg, conv, conversation.Message{Role: conversation.RoleCaseworker, Text: "Hallo"}); !errors.Is(err, twilio.ErrOptedOut) {
		t.Fatalf("push after STOP: %v", err)
	}
	if len(h.fake.messages()) != 0 {
		t.Fatal("an SMS went out after STOP")
	}

	// START: answered again.
	if text := messageText(t, h.sms(citizen, "START")); text != "" {
		t.Fatalf("answered START (Twilio confirms it): %q", text)
	}
	if text := messageText(t, h.sms(citizen, "Was kostet ein Reisepass?")); !strings.Contains(text, "Euro") {
		t.Fatalf("not answered after START: %q", text)
	}

	// German keywords Twilio does not know: civibot confirms them itself.
	if text := messageText(t, h.sms(citizen, "STOPP")); !strings.Contains(text, "keine Nachrichten mehr") {
		t.Fatalf("STOPP: %q", text)
	}
	if text := messageText(t, h.sms(citizen, "Personalausweis")); text != "" {
		t.Fatalf("answered after STOPP: %q", text)
	}
	if text := messageText(t, h.sms(citizen, "anmelden")); !strings.Contains(text, "Willkommen zurück") {
		t.Fatalf("ANMELDEN: %q", text)
	}
	if text := messageText(t, h.sms(citizen, "HILFE")); !strings.Contains(text, "KI") || !strings.Contains(text, "STOPP") {
		t.Fatalf("HILFE: %q", text)
	}
	// HELP is answered by Twilio on a long code; with Advanced Opt-Out
	// Twilio says so (OptOutType) and civibot stays silent too.
	if text := messageText(t, h.sms(citizen, "help")); text != "" {
		t.Fatalf("HELP: %q", text)
	}
	form := smsForm(h.sid("SM"), citizen, "STOPP")
	form.Set("OptOutType", "STOP")
	if rep := h.post(twilio.PathSMS, form); messageText(t, rep) != "" {
		t.Fatalf("Advanced Opt-Out STOPP answered: %s", rep.body)
	}
	if conv, _ := h.store.Get(bg, id); !conv.OptedOut {
		t.Fatal("Advanced Opt-Out STOPP did not set the flag")
	}
}

func TestSMSMediaAndTooLong(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	form := smsForm(h.sid("SM"), citizen, "")
	form.Set("NumMedia", "1")
	form.Set("MediaUrl0", "https://api.twilio.com/2010-04-01/Accounts/"+accountSID+"/Messages/MM1/Media/ME1")
	if text := messageText(t, h.post(twilio.PathSMS, form)); !strings.Contains(text, "nur Text") {
		t.Fatalf("picture only: %q", text)
	}
	if text := messageText(t, h.sms(citizen, strings.Repeat("Frage ", 120))); !strings.Contains(text, "500 Zeichen") {
		t.Fatalf("too long: %q", text)
	}
}

func TestSMSCaseworkerReplyByREST(t *testing.T) {
	h := newHarness(t, harnessOpts{online: true})
	id := phoneID(citizen)
	text := messageText(t, h.sms(citizen, "Ich möchte mit einem Mitarbeiter sprechen"))
	if !strings.Contains(text, "Position 1") {
		t.Fatalf("handoff answer: %q", text)
	}
	waiting, err := h.desk.Waiting(bg)
	if err != nil || len(waiting) != 1 || waiting[0].ConversationID != id || waiting[0].Channel != conversation.ChannelSMS {
		t.Fatalf("waiting = %+v (%v)", waiting, err)
	}

	// Anna claims it in the console: the citizen is told by SMS.
	if _, err := h.desk.Claim(bg, id, "anna"); err != nil {
		t.Fatal(err)
	}
	// While she has it, the bot stays silent.
	if text := messageText(t, h.sms(citizen, "Hallo?")); text != "" {
		t.Fatalf("bot answered a claimed conversation: %q", text)
	}
	m, err := h.desk.Reply(bg, id, "anna", "Guten Tag, hier ist Anna Berger vom Bürgeramt – wie kann ich helfen?")
	if err != nil {
		t.Fatal(err)
	}
	sent := h.fake.messages()
	if len(sent) != 2 {
		t.Fatalf("REST received %d messages, want the claim notice and the reply", len(sent))
	}
	got := sent[1]
	if got.Get("To") != citizen || got.Get("From") != civibotNum || got.Get("Body") != "Guten Tag, hier ist Anna Berger vom Bürgeramt - wie kann ich helfen?" {
		t.Fatalf("sent = %v", got)
	}
	if cb := got.Get("StatusCallback"); !strings.HasPrefix(cb, h.public+twilio.PathSMSStatus+"?") || !strings.Contains(cb, "m="+itoa(m.Seq)) {
		t.Fatalf("status callback %q", cb)
	}
	// A private note is never sent.
	if _, err := h.desk.Note(bg, id, "anna", "Bürgerin wirkt verunsichert"); err != nil {
		t.Fatal(err)
	}
	if n := len(h.fake.messages()); n != 2 {
		t.Fatalf("a note went out by SMS (%d messages)", n)
	}

	// Twilio reports the reply undelivered: logged and noted once for staff.
	cb, _ := url.Parse(got.Get("StatusCallback"))
	status := url.Values{"MessageSid": {h.sid("SM")}, "MessageStatus": {"undelivered"}, "ErrorCode": {"30003"},
		"AccountSid": {accountSID}, "To": {citizen}, "From": {civibotNum}, "ApiVersion": {"2010-04-01"}, "SmsStatus": {"undelivered"}}
	for range 2 {
		if rep := h.post(cb.RequestURI(), status); rep.status != http.StatusNoContent {
			t.Fatalf("status callback: %d %s", rep.status, rep.body)
		}
	}
	var notes []string
	for _, m := range h.transcript(id) {
		if m.Role == conversation.RoleNote && m.Author == "twilio" {
			notes = append(notes, m.Text)
		}
	}
	if len(notes) != 1 || !strings.Contains(notes[0], "30003") || !strings.Contains(notes[0], "message "+itoa(m.Seq)) {
		t.Fatalf("delivery notes = %q", notes)
	}
	if !strings.Contains(h.logs.String(), `"msg":"twilio sms not delivered","conversation_id":"`+id) {
		t.Fatalf("failure not logged with the conversation id:\n%s", h.logs.String())
	}
}

func TestRESTErrorsSurface(t *testing.T) {
	h := newHarness(t, harnessOpts{online: true})
	id := phoneID(citizen)
	h.sms(citizen, "Ich möchte mit einem Mitarbeiter sprechen")
	// The citizen sent STOP to Twilio (which civibot did not see): Twilio
	// refuses with 21610 and civibot keeps that.
	h.fake.failFor(citizen, 21610)
	conv, err := h.store.Get(bg, id)
	if err != nil {
		t.Fatal(err)
	}
	err = h.ch.Send(bg, conv, conversation.Message{Role: conversation.RoleSystem, Text: "Test", Seq: 9})
	var serr *twilio.SendError
	if !errors.As(err, &serr) || serr.Code != 21610 || serr.Status != http.StatusBadRequest || !errors.Is(err, twilio.ErrOptedOut) {
		t.Fatalf("send error = %v", err)
	}
	if strings.Contains(err.Error(), citizen) || strings.Contains(h.logs.String(), "unsubscribed recipient") {
		t.Fatalf("Twilio's message (it quotes the number) was kept: %v", err)
	}
	if conv, _ := h.store.Get(bg, id); !conv.OptedOut {
		t.Fatal("Twilio's 21610 did not mark the conversation opted out")
	}
	// A caseworker's reply is stored but reported as not delivered.
	if _, err := h.desk.Claim(bg, id, "anna"); err != nil {
		t.Fatal(err)
	}
	_, err = h.desk.Reply(bg, id, "anna", "Guten Tag!")
	if !errors.Is(err, handoff.ErrNotDelivered) || !errors.Is(err, twilio.ErrOptedOut) {
		t.Fatalf("reply error = %v, want not delivered because opted out", err)
	}
	// The reply stays in the transcript.
	msgs := h.transcript(id)
	if last := msgs[len(msgs)-1]; last.Role != conversation.RoleCaseworker || last.Text != "Guten Tag!" {
		t.Fatalf("last message = %+v", last)
	}
}

func TestRESTBadCredentials(t *testing.T) {
	h := newHarness(t, harnessOpts{cfg: func(c *twilio.Config) { c.AuthToken = strings.Repeat("0", 32) }})
	conv := conversation.Conversation{ID: phoneID(citizen), Channel: conversation.ChannelSMS, Address: citizen}
	err := h.ch.Send(bg, conv, conversation.Message{Role: conversation.RoleCaseworker, Text: "Hallo", Seq: 3})
	var serr *twilio.SendError
	if !errors.As(err, &serr) || serr.Code != 20003 || serr.Status != http.StatusUnauthorized || !strings.Contains(err.Error(), "auth_token") {
		t.Fatalf("err = %v", err)
	}
	// A conversation without a number (withheld caller) cannot be texted.
	conv.Address = ""
	if err := h.ch.Send(bg, conv, conversation.Message{Role: conversation.RoleCaseworker, Text: "Hallo"}); !errors.Is(err, twilio.ErrNoNumber) {
		t.Fatalf("no number: %v", err)
	}
}

func TestSendLongMessageInParts(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	conv := conversation.Conversation{ID: phoneID(citizen), Channel: conversation.ChannelSMS, Address: citizen}
	long := strings.Repeat("Bitte bringen Sie Ihren alten Ausweis mit. ", 50) // 2,150 characters
	if err := h.ch.Send(bg, conv, conversation.Message{Role: conversation.RoleCaseworker, Text: long, Seq: 4}); err != nil {
		t.Fatal(err)
	}
	sent := h.fake.messages()
	if len(sent) != 2 {
		t.Fatalf("%d messages, want 2", len(sent))
	}
	if got := sent[0].Get("Body") + " " + sent[1].Get("Body"); strings.Join(strings.Fields(got), " ") != strings.TrimSpace(long) {
		t.Fatal("parts do not add up to the message")
	}
	if err := h.ch.Send(bg, conv, conversation.Message{Role: conversation.RoleNote, Text: "intern"}); err != nil || len(h.fake.messages()) != 2 {
		t.Fatalf("a note was sent (%v)", err)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestStoreDown(t *testing.T) {
	rs := redistest.Start(t)
	h := newHarness(t, harnessOpts{store: conversation.NewRedis(rs.Client(t), conversation.Options{})})
	form := smsForm(h.sid("SM"), citizen, "Was kostet ein Personalausweis?")
	sid := h.sid("CA")
	rs.Stop(t)

	// SMS: the citizen is asked to send again; nothing half-done stays behind.
	rep := h.post(twilio.PathSMS, form)
	if rep.status != http.StatusOK || !strings.Contains(messageText(t, rep), "noch einmal") {
		t.Fatalf("sms while the store is down: %d %s", rep.status, rep.body)
	}
	// A call: an apology in both languages, then the call ends.
	rep = h.call(twilio.PathVoice, sid, citizen)
	if strings.Join(rep.doc.verbs(), ",") != "Say,Say,Hangup" {
		t.Fatalf("call while the store is down:\n%s", rep.body)
	}

	// Back up: Twilio's retry of the same MessageSid is answered.
	rs.Restart(t)
	testtime.WaitFor(t, 5*time.Second, "redis", func() bool { _, err := h.store.Get(bg, "probe"); return errors.Is(err, conversation.ErrNotFound) })
	rep = h.post(twilio.PathSMS, form)
	if !strings.Contains(messageText(t, rep), "37,00 Euro") {
		t.Fatalf("retry after the outage: %s", rep.body)
	}
	if !strings.Contains(h.logs.String(), "twilio sms: idempotency unavailable") {
		t.Fatalf("outage not logged:\n%s", h.logs.String())
	}
}
