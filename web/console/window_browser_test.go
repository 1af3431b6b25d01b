package console_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/civibot/civibot/channels"
	"github.com/civibot/civibot/conversation"
	"github.com/civibot/civibot/internal/browsertest"
)

// TestWindowInBrowser: a caseworker opens a WhatsApp conversation whose
// 24-hour window has closed: the console says so, a reply is stored but
// marked not delivered, and the approved template goes out with one click.
func TestWindowInBrowser(t *testing.T) {
	reg := channels.NewRegistry()
	wa := &windowed{}
	reg.Register(conversation.ChannelWhatsApp, wa)
	s := newSite(t, reg)
	if err := s.desk.Heartbeat(bg, "ben"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.store.Create(bg, conversation.Conversation{ID: "a1", Channel: conversation.ChannelWhatsApp, Address: "whatsapp:+491701234567", Language: "de"}); err != nil {
		t.Fatal(err)
	}
	s.store.Append(bg, "a1", conversation.Message{Role: conversation.RoleCitizen, Text: "Wann ist mein Ausweis fertig?", Language: "de"})
	if _, err := s.desk.Request(bg, "a1", conversation.HandoffRequest{Reason: "case_specific", Language: "de", Channel: conversation.ChannelWhatsApp, Question: "Wann ist mein Ausweis fertig?"}); err != nil {
		t.Fatal(err)
	}

	b := browsertest.Start(t, browsertest.Options{Lang: "de-DE", Width: 1360, Height: 900})
	cw := newTab(t, b, docScope)
	cw.Do(chromedp.Navigate(s.civibot.URL + "/console/"))
	cw.WaitFor("the login form", `return !R.getElementById('login-view').hidden && R.activeElement === R.getElementById('username');`)
	cw.Keys("anna" + kb.Tab + password + kb.Enter)
	cw.WaitFor("the waiting conversation", `return !R.getElementById('app').hidden && R.querySelectorAll('#waiting .item').length === 1;`)
	cw.Click("#waiting .item")
	cw.WaitFor("the window", `return !R.getElementById('window').hidden;`)
	if txt := cw.Text("#window-text"); !strings.HasPrefix(txt, "WhatsApp: Das 24-Stunden-Fenster ist seit ") || !strings.Contains(txt, "Uhr geschlossen. Antworten werden gespeichert") {
		t.Errorf("window text = %q", txt)
	}
	if n := cw.Count("#send-template:not([hidden])"); n != 0 {
		t.Error("the template is offered before the caseworker holds the conversation")
	}
	cw.Click("#claim")
	cw.WaitFor("the template button", `return !R.getElementById('reply-form').hidden && !R.getElementById('send-template').hidden;`)
	if btn := cw.Text("#send-template"); !strings.Contains(btn, "Freigegebene Vorlage senden") || !strings.Contains(btn, "Wir haben eine Antwort für Sie") {
		t.Errorf("button = %q", btn)
	}
	cw.Click("#reply")
	cw.Keys("Ihr Ausweis ist fertig.")
	cw.Click("#send")
	cw.WaitFor("not delivered", `return R.getElementById('action-error').textContent.includes('nicht zugestellt') && [...R.querySelectorAll('#transcript .role-caseworker')].some(e => e.textContent.includes('nicht zugestellt'));`)
	cw.Contrast(10)
	b.Screenshot(t, cw.Ctx, "console-whatsapp-window")
	cw.Click("#send-template")
	cw.WaitFor("the template in the transcript", `return [...R.querySelectorAll('#transcript .role-caseworker .who')].some(e => e.textContent.includes('Vorlage von Anna Schmidt')) && R.getElementById('announce').textContent.includes('Die Vorlage wurde gesendet.');`)
	if len(wa.sent) != 1 || wa.sent[0].Action != conversation.ActionTemplate {
		t.Errorf("sent %+v", wa.sent)
	}
	cw.NoErrors()
}
