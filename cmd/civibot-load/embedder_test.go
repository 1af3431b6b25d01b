package main

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/civibot/civibot/knowledge"
)

// TestFakeEmbedder: civibot's own OpenAI embedder client reads the fake's
// vectors, each after the delay, and equal texts get equal vectors.
func TestFakeEmbedder(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serveFakeEmbedder(ctx, addr, 50*time.Millisecond, &testWriter{t}) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	emb, err := knowledge.NewEmbedder(knowledge.EmbedderConfig{Kind: "openai", URL: "http://" + addr + "/v1", Model: "fake"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var v1 []float32
	for i := 0; ; i++ {
		began := time.Now()
		if v1, err = emb.Embed(ctx, "Wie melde ich meinen Hund an?"); err == nil {
			if d := time.Since(began); d < 50*time.Millisecond {
				t.Errorf("the answer came after %v, want the 50ms delay", d)
			}
			break
		}
		if i == 50 { // the listener may not be up yet
			t.Fatal(err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	v2, err := emb.Embed(ctx, "wie melde ich meinen hund an")
	if err != nil {
		t.Fatal(err)
	}
	if len(v1) != fakeEmbedderDims || len(v2) != len(v1) {
		t.Fatalf("dimensions %d and %d, want %d", len(v1), len(v2), fakeEmbedderDims)
	}
	for i := range v1 {
		if v1[i] != v2[i] {
			t.Fatalf("the same words got different vectors at %d", i)
		}
	}
}

type testWriter struct{ t *testing.T }

func (w *testWriter) Write(p []byte) (int, error) { w.t.Log(string(p)); return len(p), nil }
