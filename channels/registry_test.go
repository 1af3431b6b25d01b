package channels

import (
	"context"
	"errors"
	"testing"

	"github.com/civibot/civibot/conversation"
)

type recordingSender struct {
	got []conversation.Message
	err error
}

func (s *recordingSender) Send(_ context.Context, _ conversation.Conversation, m conversation.Message) error {
	if s.err != nil {
		return s.err
	}
	s.got = append(s.got, m)
	return nil
}

func TestRegistryDeliver(t *testing.T) {
	ctx := context.Background()
	tg := &recordingSender{}
	failing := &recordingSender{err: errors.New("provider down")}
	r := NewRegistry()
	r.Register(conversation.ChannelTelegram, tg)
	r.Register(conversation.ChannelSMS, failing)

	msg := conversation.Message{Role: conversation.RoleCaseworker, Text: "Hallo"}
	tests := []struct {
		name    string
		channel string
		msg     conversation.Message
		wantErr error
		wantTG  int
	}{
		{"pushed to telegram", conversation.ChannelTelegram, msg, nil, 1},
		{"notes are never delivered", conversation.ChannelTelegram, conversation.Message{Role: conversation.RoleNote, Text: "intern"}, nil, 1},
		{"web follows events", conversation.ChannelWeb, msg, nil, 1},
		{"unknown channel", "fax", msg, ErrNoSender, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := r.Deliver(ctx, conversation.Conversation{Channel: tt.channel}, tt.msg)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if len(tg.got) != tt.wantTG {
				t.Fatalf("telegram got %d messages, want %d", len(tg.got), tt.wantTG)
			}
		})
	}
	if err := r.Deliver(ctx, conversation.Conversation{Channel: conversation.ChannelSMS}, msg); err == nil || !errors.Is(err, failing.err) {
		t.Fatalf("provider error not surfaced: %v", err)
	}
	if !r.Pushes(conversation.ChannelTelegram) || r.Pushes(conversation.ChannelWeb) {
		t.Fatal("Pushes wrong")
	}
}
