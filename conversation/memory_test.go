package conversation

import (
	"context"
	"testing"
	"time"
)

func newMemoryBackend(t *testing.T) backend {
	t.Helper()
	clock := newTestClock()
	const retention = 48 * time.Hour
	return backend{
		s:              NewMemory(Options{Now: clock.Now, Retention: retention}),
		clock:          clock,
		retention:      retention,
		checkRetention: checkMemoryRetention,
	}
}

func TestMemoryContract(t *testing.T) {
	testStore(t, newMemoryBackend)
}

// checkMemoryRetention: a conversation reads as gone once Retention has
// passed since its last write, and every kind of write restarts the clock.
func checkMemoryRetention(t *testing.T, b backend, id string) {
	ctx := context.Background()
	alive := func(what string) {
		t.Helper()
		if _, err := b.s.Get(ctx, id); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	step := b.retention - time.Minute
	b.clock.Advance(step)
	alive("just before retention")
	if _, _, err := b.s.Append(ctx, id, Message{Role: RoleCitizen, Text: "noch da"}); err != nil {
		t.Fatal(err)
	}
	b.clock.Advance(step)
	alive("retention after an append")
	if _, err := b.s.Update(ctx, id, func(c *Conversation) error { return nil }); err != nil {
		t.Fatal(err)
	}
	b.clock.Advance(step)
	alive("retention after an update")
	if err := b.s.SetFeedback(ctx, id, 1, 1); err != nil {
		t.Fatal(err)
	}
	b.clock.Advance(step)
	alive("retention after feedback")

	b.clock.Advance(2 * time.Minute)
	_, err := b.s.Get(ctx, id)
	wantErr(t, err, ErrNotFound)
	_, err = b.s.Messages(ctx, id, 0, 0)
	wantErr(t, err, ErrNotFound)
	_, _, err = b.s.Append(ctx, id, Message{Role: RoleCitizen, Text: "zu spät"})
	wantErr(t, err, ErrNotFound)
	if list, _ := b.s.List(ctx, time.Time{}, 0); len(list) != 0 {
		t.Fatalf("expired conversation listed: %v", ids(list))
	}
	// The id is free again, with no leftovers.
	mustCreate(t, b.s, id)
	if m := mustAppend(t, b.s, id, Message{ClientID: "u1", Role: RoleCitizen, Text: "neu"}); m.Seq != 1 {
		t.Fatalf("re-created after expiry: seq %d", m.Seq)
	}
}

func TestMemoryPurgeDropsExpired(t *testing.T) {
	ctx := context.Background()
	clock := newTestClock()
	m := NewMemory(Options{Now: clock.Now, Retention: time.Hour})
	mustCreate(t, m, "expired")
	if _, err := m.Begin(ctx, "lease", time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := m.Done(ctx, "done", 2*time.Hour); err != nil {
		t.Fatal(err)
	}
	clock.Advance(90 * time.Minute)
	mustCreate(t, m, "fresh")
	n, err := m.Purge(ctx, clock.Now().Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("purge counted %d; the expired conversation was gone already", n)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.convs["expired"]; ok {
		t.Error("expired conversation still held")
	}
	if _, ok := m.convs["fresh"]; !ok {
		t.Error("fresh conversation dropped")
	}
	if _, ok := m.idem["lease"]; ok {
		t.Error("expired lease still held")
	}
	if _, ok := m.idem["done"]; !ok {
		t.Error("unexpired done mark dropped")
	}
}

func TestMemoryDefaults(t *testing.T) {
	m := NewMemory(Options{})
	if m.retention != DefaultRetention || m.now == nil {
		t.Fatalf("defaults: retention %v", m.retention)
	}
	before := time.Now()
	c := mustCreate(t, m, "c1")
	if c.Created.Before(before.Add(-time.Second)) || c.Created.Location() != time.UTC {
		t.Fatalf("created %v, want about now in UTC", c.Created)
	}
}
