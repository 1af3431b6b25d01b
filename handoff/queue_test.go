package handoff

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/civibot/civibot/internal/redistest"
)

func TestMemoryQueue(t *testing.T) {
	testQueue(t, func(t *testing.T) Queue { return NewMemoryQueue() })
}

func TestRedisQueue(t *testing.T) {
	testQueue(t, func(t *testing.T) Queue {
		srv := redistest.Start(t)
		q, err := NewRedisQueue(srv.Client(t), "test:")
		if err != nil {
			t.Fatal(err)
		}
		return q
	})
}

func TestRedisQueuePrefix(t *testing.T) {
	if _, err := NewRedisQueue(nil, "bad{prefix}"); err == nil {
		t.Fatal("prefix with braces accepted")
	}
}

func entryIDs(es []Entry) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.ConversationID
	}
	return out
}

func sortedIDs(es []Entry) []string {
	ids := entryIDs(es)
	slices.Sort(ids)
	return ids
}

func must[T any](t testing.TB) func(v T, err error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

func noErr(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// testQueue is the contract both Queue implementations keep.
func testQueue(t *testing.T, newQueue func(t *testing.T) Queue) {
	ctx := context.Background()
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

	t.Run("line", func(t *testing.T) {
		q := newQueue(t)
		for i, id := range []string{"c", "a", "b"} {
			added, err := q.Enqueue(ctx, id, t0.Add(time.Duration(i)*time.Second))
			if err != nil || !added {
				t.Fatalf("enqueue %s: %v %v", id, added, err)
			}
		}
		if added := must[bool](t)(q.Enqueue(ctx, "a", t0.Add(time.Hour))); added {
			t.Error("second enqueue of a waiting id added it again")
		}
		got := must[[]Entry](t)(q.Waiting(ctx))
		if ids := entryIDs(got); !slices.Equal(ids, []string{"c", "a", "b"}) {
			t.Errorf("waiting = %v, want c a b (request order)", ids)
		}
		if !got[1].Since.Equal(t0.Add(time.Second)) {
			t.Errorf("since of a = %v, want its first request time", got[1].Since)
		}
		for id, want := range map[string]int{"c": 1, "a": 2, "b": 3, "x": 0} {
			if p := must[int](t)(q.Position(ctx, id)); p != want {
				t.Errorf("position %s = %d, want %d", id, p, want)
			}
		}
	})

	t.Run("moves", func(t *testing.T) {
		q := newQueue(t)
		must[bool](t)(q.Enqueue(ctx, "a", t0))
		must[bool](t)(q.Enqueue(ctx, "b", t0.Add(time.Second)))
		noErr(t, q.AddTicket(ctx, "a", t0.Add(time.Minute)))
		noErr(t, q.AddTicket(ctx, "a", t0.Add(time.Hour))) // keeps the first time
		if p := must[int](t)(q.Position(ctx, "b")); p != 1 {
			t.Errorf("after a became a ticket, b's position = %d, want 1", p)
		}
		tickets := must[[]Entry](t)(q.Tickets(ctx))
		if len(tickets) != 1 || tickets[0].ConversationID != "a" || !tickets[0].Since.Equal(t0.Add(time.Minute)) {
			t.Errorf("tickets = %+v", tickets)
		}
		noErr(t, q.Assign(ctx, "a", "erika"))
		noErr(t, q.Assign(ctx, "b", "max"))
		if n := len(must[[]Entry](t)(q.Tickets(ctx))); n != 0 {
			t.Errorf("a still a ticket after assign (%d tickets)", n)
		}
		if n := len(must[[]Entry](t)(q.Waiting(ctx))); n != 0 {
			t.Errorf("b still waiting after assign (%d)", n)
		}
		noErr(t, q.Assign(ctx, "b", "erika")) // transfer
		if m := must[map[string]string](t)(q.Assigned(ctx)); m["a"] != "erika" || m["b"] != "erika" || len(m) != 2 {
			t.Errorf("assigned = %v", m)
		}
		must[bool](t)(q.Enqueue(ctx, "a", t0.Add(2*time.Hour))) // given back and asked again
		if m := must[map[string]string](t)(q.Assigned(ctx)); m["a"] != "" {
			t.Errorf("a still assigned after enqueue: %v", m)
		}
		noErr(t, q.Drop(ctx, "a"))
		noErr(t, q.Drop(ctx, "b"))
		noErr(t, q.Drop(ctx, "never-there"))
		if w, tk, as := must[[]Entry](t)(q.Waiting(ctx)), must[[]Entry](t)(q.Tickets(ctx)), must[map[string]string](t)(q.Assigned(ctx)); len(w)+len(tk)+len(as) != 0 {
			t.Errorf("after drop: waiting %v tickets %v assigned %v", w, tk, as)
		}
	})

	t.Run("deliver once", func(t *testing.T) {
		q := newQueue(t)
		if es := must[[]Entry](t)(q.Deliver(ctx, "A", 0)); len(es) != 0 {
			t.Fatalf("empty queue delivered %v", es)
		}
		must[bool](t)(q.Enqueue(ctx, "a", t0))
		must[bool](t)(q.Enqueue(ctx, "b", t0))
		gotA := must[[]Entry](t)(q.Deliver(ctx, "A", 0))
		gotB := must[[]Entry](t)(q.Deliver(ctx, "B", 0))
		if ids := sortedIDs(gotA); !slices.Equal(ids, []string{"a", "b"}) || len(gotB) != 0 {
			t.Fatalf("A got %v, B got %v; want A: a b, B: nothing", ids, entryIDs(gotB))
		}
		if gotA[0].StreamID == "" || gotA[0].StreamID == gotA[1].StreamID {
			t.Errorf("stream ids %q %q", gotA[0].StreamID, gotA[1].StreamID)
		}
		if ids := sortedIDs(must[[]Entry](t)(q.Pending(ctx, "A"))); !slices.Equal(ids, []string{"a", "b"}) {
			t.Errorf("A pending = %v", ids)
		}
		noErr(t, q.Drop(ctx, "a"))
		if ids := sortedIDs(must[[]Entry](t)(q.Pending(ctx, "A"))); !slices.Equal(ids, []string{"b"}) {
			t.Errorf("A pending after drop = %v, want b", ids)
		}
		// Enqueued again after a drop: a new entry, delivered again.
		must[bool](t)(q.Enqueue(ctx, "a", t0.Add(time.Minute)))
		if ids := entryIDs(must[[]Entry](t)(q.Deliver(ctx, "B", 0))); !slices.Equal(ids, []string{"a"}) {
			t.Errorf("B got %v after re-enqueue, want a", ids)
		}
	})

	t.Run("deliver blocks until enqueue", func(t *testing.T) {
		q := newQueue(t)
		start := time.Now()
		if es := must[[]Entry](t)(q.Deliver(ctx, "A", 150*time.Millisecond)); len(es) != 0 {
			t.Fatalf("delivered %v", es)
		}
		if d := time.Since(start); d < 100*time.Millisecond {
			t.Errorf("deliver returned after %v, want it to block ~150ms", d)
		}
		done := make(chan []Entry, 1)
		go func() {
			es, err := q.Deliver(ctx, "A", 5*time.Second)
			if err != nil {
				t.Error(err)
			}
			done <- es
		}()
		time.Sleep(50 * time.Millisecond)
		must[bool](t)(q.Enqueue(ctx, "a", t0))
		select {
		case es := <-done:
			if ids := entryIDs(es); !slices.Equal(ids, []string{"a"}) {
				t.Errorf("blocked deliver got %v", ids)
			}
		case <-time.After(3 * time.Second):
			t.Fatal("blocked deliver did not wake on enqueue")
		}
	})

	t.Run("renew and reclaim", func(t *testing.T) {
		q := newQueue(t)
		must[bool](t)(q.Enqueue(ctx, "a", t0))
		must[bool](t)(q.Enqueue(ctx, "b", t0))
		owned := must[[]Entry](t)(q.Deliver(ctx, "A", 0))
		if es := must[[]Entry](t)(q.Reclaim(ctx, "B", time.Hour)); len(es) != 0 {
			t.Fatalf("reclaimed fresh entries %v", entryIDs(es))
		}
		time.Sleep(250 * time.Millisecond)
		// A renews a only; b stays idle.
		var a []Entry
		for _, e := range owned {
			if e.ConversationID == "a" {
				a = append(a, e)
			}
		}
		if kept := must[[]Entry](t)(q.Renew(ctx, "A", a)); len(kept) != 1 {
			t.Fatalf("renew kept %v", entryIDs(kept))
		}
		got := must[[]Entry](t)(q.Reclaim(ctx, "B", 200*time.Millisecond))
		if ids := entryIDs(got); !slices.Equal(ids, []string{"b"}) {
			t.Fatalf("B reclaimed %v, want b (a was renewed)", ids)
		}
		if got[0].StreamID == "" || !got[0].Since.Equal(t0) {
			t.Errorf("reclaimed entry %+v", got[0])
		}
		kept := must[[]Entry](t)(q.Renew(ctx, "A", owned))
		if ids := entryIDs(kept); !slices.Equal(ids, []string{"a"}) {
			t.Errorf("A still owns %v, want a", ids)
		}
		if ids := entryIDs(must[[]Entry](t)(q.Pending(ctx, "B"))); !slices.Equal(ids, []string{"b"}) {
			t.Errorf("B pending %v", ids)
		}
		noErr(t, q.Drop(ctx, "b"))
		if kept := must[[]Entry](t)(q.Renew(ctx, "B", got)); len(kept) != 0 {
			t.Errorf("B still owns dropped entry: %v", entryIDs(kept))
		}
		if kept := must[[]Entry](t)(q.Renew(ctx, "A", nil)); len(kept) != 0 {
			t.Errorf("renew of nothing = %v", kept)
		}
	})

	t.Run("presence", func(t *testing.T) {
		q := newQueue(t)
		if last := must[time.Time](t)(q.LastSeen(ctx)); !last.IsZero() {
			t.Errorf("last seen of nobody = %v", last)
		}
		if came := must[bool](t)(q.Heartbeat(ctx, "erika", t0, t0.Add(-time.Minute))); !came {
			t.Error("first heartbeat did not come online")
		}
		if came := must[bool](t)(q.Heartbeat(ctx, "erika", t0.Add(20*time.Second), t0.Add(-40*time.Second))); came {
			t.Error("second heartbeat came online again")
		}
		if came := must[bool](t)(q.Heartbeat(ctx, "erika", t0.Add(5*time.Minute), t0.Add(4*time.Minute))); !came {
			t.Error("heartbeat after a long gap did not come online")
		}
		must[bool](t)(q.Heartbeat(ctx, "max", t0.Add(time.Minute), t0))
		ps := must[[]Presence](t)(q.Presence(ctx))
		if len(ps) != 2 || ps[0].Caseworker != "max" || !ps[0].Seen.Equal(t0.Add(time.Minute)) || ps[1].Caseworker != "erika" {
			t.Errorf("presence = %+v", ps)
		}
		gone := must[[]string](t)(q.SweepPresence(ctx, t0.Add(2*time.Minute)))
		if !slices.Equal(gone, []string{"max"}) {
			t.Errorf("swept %v, want max", gone)
		}
		if gone := must[[]string](t)(q.SweepPresence(ctx, t0.Add(2*time.Minute))); len(gone) != 0 {
			t.Errorf("second sweep returned %v again", gone)
		}
		if left := must[bool](t)(q.Leave(ctx, "erika")); !left {
			t.Error("leave of an online caseworker = false")
		}
		if left := must[bool](t)(q.Leave(ctx, "erika")); left {
			t.Error("second leave = true")
		}
		if last := must[time.Time](t)(q.LastSeen(ctx)); !last.Equal(t0.Add(5 * time.Minute)) {
			t.Errorf("last seen = %v, want the latest heartbeat even after leaving", last)
		}
	})

	t.Run("waits", func(t *testing.T) {
		q := newQueue(t)
		for i := 1; i <= 5; i++ {
			noErr(t, q.RecordWait(ctx, time.Duration(i)*time.Second, 3))
		}
		got := must[[]time.Duration](t)(q.Waits(ctx))
		if !slices.Equal(got, []time.Duration{5 * time.Second, 4 * time.Second, 3 * time.Second}) {
			t.Errorf("waits = %v, want newest 3", got)
		}
	})
}
