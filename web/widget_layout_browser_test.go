package web_test

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/civibot/civibot/accounts"
	"github.com/civibot/civibot/internal/browsertest"
)

// openWidget opens the bubble on the city page and dismisses the notice.
func openWidget(t *testing.T, p *page, url string) {
	t.Helper()
	p.Do(chromedp.Navigate(url))
	p.WaitFor("the chat bubble", `return !!R.querySelector('.cb-bubble') && !R.querySelector('.cb').hidden;`)
	p.Click(".cb-bubble")
	p.WaitFor("the panel", `return !R.querySelector('.cb-panel').hidden;`)
	if browsertest.Eval[bool](p, root+`.querySelector('.cb-notice').hidden === false`) {
		p.Click(".cb-notice .cb-button")
	}
	p.Click(".cb-input")
}

// lastInView says whether the log shows its end (the newest message and
// its quick replies).
const lastInView = `const log = R.querySelector('.cb-log');
	return log.scrollHeight - log.scrollTop - log.clientHeight < 4;`

// TestWidgetFollowsAfterHandoff (issue 13.1): on a phone and at 200 % zoom,
// the status bar that appears with "Mit einem Menschen sprechen" shrinks
// the log; the caseworker's greeting must still come into view.
func TestWidgetFollowsAfterHandoff(t *testing.T) {
	s := newStack(t)
	ctx := context.Background()
	if _, err := s.accounts.AddUser(ctx, "erika", "Erika Muster", accounts.RoleCaseworker, "correct horse battery"); err != nil {
		t.Fatal(err)
	}
	b := browsertest.Start(t, browsertest.Options{Lang: "de-DE"})
	for _, tt := range []struct {
		name          string
		width, height int64
	}{
		{"phone-360", 360, 740},
		{"zoom-200", 640, 400},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if err := s.desk.Heartbeat(ctx, "erika"); err != nil {
				t.Fatal(err)
			}
			p := newPage(t, b)
			p.Do(chromedp.EmulateViewport(tt.width, tt.height, chromedp.EmulateScale(2)))
			// A fresh conversation per size: forget the last one on a page
			// of the city's origin without the widget.
			p.Do(chromedp.Navigate(s.city.URL + "/no-widget"))
			browsertest.Eval[bool](p, `(localStorage.clear(), true)`)
			openWidget(t, p, s.city.URL)
			ask(t, p, "Was kostet ein Personalausweis?")
			ask(t, p, "Wie melde ich meinen Hund an?")
			p.WaitFor("the newest answer in view", lastInView)

			before := len(s.conversations(t))
			p.Click(".cb-action")
			p.WaitFor("the handoff status", `return !R.querySelector('.cb-handoff').hidden;`)
			var id string
			waitStored(t, "the waiting conversation", func() bool {
				for _, c := range s.conversations(t) {
					if c.Status == "waiting" {
						id = c.ID
						return true
					}
				}
				return len(s.conversations(t)) > before+10
			})
			if _, err := s.desk.Claim(ctx, id, "erika"); err != nil {
				t.Fatal(err)
			}
			if _, err := s.desk.Reply(ctx, id, "erika", "Guten Tag, hier ist Erika Muster vom Bürgeramt. Wie kann ich Ihnen helfen?"); err != nil {
				t.Fatal(err)
			}
			p.WaitFor("the caseworker's greeting", `return !!R.querySelector('.cb-caseworker');`)
			p.WaitFor("the greeting in view", lastInView)
			if browsertest.Eval[bool](p, root+`.querySelector('.cb-new').hidden === false`) {
				t.Error(`"new message" hint shown although the reader never scrolled up`)
			}

			// A reader who scrolls up keeps their place and gets a hint.
			// (Scrolled again while the layout still settles: a scroll that
			// comes with a change of the log's height counts as the layout
			// moving, not the reader — under load the greeting's status bar
			// can still be arriving.)
			p.WaitFor("the log scrolled up", `const l = R.querySelector('.cb-log');
				if (l.scrollTop === 0) { return true; }
				l.scrollTop = 0; l.dispatchEvent(new Event('scroll')); return false;`)
			if _, err := s.desk.Reply(ctx, id, "erika", "Haben Sie noch eine Frage?"); err != nil {
				t.Fatal(err)
			}
			p.WaitFor("the new-message hint", `return R.querySelectorAll('.cb-caseworker').length === 2 && !R.querySelector('.cb-new').hidden;`)
			if top := browsertest.Eval[float64](p, root+`.querySelector('.cb-log').scrollTop`); top > 1 {
				t.Errorf("the log jumped to %v while the reader read older messages", top)
			}
			p.Click(".cb-new")
			p.WaitFor("the newest message in view after the hint", lastInView)
			p.Screenshot("widget-follow-" + tt.name)
			p.NoErrors()
		})
	}
}

// TestFullPageChatHeight (issue 13.2): the full-page chat stays one window
// tall however many messages it holds.
func TestFullPageChatHeight(t *testing.T) {
	s := newStack(t)
	b := browsertest.Start(t, browsertest.Options{Lang: "de-DE", Width: 1280, Height: 800})
	p := newPage(t, b)
	p.Do(chromedp.Navigate(s.civibot.URL + "/"))
	p.WaitFor("the page chat", `return !R.querySelector('.cb').hidden && !!R.querySelector('.cb-input');`)
	p.Click(".cb-notice .cb-button")
	p.Click(".cb-input")
	for _, q := range []string{"Was kostet ein Personalausweis?", "Wie melde ich meinen Hund an?", "Wann wird Sperrmüll abgeholt?", "Wo beantrage ich einen Reisepass?", "Wie melde ich meinen Wohnsitz um?"} {
		ask(t, p, q)
	}
	geo := browsertest.Eval[map[string]float64](p, `({doc: document.scrollingElement.scrollHeight, win: innerHeight,
		msgs: `+root+`.querySelectorAll('.cb-msg').length})`)
	if geo["msgs"] < 10 {
		t.Fatalf("only %v messages", geo["msgs"])
	}
	if geo["doc"] > geo["win"]+1 {
		t.Errorf("the page is %v px tall in a %v px window (%v messages): a second scrollbar", geo["doc"], geo["win"], geo["msgs"])
	}
	p.NoErrors()
}

// TestWidgetInputHeight (issue 13.3): the message box fits its text; no
// scrollbar after typing or sending.
func TestWidgetInputHeight(t *testing.T) {
	s := newStack(t)
	b := browsertest.Start(t, browsertest.Options{Lang: "de-DE"})
	p := newPage(t, b)
	openWidget(t, p, s.city.URL)
	overflow := `(() => { const i = ` + root + `.querySelector('.cb-input'); return i.scrollHeight - i.clientHeight; })()`
	p.Keys("Was kostet ein Personalausweis?")
	if o := browsertest.Eval[float64](p, overflow); o > 0 {
		t.Errorf("one typed line overflows the box by %v px", o)
	}
	ask(t, p, "")
	if o := browsertest.Eval[float64](p, overflow); o > 0 {
		t.Errorf("the empty box overflows by %v px after sending", o)
	}
	long := strings.Repeat("Ich möchte wissen, was ich mitbringen muss. ", 2)
	p.Keys(long)
	h := browsertest.Eval[float64](p, root+`.querySelector('.cb-input').clientHeight`)
	if o := browsertest.Eval[float64](p, overflow); (o > 0 && h < 156) || h < 50 {
		t.Errorf("several lines: box %v px high, overflow %v px", h, o)
	}
	p.NoErrors()
}
