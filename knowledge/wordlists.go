package knowledge

import (
	"embed"
	"strings"
	"sync"
)

//go:embed wordlists/*.txt
var wordlistFS embed.FS

// wordTables are the embedded word lists, parsed once and read-only after.
type wordTables struct {
	stopDE, stopEN map[string]bool // folded stop words
	compoundBase   []string        // folded base words for compound splitting
	modifiers      map[string]bool // folded compound modifiers, not indexed as parts
	germanWords    map[string]bool // folded words of the German lexicon (language evidence)
	weak           map[string]bool // folded generic request verbs, weighed less in questions
	firstActions   []string        // folded starts of words for the first thing done with a service
	laterActions   []string        // folded starts of words for a later thing done with it
}

// tables returns the parsed embedded word lists. They never change after
// the first call.
var tables = sync.OnceValue(func() *wordTables {
	t := &wordTables{
		stopDE:       readWordSet("wordlists/stop_de.txt"),
		stopEN:       readWordSet("wordlists/stop_en.txt"),
		compoundBase: readWordList("wordlists/compound_de.txt"),
		modifiers:    readWordSet("wordlists/compound_modifiers_de.txt"),
		germanWords:  make(map[string]bool),
		weak:         readWordSet("wordlists/weak.txt"),
		firstActions: readWordList("wordlists/actions_first.txt"),
		laterActions: readWordList("wordlists/actions_later.txt"),
	}
	for _, w := range lexiconFileWords("lexicon/de.txt") {
		// Short words of the German lexicon are often English ("id",
		// "card", "blue"); they are no evidence.
		if len(w) >= 5 && !t.stopDE[w] && !t.stopEN[w] {
			t.germanWords[w] = true
		}
	}
	return t
})

func readWordList(name string) []string {
	data, err := wordlistFS.ReadFile(name)
	if err != nil {
		// The files are embedded at build time; a missing one is a build bug
		// that the tests catch.
		return nil
	}
	var out []string
	for _, line := range strings.Split(string(data), "\n") {
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		line = strings.TrimSpace(strings.ToLower(line))
		if line != "" {
			out = append(out, foldWord(line))
		}
	}
	return out
}

func readWordSet(name string) map[string]bool {
	set := make(map[string]bool)
	for _, w := range readWordList(name) {
		set[w] = true
	}
	return set
}

// isStop reports whether a folded word is a stop word of lang; for an empty
// or unknown lang, of German or English.
func isStop(folded, lang string) bool {
	t := tables()
	switch lang {
	case "de":
		return t.stopDE[folded]
	case "en":
		return t.stopEN[folded]
	}
	return t.stopDE[folded] || t.stopEN[folded]
}

// isStopAny reports whether a folded word is a German or English stop word.
func isStopAny(folded string) bool { return isStop(folded, "") }
