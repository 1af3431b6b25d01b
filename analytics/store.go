package analytics

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/civibot/civibot/conversation"
)

// Memory is the single-instance Store. Days older than Config.Retention,
// and questions older than Config.QuestionRetention, are dropped on the
// next Add.
type Memory struct {
	cfg Config
	loc *time.Location
	now func() time.Time

	mu   sync.Mutex
	days map[string]*Day
}

var _ Store = (*Memory)(nil)

// NewMemory returns an empty in-memory store. now may be nil (time.Now).
func NewMemory(cfg Config, now func() time.Time) (*Memory, error) {
	cfg = cfg.withDefaults()
	loc, err := cfg.Location()
	if err != nil {
		return nil, err
	}
	if now == nil {
		now = time.Now
	}
	return &Memory{cfg: cfg, loc: loc, now: now, days: map[string]*Day{}}, nil
}

// Add implements Store.
func (m *Memory) Add(_ context.Context, day string, b Batch) error {
	if _, err := time.Parse(DayLayout, day); err != nil {
		return fmt.Errorf("analytics: add: %w: day %q", ErrInvalid, day)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	d, ok := m.days[day]
	if !ok {
		d = &Day{Date: day, Counts: map[string]int64{}, Titles: map[string]string{}}
		m.days[day] = d
	}
	for k, v := range b.Counts {
		d.Counts[k] += v
	}
	maps.Copy(d.Titles, b.Titles)
	d.Waits = keepLast(append(d.Waits, b.Waits...), MaxWaitsPerDay)
	d.Questions = keepLast(append(d.Questions, b.Questions...), MaxQuestionsPerDay)
	m.prune()
	return nil
}

// prune drops what is past its retention (under m.mu).
func (m *Memory) prune() {
	now := m.now().In(m.loc)
	oldest := now.Add(-m.cfg.Retention).Format(DayLayout)
	oldestQ := now.Add(-m.cfg.QuestionRetention).Format(DayLayout)
	for day, d := range m.days {
		switch {
		case day < oldest:
			delete(m.days, day)
		case day < oldestQ:
			d.Questions = nil
		}
	}
}

// Days implements Store.
func (m *Memory) Days(_ context.Context, days []string) ([]Day, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.prune()
	out := make([]Day, len(days))
	for i, day := range days {
		out[i] = Day{Date: day, Counts: map[string]int64{}, Titles: map[string]string{}}
		if d, ok := m.days[day]; ok {
			out[i].Counts = maps.Clone(d.Counts)
			out[i].Titles = maps.Clone(d.Titles)
			out[i].Waits = slices.Clone(d.Waits)
			out[i].Questions = slices.Clone(d.Questions)
		}
	}
	return out, nil
}

func keepLast[T any](s []T, n int) []T {
	if len(s) > n {
		return slices.Clone(s[len(s)-n:])
	}
	return s
}

// Redis is the Store for several instances. Each day has three keys
// sharing the hash tag {an:<day>} (so one MULTI writes them, also on a
// cluster): a hash of counters (and page titles, as fields "t|<page id>"),
// a list of wait times in milliseconds and a list of questions (JSON).
// The counters and waits carry Config.Retention as TTL, the questions
// Config.QuestionRetention, refreshed on every write.
type Redis struct {
	rdb    redis.UniversalClient
	prefix string
	cfg    Config
}

var _ Store = (*Redis)(nil)

// NewRedis returns the Redis store; prefix starts every key (as the
// conversation store's, default "civibot:").
func NewRedis(rdb redis.UniversalClient, prefix string, cfg Config) *Redis {
	return &Redis{rdb: rdb, prefix: prefix, cfg: cfg.withDefaults()}
}

func (r *Redis) key(day, what string) string { return r.prefix + "{an:" + day + "}:" + what }

const titlePrefix = "t|"

// Add implements Store.
func (r *Redis) Add(ctx context.Context, day string, b Batch) error {
	if _, err := time.Parse(DayLayout, day); err != nil {
		return fmt.Errorf("analytics: add: %w: day %q", ErrInvalid, day)
	}
	if b.empty() {
		return nil
	}
	counts, waits, questions := r.key(day, "counts"), r.key(day, "waits"), r.key(day, "questions")
	_, err := r.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		if len(b.Counts) > 0 || len(b.Titles) > 0 {
			for k, v := range b.Counts {
				p.HIncrBy(ctx, counts, k, v)
			}
			for id, title := range b.Titles {
				p.HSet(ctx, counts, titlePrefix+id, title)
			}
			p.Expire(ctx, counts, r.cfg.Retention)
		}
		if len(b.Waits) > 0 {
			vals := make([]any, len(b.Waits))
			for i, w := range b.Waits {
				vals[i] = w.Milliseconds()
			}
			p.RPush(ctx, waits, vals...)
			p.LTrim(ctx, waits, -MaxWaitsPerDay, -1)
			p.Expire(ctx, waits, r.cfg.Retention)
		}
		if len(b.Questions) > 0 {
			vals := make([]any, len(b.Questions))
			for i, q := range b.Questions {
				raw, err := json.Marshal(q)
				if err != nil {
					return fmt.Errorf("analytics: encode question: %w", err)
				}
				vals[i] = raw
			}
			p.RPush(ctx, questions, vals...)
			p.LTrim(ctx, questions, -MaxQuestionsPerDay, -1)
			p.Expire(ctx, questions, r.cfg.QuestionRetention)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("analytics: add %s: %w: %w", day, conversation.ErrUnavailable, err)
	}
	return nil
}

// Days implements Store.
func (r *Redis) Days(ctx context.Context, days []string) ([]Day, error) {
	type reads struct {
		counts    *redis.MapStringStringCmd
		waits     *redis.StringSliceCmd
		questions *redis.StringSliceCmd
	}
	rs := make([]reads, len(days))
	_, err := r.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, day := range days {
			rs[i] = reads{
				counts:    p.HGetAll(ctx, r.key(day, "counts")),
				waits:     p.LRange(ctx, r.key(day, "waits"), 0, -1),
				questions: p.LRange(ctx, r.key(day, "questions"), 0, -1),
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("analytics: read days: %w: %w", conversation.ErrUnavailable, err)
	}
	out := make([]Day, len(days))
	for i, day := range days {
		d := Day{Date: day, Counts: map[string]int64{}, Titles: map[string]string{}}
		for k, v := range rs[i].counts.Val() {
			if id, ok := strings.CutPrefix(k, titlePrefix); ok {
				d.Titles[id] = v
				continue
			}
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				continue // not ours: skip rather than fail the dashboard
			}
			d.Counts[k] = n
		}
		for _, v := range rs[i].waits.Val() {
			if ms, err := strconv.ParseInt(v, 10, 64); err == nil {
				d.Waits = append(d.Waits, time.Duration(ms)*time.Millisecond)
			}
		}
		for _, v := range rs[i].questions.Val() {
			var q Question
			if json.Unmarshal([]byte(v), &q) == nil {
				d.Questions = append(d.Questions, q)
			}
		}
		out[i] = d
	}
	return out, nil
}
