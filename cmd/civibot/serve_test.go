package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/civibot/civibot/internal/redistest"
)

// startServe runs `civibot serve args…` until the test ends and returns
// the URL it printed.
func startServe(t *testing.T, env map[string]string, args ...string) (string, func() int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan int, 1)
	go func() {
		code := run(ctx, append([]string{"serve"}, args...), &cli{
			stdin: strings.NewReader(""), stdout: pw, stderr: io.Discard,
			getenv: func(k string) string { return env[k] },
		})
		pw.Close()
		done <- code
	}()
	lines := bufio.NewScanner(pr)
	url := ""
	for lines.Scan() {
		if u, ok := strings.CutPrefix(lines.Text(), "civibot is running: open "); ok {
			url = strings.TrimSuffix(u, "/")
			break
		}
	}
	go io.Copy(io.Discard, pr)
	if url == "" {
		cancel()
		t.Fatalf("serve printed no URL; exit %d", <-done)
	}
	stopped := false
	stop := func() int {
		stopped = true
		cancel()
		select {
		case code := <-done:
			return code
		case <-time.After(20 * time.Second):
			t.Fatal("serve did not stop")
			return -1
		}
	}
	t.Cleanup(func() {
		if !stopped {
			stop()
		}
	})
	return url, stop
}

func getStatus(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// chat says hello and asks one question over the real socket.
func chat(t *testing.T, base, question string) string {
	t.Helper()
	ws, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(base, "http")+"/ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	ws.WriteJSON(map[string]any{"type": "hello", "v": 1})
	ws.WriteJSON(map[string]any{"type": "message", "id": "m1", "text": question})
	deadline := time.Now().Add(10 * time.Second)
	ws.SetReadDeadline(deadline)
	for {
		var f struct {
			Type    string `json:"type"`
			Message struct {
				Role string `json:"role"`
				Text string `json:"text"`
			} `json:"message"`
		}
		if err := ws.ReadJSON(&f); err != nil {
			t.Fatalf("chat: %v", err)
		}
		if f.Type == "message" && f.Message.Role == "bot" {
			return f.Message.Text
		}
	}
}

func TestServe(t *testing.T) {
	env := map[string]string{"CIVIBOT_LOG_LEVEL": "warn"}
	url, stop := startServe(t, env, "--addr", "127.0.0.1:0", "--set", "security.data_dir="+t.TempDir(),
		"--set", "city.name=Beispielstadt")
	for path, want := range map[string]string{
		"/healthz":            `"ok"`,
		"/readyz":             `"store":"ok"`,
		"/":                   "Chat – Beispielstadt",
		"/widget.js":          "civibot chat widget",
		"/widget/config.json": `"name":"Beispielstadt"`,
	} {
		code, body := getStatus(t, url+path)
		if code != 200 || !strings.Contains(body, want) {
			t.Errorf("GET %s = %d, want 200 with %q", path, code, want)
		}
	}
	if answer := chat(t, url, "Wie melde ich meinen Hund an?"); !strings.Contains(answer, "Beispielstadt") {
		t.Errorf("first answer does not introduce the city: %q", answer)
	}
	if code := stop(); code != 0 {
		t.Errorf("exit code %d after SIGTERM, want 0", code)
	}
}

func TestServeRedisReadiness(t *testing.T) {
	rs := redistest.Start(t)
	url, stop := startServe(t, map[string]string{"CIVIBOT_LOG_LEVEL": "error", "CIVIBOT_REDIS_URL": rs.URL()},
		"--addr", "127.0.0.1:0")
	if code, body := getStatus(t, url+"/readyz"); code != 200 {
		t.Fatalf("readyz = %d %s", code, body)
	}
	chat(t, url, "Hallo")
	rs.Stop(t)
	code, body := getStatus(t, url+"/readyz")
	var r struct {
		Status string            `json:"status"`
		Checks map[string]string `json:"checks"`
	}
	if code != http.StatusServiceUnavailable || json.Unmarshal([]byte(body), &r) != nil || r.Checks["store"] == "ok" {
		t.Errorf("readyz with Redis down = %d %s", code, body)
	}
	if code, _ := getStatus(t, url+"/healthz"); code != 200 {
		t.Errorf("healthz with Redis down = %d (the process is alive)", code)
	}
	rs.Restart(t)
	deadline := time.Now().Add(10 * time.Second)
	for {
		if code, _ := getStatus(t, url+"/readyz"); code == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("not ready again after Redis came back")
		}
		time.Sleep(100 * time.Millisecond)
	}
	if code := stop(); code != 0 {
		t.Errorf("exit code %d", code)
	}
}

func TestServeBadFlags(t *testing.T) {
	tests := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"serve", "--set", "nope.option=1"}, 2, `unknown option "nope"`},
		{[]string{"serve", "--set", "server.public_url=chat.example"}, 1, "server.public_url must start with https://"},
		{[]string{"serve", "--set", "city.primary_color=#ffff00"}, 1, "contrast"},
		{[]string{"serve", "extra"}, 2, "unexpected arguments"},
	}
	for _, tt := range tests {
		code, _, errOut := runCmd(t, nil, "", tt.args...)
		if code != tt.code || !strings.Contains(errOut, tt.want) {
			t.Errorf("%v: exit %d, stderr %q; want %d with %q", tt.args, code, errOut, tt.code, tt.want)
		}
	}
}
