package console_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/civibot/civibot/channels"
	"github.com/civibot/civibot/conversation"
)

// windowed is a channel with WhatsApp's reply window, closed: free text is
// refused, the template goes out.
type windowed struct {
	mu   sync.Mutex
	sent []conversation.Message
}

var closedAt = time.Date(2026, 3, 3, 10, 0, 0, 0, time.UTC)

func (w *windowed) Window(context.Context, conversation.Conversation) (channels.Window, error) {
	return channels.Window{Open: false, Closes: closedAt, Template: "Wir haben eine Antwort für Sie. Bitte antworten Sie auf diese Nachricht."}, nil
}

func (w *windowed) Send(_ context.Context, _ conversation.Conversation, m conversation.Message) error {
	if m.Action != conversation.ActionTemplate {
		return fmt.Errorf("fake: %w", channels.ErrWindowClosed)
	}
	w.mu.Lock()
	w.sent = append(w.sent, m)
	w.mu.Unlock()
	return nil
}

// TestReplyWindowAndTemplate: the console shows a WhatsApp conversation's
// window, says why a reply outside it was not delivered, and sends the
// approved template (only the assignee; not on a channel without one).
func TestReplyWindowAndTemplate(t *testing.T) {
	reg := channels.NewRegistry()
	wa := &windowed{}
	reg.Register(conversation.ChannelWhatsApp, wa)
	h := newHarness(t, harnessOpts{registry: reg})
	h.waiting("a1", conversation.ChannelWhatsApp, "de", "Wann ist mein Ausweis fertig?")
	h.waiting("p1", conversation.ChannelSMS, "de", "Rückruf bitte")
	anna, ben := h.login("anna"), h.login("ben")
	anna.do("POST", "/console/api/conversations/a1/claim", nil)
	anna.do("POST", "/console/api/conversations/p1/claim", nil)

	code, body := anna.do("GET", "/console/api/conversations/a1", nil)
	win, _ := body["window"].(map[string]any)
	if code != 200 || win == nil || win["open"] != false || win["closes"] != closedAt.Format(time.RFC3339) || win["template"] == "" {
		t.Fatalf("transcript = %d, window %v", code, body["window"])
	}
	if _, body := anna.do("GET", "/console/api/conversations/p1", nil); body["window"] != nil {
		t.Errorf("an SMS conversation shows a window: %v", body["window"])
	}

	code, body = anna.do("POST", "/console/api/conversations/a1/reply", map[string]string{"text": "Ihr Ausweis ist fertig.", "client_id": "r1"})
	if code != 200 || body["delivered"] != false || body["window_closed"] != true || body["window"] == nil {
		t.Fatalf("reply outside the window = %d %v", code, body)
	}

	if code, body := ben.do("POST", "/console/api/conversations/a1/template", map[string]string{"client_id": "t0"}); code != 409 || body["error"] != "not_assignee" {
		t.Errorf("template by another caseworker = %d %v", code, body)
	}
	code, body = anna.do("POST", "/console/api/conversations/a1/template", map[string]string{"client_id": "t1"})
	msg, _ := body["message"].(map[string]any)
	if code != 200 || body["delivered"] != true || msg["action"] != conversation.ActionTemplate {
		t.Fatalf("template = %d %v", code, body)
	}
	if len(wa.sent) != 1 || wa.sent[0].Text != "Wir haben eine Antwort für Sie. Bitte antworten Sie auf diese Nachricht." {
		t.Errorf("sent %+v", wa.sent)
	}
	if code, body := anna.do("POST", "/console/api/conversations/p1/template", map[string]string{"client_id": "t2"}); code != 409 || body["error"] != "no_template" {
		t.Errorf("template on SMS = %d %v", code, body)
	}
}
