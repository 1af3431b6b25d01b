package conversation

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/civibot/civibot/internal/redistest"
)

// TestClusterSlotMigration runs conversations on a Redis Cluster of three
// masters with a replica each while the slots holding them move to
// another master, key by key: every operation — the create, append and
// delete scripts, Update's WATCH/MULTI, the Messages transaction,
// SetFeedback over two keys, List and Purge across slots — keeps working
// through the ASK redirects and TRYAGAIN answers of a split slot and the
// MOVED answers after it, and every conversation ends complete and in
// order.
func TestClusterSlotMigration(t *testing.T) {
	ctx := context.Background()
	cl := redistest.StartCluster(t, 3, true)
	// The client serve builds for a cluster.
	rdb, err := NewRedisClient(RedisConfig{Addrs: cl.Addrs()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rdb.Close() })
	st := NewRedis(rdb, Options{Prefix: "mig:"})

	// Conversations on the first master, which gives its slots away.
	var ids []string
	slots := map[int]bool{}
	for i := 0; len(ids) < 8; i++ {
		id := fmt.Sprintf("wmig%d", i)
		slot := cl.Slot(t, "mig:{c:"+id+"}:conv")
		if cl.Owner(slot) != 0 {
			continue
		}
		ids = append(ids, id)
		slots[slot] = true
		if _, err := st.Create(ctx, Conversation{ID: id, Channel: ChannelWeb}); err != nil {
			t.Fatal(err)
		}
	}

	const rounds = 40
	var wg sync.WaitGroup
	errs := make(chan error, len(ids))
	done := make(chan struct{})
	for _, id := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- converse(ctx, st, id, rounds, done)
		}()
	}
	// Move every slot in use to the second master, then half back to the
	// third, while the conversations go on.
	n := 0
	for slot := range slots {
		to := 1 + n%2
		if err := cl.MigrateSlot(ctx, slot, 0, to, 15*time.Millisecond); err != nil {
			t.Fatalf("migrate slot %d: %v", slot, err)
		}
		n++
	}
	t.Logf("moved %d slots during traffic", n)
	close(done)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	// Across slots: List sees all, Purge of nothing old removes nothing.
	list, err := st.List(ctx, time.Time{}, 0)
	if err != nil || len(list) != len(ids) {
		t.Fatalf("list after the migration: %d conversations, %v", len(list), err)
	}
	if n, err := st.Purge(ctx, time.Now().Add(-time.Hour)); err != nil || n != 0 {
		t.Fatalf("purge: %d, %v", n, err)
	}
	for _, id := range ids {
		if err := st.Delete(ctx, id); err != nil {
			t.Fatalf("delete %s: %v", id, err)
		}
	}
}

// converse appends, updates, reads and rates in one conversation until
// rounds are done and done is closed, checking every answer.
func converse(ctx context.Context, st *Redis, id string, rounds int, done <-chan struct{}) error {
	for r := 0; ; r++ {
		select {
		case <-done:
			if r >= rounds {
				return nil
			}
		default:
		}
		cid := fmt.Sprintf("c%d", r)
		m, dup, err := st.Append(ctx, id, Message{Role: RoleCitizen, ClientID: cid, Text: "Frage " + cid})
		if err != nil || dup || m.Seq != int64(2*r+1) {
			return fmt.Errorf("%s round %d: append: seq %d dup %v %v", id, r, m.Seq, dup, err)
		}
		if _, _, err := st.Append(ctx, id, Message{Role: RoleBot, Text: "Antwort " + cid}); err != nil {
			return fmt.Errorf("%s round %d: append bot: %v", id, r, err)
		}
		if _, err := st.Update(ctx, id, func(c *Conversation) error { c.Language = fmt.Sprint("de", r%2); return nil }); err != nil {
			return fmt.Errorf("%s round %d: update: %v", id, r, err)
		}
		if err := st.SetFeedback(ctx, id, int64(2*r+2), 1); err != nil {
			return fmt.Errorf("%s round %d: feedback: %v", id, r, err)
		}
		msgs, err := st.Messages(ctx, id, 0, 0)
		if err != nil || len(msgs) != 2*r+2 {
			return fmt.Errorf("%s round %d: messages: %d, %v", id, r, len(msgs), err)
		}
		for i, m := range msgs {
			if m.Seq != int64(i+1) {
				return fmt.Errorf("%s round %d: message %d has seq %d", id, r, i, m.Seq)
			}
		}
		if _, dup, err := st.Append(ctx, id, Message{Role: RoleCitizen, ClientID: cid, Text: "Frage " + cid}); err != nil || !dup {
			return fmt.Errorf("%s round %d: resend: dup %v %v", id, r, dup, err)
		}
	}
}
