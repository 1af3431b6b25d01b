package telegram

import (
	"context"
	"strings"
	"testing"

	"github.com/civibot/civibot/conversation"
	"github.com/civibot/civibot/internal/telegramtest"
)

// TestPartlySentAnswerRetried: an answer in two messages whose second
// cannot be sent (Telegram 5xx on every try). The first message's lease is done, the
// second's is given up: the retry of the update sends the second only.
// (TestFailedSendRetried covers the update's own lease.)
func TestPartlySentAnswerRetried(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	ctx := context.Background()
	long := conversation.Message{Role: conversation.RoleBot, Text: strings.Repeat("Für den Personalausweis brauchen Sie einen Termin im Bürgerbüro. ", 80)}
	chunks := render(long, "", "Musterstadt", textsDE)
	if len(chunks) != 2 {
		t.Fatalf("%d chunks, want 2", len(chunks))
	}
	h.fake.Script("sendMessage", telegramtest.Pass(), telegramtest.ServerError(500), telegramtest.ServerError(502), telegramtest.BadGateway())
	if err := h.ch.sendFor(ctx, &turn{update: 9001}, erika, chunks, 0); err == nil {
		t.Fatal("the failed second message was not reported")
	}
	if n := len(h.fake.SentTo(erika)); n != 1 {
		t.Fatalf("%d messages sent before the failure, want 1", n)
	}
	if err := h.ch.sendFor(ctx, &turn{update: 9001}, erika, chunks, 0); err != nil {
		t.Fatalf("retry: %v", err)
	}
	sent := h.fake.SentTo(erika)
	if len(sent) != 2 || sent[0].Plain == sent[1].Plain {
		t.Fatalf("after the retry: %d messages, want the first once and the second once", len(sent))
	}
	if err := h.ch.sendFor(ctx, &turn{update: 9001}, erika, chunks, 0); err != nil || len(h.fake.SentTo(erika)) != 2 {
		t.Fatalf("a late retry sent again (%v)", err)
	}
}
