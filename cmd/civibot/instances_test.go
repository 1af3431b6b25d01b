package main

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/civibot/civibot/conversation"
	"github.com/civibot/civibot/internal/redistest"
	"github.com/civibot/civibot/internal/testtime"
)

// TestConsoleTwoInstances runs two complete civibot servers on one real
// Redis: a citizen on instance A, caseworkers on A and B. It covers the
// handoff becoming visible across instances, a claim race, messages both
// ways, Redis going away and coming back, and instance A dying
// mid-handoff.
func TestConsoleTwoInstances(t *testing.T) {
	rs := redistest.Start(t)
	addUser(t, rs.URL(), "anna", "Anna Schmidt", false)
	addUser(t, rs.URL(), "bob", "Bob Berger", false)
	a := startInstance(t, testConfig(t, rs.URL()))
	b := startInstance(t, testConfig(t, rs.URL()))

	// Anna works on A, Bob on B; their consoles are open (so they are online).
	anna := loginCaseworker(t, a.url, "anna", casePassword)
	anna.connect()
	bob := loginCaseworker(t, b.url, "bob", casePassword)
	bob.connect()
	bob.until("queue", func(f liveFrame) bool { return len(f["online"].([]any)) == 2 })

	// A citizen on A asks something, then for a person.
	cit := dialCitizen(t, a.url, "", 0, nil)
	cit.send(map[string]any{"type": "message", "id": "m1", "text": "Ich habe eine Frage zu meinem Bescheid"})
	cit.until("message", func(f chatFrame) bool { return f.Message.Role == "bot" })
	triggered := time.Now()
	cit.send(map[string]any{"type": "person", "id": "p1"})
	cit.until("handoff", func(f chatFrame) bool { return f.Status == "waiting" })
	id := conversation.WebID(cit.token)

	// Both consoles see it: Bob's on the other instance too.
	q := bob.until("queue", func(f liveFrame) bool { return contains(ids(f, "waiting"), id) })
	t.Logf("handoff visible in the console on B after %v", time.Since(triggered))
	w := q["waiting"].([]any)[0].(map[string]any)
	if w["channel"] != "web" || w["language"] != "de" || w["reason"] == "" || w["position"] != float64(1) || w["since"] == nil {
		t.Errorf("waiting entry on B = %v", w)
	}
	anna.until("queue", func(f liveFrame) bool { return contains(ids(f, "waiting"), id) })

	// Anna (A) and Bob (B) claim at the same moment: exactly one wins.
	var wg sync.WaitGroup
	codes := map[string]int{}
	var mu sync.Mutex
	start := make(chan struct{})
	for name, cw := range map[string]*caseworker{"anna": anna, "bob": bob} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			code, _ := cw.do("POST", "/console/api/conversations/"+id+"/claim", nil)
			mu.Lock()
			codes[name] = code
			mu.Unlock()
		}()
	}
	close(start)
	wg.Wait()
	if !(codes["anna"] == 200 && codes["bob"] == http.StatusConflict || codes["bob"] == 200 && codes["anna"] == http.StatusConflict) {
		t.Fatalf("claim race: %v, want one 200 and one 409", codes)
	}
	if codes["anna"] == 200 {
		// Anna hands it to Bob on the other instance.
		if code, body := anna.do("POST", "/console/api/conversations/"+id+"/transfer", map[string]string{"to": "bob"}); code != 200 {
			t.Fatalf("transfer to bob: %d %v", code, body)
		}
	}
	t.Logf("claim race: %v", codes)
	cit.until("handoff", func(f chatFrame) bool { return f.Status == "claimed" })
	bob.until("queue", func(f liveFrame) bool { return contains(ids(f, "mine"), id) })

	// Bob follows the conversation and answers from B: the citizen on A
	// gets it, marked as from a person, under Bob's display name.
	bob.send(map[string]any{"type": "open", "id": id, "after": 0})
	bob.until("messages", func(f liveFrame) bool { return f["replay"] == true })
	if code, body := bob.do("POST", "/console/api/conversations/"+id+"/reply", map[string]string{"text": "Guten Tag, hier ist Bob vom Bürgeramt."}); code != 200 || body["delivered"] != true {
		t.Fatalf("reply: %d %v", code, body)
	}
	f := cit.until("message", func(f chatFrame) bool { return f.Message.Role == "caseworker" })
	if f.Message.Text != "Guten Tag, hier ist Bob vom Bürgeramt." || f.Message.Author != "Bob Berger" {
		t.Errorf("the citizen got %+v", f.Message)
	}
	// The citizen writes on A: Bob's console on B shows it.
	cit.send(map[string]any{"type": "message", "id": "m2", "text": "Danke! Mein Aktenzeichen ist 4711."})
	bob.until("messages", func(f liveFrame) bool { return hasMessage(f, "citizen", "Danke! Mein Aktenzeichen ist 4711.") })

	// Redis goes away mid-conversation: clear errors everywhere.
	rs.Stop(t)
	cit.send(map[string]any{"type": "message", "id": "m3", "text": "Sind Sie noch da?"})
	if e := cit.until("error", func(f chatFrame) bool { return f.Ref == "m3" }); e.Code != "unavailable" || !e.Retry {
		t.Errorf("citizen error while Redis is down: %+v", e)
	}
	code, body := bob.do("POST", "/console/api/conversations/"+id+"/reply", map[string]string{"text": "Ja, ich bin noch da."})
	if code != http.StatusServiceUnavailable || body["error"] != "unavailable" {
		t.Errorf("reply while Redis is down: %d %v", code, body)
	}
	bob.send(map[string]string{"type": "heartbeat"})
	if e := bob.until("error", nil); e["code"] != "unavailable" || e["retry"] != true {
		t.Errorf("console error while Redis is down: %v", e)
	}
	if code := getCode(t, b.url+"/readyz"); code != http.StatusServiceUnavailable {
		t.Errorf("readyz while Redis is down: %d", code)
	}

	// Redis comes back: the console recovers by itself; the citizen resends
	// the same frame and Bob his reply; everything arrives once.
	rs.Restart(t)
	testtime.WaitFor(t, 15*time.Second, "ready again", func() bool { return getCode(t, b.url+"/readyz") == 200 && getCode(t, a.url+"/readyz") == 200 })
	bob.until("recovered", nil)
	cit.send(map[string]any{"type": "message", "id": "m3", "text": "Sind Sie noch da?"})
	bob.until("messages", func(f liveFrame) bool { return hasMessage(f, "citizen", "Sind Sie noch da?") })
	if code, body := bob.do("POST", "/console/api/conversations/"+id+"/reply", map[string]string{"text": "Ja, ich bin noch da."}); code != 200 {
		t.Fatalf("reply after Redis came back: %d %v", code, body)
	}
	cit.until("message", func(f chatFrame) bool { return f.Message.Text == "Ja, ich bin noch da." })

	// A second citizen on A is waiting when A dies.
	cit2 := dialCitizen(t, a.url, "", 0, nil)
	cit2.send(map[string]any{"type": "person", "id": "p1"})
	cit2.until("handoff", func(f chatFrame) bool { return f.Status == "waiting" })
	id2 := conversation.WebID(cit2.token)
	bob.until("queue", func(f liveFrame) bool { return contains(ids(f, "waiting"), id2) })

	// Instance A dies mid-handoff: its connections drop without a word.
	killed := time.Now()
	a.kill()
	_ = cit.ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	for {
		var fr chatFrame
		if err := cit.ws.ReadJSON(&fr); err != nil {
			break
		}
		if fr.Type == "server_shutdown" {
			t.Error("a killed instance said goodbye")
		}
	}

	// Bob answers while the citizen is away; the citizen reconnects to B
	// and resumes: the answer is in the backlog.
	if code, body := bob.do("POST", "/console/api/conversations/"+id+"/reply", map[string]string{"text": "Ich schicke Ihnen das Formular."}); code != 200 {
		t.Fatalf("reply while the citizen is away: %d %v", code, body)
	}
	cit = dialCitizen(t, b.url, cit.token, cit.lastSeq, cit)
	if got := cit.texts[cit.lastSeq]; got != "caseworker:Ich schicke Ihnen das Formular." {
		t.Errorf("after resuming on B the last message is %q", got)
	}
	cit.send(map[string]any{"type": "message", "id": "m4", "text": "Danke, bis bald"})
	bob.until("messages", func(f liveFrame) bool { return hasMessage(f, "citizen", "Danke, bis bald") })
	cit.until("message", func(f chatFrame) bool { return f.Message.Text == "Danke, bis bald" })

	// The waiting conversation and its queue entry survived; B's watcher
	// takes the entry over from the dead instance.
	if code, q := bob.do("GET", "/console/api/queue", nil); code != 200 || !contains(ids(q, "waiting"), id2) {
		t.Fatalf("queue on B after A died: %d %v", code, q)
	}
	rdb := rs.Client(t)
	testtime.WaitFor(t, 10*time.Second, "no stream entry left with the dead instance", func() bool {
		if time.Since(killed) < 1500*time.Millisecond { // handoff.reclaim_after is 1s
			return false
		}
		pending, err := rdb.XPendingExt(context.Background(), &redis.XPendingExtArgs{
			Stream: "civibot:{handoff}:stream", Group: "desk", Start: "-", End: "+", Count: 100,
		}).Result()
		if err != nil || len(pending) == 0 {
			return false
		}
		for _, p := range pending {
			if p.Idle > time.Second {
				return false
			}
		}
		return true
	})
	if code, body := bob.do("POST", "/console/api/conversations/"+id2+"/claim", nil); code != 200 {
		t.Fatalf("claim on B after A died: %d %v", code, body)
	}
	cit2 = dialCitizen(t, b.url, cit2.token, cit2.lastSeq, cit2)
	cit2.until("handoff", func(f chatFrame) bool { return f.Status == "claimed" })

	// Nothing lost, nothing twice: the stored transcript has seqs 1…n, the
	// resent message once, and the citizen saw every visible message once.
	code, tr := bob.do("GET", "/console/api/conversations/"+id, nil)
	if code != 200 {
		t.Fatalf("transcript: %d", code)
	}
	count := map[string]int{}
	var visible []int64
	for i, m := range tr["messages"].([]any) {
		mm := m.(map[string]any)
		seq := int64(mm["seq"].(float64))
		if seq != int64(i+1) {
			t.Errorf("stored message %d has seq %d", i, seq)
		}
		count[mm["role"].(string)+":"+mm["text"].(string)]++
		if mm["role"] != "note" {
			visible = append(visible, seq)
		}
	}
	for _, text := range []string{"citizen:Sind Sie noch da?", "caseworker:Ja, ich bin noch da.", "citizen:Danke! Mein Aktenzeichen ist 4711."} {
		if count[text] != 1 {
			t.Errorf("%q stored %d times", text, count[text])
		}
	}
	if !slices.Equal(cit.seen, visible) {
		t.Errorf("the citizen saw seqs %v, the transcript has %v", cit.seen, visible)
	}

	// No personal data in either instance's log.
	for name, in := range map[string]*instance{"A": a, "B": b} {
		logs := in.logs.String()
		for _, secret := range []string{"Aktenzeichen", "Sind Sie noch da", "Bescheid", "Bob Berger", "Anna Schmidt", casePassword} {
			if strings.Contains(logs, secret) {
				t.Errorf("instance %s logged %q", name, secret)
			}
		}
	}
}
