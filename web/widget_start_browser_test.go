package web_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/civibot/civibot/internal/browsertest"
)

// TestWidgetStartScreen (issue 13, start screen): a greeting and the
// city's starter questions while the chat is empty; one click asks; the
// privacy link stays in reach after the notice.
func TestWidgetStartScreen(t *testing.T) {
	s := newStack(t)
	b := browsertest.Start(t, browsertest.Options{Lang: "de-DE"})
	p := newPage(t, b)
	openWidget(t, p, s.city.URL)
	p.WaitFor("the start screen", `return !R.querySelector('.cb-start').hidden && R.querySelectorAll('.cb-starter').length > 0;`)
	got := browsertest.Eval[[]string](p, `[...`+root+`.querySelectorAll('.cb-starter')].map(e => e.textContent)`)
	want := []string{"Was kostet ein Personalausweis?", "Wie melde ich meinen Wohnsitz um?", "Wie melde ich meinen Hund an?", "Wie bestelle ich Sperrmüll?"}
	if !slices.Equal(got, want) {
		t.Errorf("starters = %q, want %q", got, want)
	}
	if txt := p.Text(".cb-start"); !strings.Contains(txt, "Musterstadt") {
		t.Errorf("greeting = %q", txt)
	}
	if href := browsertest.Eval[string](p, root+`.querySelector('.cb-actions .cb-privacy').href`); href != "https://www.musterstadt.example/datenschutz" {
		t.Errorf("privacy link in the actions = %q", href)
	}
	p.Contrast(5)
	b.Screenshot(t, p.Ctx, "widget-start")
	p.Click(".cb-starter")
	p.WaitFor("the answer", `return R.querySelectorAll('.cb-bot').length > 0 && !R.querySelector('.cb-pending');`)
	if q := p.Text(".cb-citizen .cb-text"); q != want[0] {
		t.Errorf("the starter asked %q", q)
	}
	if !browsertest.Eval[bool](p, root+`.querySelector('.cb-start').hidden`) {
		t.Error("the start screen stays over the conversation")
	}
	p.NoErrors()
}

// TestWidgetAnswerLanguageLabels (issue 13): on a German page an English
// answer is labelled in English and marked lang="en".
func TestWidgetAnswerLanguageLabels(t *testing.T) {
	s := newStack(t)
	b := browsertest.Start(t, browsertest.Options{Lang: "de-DE"})
	p := newPage(t, b)
	openWidget(t, p, s.city.URL)
	ask(t, p, "How do I register my dog? I moved here from London.")
	d := browsertest.Eval[map[string]string](p, `(() => { const m = [...`+root+`.querySelectorAll('.cb-bot')].pop();
		return {lang: m.getAttribute('lang') || '', who: m.querySelector('.cb-who').textContent,
			thumb: (m.querySelector('.cb-thumb') || {getAttribute: () => ''}).getAttribute('aria-label'),
			placeholder: `+root+`.querySelector('.cb-input').placeholder}; })()`)
	if d["lang"] != "en" || d["who"] != "AI assistant" {
		t.Errorf("English answer on a German page: %v", d)
	}
	if d["thumb"] != "" && d["thumb"] != "Helpful" {
		t.Errorf("feedback label %q", d["thumb"])
	}
	if d["placeholder"] != "Ihre Frage …" {
		t.Errorf("the widget's own labels follow the page (de): %q", d["placeholder"])
	}
	p.NoErrors()
}

// TestWidgetPhoneModal (issue 13, accessibility): on a phone the open
// panel is a modal dialog; the page behind is inert, Tab stays inside,
// Escape closes and gives the page back.
func TestWidgetPhoneModal(t *testing.T) {
	s := newStack(t)
	b := browsertest.Start(t, browsertest.Options{Lang: "de-DE"})
	p := newPage(t, b)
	p.Do(chromedp.EmulateViewport(360, 740, chromedp.EmulateScale(2)))
	openWidget(t, p, s.city.URL)
	if m := browsertest.Eval[string](p, root+`.querySelector('.cb-panel').getAttribute('aria-modal') || ''`); m != "true" {
		t.Errorf("aria-modal = %q on a phone", m)
	}
	if !browsertest.Eval[bool](p, `document.querySelector('h1').inert`) {
		t.Error("the page behind the chat is not inert")
	}
	for i := 0; i < 25; i++ {
		p.Keys(kb.Tab)
		if in := browsertest.Eval[bool](p, `document.activeElement === document.getElementById('civibot-widget')`); !in {
			t.Fatalf("Tab %d left the chat for %s", i+1, browsertest.Eval[string](p, `document.activeElement.tagName`))
		}
	}
	// Shift+Tab from the top goes round to the bottom.
	p.Do(chromedp.KeyEvent(kb.Tab, chromedp.KeyModifiers(chromedp.ModifierShift)))
	p.Keys(kb.Escape)
	p.WaitFor("closed", `return R.querySelector('.cb-panel').hidden;`)
	if browsertest.Eval[bool](p, `document.querySelector('h1').inert`) {
		t.Error("the page stays inert after closing")
	}
	if f := p.Focused(); f != "button.cb-bubble" {
		t.Errorf("focus after Escape = %q", f)
	}

	// On a desktop it is no modal: the page stays usable.
	p.Do(chromedp.EmulateViewport(1280, 800))
	p.Click(".cb-bubble")
	p.WaitFor("open", `return !R.querySelector('.cb-panel').hidden;`)
	if browsertest.Eval[bool](p, root+`.querySelector('.cb-panel').hasAttribute('aria-modal') || document.querySelector('h1').inert`) {
		t.Error("modal on a desktop")
	}
	p.NoErrors()
}
