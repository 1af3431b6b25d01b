package dialog_test

import (
	"context"
	"errors"
	"io"
	"path/filepath"
	"testing"

	"github.com/civibot/civibot/conversation"
	"github.com/civibot/civibot/dialog"
	"github.com/civibot/civibot/knowledge"
	"github.com/civibot/civibot/knowledge/importer"
	"github.com/civibot/civibot/knowledge/samplecity"
)

// TestLiveReloadsNewGeneration: Live answers from the generation an ingest
// wrote last once it reloads, and keeps the one it has when there is none.
func TestLiveReloadsNewGeneration(t *testing.T) {
	ctx := context.Background()
	pages, _, err := importer.ImportFS(ctx, samplecity.FS(), ".", importer.Options{Format: "markdown"})
	if err != nil {
		t.Fatal(err)
	}
	if len(pages) < 2 {
		t.Fatalf("the sample city has %d pages", len(pages))
	}
	dir := filepath.Join(t.TempDir(), "kb")
	if _, err := knowledge.Ingest(ctx, dir, pages[:len(pages)-1], knowledge.Options{}); err != nil {
		t.Fatal(err)
	}
	var reloads []error
	live, err := dialog.OpenLive(ctx, dialog.LiveOptions{
		Dir: dir,
		Open: func(ctx context.Context, warn io.Writer) (*knowledge.KB, error) {
			return knowledge.Open(ctx, dir, knowledge.Options{})
		},
		Engine:   func(kb *knowledge.KB) (*dialog.Engine, error) { return dialog.NewEngine(dialog.Config{}, kb, nil, nil) },
		Reloaded: func(err error) { reloads = append(reloads, err) },
	}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	defer live.Close()
	first := live.Generation()
	if live.Pages() != len(pages)-1 || first == "" {
		t.Fatalf("opened %d pages of generation %q, want %d", live.Pages(), first, len(pages)-1)
	}
	if switched, err := live.Reload(ctx); switched || err != nil || len(reloads) != 0 {
		t.Fatalf("reload without an ingest: switched %v, %v, told %v", switched, err, reloads)
	}

	if _, err := knowledge.Ingest(ctx, dir, pages, knowledge.Options{}); err != nil {
		t.Fatal(err)
	}
	if switched, err := live.Reload(ctx); !switched || err != nil {
		t.Fatalf("reload after an ingest: switched %v, %v", switched, err)
	}
	if live.Pages() != len(pages) || live.Generation() == first || len(reloads) != 1 || reloads[0] != nil {
		t.Errorf("after the reload: %d pages, generation %q (was %q), told %v", live.Pages(), live.Generation(), first, reloads)
	}
	r, err := live.Respond(ctx, dialog.Turn{Text: "Was kostet ein Personalausweis?", Context: conversation.Context{Turns: 1}})
	if err != nil || r.Text == "" {
		t.Errorf("respond after the reload: %q, %v", r.Text, err)
	}
}

// TestLiveFallbackUntilFirstIngest: with a fallback, an empty Dir serves
// the fallback (a fresh install before its first ingest), reloads find
// nothing to switch to until an ingest writes a knowledge base, and then
// Live switches to it; without a fallback an empty Dir is an error.
func TestLiveFallbackUntilFirstIngest(t *testing.T) {
	ctx := context.Background()
	pages, _, err := importer.ImportFS(ctx, samplecity.FS(), ".", importer.Options{Format: "markdown"})
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "kb")
	opts := dialog.LiveOptions{
		Dir: dir,
		Open: func(ctx context.Context, warn io.Writer) (*knowledge.KB, error) {
			return knowledge.Open(ctx, dir, knowledge.Options{})
		},
		Engine: func(kb *knowledge.KB) (*dialog.Engine, error) { return dialog.NewEngine(dialog.Config{}, kb, nil, nil) },
	}
	if _, err := dialog.OpenLive(ctx, opts, io.Discard); !errors.Is(err, knowledge.ErrNoKB) {
		t.Fatalf("no knowledge base, no fallback: %v, want ErrNoKB", err)
	}
	opts.Fallback = func(ctx context.Context, warn io.Writer) (*knowledge.KB, error) {
		return knowledge.Build(ctx, pages[:3], knowledge.Options{})
	}
	live, err := dialog.OpenLive(ctx, opts, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	defer live.Close()
	if live.Pages() != 3 || live.Generation() != "" {
		t.Fatalf("fallback: %d pages, generation %q; want 3 and none", live.Pages(), live.Generation())
	}
	if switched, err := live.Reload(ctx); switched || err != nil {
		t.Fatalf("reload before the first ingest: switched %v, %v; want neither", switched, err)
	}
	if _, err := knowledge.Ingest(ctx, dir, pages, knowledge.Options{}); err != nil {
		t.Fatal(err)
	}
	if switched, err := live.Reload(ctx); !switched || err != nil {
		t.Fatalf("reload after the first ingest: switched %v, %v", switched, err)
	}
	if live.Pages() != len(pages) || live.Generation() == "" {
		t.Errorf("after the first ingest: %d pages, generation %q; want %d and one", live.Pages(), live.Generation(), len(pages))
	}
	if switched, err := live.Reload(ctx); switched || err != nil {
		t.Errorf("reload without a new ingest: switched %v, %v", switched, err)
	}
}
