package aliases

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/redis/go-redis/v9"
)

// NewRedis returns a Store shared by every instance on client. Its two
// keys share the hash tag {aliases}, so the transactions that touch both
// work on Redis Cluster too. prefix "" means "civibot:".
func NewRedis(client redis.UniversalClient, prefix string, o Options) (*Store, error) {
	if prefix == "" {
		prefix = "civibot:"
	}
	if strings.ContainsAny(prefix, "{}") {
		return nil, fmt.Errorf("aliases: prefix %q must not contain { or }", prefix)
	}
	return newStore(&redisBackend{client: client, entries: prefix + "{aliases}:entries", ver: prefix + "{aliases}:version"}, o.Now), nil
}

type redisBackend struct {
	client       redis.UniversalClient
	entries, ver string
}

// watchTries bounds the retries of an optimistic transaction that other
// writers keep disturbing.
const watchTries = 20

func (r *redisBackend) tx(ctx context.Context, fn func(tx *redis.Tx) error) error {
	for range watchTries {
		err := r.client.Watch(ctx, fn, r.entries)
		if !errors.Is(err, redis.TxFailedErr) {
			return err
		}
	}
	return fmt.Errorf("too many concurrent changes: %w", redis.TxFailedErr)
}

func decodeEntry(raw string) (Suggestion, error) {
	var s Suggestion
	if err := json.Unmarshal([]byte(raw), &s); err != nil {
		return s, fmt.Errorf("damaged entry: %v", err)
	}
	return s, nil
}

func (r *redisBackend) put(ctx context.Context, s Suggestion, merge func(*Suggestion) bool) (Suggestion, error) {
	var out Suggestion
	err := r.tx(ctx, func(tx *redis.Tx) error {
		raw, err := tx.HGet(ctx, r.entries, s.ID).Result()
		if err != nil && !errors.Is(err, redis.Nil) {
			return err
		}
		var evict string
		if err == nil {
			old, err := decodeEntry(raw)
			if err != nil {
				return err
			}
			if !merge(&old) {
				out = old
				return nil
			}
			s = old
		} else {
			n, err := tx.HLen(ctx, r.entries).Result()
			if err != nil {
				return err
			}
			if n >= MaxEntries {
				all, err := r.listWith(ctx, tx)
				if err != nil {
					return err
				}
				m := make(map[string]Suggestion, len(all))
				for _, e := range all {
					m[e.ID] = e
				}
				id, ok := oldestPending(m)
				if !ok {
					return ErrFull
				}
				evict = id
			}
		}
		data, err := json.Marshal(s)
		if err != nil {
			return err
		}
		_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
			if evict != "" {
				p.HDel(ctx, r.entries, evict)
			}
			p.HSet(ctx, r.entries, s.ID, data)
			return nil
		})
		out = s
		return err
	})
	return out, err
}

func (r *redisBackend) update(ctx context.Context, id string, fn func(*Suggestion) error) (Suggestion, error) {
	var out Suggestion
	err := r.tx(ctx, func(tx *redis.Tx) error {
		raw, err := tx.HGet(ctx, r.entries, id).Result()
		if errors.Is(err, redis.Nil) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		s, err := decodeEntry(raw)
		if err != nil {
			return err
		}
		if err := fn(&s); err != nil {
			return err
		}
		data, err := json.Marshal(s)
		if err != nil {
			return err
		}
		_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.HSet(ctx, r.entries, id, data)
			return nil
		})
		out = s
		return err
	})
	return out, err
}

func (r *redisBackend) remove(ctx context.Context, id string) error {
	n, err := r.client.HDel(ctx, r.entries, id).Result()
	if err != nil {
		return err
	}
	if n == 0 {
		return ErrNotFound
	}
	return nil
}

func (r *redisBackend) list(ctx context.Context) ([]Suggestion, error) {
	return r.listWith(ctx, r.client)
}

func (r *redisBackend) listWith(ctx context.Context, c redis.Cmdable) ([]Suggestion, error) {
	m, err := c.HGetAll(ctx, r.entries).Result()
	if err != nil {
		return nil, err
	}
	out := make([]Suggestion, 0, len(m))
	for _, raw := range m {
		s, err := decodeEntry(raw)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

func (r *redisBackend) version(ctx context.Context) (int64, error) {
	v, err := r.client.Get(ctx, r.ver).Int64()
	if errors.Is(err, redis.Nil) {
		return 0, nil
	}
	return v, err
}

func (r *redisBackend) bump(ctx context.Context) error {
	return r.client.Incr(ctx, r.ver).Err()
}
