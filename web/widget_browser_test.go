package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/civibot/civibot/accounts"
	"github.com/civibot/civibot/channels"
	"github.com/civibot/civibot/channels/webchat"
	"github.com/civibot/civibot/conversation"
	"github.com/civibot/civibot/dialog"
	"github.com/civibot/civibot/handoff"
	"github.com/civibot/civibot/internal/browsertest"
	"github.com/civibot/civibot/internal/testcity"
	"github.com/civibot/civibot/web"
)

// sampleKB is the sample city, built once per test binary.
var sampleKB = testcity.KB

// stack is civibot as `civibot serve` wires it (memory backends), plus a
// city web page on another origin that embeds the widget with one line.
type stack struct {
	store    *conversation.Memory
	desk     *handoff.Desk
	accounts *accounts.Store
	civibot  *httptest.Server
	city     *httptest.Server
	// widgetBase (a string) is where the city page loads the widget from
	// (default: the civibot server; a test may put a proxy in between).
	widgetBase atomic.Value
}

// newStack builds the stack; chatCfg, when given, is the web chat's
// configuration (default: the defaults).
func newStack(t *testing.T, chatCfg ...webchat.Config) *stack {
	t.Helper()
	kbase, err := sampleKB()
	if err != nil {
		t.Fatal(err)
	}
	s := &stack{store: conversation.NewMemory(conversation.Options{})}
	// The city's page: one script tag, German.
	s.city = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html>
<html lang="de"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Musterstadt – Bürgerservice</title>
<style>body{font:18px Georgia,serif;color:#333;margin:2rem;background:#fafafa} a{color:#333}</style></head>
<body><h1>Stadt Musterstadt</h1><p>Willkommen beim Bürgerservice. <a href="#leistungen">Leistungen von A bis Z</a></p>
<p id="leistungen">Personalausweis, Reisepass, Wohnsitz, Hundesteuer, Sperrmüll …</p>
<script src="%s/widget.js" data-lang="de"></script>
</body></html>`, s.widgetBase.Load())
	}))
	t.Cleanup(s.city.Close)

	engine, err := dialog.NewEngine(dialog.Config{CityName: "Musterstadt"}, kbase, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	s.accounts, err = accounts.NewMemory(accounts.Config{BcryptCost: accounts.MinBcryptCost}, "", accounts.Options{})
	if err != nil {
		t.Fatal(err)
	}
	s.desk, err = handoff.New(handoff.Config{}, handoff.Options{State: s.store, Queue: handoff.NewMemoryQueue(), Registry: channels.NewRegistry(), Users: s.accounts})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = s.desk.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	svc, err := dialog.NewService(dialog.ServiceConfig{}, dialog.ServiceOptions{Engine: engine, Store: s.store, Bus: s.store, Desk: s.desk})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := web.New(web.Config{AllowedOrigins: []string{s.city.URL}}, web.Branding{
		Name: "Musterstadt", PrimaryColor: "#00507a", OnPrimaryColor: "#ffffff",
		PrivacyURL: "https://www.musterstadt.example/datenschutz",
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var ccfg webchat.Config
	if len(chatCfg) > 0 {
		ccfg = chatCfg[0]
	}
	chat, err := webchat.New(ccfg, svc, webchat.Options{AllowedOrigins: []string{s.city.URL}, Names: names{s.accounts}})
	if err != nil {
		t.Fatal(err)
	}
	srv.Handle("GET /ws", chat)
	s.civibot = httptest.NewServer(srv.Handler())
	s.widgetBase.Store(s.civibot.URL)
	t.Cleanup(func() {
		sctx, scancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer scancel()
		_ = chat.Shutdown(sctx)
		s.civibot.Close()
	})
	return s
}

type names struct{ a *accounts.Store }

func (n names) DisplayName(ctx context.Context, u string) (string, error) {
	user, err := n.a.User(ctx, u)
	return user.DisplayName, err
}

// root is the widget's shadow root in page scripts.
const root = `document.getElementById('civibot-widget').shadowRoot`

// widgetScope is root, or null before the widget exists.
const widgetScope = `(document.getElementById('civibot-widget') && ` + root + `)`

// page is a browser tab on a city page with the widget.
type page = browsertest.Page

func newPage(t *testing.T, b *browsertest.Browser) *page { return b.NewPage(t, widgetScope) }

// ask types a question and waits for the bot's reply to it.
func ask(t *testing.T, p *page, q string) {
	t.Helper()
	before := p.Count(".cb-bot")
	p.Keys(q + kb.Enter)
	p.WaitFor("the answer to "+q, fmt.Sprintf(`return R.querySelectorAll('.cb-bot').length > %d && !R.querySelector('.cb-pending');`, before))
}

func TestWidgetInBrowser(t *testing.T) {
	s := newStack(t)
	b := browsertest.Start(t, browsertest.Options{Lang: "de-DE", Width: 1280, Height: 900})
	p := newPage(t, b)
	ctx := context.Background()
	if _, err := s.accounts.AddUser(ctx, "anna", "Anna Schmidt", accounts.RoleCaseworker, "correct horse battery"); err != nil {
		t.Fatal(err)
	}
	if err := s.desk.Heartbeat(ctx, "anna"); err != nil {
		t.Fatal(err)
	}

	p.Do(chromedp.Navigate(s.city.URL))
	p.WaitFor("the chat bubble", `const b = R.querySelector('.cb-bubble'); return !!b && !R.querySelector('.cb').hidden && b.getBoundingClientRect().width > 0;`)
	if label := browsertest.Eval[string](p, root+`.querySelector('.cb-bubble').getAttribute('aria-label')`); label != "Chat mit Musterstadt öffnen" {
		t.Errorf("bubble label = %q", label)
	}

	// Open: the AI disclosure and privacy notice come first, focused.
	p.Click(".cb-bubble")
	p.WaitFor("the notice", `return !R.querySelector('.cb-notice').hidden;`)
	notice := p.Text(".cb-notice")
	for _, want := range []string{"KI-Assistenten", "keine persönlichen Daten", "Datenschutzhinweise"} {
		if !strings.Contains(notice, want) {
			t.Errorf("notice lacks %q: %q", want, notice)
		}
	}
	if href := browsertest.Eval[string](p, root+`.querySelector('.cb-notice a').href`); href != "https://www.musterstadt.example/datenschutz" {
		t.Errorf("privacy link = %q", href)
	}
	if f := p.Focused(); f != "button.cb-button" {
		t.Errorf("focus after opening = %q, want the notice's button", f)
	}
	b.Screenshot(t, p.Ctx, "widget-notice")
	p.Keys(kb.Enter) // "Verstanden"
	p.WaitFor("the notice to go", `return R.querySelector('.cb-notice').hidden;`)
	if f := p.Focused(); f != "textarea#cb-input.cb-input" {
		t.Errorf("focus after the notice = %q, want the input", f)
	}

	// A sample-city question. The bot answers, or asks which service is
	// meant: then a quick reply picks it.
	ask(t, p, "Was kostet ein Personalausweis?")
	if !strings.Contains(p.Text(".cb-bot .cb-text"), "KI") {
		t.Errorf("first answer lacks the AI disclosure: %q", p.Text(".cb-bot .cb-text"))
	}
	if p.Count(".cb-sources a") == 0 {
		chip := browsertest.Eval[string](p, root+`.querySelector('.cb-chip').textContent`)
		before := p.Count(".cb-bot")
		p.Click(".cb-chip")
		p.WaitFor("the answer to the quick reply", fmt.Sprintf(`return R.querySelectorAll('.cb-bot').length > %d;`, before))
		if last := browsertest.Eval[string](p, `[...`+root+`.querySelectorAll('.cb-citizen .cb-text')].pop().textContent`); last != chip {
			t.Errorf("quick reply sent %q, want %q", last, chip)
		}
	}
	p.WaitFor("an answer with a source link", `return R.querySelectorAll('.cb-sources a').length > 0;`)
	src := browsertest.Eval[map[string]string](p, `(() => { const a = `+root+`.querySelector('.cb-sources a'); return {href: a.href, target: a.target, rel: a.rel, text: a.textContent}; })()`)
	if !strings.HasPrefix(src["href"], "http") || src["target"] != "_blank" || !strings.Contains(src["rel"], "noopener") || src["text"] == "" {
		t.Errorf("source link = %v", src)
	}

	// Feedback: thumbs up is stored.
	p.ClickLast(".cb-feedback .cb-thumb:first-child")
	p.WaitFor("the thanks", `return R.querySelector('.cb-thumb[aria-pressed="true"]') !== null;`)
	waitStored(t, "the feedback", func() bool {
		for _, c := range s.conversations(t) {
			msgs, _ := s.store.Messages(ctx, c.ID, 0, 0)
			for _, m := range msgs {
				if m.Feedback == 1 {
					return true
				}
			}
		}
		return false
	})

	// For docs/img/webchat.png: the question at the top of the log.
	browsertest.Eval[bool](p, `(() => { const R = `+root+`; const q = [...R.querySelectorAll('.cb-citizen')].pop();
		const log = R.querySelector('.cb-log'); log.scrollTop = q.offsetTop - log.offsetTop - 12; return true; })()`)
	b.Screenshot(t, p.Ctx, "webchat")

	// Use a quick reply of the answer.
	if p.Count(".cb-chip") > 0 {
		before := p.Count(".cb-bot")
		p.Click(".cb-chip")
		p.WaitFor("the quick reply's answer", fmt.Sprintf(`return R.querySelectorAll('.cb-bot').length > %d;`, before))
	}

	// Reload: the conversation continues with its history.
	msgs := p.Count(".cb-msg[data-seq]")
	p.Do(chromedp.Reload())
	p.WaitFor("the bubble after reload", `return !!R.querySelector('.cb-bubble') && !R.querySelector('.cb').hidden;`)
	p.Click(".cb-bubble")
	p.WaitFor("the history", fmt.Sprintf(`return R.querySelectorAll('.cb-msg[data-seq]').length === %d;`, msgs))
	if !browsertest.Eval[bool](p, root+`.querySelector('.cb-notice').hidden`) {
		t.Error("the notice came back after a reload")
	}

	// Talk to a person: the handoff status shows the queue position.
	p.Click(".cb-action")
	p.WaitFor("the handoff status", `const h = R.querySelector('.cb-handoff'); return !h.hidden && h.textContent.includes('Position 1');`)
	if got := p.Text(".cb-handoff"); !strings.HasPrefix(got, "Sie warten auf eine Mitarbeiterin oder einen Mitarbeiter – Position 1") {
		t.Errorf("handoff status = %q", got)
	}
	b.Screenshot(t, p.Ctx, "widget-handoff")

	// Anna claims and answers: her message is marked as from a person.
	id := s.conversations(t)[0].ID
	if _, err := s.desk.Claim(ctx, id, "anna"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.desk.Reply(ctx, id, "anna", "Guten Tag, hier ist Anna Schmidt vom Bürgeramt. Wie kann ich helfen?"); err != nil {
		t.Fatal(err)
	}
	p.WaitFor("the caseworker's message", `return !!R.querySelector('.cb-caseworker');`)
	if who := p.Text(".cb-caseworker .cb-who"); who != "Anna Schmidt, Mitarbeiterin oder Mitarbeiter der Stadt" {
		t.Errorf("caseworker label = %q", who)
	}
	// The banner names her once her first message has come.
	if got := p.Text(".cb-handoff"); got != "Anna Schmidt ist jetzt für Sie da." {
		t.Errorf("handoff status after claim = %q", got)
	}
	b.Screenshot(t, p.Ctx, "widget-caseworker")

	// Markup sent as a message stays text.
	// (The bot is silent while Anna has the conversation: wait for the echo.)
	p.Click(".cb-input")
	p.Keys(`<img src=x onerror="window.__xss=1"><b>fett</b>` + kb.Enter)
	p.WaitFor("the echo", `return !R.querySelector('.cb-pending') && [...R.querySelectorAll('.cb-citizen .cb-text')].pop().textContent.includes('fett');`)
	if got := browsertest.Eval[string](p, `[...`+root+`.querySelectorAll('.cb-citizen .cb-text')].pop().textContent`); got != `<img src=x onerror="window.__xss=1"><b>fett</b>` {
		t.Errorf("message shown as %q", got)
	}
	if n := p.Count(".cb-log img, .cb-log b"); n != 0 {
		t.Errorf("message text became %d elements", n)
	}
	if browsertest.Eval[bool](p, `window.__xss === 1`) {
		t.Error("script in a message ran")
	}

	// Escape closes and gives focus back to the bubble.
	p.Click(".cb-input")
	p.Keys(kb.Escape)
	p.WaitFor("the panel to close", `return R.querySelector('.cb-panel').hidden;`)
	if f := p.Focused(); f != "button.cb-bubble" {
		t.Errorf("focus after Escape = %q, want the bubble", f)
	}
	p.NoErrors()
}

func (s *stack) conversations(t *testing.T) []conversation.Conversation {
	t.Helper()
	cs, err := s.store.List(context.Background(), time.Time{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

func waitStored(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestWidgetKeyboardOnly uses the widget with the keyboard alone and checks
// that every control is reachable and named.
func TestWidgetKeyboardOnly(t *testing.T) {
	s := newStack(t)
	b := browsertest.Start(t, browsertest.Options{Lang: "de-DE"})
	p := newPage(t, b)
	p.Do(chromedp.Navigate(s.city.URL))
	p.WaitFor("the chat bubble", `return !!R.querySelector('.cb-bubble') && !R.querySelector('.cb').hidden;`)

	// Tab from the page's own link to the bubble.
	for i := 0; i < 5 && p.Focused() != "button.cb-bubble"; i++ {
		p.Keys(kb.Tab)
	}
	if f := p.Focused(); f != "button.cb-bubble" {
		t.Fatalf("the bubble cannot be reached with Tab (focus: %q)", f)
	}
	p.Keys(kb.Enter)
	p.WaitFor("the notice", `return !R.querySelector('.cb-panel').hidden;`)
	p.Keys(" ") // the focused "Verstanden" button
	p.WaitFor("the input to be focused", `return R.activeElement && R.activeElement.classList.contains('cb-input');`)
	ask(t, p, "Wie melde ich meinen Hund an?")

	// Walk the panel with Tab: every control is reached and has a name.
	seen := map[string]string{}
	for i := 0; i < 40; i++ {
		p.Keys(kb.Tab)
		d := browsertest.Eval[map[string]string](p, `(() => { const a = `+root+`.activeElement; if (!a) return {}; 
			const name = a.getAttribute('aria-label') || (a.labels && a.labels[0] && a.labels[0].textContent) || a.textContent.trim();
			const s = getComputedStyle(a); return {cls: a.className, name: name, outline: s.outlineStyle + ' ' + s.outlineWidth}; })()`)
		if d["cls"] == "" {
			continue // left the widget (the page itself)
		}
		if d["name"] == "" {
			t.Errorf("focusable %q has no accessible name", d["cls"])
		}
		if d["outline"] == "none 0px" {
			t.Errorf("focused %q shows no focus outline", d["cls"])
		}
		seen[strings.Fields(d["cls"])[0]] = d["name"]
	}
	for _, want := range []string{"cb-close", "cb-log", "cb-input", "cb-send", "cb-action", "cb-thumb"} {
		if _, ok := seen[want]; !ok {
			t.Errorf("%s never got focus with Tab (reached: %v)", want, seen)
		}
	}
	if seen["cb-log"] != "Chatverlauf" {
		t.Errorf("the log is named %q", seen["cb-log"])
	}
	p.Keys(kb.Escape)
	p.WaitFor("the panel to close", `return R.querySelector('.cb-panel').hidden;`)
	if f := p.Focused(); f != "button.cb-bubble" {
		t.Errorf("focus after Escape = %q", f)
	}
	p.NoErrors()
}

// TestWidgetSmallScreens checks a 360 px phone and 200% zoom.
func TestWidgetSmallScreens(t *testing.T) {
	s := newStack(t)
	b := browsertest.Start(t, browsertest.Options{Lang: "en-GB"})
	tests := []struct {
		name          string
		width, height int64
		scale         float64
	}{
		{"phone-360", 360, 740, 2},
		{"zoom-200", 640, 400, 2}, // a 1280×800 window at 200% zoom
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newPage(t, b)
			p.Do(chromedp.EmulateViewport(tt.width, tt.height, chromedp.EmulateScale(tt.scale)))
			p.Do(chromedp.Navigate(s.city.URL))
			p.WaitFor("the chat bubble", `return !!R.querySelector('.cb-bubble') && !R.querySelector('.cb').hidden;`)
			p.Click(".cb-bubble")
			p.WaitFor("the panel", `return !R.querySelector('.cb-panel').hidden;`)
			if browsertest.Eval[bool](p, root+`.querySelector('.cb-notice').hidden === false`) {
				p.Click(".cb-notice .cb-button")
			}
			p.Click(".cb-input")
			ask(t, p, "How much is an ID card?")
			geo := browsertest.Eval[map[string]float64](p, `(() => { const R = `+root+`; const p = R.querySelector('.cb-panel').getBoundingClientRect();
				const i = R.querySelector('.cb-input').getBoundingClientRect(); const s = R.querySelector('.cb-send').getBoundingClientRect();
				return {pw: p.width, pr: p.right, pb: p.bottom, ib: i.bottom, sr: s.right, vw: innerWidth, vh: innerHeight,
					overflow: R.querySelector('.cb-log').scrollWidth - R.querySelector('.cb-log').clientWidth}; })()`)
			if geo["pr"] > geo["vw"]+0.5 || geo["pb"] > geo["vh"]+0.5 {
				t.Errorf("panel outside the viewport: %v", geo)
			}
			if geo["ib"] > geo["vh"] || geo["sr"] > geo["vw"] {
				t.Errorf("input or send button cut off: %v", geo)
			}
			if geo["overflow"] > 0 {
				t.Errorf("messages scroll sideways by %v px", geo["overflow"])
			}
			if geo["pw"] < geo["vw"]-1 {
				t.Errorf("panel %v px wide on a %v px screen, want the full width", geo["pw"], geo["vw"])
			}
			p.Contrast(10)
			if lang := browsertest.Eval[string](p, root+`.querySelector('.cb-input').placeholder`); lang != "Ihre Frage …" {
				t.Errorf("placeholder %q: data-lang=de must win over the browser's English", lang)
			}
			b.Screenshot(t, p.Ctx, "widget-"+tt.name)
			p.NoErrors()
		})
	}
}

// TestFullPageChat opens the full-page chat at / in English.
func TestFullPageChat(t *testing.T) {
	s := newStack(t)
	b := browsertest.Start(t, browsertest.Options{Lang: "en-GB"})
	p := newPage(t, b)
	p.Do(chromedp.Navigate(s.civibot.URL + "/"))
	p.WaitFor("the page chat", `return !R.querySelector('.cb').hidden && !!R.querySelector('.cb-input');`)
	if title := browsertest.Eval[string](p, `document.title`); title != "Chat – Musterstadt" {
		t.Errorf("title = %q", title)
	}
	if lang := browsertest.Eval[string](p, `document.documentElement.lang`); lang != "en" {
		t.Errorf("page language = %q, want the browser's en", lang)
	}
	if h := p.Text("h1.cb-title"); h != "Chat with Musterstadt" {
		t.Errorf("heading = %q", h)
	}
	p.Click(".cb-notice .cb-button")
	p.Click(".cb-input")
	ask(t, p, "How do I register my address?")
	p.WaitFor("a source link", `return R.querySelectorAll('.cb-sources a').length > 0 || R.querySelectorAll('.cb-chip').length > 0;`)
	p.Contrast(10)
	b.Screenshot(t, p.Ctx, "page-chat")
	p.NoErrors()

	// The page's own headers: strict CSP, and it worked under it.
	resp, err := http.Get(s.civibot.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") {
		t.Errorf("CSP = %q", csp)
	}
	var cfg map[string]any
	resp, err = http.Get(s.civibot.URL + "/widget/config.json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(&cfg); err != nil || cfg["name"] != "Musterstadt" {
		t.Errorf("config.json = %v %v", cfg, err)
	}
}

// TestWidgetSaysQuotaExceeded (issue 16): a message over the day's quota
// of one address is refused with words that say why and what to do, not
// as an internal error.
func TestWidgetSaysQuotaExceeded(t *testing.T) {
	s := newStack(t, webchat.Config{AddressBytesPerDay: 400})
	b := browsertest.Start(t, browsertest.Options{Lang: "de-DE", Width: 1280, Height: 900})
	p := newPage(t, b)
	openWidget(t, p, s.city.URL)
	ask(t, p, "Was kostet ein Personalausweis?")
	p.Keys(strings.Repeat("Ich habe noch eine sehr lange Frage zum Personalausweis. ", 8) + kb.Enter)
	p.WaitFor("the quota note", `return [...R.querySelectorAll('.cb-system .cb-text')].some(n => n.textContent.includes('sehr viel Text'));`)
	p.NoErrors()
}
