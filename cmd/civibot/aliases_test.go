package main

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/civibot/civibot/aliases"
	"github.com/civibot/civibot/config"
	"github.com/civibot/civibot/conversation"
	"github.com/civibot/civibot/dialog"
	"github.com/civibot/civibot/internal/redistest"
	"github.com/civibot/civibot/knowledge"
)

// TestAliasesCommand: import, list and export, in the data directory and
// in Redis, with bad input refused.
func TestAliasesCommand(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in.jsonl")
	if err := os.WriteFile(in, []byte(`{"page_id":"hundesteuer-de","text":"Welpe aus dem Tierheim, was tun?","language":"de"}
{"page_id":"hundesteuer-en","text":"got a puppy, what now? my email is jo@example.org","language":"en"}
`), 0o600); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "bad.jsonl")
	if err := os.WriteFile(bad, []byte("{\"page_id\": 3}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	srv := redistest.Start(t)
	for _, where := range []struct {
		name string
		args []string
	}{
		{"file", []string{"--data-dir", filepath.Join(dir, "data")}},
		{"redis", []string{"--redis-url", srv.URL()}},
	} {
		t.Run(where.name, func(t *testing.T) {
			cmd := func(args ...string) (int, string, string) {
				return runCmd(t, cheapEnv, "", append(append([]string{"aliases"}, args...), where.args...)...)
			}
			code, out, errOut := cmd("import", in)
			if code != 0 || !strings.Contains(out, "2 aliases read, 2 new") {
				t.Fatalf("import: %d %q %q", code, out, errOut)
			}
			if code, out, _ := cmd("import", in); code != 0 || !strings.Contains(out, "2 aliases read, 0 new") {
				t.Errorf("import again: %d %q", code, out)
			}
			code, out, _ = cmd("list", "--status", "accepted")
			if code != 0 || !strings.Contains(out, "hundesteuer-de") || !strings.Contains(out, "Welpe aus dem Tierheim") {
				t.Errorf("list: %d %q", code, out)
			}
			if strings.Contains(out, "jo@example.org") {
				t.Errorf("an imported alias kept an e-mail address: %q", out)
			}
			exported := filepath.Join(t.TempDir(), "out.jsonl")
			if code, _, errOut := cmd("export", "--out", exported); code != 0 || !strings.Contains(errOut, "2 aliases written") {
				t.Fatalf("export: %d %q", code, errOut)
			}
			raw, _ := os.ReadFile(exported)
			if lines := strings.Split(strings.TrimSpace(string(raw)), "\n"); len(lines) != 2 || !strings.Contains(lines[0]+lines[1], `"page_id":"hundesteuer-en"`) {
				t.Errorf("export: %q", raw)
			}
			for _, tt := range []struct {
				args []string
				code int
				want string
			}{
				{[]string{"import", bad}, 1, "bad.jsonl:1"},
				{[]string{"import", filepath.Join(dir, "missing.jsonl")}, 1, "missing.jsonl"},
				{[]string{"import"}, 2, "takes one FILE"},
				{[]string{"list", "--status", "maybe"}, 2, "--status must be"},
				{[]string{"frobnicate"}, 2, `unknown action "frobnicate"`},
			} {
				if code, _, errOut := cmd(tt.args...); code != tt.code || !strings.Contains(errOut, tt.want) {
					t.Errorf("%q: exit %d %q, want %d with %q", tt.args, code, errOut, tt.code, tt.want)
				}
			}
		})
	}
}

// TestAliasSync: serve's sync puts accepted aliases to use, picks up an
// import made beside it, and drops (and reports) aliases of pages a new
// ingest removed.
func TestAliasSync(t *testing.T) {
	ctx := context.Background()
	cfg := config.Default()
	cfg.Knowledge.Dir = filepath.Join(t.TempDir(), "kb")
	pages, err := kbSource{}.pages(ctx, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := knowledge.Ingest(ctx, cfg.Knowledge.Dir, pages, knowledge.Options{}); err != nil {
		t.Fatal(err)
	}
	live, err := openLiveKB(ctx, cfg, kbSource{dir: cfg.Knowledge.Dir}, nil, nil, nil, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	defer live.Close()
	path := filepath.Join(t.TempDir(), aliases.FileName)
	served, beside := aliases.NewFile(path, aliases.Options{}), aliases.NewFile(path, aliases.Options{}) // serve, and civibot aliases import
	as := &aliasSync{store: served, live: live, log: slog.New(slog.DiscardHandler)}

	question := "Bei uns wohnt seit gestern ein Vierbeiner aus dem Tierheim, was ist zu erledigen?"
	ask := func() dialog.Reply {
		t.Helper()
		r, err := live.Respond(ctx, dialog.Turn{Text: question, Language: "de", Context: conversation.Context{Turns: 1}})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	if r := ask(); len(r.Sources) > 0 && r.Sources[0].PageID == "hundesteuer-de" && r.Decision.Kind == dialog.KindAnswer {
		t.Fatalf("the bot answers %q without an alias already", question)
	}
	if err := as.sync(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := beside.Import(ctx, []knowledge.Alias{
		{PageID: "hundesteuer-de", Text: question, Language: "de"},
		{PageID: "fundbuero-de", Text: "Schlüssel im Bus liegen lassen", Language: "de"},
	}, "import"); err != nil {
		t.Fatal(err)
	}
	if err := as.sync(ctx); err != nil {
		t.Fatal(err)
	}
	if r := ask(); r.Decision.Kind != dialog.KindAnswer || len(r.Sources) == 0 || r.Sources[0].PageID != "hundesteuer-de" {
		t.Fatalf("after the import: %+v %v, want an answer from the dog page", r.Decision, r.Sources)
	}

	// The next ingest no longer has the lost-property page.
	var kept []knowledge.Page
	for _, p := range pages {
		if p.ID != "fundbuero-de" {
			kept = append(kept, p)
		}
	}
	if _, err := knowledge.Ingest(ctx, cfg.Knowledge.Dir, kept, knowledge.Options{}); err != nil {
		t.Fatal(err)
	}
	if switched, err := live.Reload(ctx); !switched || err != nil {
		t.Fatalf("reload: %v %v", switched, err)
	}
	if err := as.sync(ctx); err != nil {
		t.Fatal(err)
	}
	left, err := beside.Accepted(ctx)
	if err != nil || len(left) != 1 || left[0].PageID != "hundesteuer-de" {
		t.Errorf("after the ingest: %v %v, want only the dog page's alias", left, err)
	}
	if r := ask(); len(r.Sources) == 0 || r.Sources[0].PageID != "hundesteuer-de" {
		t.Errorf("after the reload the alias is lost: %v", r.Sources)
	}
}
