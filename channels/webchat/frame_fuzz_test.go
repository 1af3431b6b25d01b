package webchat

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/gorilla/websocket"

	"github.com/civibot/civibot/conversation"
)

// frameSeeds are frames the widget sends (docs/webchat-protocol.md) and
// broken variants of them.
var frameSeeds = []string{
	`{"type":"message","id":"m1","text":"Was kostet ein Personalausweis?"}`,
	`{"type":"message","id":"m-2_x.y:z","text":"How do I register my dog?"}`,
	`{"type":"person","id":"p1"}`,
	`{"type":"feedback","id":"f1","seq":2,"value":1}`,
	`{"type":"feedback","id":"f2","seq":2,"value":-1}`,
	`{"type":"forget","id":"x"}`,
	`{"type":"hello","v":1,"token":"","last_seq":0,"lang":"de"}`,
	`{"type":"hello","v":2}`,
	`{"type":"hello","v":1,"token":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA","last_seq":99}`,
	`{"type":"hello","v":1,"token":"../../etc/passwd","last_seq":-1}`,
	`{"type":"message","id":"m3","text":""}`,
	`{"type":"message","id":"m4","text":"   "}`,
	`{"type":"message","id":"m5"}`,
	`{"type":"message","id":"m6","text":null}`,
	`{"type":"message","id":"","text":"x"}`,
	`{"type":"message","id":"` + strings.Repeat("a", 65) + `","text":"x"}`,
	`{"type":"message","id":"m7","text":"` + strings.Repeat("lang ", 2000) + `"}`,
	`{"type":"message","id":"m8","text":"\u0000\u202e<script>alert(1)</script>\ud800"}`,
	`{"type":"message","id":"m9","text":"a\xffb"}`,
	`{"type":"message","id":"m10","text":42}`,
	`{"type":"message","id":"m11","text":"x","seq":"1"}`,
	`{"type":"Message","id":"m12","text":"x"}`,
	`{"type":"feedback","id":"f3","seq":9223372036854775807,"value":1}`,
	`{"type":"feedback","id":"f4","seq":1,"value":2}`,
	`{"type":"","id":"x"}`, `{"type":"bogus","id":"x"}`, `{}`, `[]`, `null`, `"message"`, `{"type":"message"`,
	`{"type":"message","id":"m13","text":"x"}{"type":"message","id":"m14","text":"y"}`,
	`{"type":"message","type":"person","id":"m15","text":"x"}`,
}

// FuzzFrame sends any frame (text or binary) on a real WebSocket — before
// or after hello — followed by a probe frame. The server never panics; it
// answers with frames of the protocol only (JSON objects of known types)
// or closes with a protocol close code; a frame answered with an error
// stores nothing; a stored citizen message is echoed with the text and id
// sent, as stored.
func FuzzFrame(f *testing.F) {
	h := newHarness(f, harnessOptions{cfg: Config{
		MessagesPerMinute: 1 << 20, MessageBurst: 1 << 20, IPMessagesPerMinute: 1 << 30, IPMessageBurst: 1 << 20,
		IPConnections: 1 << 20, IPConnectsPerMinute: 1 << 30, IPConnectBurst: 1 << 20, MaxFrameBytes: 16 << 10,
		// Tests send faster than a citizen: a turn shows no typing indicator.
		TypingDelay: time.Minute,
	}})
	for _, s := range frameSeeds {
		f.Add([]byte(s), false, false)
	}
	f.Add([]byte(`{"type":"message","id":"m1","text":"x"}`), true, false)
	f.Add([]byte(frameSeeds[0]), false, true)
	f.Add([]byte{0x81, 0x00, 0xff}, false, true)
	var n atomic.Int64
	f.Fuzz(func(t *testing.T, data []byte, beforeHello, binary bool) {
		probe := fmt.Sprintf("probe%d", n.Add(1))
		c := dialFuzz(t, h)
		defer c.ws.Close()
		id := ""
		if !beforeHello {
			id = c.hello(t)
		}
		typ := websocket.TextMessage
		if binary {
			typ = websocket.BinaryMessage
		}
		var before []conversation.Message
		if id != "" {
			before, _ = h.store.Messages(context.Background(), id, 0, 0)
		}
		if err := c.ws.WriteMessage(typ, data); err != nil {
			t.Fatalf("send: %v", err)
		}
		var sent struct {
			Type string  `json:"type"`
			ID   string  `json:"id"`
			Text *string `json:"text"`
		}
		_ = json.Unmarshal(data, &sent)
		if beforeHello {
			// The fuzzed frame was the first; say hello now (a second
			// hello is refused, which is fine).
			_ = c.ws.WriteJSON(map[string]any{"type": "hello", "v": 1})
		}
		// The probe: a feedback frame that cannot match, answered with an
		// error frame naming it.
		_ = c.ws.WriteJSON(map[string]any{"type": "feedback", "id": probe, "seq": 1 << 40, "value": 1})

		frames, closeCode := c.until(t, probe)
		var errored bool
		var echo *wireMessage
		for _, fr := range frames {
			switch fr.Type {
			case "welcome":
				if !validToken(fr.Token) {
					t.Fatalf("welcome with token %q", fr.Token)
				}
				id = conversation.WebID(fr.Token)
			case "error":
				if fr.Ref != probe && (fr.Ref == "" || fr.Ref == sent.ID || fr.Ref == "hello") {
					errored = true
				}
			case "message":
				m := fr.Message
				if m.Role == conversation.RoleCitizen && !fr.Replay {
					echo = &m
				}
			case "synced", "handoff", "ack", "forgotten", "typing", "server_shutdown":
			default:
				t.Fatalf("frame of unknown type %q: %s", fr.Type, fr.Raw)
			}
		}
		switch closeCode {
		case 0, closeNormal, closeProtocolError, closePolicy, websocket.CloseMessageTooBig:
		default:
			t.Fatalf("closed with %d", closeCode)
		}
		if closeCode == websocket.CloseMessageTooBig && len(data) <= 16<<10 {
			t.Fatalf("a frame of %d bytes was too big", len(data))
		}
		if id == "" {
			return
		}
		after, err := h.store.Messages(context.Background(), id, 0, 0)
		if errors.Is(err, conversation.ErrNotFound) {
			if echo != nil && sent.Type != typeForget {
				t.Fatalf("echoed %+v, but the conversation is not stored", echo)
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		added := after[min(len(before), len(after)):]
		if echo == nil {
			for _, m := range added {
				if m.Role == conversation.RoleCitizen {
					t.Fatalf("stored %+v without an echo", m)
				}
			}
			if errored && len(added) > 0 {
				t.Fatalf("an error was answered, but %d messages were stored", len(added))
			}
			return
		}
		if echo.ClientID != sent.ID || sent.Type != typeMessage && sent.Type != typePerson {
			t.Fatalf("echo %+v for frame %q", echo, data)
		}
		var stored *conversation.Message
		for i := range after {
			if after[i].Seq == echo.Seq {
				stored = &after[i]
			}
		}
		if stored == nil || stored.Text != echo.Text || stored.ClientID != echo.ClientID {
			t.Fatalf("echo %+v, stored %+v", echo, stored)
		}
		if sent.Type == typePerson {
			return // "talk to a person" is stored in the conversation's language
		}
		// What was sent is what is stored, as far as the server keeps it:
		// valid UTF-8, the words in their order.
		if !utf8.ValidString(stored.Text) {
			t.Fatalf("stored text is not valid UTF-8: %q", stored.Text)
		}
		if want := strings.Fields(strings.ToValidUTF8(*sent.Text, "\uFFFD")); strings.Join(strings.Fields(stored.Text), " ") != strings.Join(want, " ") &&
			!strings.Contains(strings.Join(want, " "), strings.Join(strings.Fields(stored.Text), " ")) {
			t.Fatalf("sent %q, stored %q", *sent.Text, stored.Text)
		}
	})
}

type fuzzClient struct {
	ws     *websocket.Conn
	frames chan frame
	closed chan int // the close code (0 when the connection ended otherwise)
}

func dialFuzz(t *testing.T, h *harness) *fuzzClient {
	t.Helper()
	d := websocket.Dialer{HandshakeTimeout: 5 * time.Second}
	ws, _, err := d.Dial(h.url, nil)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	c := &fuzzClient{ws: ws, frames: make(chan frame, 64), closed: make(chan int, 1)}
	go func() {
		defer close(c.frames)
		for {
			_, data, err := ws.ReadMessage()
			if err != nil {
				code := 0
				var ce *websocket.CloseError
				if errors.As(err, &ce) {
					code = ce.Code
				}
				c.closed <- code
				return
			}
			var f frame
			if err := json.Unmarshal(data, &f); err != nil {
				f.Type = fmt.Sprintf("invalid JSON %q", data)
			}
			f.Raw = data
			c.frames <- f
		}
	}()
	return c
}

// hello starts a new conversation and returns its id.
func (c *fuzzClient) hello(t *testing.T) string {
	t.Helper()
	if err := c.ws.WriteJSON(map[string]any{"type": "hello", "v": 1}); err != nil {
		t.Fatal(err)
	}
	id := ""
	for f := range c.frames {
		switch f.Type {
		case "welcome":
			id = conversation.WebID(f.Token)
		case "synced":
			return id
		}
	}
	t.Fatal("connection ended before synced")
	return ""
}

// until reads frames up to the error frame answering ref, or the close.
func (c *fuzzClient) until(t *testing.T, ref string) ([]frame, int) {
	t.Helper()
	var got []frame
	timeout := time.After(10 * time.Second)
	for {
		select {
		case f, ok := <-c.frames:
			if !ok {
				return got, <-c.closed
			}
			if f.Type == "error" && f.Ref == ref {
				return got, 0
			}
			got = append(got, f)
		case <-timeout:
			t.Fatalf("no answer to the probe; got %d frames", len(got))
		}
	}
}
