package conversation

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// subscribeTimeout bounds the wait for Redis to confirm a subscription when
// ctx has no deadline.
const subscribeTimeout = 5 * time.Second

// Subscribe implements Bus. All subscriptions of a store share one Redis
// pub/sub connection (10,000 chat sockets need one connection, not 10,000):
// a channel is subscribed when its first local subscriber comes and
// unsubscribed when its last one leaves. Subscribe returns once Redis has
// confirmed the channel, so a payload published after Subscribe returns is
// delivered. go-redis re-connects and re-subscribes by itself after a
// connection loss; each re-subscription reaches the channel's subscribers
// as an empty payload (the catch-up notice). The channel is closed when ctx
// ends or cancel is called; cancel returns after it is closed.
func (r *Redis) Subscribe(ctx context.Context, topic string) (<-chan []byte, func(), error) {
	if err := ctx.Err(); err != nil {
		return nil, nil, fmt.Errorf("conversation: subscribe: %w", err)
	}
	ch := r.channel(topic)
	f := newFeed()
	if err := r.hub.add(ctx, ch, f); err != nil {
		return nil, nil, fail("subscribe", err)
	}
	out := make(chan []byte)
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		defer r.hub.remove(ch, f)
		f.run(out, done, ctx.Done())
	}()
	var once sync.Once
	cancel := func() {
		once.Do(func() { close(done) })
		<-finished
	}
	return out, cancel, nil
}

// hub multiplexes the subscriptions of one store over one pub/sub
// connection.
type hub struct {
	client redis.UniversalClient

	mu      sync.Mutex
	ps      *redis.PubSub // nil while nobody subscribes
	stopped chan struct{} // closed when the reader of ps has finished
	chans   map[string]*hubChannel
}

// hubChannel is one Redis channel and its local subscribers.
type hubChannel struct {
	feeds     map[*feed]struct{}
	confirmed chan struct{} // closed when Redis confirmed the subscription
	ok        bool          // confirmed at least once: later confirmations are re-subscriptions
}

func newHub(client redis.UniversalClient) *hub {
	return &hub{client: client, chans: make(map[string]*hubChannel)}
}

// add registers f for ch, subscribing ch if f is its first subscriber, and
// waits until Redis has confirmed ch.
func (h *hub) add(ctx context.Context, ch string, f *feed) error {
	h.mu.Lock()
	if h.ps == nil {
		h.ps = h.client.Subscribe(context.WithoutCancel(ctx))
		h.stopped = make(chan struct{})
		go h.read(h.ps, h.stopped)
	}
	c := h.chans[ch]
	if c == nil {
		c = &hubChannel{feeds: make(map[*feed]struct{}), confirmed: make(chan struct{})}
		h.chans[ch] = c
		if err := h.ps.Subscribe(context.WithoutCancel(ctx), ch); err != nil {
			delete(h.chans, ch)
			idle := h.detachIfIdle()
			h.mu.Unlock()
			idle.close()
			return err
		}
	}
	c.feeds[f] = struct{}{}
	confirmed := c.confirmed
	h.mu.Unlock()

	wait := ctx
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		wait, cancel = context.WithTimeout(ctx, subscribeTimeout)
		defer cancel()
	}
	select {
	case <-confirmed:
		return nil
	case <-wait.Done():
		h.remove(ch, f)
		return fmt.Errorf("no confirmation for channel %s: %w", ch, wait.Err())
	}
}

// remove unregisters f; the last subscriber of ch unsubscribes it, and the
// last subscriber of all closes the connection.
func (h *hub) remove(ch string, f *feed) {
	h.mu.Lock()
	c := h.chans[ch]
	if c == nil {
		h.mu.Unlock()
		return
	}
	delete(c.feeds, f)
	if len(c.feeds) > 0 {
		h.mu.Unlock()
		return
	}
	delete(h.chans, ch)
	if h.ps != nil && len(h.chans) > 0 {
		// Errors only mean the connection is down; it is re-made without ch.
		_ = h.ps.Unsubscribe(context.Background(), ch)
	}
	idle := h.detachIfIdle()
	h.mu.Unlock()
	idle.close()
}

// idleConn is a connection taken out of the hub, to be closed without
// holding the hub's lock (its reader may be waiting for that lock).
type idleConn struct {
	ps      *redis.PubSub
	stopped chan struct{}
}

// detachIfIdle takes the connection out of the hub when nobody subscribes
// any more. h.mu is held.
func (h *hub) detachIfIdle() idleConn {
	if len(h.chans) > 0 || h.ps == nil {
		return idleConn{}
	}
	c := idleConn{h.ps, h.stopped}
	h.ps, h.stopped = nil, nil
	return c
}

// close closes the connection and waits for its reader.
func (c idleConn) close() {
	if c.ps == nil {
		return
	}
	_ = c.ps.Close()
	<-c.stopped
}

// read dispatches what the connection receives until it is closed.
func (h *hub) read(ps *redis.PubSub, stopped chan struct{}) {
	defer close(stopped)
	ctx := context.Background()
	for {
		msg, err := ps.Receive(ctx)
		if err != nil {
			if errors.Is(err, redis.ErrClosed) {
				return
			}
			// The connection broke: go-redis re-connects and re-subscribes
			// on the next Receive. Don't spin while Redis is away.
			time.Sleep(100 * time.Millisecond)
			continue
		}
		switch m := msg.(type) {
		case *redis.Message:
			h.dispatch(m.Channel, []byte(m.Payload))
		case *redis.Subscription:
			if m.Kind == "subscribe" {
				h.confirm(m.Channel)
			}
		}
	}
}

func (h *hub) dispatch(ch string, payload []byte) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if c := h.chans[ch]; c != nil {
		for f := range c.feeds {
			f.push(append([]byte(nil), payload...)) // each subscriber owns its copy
		}
	}
}

// confirm marks ch subscribed; a confirmation after the first is a
// re-subscription after a reconnect, and its subscribers may have missed
// events: they get the catch-up notice.
func (h *hub) confirm(ch string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	c := h.chans[ch]
	if c == nil {
		return
	}
	if !c.ok {
		c.ok = true
		close(c.confirmed)
		return
	}
	for f := range c.feeds {
		f.push(notice)
	}
}
