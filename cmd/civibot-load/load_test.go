package main

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/civibot/civibot/accounts"
	"github.com/civibot/civibot/channels"
	"github.com/civibot/civibot/channels/webchat"
	"github.com/civibot/civibot/conversation"
	"github.com/civibot/civibot/dialog"
	"github.com/civibot/civibot/handoff"
	"github.com/civibot/civibot/knowledge"
	"github.com/civibot/civibot/knowledge/importer"
	"github.com/civibot/civibot/knowledge/samplecity"
)

// server starts the web chat with the sample city, as `civibot serve`
// wires it, with limits raised for load.
func server(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	pages, _, err := importer.ImportFS(ctx, samplecity.FS(), ".", importer.Options{})
	if err != nil {
		t.Fatal(err)
	}
	kb, err := knowledge.Build(ctx, pages, knowledge.Options{})
	if err != nil {
		t.Fatal(err)
	}
	engine, err := dialog.NewEngine(dialog.Config{}, kb, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	st := conversation.NewMemory(conversation.Options{})
	accts, err := accounts.NewMemory(accounts.Config{BcryptCost: accounts.MinBcryptCost}, "", accounts.Options{})
	if err != nil {
		t.Fatal(err)
	}
	desk, err := handoff.New(handoff.Config{}, handoff.Options{State: st, Queue: handoff.NewMemoryQueue(), Registry: channels.NewRegistry(), Users: accts})
	if err != nil {
		t.Fatal(err)
	}
	svc, err := dialog.NewService(dialog.ServiceConfig{}, dialog.ServiceOptions{Engine: engine, Store: st, Bus: st, Desk: desk})
	if err != nil {
		t.Fatal(err)
	}
	h, err := webchat.New(webchat.Config{MessagesPerMinute: 100000, MessageBurst: 1000, IPMessagesPerMinute: 1000000,
		IPMessageBurst: 100000, IPConnections: 100000, IPConnectsPerMinute: 1000000, IPConnectBurst: 100000,
		AddressBytesPerDay: 1 << 40, ConversationBytesPerDay: 1 << 40}, svc, webchat.Options{})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /ws", h)
	srv := httptest.NewServer(mux)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = h.Shutdown(ctx)
		srv.Close()
	})
	return "ws" + strings.TrimPrefix(srv.URL, "http") + "/ws"
}

func TestChats(t *testing.T) {
	url := server(t)
	var out, log bytes.Buffer
	code := run(context.Background(), []string{"-url", url, "-chats", "20", "-rate", "4", "-duration", "2s", "-lang", "mixed"}, &out, &log)
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out.String(), log.String())
	}
	got := out.String()
	for _, want := range []string{"chats:        20", "lost:         0", "duplicated:   0", "out of order: 0", "latency:      p50"} {
		if !strings.Contains(got, want) {
			t.Errorf("report lacks %q:\n%s", want, got)
		}
	}
	// About 20 chats × 4/s × 2 s were sent and answered.
	var sent, answered int
	for _, line := range strings.Split(got, "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) > 1 && f[0] == "sent:":
			sent, _ = strconv.Atoi(f[1])
		case len(f) > 1 && f[0] == "answered:":
			answered, _ = strconv.Atoi(f[1])
		}
	}
	if sent < 140 || answered != sent {
		t.Errorf("sent %d, answered %d:\n%s", sent, answered, got)
	}
}

func TestIdle(t *testing.T) {
	url := server(t)
	var out, log bytes.Buffer
	pid := strconv.Itoa(os.Getpid()) // the server runs in this process
	code := run(context.Background(), []string{"-url", url, "-idle", "50", "-with-conversation", "-hold", "100ms", "-pid", pid}, &out, &log)
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out.String(), log.String())
	}
	if got := out.String(); !strings.Contains(got, "idle connections: 50") || !strings.Contains(got, "per connection") {
		t.Errorf("report:\n%s", got)
	}
}

func TestBadServer(t *testing.T) {
	var out, log bytes.Buffer
	code := run(context.Background(), []string{"-url", "ws://127.0.0.1:1/ws", "-chats", "2", "-duration", "1s"}, &out, &log)
	if code != 1 || !strings.Contains(log.String(), "2 of 2 connections failed") {
		t.Errorf("exit %d, log %q", code, log.String())
	}
	if code := run(context.Background(), []string{"-chats", "0"}, &out, &log); code != 2 {
		t.Errorf("bad flags: exit %d", code)
	}
}
