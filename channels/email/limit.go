package email

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// counter counts answers per sender and day, shared by the instances
// (Redis) or kept by the one instance (memory).
type counter interface {
	// incr adds one to key's count (created with ttl) and returns the new
	// count.
	incr(ctx context.Context, key string, ttl time.Duration) (int64, error)
}

type redisCounter struct {
	rdb    redis.UniversalClient
	prefix string
}

func (r *redisCounter) incr(ctx context.Context, key string, ttl time.Duration) (int64, error) {
	k := r.prefix + key
	pipe := r.rdb.TxPipeline()
	n := pipe.Incr(ctx, k)
	pipe.Expire(ctx, k, ttl)
	if _, err := pipe.Exec(ctx); err != nil {
		return 0, fmt.Errorf("email: count answers: %w", err)
	}
	return n.Val(), nil
}

type memCounter struct {
	mu     sync.Mutex
	counts map[string]memCount
}

type memCount struct {
	n       int64
	expires time.Time
}

func newMemCounter() *memCounter { return &memCounter{counts: map[string]memCount{}} }

func (m *memCounter) incr(_ context.Context, key string, ttl time.Duration) (int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := time.Now()
	for k, c := range m.counts {
		if now.After(c.expires) {
			delete(m.counts, k)
		}
	}
	c := m.counts[key]
	if c.expires.IsZero() {
		c.expires = now.Add(ttl)
	}
	c.n++
	m.counts[key] = c
	return c.n, nil
}

// allowance is what the daily limit allows for a mail the bot would answer.
type allowance int

const (
	answerAllowed allowance = iota
	answerNotice            // this mail reaches the limit: say so, once
	answerSilent            // over the limit
)

// takeAnswer counts one answer to the sender against
// email.answers_per_day (per calendar day, UTC). A mail counted once is
// not counted again when it is handled again after a failure.
func (c *Channel) takeAnswer(ctx context.Context, from, mailKey string) (allowance, error) {
	limit := c.cfg.AnswersPerDay
	if limit < 0 {
		return answerAllowed, nil
	}
	day := c.now().UTC().Format("2006-01-02")
	sum := sha256.Sum256([]byte("sender:" + strings.ToLower(from)))
	key := day + ":" + hex.EncodeToString(sum[:12])
	// Count a mail once, however often it is handled.
	first, err := c.o.Idempotency.Begin(ctx, "email:counted:"+mailKey, 48*time.Hour)
	if err != nil {
		return answerAllowed, fmt.Errorf("email: count answers: %w", err)
	}
	if !first {
		return answerAllowed, nil
	}
	n, err := c.limit.incr(ctx, key, 48*time.Hour)
	if err != nil {
		_ = c.o.Idempotency.Abandon(context.WithoutCancel(ctx), "email:counted:"+mailKey)
		return answerAllowed, err
	}
	switch {
	case n <= int64(limit):
		return answerAllowed, nil
	case n == int64(limit)+1:
		return answerNotice, nil
	}
	return answerSilent, nil
}
