package knowledge

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestProgressLines(t *testing.T) {
	// Not a terminal: plain lines at the start and end of every phase.
	var buf bytes.Buffer
	if _, err := Build(context.Background(), fixturePages(), Options{Progress: &buf}); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, phase := range []string{"analysing", "embedding", "indexing"} {
		if !strings.Contains(out, phase+": 0/") {
			t.Errorf("no start line for %s in %q", phase, out)
		}
	}
	if !strings.Contains(out, "embedding: ") || strings.Contains(out, "\r") {
		t.Errorf("progress on a buffer: %q, want plain lines without a bar", out)
	}
	n := len(fixturePages())
	if !strings.Contains(out, "analysing: "+itoa(n)+"/"+itoa(n)) {
		t.Errorf("no end line for analysing %d pages in %q", n, out)
	}
}

func TestProgressFileNotTerminal(t *testing.T) {
	// A regular file is no terminal: lines, no bar.
	f, err := os.Create(filepath.Join(t.TempDir(), "progress.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p := newProgress(f)
	if p.tty {
		t.Fatal("a regular file counts as a terminal")
	}
	p.start("embedding", 3)
	p.step(1)
	p.done()
	data, _ := os.ReadFile(f.Name())
	if got := string(data); !strings.HasPrefix(got, "embedding: 0/3") || !strings.Contains(got, "embedding: 3/3") {
		t.Errorf("progress file %q", got)
	}
	// No writer: nothing happens.
	var none *progress = newProgress(nil)
	none.start("x", 1)
	none.step(1)
	none.done()
}

func TestProgressBar(t *testing.T) {
	var buf bytes.Buffer
	p := &progress{w: &buf, tty: true}
	p.start("embedding", 4)
	p.count = 2
	p.draw(true)
	p.done()
	out := buf.String()
	if !strings.Contains(out, "\rembedding  [===============               ]  50% 2/4") || !strings.HasSuffix(out, "100% 4/4\n") {
		t.Errorf("bar output %q", out)
	}
}
