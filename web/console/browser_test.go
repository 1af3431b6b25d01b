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

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/civibot/civibot/accounts"
	"github.com/civibot/civibot/aliases"
	"github.com/civibot/civibot/channels"
	"github.com/civibot/civibot/channels/webchat"
	"github.com/civibot/civibot/conversation"
	"github.com/civibot/civibot/dialog"
	"github.com/civibot/civibot/handoff"
	"github.com/civibot/civibot/internal/browsertest"
	"github.com/civibot/civibot/internal/testcity"
	"github.com/civibot/civibot/internal/testtime"
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
	accounts *accounts.Store
	civibot  *httptest.Server
	city     *httptest.Server
	aliases  *aliases.Store
}

type names struct{ a *accounts.Store }

func (n names) DisplayName(ctx context.Context, u string) (string, error) {
	user, err := n.a.User(ctx, u)
	return user.DisplayName, err
}

func newSite(t *testing.T, registry ...*channels.Registry) *site {
	t.Helper()
	reg := channels.NewRegistry()
	if len(registry) > 0 {
		reg = registry[0]
	}
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
	path := filepath.Join(t.TempDir(), accounts.FileName)
	if err := os.WriteFile(path, file, 0o600); err != nil {
		t.Fatal(err)
	}
	if s.accounts, err = accounts.NewMemory(accountsConfig, path, accounts.Options{}); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	s.desk, err = handoff.New(handoff.Config{}, handoff.Options{State: s.store, Queue: handoff.NewMemoryQueue(), Registry: reg, Users: s.accounts, Log: log})
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
	svc, err := dialog.NewService(dialog.ServiceConfig{}, dialog.ServiceOptions{Engine: engine, Store: s.store, Bus: s.store, Desk: s.desk, Log: log})
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
	s.aliases = aliases.NewFile("", aliases.Options{})
	con, err := console.New(console.Config{}, console.Options{Desk: s.desk, Accounts: s.accounts, Store: s.store, Bus: s.store, Log: log, Ephemeral: true,
		Teacher: aliases.NewTeacher(s.aliases, kbPages{kbase}, s.store), Aliases: s.aliases})
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

// tab is a browser tab of the console or the citizen's page.
type tab = browsertest.Page

func newTab(t *testing.T, b *browsertest.Browser, scope string) *tab { return b.NewPage(t, scope) }

const (
	docScope    = browsertest.DocumentScope
	widgetScope = `(document.getElementById('civibot-widget') && document.getElementById('civibot-widget').shadowRoot)`
)

// TestConsoleInBrowser: a caseworker logs in to the console, sees a
// conversation a citizen handed over in the widget (another tab, another
// origin), claims it, answers, takes a note and gives it back; the
// citizen's widget shows the answer as from a person.
func TestConsoleInBrowser(t *testing.T) {
	s := newSite(t)
	b := browsertest.Start(t, browsertest.Options{Lang: "de-DE", Width: 1360, Height: 900})

	// The caseworker's console, German (from the browser).
	cw := newTab(t, b, docScope)
	cw.Do(chromedp.Navigate(s.civibot.URL + "/console/"))
	cw.WaitFor("the login form", `return !R.getElementById('login-view').hidden && R.activeElement === R.getElementById('username');`)
	if h := cw.Text("#login-form h1"); h != "Anmelden" {
		t.Errorf("login heading = %q", h)
	}
	// A wrong password: a clear message, no hint whether the user exists.
	cw.Keys("anna" + kb.Tab + "falsches passwort" + kb.Enter)
	cw.WaitFor("the login error", `return R.getElementById('login-error').textContent !== '';`)
	if msg := cw.Text("#login-error"); msg != "Benutzername oder Passwort ist falsch." {
		t.Errorf("login error = %q", msg)
	}
	b.Screenshot(t, cw.Ctx, "console-login")
	// Keyboard only: the focus is back in the password field.
	if f := cw.Focused(); f != "input#password" {
		t.Errorf("focus after a failed login = %q", f)
	}
	cw.Keys(password + kb.Enter)
	cw.WaitFor("the console", `return !R.getElementById('app').hidden && R.getElementById('online-text').textContent.includes('Anna Schmidt');`)
	if me := cw.Text("#me"); me != "Angemeldet: Anna Schmidt (anna)" {
		t.Errorf("me = %q", me)
	}

	// The citizen, on the city's page (another origin), asks for a person.
	cit := newTab(t, b, widgetScope)
	cit.Do(chromedp.Navigate(s.city.URL))
	cit.Click(".cb-bubble")
	cit.Click(".cb-notice .cb-button")
	cit.Click(".cb-input")
	cit.Keys("Ich möchte meinen Bescheid besprechen" + kb.Enter)
	cit.WaitFor("the bot's answer", `return R.querySelectorAll('.cb-bot').length > 0 && !R.querySelector('.cb-pending');`)
	cit.Click(".cb-action")
	cit.WaitFor("the queue position", `const h = R.querySelector('.cb-handoff'); return !h.hidden && h.textContent.includes('Position 1');`)

	// It appears in the console's queue, and the live region says so.
	cw.WaitFor("the waiting conversation", `return R.querySelectorAll('#waiting .item').length === 1;`)
	cw.WaitFor("the announcement", `return R.getElementById('announce').textContent.includes('Neu in der Warteschlange: Web-Chat, Deutsch');`)
	item := cw.Text("#waiting .item")
	for _, want := range []string{"Web-Chat", "DE", "Platz 1", "wartet seit", "Bescheid"} {
		if !strings.Contains(item, want) {
			t.Errorf("queue entry %q lacks %q", item, want)
		}
	}

	// Keyboard only: Tab to the entry, open it, Tab to "claim", press it.
	cw.Do(chromedp.Evaluate[chromedp.Void](`document.getElementById('lang').focus()`))
	cw.TabTo("#waiting .item", 10)
	cw.Keys(kb.Enter)
	cw.WaitFor("the transcript", `return !R.getElementById('conv').hidden && R.querySelectorAll('#transcript .msg').length >= 3;`)
	cw.TabTo("#claim", 10)
	cw.Keys(kb.Enter)
	cw.WaitFor("the claim", `return !R.getElementById('reply-form').hidden && R.getElementById('meta').textContent.includes('übernommen');`)
	// The claim's answer moves the focus to the reply box; the live socket
	// may show the claim a moment before that answer arrives.
	cw.WaitFor("the focus on the reply box after claiming", `return !!R.activeElement && R.activeElement.id === 'reply';`)
	cw.WaitFor("mine", `return R.querySelectorAll('#mine .item').length === 1 && R.querySelectorAll('#waiting .item').length === 0;`)
	// The bot's turn shows its decision and candidate pages.
	if d := cw.Text("#transcript .role-bot .decision"); !strings.Contains(d, "Entscheidung:") || !strings.Contains(d, "Sicherheit") {
		t.Errorf("bot decision = %q", d)
	}
	// The citizen sees that a person has taken over.
	cit.WaitFor("the claimed status", `return R.querySelector('.cb-handoff').textContent.includes('jetzt für Sie da');`)

	// Reply with the keyboard (typed, then Ctrl+Enter).
	cw.Keys("Guten Tag, hier ist Anna Schmidt vom Bürgeramt. Worum geht es in Ihrem Bescheid?")
	cw.Do(chromedp.KeyEvent(kb.Enter, chromedp.KeyModifiers(chromedp.ModifierCtrl)))
	cw.WaitFor("the reply in the transcript", `return [...R.querySelectorAll('#transcript .role-caseworker')].some(e => e.textContent.includes('Worum geht es'));`)
	cit.WaitFor("the caseworker's message", `return [...R.querySelectorAll('.cb-caseworker .cb-text')].some(e => e.textContent.includes('Worum geht es'));`)
	if who := cit.Text(".cb-caseworker .cb-who"); who != "Anna Schmidt, Mitarbeiterin oder Mitarbeiter der Stadt" {
		t.Errorf("the citizen sees the caseworker as %q", who)
	}

	// A private note: shown in the console, never to the citizen.
	cw.Click("#note")
	cw.Keys("Bescheid vom März, Akte bei Team 3")
	cw.Click("#add-note")
	cw.WaitFor("the note", `return [...R.querySelectorAll('#transcript .role-note')].some(e => e.textContent.includes('Team 3') && e.textContent.includes('nur intern sichtbar'));`)

	// The citizen answers; the console shows it in the transcript, a live
	// region, so a screen reader reads it with its text.
	cit.Click(".cb-input")
	cit.Keys("Es geht um die Gebühren für den Bewohnerparkausweis." + kb.Enter)
	cw.WaitFor("the citizen's answer", `return [...R.querySelectorAll('#transcript .role-citizen .msg-text')].some(e => e.textContent.includes('Bewohnerparkausweis'));`)
	if live := browsertest.Eval[string](cw, `document.getElementById('transcript').getAttribute('aria-live')`); live != "polite" {
		t.Errorf("transcript aria-live = %q", live)
	}

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
	cw.WaitFor("the other entries", `return R.querySelectorAll('#waiting .item').length === 1 && R.querySelectorAll('#tickets .item').length === 1 && R.getElementById('online-text').textContent.includes('Ben Braun');`)
	if opts := cw.Text("#transfer-to"); opts != "Ben Braun (ben)" {
		t.Errorf("transfer targets = %q", opts)
	}
	cw.Do(chromedp.Evaluate[chromedp.Void](`document.getElementById('main').scrollTop = 0`))
	cw.Contrast(15)
	b.Screenshot(t, cw.Ctx, "console")

	// The citizen answers, with markup: the console shows it as text.
	cit.Click(".cb-input")
	cit.Keys(`Es geht um die Gebühren <img src=x onerror="window.__xss=1"><b>fett</b>` + kb.Enter)
	cw.WaitFor("the citizen's answer", `return [...R.querySelectorAll('#transcript .role-citizen .msg-text')].some(e => e.textContent.includes('<b>fett</b>'));`)
	if n := cw.Count("#transcript img, #transcript b"); n != 0 {
		t.Errorf("citizen text became %d elements in the console", n)
	}
	if browsertest.Eval[bool](cw, `window.__xss === 1`) {
		t.Error("script in a citizen message ran in the console")
	}

	// Canned replies: none yet, so the admin would add them; anna is no admin.
	if !browsertest.Eval[bool](cw, `document.getElementById('edit-canned').hidden`) {
		t.Error("a caseworker sees the canned replies editor")
	}

	if txt := cit.Text(".cb-log"); strings.Contains(txt, "Team 3") {
		t.Error("the citizen sees the private note")
	}
	b.Screenshot(t, cit.Ctx, "console-citizen-view")

	// Give back to the bot: the citizen is told.
	cw.Click("#giveback")
	cw.WaitFor("the conversation back with the bot", `return R.getElementById('meta').textContent.includes('beim Bot') && R.querySelectorAll('#mine .item').length === 0;`)
	cit.WaitFor("the notice", `return [...R.querySelectorAll('.cb-system .cb-text')].some(e => e.textContent.includes('digitalen Assistenten'));`)

	// English, switched in the page.
	cw.Choose("#lang", "en")
	cw.WaitFor("English", `return R.documentElement.lang === 'en' && R.querySelector('#h-waiting span').textContent === 'Waiting';`)
	if st := cw.Text("#meta"); !strings.Contains(st, "with the bot") {
		t.Errorf("meta in English = %q", st)
	}
	if w := cw.Text("#transcript .role-caseworker .who"); w != "Anna Schmidt (caseworker)" {
		t.Errorf("transcript in English: %q", w)
	}
	b.Screenshot(t, cw.Ctx, "console-en")

	// Every focusable control shows its focus.
	for i := 0; i < 25; i++ {
		cw.Keys(kb.Tab)
		d := browsertest.Eval[map[string]string](cw, `(() => { const a = document.activeElement; if (!a || a === document.body) return {}; const s = getComputedStyle(a);
			return {el: a.tagName + '#' + a.id + '.' + a.className, outline: s.outlineStyle + ' ' + s.outlineWidth, shadow: s.boxShadow}; })()`)
		if d["el"] != "" && d["outline"] == "none 0px" && (d["shadow"] == "none" || d["shadow"] == "") {
			t.Errorf("focused %s shows no focus", d["el"])
		}
	}

	// Log out: back at the login form; the session is gone.
	cw.Click("#logout")
	cw.WaitFor("the login form", `return !R.getElementById('login-view').hidden && R.getElementById('login-error').textContent.includes('logged out');`)
	cw.NoErrors()
	cit.NoErrors()
}

// TestConsoleAdminInBrowser: an admin edits canned replies in the dialog,
// a caseworker inserts one into a reply.
func TestConsoleAdminInBrowser(t *testing.T) {
	s := newSite(t)
	b := browsertest.Start(t, browsertest.Options{Lang: "en-GB", Width: 1280, Height: 860})
	p := newTab(t, b, docScope)
	p.Do(chromedp.Navigate(s.civibot.URL + "/console/"))
	p.WaitFor("the login form", `return !R.getElementById('login-view').hidden;`)
	if h := p.Text("#login-form h1"); h != "Log in" {
		t.Errorf("login heading = %q (English from the browser)", h)
	}
	p.Keys("rita" + kb.Tab + password + kb.Enter)
	p.WaitFor("the console", `return !R.getElementById('app').hidden && !R.getElementById('edit-canned').hidden;`)
	p.Click("#edit-canned")
	p.WaitFor("the dialog", `return R.getElementById('canned-dialog').open && R.activeElement.classList.contains('c-title');`)
	p.Keys("Opening hours" + kb.Tab)
	p.Choose("#canned-rows .c-lang", "en")
	p.Click("#canned-rows .c-text")
	p.Keys("The citizens' office is open Monday to Friday, 8 am to 4 pm.")
	b.Screenshot(t, p.Ctx, "console-canned")
	p.Click("#canned-save")
	p.WaitFor("the dialog to close", `return !R.getElementById('canned-dialog').open && R.getElementById('announce').textContent.includes('Canned replies saved');`)
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
	p.WaitFor("the entry", `return R.querySelectorAll('#waiting .item').length === 1;`)
	p.Click("#waiting .item")
	p.Click("#claim")
	p.WaitFor("the claim", `return !R.getElementById('reply-form').hidden && R.getElementById('announce').textContent.includes('You have claimed');`)
	p.Choose("#canned", "0")
	p.Click("#insert-canned")
	if v := browsertest.Eval[string](p, `document.getElementById('reply').value`); !strings.Contains(v, "Monday to Friday") {
		t.Errorf("reply box after inserting = %q", v)
	}
	p.Click("#send")
	p.WaitFor("the reply", `return [...document.querySelectorAll('#transcript .role-caseworker')].some(e => e.textContent.includes('Monday to Friday'));`)
	// Close with an outcome.
	p.Choose("#outcome", "resolved")
	p.Click("#close")
	p.WaitFor("closed", `return R.getElementById('meta').textContent.includes('Resolved');`)
	b.Screenshot(t, p.Ctx, "console-admin")

	// 200% zoom (a 1280×800 window): everything reachable, nothing wider
	// than the window.
	p.Do(chromedp.EmulateViewport(640, 400, chromedp.EmulateScale(2)))
	p.WaitFor("the narrow layout", `return getComputedStyle(document.body).display === 'block';`)
	if over := browsertest.Eval[float64](p, `document.documentElement.scrollWidth - innerWidth`); over > 0 {
		t.Errorf("the console scrolls sideways by %v px at 200%% zoom", over)
	}
	p.Click("#note")
	p.Keys("Zoom note")
	p.Click("#add-note")
	p.WaitFor("the note at 200% zoom", `return [...document.querySelectorAll('#transcript .role-note')].some(e => e.textContent.includes('Zoom note'));`)
	b.Screenshot(t, p.Ctx, "console-zoom-200")
	p.NoErrors()

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
	p.Do(chromedp.Navigate("about:blank"))
	testtime.WaitFor(t, 10*time.Second, "rita offline after leaving the console", func() bool { return !onlineNow() })
}
