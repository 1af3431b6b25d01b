package console_test

import (
	"encoding/csv"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/civibot/civibot/analytics"
	"github.com/civibot/civibot/internal/redistest"
)

// seededAnalytics is a memory analytics store with two days of data and a
// reporter whose today is the second day.
func seededAnalytics(t *testing.T) *analytics.Reporter {
	t.Helper()
	now := func() time.Time { return time.Date(2026, 3, 10, 15, 0, 0, 0, time.UTC) }
	st, err := analytics.NewMemory(analytics.Config{}, now)
	if err != nil {
		t.Fatal(err)
	}
	add := func(day string, b analytics.Batch) {
		if err := st.Add(bg, day, b); err != nil {
			t.Fatal(err)
		}
	}
	add("2026-03-09", analytics.Batch{
		Counts: map[string]int64{"conv|web": 4, "conv|telegram": 1, "esc|web|low_confidence": 1, "fb|hundesteuer-de|down": 2},
		Titles: map[string]string{"hundesteuer-de": "Hundesteuer – Ämter & Gebühren"},
		Waits:  []time.Duration{3 * time.Minute},
		Questions: []analytics.Question{
			{Text: "=cmd|' /C calc'!A0 Wo melde ich mein Boot an?", Language: "de", Kind: analytics.KindUnanswered, Confidence: 0.2, At: now()},
			{Text: "Ich heiße Zacharias Quendelbrot, Boot anmelden?", Language: "de", Kind: analytics.KindUnanswered, Confidence: 0.25, At: now()},
		},
	})
	add("2026-03-10", analytics.Batch{Counts: map[string]int64{"conv|web": 2}})
	rep, err := analytics.NewReporter(analytics.Config{}, st, nil, now)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func TestAnalyticsAPI(t *testing.T) {
	h := newHarness(t, harnessOpts{analytics: seededAnalytics(t)})
	rita, anna := h.login("rita"), h.login("anna")

	if code, body := h.newClient().do("GET", "/console/api/analytics", nil); code != http.StatusUnauthorized {
		t.Errorf("without a session: %d %v", code, body)
	}
	if code, body := anna.do("GET", "/console/api/analytics", nil); code != http.StatusForbidden || body["error"] != "admin_only" {
		t.Errorf("a caseworker: %d %v", code, body)
	}
	code, body := rita.do("GET", "/console/api/analytics?from=2026-03-09&to=2026-03-10", nil)
	if code != http.StatusOK {
		t.Fatalf("admin: %d %v", code, body)
	}
	totals := body["totals"].(map[string]any)
	if body["from"] != "2026-03-09" || totals["conversations"] != 7.0 || totals["handed_off"] != 1.0 || totals["down"] != 2.0 {
		t.Errorf("report = %v", body)
	}
	qs := body["questions"].([]any)
	if len(qs) != 2 || strings.Contains(qs[0].(map[string]any)["example"].(string)+qs[1].(map[string]any)["example"].(string), "Quendelbrot") {
		t.Errorf("questions = %v", qs)
	}
	// The default range: the last 30 days up to today.
	if code, body := rita.do("GET", "/console/api/analytics", nil); code != http.StatusOK || body["to"] != "2026-03-10" || body["from"] != "2026-02-09" {
		t.Errorf("default range: %d %v %v", code, body["from"], body["to"])
	}
	for _, q := range []string{"from=2026-03-10&to=2026-03-01", "from=yesterday", "from=2020-01-01&to=2026-01-01"} {
		if code, body := rita.do("GET", "/console/api/analytics?"+q, nil); code != http.StatusBadRequest || body["error"] != "invalid" || strings.Contains(body["message"].(string), "analytics:") {
			t.Errorf("%s: %d %v", q, code, body)
		}
	}

	// CSV export.
	resp := rita.raw("GET", "/console/api/analytics/export?table=questions&from=2026-03-09&to=2026-03-10", nil)
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/csv; charset=utf-8" ||
		resp.Header.Get("Content-Disposition") != `attachment; filename="civibot-questions-2026-03-09-2026-03-10.csv"` ||
		resp.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("export: %d %v", resp.StatusCode, resp.Header)
	}
	text, ok := strings.CutPrefix(string(raw), "\ufeff")
	if !ok {
		t.Error("the CSV does not start with a byte order mark")
	}
	rows, err := csv.NewReader(strings.NewReader(text)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 || rows[0][0] != "count" || rows[0][1] != "question" {
		t.Fatalf("questions.csv = %q", rows)
	}
	for _, row := range rows[1:] {
		if strings.ContainsAny(row[1][:1], "=+-@") || strings.Contains(row[1], "Quendelbrot") {
			t.Errorf("unsafe cell %q", row[1])
		}
	}
	resp = rita.raw("GET", "/console/api/analytics/export?table=feedback&from=2026-03-09&to=2026-03-10", nil)
	raw, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(raw), "hundesteuer-de,Hundesteuer – Ämter & Gebühren,0,2") {
		t.Errorf("feedback.csv = %q", raw)
	}
	if code, body := rita.do("GET", "/console/api/analytics/export?table=users", nil); code != http.StatusBadRequest || body["error"] != "invalid" {
		t.Errorf("unknown table: %d %v", code, body)
	}
	if code, _ := anna.do("GET", "/console/api/analytics/export?table=days", nil); code != http.StatusForbidden {
		t.Errorf("a caseworker exports: %d", code)
	}

	// The page is served with the console's security headers.
	resp = h.newClient().raw("GET", "/console/analytics", nil)
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(page), `<script src="/console/analytics.js" defer>`) ||
		!strings.Contains(resp.Header.Get("Content-Security-Policy"), "default-src 'none'") {
		t.Errorf("page: %d %v", resp.StatusCode, resp.Header)
	}
	if !strings.Contains(h.logs.String(), `"msg":"console: analytics exported","table":"questions"`) {
		t.Errorf("export not logged:\n%s", h.logs.String())
	}
}

func TestAnalyticsOff(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	if code, body := h.login("rita").do("GET", "/console/api/analytics", nil); code != http.StatusNotFound || body["error"] != "analytics_off" {
		t.Errorf("analytics off: %d %v", code, body)
	}
}

func TestAnalyticsStoreDown(t *testing.T) {
	rs := redistest.Start(t)
	rep, err := analytics.NewReporter(analytics.Config{}, analytics.NewRedis(rs.Client(t), "civibot:", analytics.Config{}), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, harnessOpts{analytics: rep})
	rita := h.login("rita")
	if code, body := rita.do("GET", "/console/api/analytics", nil); code != http.StatusOK {
		t.Fatalf("Redis up: %d %v", code, body)
	}
	rs.Stop(t)
	if code, body := rita.do("GET", "/console/api/analytics", nil); code != http.StatusServiceUnavailable || body["error"] != "unavailable" {
		t.Errorf("Redis down: %d %v", code, body)
	}
}
