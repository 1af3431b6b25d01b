package main

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/civibot/civibot/conversation"
	"github.com/civibot/civibot/internal/redistest"
	"github.com/civibot/civibot/internal/testtime"
)

// TestSentinelFailover runs civibot on Redis Sentinel (a master, two
// replicas, three sentinels; redis.wait_replicas 1) and kills the master
// while a citizen writes and a caseworker answers. The citizen sees error
// frames with retry and resends; the caseworker sees 503 "unavailable"
// and retries; the instance finds the new master by itself (no restart,
// /readyz is 200 again); every message acknowledged before, during and
// after the failover is stored once.
func TestSentinelFailover(t *testing.T) {
	ctx := context.Background()
	s := redistest.StartSentinel(t, 2)
	addUser(t, "redis://"+s.Master.Addr+"/0", "anna", "Anna Schmidt", false)
	cfg := testConfig(t, "")
	cfg.Redis.Addrs, cfg.Redis.MasterName = s.Sentinels, redistest.MasterName
	cfg.Redis.WaitReplicas, cfg.Redis.WaitTimeout = 1, 500*time.Millisecond
	cfg.Metrics.Token = "metrics-token-0123456789"
	// The citizen resends every 300 ms while the store is away (the widget
	// waits retry_after_ms, 2 s): no rate limit in the way of the figure.
	cfg.Webchat.MessagesPerMinute, cfg.Webchat.MessageBurst = 6000, 1000
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	in := startInstance(t, cfg)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("instance log:\n%s", in.logs.String())
		}
	})

	anna := loginCaseworker(t, in.url, "anna", casePassword)
	anna.connect()
	anna.until("queue", func(f liveFrame) bool { return len(f["online"].([]any)) == 1 }) // online before the citizen asks
	cit := dialCitizen(t, in.url, "", 0, nil)
	cit.send(map[string]any{"type": "person", "id": "p1"})
	cit.until("handoff", func(f chatFrame) bool { return f.Status == "waiting" })
	id := conversation.WebID(cit.token)
	if code, body := anna.do("POST", "/console/api/conversations/"+id+"/claim", nil); code != 200 {
		t.Fatalf("claim: %d %v", code, body)
	}

	// ask sends a message until it is echoed; it returns the error frames
	// the citizen saw on the way.
	var acked []string
	ask := func(i int) []chatFrame {
		cid := fmt.Sprintf("m%d", i)
		var errs []chatFrame
		for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); {
			cit.send(map[string]any{"type": "message", "id": cid, "text": fmt.Sprintf("Nachricht %d", i)})
			f := cit.echoOrError(cid)
			if f.Type == "message" {
				acked = append(acked, cid)
				return errs
			}
			errs = append(errs, f)
			time.Sleep(300 * time.Millisecond)
		}
		t.Fatalf("%s was never acknowledged (errors: %+v)\n%s", cid, errs, in.logs.String())
		return nil
	}
	for i := range 5 {
		if errs := ask(i); len(errs) > 0 {
			t.Fatalf("before the failover: %+v", errs)
		}
	}

	s.KillMaster(t)
	killed := time.Now()
	// The caseworker answers now: the store is away.
	code, body := anna.do("POST", "/console/api/conversations/"+id+"/reply", map[string]string{"text": "Einen Moment bitte.", "client_id": "r1"})
	if code != http.StatusServiceUnavailable || body["error"] != "unavailable" {
		t.Errorf("caseworker reply while the master is gone: %d %v, want 503 unavailable", code, body)
	}
	// The citizen writes now: error frames with retry, until it is through.
	errs := ask(5)
	resumed := time.Since(killed)
	if len(errs) == 0 {
		t.Errorf("a message right after the master died was acknowledged at once (%v)", resumed)
	}
	for _, e := range errs {
		if e.Code != "unavailable" || !e.Retry {
			t.Errorf("citizen error during the failover: %+v, want unavailable with retry", e)
		}
	}
	for i := 6; i < 10; i++ {
		if errs := ask(i); len(errs) > 0 {
			t.Errorf("after the failover: %+v", errs)
		}
	}
	// The caseworker's retry of the same reply goes through, once.
	testtime.WaitFor(t, 30*time.Second, "the caseworker's reply to go through", func() bool {
		code, _ := anna.do("POST", "/console/api/conversations/"+id+"/reply", map[string]string{"text": "Einen Moment bitte.", "client_id": "r1"})
		return code == 200
	})
	cit.until("message", func(f chatFrame) bool { return f.Message.Role == "caseworker" })
	if code := getCode(t, in.url+"/readyz"); code != 200 {
		t.Errorf("readyz after the failover: %d", code)
	}
	promoted := s.WaitFailover(t, 10*time.Second)

	// Everything acknowledged is on the new master, once.
	rdb := redis.NewClient(&redis.Options{Addr: promoted.Addr})
	defer rdb.Close()
	msgs, err := conversation.NewRedis(rdb, conversation.Options{}).Messages(ctx, id, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	stored, replies := map[string]int{}, 0
	for _, m := range msgs {
		if m.Role == conversation.RoleCitizen {
			stored[m.ClientID]++
		}
		if m.Role == conversation.RoleCaseworker {
			replies++
		}
	}
	lost := 0
	for _, cid := range acked {
		switch stored[cid] {
		case 0:
			lost++
			t.Errorf("%s was acknowledged but is not stored", cid)
		case 1:
		default:
			t.Errorf("%s is stored %d times", cid, stored[cid])
		}
	}
	if replies != 1 {
		t.Errorf("%d caseworker replies stored, want 1", replies)
	}
	t.Logf("failover: service resumed %.1fs after the master was killed (%d error frames); %d messages acknowledged, %d lost",
		resumed.Seconds(), len(errs), len(acked), lost)
}

// echoOrError reads frames until the echo of the message cid or an error
// frame about it (message frames checked as until checks them).
func (c *citizen) echoOrError(cid string) chatFrame {
	c.t.Helper()
	for {
		f := c.until("", nil)
		if f.Type == "message" && f.Message.ClientID == cid || f.Type == "error" && f.Ref == cid {
			return f
		}
	}
}
