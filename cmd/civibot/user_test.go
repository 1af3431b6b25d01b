package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/civibot/civibot/accounts"
	"github.com/civibot/civibot/channels"
	"github.com/civibot/civibot/conversation"
	"github.com/civibot/civibot/handoff"
	"github.com/civibot/civibot/internal/redistest"
)

// cheapEnv keeps bcrypt at the lowest allowed cost (10), for speed.
var cheapEnv = map[string]string{"CIVIBOT_HANDOFF_ACCOUNTS_BCRYPT_COST": "10"}

// runCmd runs civibot with stdin and returns the exit code and outputs.
func runCmd(t *testing.T, env map[string]string, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(context.Background(), args, &cli{
		stdin:  strings.NewReader(stdin),
		stdout: &out,
		stderr: &errOut,
		getenv: func(k string) string { return env[k] },
	})
	return code, out.String(), errOut.String()
}

func TestUserCommandFile(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "data")
	const pass = "a long enough password"

	code, out, errOut := runCmd(t, cheapEnv, pass+"\n", "user", "add", "Erika", "--name", "Erika Mustermann", "--password-stdin", "--data-dir", dir)
	if code != 0 {
		t.Fatalf("user add: exit %d, stderr %q", code, errOut)
	}
	file := filepath.Join(dir, accounts.FileName)
	if !strings.Contains(out, "added caseworker erika") || !strings.Contains(out, file) {
		t.Errorf("user add printed %q", out)
	}
	st, err := os.Stat(file)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("accounts file mode %v, want 0600", st.Mode().Perm())
	}
	raw, _ := os.ReadFile(file)
	if strings.Contains(string(raw), pass) {
		t.Error("password in clear in the accounts file")
	}

	// Prompted twice (stdin is not a terminal here: no echo games).
	code, _, errOut = runCmd(t, cheapEnv, pass+"\n"+pass+"\n", "user", "add", "--data-dir", dir, "--admin", "boss")
	if code != 0 || !strings.Contains(errOut, "Password: ") || !strings.Contains(errOut, "Repeat") {
		t.Fatalf("prompted add: exit %d, stderr %q", code, errOut)
	}
	code, _, errOut = runCmd(t, cheapEnv, pass+"\nsomething else\n", "user", "add", "--data-dir", dir, "max")
	if code != 1 || !strings.Contains(errOut, "passwords differ") {
		t.Errorf("mismatched passwords: exit %d, %q", code, errOut)
	}
	code, _, errOut = runCmd(t, cheapEnv, "short\n", "user", "add", "--data-dir", dir, "--password-stdin", "max")
	if code != 1 || !strings.Contains(errOut, "at least 10 characters") {
		t.Errorf("short password: exit %d, %q", code, errOut)
	}
	code, _, errOut = runCmd(t, cheapEnv, pass+"\n", "user", "add", "--data-dir", dir, "--password-stdin", "erika")
	if code != 1 || !strings.Contains(errOut, "already exists") {
		t.Errorf("duplicate: exit %d, %q", code, errOut)
	}

	// What the server will read.
	accts, err := accounts.NewMemory(accounts.Config{BcryptCost: 10}, file, accounts.Options{})
	if err != nil {
		t.Fatal(err)
	}
	u, err := accts.Authenticate(ctx, "erika", pass, "127.0.0.1")
	if err != nil || u.DisplayName != "Erika Mustermann" || u.Role != accounts.RoleCaseworker {
		t.Fatalf("authenticate the added user: %+v, %v", u, err)
	}
	if u, err := accts.User(ctx, "boss"); err != nil || u.Role != accounts.RoleAdmin {
		t.Errorf("boss = %+v, %v", u, err)
	}

	code, out, _ = runCmd(t, cheapEnv, "", "user", "list", "--data-dir", dir)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || len(lines) != 3 || !strings.HasPrefix(lines[0], "NAME") || !strings.HasPrefix(lines[1], "boss") ||
		!strings.Contains(lines[1], "admin") || !strings.Contains(lines[2], "Erika Mustermann") || !strings.Contains(lines[2], "enabled") {
		t.Errorf("user list: exit %d\n%s", code, out)
	}

	if code, _, errOut := runCmd(t, cheapEnv, "", "user", "disable", "erika", "--data-dir", dir); code != 0 {
		t.Fatalf("disable: %d %q", code, errOut)
	}
	if _, err := accts.Authenticate(ctx, "erika", pass, "127.0.0.1"); !errors.Is(err, accounts.ErrDisabled) {
		t.Errorf("after disable: %v", err)
	}
	if _, out, _ := runCmd(t, cheapEnv, "", "user", "list", "--data-dir", dir); !strings.Contains(out, "disabled") {
		t.Errorf("list does not show disabled:\n%s", out)
	}
	if code, _, errOut := runCmd(t, cheapEnv, "", "user", "enable", "erika", "--data-dir", dir); code != 0 {
		t.Fatalf("enable: %d %q", code, errOut)
	}
	const newPass = "another long password"
	if code, out, errOut := runCmd(t, cheapEnv, newPass+"\n", "user", "passwd", "erika", "--password-stdin", "--data-dir", dir); code != 0 || !strings.Contains(out, "changed the password") {
		t.Fatalf("passwd: %d %q %q", code, out, errOut)
	}
	if _, err := accts.Authenticate(ctx, "erika", newPass, "127.0.0.1"); err != nil {
		t.Errorf("new password: %v", err)
	}
	code, _, errOut = runCmd(t, cheapEnv, newPass+"\n", "user", "passwd", "nobody", "--password-stdin", "--data-dir", dir)
	if code != 1 || !strings.Contains(errOut, `no user "nobody"`) {
		t.Errorf("passwd of unknown user: %d %q", code, errOut)
	}
	if code, _, errOut := runCmd(t, cheapEnv, "", "user", "disable", "nobody", "--data-dir", dir); code != 1 || !strings.Contains(errOut, "no user") {
		t.Errorf("disable unknown user: %d %q", code, errOut)
	}
}

func TestUserCommandUsage(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{
		{"user"},
		{"user", "remove", "erika"},
		{"user", "add"},
		{"user", "add", "a", "b"},
		{"user", "list", "extra"},
		{"user", "add", "not a name", "--password-stdin"},
		{"user", "add", "x", "--bogus"},
	} {
		code, _, errOut := runCmd(t, cheapEnv, "a long enough password\n", append(args, "--data-dir", dir)...)
		if code != 2 || errOut == "" {
			t.Errorf("%q: exit %d, stderr %q; want a usage error (2)", args, code, errOut)
		}
	}
	code, out, _ := runCmd(t, cheapEnv, "", "user", "list", "--data-dir", dir)
	if code != 0 || !strings.Contains(out, "no users yet") {
		t.Errorf("empty list: %d %q", code, out)
	}
	code, _, errOut := runCmd(t, cheapEnv, "", "user", "add", "erika", "--data-dir", dir)
	if code != 1 || !strings.Contains(errOut, "no input") {
		t.Errorf("no password on stdin: %d %q", code, errOut)
	}
}

func TestUserCommandRedis(t *testing.T) {
	ctx := context.Background()
	srv := redistest.Start(t)
	const pass = "a long enough password"
	code, out, errOut := runCmd(t, cheapEnv, pass+"\n", "user", "add", "erika", "--password-stdin", "--redis-url", srv.URL())
	if code != 0 || !strings.Contains(out, "stored in Redis") {
		t.Fatalf("user add: %d %q %q", code, out, errOut)
	}
	accts, err := accounts.NewRedis(accounts.Config{BcryptCost: 10}, srv.Client(t), "", accounts.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := accts.Authenticate(ctx, "erika", pass, "ip"); err != nil {
		t.Errorf("authenticate against Redis: %v", err)
	}
	// The Redis URL may also come from the environment, as for serve.
	env := map[string]string{"CIVIBOT_REDIS_URL": srv.URL(), "CIVIBOT_HANDOFF_ACCOUNTS_BCRYPT_COST": "10"}
	if code, out, _ := runCmd(t, env, "", "user", "list"); code != 0 || !strings.Contains(out, "erika") {
		t.Errorf("list via CIVIBOT_REDIS_URL: %d %q", code, out)
	}
	srv.Stop(t)
	code, _, errOut = runCmd(t, env, "", "user", "list")
	if code != 1 || !strings.Contains(errOut, "Redis running") {
		t.Errorf("list with Redis down: %d %q", code, errOut)
	}
}

func TestConversationsPurge(t *testing.T) {
	ctx := context.Background()
	code, _, errOut := runCmd(t, nil, "", "conversations", "purge", "--data-dir", t.TempDir())
	if code != 1 || !strings.Contains(errOut, "no Redis configured") {
		t.Errorf("purge without Redis: %d %q", code, errOut)
	}
	for _, args := range [][]string{{"conversations"}, {"conversations", "delete"}, {"conversations", "purge", "--older-than", "-1h"}} {
		if code, _, _ := runCmd(t, nil, "", args...); code != 2 {
			t.Errorf("%q: exit %d, want 2", args, code)
		}
	}

	srv := redistest.Start(t)
	client := srv.Client(t)
	old := conversation.NewRedis(client, conversation.Options{Now: func() time.Time { return time.Now().Add(-40 * 24 * time.Hour) }})
	store := conversation.NewRedis(client, conversation.Options{})
	for _, id := range []string{"old1", "old2"} {
		if _, err := old.Create(ctx, conversation.Conversation{ID: id, Channel: "web"}); err != nil {
			t.Fatal(err)
		}
	}
	for _, id := range []string{"new", "asked"} {
		if _, err := store.Create(ctx, conversation.Conversation{ID: id, Channel: "web"}); err != nil {
			t.Fatal(err)
		}
	}
	// "asked" waits in the handoff queue when the citizen asks for erasure.
	queue, err := handoff.NewRedisQueue(client, "")
	if err != nil {
		t.Fatal(err)
	}
	users, err := accounts.NewRedis(accounts.Config{}, client, "", accounts.Options{})
	if err != nil {
		t.Fatal(err)
	}
	desk, err := handoff.New(handoff.Config{}, handoff.Options{State: store, Queue: queue, Registry: channels.NewRegistry(), Users: users})
	if err != nil {
		t.Fatal(err)
	}
	if err := desk.Heartbeat(ctx, "erika"); err != nil {
		t.Fatal(err)
	}
	if q, err := desk.Request(ctx, "asked", conversation.HandoffRequest{Reason: "button"}); err != nil || !q.Queued {
		t.Fatalf("request: %+v %v", q, err)
	}

	code, out, errOut := runCmd(t, nil, "", "conversations", "purge", "--redis-url", srv.URL())
	if code != 0 || !strings.Contains(out, "deleted 2 conversations") {
		t.Fatalf("purge: %d %q %q", code, out, errOut)
	}
	for id, gone := range map[string]bool{"old1": true, "old2": true, "new": false, "asked": false} {
		_, err := store.Get(ctx, id)
		if gone != errors.Is(err, conversation.ErrNotFound) {
			t.Errorf("%s after purge: %v", id, err)
		}
	}
	code, out, errOut = runCmd(t, nil, "", "conversations", "purge", "--id", "asked", "--redis-url", srv.URL())
	if code != 0 || !strings.Contains(out, "deleted conversation asked") {
		t.Fatalf("purge --id: %d %q %q", code, out, errOut)
	}
	if _, err := store.Get(ctx, "asked"); !errors.Is(err, conversation.ErrNotFound) {
		t.Errorf("asked after purge --id: %v", err)
	}
	if w, err := queue.Waiting(ctx); err != nil || len(w) != 0 {
		t.Errorf("queue after purge --id: %v %v", w, err)
	}
	code, out, _ = runCmd(t, nil, "", "conversations", "purge", "--id", "asked", "--redis-url", srv.URL())
	if code != 0 || !strings.Contains(out, "no conversation asked is stored") {
		t.Errorf("purge --id twice: %d %q", code, out)
	}
}
