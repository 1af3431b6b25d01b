package dialog

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// fakeChatAPI is a local fake of the OpenAI chat completions wire protocol.
type fakeChatAPI struct {
	status  int
	reply   string // the assistant message content to return
	raw     string // if set, the raw body to return instead
	lastReq chatRequest
	auth    string
}

func (f *fakeChatAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/v1/chat/completions" || r.Method != http.MethodPost {
		http.NotFound(w, r)
		return
	}
	f.auth = r.Header.Get("Authorization")
	body, _ := io.ReadAll(r.Body)
	_ = json.Unmarshal(body, &f.lastReq)
	if f.status != 0 && f.status != http.StatusOK {
		w.WriteHeader(f.status)
		_, _ = w.Write([]byte(`{"error":{"message":"rate limited","type":"rate_limit"}}`))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	if f.raw != "" {
		_, _ = w.Write([]byte(f.raw))
		return
	}
	_ = json.NewEncoder(w).Encode(map[string]any{
		"id": "chatcmpl-1", "object": "chat.completion",
		"choices": []map[string]any{{"index": 0, "message": map[string]string{"role": "assistant", "content": f.reply}, "finish_reason": "stop"}},
	})
}

func TestOpenAIPhraser(t *testing.T) {
	passages := []Passage{{Title: "Personalausweis beantragen", URL: "https://x.example/pa",
		Text: "Der Personalausweis kostet 37,00 Euro. Für Personen unter 24 Jahren kostet er 22,80 Euro."}}
	tests := []struct {
		name    string
		fake    fakeChatAPI
		want    string
		wantErr string
	}{
		{name: "grounded answer", fake: fakeChatAPI{reply: "Ein Personalausweis kostet 37,00 Euro [1]."}, want: "Ein Personalausweis kostet 37,00 Euro [1]."},
		{name: "invented number", fake: fakeChatAPI{reply: "Er kostet 45,00 Euro [1]."}, wantErr: `"45,00"`},
		{name: "no citation", fake: fakeChatAPI{reply: "Er kostet 37,00 Euro."}, wantErr: "cites no passage"},
		{name: "cites missing passage", fake: fakeChatAPI{reply: "Er kostet 37,00 Euro [2]."}, wantErr: "[2] of 1"},
		{name: "no answer", fake: fakeChatAPI{reply: "NO_ANSWER"}, wantErr: "do not answer"},
		{name: "http error", fake: fakeChatAPI{status: http.StatusTooManyRequests}, wantErr: "status 429"},
		{name: "malformed json", fake: fakeChatAPI{raw: `{"choices": [`}, wantErr: "decode response"},
		{name: "no choices", fake: fakeChatAPI{raw: `{"choices": []}`}, wantErr: "no choices"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := tt.fake
			srv := httptest.NewServer(&fake)
			defer srv.Close()
			p, err := NewOpenAIPhraser(LLMConfig{URL: srv.URL + "/v1", Model: "test-model", APIKey: "sk-test"}, srv.Client())
			if err != nil {
				t.Fatal(err)
			}
			got, err := p.Phrase(context.Background(), "Was kostet ein Perso?", "de", passages)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("answer = %q, want %q", got, tt.want)
			}
			if fake.auth != "Bearer sk-test" {
				t.Errorf("Authorization = %q", fake.auth)
			}
			if fake.lastReq.Model != "test-model" || len(fake.lastReq.Messages) != 2 {
				t.Fatalf("request = %+v", fake.lastReq)
			}
			if !strings.Contains(fake.lastReq.Messages[1].Content, "[1] Personalausweis beantragen") ||
				!strings.Contains(fake.lastReq.Messages[1].Content, "37,00 Euro") {
				t.Errorf("user message does not carry the numbered passage: %q", fake.lastReq.Messages[1].Content)
			}
			if !strings.Contains(fake.lastReq.Messages[0].Content, "NO_ANSWER") {
				t.Errorf("system prompt does not allow declining: %q", fake.lastReq.Messages[0].Content)
			}
		})
	}
}

func TestLLMConfigValidate(t *testing.T) {
	tests := []struct {
		cfg     LLMConfig
		wantErr string
	}{
		{LLMConfig{}, ""},
		{LLMConfig{URL: "https://api.example/v1", Model: "m"}, ""},
		{LLMConfig{URL: "api.example", Model: "m"}, "must start with http"},
		{LLMConfig{URL: "https://api.example/v1"}, "model is required"},
	}
	for _, tt := range tests {
		err := tt.cfg.Validate()
		if (err == nil) != (tt.wantErr == "") || (err != nil && !strings.Contains(err.Error(), tt.wantErr)) {
			t.Errorf("Validate(%+v) = %v, want %q", tt.cfg, err, tt.wantErr)
		}
	}
}
