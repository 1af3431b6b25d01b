package handoff

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/civibot/civibot/conversation"
	"github.com/civibot/civibot/internal/redistest"
)

// TestRedisQueueSlotMigration moves the queue's slot ({handoff}: the
// stream with its consumer group, the waiting line, entries, tickets,
// assignments, presence, waits) from one master of a three-master Redis
// Cluster to another and back while requests are queued, delivered to a
// watcher, renewed, assigned and dropped: every multi-key script and
// transaction keeps working through ASK, TRYAGAIN and MOVED, and the
// queue ends consistent.
func TestRedisQueueSlotMigration(t *testing.T) {
	ctx := context.Background()
	cl := redistest.StartCluster(t, 3, false)
	// The client serve builds for a cluster.
	rdb, err := conversation.NewRedisClient(conversation.RedisConfig{Addrs: cl.Addrs()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rdb.Close() })
	q, err := NewRedisQueue(rdb, "mig:")
	if err != nil {
		t.Fatal(err)
	}
	slot := cl.Slot(t, "mig:{handoff}:stream")
	from := cl.Owner(slot)

	done := make(chan struct{})
	errs := make(chan error, 4)
	var wg sync.WaitGroup
	for w := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- queueTraffic(ctx, q, w, done)
		}()
	}
	time.Sleep(200 * time.Millisecond)
	if err := cl.MigrateSlot(ctx, slot, from, (from+1)%3, 20*time.Millisecond); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	time.Sleep(200 * time.Millisecond)
	if err := cl.MigrateSlot(ctx, slot, (from+1)%3, (from+2)%3, 20*time.Millisecond); err != nil {
		t.Fatalf("migrate back: %v", err)
	}
	time.Sleep(200 * time.Millisecond)
	close(done)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	waiting, err := q.Waiting(ctx)
	if err != nil || len(waiting) != 0 {
		t.Fatalf("waiting after the traffic: %v, %v", waiting, err)
	}
}

// queueTraffic runs a conversation's way through the queue again and
// again until done: queued, delivered to this worker's watcher, renewed,
// claimed, dropped.
func queueTraffic(ctx context.Context, q *RedisQueue, w int, done <-chan struct{}) error {
	consumer := fmt.Sprintf("watcher%d", w)
	for i := 0; ; i++ {
		select {
		case <-done:
			return nil
		default:
		}
		id := fmt.Sprintf("w%dc%d", w, i)
		if added, err := q.Enqueue(ctx, id, time.Now()); err != nil || !added {
			return fmt.Errorf("%s: enqueue: %v %v", id, added, err)
		}
		if pos, err := q.Position(ctx, id); err != nil || pos < 1 {
			return fmt.Errorf("%s: position %d %v", id, pos, err)
		}
		if _, err := q.Heartbeat(ctx, consumer, time.Now(), time.Now().Add(-time.Minute)); err != nil {
			return fmt.Errorf("%s: heartbeat: %v", id, err)
		}
		if _, err := q.Deliver(ctx, consumer, 10*time.Millisecond); err != nil {
			return fmt.Errorf("%s: deliver: %v", id, err)
		}
		if _, err := q.Pending(ctx, consumer); err != nil {
			return fmt.Errorf("%s: pending: %v", id, err)
		}
		if err := q.Assign(ctx, id, "anna"); err != nil {
			return fmt.Errorf("%s: assign: %v", id, err)
		}
		if a, err := q.Assigned(ctx); err != nil || a[id] != "anna" {
			return fmt.Errorf("%s: assigned %q %v", id, a[id], err)
		}
		if err := q.RecordWait(ctx, time.Second, 20); err != nil {
			return fmt.Errorf("%s: record wait: %v", id, err)
		}
		if err := q.Drop(ctx, id); err != nil {
			return fmt.Errorf("%s: drop: %v", id, err)
		}
		if pos, err := q.Position(ctx, id); err != nil || pos != 0 {
			return fmt.Errorf("%s: position after drop %d %v", id, pos, err)
		}
	}
}
