package conversation

import (
	"context"
	"strconv"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// Usage counts what a key (a client address, a conversation) used within
// fixed windows — the web chat's byte quotas per day (issue 21.1). The
// Redis one is shared by every instance, so limits do not multiply with
// instances; the memory one serves the single-instance default.

// MemoryUsage is Usage in this process.
type MemoryUsage struct {
	mu sync.Mutex
	m  map[string]usageCount
}

type usageCount struct {
	window int64 // window start, Unix ms
	n      int64
}

// NewMemoryUsage returns an empty counter.
func NewMemoryUsage() *MemoryUsage { return &MemoryUsage{m: map[string]usageCount{}} }

// windowStart is the start of the window of length d that holds now.
func windowStart(now time.Time, d time.Duration) int64 {
	return now.Truncate(d).UnixMilli()
}

// Add adds n to key's count in the window of length window that holds
// now, and returns the window's total.
func (u *MemoryUsage) Add(ctx context.Context, key string, n int64, now time.Time, window time.Duration) (int64, error) {
	w := windowStart(now, window)
	u.mu.Lock()
	defer u.mu.Unlock()
	c := u.m[key]
	if c.window != w {
		c = usageCount{window: w}
	}
	c.n += n
	u.m[key] = c
	if len(u.m) > 100000 {
		for k, v := range u.m {
			if v.window != w {
				delete(u.m, k)
			}
		}
	}
	return c.n, nil
}

// RedisUsage is Usage in Redis: one counter key per key and window
// (Pusage:<key>:<window start>), expiring after the window.
type RedisUsage struct {
	client redis.UniversalClient
	prefix string
}

// NewRedisUsage returns a counter on client (prefix "" means "civibot:").
func NewRedisUsage(client redis.UniversalClient, prefix string) *RedisUsage {
	if prefix == "" {
		prefix = DefaultPrefix
	}
	return &RedisUsage{client: client, prefix: prefix}
}

// Add is MemoryUsage.Add across instances.
func (u *RedisUsage) Add(ctx context.Context, key string, n int64, now time.Time, window time.Duration) (int64, error) {
	k := u.prefix + "usage:" + key + ":" + strconv.FormatInt(windowStart(now, window), 10)
	var total *redis.IntCmd
	_, err := u.client.TxPipelined(ctx, func(p redis.Pipeliner) error {
		total = p.IncrBy(ctx, k, n)
		p.PExpire(ctx, k, window+time.Minute)
		return nil
	})
	if err != nil {
		return 0, fail("usage", err)
	}
	return total.Val(), nil
}
