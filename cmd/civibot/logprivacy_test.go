package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/civibot/civibot/config"
	"github.com/civibot/civibot/internal/telegramtest"
)

// Personal data a citizen gives in the log-privacy test. None of it may
// reach the log at info level.
const (
	privName    = "Zacharias Quendelbrot"
	privPhone   = "+49 151 98765432"
	privPhoneTw = "+4915198765432"
	privEmail   = "zq@quendel.example"
	privText    = "purpurne Giraffenleiter"
	privChatID  = 987654321
	privStaff   = "Erika Mustermann" // the caseworker's display name
)

// privFragments are the substrings that must not be in the log.
var privFragments = []string{"Zacharias", "Quendelbrot", "98765432", "zq@quendel", "quendel.example", "Giraffenleiter",
	fmt.Sprint(privChatID), privPhoneTw, privStaff}

// checkLog fails for personal data in a JSON log and returns its records.
func checkLog(t *testing.T, what, log string) []map[string]any {
	t.Helper()
	var recs []map[string]any
	for i, line := range strings.Split(strings.TrimSpace(log), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Errorf("%s: line %d is not JSON: %q", what, i+1, line)
			continue
		}
		recs = append(recs, rec)
	}
	for _, f := range privFragments {
		if strings.Contains(log, f) {
			for _, line := range strings.Split(log, "\n") {
				if strings.Contains(line, f) {
					t.Errorf("%s: the log holds %q: %s", what, f, line)
				}
			}
		}
	}
	return recs
}

// tgUpdateFrom is a Telegram message from a citizen with a full name.
func tgUpdateFrom(id int, text string) string {
	return fmt.Sprintf(`{"update_id":%d,"message":{"message_id":%d,"from":{"id":%d,"is_bot":false,"first_name":"Zacharias","last_name":"Quendelbrot","username":"zquendel","language_code":"de"},"chat":{"id":%d,"first_name":"Zacharias","last_name":"Quendelbrot","type":"private"},"date":1735725600,"text":%q}}`,
		id, id, privChatID, privChatID, text)
}

// TestLogPrivacy runs real conversations through the web chat, Telegram,
// SMS and the console — a question, feedback, a handoff, a caseworker's
// reply and note, the citizen's answer, erasure, and callback details —
// with a JSON logger at info level, and checks that no message text, name,
// phone number, e-mail address or chat id reaches the log, while the turns
// are logged with their conversation id and channel.
func TestLogPrivacy(t *testing.T) {
	fake := telegramtest.New(t)
	cfg := testConfig(t, "")
	enableChannels(t, &cfg, fake)
	if code, _, errOut := runCmd(t, cheapEnv, casePassword+"\n", "user", "add", "erika", "--admin", "--name", privStaff,
		"--password-stdin", "--data-dir", cfg.Security.DataDir); code != 0 {
		t.Fatalf("user add: %s", errOut)
	}
	in := startInstance(t, cfg)
	erika := loginCaseworker(t, in.url, "erika", casePassword)
	erika.connect()
	question := fmt.Sprintf("Ich heiße %s, Telefon %s, Mail %s – wo bekomme ich eine %s?", privName, privPhone, privEmail, privText)

	// Web chat: the question, a rating, "talk to a person".
	cit := dialCitizen(t, in.url, "", 0, nil)
	cit.send(map[string]any{"type": "message", "id": "m1", "text": question})
	bot := cit.until("message", func(f chatFrame) bool { return f.Message.Role == "bot" })
	cit.send(map[string]any{"type": "feedback", "id": "f1", "seq": bot.Message.Seq, "value": -1})
	cit.until("ack", func(f chatFrame) bool { return f.Ref == "f1" })
	cit.send(map[string]any{"type": "person", "id": "p1"})
	q := erika.until("queue", func(f liveFrame) bool { return len(ids(f, "waiting")) == 1 })
	id := ids(q, "waiting")[0]

	// The console: claim, reply and note with the citizen's data; the
	// citizen answers; close.
	if code, res := erika.do("POST", "/console/api/conversations/"+id+"/claim", nil); code != 200 {
		t.Fatalf("claim: %d %v", code, res)
	}
	if code, res := erika.do("POST", "/console/api/conversations/"+id+"/reply", map[string]string{"text": "Guten Tag Herr Quendelbrot, ich rufe Sie unter " + privPhone + " an."}); code != 200 {
		t.Fatalf("reply: %d %v", code, res)
	}
	if code, res := erika.do("POST", "/console/api/conversations/"+id+"/note", map[string]string{"text": "Rückruf an " + privEmail + " wegen " + privText}); code != 200 {
		t.Fatalf("note: %d %v", code, res)
	}
	cit.send(map[string]any{"type": "message", "id": "m2", "text": "Danke, meine zweite Nummer ist 0151 98765432, " + privText})
	cit.until("message", func(f chatFrame) bool { return f.Message.Role == "citizen" && f.Message.ClientID == "m2" })
	if code, res := erika.do("GET", "/console/api/conversations/"+id, nil); code != 200 {
		t.Fatalf("transcript: %d %v", code, res)
	}
	if code, res := erika.do("POST", "/console/api/conversations/"+id+"/close", map[string]string{"outcome": "resolved"}); code != 200 {
		t.Fatalf("close: %d %v", code, res)
	}

	// Telegram: a named user, the same text; a refused update.
	if code := postTelegram(t, in.url, tgSecret, tgUpdateFrom(11, question)); code != http.StatusOK {
		t.Fatalf("telegram: %d", code)
	}
	if code := postTelegram(t, in.url, tgSecret, tgUpdateFrom(12, "/human")); code != http.StatusOK {
		t.Fatalf("telegram /human: %d", code)
	}
	postTelegram(t, in.url, "wrong", tgUpdateFrom(13, privText))
	fake.WaitSent(2, 10e9)

	// SMS from the citizen's number; an unsigned one.
	sms := url.Values{"MessageSid": {"SM" + strings.Repeat("9", 32)}, "AccountSid": {twAccount}, "From": {privPhoneTw},
		"To": {"+4930555000"}, "Body": {question}, "NumMedia": {"0"}}
	if code, body := twilioPost(t, in.url, "/twilio/sms", sms); code != http.StatusOK {
		t.Fatalf("sms: %d %s", code, body)
	}
	http.PostForm(in.url+"/twilio/sms", sms)

	// The web citizen asks for erasure.
	cit.send(map[string]any{"type": "forget", "id": "x1"})
	cit.until("forgotten", nil)

	in.stop()
	recs := checkLog(t, "instance", in.logs.String())
	turns := map[string]bool{}
	for _, r := range recs {
		if r["msg"] == "dialog turn" {
			if cid, _ := r["conversation_id"].(string); cid == "" {
				t.Errorf("a turn without its conversation id: %v", r)
			}
			turns[fmt.Sprint(r["channel"])] = true
		}
	}
	if !turns["web"] || !turns["telegram"] || !turns["sms"] {
		t.Errorf("turns logged for %v, want web, telegram and sms", turns)
	}

	// Callback details outside office hours, on another instance.
	cfg2 := testConfig(t, "")
	cfg2.Handoff.OfficeHours.Week = map[string]string{"mon": "00:00-00:01"}
	cfg2.Handoff.OfficeHours.TimeZone = "Pacific/Kiritimati"
	in2 := startInstance(t, cfg2)
	cit2 := dialCitizen(t, in2.url, "", 0, nil)
	cit2.send(map[string]any{"type": "person", "id": "p1"})
	cit2.until("handoff", func(f chatFrame) bool { return f.Status == "ticket" })
	cit2.send(map[string]any{"type": "message", "id": "c1", "text": privName + ", " + privPhone + ", " + privEmail})
	cit2.until("message", func(f chatFrame) bool { return f.Message.Role == "bot" && f.Message.Seq > 2 })
	in2.stop()
	recs = checkLog(t, "ticket instance", in2.logs.String())
	ticket := false
	for _, r := range recs {
		if r["msg"] == "dialog turn" && r["decision"] == "contact" {
			ticket = true
		}
	}
	if !ticket {
		t.Errorf("the callback details were not taken (no contact turn logged):\n%s", in2.logs.String())
	}
}

// TestLogger: JSON unless told otherwise or on a terminal, at log.level.
func TestLogger(t *testing.T) {
	for _, tt := range []struct {
		format, level string
		json          bool
		debug         bool
	}{
		{"auto", "info", true, false}, // a buffer is no terminal: JSON
		{"json", "debug", true, true},
		{"text", "warn", false, false},
	} {
		var buf strings.Builder
		log, err := newLogger(config.Log{Format: tt.format, Level: tt.level}, &buf)
		if err != nil {
			t.Fatal(err)
		}
		log.Debug("d", "conversation_id", "w1")
		log.Warn("w", "conversation_id", "w1", "channel", "web")
		out := buf.String()
		if isJSON := strings.HasPrefix(out, "{"); isJSON != tt.json {
			t.Errorf("format %s: %q", tt.format, out)
		}
		if strings.Contains(out, `"msg":"d"`) || strings.Contains(out, "msg=d") {
			if !tt.debug {
				t.Errorf("level %s logged debug: %q", tt.level, out)
			}
		} else if tt.debug {
			t.Errorf("level debug dropped debug: %q", out)
		}
	}
	if _, err := newLogger(config.Log{Format: "json", Level: "loud"}, io.Discard); err == nil {
		t.Error("a bad level was accepted")
	}
}
