package browsertest

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// DocumentScope is the Page scope of an ordinary page.
const DocumentScope = `document`

// Page drives one browser tab the way a user does: real mouse clicks and
// key presses, and waits that poll the page. Every helper fails the test on
// error. Selectors and conditions apply to Scope, the root they search: the
// document, or a widget's shadow root.
type Page struct {
	t     testing.TB
	b     *Browser
	Ctx   context.Context // the tab, for screenshots and chromedp calls of the test's own
	scope string
}

// NewPage opens a tab whose helpers search scope, a JavaScript expression
// of the root (DocumentScope, or a shadow root, which may be null until it
// exists). The tab records Content-Security-Policy violations from its
// first script on, for NoErrors.
func (b *Browser) NewPage(t testing.TB, scope string) *Page {
	t.Helper()
	ctx := b.Tab(t)
	err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, cdppage.AddScriptToEvaluateOnNewDocument, cdppage.AddScriptToEvaluateOnNewDocumentParams{
			Source: `window.__csp = []; document.addEventListener('securitypolicyviolation', e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));`,
		})
		return err
	}))
	if err != nil {
		t.Fatalf("browsertest: new page: %v", err)
	}
	return &Page{t: t, b: b, Ctx: ctx, scope: scope}
}

// Do runs chromedp actions in the tab.
func (p *Page) Do(actions ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.Ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		p.t.Fatalf("browser: %v", err)
	}
}

// Eval evaluates a JavaScript expression in the tab.
func Eval[T any](p *Page, expr string) T {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.Ctx, 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		p.t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// WaitFor polls cond — a function body in which R is the scope's root —
// until it returns true, and fails the test (with a screenshot) after 20 s.
func (p *Page) WaitFor(what, cond string) {
	p.t.Helper()
	expr := `(() => { const R = ` + p.scope + `; if (!R) return false; ` + cond + ` })()`
	deadline := time.Now().Add(20 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(p.Ctx, 5*time.Second)
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](expr))
		cancel()
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			p.Screenshot("failed-" + strings.ReplaceAll(p.t.Name(), "/", "-"))
			p.t.Fatalf("timed out waiting for %s (%v)", what, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Screenshot saves a screenshot of the tab (see Browser.Screenshot).
func (p *Page) Screenshot(name string) string {
	p.t.Helper()
	return p.b.Screenshot(p.t, p.Ctx, name)
}

// Click clicks the centre of the first element matching sel, with real
// mouse events, once it is visible.
func (p *Page) Click(sel string) { p.t.Helper(); p.clickAt(sel, "R.querySelector(%q)") }

// ClickLast clicks the last element matching sel.
func (p *Page) ClickLast(sel string) {
	p.t.Helper()
	p.clickAt(sel, "[...R.querySelectorAll(%q)].pop()")
}

// clickAt clicks the middle of the element with the mouse, once the
// element is visible, has kept its place for one poll (a page still laying
// out after a live update moves it) and is what the mouse would hit there.
func (p *Page) clickAt(sel, find string) {
	p.t.Helper()
	pick := fmt.Sprintf(find, sel)
	p.WaitFor("a visible, settled "+sel, `const e = `+pick+`; if (!e) return false;
		e.scrollIntoView({block: 'nearest'});
		const r = e.getBoundingClientRect();
		if (!(r.width > 0 && r.height > 0)) return false;
		const key = [r.left, r.top, r.width, r.height].join(',');
		const settled = window.__clickRect === key;
		window.__clickRect = key;
		if (!settled) return false;
		const hit = R.elementFromPoint(r.left + r.width/2, r.top + r.height/2);
		return !!hit && (hit === e || e.contains(hit));`)
	xy := Eval[[]float64](p, `(() => { const R = `+p.scope+`; const e = `+pick+`; const r = e.getBoundingClientRect(); window.__clickRect = ''; return [r.left + r.width/2, r.top + r.height/2]; })()`)
	p.Do(chromedp.MouseClickXY(xy[0], xy[1]))
}

// Keys types into whatever has focus, with real key events.
func (p *Page) Keys(s string) { p.t.Helper(); p.Do(chromedp.KeyEvent(s)) }

// Choose picks an option of a select, as a user would (change event).
func (p *Page) Choose(sel, value string) {
	p.t.Helper()
	Eval[bool](p, fmt.Sprintf(`(() => { const e = %s.querySelector(%q); e.value = %q; e.dispatchEvent(new Event('change', {bubbles: true})); return true; })()`, p.scope, sel, value))
}

// Text is the text content of the first element matching sel ("" if none).
func (p *Page) Text(sel string) string {
	p.t.Helper()
	return Eval[string](p, fmt.Sprintf(`(() => { const e = %s.querySelector(%q); return e ? e.textContent : ''; })()`, p.scope, sel))
}

// Count is the number of elements matching sel.
func (p *Page) Count(sel string) int {
	p.t.Helper()
	return Eval[int](p, fmt.Sprintf(`%s.querySelectorAll(%q).length`, p.scope, sel))
}

// Focused describes the focused element in the scope: tag#id.class ("" if none).
func (p *Page) Focused() string {
	p.t.Helper()
	return Eval[string](p, `(() => { const a = `+p.scope+`.activeElement; if (!a) return ''; return a.tagName.toLowerCase() + (a.id ? '#' + a.id : '') + (a.className ? '.' + String(a.className).split(' ').join('.') : ''); })()`)
}

// TabTo presses Tab until the focused element matches sel (at most n times).
func (p *Page) TabTo(sel string, n int) {
	p.t.Helper()
	for i := 0; i < n; i++ {
		if Eval[bool](p, fmt.Sprintf(`(() => { const a = %s.activeElement; return !!a && a.matches(%q); })()`, p.scope, sel)) {
			return
		}
		p.Keys(kb.Tab)
	}
	p.Screenshot("failed-tab-" + strings.ReplaceAll(p.t.Name(), "/", "-"))
	p.t.Fatalf("%s cannot be reached with Tab (focus: %s)", sel, p.Focused())
}

// NoErrors fails the test if the page had JavaScript errors or CSP violations.
func (p *Page) NoErrors() {
	p.t.Helper()
	if errs := p.b.Errors(); len(errs) > 0 {
		p.t.Errorf("JavaScript errors: %q", errs)
	}
	if csp := Eval[[]string](p, `window.__csp || []`); len(csp) > 0 {
		p.t.Errorf("CSP violations: %q", csp)
	}
}

// contrastCheck computes the WCAG contrast of every visible text element in
// the root R against its effective background — looking through shadow
// roots to the host's background, blending translucent text — and returns
// how many it checked and the failures.
const contrastCheck = `(R => {
  const parse = c => { const m = c.match(/rgba?\(([^)]+)\)/); if (!m) return null; const p = m[1].split(',').map(Number); return {r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1}; };
  const lum = c => { const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); }; return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b); };
  const up = n => n.parentElement || (n.getRootNode() && n.getRootNode().host) || null;
  const bg = e => { for (let n = e; n && n instanceof Element; n = up(n)) { const c = parse(getComputedStyle(n).backgroundColor); if (c && c.a > 0.5) return c; } return {r: 255, g: 255, b: 255, a: 1}; };
  const out = []; let checked = 0;
  for (const e of R.querySelectorAll(R === document ? 'body *' : '*')) {
    if (!e.getClientRects().length || e.closest('.sr, [hidden]')) continue;
    const own = [...e.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
    if (!own) continue;
    checked++;
    const s = getComputedStyle(e);
    let fg = parse(s.color);
    const b = bg(e);
    if (fg.a < 1) fg = {r: fg.r * fg.a + b.r * (1 - fg.a), g: fg.g * fg.a + b.g * (1 - fg.a), b: fg.b * fg.a + b.b * (1 - fg.a)};
    const l1 = lum(fg), l2 = lum(b);
    const ratio = (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05);
    const large = parseFloat(s.fontSize) >= 24 || (parseFloat(s.fontSize) >= 18.66 && Number(s.fontWeight) >= 700);
    if (parseFloat(s.opacity) === 1 && ratio < (large ? 3 : 4.5)) out.push(e.tagName + '.' + e.className + ' "' + e.textContent.trim().slice(0, 30) + '" ' + ratio.toFixed(2));
  }
  return {checked: checked, fails: out};
})`

// Contrast fails the test for visible text below the WCAG 2.1 AA contrast
// (4.5:1, large text 3:1), or when it found fewer than minChecked text
// elements (the check would prove nothing).
func (p *Page) Contrast(minChecked int) {
	p.t.Helper()
	r := Eval[struct {
		Checked int      `json:"checked"`
		Fails   []string `json:"fails"`
	}](p, contrastCheck+`(`+p.scope+`)`)
	if r.Checked < minChecked {
		p.t.Errorf("contrast check saw only %d text elements", r.Checked)
	}
	if len(r.Fails) > 0 {
		p.t.Errorf("text below WCAG AA contrast: %q", r.Fails)
	}
}
