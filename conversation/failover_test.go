package conversation

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/civibot/civibot/internal/redistest"
	"github.com/civibot/civibot/internal/testtime"
)

// TestSentinelReplicationGap opens the replication gap of a Sentinel
// failover on purpose — the replica stops receiving, the master takes a
// message, then dies — and shows what each setting makes of it:
//   - without WaitReplicas the master acknowledges the message and the
//     promoted replica never had it: an acknowledged message is lost;
//   - with WaitReplicas 1 the append is not acknowledged (ErrUnavailable,
//     the sender retries), and the retry after the failover stores it,
//     once.
func TestSentinelReplicationGap(t *testing.T) {
	ctx := context.Background()
	s := redistest.StartSentinel(t, 1)
	client := redis.NewFailoverClient(&redis.FailoverOptions{
		MasterName: redistest.MasterName, SentinelAddrs: s.Sentinels,
		DialTimeout: time.Second, ReadTimeout: 2 * time.Second, WriteTimeout: 2 * time.Second,
	})
	t.Cleanup(func() { _ = client.Close() })
	plain := NewRedis(client, Options{Prefix: "plain:"})
	safe := NewRedis(client, Options{Prefix: "safe:", WaitReplicas: 1, WaitTimeout: 300 * time.Millisecond})

	for _, st := range []*Redis{plain, safe} {
		if _, err := st.Create(ctx, Conversation{ID: "w1", Channel: ChannelWeb}); err != nil {
			t.Fatal(err)
		}
		if _, _, err := st.Append(ctx, "w1", Message{Role: RoleCitizen, ClientID: "m1", Text: "Erste Frage"}); err != nil {
			t.Fatalf("append before the gap: %v", err)
		}
	}

	// The replica hears nothing more; the master does not notice yet.
	s.Links[0].Cut()
	if _, _, err := plain.Append(ctx, "w1", Message{Role: RoleCitizen, ClientID: "m2", Text: "Zweite Frage"}); err != nil {
		t.Fatalf("without wait_replicas the master acknowledges at once: %v", err)
	}
	start := time.Now()
	_, _, err := safe.Append(ctx, "w1", Message{Role: RoleCitizen, ClientID: "m2", Text: "Zweite Frage"})
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("with wait_replicas 1 and no replica listening: %v, want ErrUnavailable", err)
	}
	if d := time.Since(start); d < 250*time.Millisecond || d > 3*time.Second {
		t.Errorf("the append waited %v for the replica (wait_timeout 300ms)", d)
	}

	s.KillMaster(t)
	killed := time.Now()
	s.WaitFailover(t, 30*time.Second)
	t.Logf("sentinels promoted the replica %v after the master died", time.Since(killed).Round(10*time.Millisecond))

	// The client follows the new master by itself. The message the old
	// master acknowledged alone is gone.
	var msgs []Message
	testtime.WaitFor(t, 20*time.Second, "the client to reach the new master", func() bool {
		msgs, err = plain.Messages(ctx, "w1", 0, 0)
		return err == nil
	})
	if len(msgs) != 1 || msgs[0].ClientID != "m1" {
		t.Fatalf("without wait_replicas after the failover: %+v, want only m1 (m2 lost in the gap)", msgs)
	}
	// The new master has no replica yet: an append is still not
	// acknowledged (the price of wait_replicas with one replica).
	if _, _, err := safe.Append(ctx, "w1", Message{Role: RoleCitizen, ClientID: "m2", Text: "Zweite Frage"}); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("without a replica: %v, want ErrUnavailable", err)
	}
	// The old master comes back; the sentinels make it the new master's
	// replica. The sender, retrying all along, gets its acknowledgement.
	s.Master.Restart(t)
	testtime.WaitFor(t, 30*time.Second, "the old master to replicate the new one", func() bool {
		_, _, err = safe.Append(ctx, "w1", Message{Role: RoleCitizen, ClientID: "m2", Text: "Zweite Frage"})
		return err == nil
	})
	t.Logf("wait_replicas acknowledged again %v after the master died", time.Since(killed).Round(10*time.Millisecond))
	// Another retry gets the stored message back, not a second copy. Its
	// WAIT may time out too while the fresh replica still catches up (a
	// full -race run under load showed it): the sender retries until
	// acknowledged, and the message is still stored once.
	var dup bool
	testtime.WaitFor(t, 10*time.Second, "the second retry to be acknowledged", func() bool {
		_, dup, err = safe.Append(ctx, "w1", Message{Role: RoleCitizen, ClientID: "m2", Text: "Zweite Frage"})
		return err == nil || !errors.Is(err, ErrUnavailable)
	})
	if err != nil || !dup {
		t.Fatalf("second retry: dup %v, %v; want the stored message", dup, err)
	}
	msgs, err = safe.Messages(ctx, "w1", 0, 0)
	if err != nil || len(msgs) != 2 || msgs[1].ClientID != "m2" || msgs[1].Seq != 2 {
		t.Fatalf("with wait_replicas after the failover: %+v, %v; want m1 and m2", msgs, err)
	}
}
