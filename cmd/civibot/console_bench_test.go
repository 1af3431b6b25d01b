package main

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/civibot/civibot/conversation"
	"github.com/civibot/civibot/internal/redistest"
)

// seenLog records when each console's live socket first listed a
// conversation as waiting.
type seenLog struct {
	mu   sync.Mutex
	at   map[string]time.Time
	wake chan struct{}
	err  error
	last liveFrame
	n    int
}

func watchQueue(b *testing.B, cw *caseworker) *seenLog {
	s := &seenLog{at: map[string]time.Time{}, wake: make(chan struct{}, 1)}
	_ = cw.live.SetReadDeadline(time.Time{}) // until() set one
	go func() {
		for {
			var f liveFrame
			if err := cw.live.ReadJSON(&f); err != nil {
				s.mu.Lock()
				s.err = err
				s.mu.Unlock()
				return
			}
			s.mu.Lock()
			s.last, s.n = f, s.n+1
			s.mu.Unlock()
			if f["type"] != "queue" {
				continue
			}
			now := time.Now()
			s.mu.Lock()
			for _, id := range ids(f, "waiting") {
				if _, ok := s.at[id]; !ok {
					s.at[id] = now
				}
			}
			s.mu.Unlock()
			select {
			case s.wake <- struct{}{}:
			default:
			}
		}
	}()
	return s
}

func (s *seenLog) wait(b *testing.B, id, console string, cit *citizen) time.Time {
	deadline := time.After(10 * time.Second)
	for {
		s.mu.Lock()
		at, ok := s.at[id]
		s.mu.Unlock()
		if ok {
			return at
		}
		select {
		case <-s.wake:
		case <-deadline:
			var frames []chatFrame
			_ = cit.ws.SetReadDeadline(time.Now().Add(time.Second))
			for {
				var f chatFrame
				if err := cit.ws.ReadJSON(&f); err != nil {
					break
				}
				frames = append(frames, f)
			}
			s.mu.Lock()
			defer s.mu.Unlock()
			b.Fatalf("%s never showed up in the console on %s (socket error %v, %d frames, last %v); the citizen got %+v", id, console, s.err, s.n, s.last, frames)
		}
	}
}

// BenchmarkHandoffVisibleInConsoles measures, across two civibot instances
// on one Redis, the time from a citizen on instance A pressing "talk to a
// person" (the person frame on the web chat socket) until the
// conversation is listed as waiting in the live queue of the console on
// instance B, and in both consoles (A's and B's). Each handoff is closed
// from B's console before the next. queue=N: N other citizens are waiting
// all along (every queue frame lists them). Run:
//
//	go test -run '^$' -bench HandoffVisibleInConsoles -benchtime 1000x ./cmd/civibot/
func BenchmarkHandoffVisibleInConsoles(b *testing.B) {
	for _, waiting := range []int{0, 50} {
		b.Run(fmt.Sprintf("queue=%d", waiting), func(b *testing.B) { benchHandoffVisible(b, waiting) })
	}
}

func benchHandoffVisible(b *testing.B, waiting int) {
	rs := redistest.Start(b)
	addUser(b, rs.URL(), "anna", "Anna Schmidt", false)
	addUser(b, rs.URL(), "bob", "Bob Berger", false)
	a := startInstance(b, testConfig(b, rs.URL()))
	bb := startInstance(b, testConfig(b, rs.URL()))
	anna := loginCaseworker(b, a.url, "anna", casePassword)
	anna.connect()
	bob := loginCaseworker(b, bb.url, "bob", casePassword)
	bob.connect()
	seenA, seenB := watchQueue(b, anna), watchQueue(b, bob)
	for range waiting {
		c := dialCitizen(b, a.url, "", 0, nil)
		c.send(map[string]any{"type": "person", "id": "p1"})
		c.until("handoff", func(f chatFrame) bool { return f.Status == "waiting" })
		c.ws.Close()
	}

	toB := make([]time.Duration, 0, b.N)
	toAll := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		cit := dialCitizen(b, a.url, "", 0, nil)
		b.StartTimer()
		start := time.Now()
		cit.send(map[string]any{"type": "person", "id": "p1"})
		id := conversation.WebID(cit.token)
		atB := seenB.wait(b, id, "B", cit)
		atA := seenA.wait(b, id, "A", cit)
		b.StopTimer()
		toB = append(toB, atB.Sub(start))
		toAll = append(toAll, max(atA.Sub(start), atB.Sub(start)))
		if code, body := bob.do("POST", "/console/api/conversations/"+id+"/close", map[string]string{"outcome": "other"}); code != 200 {
			b.Fatalf("close: %d %v", code, body)
		}
		cit.ws.Close()
		b.StartTimer()
	}
	b.StopTimer()
	report := func(name string, lat []time.Duration) {
		slices.Sort(lat)
		p := func(q float64) time.Duration { return lat[min(len(lat)-1, int(q*float64(len(lat))))] }
		b.ReportMetric(float64(p(0.50).Microseconds())/1000, name+"_p50_ms")
		b.ReportMetric(float64(p(0.99).Microseconds())/1000, name+"_p99_ms")
		b.ReportMetric(float64(lat[len(lat)-1].Microseconds())/1000, name+"_max_ms")
		b.Logf("%s: %d handoffs, p50 %v, p99 %v, max %v", name, len(lat), p(0.50), p(0.99), lat[len(lat)-1])
	}
	report("B", toB)
	report("all", toAll)
}
