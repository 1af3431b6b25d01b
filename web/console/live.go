package console

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"github.com/civibot/civibot/accounts"
	"github.com/civibot/civibot/conversation"
	"github.com/civibot/civibot/handoff"
)

// The live socket (GET /console/api/live) carries JSON text frames.
//
// Server → console:
//
//	welcome       {sid, user, heartbeat_ms, now}
//	queue         the lists (see snapshot), on connect and after every queue
//	              or presence change, on any instance
//	conversation  {conversation}: the open conversation's record changed
//	messages      {conversation_id, messages, replay}: its messages after the
//	              last ones sent, in seq order, each once (notes included)
//	gone          {conversation_id}: the open conversation was deleted
//	error         {code, message, retry}: e.g. unavailable while Redis is away
//	recovered     {}: the store answers again (a fresh queue frame follows)
//	session_end   {reason}: session_expired or logged_out; close 4401 follows
//	server_shutdown {retry_after_ms}: close 1012 follows; reconnect
//
// Console → server:
//
//	typing        {id}: I am typing a reply in this conversation (claimed by
//	              me; at most every few seconds); the citizen's web chat
//	              shows it
//	heartbeat     {}: I am here (every heartbeat_ms)
//	open          {id, after}: follow a conversation, sending messages after seq
//	close         {}: stop following it
const (
	closeSessionEnd     = 4401
	closeServiceRestart = 1012
	maxLiveFrame        = 4096
	liveWriteTimeout    = 10 * time.Second
	liveOpTimeout       = 5 * time.Second
	coalesceDelay       = 25 * time.Millisecond
	retryMin            = 500 * time.Millisecond
	retryMax            = 5 * time.Second
)

type liveIn struct {
	Type  string `json:"type"`
	ID    string `json:"id"`
	After int64  `json:"after"`
}

// liveItem is work the reader hands to the writer.
type liveItem struct {
	frame     any
	heartbeat bool
	open      *liveIn
	unfollow  bool
	typing    string // conversation id
}

// liveConn is one console socket: a reader goroutine and one writer
// goroutine, the only one that writes to the socket.
type liveConn struct {
	h     *Handler
	ws    *websocket.Conn
	sid   string
	user  string
	role  accounts.Role
	token string

	ctx    context.Context
	cancel context.CancelFunc

	out        chan liveItem
	readerDone chan struct{}
	writerDone chan struct{}

	draining atomic.Bool
	ending   atomic.Value // string: why the session ended (set by endSockets)
	wake     chan struct{}

	wsMu     sync.Mutex // guards wsShared: what kill sees of ws
	wsShared *websocket.Conn
}

func (h *Handler) live(w http.ResponseWriter, r *http.Request) {
	setAPIHeaders(w)
	if !h.sameOrigin(r, true) {
		h.log.InfoContext(r.Context(), "console: live socket from another origin refused")
		writeError(w, errOrigin)
		return
	}
	c, err := h.caller(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	lc, ok := h.register(c)
	if !ok {
		writeError(w, &apiError{status: http.StatusServiceUnavailable, code: "shutting_down", msg: "the server is restarting; connect again", retry: time.Second})
		return
	}
	w.Header().Del("Content-Type")
	ws, err := h.up.Upgrade(w, r, nil)
	if err != nil {
		h.unregister(lc)
		return // the upgrader has answered
	}
	go func() {
		defer h.unregister(lc)
		lc.serve(ws)
	}()
}

func newSID() string {
	b := make([]byte, 9)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func (h *Handler) register(c *caller) (*liveConn, bool) {
	return h.socks.Add(func() *liveConn {
		ctx, cancel := context.WithCancel(context.Background())
		return &liveConn{
			h: h, sid: newSID(), user: c.session.User, role: c.session.Role, token: c.token,
			ctx: ctx, cancel: cancel, out: make(chan liveItem, 8),
			readerDone: make(chan struct{}), writerDone: make(chan struct{}), wake: make(chan struct{}, 1),
		}
	})
}

func (h *Handler) unregister(lc *liveConn) {
	h.socks.Remove(lc)
	lc.cancel()
}

// otherSockets counts this instance's live sockets of user other than sid.
func (h *Handler) otherSockets(user, sid string) int {
	n := 0
	h.socks.Each(func(c *liveConn) {
		if c.user == user && c.sid != sid {
			n++
		}
	})
	return n
}

// endSockets ends the live sockets of a session (logout).
func (h *Handler) endSockets(token, reason string) {
	h.socks.Each(func(c *liveConn) {
		if c.token == token {
			c.ending.Store(reason)
			c.nudge()
		}
	})
}

func (c *liveConn) nudge() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// Drain asks the socket to say goodbye and close.
func (c *liveConn) Drain() {
	c.draining.Store(true)
	c.nudge()
}

// Kill cuts the connection at once.
func (c *liveConn) Kill() {
	c.wsMu.Lock()
	defer c.wsMu.Unlock()
	if c.wsShared != nil {
		_ = c.wsShared.NetConn().Close()
	}
}

func (c *liveConn) serve(ws *websocket.Conn) {
	c.ws = ws
	c.wsMu.Lock()
	c.wsShared = ws
	c.wsMu.Unlock()
	ws.SetReadLimit(maxLiveFrame)
	go c.writeLoop()
	c.readLoop()
	<-c.writerDone
}

func (c *liveConn) send(it liveItem) bool {
	select {
	case c.out <- it:
		return true
	case <-c.writerDone:
		return false
	}
}

func (c *liveConn) readLoop() {
	defer close(c.readerDone)
	deadline := func() { _ = c.ws.SetReadDeadline(time.Now().Add(c.h.ping + c.h.pong)) }
	deadline()
	c.ws.SetPongHandler(func(string) error { deadline(); return nil })
	for {
		typ, data, err := c.ws.ReadMessage()
		if err != nil {
			return
		}
		deadline()
		if typ != websocket.TextMessage {
			if !c.send(liveItem{frame: errFrame("bad_frame", "send JSON text frames", false)}) {
				return
			}
			continue
		}
		var in liveIn
		if err := json.Unmarshal(data, &in); err != nil {
			if !c.send(liveItem{frame: errFrame("bad_json", "the frame is not a JSON object", false)}) {
				return
			}
			continue
		}
		var it liveItem
		switch in.Type {
		case "heartbeat":
			it.heartbeat = true
		case "open":
			if !validID(in.ID) || in.After < 0 {
				it.frame = errFrame("bad_id", "open needs a conversation id and after >= 0", false)
			} else {
				it.open = &in
			}
		case "close":
			it.unfollow = true
		case "typing":
			if !validID(in.ID) {
				it.frame = errFrame("bad_id", "typing needs a conversation id", false)
			} else {
				it.typing = in.ID
			}
		default:
			it.frame = errFrame("unknown_type", "unknown frame type", false)
		}
		if !c.send(it) {
			return
		}
	}
}

type errorFrame struct {
	Type    string `json:"type"`
	Code    string `json:"code"`
	Message string `json:"message"`
	Retry   bool   `json:"retry,omitempty"`
}

func errFrame(code, msg string, retry bool) errorFrame {
	return errorFrame{Type: "error", Code: code, Message: msg, Retry: retry}
}

type welcomeFrame struct {
	Type        string    `json:"type"`
	SID         string    `json:"sid"`
	User        userView  `json:"user"`
	HeartbeatMS int64     `json:"heartbeat_ms"`
	Now         time.Time `json:"now"`
}

// writer is the writer goroutine's state.
type writer struct {
	c *liveConn

	queue, presence         <-chan []byte
	stopQueue, stopPresence func()

	convID      string
	conv        <-chan []byte
	stopConv    func()
	lastSent    int64
	lastUpdated time.Time

	// mine follows the caseworker's own conversations, so a citizen's
	// new message there updates the lists (the unread marker) even when
	// another conversation is open.
	mine       map[string]func()
	mineEvents chan struct{}

	typedID  string // the last typing signal: conversation, time and newest message
	typedAt  time.Time
	typedSeq int64

	dirty    bool
	event    *handoff.QueueEvent
	coalesce *time.Timer
	retry    *time.Timer
	backoff  time.Duration
	failing  bool
	lastBeat time.Time
}

func (c *liveConn) writeLoop() {
	defer close(c.writerDone)
	w := &writer{c: c, coalesce: stoppedTimer(), retry: stoppedTimer(), mine: map[string]func(){}, mineEvents: make(chan struct{}, 1)}
	defer w.stopAll()
	ping := time.NewTicker(c.h.ping)
	defer ping.Stop()
	refresh := time.NewTicker(c.h.refresh)
	defer refresh.Stop()

	err := w.loop(ping.C, refresh.C)
	code, text := 0, ""
	switch {
	case c.draining.Load():
		_ = w.write(map[string]any{"type": "server_shutdown", "retry_after_ms": 500})
		code, text = closeServiceRestart, "server restarting"
	case errors.Is(err, errSessionEnded):
		code, text = closeSessionEnd, "session ended"
	}
	if code != 0 {
		_ = c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, text), time.Now().Add(liveWriteTimeout))
		select {
		case <-c.readerDone:
		case <-time.After(time.Second):
		}
	}
	_ = c.ws.Close()
}

var errSessionEnded = errors.New("console: session ended")

func stoppedTimer() *time.Timer {
	t := time.NewTimer(time.Hour)
	t.Stop()
	return t
}

func (w *writer) stopAll() {
	if w.stopQueue != nil {
		w.stopQueue()
	}
	if w.stopPresence != nil {
		w.stopPresence()
	}
	w.watchMine(nil)
	w.unfollow()
}

// watchMine follows exactly the conversations in ids.
func (w *writer) watchMine(ids []handoff.Summary) {
	keep := make(map[string]bool, len(ids))
	for _, s := range ids {
		keep[s.ConversationID] = true
		if w.mine[s.ConversationID] != nil {
			continue
		}
		ch, stop, err := w.c.h.bus.Subscribe(w.c.ctx, conversation.Topic(s.ConversationID))
		if err != nil {
			continue // the next queue frame tries again
		}
		w.mine[s.ConversationID] = stop
		go func() {
			for range ch {
				select {
				case w.mineEvents <- struct{}{}:
				default:
				}
			}
		}()
	}
	for id, stop := range w.mine {
		if !keep[id] {
			stop()
			delete(w.mine, id)
		}
	}
}

func (w *writer) opCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(w.c.ctx, liveOpTimeout)
}

func (w *writer) write(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_ = w.c.ws.SetWriteDeadline(time.Now().Add(liveWriteTimeout))
	return w.c.ws.WriteMessage(websocket.TextMessage, b)
}

func (w *writer) loop(ping, refresh <-chan time.Time) error {
	c := w.c
	if err := w.write(welcomeFrame{Type: "welcome", SID: c.sid, User: w.me(),
		HeartbeatMS: c.h.cfg.HeartbeatInterval.Milliseconds(), Now: time.Now().UTC()}); err != nil {
		return err
	}
	w.heartbeat()
	w.subscribe()
	if err := w.sendQueue(); err != nil {
		return err
	}
	for {
		if c.draining.Load() {
			return nil
		}
		if reason, _ := c.ending.Load().(string); reason != "" {
			return w.endSession(reason)
		}
		select {
		case it := <-c.out:
			if err := w.item(it); err != nil {
				return err
			}
		case p, ok := <-w.queue:
			if !ok {
				w.queue, w.stopQueue = nil, nil
				w.scheduleRetry()
				continue
			}
			w.markDirty(p)
		case p, ok := <-w.presence:
			if !ok {
				w.presence, w.stopPresence = nil, nil
				w.scheduleRetry()
				continue
			}
			_ = p // a change, or a bus reconnect: either way re-read
			w.markDirty(nil)
		case <-w.mineEvents:
			w.markDirty(nil)
		case p, ok := <-w.conv:
			if !ok {
				w.conv, w.stopConv = nil, nil
				w.scheduleRetry()
				continue
			}
			_ = p
			if err := w.catchUp(); err != nil {
				return err
			}
		case <-w.coalesce.C:
			if err := w.sendQueue(); err != nil {
				return err
			}
		case <-w.retry.C:
			w.subscribe()
			if err := w.sendQueue(); err != nil {
				return err
			}
			if w.convID != "" {
				if err := w.catchUp(); err != nil {
					return err
				}
			}
		case <-refresh:
			if err := w.checkSession(); err != nil {
				return err
			}
			if err := w.sendQueue(); err != nil {
				return err
			}
		case <-ping:
			if err := c.ws.WriteControl(websocket.PingMessage, nil, time.Now().Add(liveWriteTimeout)); err != nil {
				return err
			}
		case <-c.wake:
		case <-c.readerDone:
			return nil
		}
	}
}

func (w *writer) me() userView {
	return userView{Name: w.c.user, DisplayName: w.c.h.names.get(w.c.ctx, w.c.user), Role: w.c.role}
}

func (w *writer) endSession(reason string) error {
	_ = w.write(map[string]string{"type": "session_end", "reason": reason})
	return errSessionEnded
}

// checkSession ends the socket when its session has ended (expired, logged
// out on another instance, password changed, account disabled).
func (w *writer) checkSession() error {
	ctx, cancel := w.opCtx()
	defer cancel()
	_, err := w.c.h.accounts.Session(ctx, w.c.token)
	if errors.Is(err, accounts.ErrNoSession) {
		return w.endSession("session_expired")
	}
	return w.health(err)
}

func (w *writer) item(it liveItem) error {
	if it.frame != nil {
		if err := w.write(it.frame); err != nil {
			return err
		}
	}
	if it.heartbeat && time.Since(w.lastBeat) >= time.Second {
		w.lastBeat = time.Now()
		if err := w.checkSession(); err != nil {
			return err
		}
		if err := w.health(w.heartbeat()); err != nil {
			return err
		}
	}
	if it.unfollow {
		w.unfollow()
	}
	if it.open != nil {
		if err := w.follow(it.open.ID, it.open.After); err != nil {
			return err
		}
	}
	if it.typing != "" {
		w.typing(it.typing)
	}
	return nil
}

// typingEvery bounds how often one console tells a conversation that its
// caseworker is typing.
const typingEvery = time.Second

// typing tells the citizen's channel that the caseworker is typing, when
// the caseworker has the conversation. Best effort: errors are dropped.
//
// At most one signal per typingEvery goes out for a conversation, except
// the first after a new message: the citizen's web chat hides the
// indicator when the caseworker's reply arrives, and the next reply's
// typing must show at once, however quickly she starts it.
func (w *writer) typing(id string) {
	ctx, cancel := w.opCtx()
	defer cancel()
	c, err := w.c.h.store.Get(ctx, id)
	if err != nil || c.Status != conversation.StatusClaimed || c.Assignee != w.c.user {
		return
	}
	if id == w.typedID && c.LastSeq == w.typedSeq && time.Since(w.typedAt) < typingEvery {
		return
	}
	w.typedID, w.typedAt, w.typedSeq = id, time.Now(), c.LastSeq
	_ = w.c.h.bus.Publish(ctx, conversation.TopicTyping(id), nil)
}

func (w *writer) heartbeat() error {
	ctx, cancel := w.opCtx()
	defer cancel()
	return w.c.h.desk.Heartbeat(ctx, w.c.user)
}

// health reports a store failure once per outage (an error frame) and
// schedules a retry; after one, the first success says "recovered".
func (w *writer) health(err error) error {
	if err == nil {
		if w.failing {
			w.failing = false
			w.backoff = 0
			if werr := w.write(map[string]string{"type": "recovered"}); werr != nil {
				return werr
			}
			w.markDirty(nil) // events may have been missed: send the lists again
		}
		return nil
	}
	if w.c.ctx.Err() != nil {
		return nil
	}
	if !w.failing {
		w.failing = true
		w.c.h.log.WarnContext(w.c.ctx, "console: live socket cannot read the store", "error", err)
		code, msg := "internal", "something went wrong; retrying"
		if errors.Is(err, handoff.ErrUnavailable) || errors.Is(err, context.DeadlineExceeded) {
			code, msg = "unavailable", "the conversation store is unavailable; the console retries and catches up by itself"
		}
		if werr := w.write(errFrame(code, msg, true)); werr != nil {
			return werr
		}
	}
	w.scheduleRetry()
	return nil
}

func (w *writer) scheduleRetry() {
	if w.backoff == 0 {
		w.backoff = retryMin
	} else {
		w.backoff = min(2*w.backoff, retryMax)
	}
	w.retry.Reset(w.backoff)
}

// subscribe (re)makes the bus subscriptions that are missing.
func (w *writer) subscribe() {
	ctx := w.c.ctx
	var err error
	if w.queue == nil {
		if w.queue, w.stopQueue, err = w.c.h.bus.Subscribe(ctx, conversation.TopicQueue); err != nil {
			w.queue, w.stopQueue = nil, nil
			_ = w.health(err)
			return
		}
	}
	if w.presence == nil {
		if w.presence, w.stopPresence, err = w.c.h.bus.Subscribe(ctx, conversation.TopicPresence); err != nil {
			w.presence, w.stopPresence = nil, nil
			_ = w.health(err)
			return
		}
	}
	if w.convID != "" && w.conv == nil {
		if w.conv, w.stopConv, err = w.c.h.bus.Subscribe(ctx, conversation.Topic(w.convID)); err != nil {
			w.conv, w.stopConv = nil, nil
			_ = w.health(err)
			return
		}
	}
}

// markDirty notes a queue change (p: a QueueEvent, or empty for a bus
// reconnect or a presence change) and sends the lists shortly after, so a
// burst of changes makes one frame.
func (w *writer) markDirty(p []byte) {
	if len(p) > 0 {
		var e handoff.QueueEvent
		if json.Unmarshal(p, &e) == nil {
			w.event = &e
		}
	}
	if !w.dirty {
		w.dirty = true
		w.coalesce.Reset(coalesceDelay)
	}
}

func (w *writer) sendQueue() error {
	ctx, cancel := w.opCtx()
	defer cancel()
	s, err := w.c.h.snapshot(ctx, w.c.user)
	if err != nil {
		return w.health(err)
	}
	if err := w.health(nil); err != nil {
		return err
	}
	w.dirty = false
	w.coalesce.Stop()
	w.watchMine(s.Mine)
	s.Type, s.Event, w.event = "queue", w.event, nil
	return w.write(s)
}

func (w *writer) unfollow() {
	if w.stopConv != nil {
		w.stopConv()
	}
	w.convID, w.conv, w.stopConv, w.lastSent, w.lastUpdated = "", nil, nil, 0, time.Time{}
}

// follow starts following a conversation: subscribe first, then read, so
// that nothing written in between is missed.
func (w *writer) follow(id string, after int64) error {
	w.unfollow()
	w.convID, w.lastSent = id, after
	var err error
	if w.conv, w.stopConv, err = w.c.h.bus.Subscribe(w.c.ctx, conversation.Topic(id)); err != nil {
		w.conv, w.stopConv = nil, nil
		return w.health(err)
	}
	return w.catchUp()
}

type messagesFrame struct {
	Type           string    `json:"type"`
	ConversationID string    `json:"conversation_id"`
	Messages       []msgView `json:"messages"`
	// Replay: the first batch after open (history, not news).
	Replay bool `json:"replay,omitempty"`
}

// catchUp sends what is new in the followed conversation: its record when
// it changed, then the messages after the last one sent.
func (w *writer) catchUp() error {
	if w.convID == "" {
		return nil
	}
	id := w.convID
	ctx, cancel := w.opCtx()
	defer cancel()
	conv, err := w.c.h.store.Get(ctx, id)
	if errors.Is(err, conversation.ErrNotFound) {
		w.unfollow()
		return w.write(map[string]string{"type": "gone", "conversation_id": id})
	}
	if err != nil {
		return w.health(err)
	}
	msgs, err := w.c.h.store.Messages(ctx, id, w.lastSent, 0)
	if err != nil {
		return w.health(err)
	}
	if err := w.health(nil); err != nil {
		return err
	}
	first := w.lastUpdated.IsZero()
	if !conv.Updated.Equal(w.lastUpdated) {
		w.lastUpdated = conv.Updated
		if err := w.write(map[string]any{"type": "conversation", "conversation": w.c.h.view(ctx, conv)}); err != nil {
			return err
		}
	}
	if len(msgs) > 0 || first {
		if err := w.write(messagesFrame{Type: "messages", ConversationID: id, Messages: w.c.h.messages(ctx, msgs), Replay: first}); err != nil {
			return err
		}
		if len(msgs) > 0 {
			w.lastSent = msgs[len(msgs)-1].Seq
		}
	}
	return nil
}
