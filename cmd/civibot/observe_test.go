package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/civibot/civibot/config"
	"github.com/civibot/civibot/internal/redistest"
	"github.com/civibot/civibot/internal/telegramtest"
	"github.com/civibot/civibot/internal/testtime"
)

// scrapeMetrics fetches /metrics over HTTP and flattens the samples to
// `name{label="value",…}` → value (histograms as _count and _sum).
func scrapeMetrics(t *testing.T, base, token string) map[string]float64 {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, base+"/metrics", nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("GET /metrics = %d %s", resp.StatusCode, b)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for name, f := range fams {
		for _, m := range f.GetMetric() {
			var labels []string
			for _, l := range m.GetLabel() {
				labels = append(labels, l.GetName()+`="`+l.GetValue()+`"`)
			}
			suffix := ""
			if len(labels) > 0 {
				suffix = "{" + strings.Join(labels, ",") + "}"
			}
			switch {
			case m.Counter != nil:
				out[name+suffix] = m.Counter.GetValue()
			case m.Gauge != nil:
				out[name+suffix] = m.Gauge.GetValue()
			case m.Histogram != nil:
				out[name+"_count"+suffix] = float64(m.Histogram.GetSampleCount())
				out[name+"_sum"+suffix] = m.Histogram.GetSampleSum()
			}
		}
	}
	return out
}

// enableChannels turns on Telegram (webhook, against fake) and Twilio
// (against a fake REST API) in cfg.
func enableChannels(t *testing.T, cfg *config.Config, fake *telegramtest.Server) {
	t.Helper()
	api := httptest.NewServer(&fakeMessagesAPI{})
	t.Cleanup(api.Close)
	cfg.Server.PublicURL = twPublic
	cfg.Twilio.Enabled = true
	cfg.Twilio.AccountSID, cfg.Twilio.AuthToken, cfg.Twilio.From = twAccount, twToken, "+4930555000"
	cfg.Twilio.APIBase = api.URL
	cfg.Telegram.Enabled = true
	cfg.Telegram.Token = telegramtest.Token
	cfg.Telegram.Mode = "webhook"
	cfg.Telegram.WebhookSecret = tgSecret
	cfg.Telegram.APIEndpoint = fake.URL
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
}

// postTelegram posts an update to the webhook with the given secret.
func postTelegram(t *testing.T, base, secret, body string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, base+"/telegram/webhook", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Telegram-Bot-Api-Secret-Token", secret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestServeMetricsAndAnalytics: after real chats on the web, Telegram and
// SMS and a handoff a caseworker claims, /metrics shows the messages,
// decisions, latencies, queue, wait, sockets and refused webhooks, and the
// console's analytics count the same conversations — on Redis, with a
// metrics token.
func TestServeMetricsAndAnalytics(t *testing.T) {
	rs := redistest.Start(t)
	fake := telegramtest.New(t)
	cfg := testConfig(t, rs.URL())
	enableChannels(t, &cfg, fake)
	cfg.Metrics.Token = "metrics-token-0123456789"
	addUser(t, rs.URL(), "erika", "Erika Mustermann", true)
	in := startInstance(t, cfg)
	tok := cfg.Metrics.Token

	// The token is required.
	if code := getCode(t, in.url+"/metrics"); code != http.StatusUnauthorized {
		t.Errorf("/metrics without the token: %d", code)
	}
	before := scrapeMetrics(t, in.url, tok)
	if before[`civibot_knowledge_pages`] < 50 || before[`civibot_handoff_queue_length{list="waiting"}`] != 0 {
		t.Errorf("at start: pages %v, waiting %v", before[`civibot_knowledge_pages`], before[`civibot_handoff_queue_length{list="waiting"}`])
	}

	erika := loginCaseworker(t, in.url, "erika", casePassword)
	erika.connect()
	cit := dialCitizen(t, in.url, "", 0, nil)
	cit.send(map[string]any{"type": "message", "id": "m1", "text": "Was kostet ein Personalausweis?"})
	answer := cit.until("message", func(f chatFrame) bool { return f.Message.Role == "bot" })
	cit.send(map[string]any{"type": "feedback", "id": "f1", "seq": answer.Message.Seq, "value": 1})
	cit.until("ack", func(f chatFrame) bool { return f.Ref == "f1" })
	cit.send(map[string]any{"type": "person", "id": "p1"})
	q := erika.until("queue", func(f liveFrame) bool { return len(ids(f, "waiting")) == 1 })

	m := scrapeMetrics(t, in.url, tok)
	for k, want := range map[string]float64{
		`civibot_connections{kind="webchat"}`:          1,
		`civibot_connections{kind="console"}`:          1,
		`civibot_handoff_queue_length{list="waiting"}`: 1,
	} {
		if m[k] != want {
			t.Errorf("while waiting: %s = %v, want %v", k, m[k], want)
		}
	}

	id := ids(q, "waiting")[0]
	time.Sleep(20 * time.Millisecond) // a wait above zero
	if code, res := erika.do("POST", "/console/api/conversations/"+id+"/claim", nil); code != 200 {
		t.Fatalf("claim: %d %v", code, res)
	}
	// Telegram and SMS, and refused webhooks.
	if code := postTelegram(t, in.url, tgSecret, tgUpdate(1, "Wie melde ich meinen Hund an?")); code != http.StatusOK {
		t.Fatalf("telegram: %d", code)
	}
	if code := postTelegram(t, in.url, "wrong-secret", tgUpdate(2, "Hallo")); code != http.StatusUnauthorized {
		t.Fatalf("telegram with a wrong secret: %d", code)
	}
	sms := url.Values{"MessageSid": {"SM" + strings.Repeat("7", 32)}, "AccountSid": {twAccount}, "From": {twCitizen},
		"To": {"+4930555000"}, "Body": {"Was kostet ein Reisepass?"}, "NumMedia": {"0"}}
	if code, body := twilioPost(t, in.url, "/twilio/sms", sms); code != http.StatusOK {
		t.Fatalf("sms: %d %s", code, body)
	}
	if resp, err := http.PostForm(in.url+"/twilio/sms", sms); err != nil || resp.StatusCode != http.StatusForbidden {
		t.Fatalf("unsigned sms: %v %v", resp, err)
	}

	m = scrapeMetrics(t, in.url, tok)
	for k, want := range map[string]float64{
		`civibot_messages_total{channel="web",direction="in"}`:                   2, // the question and the press
		`civibot_messages_total{channel="web",direction="out"}`:                  2,
		`civibot_messages_total{channel="telegram",direction="in"}`:              1,
		`civibot_messages_total{channel="sms",direction="in"}`:                   1,
		`civibot_dialog_decisions_total{kind="handoff",reason="button"}`:         1,
		`civibot_handoffs_total{channel="web",outcome="queued",reason="button"}`: 1,
		`civibot_feedback_total{value="up"}`:                                     1,
		`civibot_turn_duration_seconds_count{channel="web"}`:                     2,
		`civibot_handoff_wait_seconds_count`:                                     1,
		`civibot_handoff_queue_length{list="waiting"}`:                           0,
		`civibot_webhook_errors_total{channel="telegram",reason="bad_secret"}`:   1,
		`civibot_webhook_errors_total{channel="twilio",reason="bad_signature"}`:  1,
		`civibot_webhook_errors_total{channel="twilio",reason="server_error"}`:   0,
		`civibot_redis_errors_total{kind="network"}`:                             0,
		`civibot_knowledge_reloads_total{result="error"}`:                        0,
		`civibot_analytics_dropped_total`:                                        0,
	} {
		if m[k] != want {
			t.Errorf("%s = %v, want %v", k, m[k], want)
		}
	}
	if m[`civibot_dialog_decisions_total{kind="answer",reason="none"}`] < 3 || m[`civibot_retrieval_duration_seconds_count`] < 3 {
		t.Errorf("answers %v, searches %v", m[`civibot_dialog_decisions_total{kind="answer",reason="none"}`], m[`civibot_retrieval_duration_seconds_count`])
	}
	if m[`civibot_redis_memory_bytes{kind="used"}`] < 100000 || m[`civibot_console_logins_total{outcome="ok"}`] != 1 {
		t.Errorf("redis memory %v, console logins %v", m[`civibot_redis_memory_bytes{kind="used"}`], m[`civibot_console_logins_total{outcome="ok"}`])
	}
	if m[`civibot_handoff_wait_seconds_sum`] <= 0 || m["go_goroutines"] == 0 || m["process_resident_memory_bytes"] == 0 {
		t.Errorf("wait sum %v, runtime collectors %v %v", m[`civibot_handoff_wait_seconds_sum`], m["go_goroutines"], m["process_resident_memory_bytes"])
	}

	// The analytics saw the same: three conversations, one handed off,
	// its wait, the rating, in Redis.
	var rep map[string]any
	testtime.WaitFor(t, 10*time.Second, "the analytics", func() bool {
		code, body := erika.do("GET", "/console/api/analytics", nil)
		rep = body
		tt, _ := body["totals"].(map[string]any)
		// Events are recorded as they happen, not in the order of the
		// channels: wait for all four messages, not just the three
		// conversations.
		return code == 200 && tt["conversations"] == 3.0 && tt["waits"] == 1.0 && tt["messages"] == 4.0
	})
	tt := rep["totals"].(map[string]any)
	if tt["handed_off"] != 1.0 || tt["up"] != 1.0 || tt["messages"] != 4.0 || strings.Join(toStrings(rep["channels"]), ",") != "sms,telegram,web" {
		t.Errorf("analytics = %v", rep)
	}
	keys, err := rs.Client(t).Keys(t.Context(), "civibot:{an:*").Result()
	if err != nil || len(keys) < 2 {
		t.Errorf("analytics keys in Redis: %v %v", keys, err)
	}

	// Redis going away shows as errors.
	rs.Stop(t)
	getStatus(t, in.url+"/readyz")
	if m := scrapeMetrics(t, in.url, tok); m[`civibot_redis_errors_total{kind="network"}`] < 1 {
		t.Errorf("Redis down: network errors = %v", m[`civibot_redis_errors_total{kind="network"}`])
	}
	rs.Restart(t)
}

func toStrings(v any) []string {
	var out []string
	for _, x := range v.([]any) {
		out = append(out, x.(string))
	}
	return out
}

// TestServeMetricsOff: metrics.enabled false serves no /metrics, and
// analytics.enabled false answers the dashboard with analytics_off.
func TestServeMetricsOff(t *testing.T) {
	cfg := testConfig(t, "")
	cfg.Metrics.Enabled = false
	cfg.Analytics.Enabled = false
	if code, _, errOut := runCmd(t, cheapEnv, casePassword+"\n", "user", "add", "erika", "--admin", "--password-stdin", "--data-dir", cfg.Security.DataDir); code != 0 {
		t.Fatal(errOut)
	}
	in := startInstance(t, cfg)
	if code := getCode(t, in.url+"/metrics"); code != http.StatusNotFound {
		t.Errorf("/metrics with metrics off: %d", code)
	}
	erika := loginCaseworker(t, in.url, "erika", casePassword)
	if code, body := erika.do("GET", "/console/api/analytics", nil); code != http.StatusNotFound || body["error"] != "analytics_off" {
		t.Errorf("analytics off: %d %v", code, body)
	}
}

// TestRedisLoggerJSON: go-redis's own log lines come out as JSON log
// records, not plain text in the middle of the JSON log (issue 21.6).
func TestRedisLoggerJSON(t *testing.T) {
	var buf bytes.Buffer
	l := redisLogger{slog.New(slog.NewJSONHandler(&buf, nil))}
	l.Printf(context.Background(), "redis: %s:%d: connection pool: failed to dial after %d attempts: %v\n", "10.0.0.7", 6379, 5, errors.New("connection refused"))
	var rec map[string]any
	if err := json.Unmarshal(buf.Bytes(), &rec); err != nil {
		t.Fatalf("not a JSON record: %q: %v", buf.String(), err)
	}
	if rec["level"] != "WARN" || rec["msg"] != "redis client" || !strings.Contains(rec["detail"].(string), "failed to dial") {
		t.Errorf("record = %v", rec)
	}
}
