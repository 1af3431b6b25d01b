package console_test

import (
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/civibot/civibot/conversation"
)

// msgs returns the transcript of a conversation through the API.
func (c *client) transcript(id string) (map[string]any, []map[string]any) {
	c.t.Helper()
	code, body := c.do("GET", "/console/api/conversations/"+id, nil)
	if code != 200 {
		c.t.Fatalf("transcript %s: %d %v", id, code, body)
	}
	var out []map[string]any
	for _, m := range body["messages"].([]any) {
		out = append(out, m.(map[string]any))
	}
	return body["conversation"].(map[string]any), out
}

func TestActions(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	h.waiting("w1", conversation.ChannelWeb, "de", "Mein Antrag ist seit Wochen unbearbeitet, Aktenzeichen 4711")
	anna, ben := h.login("anna"), h.login("ben")

	// The queue shows the waiting conversation with its details.
	code, q := anna.do("GET", "/console/api/queue", nil)
	if code != 200 || !has(list(q, "waiting"), "w1") {
		t.Fatalf("queue = %d %v", code, q)
	}
	s := q["waiting"].([]any)[0].(map[string]any)
	for k, want := range map[string]any{"channel": "web", "language": "de", "reason": "low_confidence", "position": float64(1), "status": "waiting"} {
		if s[k] != want {
			t.Errorf("waiting entry %s = %v, want %v", k, s[k], want)
		}
	}
	if !strings.Contains(s["excerpt"].(string), "Aktenzeichen") || s["since"] == "" {
		t.Errorf("waiting entry = %v", s)
	}

	// Claim: anna wins, ben is told who.
	code, body := anna.do("POST", "/console/api/conversations/w1/claim", nil)
	if code != 200 || body["conversation"].(map[string]any)["status"] != "claimed" || body["conversation"].(map[string]any)["assignee"] != "anna" {
		t.Fatalf("anna claims = %d %v", code, body)
	}
	if code, body := anna.do("POST", "/console/api/conversations/w1/claim", nil); code != 200 {
		t.Errorf("claiming again what one holds = %d %v", code, body)
	}
	code, body = ben.do("POST", "/console/api/conversations/w1/claim", nil)
	if code != http.StatusConflict || body["error"] != "already_claimed" || body["assignee_name"] != "Anna Schmidt" {
		t.Errorf("ben claims = %d %v", code, body)
	}
	_, q = anna.do("GET", "/console/api/queue", nil)
	if !has(list(q, "mine"), "w1") || has(list(q, "waiting"), "w1") {
		t.Errorf("after the claim, anna's lists: %v", q)
	}
	_, q = ben.do("GET", "/console/api/queue", nil)
	if !has(list(q, "others"), "w1") || q["people"].(map[string]any)["anna"] != "Anna Schmidt" {
		t.Errorf("after the claim, ben's lists: %v", q)
	}

	// Reply: only the assignee.
	if code, body := ben.do("POST", "/console/api/conversations/w1/reply", map[string]string{"text": "Hallo"}); code != http.StatusConflict || body["error"] != "not_assignee" {
		t.Errorf("ben replies = %d %v", code, body)
	}
	code, body = anna.do("POST", "/console/api/conversations/w1/reply", map[string]string{"text": "Guten Tag, ich sehe nach."})
	if code != 200 || body["delivered"] != true {
		t.Fatalf("anna replies = %d %v", code, body)
	}
	m := body["message"].(map[string]any)
	if m["role"] != "caseworker" || m["author"] != "anna" || m["author_name"] != "Anna Schmidt" || m["seq"] == nil {
		t.Errorf("reply message = %v", m)
	}

	// Notes: any caseworker; private.
	if code, body := ben.do("POST", "/console/api/conversations/w1/note", map[string]string{"text": "Akte liegt bei Team 3"}); code != 200 || body["message"].(map[string]any)["role"] != "note" {
		t.Errorf("ben notes = %d %v", code, body)
	}

	// The transcript has everything: citizen, the bot's decision and
	// candidates, the system notice, the reply and the note.
	conv, ms := anna.transcript("w1")
	roles := []string{}
	for _, m := range ms {
		roles = append(roles, m["role"].(string))
	}
	if got := strings.Join(roles, ","); got != "citizen,bot,system,caseworker,note" {
		t.Errorf("transcript roles = %s", got)
	}
	d := ms[1]["decision"].(map[string]any)
	cands := d["candidates"].([]any)
	if d["confidence"] != 0.31 || len(cands) != 1 || cands[0].(map[string]any)["url"] != "https://www.musterstadt.example/personalausweis" {
		t.Errorf("bot decision = %v", d)
	}
	if ms[4]["author_name"] != "Ben Braun" {
		t.Errorf("note = %v", ms[4])
	}
	audit := conv["handoff"].(map[string]any)["audit"].([]any)
	if len(audit) < 4 || conv["people"].(map[string]any)["ben"] != "Ben Braun" {
		t.Errorf("conversation = %v", conv)
	}

	// The same reply sent again with its client id (the browser lost the
	// answer) is stored once.
	retry := map[string]string{"text": "Ich melde mich gleich.", "client_id": "0f3a9c2e-b1"}
	code, first := anna.do("POST", "/console/api/conversations/w1/reply", retry)
	code2, again := anna.do("POST", "/console/api/conversations/w1/reply", retry)
	if code != 200 || code2 != 200 {
		t.Fatalf("reply with a client id = %d %v, again %d %v", code, first, code2, again)
	}
	if s1, s2 := first["message"].(map[string]any)["seq"], again["message"].(map[string]any)["seq"]; s1 != s2 {
		t.Errorf("the repeated reply got seq %v, the first %v: stored twice", s2, s1)
	}
	_, tr := anna.transcript("w1")
	n := 0
	for _, m := range tr {
		if m["text"] == retry["text"] {
			n++
		}
	}
	if n != 1 {
		t.Errorf("the repeated reply is %d times in the transcript, want once", n)
	}

	// Transfer to a colleague; not to an unknown or disabled one.
	for _, to := range []string{"bert", "dora", "not a name"} {
		if code, body := anna.do("POST", "/console/api/conversations/w1/transfer", map[string]string{"to": to}); code != http.StatusUnprocessableEntity || body["error"] != "unknown_caseworker" {
			t.Errorf("transfer to %s = %d %v", to, code, body)
		}
	}
	if code, body := anna.do("POST", "/console/api/conversations/w1/transfer", map[string]string{"to": "anna"}); code != 400 {
		t.Errorf("transfer to oneself = %d %v", code, body)
	}
	code, body = anna.do("POST", "/console/api/conversations/w1/transfer", map[string]string{"to": "ben"})
	if code != 200 || body["conversation"].(map[string]any)["assignee"] != "ben" {
		t.Fatalf("transfer = %d %v", code, body)
	}
	if code, _ := anna.do("POST", "/console/api/conversations/w1/reply", map[string]string{"text": "Noch da?"}); code != http.StatusConflict {
		t.Errorf("anna replies after the transfer = %d", code)
	}

	// Give back to the bot.
	code, body = ben.do("POST", "/console/api/conversations/w1/giveback", nil)
	if code != 200 || body["conversation"].(map[string]any)["status"] != "bot" {
		t.Fatalf("give back = %d %v", code, body)
	}
	if code, body := ben.do("POST", "/console/api/conversations/w1/giveback", nil); code != http.StatusConflict || body["error"] != "not_assignee" {
		t.Errorf("give back twice = %d %v", code, body)
	}
	if code, body := anna.do("POST", "/console/api/conversations/w1/claim", nil); code != http.StatusConflict || body["error"] != "not_waiting" {
		t.Errorf("claim a conversation with the bot = %d %v", code, body)
	}

	// Close with an outcome.
	h.waiting("w2", conversation.ChannelWeb, "en", "I need help")
	if code, body := anna.do("POST", "/console/api/conversations/w2/close", map[string]string{"outcome": "done"}); code != 400 || body["error"] != "invalid" ||
		!strings.Contains(body["message"].(string), "resolved") {
		t.Errorf("close with a bad outcome = %d %v", code, body)
	}
	anna.do("POST", "/console/api/conversations/w2/claim", nil)
	if code, body := ben.do("POST", "/console/api/conversations/w2/close", map[string]string{"outcome": "resolved"}); code != http.StatusConflict {
		t.Errorf("ben closes anna's conversation = %d %v", code, body)
	}
	code, body = anna.do("POST", "/console/api/conversations/w2/close", map[string]string{"outcome": "resolved"})
	cv := body["conversation"].(map[string]any)
	if code != 200 || cv["status"] != "closed" || cv["handoff"].(map[string]any)["outcome"] != "resolved" {
		t.Errorf("close = %d %v", code, body)
	}
	// Any caseworker may close a waiting conversation (spam).
	h.waiting("w3", conversation.ChannelWeb, "de", "kaufen sie billig")
	if code, body := ben.do("POST", "/console/api/conversations/w3/close", map[string]string{"outcome": "spam"}); code != 200 {
		t.Errorf("close waiting as spam = %d %v", code, body)
	}

	// Colleagues online (transfer targets) leave out the caller.
	if err := h.desk.Heartbeat(bg, "ben"); err != nil {
		t.Fatal(err)
	}
	_, body = anna.do("GET", "/console/api/colleagues", nil)
	names := fmt.Sprint(body["colleagues"])
	if !strings.Contains(names, "Ben Braun") || strings.Contains(names, "Anna Schmidt") {
		t.Errorf("colleagues = %s", names)
	}

	// No personal data in the logs: no message text, contact details,
	// names or passwords.
	logs := h.logs.String()
	for _, secret := range []string{"Aktenzeichen", "Guten Tag", "Akte liegt", "+4930123456", "Anna Schmidt", "Ben Braun", password} {
		if strings.Contains(logs, secret) {
			t.Errorf("the log contains %q", secret)
		}
	}
	if !strings.Contains(logs, "handoff claimed") {
		t.Errorf("the log lacks the claim: %s", logs)
	}
}

func TestReplyNotDelivered(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	// An SMS conversation on an instance where no SMS sender is set up:
	// the reply is stored but cannot be pushed.
	h.waiting("p1", conversation.ChannelSMS, "de", "Rückruf bitte")
	anna := h.login("anna")
	anna.do("POST", "/console/api/conversations/p1/claim", nil)
	code, body := anna.do("POST", "/console/api/conversations/p1/reply", map[string]string{"text": "Wir rufen Sie an."})
	if code != 200 || body["delivered"] != false || body["warning"] == nil {
		t.Fatalf("reply on SMS without a sender = %d %v", code, body)
	}
	conv, ms := anna.transcript("p1")
	if last := ms[len(ms)-1]; last["text"] != "Wir rufen Sie an." {
		t.Errorf("the reply was not stored: %v", last)
	}
	if conv["address"] != "+4930123456" {
		t.Errorf("the caller's number for the callback = %v", conv["address"])
	}
}

func TestCannedReplies(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	anna, rita := h.login("anna"), h.login("rita")
	if code, body := anna.do("GET", "/console/api/canned", nil); code != 200 || len(body["replies"].([]any)) != 0 {
		t.Fatalf("canned = %d %v", code, body)
	}
	list := map[string]any{"replies": []map[string]string{
		{"title": "Begrüßung", "text": "Guten Tag, hier ist das Bürgeramt.", "language": "de"},
		{"title": "Greeting", "text": "Hello, this is the citizens' office.", "language": "en"},
	}}
	if code, body := anna.do("PUT", "/console/api/canned", list); code != 403 || body["error"] != "admin_only" {
		t.Errorf("caseworker edits canned replies = %d %v", code, body)
	}
	if code, body := rita.do("PUT", "/console/api/canned", list, noHeader("X-CSRF-Token")); code != 403 || body["error"] != "csrf_missing" {
		t.Errorf("admin without CSRF = %d %v", code, body)
	}
	if code, body := rita.do("PUT", "/console/api/canned", list); code != 200 || len(body["replies"].([]any)) != 2 {
		t.Fatalf("admin edits = %d %v", code, body)
	}
	_, body := anna.do("GET", "/console/api/canned", nil)
	if r := body["replies"].([]any)[1].(map[string]any); r["title"] != "Greeting" || r["language"] != "en" {
		t.Errorf("canned after the edit = %v", body)
	}
	for _, bad := range []any{
		map[string]any{"replies": []map[string]string{{"title": "", "text": "x"}}},
		map[string]any{"replies": []map[string]string{{"title": "x", "text": "x", "language": "fr"}}},
		map[string]any{"replies": []map[string]string{{"title": strings.Repeat("x", 81), "text": "x"}}},
		map[string]any{},
	} {
		if code, body := rita.do("PUT", "/console/api/canned", bad); code != 400 || body["error"] != "invalid" {
			t.Errorf("bad canned list %v = %d %v", bad, code, body)
		}
	}
	if _, body := anna.do("GET", "/console/api/canned", nil); len(body["replies"].([]any)) != 2 {
		t.Errorf("a refused edit changed the list: %v", body)
	}
}

func TestForget(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	h.waiting("w1", conversation.ChannelWeb, "de", "Bitte löschen Sie meine Daten")
	anna, rita := h.login("anna"), h.login("rita")
	if code, body := anna.do("DELETE", "/console/api/conversations/w1", nil); code != 403 || body["error"] != "admin_only" {
		t.Errorf("caseworker forgets = %d %v", code, body)
	}
	if code, body := rita.do("DELETE", "/console/api/conversations/w1", nil); code != 200 || body["deleted"] != "w1" {
		t.Fatalf("admin forgets = %d %v", code, body)
	}
	if code, body := anna.do("GET", "/console/api/conversations/w1", nil); code != 404 || body["error"] != "not_found" {
		t.Errorf("transcript after forget = %d %v", code, body)
	}
	if _, q := anna.do("GET", "/console/api/queue", nil); has(list(q, "waiting"), "w1") {
		t.Error("the forgotten conversation is still in the queue")
	}
	if code, _ := rita.do("DELETE", "/console/api/conversations/w1", nil); code != 200 {
		t.Errorf("forgetting again = %d", code)
	}
}

func TestBadRequests(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	h.waiting("w1", conversation.ChannelWeb, "de", "Hallo")
	anna := h.login("anna")
	anna.do("POST", "/console/api/conversations/w1/claim", nil)
	tests := []struct {
		name         string
		method, path string
		body         any
		opts         []reqOpt
		code         int
		err          string
	}{
		{"bad json", "POST", "/console/api/conversations/w1/reply", `{"text": `, nil, 400, "bad_json"},
		{"json array", "POST", "/console/api/conversations/w1/reply", `["x"]`, nil, 400, "bad_json"},
		{"wrong type", "POST", "/console/api/conversations/w1/reply", `{"text": 5}`, nil, 400, "bad_json"},
		{"unknown field", "POST", "/console/api/conversations/w1/reply", `{"txt": "x"}`, nil, 400, "bad_json"},
		{"two objects", "POST", "/console/api/conversations/w1/reply", `{"text": "x"}{"text": "y"}`, nil, 400, "bad_json"},
		{"empty body", "POST", "/console/api/conversations/w1/reply", ``, nil, 400, "bad_json"},
		{"form post", "POST", "/console/api/conversations/w1/reply", `text=x`, []reqOpt{header("Content-Type", "application/x-www-form-urlencoded")}, 415, "bad_content_type"},
		{"empty text", "POST", "/console/api/conversations/w1/reply", map[string]string{"text": "  \n "}, nil, 400, "invalid"},
		{"text too long", "POST", "/console/api/conversations/w1/reply", map[string]string{"text": strings.Repeat("ä", 4001)}, nil, 400, "invalid"},
		{"client id with spaces", "POST", "/console/api/conversations/w1/reply", map[string]string{"text": "x", "client_id": "a b"}, nil, 400, "invalid"},
		{"client id too long", "POST", "/console/api/conversations/w1/reply", map[string]string{"text": "x", "client_id": strings.Repeat("a", 65)}, nil, 400, "invalid"},
		{"oversized body", "POST", "/console/api/conversations/w1/note", map[string]string{"text": strings.Repeat("x", 70<<10)}, nil, 413, "too_large"},
		{"oversized chunked", "POST", "/console/api/conversations/w1/note", []byte(`{"text":"` + strings.Repeat("x", 70<<10) + `"}`), []reqOpt{func(r *http.Request) { r.ContentLength = -1 }}, 413, "too_large"},
		{"unknown conversation", "POST", "/console/api/conversations/w0123456789abcdef0123456789abcdef/claim", nil, nil, 404, "not_found"},
		{"unknown transcript", "GET", "/console/api/conversations/w0123456789abcdef0123456789abcdef", nil, nil, 404, "not_found"},
		{"malformed id", "GET", "/console/api/conversations/%7Bx%7D", nil, nil, 400, "bad_id"},
		{"long id", "POST", "/console/api/conversations/" + strings.Repeat("a", 101) + "/claim", nil, nil, 400, "bad_id"},
		{"unknown route", "GET", "/console/api/nope", nil, nil, 404, "no_such_route"},
		{"wrong method", "PUT", "/console/api/conversations/w1/claim", nil, nil, 404, "no_such_route"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, body := anna.do(tt.method, tt.path, tt.body, tt.opts...)
			msg, _ := body["message"].(string)
			if code != tt.code || body["error"] != tt.err || msg == "" {
				t.Errorf("%s %s = %d %v, want %d %s with a message", tt.method, tt.path, code, body, tt.code, tt.err)
			}
		})
	}
	// Nothing of that was stored.
	_, ms := anna.transcript("w1")
	for _, m := range ms {
		if m["role"] == "caseworker" || m["role"] == "note" {
			t.Errorf("a refused request stored %v", m)
		}
	}
	code, body := anna.do("POST", "/console/api/conversations/w1/reply", map[string]string{"text": strings.Repeat("ä", 4000)})
	if code != 200 {
		t.Errorf("a reply of exactly 4000 characters = %d %v", code, body)
	}
}

func TestPage(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	c := h.newClient()
	resp := c.raw("GET", "/console", nil)
	resp.Body.Close()
	if resp.StatusCode != http.StatusMovedPermanently || resp.Header.Get("Location") != "/console/" {
		t.Errorf("GET /console = %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	resp = c.raw("GET", "/console/", nil)
	page := readAll(t, resp)
	csp := resp.Header.Get("Content-Security-Policy")
	for _, want := range []string{"script-src 'self'", "frame-ancestors 'none'", "default-src 'none'", "object-src 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	if strings.Contains(csp, "unsafe") {
		t.Errorf("CSP allows unsafe sources: %q", csp)
	}
	if resp.Header.Get("X-Frame-Options") != "DENY" || resp.Header.Get("X-Content-Type-Options") != "nosniff" || resp.Header.Get("ETag") == "" {
		t.Errorf("headers = %v", resp.Header)
	}
	// No inline script or event handler: the CSP forbids them anyway.
	if strings.Contains(page, "<script>") || regexp.MustCompile(`\son[a-z]+=`).MatchString(page) || !strings.Contains(page, `<script src="/console/console.js" defer>`) {
		t.Error("the page has inline script")
	}
	for _, landmark := range []string{`role="banner"`, "<main", "<nav", `aria-live="polite"`, `<label for="username"`, `<label for="reply"`} {
		if !strings.Contains(page, landmark) {
			t.Errorf("the page lacks %s", landmark)
		}
	}
	for _, path := range []string{"/console/console.js", "/console/console.css"} {
		resp := c.raw("GET", path, nil)
		body := readAll(t, resp)
		if resp.StatusCode != 200 || resp.Header.Get("ETag") == "" || !strings.Contains(resp.Header.Get("Cache-Control"), "max-age") || len(body) < 1000 {
			t.Errorf("GET %s = %d %v", path, resp.StatusCode, resp.Header)
		}
		resp = c.raw("GET", path, nil, header("If-None-Match", resp.Header.Get("ETag")))
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotModified {
			t.Errorf("revalidating %s = %d", path, resp.StatusCode)
		}
	}
	js := readAll(t, c.raw("GET", "/console/console.js", nil))
	if strings.Contains(js, "innerHTML") || strings.Contains(js, "insertAdjacentHTML") || strings.Contains(js, "document.write") {
		t.Error("console.js builds HTML from strings")
	}
}

func readAll(t *testing.T, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestReadPolicy: any caseworker may read, and add notes to, a
// conversation a colleague holds; the read is in the audit trail once per
// holding, the holder sees it; a conversation that never asked for a
// person is for administrators only (issues 16.3, 21.13).
func TestReadPolicy(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	h.waiting("w1", conversation.ChannelWeb, "de", "Ich brauche einen Termin")
	if _, err := h.store.Create(bg, conversation.Conversation{ID: "b1", Channel: conversation.ChannelWeb, Language: "de"}); err != nil {
		t.Fatal(err)
	}
	anna, ben, rita := h.login("anna"), h.login("ben"), h.login("rita")
	if code, body := anna.do("POST", "/console/api/conversations/w1/claim", nil); code != 200 {
		t.Fatalf("claim: %d %v", code, body)
	}
	viewed := func(c map[string]any) []string {
		var out []string
		for _, a := range c["handoff"].(map[string]any)["audit"].([]any) {
			if e := a.(map[string]any); e["action"] == "viewed" {
				out = append(out, e["actor"].(string))
			}
		}
		return out
	}
	anna.transcript("w1") // the holder's own reads are not recorded
	ben.transcript("w1")
	ben.transcript("w1") // once per holding
	if code, body := ben.do("POST", "/console/api/conversations/w1/note", map[string]any{"text": "Termin ist morgen frei"}); code != 200 {
		t.Errorf("note on a colleague's conversation: %d %v", code, body)
	}
	conv, _ := anna.transcript("w1")
	if got := viewed(conv); len(got) != 1 || got[0] != "ben" {
		t.Errorf("viewed by %v, want [ben] in the holder's audit trail", got)
	}
	// Bot-only conversations: administrators only.
	if code, body := ben.do("GET", "/console/api/conversations/b1", nil); code != 403 || body["error"] != "not_handed_off" {
		t.Errorf("caseworker reads a bot-only conversation: %d %v", code, body)
	}
	rita.transcript("b1")
}
