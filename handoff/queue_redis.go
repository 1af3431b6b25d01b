package handoff

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/civibot/civibot/conversation"
)

// RedisQueue is the Queue for several instances sharing one Redis.
//
// Keys (prefix P, default "civibot:"), all in the hash tag {handoff} so the
// scripts that touch several of them run on one Redis Cluster slot:
//
//	P{handoff}:stream    stream  one entry per waiting request (fields id, since); consumer group "desk"
//	P{handoff}:waiting   zset    conversation id → request time (ms): the line, for positions
//	P{handoff}:entries   hash    conversation id → its stream entry id
//	P{handoff}:tickets   zset    conversation id → ticket time (ms)
//	P{handoff}:assigned  hash    conversation id → caseworker
//	P{handoff}:presence  zset    caseworker → last heartbeat (ms)
//	P{handoff}:lastseen  string  latest heartbeat of anyone (ms)
//	P{handoff}:waits     list    recent claim waits (ms), newest first
//
// Conversation records live in other slots; nothing here is in a
// transaction with them. The record is the truth: the desk drops entries
// that disagree with it.
type RedisQueue struct {
	client redis.UniversalClient
	prefix string

	moveScript      *redis.Script
	renewScript     *redis.Script
	heartbeatScript *redis.Script
	sweepScript     *redis.Script
}

var _ Queue = (*RedisQueue)(nil)

// Group is the stream's consumer group.
const Group = "desk"

// NewRedisQueue returns the Redis queue on client with key prefix (empty:
// "civibot:"). The caller owns client.
func NewRedisQueue(client redis.UniversalClient, prefix string) (*RedisQueue, error) {
	if prefix == "" {
		prefix = "civibot:"
	}
	if strings.ContainsAny(prefix, "{}") {
		return nil, fmt.Errorf("handoff: redis queue: prefix %q must not contain { or }", prefix)
	}
	return &RedisQueue{
		client:          client,
		prefix:          prefix,
		moveScript:      redis.NewScript(moveLua),
		renewScript:     redis.NewScript(renewLua),
		heartbeatScript: redis.NewScript(heartbeatLua),
		sweepScript:     redis.NewScript(sweepLua),
	}, nil
}

func (q *RedisQueue) key(name string) string { return q.prefix + "{handoff}:" + name }

// moveLua: KEYS stream, waiting, entries, tickets, assigned; ARGV group,
// id, mode (waiting, ticket, assigned, none), score ms, caseworker.
// It moves id into one of waiting, tickets and assigned (or none),
// acknowledging and deleting its stream entry when it leaves the line.
const moveLua = `
local group, id, mode = ARGV[1], ARGV[2], ARGV[3]
if mode == 'waiting' then
  if redis.call('ZADD', KEYS[2], 'NX', ARGV[4], id) == 0 then return 0 end
  local sid = redis.call('XADD', KEYS[1], '*', 'id', id, 'since', ARGV[4])
  redis.call('HSET', KEYS[3], id, sid)
  redis.call('ZREM', KEYS[4], id)
  redis.call('HDEL', KEYS[5], id)
  return 1
end
redis.call('ZREM', KEYS[2], id)
local sid = redis.call('HGET', KEYS[3], id)
if sid then
  redis.call('HDEL', KEYS[3], id)
  redis.call('XACK', KEYS[1], group, sid)
  redis.call('XDEL', KEYS[1], sid)
end
if mode == 'ticket' then
  redis.call('HDEL', KEYS[5], id)
  redis.call('ZADD', KEYS[4], 'NX', ARGV[4], id)
elseif mode == 'assigned' then
  redis.call('ZREM', KEYS[4], id)
  redis.call('HSET', KEYS[5], id, ARGV[5])
else
  redis.call('ZREM', KEYS[4], id)
  redis.call('HDEL', KEYS[5], id)
end
return 1
`

// renewLua: KEYS stream; ARGV group, consumer, entry ids. Resets the idle
// time of the entries consumer still owns and returns their ids.
const renewLua = `
local out = {}
for i = 3, #ARGV do
  local p = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[i], ARGV[i], 1)
  if p[1] and p[1][2] == ARGV[2] then
    redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, ARGV[i], 'JUSTID')
    out[#out + 1] = ARGV[i]
  end
end
return out
`

// heartbeatLua: KEYS presence, lastseen; ARGV caseworker, at ms, online
// since ms. Returns 1 if the caseworker came online.
const heartbeatLua = `
local prev = redis.call('ZSCORE', KEYS[1], ARGV[1])
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
local last = tonumber(redis.call('GET', KEYS[2]) or '0')
if tonumber(ARGV[2]) > last then redis.call('SET', KEYS[2], ARGV[2]) end
if (not prev) or tonumber(prev) < tonumber(ARGV[3]) then return 1 end
return 0
`

// sweepLua: KEYS presence; ARGV before ms. Removes and returns members
// whose heartbeat is older.
const sweepLua = `
local gone = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[1])
for _, m in ipairs(gone) do redis.call('ZREM', KEYS[1], m) end
return gone
`

// fail wraps a Redis error of the desk (see conversation.RedisError).
func fail(op string, err error) error { return conversation.RedisError("handoff: "+op, err) }

func isUnblocked(err error) bool {
	return err != nil && strings.HasPrefix(err.Error(), "UNBLOCKED")
}

func isNoGroup(err error) bool {
	return err != nil && strings.HasPrefix(err.Error(), "NOGROUP")
}

func (q *RedisQueue) move(ctx context.Context, op, id, mode string, since time.Time, caseworker string) (bool, error) {
	keys := []string{q.key("stream"), q.key("waiting"), q.key("entries"), q.key("tickets"), q.key("assigned")}
	n, err := q.moveScript.Run(ctx, q.client, keys, Group, id, mode, ms(since), caseworker).Int()
	if err != nil {
		return false, fail(op, err)
	}
	return n == 1, nil
}

// Enqueue implements Queue.
func (q *RedisQueue) Enqueue(ctx context.Context, id string, since time.Time) (bool, error) {
	return q.move(ctx, "enqueue", id, "waiting", since, "")
}

// AddTicket implements Queue.
func (q *RedisQueue) AddTicket(ctx context.Context, id string, since time.Time) error {
	_, err := q.move(ctx, "add ticket", id, "ticket", since, "")
	return err
}

// Assign implements Queue.
func (q *RedisQueue) Assign(ctx context.Context, id, caseworker string) error {
	_, err := q.move(ctx, "assign", id, "assigned", time.Time{}, caseworker)
	return err
}

// Drop implements Queue.
func (q *RedisQueue) Drop(ctx context.Context, id string) error {
	_, err := q.move(ctx, "drop", id, "none", time.Time{}, "")
	return err
}

// Position implements Queue.
func (q *RedisQueue) Position(ctx context.Context, id string) (int, error) {
	r, err := q.client.ZRank(ctx, q.key("waiting"), id).Result()
	if errors.Is(err, redis.Nil) {
		return 0, nil
	}
	if err != nil {
		return 0, fail("position", err)
	}
	return int(r) + 1, nil
}

func (q *RedisQueue) zentries(ctx context.Context, op, key string) ([]Entry, error) {
	zs, err := q.client.ZRangeWithScores(ctx, key, 0, -1).Result()
	if err != nil {
		return nil, fail(op, err)
	}
	out := make([]Entry, len(zs))
	for i, z := range zs {
		out[i] = Entry{ConversationID: z.Member.(string), Since: fromMS(int64(z.Score))}
	}
	return out, nil
}

// Waiting implements Queue.
func (q *RedisQueue) Waiting(ctx context.Context) ([]Entry, error) {
	return q.zentries(ctx, "waiting", q.key("waiting"))
}

// Tickets implements Queue.
func (q *RedisQueue) Tickets(ctx context.Context) ([]Entry, error) {
	return q.zentries(ctx, "tickets", q.key("tickets"))
}

// Assigned implements Queue.
func (q *RedisQueue) Assigned(ctx context.Context) (map[string]string, error) {
	m, err := q.client.HGetAll(ctx, q.key("assigned")).Result()
	if err != nil {
		return nil, fail("assigned", err)
	}
	return m, nil
}

// ensureGroup creates the consumer group, reading the stream from its
// start (entries are deleted when done, so the stream holds only the line).
func (q *RedisQueue) ensureGroup(ctx context.Context) error {
	err := q.client.XGroupCreateMkStream(ctx, q.key("stream"), Group, "0").Err()
	if err != nil && !strings.HasPrefix(err.Error(), "BUSYGROUP") {
		return fail("create consumer group", err)
	}
	return nil
}

// streamEntries turns stream messages into entries; messages whose entry
// was deleted meanwhile (no fields) are left out and listed in gone.
func streamEntries(msgs []redis.XMessage) (out []Entry, gone []string) {
	for _, m := range msgs {
		id, _ := m.Values["id"].(string)
		since, _ := m.Values["since"].(string)
		if id == "" {
			gone = append(gone, m.ID)
			continue
		}
		v, _ := strconv.ParseInt(since, 10, 64)
		out = append(out, Entry{ConversationID: id, Since: fromMS(v), StreamID: m.ID})
	}
	return out, gone
}

func (q *RedisQueue) readGroup(ctx context.Context, op, consumer, start string, block time.Duration) ([]Entry, error) {
	args := &redis.XReadGroupArgs{
		Group: Group, Consumer: consumer,
		Streams: []string{q.key("stream"), start},
		Count:   100, Block: -1,
	}
	if block > 0 {
		args.Block = block
	}
	for attempt := 0; ; attempt++ {
		res, err := q.client.XReadGroup(ctx, args).Result()
		if errors.Is(err, redis.Nil) || isUnblocked(err) {
			// UNBLOCKED: the stream moved to another cluster node while
			// this read waited on it; the next read goes there.
			return nil, nil
		}
		if isNoGroup(err) && attempt == 0 {
			if err := q.ensureGroup(ctx); err != nil {
				return nil, err
			}
			continue
		}
		if err != nil {
			return nil, fail(op, err)
		}
		var out []Entry
		for _, s := range res {
			entries, gone := streamEntries(s.Messages)
			out = append(out, entries...)
			if len(gone) > 0 {
				_ = q.client.XAck(ctx, q.key("stream"), Group, gone...).Err()
			}
		}
		return out, nil
	}
}

// Deliver implements Queue (XREADGROUP … >).
func (q *RedisQueue) Deliver(ctx context.Context, consumer string, block time.Duration) ([]Entry, error) {
	return q.readGroup(ctx, "deliver", consumer, ">", block)
}

// Pending implements Queue (XREADGROUP … 0: the consumer's own history).
func (q *RedisQueue) Pending(ctx context.Context, consumer string) ([]Entry, error) {
	return q.readGroup(ctx, "pending", consumer, "0", 0)
}

// Renew implements Queue (XCLAIM of the consumer's own entries, which
// resets their idle time).
func (q *RedisQueue) Renew(ctx context.Context, consumer string, entries []Entry) ([]Entry, error) {
	if len(entries) == 0 {
		return nil, nil
	}
	args := []any{Group, consumer}
	for _, e := range entries {
		args = append(args, e.StreamID)
	}
	ids, err := q.renewScript.Run(ctx, q.client, []string{q.key("stream")}, args...).StringSlice()
	if isNoGroup(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fail("renew", err)
	}
	kept := make(map[string]bool, len(ids))
	for _, id := range ids {
		kept[id] = true
	}
	var out []Entry
	for _, e := range entries {
		if kept[e.StreamID] {
			out = append(out, e)
		}
	}
	return out, nil
}

// Reclaim implements Queue (XAUTOCLAIM).
func (q *RedisQueue) Reclaim(ctx context.Context, consumer string, minIdle time.Duration) ([]Entry, error) {
	start := "0-0"
	var out []Entry
	for range 100 { // at most 10,000 entries per call
		msgs, next, err := q.client.XAutoClaim(ctx, &redis.XAutoClaimArgs{
			Stream: q.key("stream"), Group: Group, Consumer: consumer,
			MinIdle: minIdle, Start: start, Count: 100,
		}).Result()
		if isNoGroup(err) {
			return nil, nil
		}
		if err != nil {
			return nil, fail("reclaim", err)
		}
		entries, gone := streamEntries(msgs)
		out = append(out, entries...)
		if len(gone) > 0 {
			_ = q.client.XAck(ctx, q.key("stream"), Group, gone...).Err()
		}
		if next == "0-0" || next == "" {
			break
		}
		start = next
	}
	return out, nil
}

// Heartbeat implements Queue.
func (q *RedisQueue) Heartbeat(ctx context.Context, caseworker string, at, onlineSince time.Time) (bool, error) {
	n, err := q.heartbeatScript.Run(ctx, q.client, []string{q.key("presence"), q.key("lastseen")},
		caseworker, ms(at), ms(onlineSince)).Int()
	if err != nil {
		return false, fail("heartbeat", err)
	}
	return n == 1, nil
}

// Leave implements Queue.
func (q *RedisQueue) Leave(ctx context.Context, caseworker string) (bool, error) {
	n, err := q.client.ZRem(ctx, q.key("presence"), caseworker).Result()
	if err != nil {
		return false, fail("leave", err)
	}
	return n == 1, nil
}

// Presence implements Queue.
func (q *RedisQueue) Presence(ctx context.Context) ([]Presence, error) {
	zs, err := q.client.ZRangeWithScores(ctx, q.key("presence"), 0, -1).Result()
	if err != nil {
		return nil, fail("presence", err)
	}
	out := make([]Presence, len(zs))
	for i, z := range zs {
		out[i] = Presence{Caseworker: z.Member.(string), Seen: fromMS(int64(z.Score))}
	}
	sortPresence(out)
	return out, nil
}

// SweepPresence implements Queue.
func (q *RedisQueue) SweepPresence(ctx context.Context, before time.Time) ([]string, error) {
	gone, err := q.sweepScript.Run(ctx, q.client, []string{q.key("presence")}, ms(before)).StringSlice()
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, fail("sweep presence", err)
	}
	return gone, nil
}

// LastSeen implements Queue.
func (q *RedisQueue) LastSeen(ctx context.Context) (time.Time, error) {
	v, err := q.client.Get(ctx, q.key("lastseen")).Int64()
	if errors.Is(err, redis.Nil) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, fail("last seen", err)
	}
	return fromMS(v), nil
}

// RecordWait implements Queue.
func (q *RedisQueue) RecordWait(ctx context.Context, d time.Duration, keep int) error {
	_, err := q.client.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.LPush(ctx, q.key("waits"), d.Milliseconds())
		if keep > 0 {
			p.LTrim(ctx, q.key("waits"), 0, int64(keep-1))
		}
		return nil
	})
	if err != nil {
		return fail("record wait", err)
	}
	return nil
}

// Waits implements Queue.
func (q *RedisQueue) Waits(ctx context.Context) ([]time.Duration, error) {
	vs, err := q.client.LRange(ctx, q.key("waits"), 0, -1).Result()
	if err != nil {
		return nil, fail("waits", err)
	}
	out := make([]time.Duration, 0, len(vs))
	for _, v := range vs {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			continue
		}
		out = append(out, time.Duration(n)*time.Millisecond)
	}
	return out, nil
}
