// Package evaluation measures the dialog engine on case files: which page
// it finds, what it decides, what the citizen reads, and how far its
// confidence can be trusted. `civibot eval` prints what it measures.
package evaluation

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
)

// Case is one line of a case file. Two formats are read: civibot's own
// ({"q", "lang", "expect" | "expect_handoff" | "expect_scope", "kind"}, see
// testdata/eval/README.md) and the Integreat QA format ({"question",
// "pageId", "city", "answers", "context", "language"}).
type Case struct {
	Q             string   `json:"q"`
	Lang          string   `json:"lang"`
	Expect        []string `json:"expect"`
	ExpectHandoff bool     `json:"expect_handoff"`
	// ExpectScope: the question is outside the city's services; the bot
	// should say what it can help with — neither answer from a page nor
	// hand the citizen to a person.
	ExpectScope bool   `json:"expect_scope"`
	Kind        string `json:"kind"`

	Question string `json:"question"`
	PageID   any    `json:"pageId"`
	City     string `json:"city"`
	// Answers are indexes of the lines of Context that answer the question
	// (Integreat); empty: the page does not answer it.
	Answers  []int  `json:"answers"`
	Context  string `json:"context"`
	Language string `json:"language"`

	// Line is the case's line in its file (1-based).
	Line int `json:"-"`
}

// Kinds given to Integreat cases.
const (
	KindAnswerable   = "answerable"
	KindUnanswerable = "unanswerable" // its page does not answer it
)

// integreat reports whether the case is in the Integreat QA format.
func (c *Case) integreat() bool { return c.Question != "" && c.PageID != nil }

// Annotated reports whether the case says which sentences answer it.
func (c *Case) Annotated() bool { return c.integreat() && c.Context != "" }

// AnswerLines are the annotated answer sentences (lines of Context).
func (c *Case) AnswerLines() []string {
	lines := strings.Split(c.Context, "\n")
	var out []string
	for _, i := range c.Answers {
		if i >= 0 && i < len(lines) && strings.TrimSpace(lines[i]) != "" {
			out = append(out, lines[i])
		}
	}
	return out
}

// Unanswerable reports whether the case's page does not answer it.
func (c *Case) Unanswerable() bool { return c.Kind == KindUnanswerable }

// Answerable reports whether a page answers the case.
func (c *Case) Answerable() bool { return len(c.Expect) > 0 && !c.Unanswerable() }

// normalize turns an Integreat case into civibot's form and checks it.
func (c *Case) normalize() error {
	if c.integreat() {
		c.Q = c.Question
		c.Lang = c.Language
		id := fmt.Sprint(c.PageID)
		if f, ok := c.PageID.(float64); ok {
			id = fmt.Sprintf("%d", int64(f))
		}
		c.Expect = []string{c.City + "-" + id}
		c.Kind = KindAnswerable
		if len(c.Answers) == 0 {
			c.Kind = KindUnanswerable
		}
	}
	if strings.TrimSpace(c.Q) == "" {
		return fmt.Errorf("line %d: no question (\"q\")", c.Line)
	}
	n := 0
	for _, set := range []bool{len(c.Expect) > 0, c.ExpectHandoff, c.ExpectScope} {
		if set {
			n++
		}
	}
	switch {
	case n == 0:
		return fmt.Errorf("line %d: a case needs \"expect\" page ids, \"expect_handoff\": true or \"expect_scope\": true", c.Line)
	case n > 1:
		return fmt.Errorf("line %d: a case has one of \"expect\", \"expect_handoff\" and \"expect_scope\"", c.Line)
	}
	if c.Kind == "" {
		switch {
		case c.ExpectHandoff:
			c.Kind = "handoff"
		case c.ExpectScope:
			c.Kind = "out_of_scope"
		default:
			c.Kind = "default"
		}
	}
	return nil
}

// ErrNoCases is returned for a case file without cases.
var ErrNoCases = errors.New("holds no cases")

// ReadCases reads a case file (JSON Lines; blank lines and lines starting
// with // are skipped).
func ReadCases(path string) ([]Case, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("cases: %w", err)
	}
	defer f.Close()
	var cases []Case
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64*1024), 8<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "//") {
			continue
		}
		var c Case
		if err := json.Unmarshal([]byte(line), &c); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, n, err)
		}
		c.Line = n
		if err := c.normalize(); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		cases = append(cases, c)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("cases: %w", err)
	}
	if len(cases) == 0 {
		return nil, fmt.Errorf("cases: %s %w", path, ErrNoCases)
	}
	return cases, nil
}

// Cities lists the cities the cases are asked in ("" for cases without
// one), sorted.
func Cities(cases []Case) []string {
	seen := map[string]bool{}
	var out []string
	for _, c := range cases {
		if !seen[c.City] {
			seen[c.City] = true
			out = append(out, c.City)
		}
	}
	sort.Strings(out)
	return out
}
