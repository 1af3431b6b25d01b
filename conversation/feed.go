package conversation

import "sync"

// subscriberQueue is how many payloads a subscriber may fall behind before
// events are dropped in favour of one catch-up notice.
const subscriberQueue = 256

// notice is the empty payload that tells a subscriber to catch up from the
// store (see Bus.Subscribe).
var notice = []byte{}

// feedQueue buffers payloads for one subscriber. When it is full, further
// payloads are dropped until the queue has drained; then one notice is
// delivered, so the subscriber knows to re-read the store. A publisher is
// therefore never blocked by a slow subscriber, and nothing is lost for a
// subscriber that catches up on notices.
type feedQueue struct {
	items    [][]byte
	overflow bool // payloads were dropped: a notice is due once items drain
}

func (q *feedQueue) push(p []byte) {
	if q.overflow {
		return // the pending notice covers p
	}
	if len(p) == 0 {
		if n := len(q.items); n > 0 && len(q.items[n-1]) == 0 {
			return // one notice in a row is enough
		}
		p = notice
	}
	if len(q.items) >= subscriberQueue {
		q.overflow = true
		return
	}
	q.items = append(q.items, p)
}

func (q *feedQueue) next() ([]byte, bool) {
	if len(q.items) > 0 {
		return q.items[0], true
	}
	if q.overflow {
		return notice, true
	}
	return nil, false
}

func (q *feedQueue) pop() {
	if len(q.items) > 0 {
		q.items[0] = nil
		q.items = q.items[1:]
		return
	}
	q.overflow = false
}

// feed is a feedQueue that publishers push to directly (never blocking)
// and one goroutine (run) drains to a subscriber.
type feed struct {
	mu   sync.Mutex
	q    feedQueue
	wake chan struct{}
}

func newFeed() *feed { return &feed{wake: make(chan struct{}, 1)} }

func (f *feed) push(p []byte) {
	f.mu.Lock()
	f.q.push(p)
	f.mu.Unlock()
	select {
	case f.wake <- struct{}{}:
	default:
	}
}

// run delivers to out until done or ctxDone is closed; then it closes out.
// The head is taken out of the queue before it is sent, so a payload pushed
// while a notice is on its way is queued after it, not dropped.
func (f *feed) run(out chan<- []byte, done, ctxDone <-chan struct{}) {
	defer close(out)
	var next []byte
	have := false
	for {
		if !have {
			f.mu.Lock()
			if next, have = f.q.next(); have {
				f.q.pop()
			}
			f.mu.Unlock()
		}
		var send chan<- []byte
		if have {
			send = out
		}
		select {
		case send <- next:
			next, have = nil, false
		case <-f.wake:
		case <-done:
			return
		case <-ctxDone:
			return
		}
	}
}
