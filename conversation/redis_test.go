package conversation

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/civibot/civibot/internal/redistest"
	"github.com/civibot/civibot/internal/testtime"
	"github.com/redis/go-redis/v9"
)

const testRetention = 48 * time.Hour

// TestRedisContract runs the contract on one redis-server; each subtest
// has its own key prefix.
func TestRedisContract(t *testing.T) {
	client := redistest.Start(t).Client(t)
	n := 0
	testStore(t, func(t *testing.T) backend {
		clock := newTestClock()
		n++
		return backend{
			s:              NewRedis(client, Options{Prefix: fmt.Sprintf("test%d:", n), Now: clock.Now, Retention: testRetention}),
			clock:          clock,
			retention:      testRetention,
			checkRetention: checkRedisRetention,
		}
	})
}

// checkRedisRetention: every key of the conversation carries the retention
// TTL, and every kind of write refreshes it on every key.
func checkRedisRetention(t *testing.T, b backend, id string) {
	ctx := context.Background()
	r := b.s.(*Redis)
	keys := r.keys(id)
	check := func(what string) {
		t.Helper()
		for _, k := range keys {
			ttl, err := r.client.PTTL(ctx, k).Result()
			if err != nil {
				t.Fatal(err)
			}
			if ttl <= b.retention-time.Minute || ttl > b.retention {
				t.Errorf("%s: %s has TTL %v, want about %v", what, k, ttl, b.retention)
			}
		}
	}
	shorten := func() {
		t.Helper()
		for _, k := range keys {
			if err := r.client.PExpire(ctx, k, time.Minute).Err(); err != nil {
				t.Fatal(err)
			}
		}
	}
	check("after create and append")
	shorten()
	if _, _, err := b.s.Append(ctx, id, Message{Role: RoleCitizen, Text: "noch da"}); err != nil {
		t.Fatal(err)
	}
	check("after an append without client id")
	shorten()
	if _, err := b.s.Update(ctx, id, func(c *Conversation) error { return nil }); err != nil {
		t.Fatal(err)
	}
	check("after an update")
	shorten()
	if err := b.s.SetFeedback(ctx, id, 1, -1); err != nil {
		t.Fatal(err)
	}
	check("after feedback")
	// A duplicate append writes nothing and refreshes nothing.
	shorten()
	if _, dup, err := b.s.Append(ctx, id, Message{ClientID: "u1", Role: RoleBot, Text: "hallo"}); err != nil || !dup {
		t.Fatalf("duplicate append: dup=%v err=%v", dup, err)
	}
	if ttl := r.client.PTTL(ctx, keys[0]).Val(); ttl > time.Minute {
		t.Errorf("a duplicate append refreshed the TTL to %v", ttl)
	}
}

// keyPattern is how every key of a conversation looks: prefix, hash tag
// {c:<id>}, kind.
var keyPattern = regexp.MustCompile(`^test:\{c:([^{}]+)\}:(conv|msgs|cids)$`)

func TestRedisKeyLayout(t *testing.T) {
	ctx := context.Background()
	srv := redistest.Start(t)
	client := srv.Client(t)
	r := NewRedis(client, Options{Prefix: "test:"})
	for _, id := range []string{"w0123456789abcdef0123456789abcdef", "t42"} {
		mustCreate(t, r, id)
		mustAppend(t, r, id, Message{ClientID: "u1", Role: RoleCitizen, Text: "hallo"})
	}
	if _, err := r.Begin(ctx, "tg:99", time.Minute); err != nil {
		t.Fatal(err)
	}
	var all []string
	iter := client.Scan(ctx, 0, "*", 100).Iterator()
	for iter.Next(ctx) {
		all = append(all, iter.Val())
	}
	if err := iter.Err(); err != nil {
		t.Fatal(err)
	}
	slices.Sort(all)
	want := []string{
		"test:convs:updated",
		"test:idem:tg:99",
		"test:{c:t42}:cids", "test:{c:t42}:conv", "test:{c:t42}:msgs",
		"test:{c:w0123456789abcdef0123456789abcdef}:cids",
		"test:{c:w0123456789abcdef0123456789abcdef}:conv",
		"test:{c:w0123456789abcdef0123456789abcdef}:msgs",
	}
	if !slices.Equal(all, want) {
		t.Fatalf("keys\n%v\nwant\n%v", all, want)
	}
	for _, k := range all {
		if strings.Contains(k, "{") && !keyPattern.MatchString(k) {
			t.Errorf("key %s does not carry the conversation hash tag", k)
		}
	}
	// Default prefix.
	d := NewRedis(client, Options{})
	mustCreate(t, d, "x1")
	if n := client.Exists(ctx, "civibot:{c:x1}:conv").Val(); n != 1 {
		t.Error("default prefix civibot: not used")
	}
}

// TestRecordLayout guards what the append script relies on: Go encodes a
// Message with Seq 0 and no ID starting with {"seq":0,"id":"", and a
// Conversation ending with its "updated" and "last_seq" fields.
func TestRecordLayout(t *testing.T) {
	b, _ := json.Marshal(richMessage())
	if !strings.HasPrefix(string(b), string(messageHead)) {
		t.Errorf("message encodes as %s…, want the prefix %s", b[:30], messageHead)
	}
	c := richConversation("c1")
	c.Updated, c.LastSeq = time.Now(), 12
	b, _ = json.Marshal(c)
	if !regexp.MustCompile(`,"updated":"[^"]*","last_seq":12}$`).Match(b) {
		t.Errorf("conversation encodes as …%s, want it to end with the updated and last_seq fields", b[len(b)-60:])
	}
}

// TestRedisTwoInstances: two instances (clients) on one server append to
// one conversation at once, with client ids sent to both (a provider retry
// landing on the other instance).
func TestRedisTwoInstances(t *testing.T) {
	ctx := context.Background()
	srv := redistest.Start(t)
	a := NewRedis(srv.Client(t), Options{})
	b := NewRedis(srv.Client(t), Options{})
	mustCreate(t, a, "c1")
	const workers, each = 6, 30
	stored := make([]map[string]int, 2)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for i, inst := range []*Redis{a, b} {
		stored[i] = map[string]int{}
		for w := range workers {
			wg.Go(func() {
				for n := range each {
					cid := fmt.Sprintf("shared-%d-%d", w, n) // both instances send it
					if n%3 == 0 {
						cid = fmt.Sprintf("own-%d-%d-%d", i, w, n)
					}
					m, dup, err := inst.Append(ctx, "c1", Message{ClientID: cid, Role: RoleCitizen, Text: cid})
					if err != nil {
						t.Error(err)
						return
					}
					if m.ClientID != cid || m.Text != cid {
						t.Errorf("append %s returned %+v", cid, m)
					}
					if !dup {
						mu.Lock()
						stored[i][cid]++
						mu.Unlock()
					}
				}
			})
		}
	}
	wg.Wait()
	ms := mustMessages(t, a, "c1")
	checkSeqs(t, "c1", ms)
	// Every distinct client id is stored exactly once.
	distinct := map[string]bool{}
	for _, m := range ms {
		if distinct[m.ClientID] {
			t.Fatalf("client id %s stored twice", m.ClientID)
		}
		distinct[m.ClientID] = true
	}
	wantDistinct := workers * each // shared ids: one per (w, n) except own ones, own: one per instance
	for w := range workers {
		for n := range each {
			if n%3 == 0 {
				wantDistinct++ // own ids exist once per instance
			}
			_ = w
		}
	}
	if len(ms) != wantDistinct {
		t.Fatalf("%d messages, want %d", len(ms), wantDistinct)
	}
	for cid := range distinct {
		if n := stored[0][cid] + stored[1][cid]; n != 1 {
			t.Fatalf("client id %s reported as stored %d times", cid, n)
		}
	}
	if c, _ := b.Get(ctx, "c1"); c.LastSeq != int64(len(ms)) {
		t.Fatalf("last seq %d, want %d", c.LastSeq, len(ms))
	}
}

// TestRedisOutage: with Redis stopped, every method fails promptly with
// ErrUnavailable; after a restart everything works again and retried
// appends are stored exactly once.
func TestRedisOutage(t *testing.T) {
	ctx := context.Background()
	srv := redistest.Start(t)
	client, err := NewRedisClient(RedisConfig{URL: srv.URL()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = client.Close() })
	r := NewRedis(client, Options{})
	mustCreate(t, r, "c1")
	for i := range 3 {
		mustAppend(t, r, "c1", Message{ClientID: fmt.Sprintf("u%d", i+1), Role: RoleCitizen, Text: fmt.Sprint(i + 1)})
	}
	if _, err := r.Begin(ctx, "k", time.Minute); err != nil {
		t.Fatal(err)
	}

	srv.Stop(t)
	calls := []struct {
		name string
		call func() error
	}{
		{"Create", func() error { _, err := r.Create(ctx, Conversation{ID: "c2"}); return err }},
		{"Get", func() error { _, err := r.Get(ctx, "c1"); return err }},
		{"Update", func() error {
			_, err := r.Update(ctx, "c1", func(c *Conversation) error { return nil })
			return err
		}},
		{"Append", func() error {
			_, _, err := r.Append(ctx, "c1", Message{ClientID: "u4", Role: RoleCitizen, Text: "4"})
			return err
		}},
		{"Messages", func() error { _, err := r.Messages(ctx, "c1", 0, 0); return err }},
		{"SetFeedback", func() error { return r.SetFeedback(ctx, "c1", 1, 1) }},
		{"Delete", func() error { return r.Delete(ctx, "c1") }},
		{"List", func() error { _, err := r.List(ctx, time.Time{}, 0); return err }},
		{"Purge", func() error { _, err := r.Purge(ctx, time.Now()); return err }},
		{"Begin", func() error { _, err := r.Begin(ctx, "k2", time.Minute); return err }},
		{"Done", func() error { return r.Done(ctx, "k", time.Minute) }},
		{"Abandon", func() error { return r.Abandon(ctx, "k") }},
		{"Publish", func() error { return r.Publish(ctx, "queue", []byte("x")) }},
		{"Subscribe", func() error { _, _, err := r.Subscribe(ctx, "queue"); return err }},
	}
	for _, c := range calls {
		start := time.Now()
		err := c.call()
		if !errors.Is(err, ErrUnavailable) {
			t.Errorf("%s with Redis down: %v, want ErrUnavailable", c.name, err)
		}
		// A hang guard, not a speed claim: the call must come back.
		d := time.Since(start)
		if d > 5*time.Second {
			t.Errorf("%s with Redis down took %v", c.name, d)
		}
		t.Logf("%s with Redis down: %v", c.name, d.Round(time.Millisecond))
	}
	// The cause stays visible next to ErrUnavailable.
	_, err = r.Get(ctx, "c1")
	if _, ok := errors.AsType[*net.OpError](err); !ok || !strings.HasPrefix(err.Error(), "conversation: get: ") {
		t.Errorf("error %q does not show the cause", err)
	}

	srv.Restart(t)
	testtime.WaitFor(t, 10*time.Second, "Redis to answer again", func() bool {
		_, err := r.Get(ctx, "c1")
		return err == nil
	})
	// The channel retries what failed, plus one it is not sure about.
	for _, i := range []int{3, 4, 5} {
		if _, _, err := r.Append(ctx, "c1", Message{ClientID: fmt.Sprintf("u%d", i), Role: RoleCitizen, Text: fmt.Sprint(i)}); err != nil {
			t.Fatal(err)
		}
	}
	ms := mustMessages(t, r, "c1")
	checkSeqs(t, "c1", ms)
	var texts []string
	for _, m := range ms {
		texts = append(texts, m.Text)
	}
	if !slices.Equal(texts, []string{"1", "2", "3", "4", "5"}) {
		t.Fatalf("after the outage: %v, want 1..5 exactly once", texts)
	}
	if ok, err := r.Begin(ctx, "k", time.Minute); ok || err != nil {
		t.Errorf("lease taken before the outage: begin=%v err=%v, want still held", ok, err)
	}
}

// TestRedisBusReconnect: a subscriber gets a catch-up notice after Redis
// comes back, and events again after that.
func TestRedisBusReconnect(t *testing.T) {
	ctx := context.Background()
	srv := redistest.Start(t)
	r := NewRedis(srv.Client(t), Options{})
	pubClient := srv.Client(t)
	pub := NewRedis(pubClient, Options{})
	base := runtime.NumGoroutine()
	ch, cancel, err := r.Subscribe(ctx, "queue")
	if err != nil {
		t.Fatal(err)
	}
	if err := pub.Publish(ctx, "queue", []byte("vorher")); err != nil {
		t.Fatal(err)
	}
	if p := receive(t, ch); string(p) != "vorher" {
		t.Fatalf("got %q", p)
	}

	srv.Stop(t)
	srv.Restart(t)
	if p := receive(t, ch); len(p) != 0 {
		t.Fatalf("first payload after the restart %q, want the catch-up notice", p)
	}
	testtime.WaitFor(t, 10*time.Second, "the publisher to reconnect", func() bool {
		return pub.Publish(ctx, "queue", []byte("nachher")) == nil
	})
	for {
		p := receive(t, ch)
		if string(p) == "nachher" {
			break
		}
		if len(p) != 0 {
			t.Fatalf("unexpected payload %q", p)
		}
	}
	cancel()
	closed(t, ch)
	testtime.WaitFor(t, 10*time.Second, "subscription goroutines to end", func() bool {
		return runtime.NumGoroutine() <= base
	})
}

// TestRedisIndexReconcile: index entries whose conversation expired are
// dropped when List or Purge sees them.
func TestRedisIndexReconcile(t *testing.T) {
	ctx := context.Background()
	srv := redistest.Start(t)
	client := srv.Client(t)
	clock := newTestClock()
	r := NewRedis(client, Options{Now: clock.Now})
	for _, id := range []string{"gone1", "keep", "gone2"} {
		mustCreate(t, r, id)
		clock.Advance(time.Minute)
	}
	// Simulate TTL expiry: the conversation keys vanish, the index stays.
	for _, id := range []string{"gone1", "gone2"} {
		if err := client.Del(ctx, r.keys(id)...).Err(); err != nil {
			t.Fatal(err)
		}
	}
	list, err := r.List(ctx, time.Time{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ids(list), []string{"keep"}) {
		t.Fatalf("list %v, want [keep]", ids(list))
	}
	if members := client.ZRange(ctx, r.indexKey(), 0, -1).Val(); !slices.Equal(members, []string{"keep"}) {
		t.Fatalf("index after list: %v, want [keep]", members)
	}

	// Purge: an expired conversation is dropped from the index, not counted;
	// one whose index score is stale (written by a crashed instance) is
	// checked against its record and kept.
	mustCreate(t, r, "gone3")
	if err := client.Del(ctx, r.keys("gone3")...).Err(); err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Hour)
	mustCreate(t, r, "stale")
	if err := client.ZAdd(ctx, r.indexKey(), redis.Z{Score: 1, Member: "stale"}).Err(); err != nil {
		t.Fatal(err)
	}
	n, err := r.Purge(ctx, clock.Now().Add(-time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Fatalf("purged %d, want 1 (keep)", n)
	}
	if members := client.ZRange(ctx, r.indexKey(), 0, -1).Val(); !slices.Equal(members, []string{"stale"}) {
		t.Fatalf("index after purge: %v, want [stale]", members)
	}
	if sc := client.ZScore(ctx, r.indexKey(), "stale").Val(); sc != score(clock.Now()) {
		t.Errorf("stale index score not repaired: %v", sc)
	}
	if _, err := r.Get(ctx, "stale"); err != nil {
		t.Fatal(err)
	}
}

// TestRedisPurgeMany pages through more index entries than one batch.
func TestRedisPurgeMany(t *testing.T) {
	ctx := context.Background()
	srv := redistest.Start(t)
	clock := newTestClock()
	r := NewRedis(srv.Client(t), Options{Now: clock.Now})
	const old, fresh = 2*listBatch + 17, 5
	for i := range old {
		mustCreate(t, r, fmt.Sprintf("old%d", i))
	}
	clock.Advance(time.Hour)
	for i := range fresh {
		mustCreate(t, r, fmt.Sprintf("new%d", i))
	}
	n, err := r.Purge(ctx, clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	if n != old {
		t.Fatalf("purged %d, want %d", n, old)
	}
	list, err := r.List(ctx, time.Time{}, 0)
	if err != nil || len(list) != fresh {
		t.Fatalf("left %d (%v), want %d", len(list), err, fresh)
	}
}

// TestRedisConflict: an update that keeps losing the race gives up with
// ErrConflict instead of looping.
func TestRedisConflict(t *testing.T) {
	ctx := context.Background()
	srv := redistest.Start(t)
	r := NewRedis(srv.Client(t), Options{})
	other := NewRedis(srv.Client(t), Options{})
	r.attempts = 5
	mustCreate(t, r, "c1")
	calls := 0
	_, err := r.Update(ctx, "c1", func(c *Conversation) error {
		calls++
		// Another instance writes between our read and our write.
		_, err := other.Update(ctx, "c1", func(c *Conversation) error { c.Context.Turns++; return nil })
		return err
	})
	wantErr(t, err, ErrConflict)
	if calls != 5 {
		t.Errorf("fn ran %d times, want 5", calls)
	}
	if c, _ := r.Get(ctx, "c1"); c.Context.Turns != 5 {
		t.Errorf("turns %d, want the other instance's 5", c.Context.Turns)
	}
}

// TestRedisCorruptRecord: a record the append script cannot read is an
// error, not a silent rewrite.
func TestRedisCorruptRecord(t *testing.T) {
	ctx := context.Background()
	srv := redistest.Start(t)
	client := srv.Client(t)
	r := NewRedis(client, Options{})
	mustCreate(t, r, "c1")
	if err := client.Set(ctx, r.keys("c1")[0], `{"id":"c1"}`, 0).Err(); err != nil {
		t.Fatal(err)
	}
	_, _, err := r.Append(ctx, "c1", Message{Role: RoleCitizen, Text: "x"})
	if err == nil || errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "unexpected layout") {
		t.Fatalf("append to a corrupt record: %v", err)
	}
	if n := client.LLen(ctx, r.keys("c1")[1]).Val(); n != 0 {
		t.Fatalf("append to a corrupt record stored %d messages", n)
	}
}

func TestFailClassifies(t *testing.T) {
	for _, tc := range []struct {
		err         error
		unavailable bool
	}{
		{errors.New("dial tcp 127.0.0.1:1: connect: connection refused"), true},
		{context.DeadlineExceeded, true},
		{redis.ErrClosed, true},
		{proto("LOADING Redis is loading the dataset in memory"), true},
		{proto("READONLY You can't write against a read only replica."), true},
		{proto("CLUSTERDOWN The cluster is down"), true},
		{proto("BUSY Redis is busy running a script."), true},
		{proto("BUSYGROUP Consumer Group name already exists"), false},
		{proto("WRONGTYPE Operation against a key holding the wrong kind of value"), false},
		{proto("ERR conversation record has an unexpected layout"), false},
		{context.Canceled, false},
	} {
		err := fail("op", tc.err)
		if errors.Is(err, ErrUnavailable) != tc.unavailable {
			t.Errorf("%v: unavailable=%v, want %v", tc.err, !tc.unavailable, tc.unavailable)
		}
		if !errors.Is(err, tc.err) || !strings.HasPrefix(err.Error(), "conversation: op: ") {
			t.Errorf("%v: wrapped as %q, cause lost", tc.err, err)
		}
	}
}

// proto makes a server error reply (a redis.Error) like go-redis returns.
func proto(msg string) error { return redisError(msg) }

type redisError string

func (e redisError) Error() string { return string(e) }
func (redisError) RedisError()     {}

// TestRedisSubscriptionsShareOneConnection: a socket per chat must not cost
// a Redis connection per chat.
func TestRedisSubscriptionsShareOneConnection(t *testing.T) {
	ctx := context.Background()
	srv := redistest.Start(t)
	client := srv.Client(t)
	r := NewRedis(client, Options{})
	pubsubConns := func() int {
		t.Helper()
		list, err := client.ClientList(ctx).Result()
		if err != nil {
			t.Fatal(err)
		}
		return strings.Count(list, "cmd=subscribe") + strings.Count(list, "cmd=unsubscribe")
	}
	var cancels []func()
	var chans []<-chan []byte
	for i := 0; i < 50; i++ {
		ch, cancel, err := r.Subscribe(ctx, Topic(fmt.Sprintf("c%d", i%25))) // two subscribers per topic
		if err != nil {
			t.Fatal(err)
		}
		cancels = append(cancels, cancel)
		chans = append(chans, ch)
	}
	if n := pubsubConns(); n != 1 {
		t.Fatalf("50 subscriptions use %d pub/sub connections, want 1", n)
	}
	// Both subscribers of a topic get the payload; others get nothing.
	if err := r.Publish(ctx, Topic("c3"), []byte("x")); err != nil {
		t.Fatal(err)
	}
	for _, i := range []int{3, 28} {
		select {
		case p := <-chans[i]:
			if string(p) != "x" {
				t.Fatalf("subscriber %d got %q", i, p)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("subscriber %d got nothing", i)
		}
	}
	select {
	case p := <-chans[4]:
		t.Fatalf("subscriber of another topic got %q", p)
	case <-time.After(100 * time.Millisecond):
	}
	for _, cancel := range cancels {
		cancel()
	}
	testtime.WaitFor(t, 5*time.Second, "pub/sub connection closed", func() bool { return pubsubConns() == 0 })
}

// TestBotRetention: a conversation that never reached a person is kept
// Options.BotRetention, one with a handoff Retention (issue 21.1).
func TestBotRetention(t *testing.T) {
	ctx := context.Background()
	const long, short = 720 * time.Hour, 48 * time.Hour
	handoff := func(c *Conversation) error {
		c.Status, c.Handoff = StatusWaiting, &Handoff{Reason: "button"}
		return nil
	}
	t.Run("redis", func(t *testing.T) {
		client := redistest.Start(t).Client(t)
		r := NewRedis(client, Options{Prefix: "bot:", Retention: long, BotRetention: short})
		ttl := func(id string) []time.Duration {
			var out []time.Duration
			for _, k := range r.keys(id) {
				d, err := client.PTTL(ctx, k).Result()
				if err != nil {
					t.Fatal(err)
				}
				out = append(out, d)
			}
			return out
		}
		for _, id := range []string{"bot1", "person1"} {
			mustCreate(t, r, id)
			mustAppend(t, r, id, Message{ClientID: "a", Role: RoleCitizen, Text: "Hallo"})
		}
		if _, err := r.Update(ctx, "person1", handoff); err != nil {
			t.Fatal(err)
		}
		for _, id := range []string{"bot1", "person1"} {
			mustAppend(t, r, id, Message{ClientID: "b", Role: RoleCitizen, Text: "Noch da?"})
			mustAppend(t, r, id, Message{Role: RoleBot, Text: "Ja."})
		}
		if err := r.SetFeedback(ctx, "bot1", 3, 1); err != nil {
			t.Fatal(err)
		}
		for id, want := range map[string]time.Duration{"bot1": short, "person1": long} {
			for i, d := range ttl(id) {
				if d <= want-time.Minute || d > want {
					t.Errorf("%s key %d: TTL %v, want about %v", id, i, d, want)
				}
			}
		}
	})
	t.Run("memory", func(t *testing.T) {
		clock := newTestClock()
		m := NewMemory(Options{Retention: long, BotRetention: short, Now: clock.Now})
		for _, id := range []string{"bot1", "person1"} {
			mustCreate(t, m, id)
			mustAppend(t, m, id, Message{Role: RoleCitizen, Text: "Hallo"})
		}
		if _, err := m.Update(ctx, "person1", handoff); err != nil {
			t.Fatal(err)
		}
		clock.Advance(short + time.Minute)
		if _, err := m.Get(ctx, "bot1"); !errors.Is(err, ErrNotFound) {
			t.Errorf("bot-only conversation after %v: %v, want ErrNotFound", short, err)
		}
		if _, err := m.Get(ctx, "person1"); err != nil {
			t.Errorf("handed-off conversation after %v: %v", short, err)
		}
	})
}
