package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/civibot/civibot/accounts"
	"github.com/civibot/civibot/conversation"
	"github.com/civibot/civibot/internal/browsertest"
)

// storeKey is the widget's localStorage key on the city page.
func (s *stack) storeKey() string { return "civibot:" + s.widgetBase.Load().(string) }

// citizenTexts are the citizen's stored messages, in seq order.
func (s *stack) citizenTexts(t *testing.T, id string) []string {
	t.Helper()
	msgs, err := s.store.Messages(context.Background(), id, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range msgs {
		if m.Role == conversation.RoleCitizen {
			out = append(out, m.Text)
		}
	}
	return out
}

// TestWidgetSendsInOrder (issue 21.10): messages typed during an outage
// are stored once each, in the order they were typed, also when the
// rate limit holds some of them back.
func TestWidgetSendsInOrder(t *testing.T) {
	s := newStack(t)
	proxy := newTCPProxy(t, strings.TrimPrefix(s.civibot.URL, "http://"))
	s.widgetBase.Store(proxy.url())
	b := browsertest.Start(t, browsertest.Options{Lang: "de-DE"})
	p := newPage(t, b)
	openWidget(t, p, s.city.URL)
	ask(t, p, "Hallo")
	id := s.conversations(t)[0].ID

	proxy.cut(true)
	p.WaitFor("the reconnect banner", `return !R.querySelector('.cb-banner').hidden;`)
	var want []string
	// More than the burst of the per-connection rate limit (10).
	for i := 1; i <= 12; i++ {
		text := fmt.Sprintf("Nachricht %d", i)
		want = append(want, text)
		p.Click(".cb-input")
		p.Keys(text + "\r")
	}
	p.WaitFor("12 pending messages", `return R.querySelectorAll('.cb-pending').length === 12;`)
	proxy.restore()
	reconnectNow(p)
	p.WaitFor("every message sent", `return R.querySelectorAll('.cb-pending').length === 0;`)
	got := s.citizenTexts(t, id)[1:]
	if !slices.Equal(got, want) {
		t.Errorf("stored in this order:\n%q\nwant\n%q", got, want)
	}
	shown := browsertest.Eval[[]string](p, `[...`+root+`.querySelectorAll('.cb-citizen .cb-text')].map(e => e.textContent).slice(1)`)
	if !slices.Equal(shown, want) {
		t.Errorf("shown in this order:\n%q\nwant\n%q", shown, want)
	}
	p.NoErrors()
}

// TestWidgetChatExpiry (issue 21.9): a chat idle for longer than
// city.chat_expiry is gone from the device; "Chat beenden" forgets it at once.
func TestWidgetChatExpiry(t *testing.T) {
	s := newStack(t)
	b := browsertest.Start(t, browsertest.Options{Lang: "de-DE"})
	p := newPage(t, b)
	openWidget(t, p, s.city.URL)
	ask(t, p, "Wie melde ich meinen Hund an?")
	key := s.storeKey()
	old := browsertest.Eval[string](p, `JSON.parse(localStorage.getItem('`+key+`')).token`)

	// Back after the default four hours.
	browsertest.Eval[bool](p, `(() => { const s = JSON.parse(localStorage.getItem('`+key+`')); s.at = Date.now() - 4*3600*1000 - 60000;
		localStorage.setItem('`+key+`', JSON.stringify(s)); return true; })()`)
	p.Do(chromedp.Reload())
	p.WaitFor("the bubble after reload", `return !!R.querySelector('.cb-bubble') && !R.querySelector('.cb').hidden;`)
	p.Click(".cb-bubble")
	p.WaitFor("a new conversation", `const s = JSON.parse(localStorage.getItem('`+key+`') || '{}'); return !!s.token && s.token !== '`+old+`';`)
	if n := p.Count(".cb-msg"); n != 0 {
		t.Errorf("%d messages of the expired chat shown", n)
	}
	if len(s.conversations(t)) != 1 {
		t.Errorf("the expired chat must stay on the server until its retention ends")
	}

	// Within the expiry the chat continues.
	p.Click(".cb-input")
	ask(t, p, "Was kostet ein Personalausweis?")
	n := p.Count(".cb-msg[data-seq]")
	p.Do(chromedp.Reload())
	p.WaitFor("the bubble after reload", `return !!R.querySelector('.cb-bubble') && !R.querySelector('.cb').hidden;`)
	p.Click(".cb-bubble")
	p.WaitFor("the history", fmt.Sprintf(`return R.querySelectorAll('.cb-msg[data-seq]').length === %d;`, n))

	// The config says how long.
	resp, err := http.Get(s.civibot.URL + "/widget/config.json")
	if err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		Expiry int `json:"chat_expiry_seconds"`
	}
	err = json.NewDecoder(resp.Body).Decode(&cfg)
	resp.Body.Close()
	if err != nil || cfg.Expiry != 4*3600 {
		t.Errorf("chat_expiry_seconds = %v (%v), want 14400", cfg.Expiry, err)
	}
	if label := p.Text(".cb-actions .cb-action:last-child"); label != "Chat beenden" {
		t.Errorf("end button = %q", label)
	}
	p.NoErrors()
}

// TestWidgetConversationLost (issue 13.4): the server forgot the
// conversation (a restart without Redis): the widget says so in one
// sentence, drops the handoff status and starts cleanly.
func TestWidgetConversationLost(t *testing.T) {
	s := newStack(t)
	proxy := newTCPProxy(t, strings.TrimPrefix(s.civibot.URL, "http://"))
	s.widgetBase.Store(proxy.url())
	ctx := context.Background()
	if _, err := s.accounts.AddUser(ctx, "ben", "Ben Weber", accounts.RoleCaseworker, "correct horse battery"); err != nil {
		t.Fatal(err)
	}
	if err := s.desk.Heartbeat(ctx, "ben"); err != nil {
		t.Fatal(err)
	}
	b := browsertest.Start(t, browsertest.Options{Lang: "de-DE"})
	p := newPage(t, b)
	openWidget(t, p, s.city.URL)
	ask(t, p, "Wie melde ich meinen Hund an?")
	p.Click(".cb-actions .cb-action") // talk to a person
	p.WaitFor("the queue position", `return R.querySelector('.cb-handoff').textContent.includes('Position 1');`)
	// While waiting, the button is gone (it would only queue again).
	p.WaitFor("the person button to go", `return R.querySelector('.cb-actions .cb-action').hidden;`)
	id := s.conversations(t)[0].ID
	if _, err := s.desk.Claim(ctx, id, "ben"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.desk.Reply(ctx, id, "ben", "Guten Tag, hier ist Ben."); err != nil {
		t.Fatal(err)
	}
	p.WaitFor("the named claim", `return R.querySelector('.cb-handoff').textContent === 'Ben Weber ist jetzt für Sie da.';`)

	// "Restart": the conversation is gone on the server.
	proxy.cut(true)
	p.WaitFor("the reconnect banner", `return !R.querySelector('.cb-banner').hidden;`)
	if err := s.store.Delete(ctx, id); err != nil {
		t.Fatal(err)
	}
	p.Click(".cb-input")
	p.Keys("Sind Sie noch da?\r")
	proxy.restore()
	reconnectNow(p)
	p.WaitFor("the notice", `return [...R.querySelectorAll('.cb-system .cb-text')].some(e => e.textContent.includes('nicht mehr vorhanden'));`)
	p.WaitFor("the pending message sent", `return !R.querySelector('.cb-pending');`)
	if !browsertest.Eval[bool](p, root+`.querySelector('.cb-handoff').hidden`) {
		t.Errorf("handoff status still shown: %q", p.Text(".cb-handoff"))
	}
	if browsertest.Eval[bool](p, root+`.querySelector('.cb-actions .cb-action').hidden`) {
		t.Error("the person button stays hidden in the new conversation")
	}
	if n := p.Count(".cb-caseworker"); n != 0 {
		t.Errorf("%d caseworker messages of the lost conversation still shown", n)
	}
	p.Screenshot("widget-conversation-lost")
	p.NoErrors()
}

// reconnectNow presses "Jetzt verbinden" if the widget is waiting to
// retry, instead of waiting out its backoff.
func reconnectNow(p *page) {
	browsertest.Eval[bool](p, `(() => { const b = `+root+`.querySelector('.cb-banner .cb-link-button'); if (b && !b.hidden) b.click(); return true; })()`)
}

// TestWidgetRatesThePerson (issue 13, rating): when the caseworker gives
// the conversation back, the citizen is asked once how satisfied they
// were (1 to 5, optional comment); the rating is stored.
func TestWidgetRatesThePerson(t *testing.T) {
	s := newStack(t)
	ctx := context.Background()
	if _, err := s.accounts.AddUser(ctx, "ben", "Ben Weber", accounts.RoleCaseworker, "correct horse battery"); err != nil {
		t.Fatal(err)
	}
	if err := s.desk.Heartbeat(ctx, "ben"); err != nil {
		t.Fatal(err)
	}
	b := browsertest.Start(t, browsertest.Options{Lang: "de-DE"})
	p := newPage(t, b)
	openWidget(t, p, s.city.URL)
	p.Click(".cb-actions .cb-action") // talk to a person
	p.WaitFor("the queue position", `return R.querySelector('.cb-handoff').textContent.includes('Position 1');`)
	id := s.conversations(t)[0].ID
	if _, err := s.desk.Claim(ctx, id, "ben"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.desk.Reply(ctx, id, "ben", "Ihr Antrag ist angekommen."); err != nil {
		t.Fatal(err)
	}
	p.WaitFor("his message", `return !!R.querySelector('.cb-caseworker');`)
	if p.Count(".cb-rating") != 0 {
		t.Error("asked for a rating while the person is still there")
	}
	if _, err := s.desk.GiveBack(ctx, id, "ben"); err != nil {
		t.Fatal(err)
	}
	p.WaitFor("the rating", `return !!R.querySelector('.cb-rating');`)
	if l := p.Text(".cb-rating legend"); l != "Wie zufrieden waren Sie mit dem Gespräch mit Ben Weber?" {
		t.Errorf("legend = %q", l)
	}
	// Keyboard: the radio group, then the comment and the button.
	p.Click(`.cb-rate-option[for="cb-rate-4"]`)
	p.Click(".cb-rate-comment")
	p.Keys("Schnell und freundlich")
	p.Contrast(5)
	p.Screenshot("widget-rating")
	p.Click(".cb-rating .cb-button")
	p.WaitFor("the thanks", `return R.querySelector('.cb-rate-status').textContent === 'Danke für Ihre Bewertung.';`)
	c, err := s.store.Get(ctx, id)
	if err != nil || c.Handoff.Rating != 4 || c.Handoff.RatingComment != "Schnell und freundlich" {
		t.Errorf("stored rating: %+v %v", c.Handoff, err)
	}
	// Asked once: a reload does not ask again.
	p.Do(chromedp.Reload())
	p.WaitFor("the bubble after reload", `return !!R.querySelector('.cb-bubble') && !R.querySelector('.cb').hidden;`)
	p.Click(".cb-bubble")
	p.WaitFor("the history", `return R.querySelectorAll('.cb-caseworker').length === 1;`)
	if p.Count(".cb-rating") != 0 {
		t.Error("asked again after a reload")
	}
	p.NoErrors()
}
