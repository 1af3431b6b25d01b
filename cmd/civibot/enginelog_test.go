package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// failingLLM is an OpenAI-compatible API that answers every call with a
// server error, and counts the calls.
func failingLLM(t *testing.T) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		http.Error(w, `{"error":{"message":"overloaded"}}`, http.StatusServiceUnavailable)
	}))
	t.Cleanup(srv.Close)
	return srv, &calls
}

// TestEngineLogsReachTheOperator: the dialog engine's warnings (here: the
// configured LLM failed, so the answer is extractive) reach serve's log and
// ask's stderr, once per failed call.
func TestEngineLogsReachTheOperator(t *testing.T) {
	const question = "Wie melde ich meinen Hund an?"
	const warning = "llm phrasing failed"

	t.Run("serve", func(t *testing.T) {
		llm, calls := failingLLM(t)
		cfg := testConfig(t, "")
		cfg.LLM.URL, cfg.LLM.Model, cfg.LLM.Timeout = llm.URL+"/v1", "test-model", 5*time.Second
		in := startInstance(t, cfg)
		cit := dialCitizen(t, in.url, "", 0, nil)
		cit.send(map[string]any{"type": "message", "id": "m1", "text": question})
		cit.until("message", func(f chatFrame) bool { return f.Message.Role == "bot" })
		if calls.Load() != 1 {
			t.Fatalf("the LLM was called %d times, want 1 (is the question answered?)", calls.Load())
		}
		if n := strings.Count(in.logs.String(), warning); n != 1 {
			t.Errorf("serve's log holds %q %d times, want once:\n%s", warning, n, in.logs.String())
		}
	})

	t.Run("ask", func(t *testing.T) {
		llm, calls := failingLLM(t)
		env := map[string]string{"CIVIBOT_LLM_URL": llm.URL + "/v1", "CIVIBOT_LLM_MODEL": "test-model"}
		code, out, errOut := runCmd(t, env, "", "ask", question)
		if code != 0 {
			t.Fatalf("ask: exit %d: %s", code, errOut)
		}
		if calls.Load() != 1 {
			t.Fatalf("the LLM was called %d times, want 1; answer: %s", calls.Load(), out)
		}
		if n := strings.Count(errOut, warning); n != 1 {
			t.Errorf("ask's stderr holds %q %d times, want once:\n%s", warning, n, errOut)
		}
	})
}
