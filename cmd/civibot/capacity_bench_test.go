package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/civibot/civibot/accounts"
	"github.com/civibot/civibot/analytics"
	"github.com/civibot/civibot/channels"
	"github.com/civibot/civibot/conversation"
	"github.com/civibot/civibot/dialog"
	"github.com/civibot/civibot/handoff"
	"github.com/civibot/civibot/internal/redistest"
)

// BenchmarkRedisMemoryPerConversation measures what a conversation costs
// in Redis: b.N web conversations of three turns each (a question, a
// follow-up, "talk to a person" for every fifth) through the real dialog
// service and handoff desk, with the analytics recorder writing beside
// them. It reports used_memory growth per conversation, and the analytics'
// share.
func BenchmarkRedisMemoryPerConversation(b *testing.B) {
	ctx := context.Background()
	rs := redistest.Start(b)
	rdb := rs.Client(b)
	used := func() int64 {
		info, err := rdb.Info(ctx, "memory").Result()
		if err != nil {
			b.Fatal(err)
		}
		for _, line := range strings.Split(info, "\r\n") {
			if v, ok := strings.CutPrefix(line, "used_memory:"); ok {
				n, _ := strconv.ParseInt(v, 10, 64)
				return n
			}
		}
		b.Fatal("no used_memory")
		return 0
	}
	cfg := testConfig(b, rs.URL())
	src := kbSource{embedder: cfg.Knowledge.Embedder}
	live, err := openLiveKB(ctx, cfg, src, nil, nil, nil, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer live.Close()
	store := conversation.NewRedis(rdb, conversation.Options{Prefix: "civibot:"})
	queue, err := handoff.NewRedisQueue(rdb, "civibot:")
	if err != nil {
		b.Fatal(err)
	}
	accts, err := accounts.NewRedis(cfg.Handoff.Accounts, rdb, "civibot:", accounts.Options{})
	if err != nil {
		b.Fatal(err)
	}
	desk, err := handoff.New(cfg.Handoff, handoff.Options{State: store, Queue: queue, Registry: channels.NewRegistry(), Users: accts})
	if err != nil {
		b.Fatal(err)
	}
	ast := analytics.NewRedis(rdb, "civibot:", analytics.Config{})
	rec, err := analytics.NewRecorder(analytics.Config{}, ast, analytics.RecorderOptions{Buffer: 1 << 20})
	if err != nil {
		b.Fatal(err)
	}
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { rec.Run(rctx); close(done) }()
	svc, err := dialog.NewService(dialog.ServiceConfig{}, dialog.ServiceOptions{Engine: live, Store: observedStore{backend: store, started: rec.Started}, Bus: store, Desk: desk, Observers: []dialog.Observer{rec}})
	if err != nil {
		b.Fatal(err)
	}
	if err := desk.Heartbeat(ctx, "erika"); err != nil {
		b.Fatal(err)
	}
	questions := []string{"Was kostet ein Personalausweis?", "Wie melde ich meinen Hund an?", "Wann wird der Sperrmüll abgeholt?",
		"Wo kann ich mein Boot anmelden?", "How do I register my address?"}
	before := used()
	b.ResetTimer()
	for i := range b.N {
		id := fmt.Sprintf("w%032x", i)
		in := dialog.Inbound{ConversationID: id, Channel: conversation.ChannelWeb}
		in.ClientID, in.Text = "c1", questions[i%len(questions)]
		if _, err := svc.Handle(ctx, in); err != nil {
			b.Fatal(err)
		}
		in.ClientID, in.Text = "c2", "Und welche Unterlagen brauche ich dafür?"
		if _, err := svc.Handle(ctx, in); err != nil {
			b.Fatal(err)
		}
		if i%5 == 0 {
			in.ClientID = "c3"
			if _, err := svc.RequestPerson(ctx, in); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.StopTimer()
	cancel()
	<-done
	after := used()
	var an int64
	keys, _ := rdb.Keys(ctx, "civibot:{an:*").Result()
	for _, k := range keys {
		n, _ := rdb.MemoryUsage(ctx, k).Result()
		an += n
	}
	b.ReportMetric(float64(after-before)/float64(b.N), "redis-bytes/conversation")
	b.ReportMetric(float64(an), "analytics-bytes")
}
