package accounts

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/civibot/civibot/conversation"
)

// NewRedis returns a Store kept in Redis (prefix "" means
// "civibot:"), shared by every instance:
//
//	Pusers           hash    user name → account JSON (with the bcrypt hash)
//	Psess:<sha256>   string  session JSON, TTL = until it expires
//	Plogin:<hash>    hash    failed logins of one name+address (n, start, until), TTL
//	Pcanned          string  canned replies JSON
//	Pacctfail:<hash> zset    failed logins of one account from unknown addresses (score: ms), TTL
//	Pknown:<hash>    zset    addresses (hashed) the account logged in from (score: known until, ms), TTL
//	Ploginevents     list    the newest login events, JSON, newest first
func NewRedis(cfg Config, client redis.UniversalClient, prefix string, o Options) (*Store, error) {
	if prefix == "" {
		prefix = "civibot:"
	}
	if strings.ContainsAny(prefix, "{}") {
		return nil, fmt.Errorf("accounts: redis accounts: prefix %q must not contain { or }", prefix)
	}
	return newStore(cfg, &redisAccounts{client: client, prefix: prefix, failScript: redis.NewScript(loginFailLua)}, o)
}

type redisAccounts struct {
	client     redis.UniversalClient
	prefix     string
	failScript *redis.Script
}

func (r *redisAccounts) usersKey() string            { return r.prefix + "users" }
func (r *redisAccounts) sessKey(key string) string   { return r.prefix + "sess:" + key }
func (r *redisAccounts) loginKey(key string) string  { return r.prefix + "login:" + key }
func (r *redisAccounts) cannedKey() string           { return r.prefix + "canned" }
func (r *redisAccounts) acctFailKey(k string) string { return r.prefix + "acctfail:" + k }
func (r *redisAccounts) knownKey(k string) string    { return r.prefix + "known:" + k }
func (r *redisAccounts) eventsKey() string           { return r.prefix + "loginevents" }

func (r *redisAccounts) user(ctx context.Context, name string) (User, error) {
	raw, err := r.client.HGet(ctx, r.usersKey(), name).Result()
	if errors.Is(err, redis.Nil) {
		return User{}, ErrUserNotFound
	}
	if err != nil {
		return User{}, fail("user", err)
	}
	u, err := decodeUser(raw)
	if err != nil {
		return User{}, fmt.Errorf("accounts: user %s: decode: %w", name, err)
	}
	return u, nil
}

func (r *redisAccounts) addUser(ctx context.Context, u User) error {
	b, err := json.Marshal(u)
	if err != nil {
		return err
	}
	ok, err := r.client.HSetNX(ctx, r.usersKey(), u.Name, b).Result()
	if err != nil {
		return fail("add user", err)
	}
	if !ok {
		return ErrUserExists
	}
	return nil
}

// abortTx carries fn's error out of a WATCH function.
type abortTx struct{ err error }

func (a abortTx) Error() string { return a.err.Error() }

func (r *redisAccounts) updateUser(ctx context.Context, name string, fn func(*User) error) (User, error) {
	var out User
	for range 50 {
		err := r.client.Watch(ctx, func(tx *redis.Tx) error {
			raw, err := tx.HGet(ctx, r.usersKey(), name).Result()
			if errors.Is(err, redis.Nil) {
				return abortTx{ErrUserNotFound}
			}
			if err != nil {
				return err
			}
			u, err := decodeUser(raw)
			if err != nil {
				return abortTx{fmt.Errorf("decode: %w", err)}
			}
			if err := fn(&u); err != nil {
				return abortTx{err}
			}
			b, err := json.Marshal(u)
			if err != nil {
				return abortTx{err}
			}
			_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
				p.HSet(ctx, r.usersKey(), name, b)
				return nil
			})
			out = u
			return err
		}, r.usersKey())
		if a, ok := errors.AsType[abortTx](err); ok {
			return User{}, a.err
		}
		if errors.Is(err, redis.TxFailedErr) {
			continue
		}
		if err != nil {
			return User{}, fail("update user", err)
		}
		return out, nil
	}
	return User{}, fmt.Errorf("accounts: update user %s: too many concurrent updates, try again", name)
}

func (r *redisAccounts) users(ctx context.Context) ([]User, error) {
	m, err := r.client.HGetAll(ctx, r.usersKey()).Result()
	if err != nil {
		return nil, fail("users", err)
	}
	out := make([]User, 0, len(m))
	for name, raw := range m {
		u, err := decodeUser(raw)
		if err != nil {
			return nil, fmt.Errorf("accounts: user %s: decode: %w", name, err)
		}
		out = append(out, u)
	}
	return out, nil
}

func (r *redisAccounts) putSession(ctx context.Context, key string, s Session, ttl time.Duration) error {
	b, err := json.Marshal(s)
	if err != nil {
		return err
	}
	if err := r.client.Set(ctx, r.sessKey(key), b, ttl).Err(); err != nil {
		return fail("put session", err)
	}
	return nil
}

func (r *redisAccounts) session(ctx context.Context, key string) (Session, error) {
	raw, err := r.client.Get(ctx, r.sessKey(key)).Bytes()
	if errors.Is(err, redis.Nil) {
		return Session{}, ErrNoSession
	}
	if err != nil {
		return Session{}, fail("session", err)
	}
	var s Session
	if err := json.Unmarshal(raw, &s); err != nil {
		return Session{}, fmt.Errorf("decode session: %w", err)
	}
	return s, nil
}

func (r *redisAccounts) deleteSession(ctx context.Context, key string) error {
	if err := r.client.Del(ctx, r.sessKey(key)).Err(); err != nil {
		return fail("delete session", err)
	}
	return nil
}

// loginFailLua: KEYS login key; ARGV now ms, window ms, max, lockout ms.
// The same rule as memLogin.failure. Returns the lock end (ms, 0: none).
const loginFailLua = `
local now, window, max, lockout = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local v = redis.call('HMGET', KEYS[1], 'n', 'start', 'until')
local n, start, untl = tonumber(v[1]) or 0, tonumber(v[2]) or 0, tonumber(v[3]) or 0
if now - start > window then n = 0; start = now end
n = n + 1
if n >= max then untl = now + lockout; n = 0; start = now end
redis.call('HSET', KEYS[1], 'n', n, 'start', start, 'until', untl)
local keep = window
if untl - now > keep then keep = untl - now end
redis.call('PEXPIRE', KEYS[1], keep + 60000)
return untl
`

func (r *redisAccounts) loginFailure(ctx context.Context, key string, now time.Time, window time.Duration, max int, lockout time.Duration) (time.Time, error) {
	until, err := r.failScript.Run(ctx, r.client, []string{r.loginKey(key)},
		now.UnixMilli(), window.Milliseconds(), max, lockout.Milliseconds()).Int64()
	if err != nil {
		return time.Time{}, fail("login failure", err)
	}
	if until == 0 {
		return time.Time{}, nil
	}
	return time.UnixMilli(until), nil
}

func (r *redisAccounts) loginLocked(ctx context.Context, key string) (time.Time, error) {
	v, err := r.client.HGet(ctx, r.loginKey(key), "until").Result()
	if errors.Is(err, redis.Nil) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, fail("login lock", err)
	}
	n, _ := strconv.ParseInt(v, 10, 64)
	if n == 0 {
		return time.Time{}, nil
	}
	return time.UnixMilli(n), nil
}

func (r *redisAccounts) clearLogin(ctx context.Context, key string) error {
	if err := r.client.Del(ctx, r.loginKey(key)).Err(); err != nil {
		return fail("clear login", err)
	}
	return nil
}

func (r *redisAccounts) canned(ctx context.Context) ([]CannedReply, error) {
	raw, err := r.client.Get(ctx, r.cannedKey()).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	if err != nil {
		return nil, fail("canned replies", err)
	}
	var list []CannedReply
	if err := json.Unmarshal(raw, &list); err != nil {
		return nil, fmt.Errorf("decode canned replies: %w", err)
	}
	return list, nil
}

func (r *redisAccounts) setCanned(ctx context.Context, list []CannedReply) error {
	b, err := json.Marshal(list)
	if err != nil {
		return err
	}
	if err := r.client.Set(ctx, r.cannedKey(), b, 0).Err(); err != nil {
		return fail("set canned replies", err)
	}
	return nil
}

// fail wraps a Redis error (see conversation.RedisError).
func fail(op string, err error) error { return conversation.RedisError("accounts: "+op, err) }

func decodeUser(raw string) (User, error) {
	var u User
	err := json.Unmarshal([]byte(raw), &u)
	return u, err
}

func (r *redisAccounts) accountFailure(ctx context.Context, acct string, now time.Time, window time.Duration) error {
	key, ms := r.acctFailKey(acct), now.UnixMilli()
	member, err := randomToken()
	if err != nil {
		return err
	}
	_, err = r.client.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.ZRemRangeByScore(ctx, key, "-inf", strconv.FormatInt(ms-window.Milliseconds()-1, 10))
		p.ZAdd(ctx, key, redis.Z{Score: float64(ms), Member: member[:12]})
		p.PExpire(ctx, key, window+time.Minute)
		return nil
	})
	if err != nil {
		return fail("account failure", err)
	}
	return nil
}

func (r *redisAccounts) accountFailures(ctx context.Context, acct string, now time.Time, window time.Duration) (int, time.Time, error) {
	key, from := r.acctFailKey(acct), strconv.FormatInt(now.UnixMilli()-window.Milliseconds(), 10)
	var n *redis.IntCmd
	var last *redis.ZSliceCmd
	_, err := r.client.Pipelined(ctx, func(p redis.Pipeliner) error {
		n = p.ZCount(ctx, key, from, "+inf")
		last = p.ZRangeArgsWithScores(ctx, redis.ZRangeArgs{Key: key, Start: 0, Stop: 0, Rev: true})
		return nil
	})
	if err != nil {
		return 0, time.Time{}, fail("account failures", err)
	}
	if n.Val() == 0 || len(last.Val()) == 0 {
		return 0, time.Time{}, nil
	}
	return int(n.Val()), time.UnixMilli(int64(last.Val()[0].Score)), nil
}

func (r *redisAccounts) rememberAddress(ctx context.Context, acct, addr string, now time.Time, keep time.Duration) error {
	key := r.knownKey(acct)
	_, err := r.client.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.ZRemRangeByScore(ctx, key, "-inf", strconv.FormatInt(now.UnixMilli(), 10))
		p.ZAdd(ctx, key, redis.Z{Score: float64(now.Add(keep).UnixMilli()), Member: addr})
		p.ZRemRangeByRank(ctx, key, 0, -maxKnownAddresses-1) // keep the ones known longest
		p.PExpire(ctx, key, keep)
		return nil
	})
	if err != nil {
		return fail("remember address", err)
	}
	return nil
}

func (r *redisAccounts) knownAddress(ctx context.Context, acct, addr string, now time.Time) (bool, error) {
	until, err := r.client.ZScore(ctx, r.knownKey(acct), addr).Result()
	if errors.Is(err, redis.Nil) {
		return false, nil
	}
	if err != nil {
		return false, fail("known address", err)
	}
	return int64(until) > now.UnixMilli(), nil
}

func (r *redisAccounts) addLoginEvent(ctx context.Context, e LoginEvent, max int) error {
	raw, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("accounts: login event: %w", err)
	}
	_, err = r.client.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.LPush(ctx, r.eventsKey(), raw)
		p.LTrim(ctx, r.eventsKey(), 0, int64(max)-1)
		return nil
	})
	if err != nil {
		return fail("login event", err)
	}
	return nil
}

func (r *redisAccounts) loginEvents(ctx context.Context, limit int) ([]LoginEvent, error) {
	raws, err := r.client.LRange(ctx, r.eventsKey(), 0, int64(limit)-1).Result()
	if err != nil {
		return nil, fail("login events", err)
	}
	out := make([]LoginEvent, 0, len(raws))
	for _, raw := range raws {
		var e LoginEvent
		if json.Unmarshal([]byte(raw), &e) == nil {
			out = append(out, e)
		}
	}
	return out, nil
}
