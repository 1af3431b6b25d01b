package console_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
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
	"github.com/civibot/civibot/web/console"
)

// sampleKB is the sample city, built once per test binary.
var sampleKB = testcity.KB

// site is civibot as `civibot serve` wires it (memory backends): the web
// server with the web chat and the console, plus a city page on another
// origin that embeds the widget.
type site struct {
	store    *conversation.Memory
	desk     *handoff.Desk
	accounts *handoff.Accounts
	civibot  *httptest.Server
	city     *httptest.Server
}

type names struct{ a *handoff.Accounts }

func (n names) DisplayName(ctx context.Context, u string) (string, error) {
	user, err := n.a.User(ctx, u)
	return user.DisplayName, err
}

func newSite(t *testing.T) *site {
	t.Helper()
	kbase, err := sampleKB()
	if err != nil {
		t.Fatal(err)
	}
	s := &site{store: conversation.NewMemory(conversation.Options{})}
	widget := ""
	s.city = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><html lang="de"><head><meta charset="utf-8"><title>Musterstadt</title></head>
<body><h1>Stadt Musterstadt</h1><p>Bürgerservice</p><script src="%s/widget.js" data-lang="de"></script></body></html>`, widget)
	}))
	t.Cleanup(s.city.Close)

	file, err := accountsFile()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), handoff.AccountsFile)
	if err := os.WriteFile(path, file, 0o600); err != nil {
		t.Fatal(err)
	}
	if s.accounts, err = handoff.NewMemoryAccounts(accountsConfig, path); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	s.desk, err = handoff.New(handoff.Config{}, s.store, handoff.NewMemoryQueue(), s.store, channels.NewRegistry(), s.accounts, log)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(bg)
	done := make(chan struct{})
	go func() { defer close(done); _ = s.desk.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	engine, err := dialog.NewEngine(dialog.Config{CityName: "Musterstadt"}, kbase, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	svc, err := dialog.NewService(dialog.ServiceConfig{}, engine, s.store, s.store, s.desk, log)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := web.New(web.Config{AllowedOrigins: []string{s.city.URL}}, web.DefaultBranding(), log)
	if err != nil {
		t.Fatal(err)
	}
	chat, err := webchat.New(webchat.Config{}, svc, webchat.Options{AllowedOrigins: []string{s.city.URL}, Names: names{s.accounts}, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	srv.Handle("GET /ws", chat)
	con, err := console.New(console.Config{}, console.Options{Desk: s.desk, Accounts: s.accounts, Store: s.store, Bus: s.store, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	srv.Handle("/console/", con)
	srv.Handle("GET /console", con)
	s.civibot = httptest.NewServer(srv.Handler())
	widget = s.civibot.URL
	t.Cleanup(func() {
		sctx, scancel := context.WithTimeout(bg, 5*time.Second)
		defer scancel()
		_ = chat.Shutdown(sctx)
		_ = con.Shutdown(sctx)
		s.civibot.Close()
	})
	return s
}

// tab drives one browser tab. scope is the JavaScript expression of the
// root its selectors use: document for the console, the widget's shadow
// root for the citizen.
type tab struct {
	t     *testing.T
	b     *browsertest.Browser
	ctx   context.Context
	scope string
}

const (
	docScope    = `document`
	widgetScope = `(document.getElementById('civibot-widget') && document.getElementById('civibot-widget').shadowRoot)`
)

func newTab(t *testing.T, b *browsertest.Browser, scope string) *tab {
	t.Helper()
	ctx := b.Tab(t)
	err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, cdppage.AddScriptToEvaluateOnNewDocument, cdppage.AddScriptToEvaluateOnNewDocumentParams{
			Source: `window.__csp = []; document.addEventListener('securitypolicyviolation', e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));`,
		})
		return err
	}))
	if err != nil {
		t.Fatal(err)
	}
	return &tab{t: t, b: b, ctx: ctx, scope: scope}
}

func (p *tab) do(actions ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		p.t.Fatalf("browser: %v", err)
	}
}

func js[T any](p *tab, expr string) T {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		p.t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// waitFor polls cond (a function body with R = the tab's root) until true.
func (p *tab) waitFor(what, cond string) {
	p.t.Helper()
	expr := `(() => { const R = ` + p.scope + `; if (!R) return false; ` + cond + ` })()`
	deadline := time.Now().Add(20 * time.Second)
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

// click clicks the centre of the first element matching sel, with real
// mouse events.
func (p *tab) click(sel string) {
	p.t.Helper()
	p.waitFor("visible "+sel, fmt.Sprintf(`const e = R.querySelector(%q); if (!e) return false; const r = e.getBoundingClientRect(); return r.width > 0 && r.height > 0;`, sel))
	xy := js[[]float64](p, fmt.Sprintf(`(() => { const e = %s.querySelector(%q); e.scrollIntoView({block: 'nearest'}); const r = e.getBoundingClientRect(); return [r.left + r.width/2, r.top + r.height/2]; })()`, p.scope, sel))
	p.do(chromedp.MouseClickXY(xy[0], xy[1]))
}

func (p *tab) keys(s string) { p.t.Helper(); p.do(chromedp.KeyEvent(s)) }

// choose picks an option of a select, as a user would (change event).
func (p *tab) choose(sel, value string) {
	p.t.Helper()
	js[bool](p, fmt.Sprintf(`(() => { const e = %s.querySelector(%q); e.value = %q; e.dispatchEvent(new Event('change', {bubbles: true})); return true; })()`, p.scope, sel, value))
}

func (p *tab) text(sel string) string {
	p.t.Helper()
	return js[string](p, fmt.Sprintf(`(() => { const e = %s.querySelector(%q); return e ? e.textContent : ''; })()`, p.scope, sel))
}

func (p *tab) count(sel string) int {
	p.t.Helper()
	return js[int](p, fmt.Sprintf(`%s.querySelectorAll(%q).length`, p.scope, sel))
}

// focused describes the focused element: tag#id.class.
func (p *tab) focused() string {
	p.t.Helper()
	return js[string](p, `(() => { const a = `+p.scope+`.activeElement; if (!a) return ''; return a.tagName.toLowerCase() + (a.id ? '#' + a.id : '') + (a.className ? '.' + String(a.className).split(' ').join('.') : ''); })()`)
}

// tabTo presses Tab until the focused element matches sel (at most n times).
func (p *tab) tabTo(sel string, n int) {
	p.t.Helper()
	for i := 0; i < n; i++ {
		if js[bool](p, fmt.Sprintf(`(() => { const a = %s.activeElement; return !!a && a.matches(%q); })()`, p.scope, sel)) {
			return
		}
		p.keys(kb.Tab)
	}
	p.b.Screenshot(p.t, p.ctx, "failed-tab-"+strings.ReplaceAll(p.t.Name(), "/", "-"))
	p.t.Fatalf("%s cannot be reached with Tab (focus: %s)", sel, p.focused())
}

func (p *tab) noErrors() {
	p.t.Helper()
	if errs := p.b.Errors(); len(errs) > 0 {
		p.t.Errorf("JavaScript errors: %q", errs)
	}
	if csp := js[[]string](p, `window.__csp || []`); len(csp) > 0 {
		p.t.Errorf("CSP violations: %q", csp)
	}
}

// contrastCheck computes the WCAG contrast of every visible text element
// against its effective background and returns the failures.
const contrastCheck = `(() => {
  const parse = c => { const m = c.match(/rgba?\(([^)]+)\)/); if (!m) return null; const p = m[1].split(',').map(Number); return {r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1}; };
  const lum = c => { const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); }; return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b); };
  const bg = e => { for (let n = e; n && n instanceof Element; n = n.parentElement) { const c = parse(getComputedStyle(n).backgroundColor); if (c && c.a > 0.5) return c; } return {r: 255, g: 255, b: 255, a: 1}; };
  const out = []; let checked = 0;
  for (const e of document.querySelectorAll('body *')) {
    if (!e.getClientRects().length || e.closest('.sr, [hidden]')) continue;
    const own = [...e.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
    if (!own) continue;
    checked++;
    const s = getComputedStyle(e);
    let fg = parse(s.color);
    const b = bg(e);
    if (fg.a < 1) fg = {r: fg.r * fg.a + b.r * (1 - fg.a), g: fg.g * fg.a + b.g * (1 - fg.a), b: fg.b * fg.a + b.b * (1 - fg.a)};
    const op = parseFloat(s.opacity);
    const l1 = lum(fg), l2 = lum(b);
    const ratio = (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05);
    const large = parseFloat(s.fontSize) >= 24 || (parseFloat(s.fontSize) >= 18.66 && Number(s.fontWeight) >= 700);
    if (op === 1 && ratio < (large ? 3 : 4.5)) out.push(e.tagName + '.' + e.className + ' "' + e.textContent.trim().slice(0, 30) + '" ' + ratio.toFixed(2));
  }
  return {checked: checked, fails: out};
})()`

func (p *tab) contrast() {
	p.t.Helper()
	r := js[struct {
		Checked int      `json:"checked"`
		Fails   []string `json:"fails"`
	}](p, contrastCheck)
	if r.Checked < 15 {
		p.t.Errorf("contrast check saw only %d text elements", r.Checked)
	}
	if len(r.Fails) > 0 {
		p.t.Errorf("text below WCAG AA contrast: %q", r.Fails)
	}
}

// TestConsoleInBrowser: a caseworker logs in to the console, sees a
// conversation a citizen handed over in the widget (another tab, another
// origin), claims it, answers, takes a note and gives it back; the
// citizen's widget shows the answer as from a person.
func TestConsoleInBrowser(t *testing.T) {
	s := newSite(t)
	b := browsertest.Start(t, browsertest.Options{Lang: "de-DE", Width: 1360, Height: 900})

	// The caseworker's console, German (from the browser).
	cw := newTab(t, b, docScope)
	cw.do(chromedp.Navigate(s.civibot.URL + "/console/"))
	cw.waitFor("the login form", `return !R.getElementById('login-view').hidden && R.activeElement === R.getElementById('username');`)
	if h := cw.text("#login-form h1"); h != "Anmelden" {
		t.Errorf("login heading = %q", h)
	}
	// A wrong password: a clear message, no hint whether the user exists.
	cw.keys("anna" + kb.Tab + "falsches passwort" + kb.Enter)
	cw.waitFor("the login error", `return R.getElementById('login-error').textContent !== '';`)
	if msg := cw.text("#login-error"); msg != "Benutzername oder Passwort ist falsch." {
		t.Errorf("login error = %q", msg)
	}
	b.Screenshot(t, cw.ctx, "console-login")
	// Keyboard only: the focus is back in the password field.
	if f := cw.focused(); f != "input#password" {
		t.Errorf("focus after a failed login = %q", f)
	}
	cw.keys(password + kb.Enter)
	cw.waitFor("the console", `return !R.getElementById('app').hidden && R.getElementById('online-text').textContent.includes('Anna Schmidt');`)
	if me := cw.text("#me"); me != "Angemeldet: Anna Schmidt (anna)" {
		t.Errorf("me = %q", me)
	}

	// The citizen, on the city's page (another origin), asks for a person.
	cit := newTab(t, b, widgetScope)
	cit.do(chromedp.Navigate(s.city.URL))
	cit.click(".cb-bubble")
	cit.click(".cb-notice .cb-button")
	cit.click(".cb-input")
	cit.keys("Ich möchte meinen Bescheid besprechen" + kb.Enter)
	cit.waitFor("the bot's answer", `return R.querySelectorAll('.cb-bot').length > 0 && !R.querySelector('.cb-pending');`)
	cit.click(".cb-action")
	cit.waitFor("the queue position", `const h = R.querySelector('.cb-handoff'); return !h.hidden && h.textContent.includes('Position 1');`)

	// It appears in the console's queue, and the live region says so.
	cw.waitFor("the waiting conversation", `return R.querySelectorAll('#waiting .item').length === 1;`)
	cw.waitFor("the announcement", `return R.getElementById('announce').textContent.includes('Neu in der Warteschlange: Web-Chat, Deutsch');`)
	item := cw.text("#waiting .item")
	for _, want := range []string{"Web-Chat", "DE", "Platz 1", "wartet seit", "Bescheid"} {
		if !strings.Contains(item, want) {
			t.Errorf("queue entry %q lacks %q", item, want)
		}
	}

	// Keyboard only: Tab to the entry, open it, Tab to "claim", press it.
	cw.do(chromedp.Evaluate[chromedp.Void](`document.getElementById('lang').focus()`))
	cw.tabTo("#waiting .item", 10)
	cw.keys(kb.Enter)
	cw.waitFor("the transcript", `return !R.getElementById('conv').hidden && R.querySelectorAll('#transcript .msg').length >= 3;`)
	cw.tabTo("#claim", 10)
	cw.keys(kb.Enter)
	cw.waitFor("the claim", `return !R.getElementById('reply-form').hidden && R.getElementById('meta').textContent.includes('übernommen');`)
	if f := cw.focused(); f != "textarea#reply" {
		t.Errorf("focus after claiming = %q, want the reply box", f)
	}
	cw.waitFor("mine", `return R.querySelectorAll('#mine .item').length === 1 && R.querySelectorAll('#waiting .item').length === 0;`)
	// The bot's turn shows its decision and candidate pages.
	if d := cw.text("#transcript .role-bot .decision"); !strings.Contains(d, "Entscheidung:") || !strings.Contains(d, "Sicherheit") {
		t.Errorf("bot decision = %q", d)
	}
	// The citizen sees that a person has taken over.
	cit.waitFor("the claimed status", `return R.querySelector('.cb-handoff').textContent.includes('jetzt für Sie da');`)

	// Reply with the keyboard (typed, then Ctrl+Enter).
	cw.keys("Guten Tag, hier ist Anna Schmidt vom Bürgeramt. Worum geht es in Ihrem Bescheid?")
	cw.do(chromedp.KeyEvent(kb.Enter, chromedp.KeyModifiers(chromedp.ModifierCtrl)))
	cw.waitFor("the reply in the transcript", `return [...R.querySelectorAll('#transcript .role-caseworker')].some(e => e.textContent.includes('Worum geht es'));`)
	cit.waitFor("the caseworker's message", `return [...R.querySelectorAll('.cb-caseworker .cb-text')].some(e => e.textContent.includes('Worum geht es'));`)
	if who := cit.text(".cb-caseworker .cb-who"); who != "Anna Schmidt, Mitarbeiterin oder Mitarbeiter der Stadt" {
		t.Errorf("the citizen sees the caseworker as %q", who)
	}

	// A private note: shown in the console, never to the citizen.
	cw.click("#note")
	cw.keys("Bescheid vom März, Akte bei Team 3")
	cw.click("#add-note")
	cw.waitFor("the note", `return [...R.querySelectorAll('#transcript .role-note')].some(e => e.textContent.includes('Team 3') && e.textContent.includes('nur intern sichtbar'));`)

	// The citizen answers; the console shows it and announces it.
	cit.click(".cb-input")
	cit.keys("Es geht um die Gebühren für den Bewohnerparkausweis." + kb.Enter)
	cw.waitFor("the citizen's answer", `return [...R.querySelectorAll('#transcript .role-citizen .msg-text')].some(e => e.textContent.includes('Bewohnerparkausweis'));`)
	cw.waitFor("the message announcement", `return R.getElementById('announce').textContent.includes('Neue Nachricht');`)

	// For docs/img/console.png: a colleague online, another citizen
	// waiting (Telegram, English) and a callback request.
	if err := s.desk.Heartbeat(bg, "ben"); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ id, channel, lang, text string }{
		{"t1", conversation.ChannelTelegram, "en", "My residence permit expires next week, what do I need to bring?"},
		{"p1", conversation.ChannelSMS, "de", "Bitte um Rückruf wegen Sperrmüll"},
	} {
		if _, err := s.store.Create(bg, conversation.Conversation{ID: c.id, Channel: c.channel, Address: "+4930123456", Language: c.lang}); err != nil {
			t.Fatal(err)
		}
		s.store.Append(bg, c.id, conversation.Message{Role: conversation.RoleCitizen, Text: c.text, Language: c.lang})
		if _, err := s.desk.Request(bg, c.id, conversation.HandoffRequest{Reason: "case_specific", Language: c.lang, Channel: c.channel, Question: c.text}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.desk.Ticket(bg, "p1", conversation.Contact{Name: "Herr Beispiel", Phone: "+49 30 1234567"}); err != nil {
		t.Fatal(err)
	}
	cw.waitFor("the other entries", `return R.querySelectorAll('#waiting .item').length === 1 && R.querySelectorAll('#tickets .item').length === 1 && R.getElementById('online-text').textContent.includes('Ben Braun');`)
	if opts := cw.text("#transfer-to"); opts != "Ben Braun (ben)" {
		t.Errorf("transfer targets = %q", opts)
	}
	cw.do(chromedp.Evaluate[chromedp.Void](`document.getElementById('main').scrollTop = 0`))
	cw.contrast()
	b.Screenshot(t, cw.ctx, "console")

	// The citizen answers, with markup: the console shows it as text.
	cit.click(".cb-input")
	cit.keys(`Es geht um die Gebühren <img src=x onerror="window.__xss=1"><b>fett</b>` + kb.Enter)
	cw.waitFor("the citizen's answer", `return [...R.querySelectorAll('#transcript .role-citizen .msg-text')].some(e => e.textContent.includes('<b>fett</b>'));`)
	if n := cw.count("#transcript img, #transcript b"); n != 0 {
		t.Errorf("citizen text became %d elements in the console", n)
	}
	if js[bool](cw, `window.__xss === 1`) {
		t.Error("script in a citizen message ran in the console")
	}

	// Canned replies: none yet, so the admin would add them; anna is no admin.
	if !js[bool](cw, `document.getElementById('edit-canned').hidden`) {
		t.Error("a caseworker sees the canned replies editor")
	}

	if txt := cit.text(".cb-log"); strings.Contains(txt, "Team 3") {
		t.Error("the citizen sees the private note")
	}
	b.Screenshot(t, cit.ctx, "console-citizen-view")

	// Give back to the bot: the citizen is told.
	cw.click("#giveback")
	cw.waitFor("the conversation back with the bot", `return R.getElementById('meta').textContent.includes('beim Bot') && R.querySelectorAll('#mine .item').length === 0;`)
	cit.waitFor("the notice", `return [...R.querySelectorAll('.cb-system .cb-text')].some(e => e.textContent.includes('digitalen Assistenten'));`)

	// English, switched in the page.
	cw.choose("#lang", "en")
	cw.waitFor("English", `return R.documentElement.lang === 'en' && R.querySelector('#h-waiting span').textContent === 'Waiting';`)
	if st := cw.text("#meta"); !strings.Contains(st, "with the bot") {
		t.Errorf("meta in English = %q", st)
	}
	if w := cw.text("#transcript .role-caseworker .who"); w != "Anna Schmidt (caseworker)" {
		t.Errorf("transcript in English: %q", w)
	}
	b.Screenshot(t, cw.ctx, "console-en")

	// Every focusable control shows its focus.
	for i := 0; i < 25; i++ {
		cw.keys(kb.Tab)
		d := js[map[string]string](cw, `(() => { const a = document.activeElement; if (!a || a === document.body) return {}; const s = getComputedStyle(a);
			return {el: a.tagName + '#' + a.id + '.' + a.className, outline: s.outlineStyle + ' ' + s.outlineWidth, shadow: s.boxShadow}; })()`)
		if d["el"] != "" && d["outline"] == "none 0px" && (d["shadow"] == "none" || d["shadow"] == "") {
			t.Errorf("focused %s shows no focus", d["el"])
		}
	}

	// Log out: back at the login form; the session is gone.
	cw.click("#logout")
	cw.waitFor("the login form", `return !R.getElementById('login-view').hidden && R.getElementById('login-error').textContent.includes('logged out');`)
	cw.noErrors()
	cit.noErrors()
}

// TestConsoleAdminInBrowser: an admin edits canned replies in the dialog,
// a caseworker inserts one into a reply.
func TestConsoleAdminInBrowser(t *testing.T) {
	s := newSite(t)
	b := browsertest.Start(t, browsertest.Options{Lang: "en-GB", Width: 1280, Height: 860})
	p := newTab(t, b, docScope)
	p.do(chromedp.Navigate(s.civibot.URL + "/console/"))
	p.waitFor("the login form", `return !R.getElementById('login-view').hidden;`)
	if h := p.text("#login-form h1"); h != "Log in" {
		t.Errorf("login heading = %q (English from the browser)", h)
	}
	p.keys("rita" + kb.Tab + password + kb.Enter)
	p.waitFor("the console", `return !R.getElementById('app').hidden && !R.getElementById('edit-canned').hidden;`)
	p.click("#edit-canned")
	p.waitFor("the dialog", `return R.getElementById('canned-dialog').open && R.activeElement.classList.contains('c-title');`)
	p.keys("Opening hours" + kb.Tab)
	p.choose("#canned-rows .c-lang", "en")
	p.click("#canned-rows .c-text")
	p.keys("The citizens' office is open Monday to Friday, 8 am to 4 pm.")
	b.Screenshot(t, p.ctx, "console-canned")
	p.click("#canned-save")
	p.waitFor("the dialog to close", `return !R.getElementById('canned-dialog').open && R.getElementById('announce').textContent.includes('Canned replies saved');`)
	list, err := s.accounts.CannedReplies(bg)
	if err != nil || len(list) != 1 || list[0].Title != "Opening hours" || list[0].Language != "en" {
		t.Fatalf("stored canned replies = %+v %v", list, err)
	}

	// A waiting conversation; the admin claims it and inserts the reply.
	if err := s.desk.Heartbeat(bg, "rita"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.store.Create(bg, conversation.Conversation{ID: "w1", Channel: "web", Language: "en"}); err != nil {
		t.Fatal(err)
	}
	s.store.Append(bg, "w1", conversation.Message{Role: conversation.RoleCitizen, Text: "When are you open?"})
	if _, err := s.desk.Request(bg, "w1", conversation.HandoffRequest{Reason: "human_request", Language: "en", Channel: "web"}); err != nil {
		t.Fatal(err)
	}
	p.waitFor("the entry", `return R.querySelectorAll('#waiting .item').length === 1;`)
	p.click("#waiting .item")
	p.click("#claim")
	p.waitFor("the reply form", `return !R.getElementById('reply-form').hidden;`)
	p.choose("#canned", "0")
	p.click("#insert-canned")
	if v := js[string](p, `document.getElementById('reply').value`); !strings.Contains(v, "Monday to Friday") {
		t.Errorf("reply box after inserting = %q", v)
	}
	p.click("#send")
	p.waitFor("the reply", `return [...document.querySelectorAll('#transcript .role-caseworker')].some(e => e.textContent.includes('Monday to Friday'));`)
	// Close with an outcome.
	p.choose("#outcome", "resolved")
	p.click("#close")
	p.waitFor("closed", `return R.getElementById('meta').textContent.includes('Resolved');`)
	b.Screenshot(t, p.ctx, "console-admin")

	// 200% zoom (a 1280×800 window): everything reachable, nothing wider
	// than the window.
	p.do(chromedp.EmulateViewport(640, 400, chromedp.EmulateScale(2)))
	p.waitFor("the narrow layout", `return getComputedStyle(document.body).display === 'block';`)
	if over := js[float64](p, `document.documentElement.scrollWidth - innerWidth`); over > 0 {
		t.Errorf("the console scrolls sideways by %v px at 200%% zoom", over)
	}
	p.click("#note")
	p.keys("Zoom note")
	p.click("#add-note")
	p.waitFor("the note at 200% zoom", `return [...document.querySelectorAll('#transcript .role-note')].some(e => e.textContent.includes('Zoom note'));`)
	b.Screenshot(t, p.ctx, "console-zoom-200")
	p.noErrors()

	// Closing the console (leaving the page) marks the caseworker offline
	// at once, without waiting for the presence timeout.
	onlineNow := func() bool {
		ps, err := s.desk.Online(bg)
		if err != nil {
			t.Fatal(err)
		}
		return len(ps) == 1 && ps[0].Caseworker == "rita"
	}
	if !onlineNow() {
		t.Fatal("rita is not online with the console open")
	}
	p.do(chromedp.Navigate("about:blank"))
	waitFor(t, "rita offline after leaving the console", func() bool { return !onlineNow() })
}
