package webchat

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/civibot/civibot/internal/testtime"
	"github.com/gorilla/websocket"

	"github.com/civibot/civibot/conversation"
)

// alive checks that the server still serves: a new connection can chat.
func (h *harness) alive() {
	h.t.Helper()
	c := h.dial(nil)
	c.hello("", 0)
	c.ask("alive", "Hallo")
	_ = c.ws.Close()
}

func TestBadFrames(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	long := strings.Repeat("a", 2001)
	tests := []struct {
		name      string
		hello     bool
		frame     string
		binary    bool
		wantCode  string
		wantRef   string
		wantClose int // 0: the connection stays usable
	}{
		{name: "bad json", hello: true, frame: `{"type":"message",`, wantCode: CodeBadJSON},
		{name: "not an object", hello: true, frame: `[1,2,3]`, wantCode: CodeBadJSON},
		{name: "unknown type", hello: true, frame: `{"type":"teleport","id":"x1"}`, wantCode: CodeUnknownType, wantRef: "x1"},
		{name: "no type", hello: true, frame: `{"id":"x1"}`, wantCode: CodeInvalid, wantRef: "x1"},
		{name: "binary frame", hello: true, frame: `{"type":"hello"}`, binary: true, wantCode: CodeBadFrame},
		{name: "message before hello", frame: `{"type":"message","id":"m1","text":"Hallo"}`, wantCode: CodeHelloRequired, wantRef: "m1"},
		{name: "message without id", hello: true, frame: `{"type":"message","text":"Hallo"}`, wantCode: CodeInvalid},
		{name: "id with bad characters", hello: true, frame: `{"type":"message","id":"<script>","text":"Hallo"}`, wantCode: CodeInvalid},
		{name: "empty message", hello: true, frame: `{"type":"message","id":"m2","text":"   "}`, wantCode: CodeEmptyMessage, wantRef: "m2"},
		{name: "message too long", hello: true, frame: `{"type":"message","id":"m3","text":"` + long + `"}`, wantCode: CodeMessageTooLong, wantRef: "m3"},
		{name: "feedback out of range", hello: true, frame: `{"type":"feedback","id":"f1","seq":1,"value":5}`, wantCode: CodeInvalid, wantRef: "f1"},
		{name: "feedback on nothing", hello: true, frame: `{"type":"feedback","id":"f2","seq":42,"value":1}`, wantCode: CodeNotFound, wantRef: "f2"},
		{name: "second hello", hello: true, frame: `{"type":"hello","v":1}`, wantCode: CodeInvalid, wantRef: "hello"},
		{name: "unsupported version", frame: `{"type":"hello","v":2}`, wantCode: CodeUnsupportedVersion, wantRef: "hello", wantClose: websocket.CloseProtocolError},
		{name: "oversized frame", hello: true, frame: `{"type":"message","id":"m4","text":"` + strings.Repeat("x", 20000) + `"}`, wantClose: websocket.CloseMessageTooBig},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := h.dial(nil)
			if tt.hello {
				c.hello("", 0)
			}
			typ := websocket.TextMessage
			if tt.binary {
				typ = websocket.BinaryMessage
			}
			c.sendRaw(typ, []byte(tt.frame))
			if tt.wantCode != "" {
				e := c.expect("error")
				if e.Code != tt.wantCode || e.Ref != tt.wantRef || e.Detail == "" {
					t.Errorf("error = %s, want code %s ref %q and a detail", e.Raw, tt.wantCode, tt.wantRef)
				}
			}
			if tt.wantClose != 0 {
				if code := c.closeCode(); code != tt.wantClose {
					t.Errorf("close code = %d, want %d", code, tt.wantClose)
				}
			} else {
				// Still usable.
				if !tt.hello {
					c.hello("", 0)
				}
				c.ask("after-"+strings.ReplaceAll(tt.name, " ", "-"), "Hallo")
			}
		})
	}
	h.alive()
}

// TestRejectionsCountedByOutcome: frames of a known type with a valid id
// that are then refused (feedback on seq -1, an empty message) count as
// rejections; they do not reset the count (issue 16.2).
func TestRejectionsCountedByOutcome(t *testing.T) {
	h := newHarness(t, harnessOptions{cfg: Config{MaxRejections: 4, MessagesPerMinute: 600, MessageBurst: 100}})
	c := h.dial(nil)
	c.hello("", 0)
	shaped := []string{
		`{"type":"feedback","id":"f1","seq":-1,"value":1}`,
		`{"type":"message","id":"m1","text":"   "}`,
		`{"type":"feedback","id":"f2","seq":99,"value":1}`,
	}
	// Five rejected frames, unknown and valid-shaped in turn: the fifth
	// closes the connection. (No more are sent: once the client has read
	// the server's close, its own writes fail with "close sent", which
	// made this test flaky under -count=20.)
	for i := 0; i < 5; i++ {
		frame := `{"type":"teleport","id":"x"}`
		if i%2 == 1 {
			frame = shaped[(i/2)%len(shaped)]
		}
		c.sendRaw(websocket.TextMessage, []byte(frame))
	}
	for i := 0; i < 5; i++ {
		if e := c.expect("error"); e.Code == "" {
			t.Fatalf("error %d = %s", i, e.Raw)
		}
	}
	if code := c.closeCode(); code != websocket.ClosePolicyViolation {
		t.Errorf("close = %d, want 1008 after interleaved valid-shaped but rejected frames", code)
	}

	// A frame that achieved something resets the count.
	d := h.dial(nil)
	d.hello("", 0)
	for i := 0; i < 3; i++ {
		d.sendRaw(websocket.TextMessage, []byte(shaped[0]))
		d.expect("error")
	}
	d.ask("ok", "Hallo")
	for i := 0; i < 3; i++ {
		d.sendRaw(websocket.TextMessage, []byte(shaped[0]))
		d.expect("error")
	}
	d.ask("still-open", "Hallo")
	h.alive()
}

func TestWrongOrigin(t *testing.T) {
	h := newHarness(t, harnessOptions{opts: func(o *Options) {
		o.AllowedOrigins = []string{"https://www.musterstadt.example"}
		o.PublicURL = "https://chat.musterstadt.example"
	}})
	tests := []struct {
		origin string
		ok     bool
	}{
		{"", true}, // not a browser
		{"https://www.musterstadt.example", true},
		{"https://WWW.Musterstadt.example", true},
		{"https://chat.musterstadt.example", true},
		{strings.TrimSuffix(h.srv.URL, "/"), true}, // the server's own origin
		{"https://evil.example", false},
		{"https://www.musterstadt.example.evil.example", false},
		{"http://www.musterstadt.example", false}, // scheme matters
		{"null", false},
	}
	for _, tt := range tests {
		t.Run(tt.origin, func(t *testing.T) {
			hdr := http.Header{}
			if tt.origin != "" {
				hdr.Set("Origin", tt.origin)
			}
			c, resp, err := h.tryDial(hdr)
			if tt.ok {
				if err != nil {
					t.Fatalf("dial: %v", err)
				}
				c.hello("", 0)
				_ = c.ws.Close()
				return
			}
			if err == nil {
				t.Fatal("connection from a foreign origin accepted")
			}
			if resp == nil || resp.StatusCode != http.StatusForbidden {
				t.Fatalf("response = %v, want 403", resp)
			}
			var body httpErrorBody
			b, _ := io.ReadAll(resp.Body)
			if json.Unmarshal(b, &body) != nil || body.Error != "origin_not_allowed" {
				t.Errorf("body = %s", b)
			}
		})
	}
	h.alive()
}

func TestRateLimits(t *testing.T) {
	t.Run("per connection", func(t *testing.T) {
		h := newHarness(t, harnessOptions{cfg: Config{MessagesPerMinute: 6, MessageBurst: 3, MaxRejections: 3}})
		c := h.dial(nil)
		c.hello("", 0) // one token
		c.ask("m1", "Hallo")
		c.ask("m2", "Danke")
		c.send(map[string]any{"type": "message", "id": "m3", "text": "Tschüss"})
		e := c.expect("error")
		if e.Code != CodeRateLimited || e.Ref != "m3" || !e.Retry || e.RetryAfterMS < 1000 {
			t.Fatalf("rate limit error = %s", e.Raw)
		}
		// Going on regardless: more errors, then a close.
		for i := 0; i < 3; i++ {
			c.send(map[string]any{"type": "message", "id": "m3", "text": "Tschüss"})
		}
		for i := 0; i < 3; i++ {
			if e := c.expect("error"); e.Code != CodeRateLimited {
				t.Fatalf("error = %s", e.Raw)
			}
		}
		if code := c.closeCode(); code != websocket.ClosePolicyViolation {
			t.Errorf("close = %d, want 1008", code)
		}
		h.alive()
	})
	t.Run("per address", func(t *testing.T) {
		h := newHarness(t, harnessOptions{cfg: Config{IPMessagesPerMinute: 6, IPMessageBurst: 4, IPConnections: 2}})
		a := h.dial(nil)
		a.hello("", 0)
		b := h.dial(nil)
		b.hello("", 0)
		// A third socket from the same address is refused before the upgrade.
		_, resp, err := h.tryDial(nil)
		if err == nil || resp == nil || resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
			t.Fatalf("third connection: %v %v", err, resp)
		}
		// Messages over both sockets share the address's budget (4, two used by hellos).
		a.ask("a1", "Hallo")
		b.ask("b1", "Hallo")
		b.send(map[string]any{"type": "message", "id": "b2", "text": "Hallo"})
		if e := b.expect("error"); e.Code != CodeRateLimited {
			t.Errorf("error = %s", e.Raw)
		}
		// Closing one makes room for a new connection.
		_ = a.ws.Close()
		testtime.WaitFor(t, 10*time.Second, "the closed socket to be released", func() bool { return h.h.Open() == 1 })
		c := h.dial(nil)
		_ = c.ws.Close()
	})
}

func TestHelloTimeout(t *testing.T) {
	h := newHarness(t, harnessOptions{cfg: Config{HelloTimeout: 200 * time.Millisecond}})
	c := h.dial(nil)
	select {
	case <-c.frames:
	case <-time.After(3 * time.Second):
		t.Fatal("a socket that never said hello was kept open")
	}
	testtime.WaitFor(t, 10*time.Second, "the silent socket to be dropped", func() bool { return h.h.Open() == 0 })
}

func TestClientKey(t *testing.T) {
	tests := []struct{ addr, want string }{
		{"203.0.113.9:4711", "203.0.113.9"},
		{"[2001:db8:1:2:3:4:5:6]:443", "2001:db8:1:2::/64"},
		{"[2001:db8:1:2:ffff::1]:443", "2001:db8:1:2::/64"},
		{"[::ffff:203.0.113.9]:80", "203.0.113.9"},
		{"garbage", "garbage"},
	}
	for _, tt := range tests {
		if got := clientKey(tt.addr); got != tt.want {
			t.Errorf("clientKey(%q) = %q, want %q", tt.addr, got, tt.want)
		}
	}
}

func TestBucket(t *testing.T) {
	var b bucket
	now := time.Unix(1000, 0)
	for i := 0; i < 3; i++ {
		if ok, _ := b.take(now, 60, 3); !ok {
			t.Fatalf("burst token %d refused", i)
		}
	}
	ok, wait := b.take(now, 60, 3)
	if ok || wait != time.Second {
		t.Errorf("empty bucket: ok %v wait %v, want a 1s wait", ok, wait)
	}
	if ok, _ := b.take(now.Add(1100*time.Millisecond), 60, 3); !ok {
		t.Error("token not refilled after a second")
	}
	if !b.full(now.Add(time.Hour), 60, 3) {
		t.Error("bucket not full after an hour")
	}
}

func TestNotAWebSocket(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	resp, err := http.Get(h.srv.URL + "/ws")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body httpErrorBody
	if resp.StatusCode != http.StatusBadRequest || json.NewDecoder(resp.Body).Decode(&body) != nil || body.Error != "bad_handshake" {
		t.Errorf("plain GET /ws = %d %+v", resp.StatusCode, body)
	}
	testtime.WaitFor(t, 10*time.Second, "the slot to be released", func() bool { return h.h.Open() == 0 })
	h.alive()
}

// TestByteQuotas: one address, and one conversation, may store only so
// many bytes a day; the quotas are counted in a Usage every instance
// shares (issue 21.1).
func TestByteQuotas(t *testing.T) {
	usage := conversation.NewMemoryUsage()
	cfg := Config{MessagesPerMinute: 600, MessageBurst: 100, IPMessagesPerMinute: 600, IPMessageBurst: 100,
		ConversationBytesPerDay: 3000, AddressBytesPerDay: 5000}
	h := newHarness(t, harnessOptions{cfg: cfg, opts: func(o *Options) { o.Usage = usage }})
	text := strings.Repeat("Personalausweis ", 40) // 640 bytes, and the answer
	c := h.dial(nil)
	c.hello("", 0)
	sent := 0
	for ; sent < 20; sent++ {
		c.send(map[string]any{"type": "message", "id": fmt.Sprintf("m%d", sent), "text": text})
		if f := c.next(); f.Type == "error" {
			if f.Code != CodeQuotaExceeded || !f.Retry || f.RetryAfterMS <= 0 || f.RetryAfterMS > 24*3600*1000 {
				t.Fatalf("over the quota: %s", f.Raw)
			}
			break
		}
		c.expect("message") // the answer
	}
	if sent == 0 || sent == 20 {
		t.Fatalf("%d messages of %d bytes stored before the conversation's quota of %d", sent, len(text), cfg.ConversationBytesPerDay)
	}
	// A new conversation from the same address may go on, until the address's quota.
	d := h.dial(nil)
	d.hello("", 0)
	more := 0
	for ; more < 20; more++ {
		d.send(map[string]any{"type": "message", "id": fmt.Sprintf("n%d", more), "text": text})
		if f := d.next(); f.Type == "error" {
			if f.Code != CodeQuotaExceeded {
				t.Fatalf("over the address's quota: %s", f.Raw)
			}
			break
		}
		d.expect("message")
	}
	if more == 0 || more == 20 {
		t.Fatalf("a second conversation stored %d messages", more)
	}
	// Short messages are refused too once over; the socket stays usable.
	d.send(map[string]any{"type": "message", "id": "short", "text": "Hallo"})
	if e := d.expect("error"); e.Code != CodeQuotaExceeded {
		t.Errorf("short message over the quota: %s", e.Raw)
	}
	// Another instance sharing the counter sees the same use.
	h2 := newHarness(t, harnessOptions{cfg: cfg, opts: func(o *Options) { o.Usage = usage }})
	e := h2.dial(nil)
	e.hello("", 0)
	e.send(map[string]any{"type": "message", "id": "x1", "text": "Hallo"})
	if f := e.expect("error"); f.Code != CodeQuotaExceeded {
		t.Errorf("another instance: %s", f.Raw)
	}
}
