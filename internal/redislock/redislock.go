// Package redislock is the single-holder lock several civibot instances
// share in Redis for work only one of them may do at a time (Telegram long
// polling, reading the e-mail mailbox). A holder renews it every ttl/3; a
// stopping holder releases it at once, a crashed one's lock expires after
// ttl, and another instance takes over.
package redislock

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// Lock is one instance's handle on a lock key. Its token tells this holder
// from the others.
type Lock struct {
	rdb                                 redis.UniversalClient
	key                                 string
	token                               string
	ttl                                 time.Duration
	takeScript, renewScript, freeScript *redis.Script
}

// New returns a handle on key with lifetime ttl (without renewal).
func New(rdb redis.UniversalClient, key string, ttl time.Duration) (*Lock, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return nil, fmt.Errorf("redislock: token: %w", err)
	}
	return &Lock{
		rdb: rdb, key: key, token: hex.EncodeToString(b), ttl: ttl,
		// Taking a lock this process already holds counts as taking it.
		takeScript: redis.NewScript(`local v = redis.call("GET", KEYS[1])
if v == false then redis.call("SET", KEYS[1], ARGV[1], "PX", ARGV[2]) return 1 end
if v == ARGV[1] then redis.call("PEXPIRE", KEYS[1], ARGV[2]) return 1 end
return 0`),
		renewScript: redis.NewScript(`if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("PEXPIRE", KEYS[1], ARGV[2]) end return 0`),
		freeScript:  redis.NewScript(`if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("DEL", KEYS[1]) end return 0`),
	}, nil
}

// TTL is the lock's lifetime without renewal.
func (l *Lock) TTL() time.Duration { return l.ttl }

// Acquire takes the lock if it is free (or already this handle's).
func (l *Lock) Acquire(ctx context.Context) (bool, error) {
	n, err := l.takeScript.Run(ctx, l.rdb, []string{l.key}, l.token, l.ttl.Milliseconds()).Int()
	if err != nil {
		return false, fmt.Errorf("redislock: take %s: %w", l.key, err)
	}
	return n == 1, nil
}

// Renew extends the lock; false means another instance holds it now.
func (l *Lock) Renew(ctx context.Context) (bool, error) {
	n, err := l.renewScript.Run(ctx, l.rdb, []string{l.key}, l.token, l.ttl.Milliseconds()).Int()
	if err != nil {
		return false, fmt.Errorf("redislock: renew %s: %w", l.key, err)
	}
	return n == 1, nil
}

// Release frees the lock if this handle holds it.
func (l *Lock) Release(ctx context.Context) error {
	if err := l.freeScript.Run(ctx, l.rdb, []string{l.key}, l.token).Err(); err != nil {
		return fmt.Errorf("redislock: release %s: %w", l.key, err)
	}
	return nil
}

// Keep renews the lock every ttl/3 until ctx ends or the lock is lost
// (taken by another instance, or not renewed within ttl while Redis was
// away); it returns why it stopped (nil when ctx ended).
func (l *Lock) Keep(ctx context.Context) error {
	every := l.ttl / 3
	lastOK := time.Now()
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		ok, err := l.Renew(ctx)
		switch {
		case err == nil && ok:
			lastOK = time.Now()
		case err == nil:
			return fmt.Errorf("redislock: %s was taken by another instance", l.key)
		case ctx.Err() != nil:
			return nil
		case time.Since(lastOK)+every >= l.ttl:
			return fmt.Errorf("redislock: could not renew %s in time: %w", l.key, err)
		}
	}
}
