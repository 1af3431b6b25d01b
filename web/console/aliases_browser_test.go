package console_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/civibot/civibot/conversation"
	"github.com/civibot/civibot/internal/browsertest"
	"github.com/civibot/civibot/web/console"
)

// TestTeachAndReviewInTheBrowser (issue 11.3): a caseworker marks the page
// that answers a handed-off question and links it in her reply, and sees
// that it was kept; an administrator finds the suggestion at
// /console/aliases, edits its text and accepts it — at desktop and phone
// width, without sideways scrolling.
func TestTeachAndReviewInTheBrowser(t *testing.T) {
	s := newSite(t)
	const question = "Mein Name ist Klara Weiß, wir haben seit gestern einen Welpen, was müssen wir erledigen?"
	if err := s.desk.Heartbeat(bg, "ben"); err != nil { // someone is online: the citizen waits
		t.Fatal(err)
	}
	if _, err := s.store.Create(bg, conversation.Conversation{ID: "w1", Channel: conversation.ChannelWeb, Language: "de"}); err != nil {
		t.Fatal(err)
	}
	cands := []conversation.PageRef{{ID: "hundesteuer-de", Title: "Hund anmelden und Hundesteuer", URL: "https://www.musterstadt.example/service/hundesteuer", Score: 0.4}}
	for _, m := range []conversation.Message{
		{Role: conversation.RoleCitizen, Text: question, Language: "de"},
		{Role: conversation.RoleBot, Text: "Dazu bin ich mir nicht sicher.", Language: "de",
			Decision: &conversation.Decision{Kind: "handoff", Reason: "low_confidence", Confidence: 0.3, Candidates: cands}},
	} {
		if _, _, err := s.store.Append(bg, "w1", m); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.desk.Request(bg, "w1", conversation.HandoffRequest{Reason: "low_confidence", Language: "de", Channel: conversation.ChannelWeb, Question: question, Candidates: cands}); err != nil {
		t.Fatal(err)
	}

	b := browsertest.Start(t, browsertest.Options{Lang: "de-DE", Width: 1280, Height: 860})
	cw := newTab(t, b, docScope)
	login(t, cw, s.civibot.URL, "anna")
	cw.WaitFor("the waiting citizen", `return R.querySelectorAll('#waiting .item').length === 1;`)
	cw.Click("#waiting .item")
	cw.WaitFor("no teaching before the claim", `return R.getElementById('teach-form').hidden && !R.getElementById('claim').hidden;`)
	cw.Click("#claim")
	cw.WaitFor("the candidate page to mark", `const b = R.querySelector('#teach-cands button'); return !R.getElementById('teach-form').hidden && b && b.textContent.includes('Hund anmelden');`)
	cw.Click("#teach-cands button")
	cw.WaitFor("the page kept as a suggestion", `return R.getElementById('teach-status').textContent.includes('Als Vorschlag gemerkt: „Hund anmelden und Hundesteuer“');`)
	// An address that is none of the city's pages is refused, with a reason.
	cw.Click("#teach-page")
	cw.Keys("https://example.org/anderswo")
	cw.Click("#teach")
	cw.WaitFor("the refusal", `return R.getElementById('action-error').textContent.includes('keine Seite der Stadt');`)
	cw.NoErrors()

	if got, _ := s.aliases.List(bg); len(got) != 1 || strings.Contains(got[0].Text, "Klara") || !strings.Contains(got[0].Text, "Welpen") {
		t.Fatalf("suggestions after teaching: %+v", got)
	}

	// The administrator works in a browser of her own (cookies are per browser).
	b2 := browsertest.Start(t, browsertest.Options{Lang: "de-DE", Width: 1280, Height: 860})
	admin := newTab(t, b2, docScope)
	login(t, admin, s.civibot.URL, "rita")
	admin.WaitFor("the link to the review", `return !R.getElementById('aliases-link').hidden;`)
	admin.Click("#aliases-link")
	admin.WaitFor("the suggestion", `const i = R.querySelector('#table-pending .alias-text'); return !!i && i.value.includes('Welpen') && !i.value.includes('Klara');`)
	admin.Contrast(5)
	admin.Do(chromedp.Evaluate[chromedp.Void](`document.querySelector('#table-pending .alias-text').value = ''`))
	admin.Click("#table-pending .alias-text")
	admin.Keys("Wir haben einen Welpen, was müssen wir erledigen?")
	admin.Click("#table-pending button.accept")
	admin.WaitFor("the accepted question", `return R.getElementById('status').textContent.includes('Angenommen') &&
		R.querySelector('#table-accepted .alias-accepted').textContent === 'Wir haben einen Welpen, was müssen wir erledigen?' &&
		R.getElementById('table-pending').hidden;`)
	b2.Screenshot(t, admin.Ctx, "console-aliases")
	acc, err := s.aliases.Accepted(bg)
	if err != nil || len(acc) != 1 || acc[0].Text != "Wir haben einen Welpen, was müssen wir erledigen?" || acc[0].PageID != "hundesteuer-de" {
		t.Errorf("accepted = %v %v", acc, err)
	}
	// At phone width the page does not scroll sideways.
	admin.Do(chromedp.EmulateViewport(360, 740, chromedp.EmulateScale(2)))
	if over := browsertest.Eval[float64](admin, `document.documentElement.scrollWidth - innerWidth`); over > 0.5 {
		t.Errorf("the review page reaches %v px beyond a 360 px screen", over)
	}
	admin.NoErrors()
}

// TestLoginErrorsInTheirWords: with single sign-on on and password login
// off, the login form says so instead of "wrong password" (issue 16's
// error codes, shown by the console in words).
func TestLoginErrorsInTheirWords(t *testing.T) {
	h := newHarness(t, harnessOpts{cfg: console.Config{SSO: console.SSOConfig{Header: "X-Secret", Secret: "0123456789abcdef", UserHeader: "X-User"}}})
	b := browsertest.Start(t, browsertest.Options{Lang: "de-DE", Width: 1280, Height: 860})
	p := newTab(t, b, docScope)
	p.Do(chromedp.Navigate(h.srv.URL + "/console/"))
	p.WaitFor("the login form", `return !R.getElementById('login-view').hidden && R.activeElement === R.getElementById('username');`)
	p.Keys("anna" + kb.Tab + password + kb.Enter)
	p.WaitFor("the reason", `return R.getElementById('login-error').textContent.includes('Anmeldung mit Passwort ist abgeschaltet');`)
	p.NoErrors()
}
