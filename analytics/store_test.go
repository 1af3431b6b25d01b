package analytics

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/civibot/civibot/conversation"
	"github.com/civibot/civibot/internal/redistest"
	"github.com/civibot/civibot/internal/testtime"
)

// backends runs fn against both stores.
func backends(t *testing.T, fn func(t *testing.T, s Store, clk *testtime.Clock)) {
	t.Run("memory", func(t *testing.T) {
		clk := testtime.NewClock(time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC))
		m, err := NewMemory(Config{}, clk.Now)
		if err != nil {
			t.Fatal(err)
		}
		fn(t, m, clk)
	})
	t.Run("redis", func(t *testing.T) {
		rs := redistest.Start(t)
		clk := testtime.NewClock(time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC))
		fn(t, NewRedis(rs.Client(t), "civibot:", Config{}), clk)
	})
}

func TestStoreContract(t *testing.T) {
	backends(t, func(t *testing.T, s Store, _ *testtime.Clock) {
		ctx := context.Background()
		at := time.Date(2026, 3, 10, 9, 30, 0, 0, time.UTC)
		if err := s.Add(ctx, "2026-03-10", Batch{
			Counts:    map[string]int64{"conv|web": 2, "msg|web": 5},
			Titles:    map[string]string{"personalausweis-de": "Personalausweis beantragen"},
			Waits:     []time.Duration{90 * time.Second},
			Questions: []Question{{Text: "Boot anmelden?", Language: "de", Kind: KindUnanswered, Confidence: 0.21, At: at}},
		}); err != nil {
			t.Fatal(err)
		}
		if err := s.Add(ctx, "2026-03-10", Batch{
			Counts: map[string]int64{"conv|web": 1, "conv|sms": 1, "fb|personalausweis-de|up": -1},
			Waits:  []time.Duration{30 * time.Second, 1500 * time.Millisecond},
		}); err != nil {
			t.Fatal(err)
		}
		if err := s.Add(ctx, "2026-03-10", Batch{}); err != nil {
			t.Fatal(err)
		}
		if err := s.Add(ctx, "10.03.2026", Batch{Counts: map[string]int64{"x": 1}}); !errors.Is(err, ErrInvalid) {
			t.Errorf("bad day: %v", err)
		}
		days, err := s.Days(ctx, []string{"2026-03-09", "2026-03-10"})
		if err != nil {
			t.Fatal(err)
		}
		if len(days) != 2 || days[0].Date != "2026-03-09" || len(days[0].Counts) != 0 || days[0].Titles == nil {
			t.Fatalf("empty day = %+v", days[0])
		}
		d := days[1]
		if d.Date != "2026-03-10" || d.Counts["conv|web"] != 3 || d.Counts["conv|sms"] != 1 || d.Counts["msg|web"] != 5 || d.Counts["fb|personalausweis-de|up"] != -1 {
			t.Errorf("counts = %v", d.Counts)
		}
		if d.Titles["personalausweis-de"] != "Personalausweis beantragen" || len(d.Titles) != 1 {
			t.Errorf("titles = %v", d.Titles)
		}
		if fmt.Sprint(d.Waits) != "[1m30s 30s 1.5s]" {
			t.Errorf("waits = %v", d.Waits)
		}
		if len(d.Questions) != 1 || d.Questions[0].Text != "Boot anmelden?" || d.Questions[0].Confidence != 0.21 || !d.Questions[0].At.Equal(at) {
			t.Errorf("questions = %+v", d.Questions)
		}
	})
}

func TestStoreCaps(t *testing.T) {
	backends(t, func(t *testing.T, s Store, _ *testtime.Clock) {
		ctx := context.Background()
		var b Batch
		for i := range MaxQuestionsPerDay + 3 {
			b.Questions = append(b.Questions, Question{Text: fmt.Sprintf("q%d", i), Kind: KindUnanswered})
		}
		for i := range MaxWaitsPerDay + 2 {
			b.Waits = append(b.Waits, time.Duration(i)*time.Millisecond)
		}
		if err := s.Add(ctx, "2026-03-10", b); err != nil {
			t.Fatal(err)
		}
		days, err := s.Days(ctx, []string{"2026-03-10"})
		if err != nil {
			t.Fatal(err)
		}
		d := days[0]
		if len(d.Questions) != MaxQuestionsPerDay || d.Questions[0].Text != "q3" {
			t.Errorf("questions: %d, first %q (the latest are kept)", len(d.Questions), d.Questions[0].Text)
		}
		if len(d.Waits) != MaxWaitsPerDay || d.Waits[0] != 2*time.Millisecond {
			t.Errorf("waits: %d, first %v", len(d.Waits), d.Waits[0])
		}
	})
}

func TestMemoryRetention(t *testing.T) {
	clk := testtime.NewClock(time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC))
	m, err := NewMemory(Config{Retention: 10 * 24 * time.Hour, QuestionRetention: 2 * 24 * time.Hour, TimeZone: "UTC"}, clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := m.Add(ctx, "2026-03-10", Batch{Counts: map[string]int64{"conv|web": 1}, Questions: []Question{{Text: "q", Kind: KindClarify}}}); err != nil {
		t.Fatal(err)
	}
	read := func() Day {
		days, err := m.Days(ctx, []string{"2026-03-10"})
		if err != nil {
			t.Fatal(err)
		}
		return days[0]
	}
	clk.Set(time.Date(2026, 3, 12, 12, 0, 0, 0, time.UTC))
	if d := read(); len(d.Questions) != 1 || d.Counts["conv|web"] != 1 {
		t.Errorf("after 2 days: %+v", d)
	}
	clk.Set(time.Date(2026, 3, 13, 12, 0, 0, 0, time.UTC))
	if d := read(); len(d.Questions) != 0 || d.Counts["conv|web"] != 1 {
		t.Errorf("after 3 days the questions are gone, the counts stay: %+v", d)
	}
	clk.Set(time.Date(2026, 3, 21, 12, 0, 0, 0, time.UTC))
	if d := read(); len(d.Counts) != 0 {
		t.Errorf("after 11 days everything is gone: %+v", d)
	}
}

func TestRedisKeysAndTTL(t *testing.T) {
	ctx := context.Background()
	rs := redistest.Start(t)
	rdb := rs.Client(t)
	s := NewRedis(rdb, "city:", Config{Retention: 100 * 24 * time.Hour, QuestionRetention: 7 * 24 * time.Hour})
	if err := s.Add(ctx, "2026-03-10", Batch{
		Counts: map[string]int64{"conv|web": 1}, Waits: []time.Duration{time.Second},
		Questions: []Question{{Text: "q", Kind: KindClarify}},
	}); err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string]time.Duration{
		"city:{an:2026-03-10}:counts":    100 * 24 * time.Hour,
		"city:{an:2026-03-10}:waits":     100 * 24 * time.Hour,
		"city:{an:2026-03-10}:questions": 7 * 24 * time.Hour,
	} {
		ttl, err := rdb.TTL(ctx, key).Result()
		if err != nil || ttl <= want-time.Minute || ttl > want {
			t.Errorf("TTL %s = %v (%v), want about %v", key, ttl, err, want)
		}
	}
	// Redis down: a clear error, nothing else.
	rs.Stop(t)
	if err := s.Add(ctx, "2026-03-10", Batch{Counts: map[string]int64{"conv|web": 1}}); !errors.Is(err, conversation.ErrUnavailable) {
		t.Errorf("Add with Redis down: %v", err)
	}
	if _, err := s.Days(ctx, []string{"2026-03-10"}); !errors.Is(err, conversation.ErrUnavailable) {
		t.Errorf("Days with Redis down: %v", err)
	}
}
