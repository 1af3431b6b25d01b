package analytics

import (
	"cmp"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"
)

// TermsFunc turns a question into the terms it is compared by. civibot
// passes the knowledge base's analyser (stems, compound parts, lexicon
// expansions), so "Perso verloren" and "Personalausweis verloren gegangen"
// share their terms. nil: lowercased words of three or more letters.
type TermsFunc func(text, lang string) []string

// Group is a set of similar questions.
type Group struct {
	// Count is how many questions the group holds.
	Count int `json:"count"`
	// Example is the most frequent wording (the latest among equals).
	Example string `json:"example"`
	// Variants are up to MaxVariants other wordings, most frequent first.
	Variants []string `json:"variants,omitempty"`
	// Kinds counts the questions by kind (unanswered, clarify, …).
	Kinds map[string]int `json:"kinds"`
	// Languages seen, sorted.
	Languages []string `json:"languages"`
	// PageID and PageTitle: the page the bot most often thought closest
	// (empty when it had none).
	PageID    string `json:"page_id,omitempty"`
	PageTitle string `json:"page_title,omitempty"`
	// Last is when the latest question of the group was asked.
	Last time.Time `json:"last"`
	// AvgConfidence is the mean confidence of the bot's decisions.
	AvgConfidence float64 `json:"avg_confidence"`
}

// Grouping parameters.
const (
	// SimilarJaccard is the term-set similarity (|A∩B| / |A∪B|) from which
	// a question joins a group.
	SimilarJaccard = 0.4
	// MaxVariants bounds Group.Variants.
	MaxVariants = 5
)

// GroupQuestions groups similar questions and returns the groups, largest
// first (ties: most recent first), at most limit (limit <= 0: all).
// Questions with the same normalised wording always share a group; other
// questions join the group whose first question's terms are most similar
// to theirs (Jaccard at least SimilarJaccard), or start a new one.
func GroupQuestions(qs []Question, terms TermsFunc, limit int) []Group {
	if terms == nil {
		terms = plainTerms
	}
	type cluster struct {
		leader  map[string]bool
		members []Question
	}
	var clusters []*cluster
	byText := map[string]int{}   // normalised wording → cluster
	byTerm := map[string][]int{} // term → clusters whose leader has it
	// Oldest first, so that the group leader is the first wording seen.
	sorted := slices.Clone(qs)
	slices.SortStableFunc(sorted, func(a, b Question) int { return a.At.Compare(b.At) })
	for _, q := range sorted {
		key := normalize(q.Text)
		if key == "" {
			continue
		}
		if i, ok := byText[key]; ok {
			clusters[i].members = append(clusters[i].members, q)
			continue
		}
		set := map[string]bool{}
		for _, t := range terms(placeholders.ReplaceAllString(q.Text, " "), q.Language) {
			if t = strings.ToLower(t); t != "" && !isPlaceholderTerm(t) {
				set[t] = true
			}
		}
		best, bestSim := -1, 0.0
		seen := map[int]bool{}
		for t := range set {
			for _, i := range byTerm[t] {
				if seen[i] {
					continue
				}
				seen[i] = true
				if sim := jaccard(set, clusters[i].leader); sim > bestSim || sim == bestSim && best >= 0 && i < best {
					best, bestSim = i, sim
				}
			}
		}
		if best >= 0 && bestSim >= SimilarJaccard {
			clusters[best].members = append(clusters[best].members, q)
			byText[key] = best
			continue
		}
		clusters = append(clusters, &cluster{leader: set, members: []Question{q}})
		i := len(clusters) - 1
		byText[key] = i
		for t := range set {
			byTerm[t] = append(byTerm[t], i)
		}
	}

	groups := make([]Group, 0, len(clusters))
	for _, c := range clusters {
		groups = append(groups, summarize(c.members))
	}
	slices.SortStableFunc(groups, func(a, b Group) int {
		if c := cmp.Compare(b.Count, a.Count); c != 0 {
			return c
		}
		return b.Last.Compare(a.Last)
	})
	if limit > 0 && len(groups) > limit {
		groups = groups[:limit]
	}
	return groups
}

// summarize describes one group's questions.
func summarize(ms []Question) Group {
	g := Group{Count: len(ms), Kinds: map[string]int{}}
	type wording struct {
		text  string
		n     int
		last  time.Time
		first int
	}
	words := map[string]*wording{}
	var order []*wording
	langs := map[string]bool{}
	pages := map[string]int{}
	titles := map[string]string{}
	var conf float64
	for i, q := range ms {
		key := normalize(q.Text)
		w, ok := words[key]
		if !ok {
			w = &wording{text: q.Text, first: i}
			words[key] = w
			order = append(order, w)
		}
		w.n++
		if !q.At.Before(w.last) {
			w.last, w.text = q.At, q.Text
		}
		g.Kinds[q.Kind]++
		if q.Language != "" {
			langs[q.Language] = true
		}
		if q.PageID != "" {
			pages[q.PageID]++
			titles[q.PageID] = q.PageTitle
		}
		if q.At.After(g.Last) {
			g.Last = q.At
		}
		conf += q.Confidence
	}
	slices.SortStableFunc(order, func(a, b *wording) int {
		if c := cmp.Compare(b.n, a.n); c != 0 {
			return c
		}
		return b.last.Compare(a.last)
	})
	g.Example = order[0].text
	for _, w := range order[1:] {
		if len(g.Variants) == MaxVariants {
			break
		}
		g.Variants = append(g.Variants, w.text)
	}
	for l := range langs {
		g.Languages = append(g.Languages, l)
	}
	slices.Sort(g.Languages)
	best := 0
	for id, n := range pages {
		if n > best || n == best && id < g.PageID {
			g.PageID, best = id, n
		}
	}
	g.PageTitle = titles[g.PageID]
	g.AvgConfidence = float64(int(conf/float64(len(ms))*100+0.5)) / 100
	return g
}

func jaccard(a, b map[string]bool) float64 {
	if len(a) == 0 || len(b) == 0 {
		return 0
	}
	inter := 0
	for t := range a {
		if b[t] {
			inter++
		}
	}
	return float64(inter) / float64(len(a)+len(b)-inter)
}

// normalize is the wording key: lowercase letters and digits, single spaces.
func normalize(s string) string {
	var b strings.Builder
	space := false
	for _, r := range strings.ToLower(s) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) || r == '[' || r == ']' {
			if space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			b.WriteRune(r)
			space = false
			continue
		}
		space = true
	}
	return b.String()
}

// plainTerms is the fallback TermsFunc.
func plainTerms(text, _ string) []string {
	var out []string
	for _, w := range strings.FieldsFunc(strings.ToLower(text), func(r rune) bool { return !unicode.IsLetter(r) && r != '[' && r != ']' }) {
		if len([]rune(w)) >= 3 {
			out = append(out, w)
		}
	}
	return out
}

// placeholders are Scrub's; they say nothing about the topic, so they are
// left out of the terms.
var placeholders = regexp.MustCompile(`\[(?:email|phone|number|name|address|date|iban|link|plate)\]`)

// isPlaceholderTerm drops what is left of a placeholder ("[name]", or the
// analyser's "name") — it says nothing about the topic.
func isPlaceholderTerm(t string) bool {
	t = strings.Trim(t, "[]")
	switch t {
	case "email", "phone", "number", "name", "address", "date", "iban", "link", "plate":
		return true
	}
	return false
}
