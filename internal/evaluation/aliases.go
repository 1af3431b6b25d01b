package evaluation

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/civibot/civibot/knowledge"
)

// ReadAliases reads accepted aliases for an evaluation run from a JSONL
// file: alias records ({"page_id", "text", "language"}) or civibot cases,
// whose answerable questions become aliases of their first expected page —
// the questions caseworkers answered with that page. It is how learning
// from caseworkers is measured: one half of a case set as history, the
// other half as test.
func ReadAliases(path string) ([]knowledge.Alias, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("aliases: %w", err)
	}
	defer f.Close()
	var out []knowledge.Alias
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64*1024), 4*1024*1024)
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		if text == "" {
			continue
		}
		var rec struct {
			knowledge.Alias
			Q      string   `json:"q"`
			Lang   string   `json:"lang"`
			Expect []string `json:"expect"`
		}
		if err := json.Unmarshal([]byte(text), &rec); err != nil {
			return nil, fmt.Errorf("aliases: %s:%d: %s", path, line, knowledge.JSONErrorText(err))
		}
		switch {
		case rec.PageID != "" && rec.Text != "":
			out = append(out, rec.Alias)
		case rec.Q != "" && len(rec.Expect) > 0:
			out = append(out, knowledge.Alias{PageID: rec.Expect[0], Text: rec.Q, Language: rec.Lang})
		case rec.Q != "":
			// a handoff or scope case: no page to learn
		default:
			return nil, fmt.Errorf("aliases: %s:%d: want {\"page_id\", \"text\"} or a case with \"q\" and \"expect\"", path, line)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("aliases: %s: %w", path, err)
	}
	return out, nil
}
