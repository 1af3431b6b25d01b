package conversation

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"time"
)

// Memory is the single-instance backend: Store, Bus and Idempotency in
// process memory. It is what `civibot serve` uses without Redis.
//
// Values are kept JSON-encoded, exactly as the Redis backend keeps them, so
// both return the same values (times in UTC without monotonic reading, nil
// and empty slices alike) and nothing a caller holds aliases stored state.
//
// A conversation expires Options.Retention after its last write: from then
// on it reads as not found and is dropped on the next access or Purge.
type Memory struct {
	now          func() time.Time
	retention    time.Duration
	botRetention time.Duration

	mu    sync.Mutex // guards convs and idem; held while publishing store events (keeps their order)
	convs map[string]*memConv
	idem  map[string]memLease

	busMu sync.RWMutex
	subs  map[string]map[*feed]struct{}
}

type memConv struct {
	conv    []byte // Conversation JSON
	updated time.Time
	lastSeq int64
	person  bool     // a handoff was recorded: Retention, not BotRetention
	msgs    [][]byte // Message JSON; msgs[i] has Seq i+1
	cids    map[string]int64
}

type memLease struct {
	done    bool
	expires time.Time
}

var (
	_ Store       = (*Memory)(nil)
	_ Bus         = (*Memory)(nil)
	_ Idempotency = (*Memory)(nil)
)

// NewMemory returns an empty in-memory backend. Options.Prefix is unused.
func NewMemory(opts Options) *Memory {
	opts = opts.withDefaults()
	return &Memory{
		now:          opts.Now,
		retention:    opts.Retention,
		botRetention: opts.BotRetention,
		convs:        make(map[string]*memConv),
		idem:         make(map[string]memLease),
		subs:         make(map[string]map[*feed]struct{}),
	}
}

func decodeConv(b []byte) Conversation {
	var c Conversation
	if err := json.Unmarshal(b, &c); err != nil {
		panic(fmt.Sprintf("conversation: decode stored conversation: %v", err))
	}
	return c
}

func decodeMsg(b []byte) Message {
	var m Message
	if err := json.Unmarshal(b, &m); err != nil {
		panic(fmt.Sprintf("conversation: decode stored message: %v", err))
	}
	return m
}

// live returns the conversation if it exists and has not expired; an
// expired one is dropped. m.mu must be held.
func (m *Memory) live(id string, now time.Time) *memConv {
	mc, ok := m.convs[id]
	if !ok {
		return nil
	}
	if m.expired(mc, now) {
		delete(m.convs, id)
		return nil
	}
	return mc
}

// expired reports whether mc's retention has passed.
func (m *Memory) expired(mc *memConv, now time.Time) bool {
	keep := m.botRetention
	if mc.person {
		keep = m.retention
	}
	return now.Sub(mc.updated) > keep
}

// publishLocked publishes a store event. m.mu is held, so events of one
// conversation leave in the order of the writes.
func (m *Memory) publishLocked(e Event) {
	m.publish(Topic(e.ConversationID), eventJSON(e))
}

// Create implements Store.
func (m *Memory) Create(ctx context.Context, c Conversation) (Conversation, error) {
	if err := checkID("conversation id", c.ID); err != nil {
		return Conversation{}, fmt.Errorf("conversation: create: %w", err)
	}
	now := m.now().UTC()
	b, err := encode(newRecord(c, now))
	if err != nil {
		return Conversation{}, fmt.Errorf("conversation: create: %w", err)
	}
	stored := decodeConv(b)
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.live(c.ID, now) != nil {
		return Conversation{}, fmt.Errorf("conversation: create %s: %w", c.ID, ErrExists)
	}
	m.convs[c.ID] = &memConv{conv: b, updated: stored.Updated, person: stored.Handoff != nil, cids: make(map[string]int64)}
	m.publishLocked(Event{Type: EventStatus, ConversationID: c.ID, Conversation: &stored})
	return stored, nil // publishLocked encoded the event; stored is the caller's
}

// Get implements Store.
func (m *Memory) Get(ctx context.Context, id string) (Conversation, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	mc := m.live(id, m.now().UTC())
	if mc == nil {
		return Conversation{}, fmt.Errorf("conversation: get %s: %w", id, ErrNotFound)
	}
	return decodeConv(mc.conv), nil
}

// Update implements Store. fn runs with the store locked: it must not call
// the store.
func (m *Memory) Update(ctx context.Context, id string, fn func(*Conversation) error) (Conversation, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now().UTC()
	mc := m.live(id, now)
	if mc == nil {
		return Conversation{}, fmt.Errorf("conversation: update %s: %w", id, ErrNotFound)
	}
	old := decodeConv(mc.conv)
	c := decodeConv(mc.conv)
	if err := fn(&c); err != nil {
		return Conversation{}, err
	}
	c.ID, c.Created, c.LastSeq, c.Updated = old.ID, old.Created, old.LastSeq, now
	b, err := encode(c)
	if err != nil {
		return Conversation{}, fmt.Errorf("conversation: update %s: %w", id, err)
	}
	mc.conv, mc.updated = b, now
	mc.person = mc.person || c.Handoff != nil
	stored := decodeConv(b)
	m.publishLocked(Event{Type: EventStatus, ConversationID: id, Conversation: &stored})
	return stored, nil // publishLocked encoded the event; stored is the caller's
}

// Append implements Store.
func (m *Memory) Append(ctx context.Context, id string, msg Message) (Message, bool, error) {
	if err := checkMessage(msg); err != nil {
		return Message{}, false, fmt.Errorf("conversation: append: %w", err)
	}
	msg.Text = CleanText(msg.Text)
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now().UTC()
	mc := m.live(id, now)
	if mc == nil {
		return Message{}, false, fmt.Errorf("conversation: append %s: %w", id, ErrNotFound)
	}
	if msg.ClientID != "" {
		if seq, ok := mc.cids[msg.ClientID]; ok {
			return decodeMsg(mc.msgs[seq-1]), true, nil
		}
	}
	seq := mc.lastSeq + 1
	msg.Seq, msg.ID = seq, fmt.Sprintf("%s-%d", id, seq)
	if msg.At.IsZero() {
		msg.At = now
	}
	b, err := encode(msg)
	if err != nil {
		return Message{}, false, fmt.Errorf("conversation: append %s: %w", id, err)
	}
	c := decodeConv(mc.conv)
	c.LastSeq, c.Updated = seq, now
	cb, err := encode(c)
	if err != nil {
		return Message{}, false, fmt.Errorf("conversation: append %s: %w", id, err)
	}
	mc.conv, mc.updated, mc.lastSeq = cb, now, seq
	mc.msgs = append(mc.msgs, b)
	if msg.ClientID != "" {
		mc.cids[msg.ClientID] = seq
	}
	stored := decodeMsg(b)
	m.publishLocked(Event{Type: EventMessage, ConversationID: id, Message: &stored})
	return stored, false, nil // publishLocked encoded the event; stored is the caller's
}

// Messages implements Store.
func (m *Memory) Messages(ctx context.Context, id string, after int64, limit int) ([]Message, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	mc := m.live(id, m.now().UTC())
	if mc == nil {
		return nil, fmt.Errorf("conversation: messages %s: %w", id, ErrNotFound)
	}
	after = max(after, 0)
	if after >= int64(len(mc.msgs)) {
		return []Message{}, nil
	}
	sel := mc.msgs[after:]
	if limit > 0 && limit < len(sel) {
		sel = sel[:limit]
	}
	out := make([]Message, len(sel))
	for i, b := range sel {
		out[i] = decodeMsg(b)
	}
	return out, nil
}

// SetFeedback implements Store. Only bot messages take feedback
// (ErrInvalid otherwise).
func (m *Memory) SetFeedback(ctx context.Context, id string, seq int64, value int) error {
	if err := checkFeedback(value); err != nil {
		return fmt.Errorf("conversation: set feedback: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now().UTC()
	mc := m.live(id, now)
	if mc == nil {
		return fmt.Errorf("conversation: set feedback %s: %w", id, ErrNotFound)
	}
	if seq < 1 || seq > int64(len(mc.msgs)) {
		return fmt.Errorf("conversation: set feedback %s #%d: message %w", id, seq, ErrNotFound)
	}
	msg := decodeMsg(mc.msgs[seq-1])
	if msg.Role != RoleBot {
		return fmt.Errorf("conversation: set feedback %s #%d: %w: feedback is for bot messages, this is a %s message", id, seq, ErrInvalid, msg.Role)
	}
	msg.Feedback = value
	b, err := encode(msg)
	if err != nil {
		return fmt.Errorf("conversation: set feedback %s: %w", id, err)
	}
	c := decodeConv(mc.conv)
	c.Updated = now
	cb, err := encode(c)
	if err != nil {
		return fmt.Errorf("conversation: set feedback %s: %w", id, err)
	}
	mc.msgs[seq-1], mc.conv, mc.updated = b, cb, now
	stored := decodeMsg(b)
	m.publishLocked(Event{Type: EventFeedback, ConversationID: id, Message: &stored})
	return nil
}

// Delete implements Store.
func (m *Memory) Delete(ctx context.Context, id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.live(id, m.now().UTC()) == nil {
		return fmt.Errorf("conversation: delete %s: %w", id, ErrNotFound)
	}
	delete(m.convs, id)
	m.publishLocked(Event{Type: EventDeleted, ConversationID: id})
	return nil
}

// List implements Store. Conversations updated in the same instant are
// ordered by id.
func (m *Memory) List(ctx context.Context, since time.Time, limit int) ([]Conversation, error) {
	m.mu.Lock()
	now := m.now().UTC()
	type entry struct {
		updated time.Time
		conv    []byte
		id      string
	}
	var found []entry
	for id := range m.convs {
		mc := m.live(id, now)
		if mc == nil || mc.updated.Before(since) {
			continue
		}
		found = append(found, entry{mc.updated, mc.conv, id})
	}
	m.mu.Unlock()
	slices.SortFunc(found, func(a, b entry) int {
		if c := b.updated.Compare(a.updated); c != 0 {
			return c
		}
		return cmp.Compare(a.id, b.id)
	})
	if limit > 0 && len(found) > limit {
		found = found[:limit]
	}
	out := make([]Conversation, len(found))
	for i, e := range found {
		out[i] = decodeConv(e.conv)
	}
	return out, nil
}

// Purge implements Store. It also drops expired conversations (without
// counting them: they were gone already) and expired idempotency keys.
func (m *Memory) Purge(ctx context.Context, cutoff time.Time) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now().UTC()
	n := 0
	for id, mc := range m.convs {
		if m.expired(mc, now) {
			delete(m.convs, id)
			continue
		}
		if mc.updated.Before(cutoff) {
			delete(m.convs, id)
			m.publishLocked(Event{Type: EventDeleted, ConversationID: id})
			n++
		}
	}
	for k, l := range m.idem {
		if !now.Before(l.expires) {
			delete(m.idem, k)
		}
	}
	return n, nil
}

// Begin implements Idempotency.
func (m *Memory) Begin(ctx context.Context, key string, lease time.Duration) (bool, error) {
	if err := checkLease(key, lease); err != nil {
		return false, fmt.Errorf("conversation: begin: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	if l, ok := m.idem[key]; ok && now.Before(l.expires) {
		return false, nil
	}
	m.idem[key] = memLease{expires: now.Add(lease)}
	return true, nil
}

// Done implements Idempotency.
func (m *Memory) Done(ctx context.Context, key string, keep time.Duration) error {
	if err := checkLease(key, keep); err != nil {
		return fmt.Errorf("conversation: done: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.idem[key] = memLease{done: true, expires: m.now().Add(keep)}
	return nil
}

// Finished implements Idempotency.
func (m *Memory) Finished(ctx context.Context, key string) (bool, error) {
	if err := checkID("idempotency key", key); err != nil {
		return false, fmt.Errorf("conversation: finished: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	l, ok := m.idem[key]
	return ok && l.done && m.now().Before(l.expires), nil
}

// Abandon implements Idempotency. A key already done stays done.
func (m *Memory) Abandon(ctx context.Context, key string) error {
	if err := checkID("idempotency key", key); err != nil {
		return fmt.Errorf("conversation: abandon: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if l, ok := m.idem[key]; ok && !l.done {
		delete(m.idem, key)
	}
	return nil
}

func checkLease(key string, d time.Duration) error {
	if err := checkID("idempotency key", key); err != nil {
		return err
	}
	if d <= 0 {
		return fmt.Errorf("%w: lease/keep duration must be positive, got %v", ErrInvalid, d)
	}
	return nil
}

// Publish implements Bus. It never blocks: a subscriber that has fallen
// behind misses the payload and gets a catch-up notice instead.
func (m *Memory) Publish(ctx context.Context, topic string, payload []byte) error {
	m.publish(topic, payload)
	return nil
}

func (m *Memory) publish(topic string, payload []byte) {
	m.busMu.RLock()
	defer m.busMu.RUnlock()
	for f := range m.subs[topic] {
		f.push(bytes.Clone(payload))
	}
}

// Subscribe implements Bus. The channel is closed when ctx ends or cancel
// is called; cancel returns after the channel is closed.
func (m *Memory) Subscribe(ctx context.Context, topic string) (<-chan []byte, func(), error) {
	if err := ctx.Err(); err != nil {
		return nil, nil, fmt.Errorf("conversation: subscribe: %w", err)
	}
	f := newFeed()
	m.busMu.Lock()
	if m.subs[topic] == nil {
		m.subs[topic] = make(map[*feed]struct{})
	}
	m.subs[topic][f] = struct{}{}
	m.busMu.Unlock()

	out := make(chan []byte)
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		defer m.unsubscribe(topic, f)
		f.run(out, done, ctx.Done())
	}()
	var once sync.Once
	cancel := func() {
		once.Do(func() { close(done) })
		<-finished
	}
	return out, cancel, nil
}

func (m *Memory) unsubscribe(topic string, f *feed) {
	m.busMu.Lock()
	defer m.busMu.Unlock()
	delete(m.subs[topic], f)
	if len(m.subs[topic]) == 0 {
		delete(m.subs, topic)
	}
}
