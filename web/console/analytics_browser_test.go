package console_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/civibot/civibot/accounts"
	"github.com/civibot/civibot/analytics"
	"github.com/civibot/civibot/channels"
	"github.com/civibot/civibot/conversation"
	"github.com/civibot/civibot/dialog"
	"github.com/civibot/civibot/handoff"
	"github.com/civibot/civibot/internal/browsertest"
	"github.com/civibot/civibot/internal/testtime"
	"github.com/civibot/civibot/web"
	"github.com/civibot/civibot/web/console"
)

// startedStore and waitedQueue are the boundaries serve observes for the
// analytics (cmd/civibot/observe.go): new conversations and claim waits.
type startedStore struct {
	*conversation.Memory
	rec *analytics.Recorder
}

func (s startedStore) Create(ctx context.Context, c conversation.Conversation) (conversation.Conversation, error) {
	out, err := s.Memory.Create(ctx, c)
	if err == nil {
		s.rec.Started(ctx, out)
	}
	return out, err
}

type waitedQueue struct {
	handoff.Queue
	rec *analytics.Recorder
}

func (q waitedQueue) RecordWait(ctx context.Context, d time.Duration, keep int) error {
	q.rec.Waited(ctx, d)
	return q.Queue.RecordWait(ctx, d, keep)
}

// dashboard is civibot with analytics, and two weeks of conversations run
// through the real dialog service, handoff desk and recorder.
type dashboard struct {
	url           string
	conversations int
	reporter      *analytics.Reporter
}

// seedDays are the number of conversations per day (two weeks from Monday
// 2 March 2026; quieter weekends).
var seedDays = []int{9, 11, 8, 12, 10, 4, 3, 10, 13, 9, 11, 12, 5, 4}

var seedFirstDay = time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)

func newDashboard(t *testing.T) *dashboard {
	t.Helper()
	ctx := bg
	kbase, err := sampleKB()
	if err != nil {
		t.Fatal(err)
	}
	clk := testtime.NewClock(seedFirstDay)
	acfg := analytics.Config{TimeZone: "UTC"}
	ast, err := analytics.NewMemory(acfg, clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := analytics.NewRecorder(acfg, ast, analytics.RecorderOptions{Now: clk.Now, FlushInterval: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); rec.Run(rctx) }()
	t.Cleanup(func() { cancel(); <-done })
	reporter, err := analytics.NewReporter(acfg, ast, kbase.Analyzer().Terms, clk.Now)
	if err != nil {
		t.Fatal(err)
	}

	mem := conversation.NewMemory(conversation.Options{Now: clk.Now})
	store := startedStore{Memory: mem, rec: rec}
	file, err := accountsFile()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), accounts.FileName)
	if err := os.WriteFile(path, file, 0o600); err != nil {
		t.Fatal(err)
	}
	accts, err := accounts.NewMemory(accountsConfig, path, accounts.Options{})
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	desk, err := handoff.New(handoff.Config{}, handoff.Options{State: store, Queue: waitedQueue{Queue: handoff.NewMemoryQueue(), rec: rec}, Registry: channels.NewRegistry(), Users: accts, Log: log, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	engine, err := dialog.NewEngine(dialog.Config{CityName: "Musterstadt"}, kbase, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	svc, err := dialog.NewService(dialog.ServiceConfig{}, dialog.ServiceOptions{Engine: engine, Store: store, Bus: mem, Desk: desk, Log: log, Observers: []dialog.Observer{rec}})
	if err != nil {
		t.Fatal(err)
	}

	// Two weeks of citizens.
	answerable := []string{
		"Was kostet ein Personalausweis?", "Wie melde ich meinen Hund an?", "Wann wird der Sperrmüll abgeholt?",
		"Wie beantrage ich einen Bewohnerparkausweis?", "How do I register my address?", "Wo bekomme ich eine Meldebescheinigung?",
		"What does a passport cost?", "Wie lange dauert ein Führungszeugnis?", "Wie bekomme ich einen Kita-Platz?",
	}
	unanswered := []string{
		"Wo kann ich mein Boot anmelden?", "Boot anmelden – wo?", "Gibt es einen Zuschuss für Lastenräder?",
		"Zuschuss Lastenrad beantragen", "Ich heiße Zacharias Quendelbrot, Tel. 0151 2345678 – wo melde ich mein Boot an?",
		"Darf ich im Stadtpark grillen?", "Grillen im Park erlaubt?",
	}
	person := []string{"Ich möchte mit einem Menschen sprechen", "Can I talk to a person please?"}
	total, a, u, p := 0, 0, 0, 0
	for day, n := range seedDays {
		for i := range n {
			clk.Set(seedFirstDay.AddDate(0, 0, day).Add(8*time.Hour + time.Duration(i)*47*time.Minute))
			if err := desk.Heartbeat(ctx, "rita"); err != nil {
				t.Fatal(err)
			}
			ch, addr := conversation.ChannelWeb, ""
			switch i % 6 {
			case 3:
				ch, addr = conversation.ChannelTelegram, fmt.Sprint(4242+i)
			case 5:
				ch, addr = conversation.ChannelSMS, fmt.Sprintf("+49151000%04d", i)
			}
			id := fmt.Sprintf("x%02d%02d", day, i)
			var q string
			switch {
			case i%7 == 2:
				q, p = person[p%len(person)], p+1
			case i%3 == 1:
				q, u = unanswered[u%len(unanswered)], u+1
			default:
				q, a = answerable[a%len(answerable)], a+1
			}
			out, err := svc.Handle(ctx, dialog.Inbound{ConversationID: id, Channel: ch, Address: addr, ClientID: "c1", Text: q})
			if err != nil {
				t.Fatal(err)
			}
			total++
			if len(out.Replies) == 1 && len(out.Replies[0].Sources) > 0 && out.Queue == nil {
				vote := 1
				if (day+i)%4 == 0 {
					vote = -1
				}
				if err := svc.Feedback(ctx, id, out.Replies[0].Seq, vote); err != nil {
					t.Fatal(err)
				}
			}
			if out.Queue != nil && out.Queue.Queued {
				clk.Advance(time.Duration(1+(day*3+i*5)%11) * time.Minute)
				if _, err := desk.Claim(ctx, id, "rita"); err != nil {
					t.Fatal(err)
				}
				if _, err := desk.Close(ctx, id, "rita", handoff.OutcomeResolved); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	last := seedFirstDay.AddDate(0, 0, len(seedDays)-1).Format(analytics.DayLayout)
	testtime.WaitFor(t, 10*time.Second, "the analytics to be written", func() bool {
		rep, err := reporter.Report(ctx, seedFirstDay.Format(analytics.DayLayout), last)
		return err == nil && rep.Totals.Conversations == int64(total)
	})

	srv, err := web.New(web.Config{}, web.DefaultBranding(), log)
	if err != nil {
		t.Fatal(err)
	}
	con, err := console.New(console.Config{}, console.Options{Desk: desk, Accounts: accts, Store: mem, Bus: mem, Log: log, Analytics: reporter})
	if err != nil {
		t.Fatal(err)
	}
	srv.Handle("/console/", con)
	srv.Handle("GET /console", con)
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(func() {
		sctx, scancel := context.WithTimeout(bg, 5*time.Second)
		defer scancel()
		_ = con.Shutdown(sctx)
		hs.Close()
	})
	return &dashboard{url: hs.URL, conversations: total, reporter: reporter}
}

// TestAnalyticsDashboardInBrowser: an administrator opens the dashboard
// from the console; it draws every chart from two weeks of conversations,
// offers each as a table and as CSV, shows the questions to improve
// without personal data, in German and English.
func TestAnalyticsDashboardInBrowser(t *testing.T) {
	d := newDashboard(t)
	rep, err := d.reporter.Report(bg, "2026-03-02", "2026-03-15")
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Reasons) < 2 || rep.Totals.Waits == 0 || len(rep.Feedback) == 0 || len(rep.Questions) == 0 || rep.Totals.HandedOff == 0 {
		t.Fatalf("the seed does not cover every chart: %+v", rep.Totals)
	}

	b := browsertest.Start(t, browsertest.Options{Lang: "de-DE", Width: 1280, Height: 900})
	p := newTab(t, b, docScope)
	p.Do(chromedp.Navigate(d.url + "/console/"))
	p.WaitFor("the login form", `return !R.getElementById('login-view').hidden;`)
	p.Keys("rita" + kb.Tab + password + kb.Enter)
	p.WaitFor("the analytics link", `return !R.getElementById('app').hidden && !R.getElementById('analytics-link').hidden;`)
	p.Click("#analytics-link")
	p.WaitFor("the dashboard", `return location.pathname === '/console/analytics' && !R.getElementById('report').hidden;`)
	// The default range ends today (the last seeded day); choose the two weeks.
	if to := browsertest.Eval[string](p, `document.getElementById('to').value`); to != "2026-03-15" {
		t.Errorf("default range ends %q", to)
	}
	browsertest.Eval[bool](p, `(() => { document.getElementById('from').value = '2026-03-02'; return true; })()`)
	p.Click("#range button[type=submit]")
	p.WaitFor("the two weeks", `return R.querySelectorAll('#table-days tbody tr').length === 14;`)

	// Every chart is drawn, is an image with a name and a description, and
	// has its table.
	for _, c := range []struct{ id, mark string }{
		{"chart-days", "rect"}, {"chart-containment", "path.line"}, {"chart-reasons", "rect"},
		{"chart-wait", "rect"}, {"chart-feedback", "rect"},
	} {
		if n := p.Count("#" + c.id + " svg " + c.mark); n == 0 {
			t.Errorf("%s: no %s drawn", c.id, c.mark)
		}
		name := browsertest.Eval[string](p, fmt.Sprintf(`(() => { const s = document.querySelector('#%s svg'); return s.getAttribute('role') + '|' + s.querySelector('title').textContent + '|' + s.querySelector('desc').textContent; })()`, c.id))
		if parts := strings.Split(name, "|"); len(parts) != 3 || parts[0] != "img" || parts[1] == "" || len(parts[2]) < 10 {
			t.Errorf("%s: accessible name and description = %q", c.id, name)
		}
	}
	if desc := p.Text("#chart-days svg desc"); !strings.Contains(desc, fmt.Sprint(d.conversations)) {
		t.Errorf("days chart description %q lacks the total %d", desc, d.conversations)
	}
	if n := p.Count("#chart-reasons svg rect"); n != len(rep.Reasons) {
		t.Errorf("%d reason bars, want %d", n, len(rep.Reasons))
	}
	if tile := p.Text("#tiles .tile:first-child dd"); tile != fmt.Sprint(d.conversations) {
		t.Errorf("conversations tile = %q, want %d", tile, d.conversations)
	}
	for _, tb := range []string{"table-days", "table-containment", "table-reasons", "table-wait", "table-feedback"} {
		if n := p.Count("#" + tb + " tbody tr"); n == 0 {
			t.Errorf("%s is empty", tb)
		}
	}
	// Axes (issue 13.6): whole, distinct counts; wait ticks in round steps.
	for _, id := range []string{"chart-days", "chart-wait"} {
		labels := browsertest.Eval[[]string](p, `[...document.querySelectorAll('#`+id+` svg > text')].filter(e => e.getAttribute('text-anchor') === 'end').map(e => e.textContent)`)
		seen := map[string]bool{}
		for _, l := range labels {
			if seen[l] {
				t.Errorf("%s: y-axis label %q repeats: %q", id, l, labels)
			}
			seen[l] = true
			if id == "chart-days" && strings.ContainsAny(l, ",.") {
				t.Errorf("%s: a fractional count %q", id, l)
			}
			if id == "chart-wait" {
				var v float64
				var unit string
				fmt.Sscanf(strings.ReplaceAll(l, ",", "."), "%g %s", &v, &unit)
				if (unit == "s" && int(v)%5 != 0) || (unit == "min" && v != float64(int(v))) {
					t.Errorf("%s: odd tick %q in %q", id, l, labels)
				}
			}
		}
	}
	// The satisfaction table (issue 13, rating): a header even when nobody rated.
	if n := p.Count("#table-ratings thead th"); n != 4 {
		t.Errorf("ratings table has %d columns", n)
	}
	// Plurals by the language's rules.
	for _, tc := range []struct {
		lang string
		n    int
		want string
	}{{"de", 1, "1 Gespräch"}, {"de", 2, "2 Gespräche"}, {"en", 1, "1 claim"}, {"en", 1200, "1,200 claims"}} {
		key := map[string]string{"de": "conv", "en": "claims"}[tc.lang]
		got := browsertest.Eval[string](p, fmt.Sprintf(`civibotCommon.tn({de: {conv_one: '{n} Gespräch', conv_other: '{n} Gespräche'}, en: {claims_one: '{n} claim', claims_other: '{n} claims'}}, %q, %q, %d)`, tc.lang, key, tc.n))
		if got != tc.want {
			t.Errorf("plural %s %d = %q, want %q", tc.lang, tc.n, got, tc.want)
		}
	}
	if body := p.Text("#tiles"); strings.Contains(body, " 1 Gespräche") || strings.Contains(body, " 1 Übernahmen") || strings.Contains(body, " 1 Rückrufwünsche") {
		t.Errorf("singular counts in the plural: %q", body)
	}

	// The questions to improve: grouped, without the citizen's name or number.
	p.WaitFor("the questions", `return R.querySelectorAll('#table-questions tbody tr').length >= 3;`)
	questions := p.Text("#table-questions")
	if !strings.Contains(questions, "Boot") || !strings.Contains(questions, "Lastenr") {
		t.Errorf("questions table = %q", questions)
	}
	if body := p.Text("body"); strings.Contains(body, "Quendelbrot") || strings.Contains(body, "2345678") || strings.Contains(body, "Zacharias") {
		t.Errorf("personal data on the dashboard: %q", body)
	}
	// The CSV link downloads the table.
	fctx, fcancel := context.WithTimeout(p.Ctx, 20*time.Second)
	csv, err := chromedp.Run(fctx, chromedp.Evaluate[string](`fetch(document.getElementById('csv-days').href, {credentials: 'same-origin'}).then(r => r.text())`, chromedp.EvalAwaitPromise))
	fcancel()
	if err != nil {
		t.Fatal(err)
	}
	// (fetch's text() drops the byte order mark; TestAnalyticsAPI checks it.)
	if !strings.HasPrefix(strings.TrimPrefix(csv, "\ufeff"), "date,conversations,") || strings.Count(csv, "\n") != 15 {
		t.Errorf("days.csv from the page = %q", csv)
	}
	p.NoErrors()
	p.Contrast(15)

	// The picture for the docs: the whole page at 1280 px.
	height := browsertest.Eval[float64](p, `document.documentElement.scrollHeight`)
	p.Do(chromedp.EmulateViewport(1280, int64(height)))
	p.WaitFor("the charts redrawn", `return R.querySelectorAll('#chart-days svg rect').length > 0;`)
	b.Screenshot(t, p.Ctx, "analytics")
	p.Do(chromedp.EmulateViewport(1280, 900))

	// A table opens from the keyboard.
	p.TabTo("#h-days ~ details summary", 40)
	p.Keys(kb.Enter)
	p.WaitFor("the open table", `return R.querySelector('#h-days ~ details').open;`)
	p.Keys(kb.Enter)

	// English.
	p.Choose("#lang", "en")
	p.WaitFor("English", `return R.querySelector('h1').textContent === 'Analytics for the city' && R.getElementById('legend-days').textContent.includes('Web chat') &&
		R.querySelector('#chart-days svg desc').textContent.includes('conversations in 14 days');`)

	// 200% zoom: nothing wider than the window.
	p.Do(chromedp.EmulateViewport(640, 450, chromedp.EmulateScale(2)))
	p.WaitFor("the one-column layout", `return getComputedStyle(document.querySelector('.grid')).gridTemplateColumns.split(' ').length === 1;`)
	if over := browsertest.Eval[float64](p, `document.documentElement.scrollWidth - innerWidth`); over > 1 {
		wide := browsertest.Eval[[]string](p, `[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > innerWidth + 1).slice(0, 8).map(e => e.tagName + '#' + e.id + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))`)
		t.Errorf("the dashboard scrolls sideways by %v px at 200%% zoom: %q", over, wide)
	}
	b.Screenshot(t, p.Ctx, "analytics-zoom-200")
	p.NoErrors()

	// A caseworker who is not an administrator is told so.
	p.Do(chromedp.EmulateViewport(1280, 900))
	p.Do(chromedp.Navigate(d.url + "/console/"))
	p.WaitFor("the console", `return !R.getElementById('app').hidden;`)
	p.Click("#logout")
	p.WaitFor("the login form", `return !R.getElementById('login-view').hidden;`)
	p.Click("#username")
	p.Keys("anna" + kb.Tab + password + kb.Enter)
	p.WaitFor("anna's console", `return !R.getElementById('app').hidden;`)
	if !browsertest.Eval[bool](p, `document.getElementById('analytics-link').hidden`) {
		t.Error("the analytics link is shown to a caseworker")
	}
	p.Do(chromedp.Navigate(d.url + "/console/analytics"))
	p.WaitFor("the refusal", `return R.getElementById('error').textContent.includes('Administration') || R.getElementById('error').textContent.includes('administrators');`)
	if !browsertest.Eval[bool](p, `document.getElementById('report').hidden`) {
		t.Error("a caseworker sees the report")
	}
}
