package aliases_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/civibot/civibot/aliases"
	"github.com/civibot/civibot/internal/redistest"
	"github.com/civibot/civibot/knowledge"
)

// stores runs fn against every backend: a file, memory only and a real
// Redis server.
func stores(t *testing.T, fn func(t *testing.T, open func() *aliases.Store)) {
	t.Run("file", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), aliases.FileName)
		fn(t, func() *aliases.Store { return aliases.NewFile(path, aliases.Options{}) })
	})
	t.Run("memory", func(t *testing.T) {
		st := aliases.NewFile("", aliases.Options{})
		fn(t, func() *aliases.Store { return st })
	})
	t.Run("redis", func(t *testing.T) {
		client := redistest.Start(t).Client(t)
		fn(t, func() *aliases.Store {
			st, err := aliases.NewRedis(client, "test:", aliases.Options{})
			if err != nil {
				t.Fatal(err)
			}
			return st
		})
	})
}

func TestSuggestReviewAndUse(t *testing.T) {
	ctx := context.Background()
	stores(t, func(t *testing.T, open func() *aliases.Store) {
		st := open()
		v0, err := st.Version(ctx)
		if err != nil {
			t.Fatal(err)
		}
		s, fresh, err := st.Suggest(ctx, aliases.Suggestion{PageID: "hund", PageTitle: "Hundesteuer", Language: "de",
			Text: "Mein Name ist Anna Schulz, muss ich meinen Welpen anmelden? anna@example.org", Source: aliases.SourceLink, Caseworker: "erika"})
		if err != nil || !fresh {
			t.Fatalf("suggest: %v fresh=%v", err, fresh)
		}
		if strings.Contains(s.Text, "Anna") || strings.Contains(s.Text, "example.org") || !strings.Contains(s.Text, "Welpen") {
			t.Errorf("stored text %q: personal data must be scrubbed, the question kept", s.Text)
		}
		if s.Status != aliases.StatusPending || s.Count != 1 || s.ID == "" {
			t.Errorf("suggestion = %+v", s)
		}
		// The same question taught again counts once more (another instance sees it).
		again, fresh, err := open().Suggest(ctx, aliases.Suggestion{PageID: "hund", Language: "de",
			Text: "Mein Name ist Anna Schulz, muss ich meinen Welpen anmelden? anna@example.org", Source: aliases.SourceMarked})
		if err != nil || fresh || again.ID != s.ID || again.Count != 2 {
			t.Fatalf("suggest again: %+v fresh=%v %v", again, fresh, err)
		}
		// Pending suggestions are not in use.
		if acc, err := st.Accepted(ctx); err != nil || len(acc) != 0 {
			t.Fatalf("accepted before review: %v %v", acc, err)
		}
		// The reviewer edits and accepts.
		acc, err := st.Accept(ctx, s.ID, "Muss ich meinen Welpen anmelden?", "admin")
		if err != nil || acc.Status != aliases.StatusAccepted || acc.ReviewedBy != "admin" || acc.Text != "Muss ich meinen Welpen anmelden?" {
			t.Fatalf("accept: %+v %v", acc, err)
		}
		if v, _ := open().Version(ctx); v == v0 {
			t.Errorf("version unchanged after accept")
		}
		got, err := open().Accepted(ctx)
		want := knowledge.Alias{PageID: "hund", Text: "Muss ich meinen Welpen anmelden?", Language: "de"}
		if err != nil || len(got) != 1 || got[0] != want {
			t.Fatalf("accepted = %v %v, want %v", got, err, want)
		}
		// Rejecting an accepted alias takes it out of use, and teaching it
		// again does not bring it back.
		if _, err := st.Reject(ctx, s.ID, "admin"); err != nil {
			t.Fatal(err)
		}
		if _, fresh, err := st.Suggest(ctx, aliases.Suggestion{PageID: "hund", Language: "de",
			Text: "Mein Name ist Anna Schulz, muss ich meinen Welpen anmelden? anna@example.org"}); err != nil || fresh {
			t.Fatalf("suggest after reject: fresh=%v %v", fresh, err)
		}
		list, err := st.List(ctx)
		if err != nil || len(list) != 1 || list[0].Status != aliases.StatusRejected {
			t.Fatalf("list after reject: %+v %v", list, err)
		}
		if got, _ := st.Accepted(ctx); len(got) != 0 {
			t.Errorf("rejected alias still in use: %v", got)
		}
		if err := st.Remove(ctx, s.ID); err != nil {
			t.Fatal(err)
		}
		if err := st.Remove(ctx, s.ID); !errors.Is(err, aliases.ErrNotFound) {
			t.Errorf("remove twice: %v, want ErrNotFound", err)
		}
		if _, err := st.Accept(ctx, "nope", "", "admin"); !errors.Is(err, aliases.ErrNotFound) {
			t.Errorf("accept unknown: %v, want ErrNotFound", err)
		}
	})
}

func TestBadInput(t *testing.T) {
	ctx := context.Background()
	st := aliases.NewFile("", aliases.Options{})
	for _, tt := range []struct {
		name string
		s    aliases.Suggestion
	}{
		{"no page", aliases.Suggestion{Text: "Wo melde ich meinen Hund an?"}},
		{"no words", aliases.Suggestion{PageID: "p", Text: "?!  123"}},
		{"too long", aliases.Suggestion{PageID: "p", Text: strings.Repeat("Hund ", 100)}},
		{"empty", aliases.Suggestion{PageID: "p", Text: "   "}},
	} {
		if _, _, err := st.Suggest(ctx, tt.s); !errors.Is(err, aliases.ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", tt.name, err)
		}
	}
	s, _, err := st.Suggest(ctx, aliases.Suggestion{PageID: "p", Text: "Wo melde ich meinen Hund an?"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Accept(ctx, s.ID, strings.Repeat("x", aliases.MaxTextChars+1), "admin"); !errors.Is(err, aliases.ErrInvalid) {
		t.Errorf("accept with an over-long edit: %v, want ErrInvalid", err)
	}
	if got, _ := st.List(ctx); got[0].Status != aliases.StatusPending {
		t.Errorf("a refused edit changed the suggestion: %+v", got[0])
	}
	if _, err := st.Import(ctx, []knowledge.Alias{{PageID: "", Text: "Hund"}}, "admin"); !errors.Is(err, aliases.ErrInvalid) {
		t.Errorf("import without page: %v", err)
	}
}

func TestImportDropAndConcurrency(t *testing.T) {
	ctx := context.Background()
	stores(t, func(t *testing.T, open func() *aliases.Store) {
		st := open()
		in := []knowledge.Alias{
			{PageID: "hund", Text: "Welpen anmelden", Language: "de"},
			{PageID: "hund", Text: "register my puppy", Language: "en"},
			{PageID: "alt", Text: "Sperrmüll abholen", Language: "de"},
		}
		n, err := st.Import(ctx, in, "admin")
		if err != nil || n != 3 {
			t.Fatalf("import: %d %v", n, err)
		}
		if n, err := st.Import(ctx, in[:1], "admin"); err != nil || n != 0 {
			t.Fatalf("import again: %d %v, want 0 new", n, err)
		}
		got, err := st.Accepted(ctx)
		if err != nil || len(got) != 3 {
			t.Fatalf("accepted after import: %v %v", got, err)
		}
		// An ingest removed page "alt": its alias is dropped.
		if n, err := st.Drop(ctx, []knowledge.Alias{in[2]}); err != nil || n != 1 {
			t.Fatalf("drop: %d %v", n, err)
		}
		if got, _ := st.Accepted(ctx); len(got) != 2 {
			t.Errorf("after drop: %v", got)
		}
		// Many caseworkers teaching the same question at once: one
		// suggestion, every teaching counted.
		var wg sync.WaitGroup
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, _, err := open().Suggest(ctx, aliases.Suggestion{PageID: "pass", Text: "Reisepass verloren, was tun?", Language: "de"}); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		list, _ := st.List(ctx)
		if list[0].Status != aliases.StatusPending || list[0].Count != 8 {
			t.Errorf("after 8 concurrent teachings: %+v", list[0])
		}
	})
}

// TestFullStoreDropsOldestPending: at MaxEntries the oldest pending
// suggestion makes room; accepted aliases are kept.
func TestFullStoreDropsOldestPending(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	st := aliases.NewFile("", aliases.Options{Now: func() time.Time { now = now.Add(time.Second); return now }})
	first, _, err := st.Suggest(ctx, aliases.Suggestion{PageID: "p", Text: "erste Frage"})
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i < aliases.MaxEntries; i++ {
		if _, _, err := st.Suggest(ctx, aliases.Suggestion{PageID: "p", Text: "Frage Nummer " + strings.Repeat("x", i%50) + string(rune('a'+i%26)) + " " + time.Duration(i).String()}); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := st.Suggest(ctx, aliases.Suggestion{PageID: "p", Text: "die neueste Frage"}); err != nil {
		t.Fatal(err)
	}
	list, _ := st.List(ctx)
	if len(list) != aliases.MaxEntries {
		t.Fatalf("%d entries, want %d", len(list), aliases.MaxEntries)
	}
	for _, s := range list {
		if s.ID == first.ID {
			t.Fatal("the oldest pending suggestion was kept")
		}
	}
}
