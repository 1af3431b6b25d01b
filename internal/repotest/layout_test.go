package repotest

import (
	"os"
	"path"
	"slices"
	"testing"
)

// topLevel is what the repository's root holds: the fixed layout, the
// packages added beside it (docs/architecture.md, "Navigating the code")
// and the project's files. A name missing here fails the test: add a
// directory with its reason to be, or remove what was left behind (a
// failed shell command once wrote a file named after a regular
// expression's tail, and it was committed).
var topLevel = []string{
	".ci", ".dockerignore", ".git", ".gitignore", "Dockerfile", "LICENSE", "Makefile", "README.md",
	"cmd", "channels", "dialog", "knowledge", "handoff", "web", "configs", "go.mod", "go.sum", "docker-compose.yml",
	"accounts", "aliases", "analytics", "config", "conversation", "docs", "internal", "metrics", "testdata",
}

// ignored are the patterns of .gitignore at the root: a build's output,
// not part of the repository.
var ignored = []string{"civibot", "bin", "data", "tmp", "*.test", "*.out", "coverage*"}

func TestTopLevelLayout(t *testing.T) {
	entries, err := os.ReadDir("../..")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		name := e.Name()
		if slices.Contains(topLevel, name) || slices.ContainsFunc(ignored, func(p string) bool {
			ok, _ := path.Match(p, name)
			return ok
		}) {
			continue
		}
		t.Errorf("%q at the top of the repository: not part of its layout (internal/repotest/layout_test.go)", name)
	}
}
