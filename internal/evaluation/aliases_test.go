package evaluation

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/civibot/civibot/knowledge"
)

func TestReadAliases(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	got, err := ReadAliases(write("ok.jsonl", `{"page_id": "parken", "text": "Vignette fürs Auto", "language": "de"}

{"q": "perso weg", "lang": "de", "expect": ["personalausweis", "reisepass"]}
{"q": "ich will einen menschen", "lang": "de", "expect_handoff": true}
`))
	if err != nil {
		t.Fatal(err)
	}
	want := []knowledge.Alias{{PageID: "parken", Text: "Vignette fürs Auto", Language: "de"}, {PageID: "personalausweis", Text: "perso weg", Language: "de"}}
	if !slices.Equal(got, want) {
		t.Errorf("aliases = %+v, want %+v", got, want)
	}
	for _, tc := range []struct{ name, text, want string }{
		{"bad.jsonl", "{not json\n", "bad.jsonl:1"},
		{"empty-record.jsonl", "{\"page_id\": \"x\"}\n", "want {\"page_id\", \"text\"}"},
	} {
		if _, err := ReadAliases(write(tc.name, tc.text)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want %q", tc.name, err, tc.want)
		}
	}
	if _, err := ReadAliases(filepath.Join(dir, "missing.jsonl")); err == nil {
		t.Error("a missing file is no error")
	}
}
