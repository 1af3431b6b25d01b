// Package telegramtest is a local fake of the Telegram Bot API wire
// protocol for tests: an httptest server that answers
// POST /bot<token>/<method> with form or JSON parameters the way
// api.telegram.org does ({"ok":true,"result":…} or
// {"ok":false,"error_code":…,"description":…,"parameters":{…}}), so the
// real client library can be pointed at it.
//
// It implements getMe, getUpdates (offsets confirm updates, long-poll
// timeout, 409 when a webhook is set or another getUpdates takes over),
// sendMessage (HTML is parsed as strictly as Telegram does, the 4,096
// character limit and the 64-byte callback data limit are enforced, and
// every message is recorded), answerCallbackQuery, setWebhook and
// deleteWebhook. Scripted responses (429 with retry_after, 5xx, malformed
// JSON) can be queued per method.
package telegramtest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf16"
)

// BotID and BotUsername are what getMe answers.
const (
	BotID       = 7000000001
	BotUsername = "musterstadt_bot"
	// Token is a token of the right shape for BotID.
	Token = "7000000001:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
)

// InstanceHeader names the request header a test's HTTP client may set to
// tell instances apart; the fake records it with each call.
const InstanceHeader = "X-Test-Instance"

// Server is the fake Bot API.
type Server struct {
	// URL is the API endpoint (config telegram.api_endpoint).
	URL   string
	Token string

	t   testing.TB
	srv *httptest.Server

	mu        sync.Mutex
	changed   chan struct{} // closed and replaced on every change
	updates   []pending
	offsets   []Poll
	sent      []Sent
	answered  []Answer
	webhook   Webhook
	script    map[string][]Response
	calls     map[string][]string // method → instance of each call
	blocked   map[int64]bool
	nextMsgID int
	polling   chan struct{} // closed to end the running long poll (409)
	closed    bool
}

type pending struct {
	id  int
	raw json.RawMessage
}

// Poll is one getUpdates call.
type Poll struct {
	Offset   int
	Timeout  int
	Allowed  []string
	Instance string
}

// Sent is one sendMessage call that Telegram accepted.
type Sent struct {
	ChatID int64
	// Text is the text as sent; Plain is what the citizen sees (entities
	// parsed for parse_mode HTML).
	Text, Plain    string
	ParseMode      string
	Markup         *Markup
	ReplyTo        int
	DisablePreview bool
	Instance       string
}

// Markup is an inline keyboard as sent in reply_markup.
type Markup struct {
	InlineKeyboard [][]Button `json:"inline_keyboard"`
}

// Button is one inline keyboard button.
type Button struct {
	Text         string `json:"text"`
	CallbackData string `json:"callback_data,omitempty"`
	URL          string `json:"url,omitempty"`
}

// Answer is one answerCallbackQuery call.
type Answer struct {
	ID, Text string
}

// Webhook is the state set by setWebhook / deleteWebhook.
type Webhook struct {
	URL            string
	SecretToken    string
	AllowedUpdates []string
	Sets, Deletes  int
}

// Response is a scripted answer to the next call of a method.
type Response struct {
	Status int
	Body   string
}

// RateLimited is Telegram's 429 "Too Many Requests: retry after N".
func RateLimited(retryAfter int) Response {
	return Response{Status: 429, Body: fmt.Sprintf(`{"ok":false,"error_code":429,"description":"Too Many Requests: retry after %d","parameters":{"retry_after":%d}}`, retryAfter, retryAfter)}
}

// ServerError is a 5xx answer with Telegram's JSON error body.
func ServerError(code int) Response {
	return Response{Status: code, Body: fmt.Sprintf(`{"ok":false,"error_code":%d,"description":"Internal Server Error"}`, code)}
}

// BadGateway is a proxy's HTML 502 page (not JSON).
func BadGateway() Response {
	return Response{Status: 502, Body: "<html><body><h1>502 Bad Gateway</h1></body></html>"}
}

// Pass lets a call through to the normal handling (to script a failure
// of a later call: Script(method, Pass(), ServerError(502))).
func Pass() Response { return Response{} }

// Malformed is a 200 answer that is not JSON.
func Malformed() Response { return Response{Status: 200, Body: `{"ok":tru`} }

// New starts the fake; it stops when the test ends.
func New(t testing.TB) *Server {
	t.Helper()
	s := &Server{
		Token: Token, t: t, changed: make(chan struct{}),
		script: map[string][]Response{}, calls: map[string][]string{}, blocked: map[int64]bool{},
		nextMsgID: 100,
	}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	s.URL = s.srv.URL
	t.Cleanup(s.Close)
	return s
}

// Close stops the server, ending running long polls.
func (s *Server) Close() {
	s.mu.Lock()
	if !s.closed {
		s.closed = true
		s.notifyLocked()
	}
	s.mu.Unlock()
	s.srv.CloseClientConnections()
	s.srv.Close()
}

func (s *Server) notifyLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// AddUpdate queues an update (JSON as Telegram sends it) for getUpdates.
func (s *Server) AddUpdate(raw string) {
	var u struct {
		UpdateID int `json:"update_id"`
	}
	if err := json.Unmarshal([]byte(raw), &u); err != nil || u.UpdateID <= 0 {
		s.t.Fatalf("telegramtest: update without update_id: %v\n%s", err, raw)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.updates = append(s.updates, pending{u.UpdateID, json.RawMessage(raw)})
	s.notifyLocked()
}

// Script queues responses for the next calls of method (before the
// normal handling resumes).
func (s *Server) Script(method string, rs ...Response) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.script[method] = append(s.script[method], rs...)
}

// Block makes sendMessage to chatID fail as for a user who blocked the bot.
func (s *Server) Block(chatID int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.blocked[chatID] = true
}

// Sent returns the accepted sendMessage calls so far.
func (s *Server) Sent() []Sent {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Sent(nil), s.sent...)
}

// SentTo returns the accepted messages to one chat.
func (s *Server) SentTo(chatID int64) []Sent {
	var out []Sent
	for _, m := range s.Sent() {
		if m.ChatID == chatID {
			out = append(out, m)
		}
	}
	return out
}

// Answered returns the answerCallbackQuery calls so far.
func (s *Server) Answered() []Answer {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Answer(nil), s.answered...)
}

// Polls returns the getUpdates calls so far.
func (s *Server) Polls() []Poll {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Poll(nil), s.offsets...)
}

// Webhook returns the webhook state.
func (s *Server) Webhook() Webhook {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.webhook
}

// SetWebhookState sets the webhook as if setWebhook had been called
// earlier (getUpdates then fails with 409).
func (s *Server) SetWebhookState(u string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.webhook.URL = u
}

// Calls returns the instances (InstanceHeader) of each call of method.
func (s *Server) Calls(method string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.calls[method]...)
}

// Pending returns the ids of updates not yet confirmed by an offset.
func (s *Server) Pending() []int {
	s.mu.Lock()
	defer s.mu.Unlock()
	ids := make([]int, len(s.updates))
	for i, u := range s.updates {
		ids[i] = u.id
	}
	return ids
}

// WaitFor polls cond until it holds or timeout passes (then the test fails).
func (s *Server) WaitFor(what string, timeout time.Duration, cond func() bool) {
	s.t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			s.t.Fatalf("telegramtest: timed out waiting for %s", what)
		}
		s.mu.Lock()
		ch := s.changed
		s.mu.Unlock()
		select {
		case <-ch:
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// WaitSent waits until at least n messages were accepted and returns them.
func (s *Server) WaitSent(n int, timeout time.Duration) []Sent {
	s.t.Helper()
	s.WaitFor(fmt.Sprintf("%d sent messages (have %d)", n, len(s.Sent())), timeout, func() bool { return len(s.Sent()) >= n })
	return s.Sent()
}

type apiResult struct {
	status int
	body   any
}

func ok(result any) apiResult {
	return apiResult{200, map[string]any{"ok": true, "result": result}}
}

func fail(code int, desc string) apiResult {
	return apiResult{code, map[string]any{"ok": false, "error_code": code, "description": desc}}
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	rest, found := strings.CutPrefix(r.URL.Path, "/bot")
	token, method, _ := strings.Cut(rest, "/")
	if !found || r.Method != http.MethodPost && r.Method != http.MethodGet {
		write(w, fail(404, "Not Found"))
		return
	}
	if token != s.Token {
		write(w, fail(401, "Unauthorized"))
		return
	}
	params, err := readParams(r)
	if err != nil {
		write(w, fail(400, "Bad Request: "+err.Error()))
		return
	}
	instance := r.Header.Get(InstanceHeader)
	s.mu.Lock()
	s.calls[method] = append(s.calls[method], instance)
	if q := s.script[method]; len(q) > 0 && q[0].Status != 0 {
		resp := q[0]
		s.script[method] = q[1:]
		s.notifyLocked()
		s.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(resp.Status)
		_, _ = io.WriteString(w, resp.Body)
		return
	}
	if q := s.script[method]; len(q) > 0 {
		s.script[method] = q[1:] // Pass: this call is handled as usual
	}
	s.notifyLocked()
	s.mu.Unlock()

	var res apiResult
	switch method {
	case "getMe":
		res = ok(map[string]any{"id": BotID, "is_bot": true, "first_name": "Musterstadt", "username": BotUsername,
			"can_join_groups": true, "can_read_all_group_messages": false, "supports_inline_queries": false})
	case "getUpdates":
		res = s.getUpdates(r, params, instance)
	case "sendMessage":
		res = s.sendMessage(params, instance)
	case "answerCallbackQuery":
		if params.Get("callback_query_id") == "" {
			res = fail(400, "Bad Request: query is too old and response timeout expired or query ID is invalid")
			break
		}
		s.mu.Lock()
		s.answered = append(s.answered, Answer{ID: params.Get("callback_query_id"), Text: params.Get("text")})
		s.notifyLocked()
		s.mu.Unlock()
		res = ok(true)
	case "setWebhook":
		res = s.setWebhook(params)
	case "deleteWebhook":
		s.mu.Lock()
		s.webhook.URL, s.webhook.SecretToken = "", ""
		s.webhook.Deletes++
		if params.Get("drop_pending_updates") == "true" {
			s.updates = nil
		}
		s.notifyLocked()
		s.mu.Unlock()
		res = ok(true)
	case "getWebhookInfo":
		wh := s.Webhook()
		res = ok(map[string]any{"url": wh.URL, "has_custom_certificate": false, "pending_update_count": len(s.Pending())})
	default:
		res = fail(404, "Not Found: method not found")
	}
	write(w, res)
}

func write(w http.ResponseWriter, res apiResult) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(res.status)
	_ = json.NewEncoder(w).Encode(res.body)
}

// readParams accepts form-encoded, multipart and JSON bodies, and the
// query string, as the Bot API does.
func readParams(r *http.Request) (url.Values, error) {
	ct := r.Header.Get("Content-Type")
	switch {
	case strings.HasPrefix(ct, "application/json"):
		var m map[string]any
		if err := json.NewDecoder(r.Body).Decode(&m); err != nil {
			return nil, fmt.Errorf("invalid JSON: %v", err)
		}
		v := url.Values{}
		for k, val := range m {
			switch x := val.(type) {
			case string:
				v.Set(k, x)
			default:
				b, _ := json.Marshal(x)
				v.Set(k, string(b))
			}
		}
		return v, nil
	case strings.HasPrefix(ct, "multipart/form-data"):
		if err := r.ParseMultipartForm(1 << 20); err != nil {
			return nil, err
		}
		return r.Form, nil
	default:
		if err := r.ParseForm(); err != nil {
			return nil, err
		}
		return r.Form, nil
	}
}

func (s *Server) getUpdates(r *http.Request, p url.Values, instance string) apiResult {
	offset, _ := strconv.Atoi(p.Get("offset"))
	timeout, _ := strconv.Atoi(p.Get("timeout"))
	limit, _ := strconv.Atoi(p.Get("limit"))
	if limit <= 0 || limit > 100 {
		limit = 100
	}
	var allowed []string
	if a := p.Get("allowed_updates"); a != "" {
		if err := json.Unmarshal([]byte(a), &allowed); err != nil {
			return fail(400, "Bad Request: can't parse allowed updates JSON array")
		}
	}
	s.mu.Lock()
	if s.webhook.URL != "" {
		s.mu.Unlock()
		return fail(409, "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first")
	}
	s.offsets = append(s.offsets, Poll{Offset: offset, Timeout: timeout, Allowed: allowed, Instance: instance})
	if offset > 0 {
		kept := s.updates[:0]
		for _, u := range s.updates {
			if u.id >= offset {
				kept = append(kept, u)
			}
		}
		s.updates = kept
	}
	// A new getUpdates ends the one still waiting (Telegram answers the
	// older one with 409).
	if s.polling != nil {
		close(s.polling)
	}
	mine := make(chan struct{})
	s.polling = mine
	s.notifyLocked()
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		if s.polling == mine {
			s.polling = nil
		}
		s.mu.Unlock()
	}()

	deadline := time.Now().Add(time.Duration(timeout) * time.Second)
	for {
		s.mu.Lock()
		var out []json.RawMessage
		for _, u := range s.updates {
			if len(out) < limit {
				out = append(out, u.raw)
			}
		}
		ch, closed := s.changed, s.closed
		s.mu.Unlock()
		if len(out) > 0 || closed || !time.Now().Before(deadline) {
			if out == nil {
				out = []json.RawMessage{}
			}
			return ok(out)
		}
		select {
		case <-ch:
		case <-mine:
			return fail(409, "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running")
		case <-r.Context().Done():
			return ok([]json.RawMessage{})
		case <-time.After(time.Until(deadline)):
		}
	}
}

func (s *Server) setWebhook(p url.Values) apiResult {
	u := p.Get("url")
	if u != "" && !strings.HasPrefix(u, "https://") {
		return fail(400, "Bad Request: bad webhook: HTTPS url must be provided for webhook")
	}
	secret := p.Get("secret_token")
	if len(secret) > 256 || strings.IndexFunc(secret, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-')
	}) >= 0 {
		return fail(400, "Bad Request: secret token contains unallowed characters")
	}
	var allowed []string
	if a := p.Get("allowed_updates"); a != "" {
		if err := json.Unmarshal([]byte(a), &allowed); err != nil {
			return fail(400, "Bad Request: can't parse allowed updates JSON array")
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.webhook.URL, s.webhook.SecretToken, s.webhook.AllowedUpdates = u, secret, allowed
	s.webhook.Sets++
	s.notifyLocked()
	return ok(true)
}

func (s *Server) sendMessage(p url.Values, instance string) apiResult {
	chatID, err := strconv.ParseInt(p.Get("chat_id"), 10, 64)
	if err != nil {
		return fail(400, "Bad Request: chat not found")
	}
	text := p.Get("text")
	if text == "" {
		return fail(400, "Bad Request: message text is empty")
	}
	plain := text
	switch mode := p.Get("parse_mode"); mode {
	case "":
	case "HTML":
		plain, err = ParseHTML(text)
		if err != nil {
			return fail(400, "Bad Request: can't parse entities: "+err.Error())
		}
	default:
		return fail(400, "Bad Request: the fake supports parse_mode HTML only, got "+mode)
	}
	if strings.TrimSpace(plain) == "" {
		return fail(400, "Bad Request: message text is empty")
	}
	if Len(plain) > 4096 {
		return fail(400, "Bad Request: message is too long")
	}
	var markup *Markup
	if raw := p.Get("reply_markup"); raw != "" {
		markup = &Markup{}
		if err := json.Unmarshal([]byte(raw), markup); err != nil {
			return fail(400, "Bad Request: can't parse reply keyboard markup JSON object")
		}
		for _, row := range markup.InlineKeyboard {
			for _, b := range row {
				if b.Text == "" {
					return fail(400, "Bad Request: text buttons are unallowed in the inline keyboard")
				}
				if b.URL == "" && (len(b.CallbackData) < 1 || len(b.CallbackData) > 64) {
					return fail(400, "Bad Request: BUTTON_DATA_INVALID")
				}
			}
		}
	}
	replyTo, _ := strconv.Atoi(p.Get("reply_to_message_id"))
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.blocked[chatID] {
		return fail(403, "Forbidden: bot was blocked by the user")
	}
	s.nextMsgID++
	s.sent = append(s.sent, Sent{
		ChatID: chatID, Text: text, Plain: plain, ParseMode: p.Get("parse_mode"), Markup: markup,
		ReplyTo: replyTo, DisablePreview: p.Get("disable_web_page_preview") == "true", Instance: instance,
	})
	s.notifyLocked()
	return ok(map[string]any{
		"message_id": s.nextMsgID, "date": time.Now().Unix(), "text": plain,
		"chat": map[string]any{"id": chatID, "type": "private"},
		"from": map[string]any{"id": BotID, "is_bot": true, "first_name": "Musterstadt", "username": BotUsername},
	})
}

// Len counts characters the way Telegram limits messages (UTF-16 code
// units).
func Len(s string) int { return len(utf16.Encode([]rune(s))) }

// htmlTags are the tags Telegram accepts with parse_mode HTML.
var htmlTags = map[string]bool{
	"b": true, "strong": true, "i": true, "em": true, "u": true, "ins": true, "s": true, "strike": true,
	"del": true, "span": true, "tg-spoiler": true, "a": true, "code": true, "pre": true,
	"blockquote": true, "tg-emoji": true,
}

// ParseHTML parses text as Telegram's parse_mode HTML does and returns the
// visible text. Like Telegram it refuses unknown or unclosed tags and
// '<', '>' or '&' that are not part of a tag or an entity.
func ParseHTML(s string) (string, error) {
	var out strings.Builder
	var stack []string
	for i := 0; i < len(s); {
		switch c := s[i]; c {
		case '<':
			end := strings.IndexByte(s[i:], '>')
			if end < 0 {
				return "", fmt.Errorf("unclosed start tag at byte offset %d", i)
			}
			tag := s[i+1 : i+end]
			closing := strings.HasPrefix(tag, "/")
			tag = strings.TrimPrefix(tag, "/")
			name, attrs, _ := strings.Cut(tag, " ")
			name = strings.ToLower(name)
			if !htmlTags[name] {
				return "", fmt.Errorf("unsupported start tag %q at byte offset %d", name, i)
			}
			if closing {
				if len(stack) == 0 || stack[len(stack)-1] != name {
					return "", fmt.Errorf("unexpected end tag at byte offset %d", i)
				}
				stack = stack[:len(stack)-1]
			} else {
				if err := checkAttrs(name, attrs); err != nil {
					return "", fmt.Errorf("%v at byte offset %d", err, i)
				}
				stack = append(stack, name)
			}
			i += end + 1
		case '>':
			return "", fmt.Errorf("character '>' is reserved and must be escaped at byte offset %d", i)
		case '&':
			end := strings.IndexByte(s[i:], ';')
			if end < 0 || end > 10 {
				return "", fmt.Errorf("character '&' is reserved and must be escaped at byte offset %d", i)
			}
			r, err := entity(s[i+1 : i+end])
			if err != nil {
				return "", fmt.Errorf("%v at byte offset %d", err, i)
			}
			out.WriteString(r)
			i += end + 1
		default:
			out.WriteByte(c)
			i++
		}
	}
	if len(stack) > 0 {
		return "", fmt.Errorf("can't find end tag corresponding to start tag %q", stack[len(stack)-1])
	}
	return out.String(), nil
}

func checkAttrs(name, attrs string) error {
	attrs = strings.TrimSpace(attrs)
	if attrs == "" {
		if name == "a" {
			return fmt.Errorf("tag \"a\" must have an href attribute")
		}
		return nil
	}
	key, val, ok := strings.Cut(attrs, "=")
	if !ok || len(val) < 2 || val[0] != '"' || val[len(val)-1] != '"' || strings.Contains(val[1:len(val)-1], `"`) {
		return fmt.Errorf("bad attributes %q in tag %q", attrs, name)
	}
	switch {
	case name == "a" && key == "href":
		if _, err := ParseHTML(val[1 : len(val)-1]); err != nil {
			return fmt.Errorf("bad href: %v", err)
		}
	case name == "span" && key == "class" && val == `"tg-spoiler"`:
	case name == "code" && key == "class":
	case name == "tg-emoji" && key == "emoji-id":
	default:
		return fmt.Errorf("unsupported attribute %q in tag %q", key, name)
	}
	return nil
}

func entity(name string) (string, error) {
	switch name {
	case "lt":
		return "<", nil
	case "gt":
		return ">", nil
	case "amp":
		return "&", nil
	case "quot":
		return `"`, nil
	}
	if n, ok := strings.CutPrefix(name, "#"); ok {
		base := 10
		if h, ok := strings.CutPrefix(strings.ToLower(n), "x"); ok {
			n, base = h, 16
		}
		v, err := strconv.ParseUint(n, base, 32)
		if err == nil && v > 0 && v <= 0x10FFFF {
			return string(rune(v)), nil
		}
	}
	return "", fmt.Errorf("unsupported HTML entity \"&%s;\"", name)
}
