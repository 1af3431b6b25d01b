package webchat

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/gorilla/websocket"

	"github.com/civibot/civibot/conversation"
	"github.com/civibot/civibot/dialog"
)

// errClosed ends the writer after a close frame was sent on purpose.
var errClosed = errors.New("webchat: connection closed")

// Timeouts of the writer's own store reads and of closing.
const (
	storeTimeout = 5 * time.Second
	closeLinger  = time.Second
	retryMin     = 500 * time.Millisecond
	retryMax     = 10 * time.Second
)

// follower is the writer's state: which conversation it follows and what
// it has sent. Only the writer goroutine touches it.
type follower struct {
	c *conn

	id       string
	lastSent int64 // the client has every visible message up to here
	existed  bool  // the conversation exists (so a NotFound means deleted)
	status   conversation.Status

	nudges    <-chan struct{}
	stopWatch func()
	needWatch bool

	queue     <-chan struct{}
	stopQueue func()
	// queueCheck re-reads the position while waiting, in case the bus
	// lost a queue event (delivery is at most once).
	queueCheck *time.Ticker
	queueTick  <-chan time.Time

	// typing follows the caseworker's typing in the console; typingOff
	// ends the indicator when no signal came for a while.
	typing     <-chan struct{}
	stopTyping func()
	typingOff  *time.Timer
	typingOn   bool

	handoff     handoffFrame
	sentHandoff bool

	retry   *time.Timer
	retryC  <-chan time.Time
	backoff time.Duration

	names map[string]string // caseworker username → display name
}

func (c *conn) writeLoop() {
	defer close(c.writerDone)
	f := &follower{c: c, typingOff: time.NewTimer(time.Hour)}
	f.typingOff.Stop()
	defer f.stopAll()
	ping := time.NewTicker(c.h.cfg.PingInterval)
	defer ping.Stop()

	err := f.loop(ping.C)
	code, text := 0, ""
	switch {
	case errors.Is(err, errClosed):
		// the close frame was written; wait for the client's answer below
	case c.draining.Load():
		code, text = closeServiceRestart, "server restarting"
	}
	f.closeSocket(code, text, err)
}

func (f *follower) loop(ping <-chan time.Time) error {
	c := f.c
	for {
		select {
		case it := <-c.out:
			if err := f.item(it); err != nil {
				return err
			}
		case _, ok := <-f.nudges:
			if !ok {
				f.nudges, f.needWatch = nil, true
				f.scheduleRetry()
				continue
			}
			if err := f.catchUp(); err != nil {
				return err
			}
		case _, ok := <-f.typing:
			if !ok {
				f.typing = nil // best effort: no retry
				continue
			}
			if err := f.caseworkerTyping(true); err != nil {
				return err
			}
		case <-f.typingOff.C:
			if err := f.caseworkerTyping(false); err != nil {
				return err
			}
		case <-f.queueTick:
			if err := f.refreshQueue(); err != nil {
				return err
			}
		case _, ok := <-f.queue:
			if !ok {
				f.queue = nil
				f.scheduleRetry()
				continue
			}
			if err := f.refreshQueue(); err != nil {
				return err
			}
		case <-f.retryC:
			f.retryC = nil
			if err := f.retryNow(); err != nil {
				return err
			}
		case <-ping:
			if err := c.ws.WriteControl(websocket.PingMessage, nil, time.Now().Add(c.h.cfg.WriteTimeout)); err != nil {
				return err
			}
		case <-c.readerDone:
			// Everything the reader queued before it stopped is in c.out.
		drain:
			for {
				select {
				case it := <-c.out:
					if err := f.item(it); err != nil {
						return err
					}
				default:
					break drain
				}
			}
			if !c.draining.Load() {
				return nil // the client went away
			}
			if f.id != "" {
				if err := f.catchUp(); err != nil {
					return err
				}
			}
			return f.write(shutdownFrame{Type: "server_shutdown", RetryAfterMS: 500})
		}
	}
}

// closeSocket sends a close frame (unless code is 0 or one was sent), lets
// the client's answer arrive so that closing does not reset the
// connection, and closes it.
func (f *follower) closeSocket(code int, text string, err error) {
	c := f.c
	if code != 0 {
		_ = c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, text), time.Now().Add(c.h.cfg.WriteTimeout))
	}
	if (err == nil || errors.Is(err, errClosed)) && !c.gotClose.Load() {
		select {
		case <-c.readerDone:
			if c.gotClose.Load() {
				break // the reader has read the client's answer
			}
			// The reader is gone: read (and drop) the client's close answer
			// straight from the socket.
			nc := c.ws.NetConn()
			_ = nc.SetReadDeadline(time.Now().Add(closeLinger))
			buf := make([]byte, 256)
			for {
				n, err := nc.Read(buf)
				if err != nil {
					break
				}
				if n > 0 {
					_ = nc.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
				}
			}
		case <-time.After(closeLinger):
		}
	}
	_ = c.ws.Close()
}

func (f *follower) write(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_ = f.c.ws.SetWriteDeadline(time.Now().Add(f.c.h.cfg.WriteTimeout))
	return f.c.ws.WriteMessage(websocket.TextMessage, b)
}

func (f *follower) item(it outItem) error {
	if it.start != nil {
		if err := f.start(it.start); err != nil {
			return err
		}
	}
	if it.frame != nil {
		if err := f.write(it.frame); err != nil {
			return err
		}
	}
	if len(it.msgs) > 0 {
		if err := f.direct(it.msgs); err != nil {
			return err
		}
	}
	if it.status != "" || it.queue != nil {
		if err := f.setStatus(it.status, it.queue); err != nil {
			return err
		}
	}
	if it.closeCode != 0 {
		_ = f.c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(it.closeCode, it.closeText),
			time.Now().Add(f.c.h.cfg.WriteTimeout))
		return errClosed
	}
	return nil
}

// start begins following a conversation: welcome, the backlog, synced,
// and the handoff status if there is one.
func (f *follower) start(s *session) error {
	f.id, f.lastSent, f.existed = s.id, s.after, s.existed
	f.nudges, f.stopWatch = s.nudges, s.stop
	if ch, stop, err := f.c.h.svc.WatchTyping(f.c.ctx, s.id); err == nil {
		f.typing, f.stopTyping = ch, stop
	}
	if err := f.write(s.welcome); err != nil {
		return err
	}
	for _, m := range s.backlog {
		if err := f.sendMessage(m, true); err != nil {
			return err
		}
	}
	if err := f.write(syncedFrame{Type: "synced", LastSeq: f.lastSent}); err != nil {
		return err
	}
	if s.status != "" && s.status != conversation.StatusBot {
		return f.setStatus(s.status, s.queue)
	}
	f.status = s.status
	return nil
}

// direct sends messages a turn returned. A message that does not follow
// the last one sent means something came in between (a caseworker, another
// tab): read the gap from the store instead.
func (f *follower) direct(msgs []conversation.Message) error {
	f.existed = true
	for _, m := range msgs {
		if m.Seq <= f.lastSent {
			continue // already sent (a duplicate, or caught up from the store)
		}
		if m.Seq != f.lastSent+1 {
			return f.catchUp()
		}
		if err := f.sendMessage(m, false); err != nil {
			return err
		}
	}
	return nil
}

func (f *follower) sendMessage(m conversation.Message, replay bool) error {
	if m.Seq <= f.lastSent {
		return nil
	}
	if m.Role != conversation.RoleNote {
		if err := f.write(messageFrame{Type: "message", Message: toWire(m, f.displayName(m)), Replay: replay}); err != nil {
			return err
		}
	}
	if m.Role == conversation.RoleCaseworker && f.typingOn {
		f.typingOn = false // the message ends the indicator in the client
		f.typingOff.Stop()
	}
	f.lastSent = m.Seq
	return nil
}

func (f *follower) displayName(m conversation.Message) string {
	if m.Role != conversation.RoleCaseworker || f.c.h.names == nil || m.Author == "" {
		return ""
	}
	if n, ok := f.names[m.Author]; ok {
		return n
	}
	ctx, cancel := context.WithTimeout(f.c.ctx, storeTimeout)
	defer cancel()
	n, err := f.c.h.names.DisplayName(ctx, m.Author)
	if err != nil {
		return "" // shown as "a city staff member"
	}
	if f.names == nil {
		f.names = map[string]string{}
	}
	f.names[m.Author] = n
	return n
}

// catchUp sends every visible message after lastSent, and the status when
// it may have changed.
func (f *follower) catchUp() error {
	if f.id == "" {
		return nil
	}
	ctx, cancel := context.WithTimeout(f.c.ctx, storeTimeout)
	defer cancel()
	msgs, err := f.c.h.svc.Messages(ctx, f.id, f.lastSent)
	switch {
	case errors.Is(err, conversation.ErrNotFound):
		if f.existed {
			return f.forgotten()
		}
		return nil
	case err != nil:
		f.c.h.log.Debug("webchat catch-up failed; retrying", "error", err)
		f.scheduleRetry()
		return nil
	}
	// The status is re-read while a handoff is going on, and when a message
	// hints at a change: a handoff answer (from another tab), or a notice
	// or caseworker message. Our own turns report their status directly.
	needStatus := f.status != "" && f.status != conversation.StatusBot
	for _, m := range msgs {
		if err := f.sendMessage(m, false); err != nil {
			return err
		}
		switch {
		case m.Role == conversation.RoleCitizen:
		case m.Role == conversation.RoleBot && (m.Decision == nil || m.Decision.Kind != dialog.KindHandoff):
		default:
			needStatus = true
		}
	}
	if len(msgs) > 0 {
		f.existed = true
	}
	if needStatus {
		return f.refreshStatus(ctx)
	}
	return nil
}

func (f *follower) refreshStatus(ctx context.Context) error {
	conv, err := f.c.h.svc.Conversation(ctx, f.id)
	switch {
	case errors.Is(err, conversation.ErrNotFound):
		if f.existed {
			return f.forgotten()
		}
		return nil
	case err != nil:
		f.scheduleRetry()
		return nil
	}
	return f.setStatus(conv.Status, nil)
}

// forgotten: the conversation was deleted (in another tab): tell the
// client and close.
func (f *follower) forgotten() error {
	if err := f.write(forgottenFrame{Type: "forgotten"}); err != nil {
		return err
	}
	_ = f.c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(closeNormal, "conversation deleted"),
		time.Now().Add(f.c.h.cfg.WriteTimeout))
	return errClosed
}

// setStatus records the conversation's status and tells the client about
// handoff changes. While waiting, it follows the queue for position updates.
func (f *follower) setStatus(st conversation.Status, q *conversation.QueueStatus) error {
	if st == "" {
		st = f.status
	}
	changed := st != f.status
	f.status = st
	f.c.status.Store(st)
	if st == conversation.StatusWaiting {
		f.watchQueue()
		if q == nil && (changed || !f.sentHandoff) {
			ctx, cancel := context.WithTimeout(f.c.ctx, storeTimeout)
			if qs, err := f.c.h.svc.QueueStatus(ctx, f.id); err == nil {
				q = &qs
			}
			cancel()
		}
	} else {
		f.unwatchQueue()
	}
	if !changed && q == nil {
		return nil
	}
	hf := handoffOf(st, q)
	if f.sentHandoff && sameHandoff(hf, f.handoff) {
		return nil
	}
	if !f.sentHandoff && (st == conversation.StatusBot || st == "") && q == nil {
		return nil // nothing to tell a client that never saw a handoff
	}
	f.handoff, f.sentHandoff = hf, true
	return f.write(hf)
}

func sameHandoff(a, b handoffFrame) bool {
	if a.Status != b.Status || a.Position != b.Position || a.WaitSeconds != b.WaitSeconds {
		return false
	}
	if (a.NextOpen == nil) != (b.NextOpen == nil) {
		return false
	}
	return a.NextOpen == nil || a.NextOpen.Equal(*b.NextOpen)
}

func (f *follower) watchQueue() {
	if f.queue != nil {
		return
	}
	ch, stop, err := f.c.h.svc.WatchQueue(f.c.ctx)
	if err != nil {
		f.scheduleRetry()
		return
	}
	f.queue, f.stopQueue = ch, stop
	if f.queueCheck == nil {
		f.queueCheck = time.NewTicker(queueCheckEvery)
		f.queueTick = f.queueCheck.C
	}
}

// queueCheckEvery is how often a waiting citizen's position is re-read
// without a queue event.
const queueCheckEvery = 5 * time.Second

func (f *follower) unwatchQueue() {
	if f.stopQueue != nil {
		f.stopQueue()
	}
	f.queue, f.stopQueue = nil, nil
	if f.queueCheck != nil {
		f.queueCheck.Stop()
	}
	f.queueCheck, f.queueTick = nil, nil
}

// refreshQueue re-reads the position after the queue changed.
func (f *follower) refreshQueue() error {
	if f.status != conversation.StatusWaiting {
		return nil
	}
	ctx, cancel := context.WithTimeout(f.c.ctx, storeTimeout)
	defer cancel()
	q, err := f.c.h.svc.QueueStatus(ctx, f.id)
	if err != nil {
		f.scheduleRetry()
		return nil
	}
	if !q.Queued && !q.Ticket {
		// Claimed, given back or closed: the record says which.
		return f.refreshStatus(ctx)
	}
	return f.setStatus(f.status, &q)
}

func (f *follower) scheduleRetry() {
	if f.retryC != nil {
		return
	}
	f.backoff = min(retryMax, max(retryMin, f.backoff*2))
	if f.retry == nil {
		f.retry = time.NewTimer(f.backoff)
	} else {
		f.retry.Reset(f.backoff)
	}
	f.retryC = f.retry.C
}

func (f *follower) retryNow() error {
	if f.needWatch && f.id != "" {
		ch, stop, err := f.c.h.svc.Watch(f.c.ctx, f.id)
		if err != nil {
			f.scheduleRetry()
			return nil
		}
		f.nudges, f.stopWatch, f.needWatch = ch, stop, false
	}
	if f.status == conversation.StatusWaiting && f.queue == nil {
		f.watchQueue()
	}
	if err := f.catchUp(); err != nil {
		return err
	}
	if f.retryC == nil && !f.needWatch {
		f.backoff = 0 // it worked
	}
	return nil
}

// typingHold is how long the indicator stays on after the console's last
// typing signal (the console signals every few seconds while typing).
const typingHold = 6 * time.Second

// caseworkerTyping shows or ends "the caseworker is typing" while a
// caseworker has the conversation.
func (f *follower) caseworkerTyping(on bool) error {
	if on {
		if f.status != conversation.StatusClaimed {
			return nil
		}
		f.typingOff.Reset(typingHold)
		if f.typingOn {
			return nil
		}
	} else if !f.typingOn {
		return nil
	}
	f.typingOn = on
	return f.write(typingFrame{Type: "typing", On: on, From: "caseworker"})
}

func (f *follower) stopAll() {
	if f.stopTyping != nil {
		f.stopTyping()
	}
	f.typingOff.Stop()
	if f.stopWatch != nil {
		f.stopWatch()
	}
	f.unwatchQueue()
	if f.retry != nil {
		f.retry.Stop()
	}
}
