package twilio_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/civibot/civibot/channels/twilio"
	"github.com/civibot/civibot/conversation"
	"github.com/civibot/civibot/knowledge"
)

// gatherOf returns the answer's one <Gather> and checks how it listens.
func gatherOf(t *testing.T, h *harness, rep reply, lang string) node {
	t.Helper()
	gs := rep.doc.all("Gather")
	if len(gs) != 1 {
		t.Fatalf("%d <Gather>, want 1:\n%s", len(gs), rep.body)
	}
	g := gs[0]
	for k, want := range map[string]string{
		"input": "speech dtmf", "language": lang, "speechTimeout": "auto", "method": "POST", "numDigits": "1", "actionOnEmptyResult": "true",
	} {
		if got := g.attr(k); got != want {
			t.Errorf("<Gather %s=%q>, want %q:\n%s", k, got, want, rep.body)
		}
	}
	if !strings.HasPrefix(g.attr("action"), h.public+"/twilio/voice/") {
		t.Errorf("<Gather action=%q> is not an absolute civibot URL", g.attr("action"))
	}
	for _, s := range g.all("Say") {
		if s.attr("language") != lang && !strings.HasPrefix(g.attr("action"), h.public+twilio.PathLanguage) {
			t.Errorf("<Say language=%q> in a %s gather", s.attr("language"), lang)
		}
	}
	return g
}

// action returns the action URL's query.
func query(t *testing.T, action string) url.Values {
	t.Helper()
	u, err := url.Parse(action)
	if err != nil {
		t.Fatal(err)
	}
	return u.Query()
}

// startCall answers a call and picks the language with a key ("1" or "2");
// it returns the first question gather.
func startCall(t *testing.T, h *harness, sid, from, key string) node {
	t.Helper()
	rep := h.call(twilio.PathVoice, sid, from)
	g := gatherOf(t, h, rep, "de-DE")
	if g.attr("action") != h.public+twilio.PathLanguage {
		t.Fatalf("greeting gathers to %q", g.attr("action"))
	}
	lang := map[string]string{"1": "de-DE", "2": "en-GB"}[key]
	return gatherOf(t, h, h.call(g.attr("action"), sid, from, "Digits", key), lang)
}

func TestCallWalk(t *testing.T) {
	for _, tt := range []struct {
		name string
		at   time.Time
		open bool
	}{
		{"during office hours the caller is put through", officeOpen, true},
		{"outside office hours a callback is recorded", officeShut, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, harnessOpts{online: tt.open, at: tt.at})
			sid := h.sid("CA")
			id := phoneID(citizen)

			// Greeting: the AI disclosure and the choice of language, each in its own voice.
			rep := h.call(twilio.PathVoice, sid, citizen)
			g := gatherOf(t, h, rep, "de-DE")
			says := g.all("Say")
			if len(says) != 2 || says[0].attr("language") != "de-DE" || says[0].attr("voice") != twilio.DefaultVoiceDE ||
				says[1].attr("language") != "en-GB" || says[1].attr("voice") != twilio.DefaultVoiceEN {
				t.Fatalf("greeting says:\n%s", rep.body)
			}
			if !strings.Contains(says[0].Text, "künstliche Intelligenz, kein Mensch") || !strings.Contains(says[0].Text, "drücken Sie die 1") ||
				!strings.Contains(says[1].Text, "AI, not a person") || !strings.Contains(says[1].Text, "press 2") {
				t.Fatalf("greeting does not disclose the AI or offer the languages:\n%s", rep.body)
			}
			conv, err := h.store.Get(bg, id)
			if err != nil || conv.Channel != conversation.ChannelVoice || conv.Address != citizen {
				t.Fatalf("conversation = %+v (%v)", conv, err)
			}

			// "English" by speech.
			rep = h.call(g.attr("action"), sid, citizen, "SpeechResult", "English.", "Confidence", "0.87")
			g = gatherOf(t, h, rep, "en-GB")
			if q := query(t, g.attr("action")); q.Get("l") != "en" || !strings.HasPrefix(g.attr("action"), h.public+twilio.PathTurn) {
				t.Fatalf("question gather action %q", g.attr("action"))
			}
			if s := g.all("Say"); len(s) != 1 || s[0].attr("voice") != twilio.DefaultVoiceEN || !strings.Contains(s[0].Text, "press 0") {
				t.Fatalf("question prompt:\n%s", rep.body)
			}

			// A question: a short spoken answer, the link offered by SMS, "anything else?".
			rep = h.call(g.attr("action"), sid, citizen, "SpeechResult", "How much does an ID card cost?", "Confidence", "0.93")
			g = gatherOf(t, h, rep, "en-GB")
			said := g.said()
			for _, want := range []string{"37", "press 1 or say yes", "anything else"} {
				if !strings.Contains(said, want) {
					t.Errorf("answer does not say %q:\n%s", want, rep.body)
				}
			}
			if strings.Contains(said, "https://") || strings.Contains(said, "•") || strings.Contains(said, "AI, not a person") {
				t.Errorf("spoken answer reads out a link, a list or the disclosure again:\n%s", said)
			}
			answer := g.all("Say")[0].Text
			if n := strings.Count(answer, ". "); n > 3 {
				t.Errorf("spoken answer has %d sentences: %s", n+1, answer)
			}
			if query(t, g.attr("action")).Get("a") == "" {
				t.Fatalf("the link offer is not in the action URL: %q", g.attr("action"))
			}

			// Key 1: the link goes out by SMS through the REST API.
			rep = h.call(g.attr("action"), sid, citizen, "Digits", "1")
			g = gatherOf(t, h, rep, "en-GB")
			sent := h.fake.messages()
			if len(sent) != 1 || sent[0].Get("To") != citizen || !strings.Contains(sent[0].Get("Body"), "https://www.musterstadt.example/") {
				t.Fatalf("link SMS = %v", sent)
			}
			if !strings.Contains(g.said(), "sent you the link") {
				t.Fatalf("link confirmation:\n%s", rep.body)
			}

			// "I'd like to talk to a person": handoff by phone.
			rep = h.call(g.attr("action"), sid, citizen, "SpeechResult", "I would like to talk to a person please", "Confidence", "0.9")
			if tt.open {
				if verbs := rep.doc.verbs(); strings.Join(verbs, ",") != "Say,Dial" {
					t.Fatalf("verbs = %v:\n%s", verbs, rep.body)
				}
				d := rep.doc.all("Dial")[0]
				if strings.TrimSpace(d.Text) != linePhone || d.attr("callerId") != civibotNum || d.attr("timeout") != "25" ||
					d.attr("action") != h.public+twilio.PathDial+"?l=en" {
					t.Fatalf("dial:\n%s", rep.body)
				}
				if !strings.Contains(rep.doc.said(), "putting you through") {
					t.Fatalf("not told they are put through:\n%s", rep.body)
				}
				waiting, err := h.desk.Waiting(bg)
				if err != nil || len(waiting) != 1 || waiting[0].ConversationID != id || waiting[0].Channel != conversation.ChannelVoice {
					t.Fatalf("console queue = %+v (%v)", waiting, err)
				}
				// The caseworker took the call.
				rep = h.call(d.attr("action"), sid, citizen, "DialCallStatus", "completed", "DialCallDuration", "95", "DialCallSid", h.sid("CA"))
				if verbs := rep.doc.verbs(); strings.Join(verbs, ",") != "Say,Hangup" || !strings.Contains(rep.doc.said(), "Goodbye") {
					t.Fatalf("after the talk:\n%s", rep.body)
				}
			} else {
				if verbs := rep.doc.verbs(); verbs[len(verbs)-1] != "Hangup" || len(rep.doc.all("Dial")) != 0 {
					t.Fatalf("verbs = %v:\n%s", verbs, rep.body)
				}
				if said := rep.doc.said(); !strings.Contains(said, "call you back on this number") || !strings.Contains(said, "back on Monday at 08:00") {
					t.Fatalf("callback not announced:\n%s", rep.body)
				}
				tickets, err := h.desk.Tickets(bg)
				if err != nil || len(tickets) != 1 || tickets[0].ConversationID != id || tickets[0].Channel != conversation.ChannelVoice ||
					tickets[0].Contact == nil || tickets[0].Contact.Phone != citizen {
					t.Fatalf("tickets = %+v (%v)", tickets, err)
				}
			}

			// The console's transcript has the whole call as text.
			tr, err := h.desk.Transcript(bg, id)
			if err != nil {
				t.Fatal(err)
			}
			var citizenSaid []string
			notes := 0
			for _, m := range tr.Messages {
				switch m.Role {
				case conversation.RoleCitizen:
					citizenSaid = append(citizenSaid, m.Text)
				case conversation.RoleNote:
					notes++
				}
			}
			if len(citizenSaid) != 2 || citizenSaid[0] != "How much does an ID card cost?" {
				t.Fatalf("citizen turns in the transcript = %q", citizenSaid)
			}
			if tr.Messages[0].Role != conversation.RoleBot || !strings.Contains(tr.Messages[0].Text, "künstliche Intelligenz") {
				t.Fatalf("the greeting is not the first message: %+v", tr.Messages[0])
			}
			if tt.open && notes != 1 {
				t.Fatalf("%d notes, want the one about the call put through", notes)
			}
			if tr.Conversation.Language != "en" {
				t.Fatalf("language = %q", tr.Conversation.Language)
			}
		})
	}
}

func TestCallDialNoAnswer(t *testing.T) {
	h := newHarness(t, harnessOpts{online: true})
	sid := h.sid("CA")
	g := startCall(t, h, sid, citizen, "1")
	rep := h.call(g.attr("action"), sid, citizen, "Digits", "0")
	d := rep.doc.all("Dial")
	if len(d) != 1 {
		t.Fatalf("key 0 did not put the caller through:\n%s", rep.body)
	}
	rep = h.call(d[0].attr("action"), sid, citizen, "DialCallStatus", "no-answer", "DialCallDuration", "0")
	if verbs := rep.doc.verbs(); verbs[len(verbs)-1] != "Hangup" || !strings.Contains(rep.doc.said(), "rufen Sie unter dieser Nummer zurück") {
		t.Fatalf("no answer:\n%s", rep.body)
	}
	tickets, err := h.desk.Tickets(bg)
	if err != nil || len(tickets) != 1 || tickets[0].Contact == nil || tickets[0].Contact.Phone != citizen {
		t.Fatalf("tickets = %+v (%v)", tickets, err)
	}
}

func TestCallMisunderstanding(t *testing.T) {
	h := newHarness(t, harnessOpts{at: officeShut})
	sid := h.sid("CA")
	g := startCall(t, h, sid, citizen, "1")

	// Silence: asked again once.
	rep := h.call(g.attr("action"), sid, citizen)
	g = gatherOf(t, h, rep, "de-DE")
	if !strings.Contains(g.said(), "nicht verstanden") || query(t, g.attr("action")).Get("m") != "1" {
		t.Fatalf("first silence:\n%s", rep.body)
	}
	// Speech Twilio is unsure of counts as not understood: a person is offered.
	rep = h.call(g.attr("action"), sid, citizen, "SpeechResult", "Was kostet ein Personalausweis?", "Confidence", "0.31")
	g = gatherOf(t, h, rep, "de-DE")
	if !strings.Contains(g.said(), "Mitarbeiterin oder einem Mitarbeiter sprechen") || query(t, g.attr("action")).Get("p") != "1" {
		t.Fatalf("second miss:\n%s", rep.body)
	}
	if msgs := h.transcript(phoneID(citizen)); len(msgs) != 1 {
		t.Fatalf("misunderstood speech was stored as a question: %+v", msgs)
	}
	// "Ja" takes the offer: outside office hours, a callback.
	rep = h.call(g.attr("action"), sid, citizen, "SpeechResult", "Ja.", "Confidence", "0.8")
	if !strings.Contains(rep.doc.said(), "rufen Sie unter dieser Nummer zurück") {
		t.Fatalf("offer taken:\n%s", rep.body)
	}
	if tickets, _ := h.desk.Tickets(bg); len(tickets) != 1 {
		t.Fatalf("tickets = %+v", tickets)
	}
}

func TestCallMisunderstandingRecovers(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	sid := h.sid("CA")
	g := startCall(t, h, sid, citizen, "1")
	g = gatherOf(t, h, h.call(g.attr("action"), sid, citizen, "Digits", "7"), "de-DE") // no such choice
	if query(t, g.attr("action")).Get("m") != "1" {
		t.Fatalf("unexpected key not counted: %q", g.attr("action"))
	}
	// Understood now: answered, and the count starts again.
	rep := h.call(g.attr("action"), sid, citizen, "SpeechResult", "Was kostet ein Personalausweis", "Confidence", "0.9")
	g = gatherOf(t, h, rep, "de-DE")
	if !strings.Contains(g.said(), "37,00 Euro") || query(t, g.attr("action")).Get("m") != "" {
		t.Fatalf("answer after a miss:\n%s", rep.body)
	}
	// Three misses in a row: put through without asking further.
	for i, want := range []string{"nicht verstanden", "sprechen?"} {
		rep = h.call(g.attr("action"), sid, citizen)
		g = gatherOf(t, h, rep, "de-DE")
		if !strings.Contains(g.said(), want) {
			t.Fatalf("miss %d:\n%s", i+1, rep.body)
		}
	}
	rep = h.call(g.attr("action"), sid, citizen)
	if len(rep.doc.all("Dial")) != 1 {
		t.Fatalf("third miss:\n%s", rep.body)
	}
}

func TestCallLanguageChoice(t *testing.T) {
	h := newHarness(t, harnessOpts{at: officeShut})
	tests := []struct {
		name   string
		steps  [][]string // form extras per step at the language prompt
		lang   string
		expect string
	}{
		{"German by word", [][]string{{"SpeechResult", "Deutsch", "Confidence", "0.9"}}, "de-DE", "Wie kann ich Ihnen helfen"},
		{"English by key", [][]string{{"Digits", "2"}}, "en-GB", "How can I help you"},
		{"silence twice: German", [][]string{{}, {}}, "de-DE", "Wie kann ich Ihnen helfen"},
		{"a question straight away is answered", [][]string{{"SpeechResult", "Was kostet ein Personalausweis?", "Confidence", "0.9"}}, "de-DE", "37,00 Euro"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sid := h.sid("CA")
			from := "+49170555" + sid[len(sid)-4:]
			g := gatherOf(t, h, h.call(twilio.PathVoice, sid, from), "de-DE")
			var rep reply
			for i, extra := range tt.steps {
				rep = h.call(g.attr("action"), sid, from, extra...)
				if i < len(tt.steps)-1 {
					g = gatherOf(t, h, rep, "de-DE")
					if !strings.Contains(g.said(), "nicht verstanden") || !strings.Contains(g.said(), "press 2") {
						t.Fatalf("language asked again:\n%s", rep.body)
					}
				}
			}
			g = gatherOf(t, h, rep, tt.lang)
			if !strings.Contains(g.said(), tt.expect) {
				t.Fatalf("want %q:\n%s", tt.expect, rep.body)
			}
		})
	}
	// Key 0 at the language prompt: straight to a person (closed: callback).
	sid := h.sid("CA")
	g := gatherOf(t, h, h.call(twilio.PathVoice, sid, citizen), "de-DE")
	rep := h.call(g.attr("action"), sid, citizen, "Digits", "0")
	if !strings.Contains(rep.doc.said(), "zurück") || rep.doc.verbs()[len(rep.doc.verbs())-1] != "Hangup" {
		t.Fatalf("key 0 at the language prompt:\n%s", rep.body)
	}
}

func TestCallGoodbyeAndEmergency(t *testing.T) {
	h := newHarness(t, harnessOpts{online: true})
	sid := h.sid("CA")
	g := startCall(t, h, sid, citizen, "1")
	g = gatherOf(t, h, h.call(g.attr("action"), sid, citizen, "SpeechResult", "Was kostet ein Personalausweis?", "Confidence", "0.9"), "de-DE")
	rep := h.call(g.attr("action"), sid, citizen, "SpeechResult", "Nein danke, das war's.", "Confidence", "0.9")
	if strings.Join(rep.doc.verbs(), ",") != "Say,Hangup" || !strings.Contains(rep.doc.said(), "Auf Wiederhören") {
		t.Fatalf("goodbye:\n%s", rep.body)
	}

	// An emergency: the emergency numbers are said before the caller is put through.
	sid = h.sid("CA")
	g = startCall(t, h, sid, "+491609999999", "1")
	rep = h.call(g.attr("action"), sid, "+491609999999", "SpeechResult", "Hilfe, es brennt in meiner Wohnung!", "Confidence", "0.9")
	said := rep.doc.said()
	if !strings.Contains(said, "112") || len(rep.doc.all("Dial")) != 1 || strings.Index(said, "112") > strings.Index(said, "bleiben Sie dran") {
		t.Fatalf("emergency:\n%s", rep.body)
	}
}

func TestCallWithheldNumber(t *testing.T) {
	h := newHarness(t, harnessOpts{at: officeShut})
	const withheld = "+266696687" // Twilio's "anonymous"
	first, second := h.sid("CA"), h.sid("CA")
	g := startCall(t, h, first, withheld, "1")
	startCall(t, h, second, withheld, "1")
	// Two withheld callers do not share a conversation.
	for _, sid := range []string{first, second} {
		if _, err := h.store.Get(bg, conversation.PhoneID([]byte(idKey), "call:"+sid)); err != nil {
			t.Fatalf("conversation of call %s: %v", sid, err)
		}
	}
	if _, err := h.store.Get(bg, phoneID(withheld)); err == nil {
		t.Fatal("withheld callers were keyed by the pseudo-number")
	}
	rep := h.call(g.attr("action"), first, withheld, "SpeechResult", "Was kostet ein Personalausweis?", "Confidence", "0.9")
	if g = gatherOf(t, h, rep, "de-DE"); strings.Contains(g.said(), "SMS") || query(t, g.attr("action")).Get("a") != "" {
		t.Fatalf("a link by SMS was offered to a withheld number:\n%s", rep.body)
	}
	rep = h.call(g.attr("action"), first, withheld, "Digits", "0")
	if !strings.Contains(rep.doc.said(), "unterdrückt") {
		t.Fatalf("withheld callback:\n%s", rep.body)
	}
	tickets, _ := h.desk.Tickets(bg)
	if len(tickets) != 1 || tickets[0].Contact != nil {
		t.Fatalf("tickets = %+v (no number to call back)", tickets)
	}
}

func TestSMSAndCallShareAConversation(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	h.sms(citizen, "Was kostet ein Personalausweis?")
	sid := h.sid("CA")
	g := startCall(t, h, sid, citizen, "1")
	rep := h.call(g.attr("action"), sid, citizen, "SpeechResult", "Und welche Unterlagen brauche ich?", "Confidence", "0.9")
	// The follow-up is understood from the SMS before.
	if !strings.Contains(gatherOf(t, h, rep, "de-DE").said(), "Passfoto") {
		t.Fatalf("follow-up across channels:\n%s", rep.body)
	}
	conv, err := h.store.Get(bg, phoneID(citizen))
	if err != nil || conv.Channel != conversation.ChannelVoice {
		t.Fatalf("conversation = %+v (%v)", conv, err)
	}
	if n := len(h.transcript(conv.ID)); n != 5 { // SMS question, answer, greeting, spoken question, answer
		t.Fatalf("transcript has %d messages, want 5", n)
	}
}

// TestShortAnswersGiveTheAddress: asked by SMS or on the phone where an
// office is, the citizen gets its address from the page's contact block,
// not only the sentence that names the office: the SMS on lines of their
// own, the call read out as one run ("…, Lindenallee 12, 12345
// Musterstadt, Telefon …") without the web address.
func TestShortAnswersGiveTheAddress(t *testing.T) {
	kb, err := knowledge.Build(bg, []knowledge.Page{{ID: "schuldnerberatung", Title: "Schuldnerberatung", Language: "de",
		URL: "https://www.musterstadt.example/schuldnerberatung", Sections: []knowledge.Section{{Kind: knowledge.SectionDescription, Text: strings.Join([]string{
			"Die Schuldnerberatung der Stadt Musterstadt hilft Menschen, die ihre Schulden nicht mehr bezahlen können.",
			"Die Beraterinnen sehen sich mit Ihnen Ihre Einnahmen, Ausgaben und Schulden an und verhandeln mit den Gläubigern.",
			"Die Beratung ist kostenlos und vertraulich.",
			"Bringen Sie zum ersten Termin alle Briefe von Gläubigern, Ihre Kontoauszüge und Ihren Mietvertrag mit.",
			"Schuldnerberatung Musterstadt",
			"Lindenallee 12",
			"12345 Musterstadt",
			"Telefon 0123 456-700",
			"www.musterstadt.example/schulden",
		}, "\n")}}}}, knowledge.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { kb.Close() })
	h := newHarness(t, harnessOpts{kb: kb})

	text := messageText(t, h.sms(citizen, "Wo ist die Schuldnerberatung?"))
	if !strings.Contains(text, "\nSchuldnerberatung Musterstadt\nLindenallee 12\n12345 Musterstadt\nTelefon 0123 456-700") {
		t.Errorf("SMS answer without the address:\n%s", text)
	}

	sid := h.sid("CA")
	g := startCall(t, h, sid, "+491709876543", "1")
	rep := h.call(g.attr("action"), sid, "+491709876543", "SpeechResult", "Wo ist die Schuldnerberatung?", "Confidence", "0.9")
	said := gatherOf(t, h, rep, "de-DE").said()
	if !strings.Contains(said, "Schuldnerberatung Musterstadt, Lindenallee 12, 12345 Musterstadt, Telefon 0123 456-700.") || strings.Contains(said, "www.") {
		t.Errorf("call answer: want the address read out as one run, no web address:\n%s", said)
	}
}

func TestCallStatusCallbacks(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	sid := h.sid("CA")
	startCall(t, h, sid, citizen, "1")
	post := func(status string) {
		t.Helper()
		form := callForm(sid, citizen, "CallStatus", status, "CallDuration", "42", "Timestamp", "Mon, 02 Mar 2026 09:05:00 +0000", "SequenceNumber", "3")
		if rep := h.post(twilio.PathCallStatus, form); rep.status != http.StatusNoContent {
			t.Fatalf("status %s: %d %s", status, rep.status, rep.body)
		}
	}
	post("completed")
	post("failed")
	post("failed") // reported twice, noted once
	var notes []string
	for _, m := range h.transcript(phoneID(citizen)) {
		if m.Role == conversation.RoleNote {
			notes = append(notes, m.Text)
		}
	}
	if len(notes) != 1 || !strings.Contains(notes[0], "failed") {
		t.Fatalf("notes = %q", notes)
	}
	logs := h.logs.String()
	if !strings.Contains(logs, `"msg":"twilio call ended","conversation_id":"`+phoneID(citizen)+`","status":"completed","duration_s":42`) {
		t.Fatalf("call end not logged:\n%s", logs)
	}
}

func TestCallLinkNotSent(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	h.fake.failFor(citizen, 21610) // the number opted out at Twilio
	sid := h.sid("CA")
	g := startCall(t, h, sid, citizen, "1")
	g = gatherOf(t, h, h.call(g.attr("action"), sid, citizen, "SpeechResult", "Was kostet ein Personalausweis?", "Confidence", "0.9"), "de-DE")
	rep := h.call(g.attr("action"), sid, citizen, "SpeechResult", "Ja bitte", "Confidence", "0.9")
	g = gatherOf(t, h, rep, "de-DE")
	if !strings.Contains(g.said(), "nicht verschicken") || !strings.Contains(g.said(), "sonst noch helfen") {
		t.Fatalf("failed link:\n%s", rep.body)
	}
	msgs := h.transcript(phoneID(citizen))
	if last := msgs[len(msgs)-1]; last.Role != conversation.RoleNote || !strings.Contains(last.Text, "21610") {
		t.Fatalf("no note about the link that was not sent: %+v", last)
	}
	// Now known to be opted out: the next answer offers no link.
	rep = h.call(g.attr("action"), sid, citizen, "SpeechResult", "Was kostet ein Reisepass?", "Confidence", "0.9")
	if g = gatherOf(t, h, rep, "de-DE"); strings.Contains(g.said(), "SMS") {
		t.Fatalf("link offered after 21610:\n%s", rep.body)
	}
}

// TestCallLinkCountsAgainstSMSLimit: a link by SMS during a call counts
// against the number's daily SMS limit, so calling again and again sends
// no SMS beyond it.
func TestCallLinkCountsAgainstSMSLimit(t *testing.T) {
	h := newHarness(t, harnessOpts{cfg: func(c *twilio.Config) { c.SMSAnswersPerDay = 1 }})
	if text := messageText(t, h.sms(citizen, "Was kostet ein Personalausweis?")); !strings.Contains(text, "37,00 Euro") {
		t.Fatalf("the SMS within the limit was not answered: %q", text)
	}
	sid := h.sid("CA")
	g := startCall(t, h, sid, citizen, "1")
	g = gatherOf(t, h, h.call(g.attr("action"), sid, citizen, "SpeechResult", "Was kostet ein Reisepass?", "Confidence", "0.9"), "de-DE")
	rep := h.call(g.attr("action"), sid, citizen, "SpeechResult", "Ja bitte", "Confidence", "0.9")
	g = gatherOf(t, h, rep, "de-DE")
	if !strings.Contains(g.said(), "nicht verschicken") || !strings.Contains(g.said(), "sonst noch helfen") {
		t.Fatalf("the link over the limit:\n%s", rep.body)
	}
	if sent := h.fake.messages(); len(sent) != 0 {
		t.Fatalf("%d SMS sent by REST beyond the daily limit", len(sent))
	}
	if !strings.Contains(h.logs.String(), "daily SMS limit") {
		t.Error("the refused link was not logged with its reason")
	}
}

func TestWebhookMissingFields(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	form := smsForm("", citizen, "Hallo")
	form.Del("SmsSid")
	if rep := h.post(twilio.PathSMS, form); rep.status != http.StatusBadRequest {
		t.Fatalf("sms without MessageSid: %d", rep.status)
	}
	if rep := h.post(twilio.PathVoice, callForm("", citizen)); rep.status != http.StatusBadRequest {
		t.Fatalf("call without CallSid: %d", rep.status)
	}
	req, _ := http.NewRequest(http.MethodGet, h.srv.URL+twilio.PathSMS, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Fatalf("GET: %d", resp.StatusCode)
	}
}
