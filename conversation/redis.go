package conversation

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Redis is the backend for several instances: Store, Bus and Idempotency on
// a go-redis UniversalClient (single server, Sentinel or Cluster).
//
// Key layout (prefix P, default "civibot:"):
//
//	P{c:<id>}:conv   string  conversation JSON
//	P{c:<id>}:msgs   list    message JSON, element i has Seq i+1
//	P{c:<id>}:cids   hash    client id → seq (Append idempotency)
//	Pconvs:updated   zset    conversation id scored by Updated (unix ms)
//	Pidem:<key>      string  "lease" or "done" with PX expiry
//	pub/sub Pev:<topic>
//
// The keys of one conversation share the hash tag {c:<id>}, so every
// transaction and script touches one slot and works on Redis Cluster. They
// all carry the retention TTL (BotRetention until a handoff is recorded),
// refreshed by every write. The global index
// convs:updated lives in another slot and is written after the
// conversation's own transaction; List and Purge drop index entries whose
// conversation is gone (expired by TTL, or a crash between the two writes).
//
// Store events are published inside the conversation's own transaction or
// script, so they leave in the order of the writes and a publish never
// fails a write that succeeded.
type Redis struct {
	client    redis.UniversalClient
	prefix    string
	retention time.Duration
	botTTL    time.Duration // Options.BotRetention: no Handoff yet
	now       func() time.Time
	attempts  int // optimistic transaction attempts before ErrConflict

	// waitReplicas, waitTimeout: Options.WaitReplicas (redis_wait.go).
	waitReplicas int
	waitTimeout  time.Duration

	createScript  *redis.Script
	appendScript  *redis.Script
	deleteScript  *redis.Script
	abandonScript *redis.Script
	unindexScript *redis.Script

	hub *hub // the pub/sub connection all subscriptions share
}

var (
	_ Store       = (*Redis)(nil)
	_ Bus         = (*Redis)(nil)
	_ Idempotency = (*Redis)(nil)
)

// NewRedis returns the Redis backend on client. The caller owns client and
// closes it after the last use of the backend.
func NewRedis(client redis.UniversalClient, opts Options) *Redis {
	opts = opts.withDefaults()
	return &Redis{
		client:        client,
		prefix:        opts.Prefix,
		retention:     opts.Retention,
		botTTL:        opts.BotRetention,
		now:           opts.Now,
		attempts:      100,
		waitReplicas:  opts.WaitReplicas,
		waitTimeout:   opts.WaitTimeout,
		createScript:  redis.NewScript(createLua),
		appendScript:  redis.NewScript(appendLua),
		deleteScript:  redis.NewScript(deleteLua),
		abandonScript: redis.NewScript(abandonLua),
		unindexScript: redis.NewScript(unindexLua),
		hub:           newHub(client),
	}
}

// createLua: KEYS conv, msgs, cids; ARGV record, ttl ms, channel, event.
// Leftover msgs/cids of an earlier conversation with the same id are
// cleared, so Seq starts at 1 again.
const createLua = `
if not redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return 0
end
redis.call('DEL', KEYS[2], KEYS[3])
redis.call('PUBLISH', ARGV[3], ARGV[4])
return 1
`

// appendLua: KEYS conv, msgs, cids; ARGV client id ("" for none), message
// id prefix as an unterminated JSON string ("<id>-), the message JSON after
// its leading {"seq":0,"id":"",, ttl ms, updated (JSON time), channel, event
// head ({..."message":), the ttl ms of a conversation without a handoff (a
// record without a "handoff" key: Go writes it only when set, and a
// string value cannot contain the quoted key unescaped).
//
// Seq is the list length + 1 (the list holds every message, in order), so
// it has no gaps and no duplicates. The record's trailing
// "updated" and "last_seq" fields are rewritten in place; Go encodes them
// last (TestRecordLayout guards that).
//
// Returns {0} if the conversation does not exist, {1, message} when stored,
// {2, message} for a duplicate client id.
const appendLua = `
local conv = redis.call('GET', KEYS[1])
if not conv then return {0} end
local ttl = ARGV[4]
if not string.find(conv, '"handoff":', 1, true) then ttl = ARGV[8] end
if ARGV[1] ~= '' then
  local seq = redis.call('HGET', KEYS[3], ARGV[1])
  if seq then
    -- A write even here: WAIT after a retry then covers the first attempt.
    redis.call('PEXPIRE', KEYS[3], ttl)
    return {2, redis.call('LINDEX', KEYS[2], tonumber(seq) - 1)}
  end
end
local head = string.match(conv, '^(.*),"updated":"[^"]*","last_seq":%-?%d+}$')
if not head then
  return redis.error_reply('ERR conversation record has an unexpected layout')
end
local seq = redis.call('LLEN', KEYS[2]) + 1
local msg = '{"seq":' .. seq .. ',"id":' .. ARGV[2] .. seq .. '",' .. ARGV[3]
redis.call('SET', KEYS[1], head .. ',"updated":' .. ARGV[5] .. ',"last_seq":' .. seq .. '}', 'PX', ttl)
redis.call('RPUSH', KEYS[2], msg)
redis.call('PEXPIRE', KEYS[2], ttl)
if ARGV[1] ~= '' then
  redis.call('HSET', KEYS[3], ARGV[1], seq)
end
redis.call('PEXPIRE', KEYS[3], ttl)
redis.call('PUBLISH', ARGV[6], ARGV[7] .. msg .. '}')
return {1, msg}
`

// deleteLua: KEYS conv, msgs, cids; ARGV channel, event. Returns 1 if the
// conversation existed.
const deleteLua = `
local n = redis.call('DEL', KEYS[1])
redis.call('DEL', KEYS[2], KEYS[3])
if n == 1 then redis.call('PUBLISH', ARGV[1], ARGV[2]) end
return n
`

// abandonLua: KEYS idem key. Deletes it only while it is a lease.
const abandonLua = `
if redis.call('GET', KEYS[1]) == 'lease' then
  return redis.call('DEL', KEYS[1])
end
return 0
`

// unindexLua: KEYS index; ARGV id, score. Drops the index entry only if it
// still has the score that was seen, so an entry re-added by a concurrent
// Create stays.
const unindexLua = `
local s = redis.call('ZSCORE', KEYS[1], ARGV[1])
if s and tonumber(s) == tonumber(ARGV[2]) then
  return redis.call('ZREM', KEYS[1], ARGV[1])
end
return 0
`

// messageHead is how Go encodes a Message with Seq 0 and ID "".
var messageHead = []byte(`{"seq":0,"id":"",`)

func (r *Redis) keys(id string) []string {
	base := r.prefix + "{c:" + id + "}:"
	return []string{base + "conv", base + "msgs", base + "cids"}
}

func (r *Redis) indexKey() string { return r.prefix + "convs:updated" }

func (r *Redis) channel(topic string) string { return r.prefix + "ev:" + topic }

func (r *Redis) idemKey(key string) string { return r.prefix + "idem:" + key }

func (r *Redis) ttl() time.Duration { return r.retention }

// ttlOf is the TTL of c's keys: Retention once a handoff was recorded,
// BotRetention before.
func (r *Redis) ttlOf(c Conversation) time.Duration {
	if c.Handoff == nil {
		return r.botTTL
	}
	return r.retention
}

func score(t time.Time) float64 { return float64(t.UnixMilli()) }

// fail wraps a Redis error of this package (see RedisError).
func fail(op string, err error) error { return RedisError("conversation: "+op, err) }

// RedisError wraps an error of a Redis call for op (with its package
// prefix, "handoff: claim"): connection problems, a deadline passed and a
// server that cannot serve (loading, read-only replica, cluster down)
// become ErrUnavailable with the cause kept visible; a cancelled context
// and the server's other errors stay what they are.
func RedisError(op string, err error) error {
	if errors.Is(err, context.Canceled) {
		return fmt.Errorf("%s: %w", op, err)
	}
	var rerr redis.Error
	if errors.As(err, &rerr) {
		code, _, _ := strings.Cut(rerr.Error(), " ")
		switch code {
		case "LOADING", "READONLY", "CLUSTERDOWN", "TRYAGAIN", "MASTERDOWN", "BUSY", "NOREPLICAS":
			return fmt.Errorf("%s: %w: %w", op, ErrUnavailable, err)
		}
		return fmt.Errorf("%s: %w", op, err)
	}
	return fmt.Errorf("%s: %w: %w", op, ErrUnavailable, err)
}

// index records id's last update in the global index. It runs after the
// conversation's own write and its failure does not fail that write: List
// and Purge reconcile.
func (r *Redis) index(ctx context.Context, id string, updated time.Time) {
	// The write is done: finish the bookkeeping even if the caller gives up
	// now (the client's own timeouts still bound it).
	ctx = context.WithoutCancel(ctx)
	_ = r.client.ZAddGT(ctx, r.indexKey(), redis.Z{Score: score(updated), Member: id}).Err()
}

// unindex drops an index entry whose conversation is gone.
func (r *Redis) unindex(ctx context.Context, id string, sc float64) {
	_ = r.unindexScript.Run(ctx, r.client, []string{r.indexKey()}, id,
		strconv.FormatFloat(sc, 'f', -1, 64)).Err()
}

// Create implements Store.
func (r *Redis) Create(ctx context.Context, c Conversation) (Conversation, error) {
	if err := checkID("conversation id", c.ID); err != nil {
		return Conversation{}, fmt.Errorf("conversation: create: %w", err)
	}
	rec := newRecord(c, r.now().UTC())
	b, err := encode(rec)
	if err != nil {
		return Conversation{}, fmt.Errorf("conversation: create: %w", err)
	}
	rec = Conversation{} // the stored value, sharing nothing with c
	if err := json.Unmarshal(b, &rec); err != nil {
		return Conversation{}, fmt.Errorf("conversation: create: %w", err)
	}
	ev := eventJSON(Event{Type: EventStatus, ConversationID: c.ID, Conversation: &rec})
	ok, err := r.createScript.Run(ctx, r.client, r.keys(c.ID), b, r.ttlOf(rec).Milliseconds(),
		r.channel(Topic(c.ID)), ev).Int()
	if err != nil {
		return Conversation{}, fail("create", err)
	}
	if ok == 0 {
		return Conversation{}, fmt.Errorf("conversation: create %s: %w", c.ID, ErrExists)
	}
	r.index(ctx, c.ID, rec.Updated)
	return rec, nil
}

// Get implements Store.
func (r *Redis) Get(ctx context.Context, id string) (Conversation, error) {
	b, err := r.client.Get(ctx, r.keys(id)[0]).Bytes()
	if errors.Is(err, redis.Nil) {
		return Conversation{}, fmt.Errorf("conversation: get %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return Conversation{}, fail("get", err)
	}
	var c Conversation
	if err := json.Unmarshal(b, &c); err != nil {
		return Conversation{}, fmt.Errorf("conversation: get %s: decode: %w", id, err)
	}
	return c, nil
}

// abort carries an error out of a WATCH function untouched.
type abort struct{ err error }

func (a abort) Error() string { return a.err.Error() }
func (a abort) Unwrap() error { return a.err }

// watch runs fn in an optimistic transaction on keys, retrying with a
// jittered backoff while another writer gets in between, at most r.attempts
// times (then ErrConflict). Errors fn returns as abort come back unwrapped.
func (r *Redis) watch(ctx context.Context, op string, fn func(*redis.Tx) error, keys ...string) error {
	for attempt := range r.attempts {
		err := r.client.Watch(ctx, fn, keys...)
		if err == nil {
			return nil
		}
		if a, ok := errors.AsType[abort](err); ok {
			return a.err
		}
		if !errors.Is(err, redis.TxFailedErr) && !(clusterMoving(err) && attempt < r.attempts-1) {
			return fail(op, err)
		}
		backoff := time.Duration(rand.Int64N(int64(time.Millisecond) << min(attempt, 5)))
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return fail(op, ctx.Err())
		case <-t.C:
		}
	}
	return fmt.Errorf("conversation: %s: %w (%d attempts)", op, ErrConflict, r.attempts)
}

// getTx reads and decodes the record inside a transaction.
func getTx(ctx context.Context, tx *redis.Tx, key, op, id string) (Conversation, error) {
	b, err := tx.Get(ctx, key).Bytes()
	if errors.Is(err, redis.Nil) {
		return Conversation{}, abort{fmt.Errorf("conversation: %s %s: %w", op, id, ErrNotFound)}
	}
	if err != nil {
		return Conversation{}, err
	}
	var c Conversation
	if err := json.Unmarshal(b, &c); err != nil {
		return Conversation{}, abort{fmt.Errorf("conversation: %s %s: decode: %w", op, id, err)}
	}
	return c, nil
}

// Update implements Store. fn may run several times.
func (r *Redis) Update(ctx context.Context, id string, fn func(*Conversation) error) (Conversation, error) {
	keys := r.keys(id)
	var out Conversation
	err := r.watch(ctx, "update", func(tx *redis.Tx) error {
		c, err := getTx(ctx, tx, keys[0], "update", id)
		if err != nil {
			return err
		}
		created, lastSeq := c.Created, c.LastSeq
		if err := fn(&c); err != nil {
			return abort{err}
		}
		c.ID, c.Created, c.LastSeq, c.Updated = id, created, lastSeq, r.now().UTC()
		b, err := encode(c)
		if err != nil {
			return abort{fmt.Errorf("conversation: update %s: %w", id, err)}
		}
		out = Conversation{}
		if err := json.Unmarshal(b, &out); err != nil {
			return abort{err}
		}
		ev := eventJSON(Event{Type: EventStatus, ConversationID: id, Conversation: &out})
		_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.Set(ctx, keys[0], b, r.ttlOf(out))
			p.PExpire(ctx, keys[1], r.ttlOf(out))
			p.PExpire(ctx, keys[2], r.ttlOf(out))
			p.Publish(ctx, r.channel(Topic(id)), ev)
			return nil
		})
		return err
	}, keys[0])
	if err != nil {
		return Conversation{}, err
	}
	r.index(ctx, id, out.Updated)
	return out, nil
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("conversation: encode: %v", err))
	}
	return b
}

// Append implements Store. It is one script: atomic, idempotent on
// ClientID, and safe with any number of writers.
func (r *Redis) Append(ctx context.Context, id string, m Message) (Message, bool, error) {
	if err := checkMessage(m); err != nil {
		return Message{}, false, fmt.Errorf("conversation: append: %w", err)
	}
	m.Text = CleanText(m.Text)
	now := r.now().UTC()
	if m.At.IsZero() {
		m.At = now
	}
	m.Seq, m.ID = 0, ""
	b, err := encode(m)
	if err != nil {
		return Message{}, false, fmt.Errorf("conversation: append %s: %w", id, err)
	}
	rest, ok := bytes.CutPrefix(b, messageHead)
	if !ok {
		return Message{}, false, fmt.Errorf("conversation: append %s: message encodes as %.20q…, want the prefix %s", id, b, messageHead)
	}
	idHead := mustJSON(id + "-")
	idHead = idHead[:len(idHead)-1] // leave the string open for the seq
	updated := mustJSON(now)
	evHead := fmt.Sprintf(`{"type":%q,"conversation_id":%s,"message":`, EventMessage, mustJSON(id))
	res, err := r.runAppend(ctx, r.keys(id),
		m.ClientID, idHead, rest, r.ttl().Milliseconds(), updated, r.channel(Topic(id)), evHead, r.botTTL.Milliseconds())
	if err != nil {
		return Message{}, false, fail("append", err)
	}
	code, _ := res[0].(int64)
	if code == 0 {
		return Message{}, false, fmt.Errorf("conversation: append %s: %w", id, ErrNotFound)
	}
	raw, _ := res[1].(string)
	if raw == "" {
		return Message{}, false, fmt.Errorf("conversation: append %s: client id %s maps to no stored message", id, m.ClientID)
	}
	var stored Message
	if err := json.Unmarshal([]byte(raw), &stored); err != nil {
		return Message{}, false, fmt.Errorf("conversation: append %s: decode: %w", id, err)
	}
	if code == 2 {
		return stored, true, nil
	}
	r.index(ctx, id, now)
	return stored, false, nil
}

// Messages implements Store.
func (r *Redis) Messages(ctx context.Context, id string, after int64, limit int) ([]Message, error) {
	keys := r.keys(id)
	after = max(after, 0)
	stop := int64(-1)
	if limit > 0 {
		stop = after + int64(limit) - 1
	}
	var exists *redis.IntCmd
	var lr *redis.StringSliceCmd
	_, err := r.client.TxPipelined(ctx, func(p redis.Pipeliner) error {
		exists = p.Exists(ctx, keys[0])
		lr = p.LRange(ctx, keys[1], after, stop)
		return nil
	})
	if err != nil {
		return nil, fail("messages", err)
	}
	if exists.Val() == 0 {
		return nil, fmt.Errorf("conversation: messages %s: %w", id, ErrNotFound)
	}
	out := make([]Message, len(lr.Val()))
	for i, s := range lr.Val() {
		if err := json.Unmarshal([]byte(s), &out[i]); err != nil {
			return nil, fmt.Errorf("conversation: messages %s: decode: %w", id, err)
		}
	}
	return out, nil
}

// SetFeedback implements Store. Only bot messages take feedback
// (ErrInvalid otherwise).
func (r *Redis) SetFeedback(ctx context.Context, id string, seq int64, value int) error {
	if err := checkFeedback(value); err != nil {
		return fmt.Errorf("conversation: set feedback: %w", err)
	}
	if seq < 1 {
		return fmt.Errorf("conversation: set feedback %s #%d: message %w", id, seq, ErrNotFound)
	}
	keys := r.keys(id)
	var updated time.Time
	err := r.watch(ctx, "set feedback", func(tx *redis.Tx) error {
		c, err := getTx(ctx, tx, keys[0], "set feedback", id)
		if err != nil {
			return err
		}
		raw, err := tx.LIndex(ctx, keys[1], seq-1).Bytes()
		if errors.Is(err, redis.Nil) {
			return abort{fmt.Errorf("conversation: set feedback %s #%d: message %w", id, seq, ErrNotFound)}
		}
		if err != nil {
			return err
		}
		var m Message
		if err := json.Unmarshal(raw, &m); err != nil {
			return abort{fmt.Errorf("conversation: set feedback %s: decode: %w", id, err)}
		}
		if m.Role != RoleBot {
			return abort{fmt.Errorf("conversation: set feedback %s #%d: %w: feedback is for bot messages, this is a %s message", id, seq, ErrInvalid, m.Role)}
		}
		m.Feedback = value
		c.Updated = r.now().UTC()
		mb, cb := mustJSON(m), mustJSON(c)
		ev := eventJSON(Event{Type: EventFeedback, ConversationID: id, Message: &m})
		_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.Set(ctx, keys[0], cb, r.ttlOf(c))
			p.LSet(ctx, keys[1], seq-1, mb)
			p.PExpire(ctx, keys[1], r.ttlOf(c))
			p.PExpire(ctx, keys[2], r.ttlOf(c))
			p.Publish(ctx, r.channel(Topic(id)), ev)
			return nil
		})
		updated = c.Updated
		return err
	}, keys[0], keys[1])
	if err != nil {
		return err
	}
	r.index(ctx, id, updated)
	return nil
}

// Delete implements Store.
func (r *Redis) Delete(ctx context.Context, id string) error {
	ev := eventJSON(Event{Type: EventDeleted, ConversationID: id})
	n, err := r.deleteScript.Run(ctx, r.client, r.keys(id), r.channel(Topic(id)), ev).Int()
	if err != nil {
		return fail("delete", err)
	}
	_ = r.client.ZRem(ctx, r.indexKey(), id).Err()
	if n == 0 {
		return fmt.Errorf("conversation: delete %s: %w", id, ErrNotFound)
	}
	return nil
}

// listBatch is how many index entries List and Purge read at a time.
const listBatch = 200

// List implements Store. It reads the index newest first and the records
// in pipelined batches; entries whose conversation is gone are dropped from
// the index. Conversations updated in the same instant are ordered by id.
func (r *Redis) List(ctx context.Context, since time.Time, limit int) ([]Conversation, error) {
	lowest := "-inf"
	if !since.IsZero() {
		lowest = strconv.FormatInt(since.UnixMilli(), 10)
	}
	var out []Conversation
	var offset int64
	for {
		zs, err := r.client.ZRevRangeByScoreWithScores(ctx, r.indexKey(), &redis.ZRangeBy{
			Min: lowest, Max: "+inf", Offset: offset, Count: listBatch,
		}).Result()
		if err != nil {
			return nil, fail("list", err)
		}
		if len(zs) == 0 {
			break
		}
		gets := make([]*redis.StringCmd, len(zs))
		_, err = r.client.Pipelined(ctx, func(p redis.Pipeliner) error {
			for i, z := range zs {
				gets[i] = p.Get(ctx, r.keys(z.Member.(string))[0])
			}
			return nil
		})
		if err != nil && !errors.Is(err, redis.Nil) {
			return nil, fail("list", err)
		}
		removed := 0
		for i, z := range zs {
			id := z.Member.(string)
			b, err := gets[i].Bytes()
			if errors.Is(err, redis.Nil) {
				r.unindex(ctx, id, z.Score)
				removed++
				continue
			}
			if err != nil {
				return nil, fail("list", err)
			}
			var c Conversation
			if err := json.Unmarshal(b, &c); err != nil {
				return nil, fmt.Errorf("conversation: list: decode %s: %w", id, err)
			}
			if !c.Updated.Before(since) {
				out = append(out, c)
			}
		}
		offset += int64(len(zs) - removed)
		if len(zs) < listBatch || (limit > 0 && len(out) >= limit) {
			break
		}
	}
	slices.SortFunc(out, func(a, b Conversation) int {
		if c := b.Updated.Compare(a.Updated); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	if out == nil {
		out = []Conversation{}
	}
	return out, nil
}

// Purge implements Store. Each candidate from the index is checked against
// its record in an optimistic transaction, so a conversation written
// concurrently is not deleted.
func (r *Redis) Purge(ctx context.Context, cutoff time.Time) (int, error) {
	highest := strconv.FormatInt(cutoff.UnixMilli(), 10)
	n := 0
	var offset int64
	for {
		zs, err := r.client.ZRangeByScoreWithScores(ctx, r.indexKey(), &redis.ZRangeBy{
			Min: "-inf", Max: highest, Offset: offset, Count: listBatch,
		}).Result()
		if err != nil {
			return n, fail("purge", err)
		}
		if len(zs) == 0 {
			return n, nil
		}
		for _, z := range zs {
			id := z.Member.(string)
			outcome, err := r.purgeOne(ctx, id, z.Score, cutoff)
			if err != nil {
				return n, err
			}
			switch outcome {
			case purgeDeleted:
				n++
			case purgeKept:
				offset++
			}
		}
		if len(zs) < listBatch {
			return n, nil
		}
	}
}

type purgeOutcome int

const (
	purgeDeleted purgeOutcome = iota // deleted now
	purgeGone                        // already gone; index entry dropped
	purgeKept                        // updated at or after the cutoff; still in range of the index query
	purgeMoved                       // updated at or after the cutoff; moved out of range of the index query
)

func (r *Redis) purgeOne(ctx context.Context, id string, sc float64, cutoff time.Time) (purgeOutcome, error) {
	keys := r.keys(id)
	outcome := purgeDeleted
	var updated time.Time
	err := r.watch(ctx, "purge", func(tx *redis.Tx) error {
		c, err := getTx(ctx, tx, keys[0], "purge", id)
		if errors.Is(err, ErrNotFound) {
			outcome = purgeGone
			return nil
		}
		if err != nil {
			return err
		}
		if !c.Updated.Before(cutoff) {
			outcome, updated = purgeKept, c.Updated
			return nil
		}
		ev := eventJSON(Event{Type: EventDeleted, ConversationID: id})
		_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.Del(ctx, keys...)
			p.Publish(ctx, r.channel(Topic(id)), ev)
			return nil
		})
		outcome = purgeDeleted
		return err
	}, keys[0])
	if err != nil {
		return 0, err
	}
	switch outcome {
	case purgeDeleted:
		_ = r.client.ZRem(ctx, r.indexKey(), id).Err()
	case purgeGone:
		r.unindex(ctx, id, sc)
	case purgeKept:
		r.index(ctx, id, updated)
		if updated.UnixMilli() > cutoff.UnixMilli() {
			outcome = purgeMoved
		}
	}
	return outcome, nil
}

// Begin implements Idempotency.
func (r *Redis) Begin(ctx context.Context, key string, lease time.Duration) (bool, error) {
	if err := checkLease(key, lease); err != nil {
		return false, fmt.Errorf("conversation: begin: %w", err)
	}
	ok, err := r.client.SetNX(ctx, r.idemKey(key), "lease", lease).Result()
	if err != nil {
		return false, fail("begin", err)
	}
	return ok, nil
}

// Done implements Idempotency.
func (r *Redis) Done(ctx context.Context, key string, keep time.Duration) error {
	if err := checkLease(key, keep); err != nil {
		return fmt.Errorf("conversation: done: %w", err)
	}
	if err := r.client.Set(ctx, r.idemKey(key), "done", keep).Err(); err != nil {
		return fail("done", err)
	}
	return nil
}

// Finished implements Idempotency.
func (r *Redis) Finished(ctx context.Context, key string) (bool, error) {
	if err := checkID("idempotency key", key); err != nil {
		return false, fmt.Errorf("conversation: finished: %w", err)
	}
	v, err := r.client.Get(ctx, r.idemKey(key)).Result()
	switch {
	case errors.Is(err, redis.Nil):
		return false, nil
	case err != nil:
		return false, fail("finished", err)
	}
	return v == "done", nil
}

// Abandon implements Idempotency. A key already done stays done.
func (r *Redis) Abandon(ctx context.Context, key string) error {
	if err := checkID("idempotency key", key); err != nil {
		return fmt.Errorf("conversation: abandon: %w", err)
	}
	if err := r.abandonScript.Run(ctx, r.client, []string{r.idemKey(key)}).Err(); err != nil {
		return fail("abandon", err)
	}
	return nil
}

// Publish implements Bus.
func (r *Redis) Publish(ctx context.Context, topic string, payload []byte) error {
	if err := r.client.Publish(ctx, r.channel(topic), payload).Err(); err != nil {
		return fail("publish", err)
	}
	return nil
}
