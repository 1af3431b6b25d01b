package evaluation

import (
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/civibot/civibot/dialog"
	"github.com/civibot/civibot/internal/testcity"
	"github.com/civibot/civibot/knowledge"
)

// TestLearningFromCaseworkers measures what aliases learned from a
// caseworker's history do for the next citizens: the Berlin colloquial
// questions are split by service — half of each service's questions (a
// single question by a coin) as history, accepted as aliases of the page,
// the rest as test — and hit@1 on the test half is compared without and
// with the aliases, over 5 random splits (docs/benchmarks.md).
//
//	CIVIBOT_FIT=1 go test ./internal/evaluation -run TestLearningFromCaseworkers -v
func TestLearningFromCaseworkers(t *testing.T) {
	if os.Getenv("CIVIBOT_FIT") == "" {
		t.Skip("set CIVIBOT_FIT=1 to measure learning from caseworkers on the Berlin cases")
	}
	ctx := context.Background()
	pages, err := testcity.BerlinPages(ctx, "")
	if err != nil {
		t.Skip(err)
	}
	opts := knowledge.Options{}
	if _, err := os.Stat(knowledge.DefaultDictionary); err == nil {
		opts.Dictionary = knowledge.DefaultDictionary
	}
	kb, err := knowledge.Build(ctx, pages, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer kb.Close()
	cases, err := ReadCases(filepath.Join("..", "..", "testdata", "eval", "berlin_colloquial.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	byService := map[string][]Case{}
	for _, c := range cases {
		if c.Answerable() {
			byService[c.Expect[0]] = append(byService[c.Expect[0]], c)
		}
	}
	services := make([]string, 0, len(byService))
	for s := range byService {
		services = append(services, s)
	}
	sort.Strings(services)
	e, err := dialog.NewEngine(dialog.Config{}, kb, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	hit1 := func(test []Case) float64 {
		rs, err := Run(ctx, test, func(string) Engine { return engineOn{e, kb} }, dialog.StyleFull)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, r := range rs {
			if r.Rank() == 1 {
				n++
			}
		}
		return float64(n) / float64(len(rs))
	}
	var before, after float64
	const splits = 5
	for seed := range splits {
		rnd := rand.New(rand.NewPCG(uint64(seed), 1))
		var history []knowledge.Alias
		var test []Case
		for _, s := range services {
			qs := append([]Case(nil), byService[s]...)
			rnd.Shuffle(len(qs), func(i, j int) { qs[i], qs[j] = qs[j], qs[i] })
			k := len(qs) / 2
			if len(qs) == 1 && rnd.IntN(2) == 0 {
				k = 1
			}
			for _, c := range qs[:k] {
				history = append(history, knowledge.Alias{PageID: s, Text: c.Q, Language: c.Lang})
			}
			test = append(test, qs[k:]...)
		}
		kb.SetAliases(nil)
		b := hit1(test)
		kb.SetAliases(history)
		a := hit1(test)
		t.Logf("split %d: %d aliases, %d test questions: hit@1 %.3f without, %.3f with aliases", seed, len(history), len(test), b, a)
		before += b / splits
		after += a / splits
	}
	t.Logf("mean over %d splits: hit@1 %.3f without, %.3f with aliases", splits, before, after)
}
