package twilio_test

import (
	"context"
	"encoding/xml"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/civibot/civibot/channels/twilio"
	"github.com/civibot/civibot/conversation"
)

// writeCounter is the memory backend counting every write: conversation
// changes and idempotency leases taken.
type writeCounter struct {
	*conversation.Memory
	writes atomic.Int64
}

func (w *writeCounter) Create(ctx context.Context, c conversation.Conversation) (conversation.Conversation, error) {
	w.writes.Add(1)
	return w.Memory.Create(ctx, c)
}

func (w *writeCounter) Append(ctx context.Context, id string, m conversation.Message) (conversation.Message, bool, error) {
	out, dup, err := w.Memory.Append(ctx, id, m)
	if err == nil && !dup {
		w.writes.Add(1)
	}
	return out, dup, err
}

func (w *writeCounter) Update(ctx context.Context, id string, fn func(*conversation.Conversation) error) (conversation.Conversation, error) {
	w.writes.Add(1)
	return w.Memory.Update(ctx, id, fn)
}

func (w *writeCounter) Delete(ctx context.Context, id string) error {
	w.writes.Add(1)
	return w.Memory.Delete(ctx, id)
}

func (w *writeCounter) Begin(ctx context.Context, key string, lease time.Duration) (bool, error) {
	ok, err := w.Memory.Begin(ctx, key, lease)
	if ok {
		w.writes.Add(1)
	}
	return ok, err
}

// fuzzRoutes are the webhooks a fuzzed request goes to (by its first
// argument, modulo).
var fuzzRoutes = []string{twilio.PathSMS, twilio.PathSMSStatus, twilio.PathVoice, twilio.PathLanguage,
	twilio.PathTurn, twilio.PathDial, twilio.PathCallStatus}

// e164 matches numbers the channel treats as a caller's (never logged).
var e164 = regexp.MustCompile(`^\+[1-9][0-9]{7,14}$`)

// FuzzWebhooks posts any form body, with any query, to any of the
// channel's webhooks, signed as Twilio signs (with the auth token over the
// public URL and the first value of each parameter) or with any other
// signature. Without a valid signature the answer is 403 and nothing is
// stored; a signed request gets TwiML that parses (root <Response>, SMS
// bodies within Twilio's 1,600 characters), 204 (status callbacks) or a
// 4xx that stores nothing;
// an SMS delivered again is not stored or answered again; the caller's
// number never reaches the log.
func FuzzWebhooks(f *testing.F) {
	store := &writeCounter{Memory: conversation.NewMemory(conversation.Options{})}
	h := newHarness(f, harnessOpts{store: store, online: true})
	enc := func(v url.Values) []byte { return []byte(v.Encode()) }
	sms := func(body string) []byte { return enc(smsForm(h.sid("SM"), citizen, body)) }
	// Seeds: Twilio's documented requests, then broken variants.
	for _, s := range []string{"Was kostet ein Personalausweis?", "STOP", "START", "HILFE", "help", "Ich möchte einen Menschen sprechen",
		"2", strings.Repeat("Ä", 1600), "😀 \u202e\x00", ""} {
		f.Add(uint8(0), sms(s), "", true, "")
	}
	media := smsForm(h.sid("SM"), citizen, "")
	media.Set("NumMedia", "1")
	media.Set("MediaUrl0", "https://api.twilio.com/2010-04-01/Accounts/"+accountSID+"/Messages/MM1/Media/ME1")
	f.Add(uint8(0), enc(media), "", true, "")
	noFrom := smsForm(h.sid("SM"), "", "Hallo")
	f.Add(uint8(0), enc(noFrom), "", true, "")
	other := smsForm(h.sid("SM"), citizen, "Hallo")
	other.Set("AccountSid", "AC00000000000000000000000000000000")
	f.Add(uint8(0), enc(other), "", true, "")
	f.Add(uint8(0), []byte("MessageSid=SM1&MessageSid=SM2&From=%2B491701234567&From=%2B49999&AccountSid="+accountSID+"&Body=a&Body=b"), "", true, "")
	f.Add(uint8(0), []byte("Body=%zz&From=+49&AccountSid="+accountSID), "", true, "")
	f.Add(uint8(0), []byte("a=1;b=2"), "", true, "")
	f.Add(uint8(0), sms("Hallo"), "", false, "tVcHCGN2Ze5d0QxuJ9RcUMP1VJM=")
	f.Add(uint8(0), sms("Hallo"), "bodySHA256=abc", false, "")
	f.Add(uint8(1), enc(url.Values{"MessageSid": {"SM0123456789abcdef0123456789abcdef"}, "MessageStatus": {"undelivered"}, "ErrorCode": {"30006"}, "AccountSid": {accountSID}}), "c="+phoneID(citizen)+"&m=2", true, "")
	call := h.sid("CA")
	f.Add(uint8(2), enc(callForm(call, citizen)), "", true, "")
	f.Add(uint8(2), enc(callForm(h.sid("CA"), "anonymous")), "", true, "")
	f.Add(uint8(3), enc(callForm(call, citizen, "Digits", "1", "SpeechResult", "Deutsch")), "l=de&t=0", true, "")
	f.Add(uint8(4), enc(callForm(call, citizen, "SpeechResult", "Was kostet ein Reisepass?", "Confidence", "0.91")), "l=de&t=1&m=0&a=0", true, "")
	f.Add(uint8(4), enc(callForm(call, citizen, "Digits", "0", "Confidence", "NaN")), "l=xx&t=-1&m=99999999999999999999", true, "")
	f.Add(uint8(5), enc(callForm(call, citizen, "DialCallStatus", "no-answer", "DialCallDuration", "-3")), "l=en", true, "")
	f.Add(uint8(6), enc(callForm(call, citizen, "CallStatus", "completed", "CallDuration", "61")), "", true, "")
	f.Fuzz(func(t *testing.T, route uint8, body []byte, query string, signed bool, sig string) {
		path := fuzzRoutes[int(route)%len(fuzzRoutes)]
		if query != "" {
			path += "?" + query
			if _, err := url.ParseRequestURI(path); err != nil || strings.ContainsAny(query, "# ") || !utf8.ValidString(query) {
				return // not a request line an HTTP client sends
			}
		}
		form, parseErr := url.ParseQuery(string(body))
		valid := ""
		if parseErr == nil {
			first := url.Values{}
			for k, v := range form {
				first.Set(k, v[0])
			}
			valid = sign(authToken, h.public+path, first)
		}
		if signed {
			sig = valid
		} else if !validHeaderValue(sig) {
			return // an HTTP client cannot send it
		}
		authentic := sig != "" && sig == valid && !strings.Contains(query, "bodySHA256")
		before := store.writes.Load()
		status, answer := fuzzPostForm(t, h, path, body, sig)
		wrote := store.writes.Load() - before

		switch {
		case !authentic && status != http.StatusForbidden && status != http.StatusRequestEntityTooLarge:
			t.Fatalf("unsigned request to %s: %d %s", path, status, answer)
		case status >= 500:
			t.Fatalf("%s: %d %s", path, status, answer)
		case status/100 != 2 && wrote != 0:
			t.Fatalf("%s refused with %d (%s) but wrote %d times", path, status, answer, wrote)
		case status == http.StatusOK:
			checkTwiML(t, path, answer)
		case status != http.StatusNoContent && status/100 == 2:
			t.Fatalf("%s: %d %s", path, status, answer)
		}
		if status == http.StatusOK && strings.HasPrefix(path, twilio.PathSMS+"?") || status == http.StatusOK && path == twilio.PathSMS {
			// Twilio retries: the same MessageSid is neither stored nor
			// answered again.
			before = store.writes.Load()
			status, answer = fuzzPostForm(t, h, path, body, sig)
			if status != http.StatusOK || store.writes.Load() != before || strings.Contains(answer, "<Message") {
				t.Fatalf("redelivered SMS: %d, %d writes, %s", status, store.writes.Load()-before, answer)
			}
		}
		if from := form.Get("From"); e164.MatchString(from) && strings.Contains(h.logs.String(), from) {
			t.Fatalf("the number %s was logged", from)
		}
		if strings.Contains(h.logs.String(), `"level":"ERROR"`) && strings.Contains(h.logs.String(), "panic") {
			t.Fatalf("panic:\n%s", h.logs.String())
		}
	})
}

func fuzzPostForm(t *testing.T, h *harness, path string, body []byte, sig string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, h.srv.URL+path, strings.NewReader(string(body)))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if sig != "" {
		req.Header.Set("X-Twilio-Signature", sig)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// checkTwiML parses an answer as Twilio would.
func checkTwiML(t *testing.T, path, doc string) {
	t.Helper()
	var n node
	if err := xml.Unmarshal([]byte(doc), &n); err != nil {
		t.Fatalf("%s: TwiML does not parse: %v\n%s", path, err, doc)
	}
	if n.XMLName.Local != "Response" {
		t.Fatalf("%s: root %q", path, n.XMLName.Local)
	}
	for _, m := range n.all("Message") {
		if c := utf8.RuneCountInString(m.Text); c > 1600 {
			t.Errorf("%s: an SMS of %d characters", path, c)
		}
		if a := m.attr("action"); a != "" && !strings.HasPrefix(a, "http") {
			t.Errorf("%s: action %q", path, a)
		}
	}
	for _, s := range n.all("Say") {
		if !utf8.ValidString(s.Text) {
			t.Errorf("%s: <Say> is not valid UTF-8", path)
		}
	}
}

// validHeaderValue: no control characters but tab (what net/http sends).
func validHeaderValue(v string) bool {
	for i := 0; i < len(v); i++ {
		if b := v[i]; b < ' ' && b != '\t' || b == 0x7f {
			return false
		}
	}
	return true
}
