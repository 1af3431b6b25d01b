package metrics_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/redis/go-redis/v9"

	"github.com/civibot/civibot/conversation"
	"github.com/civibot/civibot/dialog"
	"github.com/civibot/civibot/internal/redistest"
	"github.com/civibot/civibot/metrics"
)

// scrape fetches /metrics over real HTTP and parses the text format.
func scrape(t *testing.T, url, token string) map[string]float64 {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
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
		t.Fatalf("GET %s = %d %s", url, resp.StatusCode, b)
	}
	return parse(t, resp.Body)
}

// parse flattens samples to "name{a="b",…}" → value (histograms as
// name_count and name_sum).
func parse(t *testing.T, r io.Reader) map[string]float64 {
	t.Helper()
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(r)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for name, f := range fams {
		for _, m := range f.GetMetric() {
			var labels []string
			for _, l := range m.GetLabel() {
				labels = append(labels, l.GetName()+"="+`"`+l.GetValue()+`"`)
			}
			key := name
			if len(labels) > 0 {
				key += "{" + strings.Join(labels, ",") + "}"
			}
			switch {
			case m.Counter != nil:
				out[key] = m.Counter.GetValue()
			case m.Gauge != nil:
				out[key] = m.Gauge.GetValue()
			case m.Histogram != nil:
				out[strings.Replace(key, name, name+"_count", 1)] = float64(m.Histogram.GetSampleCount())
				out[strings.Replace(key, name, name+"_sum", 1)] = m.Histogram.GetSampleSum()
			}
		}
	}
	return out
}

func TestMetricsFromObserverAndTrackers(t *testing.T) {
	ctx := context.Background()
	m := metrics.New()
	open := 3
	m.TrackConnections("webchat", func() int { return open })
	m.TrackKnowledge(func() int { return 102 })
	m.TrackQueue(func(context.Context) (int, int, error) { return 4, 1, nil })
	srv := httptest.NewServer(m.Handler(""))
	defer srv.Close()

	m.Received(ctx, conversation.ChannelWeb)
	m.Received(ctx, conversation.ChannelSMS)
	conv := conversation.Conversation{Channel: conversation.ChannelWeb}
	m.Turned(ctx, dialog.TurnRecord{Conversation: conv, Decision: conversation.Decision{Kind: dialog.KindAnswer, Confidence: 0.8}, Took: 20 * time.Millisecond})
	m.Turned(ctx, dialog.TurnRecord{Conversation: conv, Decision: conversation.Decision{Kind: dialog.KindHandoff, Reason: dialog.ReasonLowConfidence},
		Handoff: true, Ticket: true, Took: 30 * time.Millisecond})
	m.Rated(ctx, dialog.FeedbackRecord{New: -1})
	m.Retrieval(3 * time.Millisecond)
	m.Waited(90 * time.Second)
	m.Reloaded(nil)
	m.Dropped()
	m.Mail("answered")
	m.Mail("ignored_auto_submitted")
	m.Mail("ignored_auto_submitted")

	got := scrape(t, srv.URL, "")
	want := map[string]float64{
		`civibot_messages_total{channel="web",direction="in"}`:                           1,
		`civibot_messages_total{channel="sms",direction="in"}`:                           1,
		`civibot_messages_total{channel="web",direction="out"}`:                          2,
		`civibot_dialog_decisions_total{kind="answer",reason="none"}`:                    1,
		`civibot_dialog_decisions_total{kind="handoff",reason="low_confidence"}`:         1,
		`civibot_handoffs_total{channel="web",outcome="ticket",reason="low_confidence"}`: 1,
		`civibot_feedback_total{value="down"}`:                                           1,
		`civibot_turn_duration_seconds_count{channel="web"}`:                             2,
		`civibot_retrieval_duration_seconds_count`:                                       1,
		`civibot_handoff_wait_seconds_count`:                                             1,
		`civibot_handoff_wait_seconds_sum`:                                               90,
		`civibot_connections{kind="webchat"}`:                                            3,
		`civibot_knowledge_pages`:                                                        102,
		`civibot_handoff_queue_length{list="waiting"}`:                                   4,
		`civibot_handoff_queue_length{list="tickets"}`:                                   1,
		`civibot_knowledge_reloads_total{result="ok"}`:                                   1,
		`civibot_knowledge_reloads_total{result="error"}`:                                0,
		`civibot_analytics_dropped_total`:                                                1,
		`civibot_redis_errors_total{kind="network"}`:                                     0,
		`civibot_email_mails_total{outcome="answered"}`:                                  1,
		`civibot_email_mails_total{outcome="ignored_auto_submitted"}`:                    2,
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
	if got["go_goroutines"] == 0 {
		t.Error("the Go runtime collector is missing")
	}
	open = 0
	if got := scrape(t, srv.URL, ""); got[`civibot_connections{kind="webchat"}`] != 0 {
		t.Errorf("connections gauge not read at scrape time: %v", got[`civibot_connections{kind="webchat"}`])
	}
}

func TestMetricsToken(t *testing.T) {
	const token = "0123456789abcdef0123"
	srv := httptest.NewServer(metrics.New().Handler(token))
	defer srv.Close()
	for _, tt := range []struct {
		auth string
		code int
	}{
		{"", http.StatusUnauthorized},
		{"Bearer wrong", http.StatusUnauthorized},
		{"Basic " + token, http.StatusUnauthorized},
		{"Bearer " + token, http.StatusOK},
	} {
		req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
		if tt.auth != "" {
			req.Header.Set("Authorization", tt.auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tt.code {
			t.Errorf("Authorization %q: %d, want %d", tt.auth, resp.StatusCode, tt.code)
		}
	}
	if err := (metrics.Config{Token: "short"}).Validate(); err == nil || !strings.Contains(err.Error(), "metrics.token must have at least 16") {
		t.Errorf("short token: %v", err)
	}
}

func TestWebhookErrors(t *testing.T) {
	m := metrics.New()
	mux := http.NewServeMux()
	mux.Handle("POST /hook/{code}", m.Webhook("twilio", "bad_signature", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.PathValue("code") {
		case "403":
			http.Error(w, "invalid signature", http.StatusForbidden)
		case "413":
			http.Error(w, "too large", http.StatusRequestEntityTooLarge)
		case "500":
			w.WriteHeader(http.StatusInternalServerError)
		default:
			io.WriteString(w, "<Response/>") // 200 without WriteHeader
		}
	})))
	mux.Handle("GET /metrics", m.Handler(""))
	srv := httptest.NewServer(mux)
	defer srv.Close()
	for _, code := range []string{"403", "403", "413", "500", "200"} {
		resp, err := http.Post(srv.URL+"/hook/"+code, "text/plain", nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	got := scrape(t, srv.URL+"/metrics", "")
	for k, v := range map[string]float64{
		`civibot_webhook_errors_total{channel="twilio",reason="bad_signature"}`: 2,
		`civibot_webhook_errors_total{channel="twilio",reason="too_large"}`:     1,
		`civibot_webhook_errors_total{channel="twilio",reason="server_error"}`:  1,
		`civibot_webhook_errors_total{channel="twilio",reason="bad_request"}`:   0,
	} {
		if got[k] != v {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
}

func TestRedisErrors(t *testing.T) {
	ctx := context.Background()
	rs := redistest.Start(t)
	m := metrics.New()
	rdb, err := conversation.NewRedisClient(conversation.RedisConfig{URL: rs.URL()})
	if err != nil {
		t.Fatal(err)
	}
	defer rdb.Close()
	rdb.AddHook(m.RedisHook())
	srv := httptest.NewServer(m.Handler(""))
	defer srv.Close()

	// Normal outcomes are no errors: a missing key, an existing consumer group.
	if err := rdb.Get(ctx, "nothing-here").Err(); err == nil {
		t.Fatal("want redis.Nil")
	}
	rdb.XGroupCreateMkStream(ctx, "s", "g", "$")
	if err := rdb.XGroupCreateMkStream(ctx, "s", "g", "$").Err(); err == nil || !strings.HasPrefix(err.Error(), "BUSYGROUP") {
		t.Fatalf("second group create: %v", err)
	}
	// A script run on a fresh server (NOSCRIPT, then EVAL) and a consumer
	// group gone after a restart (NOGROUP, recreated by the desk) are
	// handled misses, not failures (issue 21.7).
	if v, err := redis.NewScript(`return 7`).Run(ctx, rdb, nil).Int(); err != nil || v != 7 {
		t.Fatalf("script: %v %v", v, err)
	}
	if err := rdb.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "nogroup", Consumer: "c", Streams: []string{"s", ">"}, Count: 1, Block: -1}).Err(); err == nil || !strings.HasPrefix(err.Error(), "NOGROUP") {
		t.Fatalf("read from a missing group: %v", err)
	}
	// An error answer.
	rdb.Set(ctx, "str", "x", 0)
	if err := rdb.LPush(ctx, "str", "y").Err(); err == nil {
		t.Fatal("want WRONGTYPE")
	}
	got := scrape(t, srv.URL, "")
	if got[`civibot_redis_errors_total{kind="network"}`] != 0 || got[`civibot_redis_errors_total{kind="reply"}`] != 1 {
		t.Fatalf("before the outage: %v %v", got[`civibot_redis_errors_total{kind="network"}`], got[`civibot_redis_errors_total{kind="reply"}`])
	}
	rs.Stop(t)
	if err := rdb.Ping(ctx).Err(); err == nil {
		t.Fatal("ping with Redis down succeeded")
	}
	if got := scrape(t, srv.URL, ""); got[`civibot_redis_errors_total{kind="network"}`] < 1 {
		t.Errorf("Redis down: network errors = %v", got[`civibot_redis_errors_total{kind="network"}`])
	}
}
