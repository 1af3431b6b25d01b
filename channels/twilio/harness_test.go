package twilio_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/civibot/civibot/accounts"
	"github.com/civibot/civibot/channels"
	"github.com/civibot/civibot/channels/twilio"
	"github.com/civibot/civibot/conversation"
	"github.com/civibot/civibot/dialog"
	"github.com/civibot/civibot/handoff"
	"github.com/civibot/civibot/internal/testcity"
	"github.com/civibot/civibot/internal/testtime"
	"github.com/civibot/civibot/knowledge"
)

var bg = context.Background()

const (
	accountSID = "AC0123456789abcdef0123456789abcdef"
	authToken  = "0123456789abcdef0123456789abcdef"
	civibotNum = "+4930555000"
	linePhone  = "+4930901820"
	citizen    = "+491701234567"
	idKey      = "test-installation-key-0123456789"
)

// sampleKB is the sample city, built once per test binary.
var sampleKB = testcity.KB

// Monday 10:00 in Berlin is inside office hours, Saturday is not.
var (
	berlin, _   = time.LoadLocation("Europe/Berlin")
	officeOpen  = time.Date(2026, 3, 2, 10, 0, 0, 0, berlin)
	officeShut  = time.Date(2026, 3, 7, 10, 0, 0, 0, berlin)
	officeHours = handoff.OfficeHours{TimeZone: "Europe/Berlin", Week: map[string]string{"mon-fri": "08:00-16:00"}}
)

// syncBuffer is a log sink safe for concurrent writers.
type syncBuffer = testcity.LogBuffer

// fakeTwilio speaks the part of Twilio's REST wire protocol civibot uses:
// POST /2010-04-01/Accounts/{sid}/Messages.json with a form body and basic
// auth, answering like Twilio (201 and the message JSON, or Twilio's error
// JSON).
type fakeTwilio struct {
	t   testing.TB
	srv *httptest.Server
	sid atomic.Int64

	mu   sync.Mutex
	sent []url.Values
	// fail answers a send to this number with this Twilio error code.
	fail map[string]int
}

func newFakeTwilio(t testing.TB) *fakeTwilio {
	f := &fakeTwilio{t: t, fail: map[string]int{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func twilioError(w http.ResponseWriter, status, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"code": code, "message": msg, "more_info": fmt.Sprintf("https://www.twilio.com/docs/errors/%d", code), "status": status,
	})
}

func (f *fakeTwilio) serve(w http.ResponseWriter, r *http.Request) {
	user, pass, ok := r.BasicAuth()
	if !ok || user != accountSID || pass != authToken {
		twilioError(w, http.StatusUnauthorized, 20003, "Authenticate")
		return
	}
	want := "/2010-04-01/Accounts/" + accountSID + "/Messages.json"
	if r.Method != http.MethodPost || r.URL.Path != want {
		twilioError(w, http.StatusNotFound, 20404, "The requested resource "+r.URL.Path+" was not found")
		return
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/x-www-form-urlencoded") {
		twilioError(w, http.StatusBadRequest, 20001, "bad content type "+ct)
		return
	}
	if err := r.ParseForm(); err != nil {
		twilioError(w, http.StatusBadRequest, 20001, "bad form")
		return
	}
	to, body := r.PostForm.Get("To"), r.PostForm.Get("Body")
	switch {
	case to == "":
		twilioError(w, http.StatusBadRequest, 21604, "A 'To' phone number is required.")
		return
	case body == "" && r.PostForm.Get("ContentSid") == "":
		twilioError(w, http.StatusBadRequest, 21602, "Message body is required.")
		return
	case r.PostForm.Get("From") == "" && r.PostForm.Get("MessagingServiceSid") == "":
		twilioError(w, http.StatusBadRequest, 21603, "A 'From' phone number is required.")
		return
	case len([]rune(body)) > 1600:
		twilioError(w, http.StatusBadRequest, 21617, "The concatenated message body exceeds the 1600 character limit.")
		return
	}
	f.mu.Lock()
	code := f.fail[to]
	if code == 0 {
		f.sent = append(f.sent, r.PostForm)
	}
	f.mu.Unlock()
	if code != 0 {
		twilioError(w, http.StatusBadRequest, code, "Attempt to send to unsubscribed recipient "+to)
		return
	}
	sid := fmt.Sprintf("SM%032x", f.sid.Add(1))
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"account_sid": accountSID, "api_version": "2010-04-01", "body": body, "date_created": "Mon, 02 Mar 2026 09:00:00 +0000",
		"date_sent": nil, "date_updated": "Mon, 02 Mar 2026 09:00:00 +0000", "direction": "outbound-api", "error_code": nil,
		"error_message": nil, "from": r.PostForm.Get("From"), "messaging_service_sid": nil, "num_media": "0",
		"num_segments": fmt.Sprint(twilio.EstimateSegments(body).Segments), "price": nil, "price_unit": "USD", "sid": sid,
		"status": "queued", "subresource_uris": map[string]string{"media": "/2010-04-01/Accounts/" + accountSID + "/Messages/" + sid + "/Media.json"},
		"to": to, "uri": "/2010-04-01/Accounts/" + accountSID + "/Messages/" + sid + ".json",
	})
}

// messages returns what the fake accepted.
func (f *fakeTwilio) messages() []url.Values {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]url.Values(nil), f.sent...)
}

func (f *fakeTwilio) failFor(number string, code int) {
	f.mu.Lock()
	f.fail[number] = code
	f.mu.Unlock()
}

// backend is a store that is also the bus and the idempotency keeper.
type backend interface {
	conversation.Store
	conversation.Bus
	conversation.Idempotency
}

// harness is the channel with the real dialog engine over the sample city,
// a store, the real handoff desk, on a real HTTP server; its REST calls go
// to the fake Twilio.
type harness struct {
	t      testing.TB
	clock  *testtime.Clock
	store  backend
	desk   *handoff.Desk
	svc    *dialog.Service
	ch     *twilio.Channel
	srv    *httptest.Server
	fake   *fakeTwilio
	logs   *syncBuffer
	public string // the URL Twilio signs against
	n      atomic.Int64
}

type harnessOpts struct {
	store  backend
	idem   conversation.Idempotency // default: store
	cfg    func(*twilio.Config)
	public string // server.public_url ("": the test server's URL)
	online bool   // anna has the console open
	at     time.Time
	kb     *knowledge.KB // the city's pages (nil: the sample city)
}

func newHarness(t testing.TB, o harnessOpts) *harness {
	t.Helper()
	kb := o.kb
	if kb == nil {
		var err error
		if kb, err = sampleKB(); err != nil {
			t.Fatal(err)
		}
	}
	if o.at.IsZero() {
		o.at = officeOpen
	}
	clk := testtime.NewClock(o.at)
	if o.store == nil {
		// The store keeps the test's time too (WhatsApp's 24-hour window).
		o.store = conversation.NewMemory(conversation.Options{Now: clk.Now})
	}
	h := &harness{t: t, clock: clk, store: o.store, fake: newFakeTwilio(t), logs: &syncBuffer{}}
	log := slog.New(slog.NewJSONHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))

	engine, err := dialog.NewEngine(dialog.Config{CityName: "Musterstadt"}, kb, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	acfg := accounts.Config{BcryptCost: accounts.MinBcryptCost}
	accts, err := accounts.NewMemory(acfg, filepath.Join(t.TempDir(), "accounts.json"), accounts.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := accts.AddUser(bg, "anna", "Anna Berger", accounts.RoleCaseworker, "correct horse battery"); err != nil {
		t.Fatal(err)
	}
	registry := channels.NewRegistry()
	dcfg := handoff.Config{Accounts: acfg, OfficeHours: officeHours}
	h.desk, err = handoff.New(dcfg, handoff.Options{State: h.store, Queue: handoff.NewMemoryQueue(), Registry: registry, Users: accts, Log: log, Now: h.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	if o.online {
		if err := h.desk.Heartbeat(bg, "anna"); err != nil {
			t.Fatal(err)
		}
	}
	h.svc, err = dialog.NewService(dialog.ServiceConfig{MaxMessageChars: 500}, dialog.ServiceOptions{Engine: engine, Store: h.store, Bus: h.store, Desk: h.desk, Log: log, Now: h.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	hours, err := officeHours.Compile()
	if err != nil {
		t.Fatal(err)
	}

	mux := http.NewServeMux()
	h.srv = httptest.NewServer(mux)
	t.Cleanup(h.srv.Close)
	h.public = o.public
	if h.public == "" {
		h.public = h.srv.URL
	}
	cfg := twilio.DefaultConfig()
	cfg.Enabled = true
	cfg.AccountSID, cfg.AuthToken = accountSID, authToken
	cfg.From = civibotNum
	cfg.CaseworkerLine = linePhone
	cfg.APIBase = h.fake.srv.URL
	if o.cfg != nil {
		o.cfg(&cfg)
	}
	if o.idem == nil {
		o.idem = h.store
	}
	h.ch, err = twilio.New(cfg, twilio.Options{
		Service: h.svc, Idempotency: o.idem, Hours: hours,
		Key: []byte(idKey), PublicURL: h.public, CityName: "Musterstadt", MaxMessageChars: 500,
		PrivacyURL: "https://www.musterstadt.example/datenschutz", Log: log, Now: h.clock.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	h.ch.Mount(mux)
	registry.Register(conversation.ChannelSMS, h.ch)
	registry.Register(conversation.ChannelVoice, h.ch)
	registry.Register(conversation.ChannelWhatsApp, h.ch)
	t.Cleanup(func() {
		// Phone numbers never reach the logs.
		for _, n := range []string{citizen, "1701234567", linePhone, civibotNum} {
			if strings.Contains(h.logs.String(), n) {
				t.Errorf("a phone number (%s) was logged:\n%s", n, h.logs.String())
			}
		}
	})
	return h
}

// sign computes X-Twilio-Signature as Twilio documents it: HMAC-SHA1 with
// the auth token over the full URL followed by each POST parameter's name
// and value, sorted by name; base64.
func sign(token, fullURL string, form url.Values) string {
	keys := make([]string, 0, len(form))
	for k := range form {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	s := fullURL
	for _, k := range keys {
		s += k + form.Get(k)
	}
	m := hmac.New(sha1.New, []byte(token))
	m.Write([]byte(s))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// reply is a webhook's answer.
type reply struct {
	status int
	body   string
	doc    node
}

// post sends a signed webhook to pathAndQuery (signed for the public URL).
func (h *harness) post(pathAndQuery string, form url.Values) reply {
	h.t.Helper()
	return h.postWith(pathAndQuery, form, sign(authToken, h.public+pathAndQuery, form), nil)
}

// postWith sends a webhook with the given signature ("" for none).
func (h *harness) postWith(pathAndQuery string, form url.Values, sig string, header http.Header) reply {
	h.t.Helper()
	req, err := http.NewRequest(http.MethodPost, h.srv.URL+pathAndQuery, strings.NewReader(form.Encode()))
	if err != nil {
		h.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("User-Agent", "TwilioProxy/1.1")
	if sig != "" {
		req.Header.Set("X-Twilio-Signature", sig)
	}
	for k, vs := range header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	if host := header.Get("Host"); host != "" {
		req.Host = host
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		h.t.Fatal(err)
	}
	rep := reply{status: resp.StatusCode, body: string(b)}
	if resp.StatusCode == http.StatusOK {
		if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/xml") {
			h.t.Fatalf("%s: content type %q, want TwiML", pathAndQuery, ct)
		}
		if err := xml.Unmarshal(b, &rep.doc); err != nil {
			h.t.Fatalf("%s: TwiML does not parse: %v\n%s", pathAndQuery, err, b)
		}
		if rep.doc.XMLName.Local != "Response" {
			h.t.Fatalf("%s: root element %q, want Response", pathAndQuery, rep.doc.XMLName.Local)
		}
	}
	return rep
}

// sid returns a fresh Twilio SID with the given prefix (SM, CA).
func (h *harness) sid(prefix string) string {
	return fmt.Sprintf("%s%032x", prefix, h.n.Add(1))
}

// smsForm is an incoming SMS as Twilio posts it.
func smsForm(sid, from, body string) url.Values {
	return url.Values{
		"ToCountry": {"DE"}, "ToState": {""}, "SmsMessageSid": {sid}, "NumMedia": {"0"}, "ToCity": {""},
		"FromZip": {""}, "SmsSid": {sid}, "FromState": {""}, "SmsStatus": {"received"}, "FromCity": {""},
		"Body": {body}, "FromCountry": {"DE"}, "To": {civibotNum}, "MessagingServiceSid": {""}, "ToZip": {""},
		"NumSegments": {"1"}, "MessageSid": {sid}, "AccountSid": {accountSID}, "From": {from}, "ApiVersion": {"2010-04-01"},
	}
}

// sms posts an SMS and returns the answer.
func (h *harness) sms(from, body string) reply {
	h.t.Helper()
	rep := h.post(twilio.PathSMS, smsForm(h.sid("SM"), from, body))
	if rep.status != http.StatusOK {
		h.t.Fatalf("sms: status %d: %s", rep.status, rep.body)
	}
	return rep
}

// callForm is a voice webhook as Twilio posts it; extra adds SpeechResult,
// Digits, Confidence, DialCallStatus ….
func callForm(callSid, from string, extra ...string) url.Values {
	f := url.Values{
		"Called": {civibotNum}, "ToState": {""}, "CallerCountry": {"DE"}, "Direction": {"inbound"},
		"CallerState": {""}, "ToZip": {""}, "CallSid": {callSid}, "To": {civibotNum}, "CallerZip": {""},
		"ToCountry": {"DE"}, "CallToken": {"%7B%22parentCallInfoToken%22%3A%22%22%7D"}, "CalledZip": {""},
		"ApiVersion": {"2010-04-01"}, "CalledCity": {""}, "CallStatus": {"in-progress"}, "From": {from},
		"AccountSid": {accountSID}, "CalledCountry": {"DE"}, "CallerCity": {""}, "ToCity": {""},
		"FromCountry": {"DE"}, "Caller": {from}, "FromCity": {""}, "CalledState": {""}, "FromZip": {""}, "FromState": {""},
	}
	for i := 0; i+1 < len(extra); i += 2 {
		f.Set(extra[i], extra[i+1])
	}
	return f
}

// call posts a voice webhook to an absolute action URL from TwiML (or a
// path) and returns the TwiML answer.
func (h *harness) call(action, callSid, from string, extra ...string) reply {
	h.t.Helper()
	path := strings.TrimPrefix(action, h.public)
	rep := h.post(path, callForm(callSid, from, extra...))
	if rep.status != http.StatusOK {
		h.t.Fatalf("%s: status %d: %s", path, rep.status, rep.body)
	}
	return rep
}

// transcript returns the conversation's stored messages.
func (h *harness) transcript(id string) []conversation.Message {
	h.t.Helper()
	msgs, err := h.store.Messages(bg, id, 0, 0)
	if err != nil {
		h.t.Fatal(err)
	}
	return msgs
}

func phoneID(number string) string { return conversation.PhoneID([]byte(idKey), number) }

// node is a parsed TwiML element.
type node struct {
	XMLName xml.Name
	Attrs   []xml.Attr `xml:",any,attr"`
	Text    string     `xml:",chardata"`
	Nodes   []node     `xml:",any"`
}

func (n node) attr(name string) string {
	for _, a := range n.Attrs {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

// all returns the descendants named name, in document order.
func (n node) all(name string) []node {
	var out []node
	for _, c := range n.Nodes {
		if c.XMLName.Local == name {
			out = append(out, c)
		}
		out = append(out, c.all(name)...)
	}
	return out
}

// verbs lists the top-level verbs.
func (n node) verbs() []string {
	out := make([]string, len(n.Nodes))
	for i, c := range n.Nodes {
		out[i] = c.XMLName.Local
	}
	return out
}

// said joins the text of every <Say>.
func (n node) said() string {
	var parts []string
	for _, s := range n.all("Say") {
		parts = append(parts, s.Text)
	}
	return strings.Join(parts, " ")
}
