package conversation

import (
	"fmt"
	"testing"
)

func TestFeedQueue(t *testing.T) {
	// drain pops everything and renders payloads, "!" for a notice.
	drain := func(q *feedQueue) []string {
		var out []string
		for {
			p, ok := q.next()
			if !ok {
				return out
			}
			q.pop()
			if len(p) == 0 {
				out = append(out, "!")
			} else {
				out = append(out, string(p))
			}
		}
	}
	t.Run("order and notices", func(t *testing.T) {
		var q feedQueue
		q.push([]byte("a"))
		q.push(nil)
		q.push([]byte{}) // a second notice in a row is folded
		q.push([]byte("b"))
		q.push(nil)
		if got := fmt.Sprint(drain(&q)); got != "[a ! b !]" {
			t.Fatalf("got %s", got)
		}
	})
	t.Run("overflow", func(t *testing.T) {
		var q feedQueue
		for i := range subscriberQueue + 10 {
			q.push(fmt.Appendf(nil, "%d", i))
		}
		got := drain(&q)
		if len(got) != subscriberQueue+1 || got[0] != "0" || got[subscriberQueue-1] != fmt.Sprint(subscriberQueue-1) || got[subscriberQueue] != "!" {
			t.Fatalf("got %d items ending %v, want %d payloads then one notice", len(got), got[len(got)-2:], subscriberQueue)
		}
		// After the notice, delivery resumes.
		q.push([]byte("next"))
		if got := fmt.Sprint(drain(&q)); got != "[next]" {
			t.Fatalf("after overflow: %s", got)
		}
	})
	t.Run("payloads while behind are dropped", func(t *testing.T) {
		var q feedQueue
		for i := range subscriberQueue + 1 {
			q.push(fmt.Appendf(nil, "%d", i))
		}
		q.pop()                // the subscriber took one …
		q.push([]byte("late")) // … but is still behind: covered by the notice
		got := drain(&q)
		if got[len(got)-1] != "!" || got[len(got)-2] == "late" {
			t.Fatalf("tail %v, want the notice last and no late payload", got[len(got)-2:])
		}
	})
}
