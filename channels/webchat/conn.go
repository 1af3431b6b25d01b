package webchat

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"github.com/civibot/civibot/conversation"
	"github.com/civibot/civibot/dialog"
)

// conn is one chat socket. The reader goroutine reads frames and runs
// turns one at a time; the writer goroutine is the only one
// that writes to the socket and the only one that decides which messages
// are sent (lastSent), so nothing goes out twice or out of order.
type conn struct {
	h  *Handler
	ip string
	ws *websocket.Conn // set by serve, before the reader and writer start

	wsMu     sync.Mutex // guards wsShared: what drain and kill see of ws
	wsShared *websocket.Conn

	ctx    context.Context // ends when the connection is done
	cancel context.CancelFunc

	out        chan outItem  // reader → writer
	readerDone chan struct{} // closed when the reader stops
	writerDone chan struct{} // closed when the writer stops

	drainOnce sync.Once
	draining  atomic.Bool
	gotClose  atomic.Bool // the client's close frame was read

	status atomic.Value // conversation.Status, kept by the writer for the reader

	// reader state
	id         string // conversation id, once hello is done
	perConn    bucket
	rejections int
}

// outItem is work for the writer.
type outItem struct {
	frame any                    // send as is
	start *session               // begin following a conversation
	msgs  []conversation.Message // stored messages in seq order (direct delivery)
	// status is the conversation's status after a turn ("": unknown).
	status conversation.Status
	queue  *conversation.QueueStatus
	// closeCode closes the connection after what precedes is sent.
	closeCode int
	closeText string
}

// session is the result of hello, handed to the writer.
type session struct {
	welcome welcomeFrame
	id      string
	after   int64 // the client has everything up to here
	existed bool
	status  conversation.Status
	queue   *conversation.QueueStatus
	backlog []conversation.Message
	nudges  <-chan struct{}
	stop    func()
}

func newConn(h *Handler, ip string) *conn {
	ctx, cancel := context.WithCancel(context.Background())
	c := &conn{
		h: h, ip: ip, ctx: ctx, cancel: cancel,
		out:        make(chan outItem, 4),
		readerDone: make(chan struct{}),
		writerDone: make(chan struct{}),
	}
	c.status.Store(conversation.Status(""))
	return c
}

func (c *conn) serve(ws *websocket.Conn) {
	c.ws = ws
	c.wsMu.Lock()
	c.wsShared = ws
	c.wsMu.Unlock()
	defer c.cancel()
	go c.writeLoop()
	c.readLoop()
	<-c.writerDone
}

// Drain asks the connection to finish: stop reading after the current
// turn, deliver, say server_shutdown, close with 1012.
func (c *conn) Drain() {
	c.drainOnce.Do(func() {
		c.draining.Store(true)
		c.wsMu.Lock()
		defer c.wsMu.Unlock()
		if c.wsShared != nil {
			_ = c.wsShared.SetReadDeadline(time.Now()) // wake a blocked read
		}
	})
}

// Kill cuts the connection at once.
func (c *conn) Kill() {
	c.wsMu.Lock()
	defer c.wsMu.Unlock()
	if c.wsShared != nil {
		_ = c.wsShared.NetConn().Close()
	}
}

// send hands an item to the writer; false if the writer has stopped.
func (c *conn) send(it outItem) bool {
	select {
	case c.out <- it:
		return true
	case <-c.writerDone:
		return false
	}
}

func (c *conn) sendError(ref, code, msg string, retryAfter time.Duration) {
	f := errorFrame{Type: "error", Code: code, Detail: msg, Ref: ref}
	if retryAfter > 0 {
		f.Retry = true
		f.RetryAfterMS = int(retryAfter.Milliseconds())
	}
	c.send(outItem{frame: f})
}

func (c *conn) closeWith(code int, text string) {
	c.send(outItem{closeCode: code, closeText: text})
}

// ---- reader ----

func (c *conn) readWait() time.Duration { return c.h.cfg.PingInterval + c.h.cfg.PongTimeout }

func (c *conn) readLoop() {
	defer close(c.readerDone)
	cfg := c.h.cfg
	c.ws.SetReadLimit(cfg.MaxFrameBytes)
	c.ws.SetPongHandler(func(string) error {
		if !c.draining.Load() {
			_ = c.ws.SetReadDeadline(time.Now().Add(c.readWait()))
		}
		return nil
	})
	for {
		wait := c.readWait()
		if c.id == "" {
			wait = min(wait, cfg.HelloTimeout)
		}
		_ = c.ws.SetReadDeadline(time.Now().Add(wait))
		if c.draining.Load() { // checked after the deadline is set: see drain
			return
		}
		typ, data, err := c.ws.ReadMessage()
		if err != nil {
			c.readError(err)
			return
		}
		if !c.frame(typ, data) {
			c.discard()
			return
		}
	}
}

func (c *conn) readError(err error) {
	var ce *websocket.CloseError
	switch {
	case errors.As(err, &ce):
		c.gotClose.Store(true)
	case errors.Is(err, websocket.ErrReadLimit):
		// gorilla/websocket has sent close 1009 (message too big).
		c.h.log.Debug("webchat frame too large", "limit", c.h.cfg.MaxFrameBytes)
	}
}

// discard reads and drops frames until the client answers the close frame
// the writer is sending (or closeLinger passes), so that closing the
// socket does not reset the connection before the client has read why.
func (c *conn) discard() {
	_ = c.ws.SetReadDeadline(time.Now().Add(closeLinger))
	for {
		if _, _, err := c.ws.ReadMessage(); err != nil {
			c.readError(err)
			return
		}
	}
}

// frame handles one frame; false stops reading.
func (c *conn) frame(typ int, data []byte) bool {
	var f inFrame
	var parseErr error
	if typ != websocket.TextMessage {
		parseErr = errors.New("frames must be JSON text frames")
	} else if err := json.Unmarshal(data, &f); err != nil {
		parseErr = err
	}
	now := c.h.now()
	cfg := c.h.cfg
	ok, wait := c.perConn.take(now, cfg.MessagesPerMinute, cfg.MessageBurst)
	if ok {
		ok, wait = c.h.ips.allowMessage(c.ip, now)
	}
	if !ok {
		return c.reject(f.ID, CodeRateLimited, "too many messages; wait a moment and send again", wait)
	}
	switch {
	case typ != websocket.TextMessage:
		return c.reject("", CodeBadFrame, parseErr.Error(), 0)
	case parseErr != nil:
		return c.reject("", CodeBadJSON, "frame is not valid JSON: "+parseErr.Error(), 0)
	}
	switch f.Type {
	case typeHello:
		return c.hello(f)
	case typeMessage, typePerson, typeFeedback, typeForget, typeRating:
		if c.id == "" {
			return c.reject(f.ID, CodeHelloRequired, "send hello first", 0)
		}
	case "":
		return c.reject(f.ID, CodeInvalid, "frame has no type", 0)
	default:
		return c.reject(f.ID, CodeUnknownType, fmt.Sprintf("unknown frame type %q", truncate(f.Type, 32)), 0)
	}
	if !validClientID(f.ID) && f.Type != typeForget {
		return c.reject(f.ID, CodeInvalid, "id is required: up to 64 letters, digits, '-', '_', '.', ':'", 0)
	}
	// The rejection count is reset by what a frame achieved (a stored
	// turn, an acknowledged feedback), not by its shape: a well-formed
	// frame that is then refused counts as a rejection too.
	switch f.Type {
	case typeMessage:
		text := ""
		if f.Text != nil {
			text = *f.Text
		}
		if wait := c.useBytes(int64(len(text)), true); wait > 0 {
			return c.reject(f.ID, CodeQuotaExceeded, "this chat has sent too much today; try again tomorrow or call the city", wait)
		}
		return c.turn(f.ID, func(ctx context.Context, in dialog.Inbound) (dialog.Outcome, error) {
			in.Text = text
			return c.h.svc.Handle(ctx, in)
		})
	case typePerson:
		return c.turn(f.ID, c.h.svc.RequestPerson)
	case typeFeedback:
		return c.feedback(f)
	case typeRating:
		return c.rating(f)
	case typeForget:
		return c.forget(f)
	}
	return true
}

// reject answers a frame with an error; a client that goes on sending bad
// or too many frames is closed.
func (c *conn) reject(ref, code, msg string, retry time.Duration) bool {
	if !validClientID(ref) {
		ref = ""
	}
	c.rejections++
	if c.rejections > c.h.cfg.MaxRejections {
		c.h.log.Info("webchat connection closed for abuse", "code", code, "rejections", c.rejections)
		c.sendError(ref, code, msg+" (closing: too many rejected frames)", 0)
		c.closeWith(closePolicy, "too many rejected frames")
		return false
	}
	c.sendError(ref, code, msg, retry)
	return true
}

func (c *conn) hello(f inFrame) bool {
	if c.id != "" {
		return c.reject("hello", CodeInvalid, "hello was already said on this connection", 0)
	}
	if f.V != Version {
		c.sendError("hello", CodeUnsupportedVersion, fmt.Sprintf("protocol version %d is not supported; this server speaks %d", f.V, Version), 0)
		c.closeWith(closeProtocolError, "unsupported protocol version")
		return false
	}
	c.rejections = 0
	ctx, cancel := context.WithTimeout(c.ctx, c.h.cfg.TurnTimeout)
	defer cancel()
	s := &session{after: f.LastSeq}
	token := f.Token
	if validToken(token) {
		conv, err := c.h.svc.Conversation(ctx, conversation.WebID(token))
		switch {
		case err == nil && c.h.now().Sub(conv.Updated) > c.h.cfg.ResumeWithin:
			token = "" // quiet too long: maybe the next person at a shared computer
		case err == nil:
			s.existed, s.status = true, conv.Status
			s.welcome.LastSeq = conv.LastSeq
		case errors.Is(err, conversation.ErrNotFound):
			token = ""
		default:
			c.storeError("hello", err)
			return true
		}
	} else {
		token = ""
	}
	if token == "" {
		t, err := conversation.NewToken()
		if err != nil {
			c.storeError("hello", err)
			return true
		}
		token = t
	}
	s.id = conversation.WebID(token)
	switch {
	case !s.existed:
		s.welcome.Reset = f.LastSeq > 0 || f.Token != ""
		s.after = 0
	case s.after < 0 || s.after > s.welcome.LastSeq:
		s.welcome.Reset = true
		s.after = 0
	}
	nudges, stop, err := c.h.svc.Watch(c.ctx, s.id)
	if err != nil {
		c.storeError("hello", err)
		return true
	}
	if s.existed {
		// Read after subscribing: whatever is appended from now on nudges.
		s.backlog, err = c.h.svc.Messages(ctx, s.id, s.after)
		if err != nil && !errors.Is(err, conversation.ErrNotFound) {
			stop()
			c.storeError("hello", err)
			return true
		}
		if s.status == conversation.StatusWaiting || s.status == conversation.StatusTicket {
			if q, err := c.h.svc.QueueStatus(ctx, s.id); err == nil {
				s.queue = &q
			}
		}
	}
	s.nudges, s.stop = nudges, stop
	s.welcome.Type, s.welcome.V, s.welcome.Token = "welcome", Version, token
	s.welcome.Resumed = s.existed
	s.welcome.ResumeWithinMS = c.h.cfg.ResumeWithin.Milliseconds()
	s.welcome.Status = string(s.status)
	if s.welcome.Status == "" {
		s.welcome.Status = string(conversation.StatusBot)
	}
	c.id = s.id
	c.status.Store(s.status)
	if !c.send(outItem{start: s}) {
		stop()
		return false
	}
	return true
}

// turn runs one citizen message (or "talk to a person") through the
// service and hands the stored messages to the writer; false stops reading
// (too many rejected frames).
func (c *conn) turn(clientID string, run func(context.Context, dialog.Inbound) (dialog.Outcome, error)) bool {
	// The turn finishes even if the socket goes away or the server shuts
	// down: the reply is stored and the next connection gets it.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(c.ctx), c.h.cfg.TurnTimeout)
	defer cancel()

	var typingMu sync.Mutex
	turnDone, typingOn := false, false
	var timer *time.Timer
	if c.status.Load().(conversation.Status) != conversation.StatusClaimed {
		timer = time.AfterFunc(c.h.cfg.TypingDelay, func() {
			typingMu.Lock()
			defer typingMu.Unlock()
			if !turnDone {
				typingOn = c.send(outItem{frame: typingFrame{Type: "typing", On: true, From: "bot"}})
			}
		})
	}
	out, err := run(ctx, dialog.Inbound{ConversationID: c.id, Channel: conversation.ChannelWeb, ClientID: clientID})
	if timer != nil {
		timer.Stop()
	}
	typingMu.Lock()
	turnDone = true
	wasTyping := typingOn
	typingMu.Unlock()

	keep := true
	if err != nil {
		keep = c.turnError(clientID, err)
	} else {
		c.rejections = 0
		msgs := make([]conversation.Message, 0, 1+len(out.Replies))
		msgs = append(msgs, out.Citizen)
		msgs = append(msgs, out.Replies...)
		var replyBytes int64
		for _, m := range out.Replies {
			replyBytes += int64(len(m.Text))
		}
		c.useBytes(replyBytes, false)
		c.send(outItem{msgs: msgs, status: out.Conversation.Status, queue: out.Queue})
	}
	if wasTyping {
		c.send(outItem{frame: typingFrame{Type: "typing", On: false, From: "bot"}})
	}
	return keep
}

// turnError answers a failed turn; a refusal of the client's frame counts
// as a rejection, a failure of the server does not.
func (c *conn) turnError(ref string, err error) bool {
	switch {
	case errors.Is(err, dialog.ErrEmptyMessage):
		return c.reject(ref, CodeEmptyMessage, "the message is empty", 0)
	case errors.Is(err, dialog.ErrMessageTooLong):
		return c.reject(ref, CodeMessageTooLong, err.Error(), 0)
	case errors.Is(err, conversation.ErrInvalid):
		return c.reject(ref, CodeInvalid, "the message cannot be stored", 0)
	default:
		c.storeError(ref, err)
		return true
	}
}

// storeError answers a failure the client may retry (store down, timeout).
func (c *conn) storeError(ref string, err error) {
	if errors.Is(err, conversation.ErrUnavailable) || errors.Is(err, context.DeadlineExceeded) {
		c.h.log.Warn("webchat store unavailable", "error", err)
		c.sendError(ref, CodeUnavailable, "the service is unavailable; send the same frame again later", 2*time.Second)
		return
	}
	c.h.log.Error("webchat turn failed", "error", err)
	c.sendError(ref, CodeInternal, "internal error; send the same frame again later", 3*time.Second)
}

// feedback records a rating; false stops reading (too many rejected frames).
func (c *conn) feedback(f inFrame) bool {
	if f.Seq <= 0 || (f.Value != 1 && f.Value != -1) {
		return c.reject(f.ID, CodeInvalid, "feedback needs the seq of a bot message and a value of 1 or -1", 0)
	}
	ctx, cancel := context.WithTimeout(c.ctx, c.h.cfg.TurnTimeout)
	defer cancel()
	err := c.h.svc.Feedback(ctx, c.id, f.Seq, f.Value)
	switch {
	case err == nil:
		c.rejections = 0
		c.send(outItem{frame: ackFrame{Type: "ack", Ref: f.ID}})
	case errors.Is(err, conversation.ErrNotFound), errors.Is(err, conversation.ErrInvalid):
		return c.reject(f.ID, CodeNotFound, fmt.Sprintf("there is no bot message %d in this conversation", f.Seq), 0)
	default:
		c.storeError(f.ID, err)
	}
	return true
}

// rating stores the citizen's rating of the conversation with a person
// (value 1 to 5, text an optional comment).
func (c *conn) rating(f inFrame) bool {
	comment := ""
	if f.Text != nil {
		comment = *f.Text
	}
	ctx, cancel := context.WithTimeout(c.ctx, c.h.cfg.TurnTimeout)
	defer cancel()
	err := c.h.svc.Rate(ctx, c.id, f.Value, comment)
	switch {
	case err == nil:
		c.rejections = 0
		c.send(outItem{frame: ackFrame{Type: "ack", Ref: f.ID}})
	case errors.Is(err, conversation.ErrInvalid):
		return c.reject(f.ID, CodeInvalid, "a rating needs a value of 1 to 5 and at most 500 characters of text", 0)
	case errors.Is(err, dialog.ErrNotRateable), errors.Is(err, conversation.ErrNotFound):
		return c.reject(f.ID, CodeNotFound, "no caseworker took part in this conversation", 0)
	default:
		c.storeError(f.ID, err)
	}
	return true
}

func (c *conn) forget(f inFrame) bool {
	ctx, cancel := context.WithTimeout(c.ctx, c.h.cfg.TurnTimeout)
	defer cancel()
	if err := c.h.svc.Forget(ctx, c.id); err != nil {
		c.storeError(f.ID, err)
		return true
	}
	c.send(outItem{frame: forgottenFrame{Type: "forgotten"}, closeCode: closeNormal, closeText: "conversation deleted"})
	return false
}

// quotaWindow is the byte quotas' window: a UTC day.
const quotaWindow = 24 * time.Hour

// useBytes counts n stored bytes against the address's and the
// conversation's daily quotas. With check, it returns how long until the
// next day when either is over its quota (0: go ahead). A counter that
// cannot be reached does not refuse the message: the store it would be
// written to answers for itself.
func (c *conn) useBytes(n int64, check bool) time.Duration {
	if n <= 0 && !check {
		return 0
	}
	cfg := c.h.cfg
	now := c.h.now()
	ctx, cancel := context.WithTimeout(c.ctx, 2*time.Second)
	defer cancel()
	over := false
	for _, q := range []struct {
		key   string
		limit int64
	}{{"webchat:addr:" + c.ip, cfg.AddressBytesPerDay}, {"webchat:conv:" + c.id, cfg.ConversationBytesPerDay}} {
		total, err := c.h.usage.Add(ctx, q.key, n, now, quotaWindow)
		if err != nil {
			c.h.log.Warn("webchat quota not counted", "error", err)
			continue
		}
		over = over || total > q.limit
	}
	if !check || !over {
		return 0
	}
	c.h.log.Info("webchat byte quota exceeded")
	return now.Truncate(quotaWindow).Add(quotaWindow).Sub(now)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
