package main

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"github.com/civibot/civibot/internal/testtime"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	twAccount = "AC0123456789abcdef0123456789abcdef"
	twToken   = "f00dfeedf00dfeedf00dfeedf00dfeed"
	twPublic  = "https://civibot.musterstadt.example"
	twCitizen = "+491701234567"
)

// fakeMessagesAPI is Twilio's Messages resource on a local server: it
// checks basic auth and records what is sent.
type fakeMessagesAPI struct {
	mu   sync.Mutex
	sent []url.Values
}

func (f *fakeMessagesAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	if u, p, ok := r.BasicAuth(); !ok || u != twAccount || p != twToken {
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = io.WriteString(w, `{"code":20003,"message":"Authenticate","more_info":"https://www.twilio.com/docs/errors/20003","status":401}`)
		return
	}
	if r.URL.Path != "/2010-04-01/Accounts/"+twAccount+"/Messages.json" || r.ParseForm() != nil {
		w.WriteHeader(http.StatusNotFound)
		_, _ = io.WriteString(w, `{"code":20404,"message":"Not found","status":404}`)
		return
	}
	f.mu.Lock()
	f.sent = append(f.sent, r.PostForm)
	n := len(f.sent)
	f.mu.Unlock()
	w.WriteHeader(http.StatusCreated)
	_ = json.NewEncoder(w).Encode(map[string]any{"sid": fmt.Sprintf("SM%032x", n), "status": "queued", "to": r.PostForm.Get("To"), "body": r.PostForm.Get("Body")})
}

func (f *fakeMessagesAPI) messages() []url.Values {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]url.Values(nil), f.sent...)
}

// twilioPost posts a webhook signed as Twilio signs it (HMAC-SHA1 of the
// public URL and the sorted parameters).
func twilioPost(t *testing.T, base, path string, form url.Values) (int, string) {
	t.Helper()
	keys := make([]string, 0, len(form))
	for k := range form {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	s := twPublic + path
	for _, k := range keys {
		s += k + form.Get(k)
	}
	m := hmac.New(sha1.New, []byte(twToken))
	m.Write([]byte(s))
	req, _ := http.NewRequest(http.MethodPost, base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Twilio-Signature", base64.StdEncoding.EncodeToString(m.Sum(nil)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestServeTwilio: with twilio enabled, serve answers a signed SMS, the
// conversation shows in the console with its channel, number and
// transcript, and the caseworker's reply goes out through the REST API.
func TestServeTwilio(t *testing.T) {
	api := httptest.NewServer(&fakeMessagesAPI{})
	defer api.Close()
	fake := api.Config.Handler.(*fakeMessagesAPI)

	cfg := testConfig(t, "")
	cfg.Server.PublicURL = twPublic
	cfg.Twilio.Enabled = true
	cfg.Twilio.AccountSID, cfg.Twilio.AuthToken, cfg.Twilio.From = twAccount, twToken, "+4930555000"
	cfg.Twilio.APIBase = api.URL
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := runCmd(t, cheapEnv, casePassword+"\n", "user", "add", "erika", "--name", "Erika Mustermann",
		"--password-stdin", "--data-dir", cfg.Security.DataDir); code != 0 {
		t.Fatalf("user add: %s", errOut)
	}
	in := startInstance(t, cfg)
	if out := in.out.String(); !strings.Contains(out, "SMS webhook at "+twPublic+"/twilio/sms") {
		t.Errorf("serve printed %q", out)
	}
	erika := loginCaseworker(t, in.url, "erika", casePassword)
	erika.connect()
	// Online once the console's queue says so: the presence is written
	// after the socket opens (without the wait, 2 of 20 -race runs sent
	// the SMS first and got a callback ticket).
	erika.until("queue", func(f liveFrame) bool { return len(f["online"].([]any)) == 1 })

	sms := url.Values{"MessageSid": {"SM" + strings.Repeat("1", 32)}, "AccountSid": {twAccount}, "From": {twCitizen},
		"To": {"+4930555000"}, "Body": {"Ich möchte mit einem Mitarbeiter sprechen"}, "NumMedia": {"0"}}
	code, body := twilioPost(t, in.url, "/twilio/sms", sms)
	if code != http.StatusOK || !strings.Contains(body, "<Message") || !strings.Contains(body, "Warteschlange") {
		t.Fatalf("sms webhook: %d %s", code, body)
	}
	// Unsigned: refused.
	if resp, err := http.PostForm(in.url+"/twilio/sms", sms); err != nil || resp.StatusCode != http.StatusForbidden {
		t.Fatalf("unsigned webhook: %v %v", resp, err)
	}

	q := erika.until("queue", func(f liveFrame) bool { return len(ids(f, "waiting")) == 1 })
	id := ids(q, "waiting")[0]
	if w := q["waiting"].([]any)[0].(map[string]any); w["channel"] != "sms" {
		t.Fatalf("waiting = %v", w)
	}
	code, tr := erika.do("GET", "/console/api/conversations/"+id, nil)
	conv, _ := tr["conversation"].(map[string]any)
	msgs, _ := tr["messages"].([]any)
	if code != 200 || conv["channel"] != "sms" || conv["address"] != twCitizen || len(msgs) != 2 {
		t.Fatalf("console transcript: %d %v", code, tr)
	}

	if code, res := erika.do("POST", "/console/api/conversations/"+id+"/claim", nil); code != 200 {
		t.Fatalf("claim: %d %v", code, res)
	}
	code, res := erika.do("POST", "/console/api/conversations/"+id+"/reply", map[string]string{"text": "Guten Tag, hier ist Erika Mustermann."})
	if code != 200 || res["delivered"] != true {
		t.Fatalf("reply: %d %v", code, res)
	}
	sent := fake.messages()
	if len(sent) != 2 || sent[1].Get("To") != twCitizen || sent[1].Get("Body") != "Guten Tag, hier ist Erika Mustermann." ||
		!strings.HasPrefix(sent[1].Get("StatusCallback"), twPublic+"/twilio/sms/status?") {
		t.Fatalf("REST got %v", sent)
	}

	// A call to the same number: greeted, in the same conversation.
	call := url.Values{"CallSid": {"CA" + strings.Repeat("2", 32)}, "AccountSid": {twAccount}, "From": {twCitizen},
		"To": {"+4930555000"}, "CallStatus": {"ringing"}, "Direction": {"inbound"}}
	code, body = twilioPost(t, in.url, "/twilio/voice", call)
	if code != http.StatusOK || !strings.Contains(body, "<Gather") || !strings.Contains(body, "künstliche Intelligenz") {
		t.Fatalf("voice webhook: %d %s", code, body)
	}
	if _, tr := erika.do("GET", "/console/api/conversations/"+id, nil); tr["conversation"].(map[string]any)["channel"] != "voice" {
		t.Fatalf("after the call: %v", tr["conversation"])
	}
	if strings.Contains(in.logs.String(), twCitizen) {
		t.Fatalf("the phone number was logged:\n%s", in.logs.String())
	}
}

// TestServeTwilioUnansweredMessagesObserved: SMS the bot does not answer
// itself (HELP, STOP, a message after STOP, messages over the daily limit)
// go through the dialog service like any other, so /metrics and the
// console's analytics count them.
func TestServeTwilioUnansweredMessagesObserved(t *testing.T) {
	api := httptest.NewServer(&fakeMessagesAPI{})
	defer api.Close()
	cfg := testConfig(t, "")
	cfg.Server.PublicURL = twPublic
	cfg.Twilio.Enabled = true
	cfg.Twilio.AccountSID, cfg.Twilio.AuthToken, cfg.Twilio.From = twAccount, twToken, "+4930555000"
	cfg.Twilio.APIBase = api.URL
	cfg.Twilio.SMSAnswersPerDay = 1
	cfg.Metrics.Token = "metrics-token-0123456789"
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := runCmd(t, cheapEnv, casePassword+"\n", "user", "add", "erika", "--admin",
		"--password-stdin", "--data-dir", cfg.Security.DataDir); code != 0 {
		t.Fatalf("user add: %s", errOut)
	}
	in := startInstance(t, cfg)

	for i, step := range []struct {
		body, answer string // answer: a part of the TwiML <Message>, "" for none
	}{
		{"HILFE", "Musterstadt"},                   // the channel answers the keyword itself
		{"Was kostet ein Reisepass?", "Reisepass"}, // the one answer of the day
		{"Und ein Personalausweis?", ""},           // reaches the limit: a notice
		{"Hallo?", ""},                             // over the limit: silence
		{"STOPP", ""},                              // opted out (confirmed)
		{"Sind Sie noch da?", ""},                  // after STOP: stored, not answered
	} {
		sms := url.Values{"MessageSid": {fmt.Sprintf("SM%032d", i+1)}, "AccountSid": {twAccount}, "From": {twCitizen},
			"To": {"+4930555000"}, "Body": {step.body}, "NumMedia": {"0"}}
		code, body := twilioPost(t, in.url, "/twilio/sms", sms)
		if code != http.StatusOK || step.answer != "" && !strings.Contains(body, step.answer) {
			t.Fatalf("sms %q: %d %s", step.body, code, body)
		}
		if i == 3 || i == 5 {
			if strings.Contains(body, "<Message") {
				t.Errorf("sms %q answered: %s", step.body, body)
			}
		}
	}

	m := scrapeMetrics(t, in.url, cfg.Metrics.Token)
	if got := m[`civibot_messages_total{channel="sms",direction="in"}`]; got != 6 {
		t.Errorf("sms messages in = %v, want 6 (every one stored)", got)
	}
	if got := m[`civibot_messages_total{channel="sms",direction="out"}`]; got != 1 {
		t.Errorf("sms answers out = %v, want 1", got)
	}
	erika := loginCaseworker(t, in.url, "erika", casePassword)
	testtime.WaitFor(t, 10*time.Second, "the analytics", func() bool {
		code, body := erika.do("GET", "/console/api/analytics", nil)
		tt, _ := body["totals"].(map[string]any)
		return code == 200 && tt["messages"] == 6.0 && tt["conversations"] == 1.0
	})
}
