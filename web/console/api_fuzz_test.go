package console_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/civibot/civibot/accounts"
	"github.com/civibot/civibot/channels"
	"github.com/civibot/civibot/conversation"
	"github.com/civibot/civibot/handoff"
	"github.com/civibot/civibot/web"
	"github.com/civibot/civibot/web/console"
)

// apiRoutes are the console's routes that read a JSON body; {id} is a
// conversation rita (admin) has claimed.
var apiRoutes = []struct{ method, path string }{
	{"POST", "/console/api/conversations/{id}/reply"},
	{"POST", "/console/api/conversations/{id}/note"},
	{"POST", "/console/api/conversations/{id}/transfer"},
	{"POST", "/console/api/conversations/{id}/close"},
	{"POST", "/console/api/conversations/{id}/giveback"},
	{"POST", "/console/api/conversations/{id}/claim"},
	{"DELETE", "/console/api/conversations/{id}"},
	{"PUT", "/console/api/canned"},
	{"POST", "/console/api/leave"},
	{"POST", "/console/api/login"}, // sent without a session
}

// fuzzConsole is the console on a real HTTP server with memory backends
// and rita logged in, built once per fuzz run.
type fuzzConsole struct {
	store *conversation.Memory
	desk  *handoff.Desk
	acc   *accounts.Store
	srv   *httptest.Server
	rita  *http.Client
	csrf  string
	logs  *syncBuffer
	n     atomic.Int64
}

func newFuzzConsole(f *testing.F) *fuzzConsole {
	f.Helper()
	fc := &fuzzConsole{store: conversation.NewMemory(conversation.Options{}), logs: &syncBuffer{}}
	log := slog.New(slog.NewJSONHandler(fc.logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	file, err := accountsFile()
	if err != nil {
		f.Fatal(err)
	}
	path := filepath.Join(f.TempDir(), accounts.FileName)
	if err := os.WriteFile(path, file, 0o600); err != nil {
		f.Fatal(err)
	}
	if fc.acc, err = accounts.NewMemory(accountsConfig, path, accounts.Options{}); err != nil {
		f.Fatal(err)
	}
	fc.desk, err = handoff.New(handoff.Config{WatchInterval: 100 * time.Millisecond, ReclaimAfter: time.Second}, handoff.Options{State: fc.store, Queue: handoff.NewMemoryQueue(), Registry: channels.NewRegistry(), Users: fc.acc, Log: log})
	if err != nil {
		f.Fatal(err)
	}
	ctx, cancel := context.WithCancel(bg)
	done := make(chan struct{})
	go func() { defer close(done); _ = fc.desk.Run(ctx) }()
	f.Cleanup(func() { cancel(); <-done })
	srv, err := web.New(web.Config{}, web.DefaultBranding(), log)
	if err != nil {
		f.Fatal(err)
	}
	con, err := console.New(console.Config{}, console.Options{Desk: fc.desk, Accounts: fc.acc, Store: fc.store, Bus: fc.store,
		Log: log, LoginsPerMinute: 1 << 20})
	if err != nil {
		f.Fatal(err)
	}
	srv.Handle("/console/", con)
	fc.srv = httptest.NewServer(srv.Handler())
	f.Cleanup(fc.srv.Close)
	jar, _ := cookiejar.New(nil)
	fc.rita = &http.Client{Jar: jar, Timeout: 20 * time.Second}
	code, body, err := fc.send(fc.rita, "", "POST", "/console/api/login", []byte(`{"username":"rita","password":"`+password+`"}`), true)
	if err != nil || code != http.StatusOK {
		f.Fatalf("login: %d %s %v", code, body, err)
	}
	var me struct{ CSRF string }
	if err := json.Unmarshal(body, &me); err != nil || me.CSRF == "" {
		f.Fatalf("login answer %s", body)
	}
	fc.csrf = me.CSRF
	return fc
}

func (fc *fuzzConsole) send(c *http.Client, csrf, method, path string, body []byte, jsonType bool) (int, []byte, error) {
	req, err := http.NewRequest(method, fc.srv.URL+path, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	if jsonType {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Origin", fc.srv.URL)
	if csrf != "" {
		req.Header.Set("X-CSRF-Token", csrf)
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

// claimed makes a conversation waiting for a person and has rita claim it.
func (fc *fuzzConsole) claimed(t *testing.T) string {
	t.Helper()
	id := fmt.Sprintf("wfuzz%d", fc.n.Add(1))
	if err := fc.desk.Heartbeat(bg, "rita"); err != nil {
		t.Fatal(err)
	}
	if _, err := fc.store.Create(bg, conversation.Conversation{ID: id, Channel: conversation.ChannelWeb, Language: "de"}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := fc.store.Append(bg, id, conversation.Message{Role: conversation.RoleCitizen, Text: "Ich brauche Hilfe", Language: "de"}); err != nil {
		t.Fatal(err)
	}
	if _, err := fc.desk.Request(bg, id, conversation.HandoffRequest{Reason: "human_request", Language: "de", Channel: conversation.ChannelWeb}); err != nil {
		t.Fatal(err)
	}
	if _, err := fc.desk.Claim(bg, id, "rita"); err != nil {
		t.Fatal(err)
	}
	return id
}

// FuzzConsoleAPI sends any body to each console route that reads JSON, as
// a logged-in administrator's page would (and the login route without a
// session). The console never fails with 5xx or panics, always answers
// JSON, and a refused body (4xx) changes nothing: not the conversation,
// its messages, nor the canned replies. An accepted reply or note is
// stored as the text sent; accepted canned replies read back as answered.
func FuzzConsoleAPI(f *testing.F) {
	fc := newFuzzConsole(f)
	for i := range apiRoutes {
		for _, b := range []string{
			`{"text":"Guten Tag, hier ist Rita vom Bürgeramt.","client_id":"r-1"}`,
			`{"text":"Notiz: Rückruf vereinbart"}`, `{"to":"ben"}`, `{"to":"dora"}`, `{"to":"../x"}`,
			`{"outcome":"resolved"}`, `{"outcome":"x"}`, `{}`, `{"sid":"abc"}`,
			`{"replies":[{"title":"Gruß","text":"Guten Tag {name}"}]}`, `{"replies":[]}`, `{"replies":null}`,
			`{"username":"rita","password":"wrong"}`, `{"username":"` + strings.Repeat("x", 300) + `","password":"x"}`,
			``, `null`, `[]`, `"x"`, `{"text":1}`, `{"text":"a","extra":1}`, `{"text":"a"} {"text":"b"}`,
			`{"text":"` + strings.Repeat("ü", 5000) + `","client_id":"r-2"}`, `{"text":"\u0000\u202e<img src=x>","client_id":"r:3"}`,
			"{\"text\":\"\xff\xfe\",\"client_id\":\"r-4\"}", `{"text":"x","client_id":"` + strings.Repeat("a", 65) + `"}`,
		} {
			f.Add(uint8(i), []byte(b), true)
		}
	}
	f.Add(uint8(0), []byte(`{"text":"x","client_id":"r-5"}`), false)
	f.Fuzz(func(t *testing.T, route uint8, body []byte, jsonType bool) {
		r := apiRoutes[int(route)%len(apiRoutes)]
		id := fc.claimed(t)
		path := strings.ReplaceAll(r.path, "{id}", id)
		convBefore, _ := fc.store.Get(bg, id)
		msgsBefore, _ := fc.store.Messages(bg, id, 0, 0)
		cannedBefore, err := fc.acc.CannedReplies(bg)
		if err != nil {
			t.Fatal(err)
		}
		client, csrf := fc.rita, fc.csrf
		if strings.HasSuffix(path, "/login") {
			client, csrf = &http.Client{Timeout: 20 * time.Second}, ""
		}
		code, answer, err := fc.send(client, csrf, r.method, path, body, jsonType)
		if err != nil {
			t.Fatal(err)
		}
		if code >= 500 {
			t.Fatalf("%s %s %q: %d %s", r.method, path, body, code, answer)
		}
		if len(answer) > 0 && !json.Valid(answer) {
			t.Fatalf("%s %s: answer is not JSON: %q", r.method, path, answer)
		}
		if strings.Contains(fc.logs.String(), "panic") {
			t.Fatalf("panic:\n%s", fc.logs.String())
		}
		convAfter, _ := fc.store.Get(bg, id)
		msgsAfter, _ := fc.store.Messages(bg, id, 0, 0)
		cannedAfter, err := fc.acc.CannedReplies(bg)
		if err != nil {
			t.Fatal(err)
		}
		if code/100 != 2 {
			if !reflect.DeepEqual(convBefore, convAfter) || len(msgsBefore) != len(msgsAfter) {
				t.Fatalf("%s %s refused (%d %s) but the conversation changed:\n%+v\n%+v", r.method, path, code, answer, convBefore, convAfter)
			}
			if !reflect.DeepEqual(cannedBefore, cannedAfter) {
				t.Fatalf("%s %s refused (%d) but the canned replies changed", r.method, path, code)
			}
			return
		}
		switch {
		case strings.HasSuffix(path, "/reply") || strings.HasSuffix(path, "/note"):
			var in struct{ Text string }
			if err := json.Unmarshal(body, &in); err != nil {
				t.Fatalf("accepted %q, which is not JSON: %v", body, err)
			}
			added := msgsAfter[len(msgsBefore):]
			if len(added) != 1 {
				t.Fatalf("%s: %d messages stored", path, len(added))
			}
			if strings.Join(strings.Fields(added[0].Text), " ") != strings.Join(strings.Fields(strings.ToValidUTF8(in.Text, "\uFFFD")), " ") {
				t.Errorf("sent %q, stored %q", in.Text, added[0].Text)
			}
		case strings.HasSuffix(path, "/canned"):
			code, got, err := fc.send(fc.rita, "", "GET", "/console/api/canned", nil, false)
			if err != nil || code != http.StatusOK || !bytes.Equal(bytes.TrimSpace(got), bytes.TrimSpace(answer)) {
				t.Fatalf("canned replies read back as %d %s, were answered %s (%v)", code, got, answer, err)
			}
		}
	})
}
