package console_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/civibot/civibot/conversation"
	"github.com/civibot/civibot/internal/browsertest"
)

// waitingConv stores a conversation with one citizen message and asks for
// a person.
func (s *site) waitingConv(t *testing.T, id, lang, text string) {
	t.Helper()
	if _, err := s.store.Create(bg, conversation.Conversation{ID: id, Channel: conversation.ChannelWeb, Language: lang}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.store.Append(bg, id, conversation.Message{Role: conversation.RoleCitizen, Text: text, Language: lang}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.desk.Request(bg, id, conversation.HandoffRequest{Reason: "human_request", Language: lang, Channel: conversation.ChannelWeb, Question: text}); err != nil {
		t.Fatal(err)
	}
}

// login logs in with the keyboard from the login form.
func login(t *testing.T, p *tab, url, user string) {
	t.Helper()
	p.Do(chromedp.Navigate(url + "/console/"))
	p.WaitFor("the login form", `return !R.getElementById('login-view').hidden && R.activeElement === R.getElementById('username');`)
	p.Keys(user + kb.Tab + password + kb.Enter)
	p.WaitFor("the console", `return !R.getElementById('app').hidden && !!R.getElementById('online-text').textContent;`)
}

// TestConsoleDoesNotMissCitizens (issue 13, expected features): the focus
// lands on the queue after login; unread markers per conversation; the
// waiting count in the tab title; a new citizen message in a conversation
// of one's own that is not open is announced with its text; the open
// transcript is a live region.
func TestConsoleDoesNotMissCitizens(t *testing.T) {
	s := newSite(t)
	b := browsertest.Start(t, browsertest.Options{Lang: "de-DE", Width: 1280, Height: 860})
	p := newTab(t, b, docScope)
	login(t, p, s.civibot.URL, "anna")
	if f := p.Focused(); f != "nav#queue.queue" {
		t.Errorf("focus after login = %q, want the queue", f)
	}
	if title := browsertest.Eval[string](p, `document.title`); title != "civibot – Konsole" {
		t.Errorf("title with nobody waiting = %q", title)
	}
	// Memory only (issue 21.12): the console says what a restart loses.
	if n := p.Text("#ephemeral"); !strings.Contains(n, "Neustart") || browsertest.Eval[bool](p, `document.getElementById('ephemeral').hidden`) {
		t.Errorf("no notice that a restart loses everything: %q", n)
	}

	s.waitingConv(t, "w1", "de", "Ich brauche einen Termin für meinen Reisepass")
	s.waitingConv(t, "w2", "de", "Mein Bescheid ist falsch")
	p.WaitFor("two waiting", `return R.querySelectorAll('#waiting .item').length === 2;`)
	p.WaitFor("the count in the title", `return document.title === '(2) civibot – Konsole';`)
	if n := p.Count("#waiting .item.unread"); n != 2 {
		t.Errorf("%d of 2 new entries marked unread", n)
	}
	if txt := p.Text("#waiting .item"); !strings.Contains(txt, "ungelesen") {
		t.Errorf("the unread marker has no text for screen readers: %q", txt)
	}

	// Claim w1: it is read; then open w2, so w1 is not open.
	p.Click(`#waiting .item[data-id="w1"]`)
	p.Click("#claim")
	p.WaitFor("the claim", `return !R.getElementById('reply-form').hidden && R.querySelectorAll('#mine .item').length === 1;`)
	if n := p.Count("#mine .item.unread"); n != 0 {
		t.Errorf("the open conversation is marked unread")
	}
	if role := browsertest.Eval[string](p, `document.getElementById('transcript').getAttribute('role') + ' ' + document.getElementById('transcript').getAttribute('aria-live')`); role != "log polite" {
		t.Errorf("transcript role/aria-live = %q, want a polite log", role)
	}
	p.Click(`#waiting .item[data-id="w2"]`)
	p.WaitFor("w2 open", `return R.querySelector('#waiting .item.current') !== null;`)

	// The citizen of w1 writes: marker, title, announcement with the text.
	if _, _, err := s.store.Append(bg, "w1", conversation.Message{Role: conversation.RoleCitizen, Text: "Geht es auch am Samstag?", Language: "de"}); err != nil {
		t.Fatal(err)
	}
	p.WaitFor("the unread marker on mine", `return R.querySelectorAll('#mine .item.unread').length === 1;`)
	p.WaitFor("the announcement with the text", `return R.getElementById('announce').textContent.includes('Geht es auch am Samstag?');`)
	// w2 was opened (read), w1 is unread: one waiting + one unread.
	p.WaitFor("the title", `return document.title === '(2) civibot – Konsole';`)
	b.Screenshot(t, p.Ctx, "console-unread")

	// Opening it clears the marker.
	p.Click(`#mine .item[data-id="w1"]`)
	p.WaitFor("the marker gone", `return R.querySelectorAll('#mine .item.unread').length === 0 && document.title === '(1) civibot – Konsole';`)

	// The notice toggle asks nothing until pressed and is a toggle button.
	if pressed := browsertest.Eval[string](p, `document.getElementById('notify').getAttribute('aria-pressed')`); pressed != "false" {
		t.Errorf("notify pressed = %q before the caseworker chose", pressed)
	}
	if k := p.Text("#send-key"); k != "Strg+Enter sendet" {
		t.Errorf("send key hint = %q", k)
	}
	p.NoErrors()
}

// TestConsoleCloseAndDelete (issue 13.8): Abschließen only for the
// caseworker who has the conversation, or who just gave it back (the
// outcome is then recorded); the delete button stands apart.
func TestConsoleCloseAndDelete(t *testing.T) {
	s := newSite(t)
	if err := s.desk.Heartbeat(bg, "rita"); err != nil {
		t.Fatal(err)
	}
	b := browsertest.Start(t, browsertest.Options{Lang: "de-DE", Width: 1280, Height: 860})
	p := newTab(t, b, docScope)
	login(t, p, s.civibot.URL, "rita")
	s.waitingConv(t, "w1", "de", "Ich brauche Hilfe")
	p.WaitFor("the entry", `return R.querySelectorAll('#waiting .item').length === 1;`)
	p.Click("#waiting .item")
	p.WaitFor("the conversation", `return R.getElementById('meta').textContent.includes('wartet');`)
	if !browsertest.Eval[bool](p, `document.getElementById('close-group').hidden`) {
		t.Error("Abschließen is offered before claiming")
	}
	// The delete button is not among the everyday actions.
	if browsertest.Eval[bool](p, `document.getElementById('actions').contains(document.getElementById('forget'))`) {
		t.Error("the delete button sits among Übernehmen and Abschließen")
	}
	if browsertest.Eval[bool](p, `document.getElementById('danger-zone').hidden`) {
		t.Error("an admin cannot delete")
	}
	p.Click("#claim")
	p.WaitFor("claimed", `return !R.getElementById('close-group').hidden;`)
	p.Click("#giveback")
	p.WaitFor("back with the bot", `return R.getElementById('meta').textContent.includes('beim Bot');`)
	if browsertest.Eval[bool](p, `document.getElementById('close-group').hidden`) {
		t.Fatal("after giving back, the outcome cannot be recorded")
	}
	p.Choose("#outcome", "resolved")
	p.Click("#close")
	p.WaitFor("the outcome", `return R.getElementById('meta').textContent.includes('Erledigt') && R.getElementById('close-group').hidden;`)
	c, err := s.store.Get(bg, "w1")
	if err != nil || c.Handoff.Outcome != "resolved" || c.Status != conversation.StatusBot {
		t.Errorf("stored: %v %+v %v", c.Status, c.Handoff, err)
	}
	p.NoErrors()
}

// TestConsolePhone (issue 13.7): at 360 px nothing scrolls sideways.
func TestConsolePhone(t *testing.T) {
	s := newSite(t)
	b := browsertest.Start(t, browsertest.Options{Lang: "de-DE"})
	p := newTab(t, b, docScope)
	p.Do(chromedp.EmulateViewport(360, 740, chromedp.EmulateScale(2)))
	login(t, p, s.civibot.URL, "anna")
	if err := s.desk.Heartbeat(bg, "ben"); err != nil {
		t.Fatal(err)
	}
	s.waitingConv(t, "w1", "de", "Ich möchte meinen Wohnsitz ummelden und habe eine sehr lange Frage dazu")
	p.WaitFor("the entry", `return R.querySelectorAll('#waiting .item').length === 1;`)
	p.Click("#waiting .item")
	p.Click("#claim")
	p.WaitFor("claimed", `return !R.getElementById('reply-form').hidden && !R.getElementById('transfer-group').hidden;`)
	over := browsertest.Eval[map[string]float64](p, `(() => { const out = {page: document.documentElement.scrollWidth - innerWidth};
		for (const id of ['actions', 'meta', 'reply-form', 'transfer-group', 'close-group']) {
			const r = document.getElementById(id).getBoundingClientRect(); out[id] = r.right - innerWidth; }
		return out; })()`)
	for k, v := range over {
		if v > 0.5 {
			t.Errorf("%s reaches %v px beyond the 360 px screen", k, v)
		}
	}
	p.Contrast(10)
	b.Screenshot(t, p.Ctx, "console-phone")
	p.NoErrors()
}

// TestCaseworkerTypingShownToCitizen (issue 13, typing indicator): while
// the caseworker types a reply, the citizen's web chat says so, with her
// name; her message ends it.
func TestCaseworkerTypingShownToCitizen(t *testing.T) {
	s := newSite(t)
	b := browsertest.Start(t, browsertest.Options{Lang: "de-DE", Width: 1280, Height: 860})
	cw := newTab(t, b, docScope)
	login(t, cw, s.civibot.URL, "anna")

	cit := newTab(t, b, widgetScope)
	cit.Do(chromedp.Navigate(s.city.URL))
	cit.Click(".cb-bubble")
	cit.Click(".cb-notice .cb-button")
	cit.Click(".cb-actions .cb-action") // Mit einem Menschen sprechen
	cit.WaitFor("the queue position", `return R.querySelector('.cb-handoff').textContent.includes('Position 1');`)

	cw.WaitFor("the waiting citizen", `return R.querySelectorAll('#waiting .item').length === 1;`)
	cw.Click("#waiting .item")
	cw.Click("#claim")
	cw.WaitFor("the reply box", `return !R.getElementById('reply-form').hidden && R.activeElement === R.getElementById('reply');`)
	cw.Keys("Guten Tag, einen Moment bitte")
	cit.WaitFor("the typing indicator", `const t = R.querySelector('.cb-typing'); return !t.hidden && t.textContent.includes('schreibt');`)
	cit.Screenshot("widget-caseworker-typing")
	cw.Do(chromedp.KeyEvent(kb.Enter, chromedp.KeyModifiers(chromedp.ModifierCtrl)))
	cit.WaitFor("her message, no indicator", `return R.querySelectorAll('.cb-caseworker').length === 1 && R.querySelector('.cb-typing').hidden;`)

	// Her name is known now: the next indicator names her.
	cw.Keys("Ich schaue nach")
	cit.WaitFor("the named indicator", `const t = R.querySelector('.cb-typing'); return !t.hidden && t.textContent === 'Anna Schmidt schreibt …';`)
	cw.NoErrors()
	cit.NoErrors()
}

// TestConsoleNeutralisesText (issue 21.11): control characters and bidi
// overrides in a citizen's text cannot spoof the queue or the transcript.
// The store removes them when the message is appended (conversation
// tests); the page's own neutralisation (U+FFFD for control characters,
// overrides dropped) stays for text stored before that.
func TestConsoleNeutralisesText(t *testing.T) {
	s := newSite(t)
	b := browsertest.Start(t, browsertest.Options{Lang: "de-DE", Width: 1280, Height: 860})
	p := newTab(t, b, docScope)
	login(t, p, s.civibot.URL, "anna")
	s.waitingConv(t, "w1", "de", "Rechnung \u202efdp.exe\x00 bitte pr\u2066\u00fcfen")
	p.WaitFor("the entry", `return R.querySelectorAll('#waiting .item').length === 1;`)
	const want = "Rechnung fdp.exe bitte prüfen"
	if got := p.Text("#waiting .excerpt"); got != want {
		t.Errorf("excerpt = %q, want %q", got, want)
	}
	p.Click("#waiting .item")
	p.WaitFor("the transcript", `return R.querySelectorAll('#transcript .role-citizen').length === 1;`)
	if got := p.Text("#transcript .role-citizen .msg-text"); got != want {
		t.Errorf("transcript = %q, want %q", got, want)
	}
	p.NoErrors()
}
