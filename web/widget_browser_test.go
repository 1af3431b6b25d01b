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

	"github.com/chromedp/cdproto/cdp"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

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
	accounts *handoff.Accounts
	civibot  *httptest.Server
	city     *httptest.Server
	// widgetBase (a string) is where the city page loads the widget from
	// (default: the civibot server; a test may put a proxy in between).
	widgetBase atomic.Value
}

func newStack(t *testing.T) *stack {
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
	s.accounts, err = handoff.NewMemoryAccounts(handoff.AccountsConfig{BcryptCost: handoff.MinBcryptCost}, "")
	if err != nil {
		t.Fatal(err)
	}
	s.desk, err = handoff.New(handoff.Config{}, s.store, handoff.NewMemoryQueue(), s.store, channels.NewRegistry(), s.accounts, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = s.desk.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	svc, err := dialog.NewService(dialog.ServiceConfig{}, engine, s.store, s.store, s.desk, nil)
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
	chat, err := webchat.New(webchat.Config{}, svc, webchat.Options{AllowedOrigins: []string{s.city.URL}, Names: names{s.accounts}})
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

type names struct{ a *handoff.Accounts }

func (n names) DisplayName(ctx context.Context, u string) (string, error) {
	user, err := n.a.User(ctx, u)
	return user.DisplayName, err
}

// page drives one tab. Every helper fails the test on error.
type page struct {
	t   *testing.T
	b   *browsertest.Browser
	ctx context.Context
}

func newPage(t *testing.T, b *browsertest.Browser) *page {
	ctx := b.Tab(t)
	// Record CSP violations from the first script on.
	err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, cdppage.AddScriptToEvaluateOnNewDocument, cdppage.AddScriptToEvaluateOnNewDocumentParams{
			Source: `window.__csp = []; document.addEventListener('securitypolicyviolation', e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));`,
		})
		return err
	}))
	if err != nil {
		t.Fatal(err)
	}
	return &page{t: t, b: b, ctx: ctx}
}

func (p *page) do(actions ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		p.t.Fatalf("browser: %v", err)
	}
}

// root is the widget's shadow root in page scripts.
const root = `document.getElementById('civibot-widget').shadowRoot`

func evalJS[T any](p *page, expr string) T {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		p.t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// waitFor polls a JavaScript condition (inside a function body with R =
// the shadow root) until it is true.
func (p *page) waitFor(what, cond string) {
	p.t.Helper()
	expr := `(() => { const w = document.getElementById('civibot-widget'); const R = w && w.shadowRoot; if (!R) return false; ` + cond + ` })()`
	deadline := time.Now().Add(15 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(p.ctx, 5*time.Second)
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](expr))
		cancel()
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			p.b.Screenshot(p.t, p.ctx, "failed-"+strings.ReplaceAll(p.t.Name(), "/", "-"))
			p.t.Fatalf("timed out waiting for %s (%v)", what, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// click clicks the centre of the first element matching sel in the
// widget, with real mouse events.
func (p *page) click(sel string) { p.t.Helper(); p.clickAt(sel, "R.querySelector(%q)") }

// clickLast clicks the last element matching sel.
func (p *page) clickLast(sel string) {
	p.t.Helper()
	p.clickAt(sel, "[...R.querySelectorAll(%q)].pop()")
}

func (p *page) clickAt(sel, find string) {
	p.t.Helper()
	pick := fmt.Sprintf(find, sel)
	p.waitFor("visible "+sel, `const e = `+pick+`; if (!e) return false; const r = e.getBoundingClientRect(); return r.width > 0 && r.height > 0;`)
	e := evalJS[[]float64](p, `(() => { const R = `+root+`; const e = `+pick+`; e.scrollIntoView({block: 'nearest'}); const r = e.getBoundingClientRect(); return [r.left + r.width/2, r.top + r.height/2]; })()`)
	p.do(chromedp.MouseClickXY(e[0], e[1]))
}

// keys types into whatever has focus, with real key events.
func (p *page) keys(s string) { p.t.Helper(); p.do(chromedp.KeyEvent(s)) }

// focused describes the focused element inside the widget ("" if none).
func (p *page) focused() string {
	p.t.Helper()
	return evalJS[string](p, `(() => { const a = `+root+`.activeElement; if (!a) return ''; return a.tagName.toLowerCase() + (a.className ? '.' + a.className.split(' ').join('.') : ''); })()`)
}

func (p *page) count(sel string) int {
	p.t.Helper()
	return evalJS[int](p, fmt.Sprintf(`%s.querySelectorAll(%q).length`, root, sel))
}

func (p *page) text(sel string) string {
	p.t.Helper()
	return evalJS[string](p, fmt.Sprintf(`(() => { const e = %s.querySelector(%q); return e ? e.textContent : ''; })()`, root, sel))
}

func (p *page) noErrors() {
	p.t.Helper()
	if errs := p.b.Errors(); len(errs) > 0 {
		p.t.Errorf("JavaScript errors: %q", errs)
	}
	if csp := evalJS[[]string](p, `window.__csp || []`); len(csp) > 0 {
		p.t.Errorf("CSP violations: %q", csp)
	}
}

// ask types a question and waits for the bot's reply to it.
func (p *page) ask(q string) {
	p.t.Helper()
	before := p.count(".cb-bot")
	p.keys(q + kb.Enter)
	p.waitFor("the answer to "+q, fmt.Sprintf(`return R.querySelectorAll('.cb-bot').length > %d && !R.querySelector('.cb-pending');`, before))
}

func TestWidgetInBrowser(t *testing.T) {
	s := newStack(t)
	b := browsertest.Start(t, browsertest.Options{Lang: "de-DE", Width: 1280, Height: 900})
	p := newPage(t, b)
	ctx := context.Background()
	if _, err := s.accounts.AddUser(ctx, "anna", "Anna Schmidt", handoff.RoleCaseworker, "correct horse battery"); err != nil {
		t.Fatal(err)
	}
	if err := s.desk.Heartbeat(ctx, "anna"); err != nil {
		t.Fatal(err)
	}

	p.do(chromedp.Navigate(s.city.URL))
	p.waitFor("the chat bubble", `const b = R.querySelector('.cb-bubble'); return !!b && !R.querySelector('.cb').hidden && b.getBoundingClientRect().width > 0;`)
	if label := evalJS[string](p, root+`.querySelector('.cb-bubble').getAttribute('aria-label')`); label != "Chat mit Musterstadt öffnen" {
		t.Errorf("bubble label = %q", label)
	}

	// Open: the AI disclosure and privacy notice come first, focused.
	p.click(".cb-bubble")
	p.waitFor("the notice", `return !R.querySelector('.cb-notice').hidden;`)
	notice := p.text(".cb-notice")
	for _, want := range []string{"KI-Assistenten", "keine persönlichen Daten", "Datenschutzhinweise"} {
		if !strings.Contains(notice, want) {
			t.Errorf("notice lacks %q: %q", want, notice)
		}
	}
	if href := evalJS[string](p, root+`.querySelector('.cb-notice a').href`); href != "https://www.musterstadt.example/datenschutz" {
		t.Errorf("privacy link = %q", href)
	}
	if f := p.focused(); f != "button.cb-button" {
		t.Errorf("focus after opening = %q, want the notice's button", f)
	}
	b.Screenshot(t, p.ctx, "widget-notice")
	p.keys(kb.Enter) // "Verstanden"
	p.waitFor("the notice to go", `return R.querySelector('.cb-notice').hidden;`)
	if f := p.focused(); f != "textarea.cb-input" {
		t.Errorf("focus after the notice = %q, want the input", f)
	}

	// A sample-city question. The bot answers, or asks which service is
	// meant: then a quick reply picks it.
	p.ask("Was kostet ein Personalausweis?")
	if !strings.Contains(p.text(".cb-bot .cb-text"), "KI") {
		t.Errorf("first answer lacks the AI disclosure: %q", p.text(".cb-bot .cb-text"))
	}
	if p.count(".cb-sources a") == 0 {
		chip := evalJS[string](p, root+`.querySelector('.cb-chip').textContent`)
		before := p.count(".cb-bot")
		p.click(".cb-chip")
		p.waitFor("the answer to the quick reply", fmt.Sprintf(`return R.querySelectorAll('.cb-bot').length > %d;`, before))
		if last := evalJS[string](p, `[...`+root+`.querySelectorAll('.cb-citizen .cb-text')].pop().textContent`); last != chip {
			t.Errorf("quick reply sent %q, want %q", last, chip)
		}
	}
	p.waitFor("an answer with a source link", `return R.querySelectorAll('.cb-sources a').length > 0;`)
	src := evalJS[map[string]string](p, `(() => { const a = `+root+`.querySelector('.cb-sources a'); return {href: a.href, target: a.target, rel: a.rel, text: a.textContent}; })()`)
	if !strings.HasPrefix(src["href"], "http") || src["target"] != "_blank" || !strings.Contains(src["rel"], "noopener") || src["text"] == "" {
		t.Errorf("source link = %v", src)
	}

	// Feedback: thumbs up is stored.
	p.clickLast(".cb-feedback .cb-thumb:first-child")
	p.waitFor("the thanks", `return R.querySelector('.cb-thumb[aria-pressed="true"]') !== null;`)
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
	evalJS[bool](p, `(() => { const R = `+root+`; const q = [...R.querySelectorAll('.cb-citizen')].pop();
		const log = R.querySelector('.cb-log'); log.scrollTop = q.offsetTop - log.offsetTop - 12; return true; })()`)
	b.Screenshot(t, p.ctx, "webchat")

	// Use a quick reply of the answer.
	if p.count(".cb-chip") > 0 {
		before := p.count(".cb-bot")
		p.click(".cb-chip")
		p.waitFor("the quick reply's answer", fmt.Sprintf(`return R.querySelectorAll('.cb-bot').length > %d;`, before))
	}

	// Reload: the conversation continues with its history.
	msgs := p.count(".cb-msg[data-seq]")
	p.do(chromedp.Reload())
	p.waitFor("the bubble after reload", `return !!R.querySelector('.cb-bubble') && !R.querySelector('.cb').hidden;`)
	p.click(".cb-bubble")
	p.waitFor("the history", fmt.Sprintf(`return R.querySelectorAll('.cb-msg[data-seq]').length === %d;`, msgs))
	if !evalJS[bool](p, root+`.querySelector('.cb-notice').hidden`) {
		t.Error("the notice came back after a reload")
	}

	// Talk to a person: the handoff status shows the queue position.
	p.click(".cb-action")
	p.waitFor("the handoff status", `const h = R.querySelector('.cb-handoff'); return !h.hidden && h.textContent.includes('Position 1');`)
	if got := p.text(".cb-handoff"); !strings.HasPrefix(got, "Sie warten auf eine Mitarbeiterin oder einen Mitarbeiter – Position 1") {
		t.Errorf("handoff status = %q", got)
	}
	b.Screenshot(t, p.ctx, "widget-handoff")

	// Anna claims and answers: her message is marked as from a person.
	id := s.conversations(t)[0].ID
	if _, err := s.desk.Claim(ctx, id, "anna"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.desk.Reply(ctx, id, "anna", "Guten Tag, hier ist Anna Schmidt vom Bürgeramt. Wie kann ich helfen?"); err != nil {
		t.Fatal(err)
	}
	p.waitFor("the caseworker's message", `return !!R.querySelector('.cb-caseworker');`)
	if who := p.text(".cb-caseworker .cb-who"); who != "Anna Schmidt, Mitarbeiterin oder Mitarbeiter der Stadt" {
		t.Errorf("caseworker label = %q", who)
	}
	if got := p.text(".cb-handoff"); got != "Eine Mitarbeiterin oder ein Mitarbeiter ist jetzt für Sie da." {
		t.Errorf("handoff status after claim = %q", got)
	}
	b.Screenshot(t, p.ctx, "widget-caseworker")

	// Markup sent as a message stays text.
	// (The bot is silent while Anna has the conversation: wait for the echo.)
	p.click(".cb-input")
	p.keys(`<img src=x onerror="window.__xss=1"><b>fett</b>` + kb.Enter)
	p.waitFor("the echo", `return !R.querySelector('.cb-pending') && [...R.querySelectorAll('.cb-citizen .cb-text')].pop().textContent.includes('fett');`)
	if got := evalJS[string](p, `[...`+root+`.querySelectorAll('.cb-citizen .cb-text')].pop().textContent`); got != `<img src=x onerror="window.__xss=1"><b>fett</b>` {
		t.Errorf("message shown as %q", got)
	}
	if n := p.count(".cb-log img, .cb-log b"); n != 0 {
		t.Errorf("message text became %d elements", n)
	}
	if evalJS[bool](p, `window.__xss === 1`) {
		t.Error("script in a message ran")
	}

	// Escape closes and gives focus back to the bubble.
	p.click(".cb-input")
	p.keys(kb.Escape)
	p.waitFor("the panel to close", `return R.querySelector('.cb-panel').hidden;`)
	if f := p.focused(); f != "button.cb-bubble" {
		t.Errorf("focus after Escape = %q, want the bubble", f)
	}
	p.noErrors()
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
	p.do(chromedp.Navigate(s.city.URL))
	p.waitFor("the chat bubble", `return !!R.querySelector('.cb-bubble') && !R.querySelector('.cb').hidden;`)

	// Tab from the page's own link to the bubble.
	for i := 0; i < 5 && p.focused() != "button.cb-bubble"; i++ {
		p.keys(kb.Tab)
	}
	if f := p.focused(); f != "button.cb-bubble" {
		t.Fatalf("the bubble cannot be reached with Tab (focus: %q)", f)
	}
	p.keys(kb.Enter)
	p.waitFor("the notice", `return !R.querySelector('.cb-panel').hidden;`)
	p.keys(" ") // the focused "Verstanden" button
	p.waitFor("the input to be focused", `return R.activeElement && R.activeElement.classList.contains('cb-input');`)
	p.ask("Wie melde ich meinen Hund an?")

	// Walk the panel with Tab: every control is reached and has a name.
	seen := map[string]string{}
	for i := 0; i < 40; i++ {
		p.keys(kb.Tab)
		d := evalJS[map[string]string](p, `(() => { const a = `+root+`.activeElement; if (!a) return {}; 
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
	p.keys(kb.Escape)
	p.waitFor("the panel to close", `return R.querySelector('.cb-panel').hidden;`)
	if f := p.focused(); f != "button.cb-bubble" {
		t.Errorf("focus after Escape = %q", f)
	}
	p.noErrors()
}

// contrastCheck computes the WCAG contrast of every text element in the
// widget against its effective background; it returns the failures.
const contrastCheck = `(() => {
  const R = document.getElementById('civibot-widget').shadowRoot;
  const parse = c => { const m = c.match(/rgba?\(([^)]+)\)/); if (!m) return null; const p = m[1].split(',').map(Number); return {r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1}; };
  const lum = c => { const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); }; return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b); };
  const bg = e => { for (let n = e; n; n = n.parentElement || (n.getRootNode() && n.getRootNode().host)) { if (!(n instanceof Element)) break; const c = parse(getComputedStyle(n).backgroundColor); if (c && c.a > 0.5) return c; } return {r: 255, g: 255, b: 255, a: 1}; };
  const out = [];
  let checked = 0;
  for (const e of R.querySelectorAll('*')) {
    if (!e.getClientRects().length) continue;
    const own = [...e.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
    if (!own) continue;
    checked++;
    const s = getComputedStyle(e);
    const fg = parse(s.color), b = bg(e);
    const l1 = lum(fg), l2 = lum(b);
    const ratio = (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05);
    const large = parseFloat(s.fontSize) >= 24 || (parseFloat(s.fontSize) >= 18.66 && Number(s.fontWeight) >= 700);
    if (ratio < (large ? 3 : 4.5)) out.push(e.className + ' "' + e.textContent.trim().slice(0, 30) + '" ' + ratio.toFixed(2));
  }
  return {checked: checked, fails: out};
})()`

// contrast runs contrastCheck and reports failures.
func (p *page) contrast() {
	p.t.Helper()
	r := evalJS[struct {
		Checked int      `json:"checked"`
		Fails   []string `json:"fails"`
	}](p, contrastCheck)
	if r.Checked < 10 {
		p.t.Errorf("contrast check saw only %d text elements", r.Checked)
	}
	if len(r.Fails) > 0 {
		p.t.Errorf("text below WCAG AA contrast: %q", r.Fails)
	}
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
			p.do(chromedp.EmulateViewport(tt.width, tt.height, chromedp.EmulateScale(tt.scale)))
			p.do(chromedp.Navigate(s.city.URL))
			p.waitFor("the chat bubble", `return !!R.querySelector('.cb-bubble') && !R.querySelector('.cb').hidden;`)
			p.click(".cb-bubble")
			p.waitFor("the panel", `return !R.querySelector('.cb-panel').hidden;`)
			if evalJS[bool](p, root+`.querySelector('.cb-notice').hidden === false`) {
				p.click(".cb-notice .cb-button")
			}
			p.click(".cb-input")
			p.ask("How much is an ID card?")
			geo := evalJS[map[string]float64](p, `(() => { const R = `+root+`; const p = R.querySelector('.cb-panel').getBoundingClientRect();
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
			p.contrast()
			if lang := evalJS[string](p, root+`.querySelector('.cb-input').placeholder`); lang != "Ihre Frage …" {
				t.Errorf("placeholder %q: data-lang=de must win over the browser's English", lang)
			}
			b.Screenshot(t, p.ctx, "widget-"+tt.name)
			p.noErrors()
		})
	}
}

// TestFullPageChat opens the full-page chat at / in English.
func TestFullPageChat(t *testing.T) {
	s := newStack(t)
	b := browsertest.Start(t, browsertest.Options{Lang: "en-GB"})
	p := newPage(t, b)
	p.do(chromedp.Navigate(s.civibot.URL + "/"))
	p.waitFor("the page chat", `return !R.querySelector('.cb').hidden && !!R.querySelector('.cb-input');`)
	if title := evalJS[string](p, `document.title`); title != "Chat – Musterstadt" {
		t.Errorf("title = %q", title)
	}
	if lang := evalJS[string](p, `document.documentElement.lang`); lang != "en" {
		t.Errorf("page language = %q, want the browser's en", lang)
	}
	if h := p.text("h1.cb-title"); h != "Chat with Musterstadt" {
		t.Errorf("heading = %q", h)
	}
	p.click(".cb-notice .cb-button")
	p.click(".cb-input")
	p.ask("How do I register my address?")
	p.waitFor("a source link", `return R.querySelectorAll('.cb-sources a').length > 0 || R.querySelectorAll('.cb-chip').length > 0;`)
	p.contrast()
	b.Screenshot(t, p.ctx, "page-chat")
	p.noErrors()

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
