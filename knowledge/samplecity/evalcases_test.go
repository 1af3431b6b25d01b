package samplecity

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The evaluation case sets under testdata/eval refer to the sample city's
// page ids (sample_*.jsonl) and to the Berlin service ids. These tests keep
// the files well-formed and their expected ids real.

const evalDir = "../../testdata/eval"

// berlinData is the shared Berlin data set; it is not part of the repository
// (its licence forbids copying), so the id check skips when it is absent.
const berlinData = "../../../shared/data/berlin/berlin_services.jsonl"

type evalCase struct {
	Q             string   `json:"q"`
	Lang          string   `json:"lang"`
	Expect        []string `json:"expect"`
	ExpectHandoff bool     `json:"expect_handoff"`
	ExpectScope   bool     `json:"expect_scope"`
	Kind          string   `json:"kind"`
}

var (
	answerKinds  = map[string]bool{"formal": true, "colloquial": true, "typo": true, "compound": true, "english_for_german": true}
	handoffKinds = map[string]bool{"human_request": true, "case_specific": true, "urgent": true, "prompt_injection": true}
	scopeKinds   = map[string]bool{"out_of_scope": true, "sport": true, "weather": true, "entertainment": true, "knowledge": true, "everyday": true, "task": true, "chat": true}
)

func readCases(t *testing.T, name string) []evalCase {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(evalDir, name))
	if err != nil {
		t.Fatalf("read %s: %v", name, err)
	}
	var cases []evalCase
	seen := map[string]int{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for line := 1; sc.Scan(); line++ {
		dec := json.NewDecoder(strings.NewReader(sc.Text()))
		dec.DisallowUnknownFields()
		var c evalCase
		if err := dec.Decode(&c); err != nil {
			t.Errorf("%s:%d: %v", name, line, err)
			continue
		}
		if strings.TrimSpace(c.Q) == "" {
			t.Errorf("%s:%d: empty question", name, line)
		}
		if c.Lang != "de" && c.Lang != "en" {
			t.Errorf("%s:%d: lang %q, want de or en", name, line, c.Lang)
		}
		switch {
		case btoi(len(c.Expect) > 0)+btoi(c.ExpectHandoff)+btoi(c.ExpectScope) != 1:
			t.Errorf("%s:%d: want exactly one of expect, expect_handoff and expect_scope", name, line)
		case c.ExpectHandoff && !handoffKinds[c.Kind]:
			t.Errorf("%s:%d: handoff case with kind %q", name, line, c.Kind)
		case c.ExpectScope && !scopeKinds[c.Kind]:
			t.Errorf("%s:%d: out-of-scope case with kind %q", name, line, c.Kind)
		case len(c.Expect) > 0 && !answerKinds[c.Kind]:
			t.Errorf("%s:%d: answerable case with kind %q", name, line, c.Kind)
		}
		if c.Kind == "english_for_german" && c.Lang != "en" {
			t.Errorf("%s:%d: english_for_german case must have lang en", name, line)
		}
		key := strings.ToLower(strings.TrimSpace(c.Q))
		if prev, dup := seen[key]; dup {
			t.Errorf("%s:%d: question repeats line %d", name, line, prev)
		}
		seen[key] = line
		cases = append(cases, c)
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("scan %s: %v", name, err)
	}
	return cases
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// unanswerable counts the cases not to be answered from a page (a handoff
// or a scope reply).
func unanswerable(cases []evalCase) int {
	n := 0
	for _, c := range cases {
		if c.ExpectHandoff || c.ExpectScope {
			n++
		}
	}
	return n
}

func TestEvalSampleCases(t *testing.T) {
	ids := map[string]bool{}
	for _, p := range loadPages(t) {
		ids[p.fm.ID] = true
	}
	for _, tc := range []struct {
		file     string
		lang     string
		minCases int
	}{
		{"sample_de.jsonl", "de", 120},
		{"sample_en.jsonl", "en", 100},
	} {
		t.Run(tc.file, func(t *testing.T) {
			cases := readCases(t, tc.file)
			if len(cases) < tc.minCases {
				t.Errorf("%d cases, want at least %d", len(cases), tc.minCases)
			}
			if h := unanswerable(cases); h*100 < len(cases)*15 {
				t.Errorf("%d of %d cases are handoff or out-of-scope cases, want about 20%%", h, len(cases))
			}
			for _, c := range cases {
				if c.Lang != tc.lang {
					t.Errorf("%q: lang %q, want %q", c.Q, c.Lang, tc.lang)
				}
				for _, id := range c.Expect {
					if !ids[id] {
						t.Errorf("%q expects %q, which is no sample page", c.Q, id)
					}
					if !strings.HasSuffix(id, "-"+tc.lang) {
						t.Errorf("%q expects %q, want a %s page", c.Q, id, tc.lang)
					}
				}
			}
		})
	}
}

func TestEvalBerlinCases(t *testing.T) {
	cases := readCases(t, "berlin_colloquial.jsonl")
	if len(cases) < 150 {
		t.Errorf("%d cases, want at least 150", len(cases))
	}
	if h := unanswerable(cases); h < 40 {
		t.Errorf("%d handoff and out-of-scope cases, want at least 40", h)
	}
	expectKnown(t, cases, sharedIDs(t, berlinData, "service_id"), "Berlin service_id")
}

// The Berlin probes: questions written before they were first measured —
// the fresh probe in the nineteenth session, the held-out probe in the
// thirty-seventh (services that neither earlier set asks about) — to see
// how far the figures of the set tuned on (berlin_colloquial.jsonl) hold
// for questions nobody tuned for.
func TestEvalBerlinProbes(t *testing.T) {
	for _, tt := range []struct {
		file          string
		cases, de, en int
	}{
		{"berlin_fresh_probe.jsonl", 40, 25, 10},
		{"berlin_heldout_probe.jsonl", 40, 25, 8},
	} {
		t.Run(tt.file, func(t *testing.T) {
			cases := readCases(t, tt.file)
			if len(cases) < tt.cases {
				t.Errorf("%d cases, want at least %d", len(cases), tt.cases)
			}
			langs := map[string]int{}
			for _, c := range cases {
				langs[c.Lang]++
			}
			if langs["de"] < tt.de || langs["en"] < tt.en {
				t.Errorf("languages %v, want at least %d German and %d English cases", langs, tt.de, tt.en)
			}
			for _, c := range cases {
				if len(c.Expect) == 0 {
					t.Errorf("%q: every probe case names its pages", c.Q)
				}
			}
			expectKnown(t, cases, sharedIDs(t, berlinData, "service_id"), "Berlin service_id")
		})
	}
}

func TestEvalGenericHandoffCases(t *testing.T) {
	cases := readCases(t, "handoff_generic.jsonl")
	if len(cases) < 60 {
		t.Errorf("%d cases, want at least 60", len(cases))
	}
	langs := map[string]int{}
	for _, c := range cases {
		if !c.ExpectHandoff && !c.ExpectScope {
			t.Errorf("%q: every generic case must expect a handoff or a scope reply", c.Q)
		}
		langs[c.Lang]++
	}
	if langs["de"] == 0 || langs["en"] == 0 {
		t.Errorf("languages %v, want German and English cases", langs)
	}
}

func TestEvalOffTopicCases(t *testing.T) {
	cases := readCases(t, "offtopic.jsonl")
	if len(cases) < 40 {
		t.Errorf("%d cases, want at least 40", len(cases))
	}
	langs := map[string]int{}
	for _, c := range cases {
		if !c.ExpectScope {
			t.Errorf("%q: every off-topic case must expect a scope reply", c.Q)
		}
		langs[c.Lang]++
	}
	if langs["de"] < 15 || langs["en"] < 15 {
		t.Errorf("languages %v, want at least 15 German and 15 English cases", langs)
	}
}

// The Hamburg probes and the shared pages they ask (like Berlin's, not
// part of the repository): the 73 curated pages, and the whole export of
// 612 pages, most of them an office's copy of one of about 30 services.
func TestEvalHamburgCases(t *testing.T) {
	for _, tc := range []struct {
		cases, data string
		min         int
	}{
		{"hamburg_probe.jsonl", "../../../shared/data/hamburg/hamburg_service_pages_curated.jsonl", 50},
		{"hamburg_full_probe.jsonl", "../../../shared/data/hamburg/hamburg_service_pages.jsonl", 45},
	} {
		t.Run(tc.cases, func(t *testing.T) {
			cases := readCases(t, tc.cases)
			if len(cases) < tc.min {
				t.Errorf("%d cases, want at least %d", len(cases), tc.min)
			}
			for _, c := range cases {
				if len(c.Expect) == 0 {
					t.Errorf("%q: every Hamburg probe case names its pages", c.Q)
				}
			}
			expectKnown(t, cases, sharedIDs(t, tc.data, "source_path"), "source_path of "+tc.data)
		})
	}
}

// expectKnown reports every page a case expects that is not among ids
// (what names the kind of id in the message).
func expectKnown(t *testing.T, cases []evalCase, ids map[string]bool, what string) {
	t.Helper()
	for _, c := range cases {
		for _, id := range c.Expect {
			if !ids[id] {
				t.Errorf("%q expects %q, which is no %s", c.Q, id, what)
			}
		}
	}
}

// sharedIDs reads the values of field (a string) of every record of a
// JSON Lines file of the shared data; the test skips when the file is not
// there (it is not part of the repository).
func sharedIDs(t *testing.T, path, field string) map[string]bool {
	t.Helper()
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		t.Skipf("shared data not present at %s; ids not checked", path)
	}
	if err != nil {
		t.Fatalf("read shared data: %v", err)
	}
	ids := map[string]bool{}
	for i, line := range bytes.Split(bytes.TrimSpace(data), []byte("\n")) {
		var rec map[string]json.RawMessage
		var id string
		if err := json.Unmarshal(line, &rec); err != nil {
			t.Fatalf("%s:%d: %v", path, i+1, err)
		}
		if err := json.Unmarshal(rec[field], &id); err != nil {
			t.Fatalf("%s:%d: %s: %v", path, i+1, field, err)
		}
		ids[id] = true
	}
	return ids
}
