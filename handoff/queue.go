package handoff

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"
)

// Queue keeps the desk's indexes beside the conversation records: the
// waiting line (with a stream of entries that instances watch), open
// tickets, who holds which conversation, caseworker presence and recent
// wait times. Each conversation id is in at most one of waiting, tickets
// and assigned; Enqueue, AddTicket and Assign move it there atomically.
//
// Two implementations: NewMemoryQueue (one instance) and NewRedisQueue
// (several instances on one Redis). queue_test.go is their one contract.
type Queue interface {
	// Enqueue puts id in the waiting line at since (request time) and adds
	// a stream entry for the watchers. If id is already waiting it changes
	// nothing and returns false.
	Enqueue(ctx context.Context, id string, since time.Time) (added bool, err error)
	// AddTicket moves id to the open tickets (kept since its first
	// ticket time).
	AddTicket(ctx context.Context, id string, since time.Time) error
	// Assign moves id to the conversations held by caseworker.
	Assign(ctx context.Context, id, caseworker string) error
	// Drop removes id from everything and acknowledges its stream entry.
	Drop(ctx context.Context, id string) error
	// Position is id's place in the waiting line (1 = next; 0 = not waiting).
	Position(ctx context.Context, id string) (int, error)
	// Waiting lists the waiting line, first first.
	Waiting(ctx context.Context) ([]Entry, error)
	// Tickets lists open tickets, oldest first.
	Tickets(ctx context.Context) ([]Entry, error)
	// Assigned maps conversation ids to the caseworkers holding them.
	Assigned(ctx context.Context) (map[string]string, error)

	// Deliver gives consumer stream entries no consumer has seen yet,
	// waiting up to block for one. The consumer owns them until they are
	// dropped or reclaimed by another consumer.
	Deliver(ctx context.Context, consumer string, block time.Duration) ([]Entry, error)
	// Pending lists the entries consumer owns (after a restart under the
	// same name).
	Pending(ctx context.Context, consumer string) ([]Entry, error)
	// Renew tells the queue consumer is alive and still owns entries; it
	// returns those it still owns (others were reclaimed or dropped).
	Renew(ctx context.Context, consumer string, entries []Entry) ([]Entry, error)
	// Reclaim gives consumer the entries whose owner has not renewed them
	// for minIdle.
	Reclaim(ctx context.Context, consumer string, minIdle time.Duration) ([]Entry, error)

	// Heartbeat records that caseworker is online at at. cameOnline is true
	// if they had no heartbeat since onlineSince.
	Heartbeat(ctx context.Context, caseworker string, at, onlineSince time.Time) (cameOnline bool, err error)
	// Leave removes caseworker from presence (logout); false if absent.
	Leave(ctx context.Context, caseworker string) (bool, error)
	// Presence lists caseworkers with their last heartbeat.
	Presence(ctx context.Context) ([]Presence, error)
	// SweepPresence removes caseworkers whose last heartbeat is before
	// before and returns them. Each is returned to one caller only.
	SweepPresence(ctx context.Context, before time.Time) ([]string, error)
	// LastSeen is the latest heartbeat of anyone, also of caseworkers who
	// have gone since (zero: never).
	LastSeen(ctx context.Context) (time.Time, error)

	// RecordWait keeps d as a recent claim wait, at most keep of them.
	RecordWait(ctx context.Context, d time.Duration, keep int) error
	// Waits returns recent claim waits, newest first.
	Waits(ctx context.Context) ([]time.Duration, error)
}

// Entry is a conversation in the waiting line or among the tickets.
type Entry struct {
	ConversationID string
	// Since is when the handoff was requested (millisecond precision).
	Since time.Time
	// StreamID identifies the stream entry (Deliver, Pending, Reclaim).
	StreamID string
}

// Presence is a caseworker's last heartbeat.
type Presence struct {
	Caseworker string    `json:"caseworker"`
	Seen       time.Time `json:"seen"`
}

// ms is how both backends keep times: Unix milliseconds.
func ms(t time.Time) int64 { return t.UnixMilli() }

func fromMS(v int64) time.Time { return time.UnixMilli(v).UTC() }

// MemoryQueue is the single-instance Queue.
type MemoryQueue struct {
	now func() time.Time // for stream idle times, as Redis's clock

	mu       sync.Mutex
	seq      int64
	cursor   int64 // last seq delivered
	waiting  map[string]*memEntry
	tickets  map[string]int64
	assigned map[string]string
	presence map[string]int64
	lastSeen int64
	waits    []time.Duration // newest first
	notify   chan struct{}   // closed and replaced on Enqueue
}

type memEntry struct {
	id        string
	since     int64
	seq       int64
	consumer  string
	delivered time.Time
}

var _ Queue = (*MemoryQueue)(nil)

// NewMemoryQueue returns an empty in-memory queue.
func NewMemoryQueue() *MemoryQueue {
	return &MemoryQueue{
		now:      time.Now,
		waiting:  map[string]*memEntry{},
		tickets:  map[string]int64{},
		assigned: map[string]string{},
		presence: map[string]int64{},
		notify:   make(chan struct{}),
	}
}

func (q *MemoryQueue) entry(e *memEntry) Entry {
	return Entry{ConversationID: e.id, Since: fromMS(e.since), StreamID: strconv.FormatInt(e.seq, 10) + "-0"}
}

// sorted returns the waiting entries in line order (request time, then id,
// as a Redis sorted set orders them). q.mu is held.
func (q *MemoryQueue) sorted() []*memEntry {
	out := make([]*memEntry, 0, len(q.waiting))
	for _, e := range q.waiting {
		out = append(out, e)
	}
	slices.SortFunc(out, func(a, b *memEntry) int {
		return cmp.Or(cmp.Compare(a.since, b.since), cmp.Compare(a.id, b.id))
	})
	return out
}

// Enqueue implements Queue.
func (q *MemoryQueue) Enqueue(ctx context.Context, id string, since time.Time) (bool, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if _, ok := q.waiting[id]; ok {
		return false, nil
	}
	q.seq++
	q.waiting[id] = &memEntry{id: id, since: ms(since), seq: q.seq}
	delete(q.tickets, id)
	delete(q.assigned, id)
	close(q.notify)
	q.notify = make(chan struct{})
	return true, nil
}

// AddTicket implements Queue.
func (q *MemoryQueue) AddTicket(ctx context.Context, id string, since time.Time) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	delete(q.waiting, id)
	delete(q.assigned, id)
	if _, ok := q.tickets[id]; !ok {
		q.tickets[id] = ms(since)
	}
	return nil
}

// Assign implements Queue.
func (q *MemoryQueue) Assign(ctx context.Context, id, caseworker string) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	delete(q.waiting, id)
	delete(q.tickets, id)
	q.assigned[id] = caseworker
	return nil
}

// Drop implements Queue.
func (q *MemoryQueue) Drop(ctx context.Context, id string) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	delete(q.waiting, id)
	delete(q.tickets, id)
	delete(q.assigned, id)
	return nil
}

// Position implements Queue.
func (q *MemoryQueue) Position(ctx context.Context, id string) (int, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if _, ok := q.waiting[id]; !ok {
		return 0, nil
	}
	for i, e := range q.sorted() {
		if e.id == id {
			return i + 1, nil
		}
	}
	return 0, nil
}

// Waiting implements Queue.
func (q *MemoryQueue) Waiting(ctx context.Context) ([]Entry, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	out := []Entry{}
	for _, e := range q.sorted() {
		out = append(out, q.entry(e))
	}
	return out, nil
}

// Tickets implements Queue.
func (q *MemoryQueue) Tickets(ctx context.Context) ([]Entry, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	out := []Entry{}
	for id, since := range q.tickets {
		out = append(out, Entry{ConversationID: id, Since: fromMS(since)})
	}
	slices.SortFunc(out, func(a, b Entry) int {
		return cmp.Or(a.Since.Compare(b.Since), cmp.Compare(a.ConversationID, b.ConversationID))
	})
	return out, nil
}

// Assigned implements Queue.
func (q *MemoryQueue) Assigned(ctx context.Context) (map[string]string, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	out := make(map[string]string, len(q.assigned))
	for id, cw := range q.assigned {
		out[id] = cw
	}
	return out, nil
}

// Deliver implements Queue.
func (q *MemoryQueue) Deliver(ctx context.Context, consumer string, block time.Duration) ([]Entry, error) {
	var timeout <-chan time.Time
	if block > 0 {
		t := time.NewTimer(block)
		defer t.Stop()
		timeout = t.C
	}
	for {
		q.mu.Lock()
		var fresh []*memEntry
		for _, e := range q.waiting {
			if e.seq > q.cursor {
				fresh = append(fresh, e)
			}
		}
		notify := q.notify
		if len(fresh) > 0 {
			slices.SortFunc(fresh, func(a, b *memEntry) int { return cmp.Compare(a.seq, b.seq) })
			out := make([]Entry, len(fresh))
			now := q.now()
			for i, e := range fresh {
				e.consumer, e.delivered = consumer, now
				out[i] = q.entry(e)
			}
			q.cursor = fresh[len(fresh)-1].seq
			q.mu.Unlock()
			return out, nil
		}
		q.mu.Unlock()
		if timeout == nil {
			return nil, nil
		}
		select {
		case <-notify:
		case <-timeout:
			return nil, nil
		case <-ctx.Done():
			return nil, fmt.Errorf("handoff: deliver: %w", ctx.Err())
		}
	}
}

// Pending implements Queue.
func (q *MemoryQueue) Pending(ctx context.Context, consumer string) ([]Entry, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	var out []Entry
	for _, e := range q.sorted() {
		if e.consumer == consumer {
			out = append(out, q.entry(e))
		}
	}
	return out, nil
}

// Renew implements Queue.
func (q *MemoryQueue) Renew(ctx context.Context, consumer string, entries []Entry) ([]Entry, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	now := q.now()
	var kept []Entry
	for _, en := range entries {
		e, ok := q.waiting[en.ConversationID]
		if !ok || e.consumer != consumer || q.entry(e).StreamID != en.StreamID {
			continue
		}
		e.delivered = now
		kept = append(kept, en)
	}
	return kept, nil
}

// Reclaim implements Queue.
func (q *MemoryQueue) Reclaim(ctx context.Context, consumer string, minIdle time.Duration) ([]Entry, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	now := q.now()
	var out []Entry
	for _, e := range q.sorted() {
		if e.consumer == "" || now.Sub(e.delivered) < minIdle {
			continue
		}
		e.consumer, e.delivered = consumer, now
		out = append(out, q.entry(e))
	}
	return out, nil
}

// Heartbeat implements Queue.
func (q *MemoryQueue) Heartbeat(ctx context.Context, caseworker string, at, onlineSince time.Time) (bool, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	prev, ok := q.presence[caseworker]
	q.presence[caseworker] = ms(at)
	q.lastSeen = max(q.lastSeen, ms(at))
	return !ok || prev < ms(onlineSince), nil
}

// Leave implements Queue.
func (q *MemoryQueue) Leave(ctx context.Context, caseworker string) (bool, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	_, ok := q.presence[caseworker]
	delete(q.presence, caseworker)
	return ok, nil
}

// Presence implements Queue.
func (q *MemoryQueue) Presence(ctx context.Context) ([]Presence, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	out := []Presence{}
	for cw, at := range q.presence {
		out = append(out, Presence{Caseworker: cw, Seen: fromMS(at)})
	}
	sortPresence(out)
	return out, nil
}

func sortPresence(ps []Presence) {
	slices.SortFunc(ps, func(a, b Presence) int {
		return cmp.Or(a.Seen.Compare(b.Seen), cmp.Compare(a.Caseworker, b.Caseworker))
	})
}

// SweepPresence implements Queue.
func (q *MemoryQueue) SweepPresence(ctx context.Context, before time.Time) ([]string, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	var gone []string
	for cw, at := range q.presence {
		if at < ms(before) {
			gone = append(gone, cw)
			delete(q.presence, cw)
		}
	}
	slices.Sort(gone)
	return gone, nil
}

// LastSeen implements Queue.
func (q *MemoryQueue) LastSeen(ctx context.Context) (time.Time, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.lastSeen == 0 {
		return time.Time{}, nil
	}
	return fromMS(q.lastSeen), nil
}

// RecordWait implements Queue.
func (q *MemoryQueue) RecordWait(ctx context.Context, d time.Duration, keep int) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	d = d.Truncate(time.Millisecond)
	q.waits = append([]time.Duration{d}, q.waits...)
	if keep > 0 && len(q.waits) > keep {
		q.waits = q.waits[:keep]
	}
	return nil
}

// Waits implements Queue.
func (q *MemoryQueue) Waits(ctx context.Context) ([]time.Duration, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	return slices.Clone(q.waits), nil
}
