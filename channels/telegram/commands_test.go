package telegram

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/civibot/civibot/conversation"
)

func TestStart(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	tests := []struct {
		lang string
		chat int64
		want []string
	}{
		{"de", erika, []string{"digitale Assistent der Stadt Musterstadt", "eine KI, kein Mensch", "Datenschutz", "nach 30 Tagen", "/delete", privacyURL}},
		{"de-AT", 333, []string{"eine KI, kein Mensch"}},
		{"en", john, []string{"digital assistant of Musterstadt", "an AI, not a person", "Privacy", "after 30 days", "/delete", privacyURL}},
		{"uk", 444, []string{"an AI, not a person"}}, // neither German nor English: English
		{"", 555, []string{"eine KI, kein Mensch"}},  // no language: the default
	}
	for i, tt := range tests {
		t.Run(tt.lang, func(t *testing.T) {
			h.deliver(textUpdate(800+i, tt.chat, tt.lang, "/start"))
			sent := h.fake.SentTo(tt.chat)
			if len(sent) != 1 {
				t.Fatalf("%d messages", len(sent))
			}
			for _, w := range tt.want {
				if !strings.Contains(sent[0].Plain, w) {
					t.Errorf("greeting lacks %q:\n%s", w, sent[0].Plain)
				}
			}
			if sent[0].ParseMode != "HTML" || !sent[0].DisablePreview {
				t.Errorf("sent with parse mode %q, preview off %v", sent[0].ParseMode, sent[0].DisablePreview)
			}
			// /start stores nothing: the citizen has not asked anything yet.
			if _, _, err := h.conversation(tt.chat); !errors.Is(err, conversation.ErrNotFound) {
				t.Errorf("/start created a conversation: %v", err)
			}
		})
	}
}

func TestCommands(t *testing.T) {
	h := newHarness(t, harnessOptions{online: true})
	ctx := context.Background()
	say := func(id int, text string) string {
		t.Helper()
		before := len(h.fake.SentTo(erika))
		h.deliver(textUpdate(id, erika, "de", text))
		sent := h.fake.SentTo(erika)[before:]
		var b strings.Builder
		for _, m := range sent {
			b.WriteString(m.Plain)
		}
		return b.String()
	}
	if got := say(900, "/help"); !strings.Contains(got, "/human") || !strings.Contains(got, "/delete") {
		t.Errorf("/help: %s", got)
	}
	if got := say(901, "/frobnicate"); !strings.Contains(got, "Diesen Befehl kenne ich nicht") {
		t.Errorf("unknown command: %s", got)
	}
	if got := say(902, "/help@another_bot"); !strings.Contains(got, "Diesen Befehl kenne ich nicht") {
		t.Errorf("command for another bot: %s", got)
	}
	if got := say(903, "/HELP@musterstadt_bot"); !strings.Contains(got, "/human") {
		t.Errorf("/HELP@musterstadt_bot: %s", got)
	}
	// Text that merely starts with a slash is a question.
	if got := say(904, "/ Was kostet ein Personalausweis?"); !strings.Contains(got, "37,00 Euro") {
		t.Errorf("slash text: %s", got)
	}

	// /human hands the conversation to a person.
	got := say(905, "/human")
	if !strings.Contains(got, "Mitarbeiter") || !strings.Contains(got, "Position 1") {
		t.Errorf("/human: %s", got)
	}
	c, msgs, err := h.conversation(erika)
	if err != nil {
		t.Fatal(err)
	}
	if c.Status != conversation.StatusWaiting || c.Handoff == nil || c.Handoff.Reason != "button" {
		t.Fatalf("after /human: status %s handoff %+v", c.Status, c.Handoff)
	}
	if c.Address != "111111111" || c.Channel != conversation.ChannelTelegram {
		t.Errorf("conversation address %q channel %q", c.Address, c.Channel)
	}
	waiting, err := h.desk.Waiting(ctx)
	if err != nil || len(waiting) != 1 || waiting[0].ConversationID != c.ID {
		t.Fatalf("queue: %+v %v", waiting, err)
	}
	if len(msgs) < 2 {
		t.Fatalf("messages: %+v", msgs)
	}

	// /delete forgets it all.
	if got := say(906, "/delete"); !strings.Contains(got, "gelöscht") {
		t.Errorf("/delete: %s", got)
	}
	if _, _, err := h.conversation(erika); !errors.Is(err, conversation.ErrNotFound) {
		t.Fatalf("after /delete: %v", err)
	}
	// /stop does the same (and is fine with nothing left to delete).
	if got := say(907, "/stop"); !strings.Contains(got, "gelöscht") {
		t.Errorf("/stop: %s", got)
	}
	// Writing again starts afresh.
	if got := say(908, "Was kostet ein Reisepass?"); !strings.Contains(got, "KI") {
		t.Errorf("new conversation after /delete lacks the disclosure: %s", got)
	}
}

func TestQuickReplies(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	ctx := context.Background()
	h.deliver(textUpdate(1000, erika, "de", "Was kostet ein Personalausweis?"))
	sent := h.fake.SentTo(erika)
	if len(sent) != 1 || sent[0].Markup == nil || len(sent[0].Markup.InlineKeyboard) == 0 {
		t.Fatalf("answer without buttons: %+v", sent)
	}
	_, msgs, err := h.conversation(erika)
	if err != nil {
		t.Fatal(err)
	}
	reply := msgs[len(msgs)-1]
	if len(reply.QuickReplies) == 0 {
		t.Fatal("stored answer has no quick replies")
	}
	button := sent[0].Markup.InlineKeyboard[0][0]
	if button.Text != reply.QuickReplies[0].Label {
		t.Errorf("button %q, quick reply %q", button.Text, reply.QuickReplies[0].Label)
	}

	// Pressing it: the query is answered and the payload is the citizen's message.
	h.deliver(callbackUpdate(1001, erika, "de", button.CallbackData))
	answered := h.fake.Answered()
	if len(answered) != 1 || answered[0].ID != "4382bfdwdsb323b2d1001" || answered[0].Text != "" {
		t.Fatalf("answerCallbackQuery: %+v", answered)
	}
	_, msgs, _ = h.conversation(erika)
	var citizen []string
	for _, m := range msgs {
		if m.Role == conversation.RoleCitizen {
			citizen = append(citizen, m.Text)
		}
	}
	if len(citizen) != 2 || citizen[1] != reply.QuickReplies[0].Payload {
		t.Fatalf("citizen messages %q, want the payload %q second", citizen, reply.QuickReplies[0].Payload)
	}
	if n := len(h.fake.SentTo(erika)); n != 2 {
		t.Fatalf("%d messages after the button, want 2", n)
	}
	// The same press delivered again is answered once.
	h.deliver(callbackUpdate(1001, erika, "de", button.CallbackData))
	if n := len(h.fake.SentTo(erika)); n != 2 || len(h.fake.Answered()) != 1 {
		t.Fatalf("duplicate press: %d sent, %d answered", n, len(h.fake.Answered()))
	}

	// A payload longer than Telegram's 64 bytes of callback data.
	long := strings.Repeat("Welche Unterlagen brauche ich für den Personalausweis meines Kindes? ", 3)
	id := conversation.TelegramID([]byte(testIDKey), erika)
	m, _, err := h.store.Append(ctx, id, conversation.Message{Role: conversation.RoleBot, Text: "Meinten Sie:",
		QuickReplies: []conversation.QuickReply{{Label: "Kinderausweis " + strings.Repeat("x", 80), Payload: long}}})
	if err != nil {
		t.Fatal(err)
	}
	c, _ := h.store.Get(ctx, id)
	if err := h.ch.Send(ctx, c, m); err != nil {
		t.Fatal(err)
	}
	last := h.fake.SentTo(erika)[2]
	data := last.Markup.InlineKeyboard[0][0].CallbackData
	if len(data) > 64 || textLen(last.Markup.InlineKeyboard[0][0].Text) > maxButtonChars {
		t.Fatalf("callback data %q (%d bytes), label %q", data, len(data), last.Markup.InlineKeyboard[0][0].Text)
	}
	h.deliver(callbackUpdate(1002, erika, "de", data))
	_, msgs, _ = h.conversation(erika)
	found := false
	for _, m := range msgs {
		found = found || m.Role == conversation.RoleCitizen && m.Text == strings.TrimSpace(long)
	}
	if !found {
		t.Fatal("the long payload did not arrive as the citizen's message")
	}

	// Stale or forged buttons get a toast and change nothing.
	before := len(msgs)
	for i, data := range []string{"q:999:0", "q:1:0", "q:" + "2:9", "garbage", ""} {
		h.deliver(callbackUpdate(1003+i, erika, "en", data))
	}
	_, msgs, _ = h.conversation(erika)
	if len(msgs) != before {
		t.Fatalf("stale buttons stored %d messages", len(msgs)-before)
	}
	answered = h.fake.Answered()
	if got := answered[len(answered)-1]; got.Text != textsEN.buttonGone {
		t.Errorf("stale button toast %q", got.Text)
	}
}
