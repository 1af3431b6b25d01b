package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/civibot/civibot/config"
	"github.com/civibot/civibot/dialog"
)

// civibot runs one command line with no environment and no input (see
// runCmd in user_test.go).
func civibot(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	return runCmd(t, nil, "", args...)
}

func TestAskSampleCity(t *testing.T) {
	tests := []struct {
		name  string
		args  []string
		wants []string
	}{
		{"fee in german", []string{"ask", "Was kostet ein Personalausweis?"},
			[]string{"37,00 Euro", "source: Personalausweis beantragen <https://www.musterstadt.example/service/personalausweis#gebuehren>", "decision: answer", "1. personalausweis-de"}},
		{"english", []string{"ask", "What does a residents' parking permit cost?"},
			[]string{"Residents' parking permit", "decision: answer", "language: en"}},
		{"person", []string{"ask", "Ich möchte mit einem Menschen sprechen"},
			[]string{"decision: handoff (handoff: human_request)"}},
		{"out of scope", []string{"ask", "Wer hat die Fußball-WM 2014 gewonnen?"},
			[]string{"decision: scope", "nur Fragen zu Leistungen der Stadt"}},
		{"spoken style", []string{"ask", "--style", "spoken", "Was kostet ein Reisepass?"},
			[]string{"Mehr finden Sie auf der Seite der Stadt „Reisepass beantragen“."}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := civibot(t, tt.args...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			for _, w := range tt.wants {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
		})
	}
	t.Run("json", func(t *testing.T) {
		code, out, errOut := civibot(t, "ask", "--json", "Wo melde ich meinen Hund an?")
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		var reply struct {
			Text    string
			Sources []struct {
				PageID string `json:"page_id"`
			}
			Decision struct{ Kind string }
		}
		if err := json.Unmarshal([]byte(out), &reply); err != nil {
			t.Fatalf("not JSON: %v\n%s", err, out)
		}
		if reply.Decision.Kind != "answer" || len(reply.Sources) != 1 || reply.Sources[0].PageID != "hundesteuer-de" {
			t.Errorf("reply = %+v", reply)
		}
	})
	t.Run("no question", func(t *testing.T) {
		code, _, errOut := civibot(t, "ask")
		if code != 2 || !strings.Contains(errOut, "a question is required") {
			t.Errorf("exit %d, stderr %q", code, errOut)
		}
	})
}

func writeCases(t *testing.T, lines ...string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "cases.jsonl")
	if err := os.WriteFile(p, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestEvalSampleCity(t *testing.T) {
	cases := writeCases(t,
		`{"q": "Was kostet ein Personalausweis?", "lang": "de", "expect": ["personalausweis-de"], "kind": "formal"}`,
		`{"q": "perso abgelaufen was tun", "lang": "de", "expect": ["personalausweis-de"], "kind": "colloquial"}`,
		`{"q": "How much is a passport?", "lang": "en", "expect": ["reisepass-en"], "kind": "colloquial"}`,
		`{"q": "Ich will mit einem Menschen reden", "lang": "de", "expect_handoff": true, "kind": "human_request"}`,
		`{"q": "Wie wird das Wetter morgen?", "lang": "de", "expect_scope": true, "kind": "out_of_scope"}`,
		``,
	)
	code, out, errOut := civibot(t, "eval", "--json", "--cases", cases)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	for _, k := range []string{"n", "hit@1", "hit@3", "mrr", "handoff_recall", "wrong_handoff", "latency_ms", "by_kind"} {
		if _, ok := m[k]; !ok {
			t.Errorf("JSON lacks key %q: %s", k, out)
		}
	}
	if m["n"].(float64) != 5 || m["hit@1"].(float64) != 1 || m["handoff_recall"].(float64) != 1 || m["wrong_handoff"].(float64) != 0 ||
		m["scope"].(map[string]any)["scope_reply"].(float64) != 1 {
		t.Errorf("figures: %s", out)
	}
	lat := m["latency_ms"].(map[string]any)
	if lat["p50"].(float64) <= 0 || lat["p99"].(float64) < lat["p50"].(float64) {
		t.Errorf("latency = %v", lat)
	}
	// Every case says why it was decided so; an answer says how likely its
	// passage answers the question.
	first := m["cases"].([]any)[0].(map[string]any)
	var reasons []string
	for _, r := range first["reasons"].([]any) {
		reasons = append(reasons, r.(string))
	}
	if first["decision"] != "answer" || !slices.ContainsFunc(reasons, func(r string) bool { return strings.HasPrefix(r, "answerability 0.") }) {
		t.Errorf("first case: decision %v, reasons %q; want an answer with its answerability", first["decision"], reasons)
	}
	kinds := m["by_kind"].(map[string]any)
	if kinds["colloquial"].(map[string]any)["n"].(float64) != 2 || kinds["out_of_scope"].(map[string]any)["decisions"].(map[string]any)["scope"].(float64) != 1 {
		t.Errorf("by_kind = %v", kinds)
	}

	// The same as a table for people, with the failures listed.
	code, out, errOut = civibot(t, "eval", "-v", "--cases", cases)
	if code != 0 || !regexp.MustCompile(`(?m)^hit@1\s+1\.000$`).MatchString(out) || !strings.Contains(out, "out_of_scope") {
		t.Fatalf("exit %d: %s\n%s", code, out, errOut)
	}
}

// TestEvalStyle: --style measures the answers as a channel shows them
// (voice: no link, the page named in words); a style civibot does not
// have is a usage error, for eval and ask alike.
func TestEvalStyle(t *testing.T) {
	cases := writeCases(t, `{"q": "Was kostet ein Reisepass?", "lang": "de", "expect": ["reisepass-de"]}`)
	text := func(args ...string) string {
		t.Helper()
		code, out, errOut := civibot(t, append([]string{"eval", "--json", "--cases", cases}, args...)...)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		var m struct {
			Cases []struct{ Text string } `json:"cases"`
		}
		if err := json.Unmarshal([]byte(out), &m); err != nil || len(m.Cases) != 1 {
			t.Fatalf("not one case: %v\n%s", err, out)
		}
		return m.Cases[0].Text
	}
	const spoken = "Mehr finden Sie auf der Seite der Stadt „Reisepass beantragen“."
	if full := text(); strings.Contains(full, spoken) {
		t.Errorf("full style reads like voice: %q", full)
	}
	if voice := text("--style", "spoken"); !strings.Contains(voice, spoken) {
		t.Errorf("spoken style = %q, want it to name the page: %q", voice, spoken)
	}
	for _, cmd := range [][]string{{"eval", "--style", "fax", "--cases", cases}, {"ask", "--style", "fax", "Was kostet ein Reisepass?"}} {
		if code, _, errOut := civibot(t, cmd...); code != 2 || !strings.Contains(errOut, `--style "fax": want full, short or spoken`) {
			t.Errorf("%s --style fax: exit %d, stderr %q", cmd[0], code, errOut)
		}
	}
}

func TestEvalCountsMissesAndWrongHandoffs(t *testing.T) {
	cases := writeCases(t,
		// The expected page is wrong on purpose: a miss at every rank.
		`{"q": "Was kostet ein Personalausweis?", "lang": "de", "expect": ["sperrmuell-de"]}`,
		// An answerable question the bot hands off (it asks for a person).
		`{"q": "Mitarbeiter bitte, wegen Personalausweis", "lang": "de", "expect": ["personalausweis-de"]}`,
		// A handoff case the bot answers.
		`{"q": "Was kostet ein Reisepass?", "lang": "de", "expect_handoff": true}`,
	)
	code, out, errOut := civibot(t, "eval", "--json", "--cases", cases)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var m struct {
		Hit1          float64 `json:"hit@1"`
		HandoffRecall float64 `json:"handoff_recall"`
		WrongHandoff  float64 `json:"wrong_handoff"`
	}
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		t.Fatal(err)
	}
	if m.Hit1 != 0 || m.HandoffRecall != 0 || m.WrongHandoff != 0.5 {
		t.Errorf("got %+v, want hit@1 0, handoff recall 0, wrong handoff 0.5\n%s", m, out)
	}
}

// TestEvalFitCalibration: --fit-calibration fits dialog.calibration to
// the team's sample-city case sets (given as two --cases), prints what it
// does, and prints config that civibot reads back with those weights.
func TestEvalFitCalibration(t *testing.T) {
	code, out, errOut := civibot(t, "eval", "--fit-calibration",
		"--cases", "../../testdata/eval/sample_de.jsonl", "--cases", "../../testdata/eval/handoff_generic.jsonl")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	m := regexp.MustCompile(`fitted on (\d+) turns decided by search: best page right (\d+), wrong or not to be answered (\d+)`).FindStringSubmatch(out)
	if m == nil || m[2] == "0" || m[3] == "0" {
		t.Fatalf("no sample counts in:\n%s", out)
	}
	rows := regexp.MustCompile(`(?m)^(current weights|fitted weights, on these cases|fitted, 5-fold held out)\s+([0-9.]+)\s+([0-9.]+)\s+([0-9.]+)$`).FindAllStringSubmatch(out, -1)
	if len(rows) != 3 {
		t.Fatalf("want three rows of ROC AUC, confident wrong and right handed off:\n%s", out)
	}
	for _, r := range rows {
		auc, _ := strconv.ParseFloat(r[2], 64)
		wrong, _ := strconv.ParseFloat(r[3], 64)
		handedOff, _ := strconv.ParseFloat(r[4], 64)
		// The sample city's questions are written to be told apart: any
		// sane fit separates right from wrong pages.
		if auc < 0.85 || wrong > 0.1 || handedOff > 0.1 {
			t.Errorf("%s: ROC AUC %.3f, confident wrong %.3f, right handed off %.3f", r[1], auc, wrong, handedOff)
		}
	}
	i := strings.Index(out, "dialog:\n  calibration:")
	if i < 0 {
		t.Fatalf("no config block in:\n%s", out)
	}
	cfgFile := filepath.Join(t.TempDir(), "civibot.yaml")
	if err := os.WriteFile(cfgFile, []byte(out[i:]), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(cfgFile, func(string) string { return "" })
	if err != nil {
		t.Fatalf("the printed config does not load: %v\n%s", err, out[i:])
	}
	cal := cfg.Dialog.Calibration
	if cal == (dialog.Calibration{}) || cal == dialog.DefaultCalibration() || cal.Coverage <= 0 || cal.Unknown >= 0 {
		t.Errorf("calibration read back = %+v (want fitted weights: coverage up, unknown words down)", cal)
	}
	// The engine runs with the fitted weights.
	if code, _, errOut := civibot(t, "eval", "--config", cfgFile, "--cases", "../../testdata/eval/sample_de.jsonl"); code != 0 {
		t.Errorf("eval with the fitted config: exit %d: %s", code, errOut)
	}

	// Cases of one kind only cannot be fitted: a clear error.
	only := writeCases(t, `{"q": "Was kostet ein Personalausweis?", "lang": "de", "expect": ["personalausweis-de"]}`)
	if code, _, errOut := civibot(t, "eval", "--fit-calibration", "--cases", only); code != 1 || !strings.Contains(errOut, "need turns whose best page is right and turns whose best page is wrong") {
		t.Errorf("one kind only: exit %d, stderr %q", code, errOut)
	}
}

func TestEvalIntegreatFormat(t *testing.T) {
	// Integreat QA questions are asked in their city's own knowledge base,
	// built from a pages file: here two tiny cities of our own.
	dir := t.TempDir()
	pages := filepath.Join(dir, "pages.jsonl")
	if err := os.WriteFile(pages, []byte(strings.Join([]string{
		`{"id": "alpha-1", "title": "Stadtbibliothek", "city": "alpha", "language": "de", "body": "Stadtbibliothek\nDie Stadtbibliothek verleiht Bücher und Filme.\nDer Ausweis kostet 10 Euro im Jahr."}`,
		`{"id": "alpha-2", "title": "Schwimmbad", "city": "alpha", "language": "de", "body": "Schwimmbad\nDas Hallenbad ist täglich geöffnet.\nKinder schwimmen kostenlos."}`,
		`{"id": "beta-1", "title": "Stadtbibliothek", "city": "beta", "language": "de", "body": "Stadtbibliothek\nIn Beta gibt es keine Filme.\nDer Ausweis ist kostenlos."}`,
	}, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := writeCases(t,
		`{"id": 1, "question": "Was kostet der Bibliotheksausweis?", "answers": [2], "context": "", "city": "alpha", "pageId": 1, "language": "de"}`,
		`{"id": 2, "question": "Wann hat das Hallenbad offen?", "answers": [1], "context": "", "city": "alpha", "pageId": 2, "language": "de"}`,
		`{"id": 3, "question": "Kann man in der Bibliothek Filme leihen?", "answers": [], "context": "", "city": "beta", "pageId": 1, "language": "de"}`,
	)
	code, out, errOut := civibot(t, "eval", "--json", "--cases", cases, pages)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var m struct {
		N      int                        `json:"n"`
		Hit1   float64                    `json:"hit@1"`
		ByKind map[string]json.RawMessage `json:"by_kind"`
	}
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		t.Fatal(err)
	}
	// Each city's question finds its own city's page, never the other's.
	if m.N != 3 || m.Hit1 != 1 {
		t.Errorf("n %d hit@1 %v, want 3 and 1\n%s", m.N, m.Hit1, out)
	}
	if _, ok := m.ByKind["unanswerable"]; !ok {
		t.Errorf("empty answers not reported as unanswerable: %s", out)
	}
	// Without the pages file, the cities cannot be built.
	code, _, errOut = civibot(t, "eval", "--cases", cases)
	if code != 2 || !strings.Contains(errOut, "give the pages file") {
		t.Errorf("exit %d: %s", code, errOut)
	}
}

func TestEvalBadCases(t *testing.T) {
	tests := []struct {
		name  string
		lines []string
		want  string
	}{
		{"malformed line", []string{`{"q": "ok", "expect": ["a"]}`, `{"q": `}, ":2:"},
		{"no question", []string{`{"expect": ["a"]}`}, "no question"},
		{"no expectation", []string{`{"q": "Hallo"}`}, "needs \"expect\""},
		{"empty file", []string{""}, "holds no cases"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, errOut := civibot(t, "eval", "--cases", writeCases(t, tt.lines...))
			if code == 0 || !strings.Contains(errOut, tt.want) {
				t.Errorf("exit %d, stderr %q, want it to contain %q", code, errOut, tt.want)
			}
		})
	}
	if code, _, errOut := civibot(t, "eval"); code != 2 || !strings.Contains(errOut, "--cases FILE is required") {
		t.Errorf("no --cases: exit %d %q", code, errOut)
	}
}
