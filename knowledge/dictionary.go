package knowledge

import (
	"bufio"
	"crypto/sha256"
	"encoding/gob"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

// A German–English dictionary lets a question in one language find pages
// in the other: most German cities publish their service pages in German
// only, and many residents ask in English. civibot reads the dictionary of
// TU Chemnitz ("Ding", Debian package trans-de-en, /usr/share/trans/de-en,
// GPL-2+) — never copies it — and keeps, per knowledge base, only the
// translations whose words occur in the city's pages (see translate.go).
//
// The file's format, one entry per line:
//
//	Anmeldung {f} [adm.] | Anmeldungen {pl} :: registration | registrations
//
// German and English sides separated by " :: "; each side has parallel
// sub-entries separated by " | " (the n-th German one translates the n-th
// English one); a sub-entry lists synonyms separated by "; ". Braces hold
// grammar ({f}, {vt}), brackets usage and domain ([adm.], [Br.]), angle
// brackets search keys and parentheses explanations; "#" starts a comment.

// DefaultDictionary is where Debian's trans-de-en package installs the
// dictionary.
const DefaultDictionary = "/usr/share/trans/de-en"

// MaxDictionaryLine is the longest dictionary line read (longer lines are
// skipped as damaged).
const MaxDictionaryLine = 64 << 10

// ErrDictionary marks a dictionary that cannot be used (missing, empty,
// truncated, not the expected format).
var ErrDictionary = errors.New("knowledge: dictionary")

// dictPair is one translation: German and English phrase, and whether the
// dictionary marks it as administrative language. form marks an English
// verb's irregular form paired with the German verb ("forgot" and
// "vergessen" from "vergessen … :: to forget {forgot; forgotten}"): a
// translation of the English form only, never of the German verb.
type dictPair struct {
	de, en string
	adm    bool
	form   bool
}

// Limits of what is kept from the dictionary: phrases longer than this
// (in words) are idioms or examples, not names of things a city offers.
const (
	maxDictPhraseWords = 4
	// minDictPairs: a file with fewer usable translations is not the
	// dictionary (truncated, or another file).
	minDictPairs = 1000
)

// readDictionary reads dictionary pairs from r, calling fn for each. It
// fails on a read error or when r yields fewer than minPairs pairs.
func readDictionary(r io.Reader, name string, minPairs int, fn func(dictPair)) error {
	br := bufio.NewReaderSize(r, 64<<10)
	n, lines, bad := 0, 0, 0
	for {
		line, err := readDictLine(br)
		if len(line) > 0 {
			lines++
			if !parseDictLine(line, fn, &n) {
				bad++
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("%w %s: %v", ErrDictionary, name, err)
		}
	}
	if n < minPairs {
		return fmt.Errorf("%w %s: %d usable translations in %d lines (%d not in the \"German :: English\" format): not the TU Chemnitz German–English dictionary, or truncated",
			ErrDictionary, name, n, lines, bad)
	}
	return nil
}

// readDictLine reads one line, skipping (and reporting as empty) lines
// longer than MaxDictionaryLine.
func readDictLine(br *bufio.Reader) (string, error) {
	var b []byte
	tooLong := false
	for {
		chunk, isPrefix, err := br.ReadLine()
		if !tooLong {
			b = append(b, chunk...)
			if len(b) > MaxDictionaryLine {
				tooLong, b = true, nil
			}
		}
		if err != nil || !isPrefix {
			if tooLong {
				return "", err
			}
			return string(b), err
		}
	}
}

// parseDictLine parses one entry and calls fn for every pair of German and
// English synonyms of its parallel sub-entries. It reports whether the
// line was an entry (comments and blank lines count as fine).
func parseDictLine(line string, fn func(dictPair), n *int) bool {
	line = strings.TrimSpace(line)
	if line == "" || line[0] == '#' {
		return true
	}
	de, en, ok := strings.Cut(line, " :: ")
	if !ok {
		return false
	}
	des, ens := strings.Split(de, " | "), strings.Split(en, " | ")
	if len(des) != len(ens) {
		// Unequal sub-entries cannot be paired; keep the heads.
		des, ens = des[:1], ens[:1]
	}
	// The domain tag of the head word is the sense of the whole entry.
	adm := strings.Contains(line, "[adm.]")
	for i := range des {
		en, forms := irregularForms(ens[i])
		dl, el := dictSynonyms(des[i]), dictSynonyms(en)
		dl, el = append(dl, dictAbbreviations(des[i])...), append(el, dictAbbreviations(en)...)
		for _, d := range dl {
			for _, e := range el {
				fn(dictPair{de: d, en: e, adm: adm})
				*n++
			}
		}
		if len(forms) == 0 {
			continue
		}
		// The forms translate the German verb and its participle, where
		// the entry gives one: "someone stole my bike" is asked where the
		// page says "gestohlen".
		for _, d := range append(dl, participles(des[i+1:], ens[i+1:], forms[len(forms)-1], dl)...) {
			for _, f := range forms {
				fn(dictPair{de: d, en: f, adm: adm, form: true})
				*n++
			}
		}
	}
	return true
}

// participles returns the German synonyms, besides those of verb, of the
// first sub-entry (of des, parallel to ens) whose English synonyms hold
// participle.
func participles(des, ens []string, participle string, verb []string) []string {
	for j := range ens {
		if slices.Contains(dictSynonyms(ens[j]), participle) {
			return slices.DeleteFunc(dictSynonyms(des[j]), func(d string) bool { return slices.Contains(verb, d) })
		}
	}
	return nil
}

// irregularVerb is the dictionary's note of an English verb's irregular
// forms, past and past participle ("to forget {forgot; forgotten}", "to
// prove {proved; proved, proven}", "to learn {learned / learnt [Br.];
// learned / learnt [Br.]}").
var irregularVerb = regexp.MustCompile(`\{([a-z][a-zA-Z ,/()\[\].-]*;[a-zA-Z ,/()\[\].-]*)\}`)

// irregularForms takes the irregular forms of English verbs out of a
// sub-entry and returns it without them, and the forms that differ from
// the verb: "to steal {stole; stolen} sth." gives "to steal sth." and
// "stole", "stolen". A question says "I forgot my PIN" and "someone stole
// my bike", and the stemmer does not lead "forgot" to "forget". Before,
// the ";" inside the braces split the sub-entry: the past was lost and the
// participle became a synonym of the verb.
func irregularForms(s string) (string, []string) {
	if !strings.Contains(s, "; ") || !strings.Contains(s, "{") {
		return s, nil
	}
	var forms []string
	s = irregularVerb.ReplaceAllStringFunc(s, func(m string) string {
		for _, f := range strings.FieldsFunc(cleanDictPhrase(m[1:len(m)-1]), func(r rune) bool { return r == ',' || r == ';' || r == '/' || r == ' ' }) {
			if !slices.Contains(forms, f) {
				forms = append(forms, f)
			}
		}
		return ""
	})
	verb := strings.Fields(cleanDictPhrase(s))
	forms = slices.DeleteFunc(forms, func(f string) bool { return slices.Contains(verb, f) })
	return s, forms
}

// dictSynonyms splits a sub-entry into its synonyms, each cleaned of
// annotations; examples and long phrases are dropped, and "a/b"
// alternatives become separate synonyms.
func dictSynonyms(s string) []string {
	var out []string
	for _, syn := range splitSynonyms(s) {
		syn = cleanDictPhrase(syn)
		if syn == "" || strings.ContainsAny(syn[len(syn)-1:], ".!?") || strings.Contains(syn, "…") {
			continue // an example sentence or an elided phrase
		}
		for _, alt := range slashAlternatives(syn) {
			if n := len(strings.Fields(alt)); n > 0 && n <= maxDictPhraseWords {
				out = append(out, alt)
			}
		}
	}
	return out
}

// splitSynonyms splits a sub-entry at the semicolons between its
// synonyms, not at those inside an annotation: "Krieg {m} (mit jdm./gegen
// etw.) :: war (with sb.; on/against sth.)" has one English synonym, "war";
// split inside the brackets it had "against" too, and "Abendprogramm {n}
// (TV; Radio)" was "Radio".
func splitSynonyms(s string) []string {
	var out []string
	depth, start := 0, 0
	for i, r := range s {
		switch r {
		case '{', '[', '(', '<':
			depth++
		case '}', ']', ')', '>':
			depth = max(depth-1, 0)
		case ';':
			if depth == 0 {
				out = append(out, s[start:i])
				start = i + 1
			}
		}
	}
	return append(out, s[start:])
}

// dictPlaceholders are the dictionary's stand-ins for objects ("to
// register sb./sth.", "jdm. etw. anmelden").
var dictPlaceholders = map[string]bool{
	"sb.": true, "sth.": true, "sb.'s": true, "sb.’s": true, "sth.'s": true, "sth.’s": true, "sb./sth.": true, "sth./sb.": true,
	"one's": true, "one’s": true, "oneself": true, "your": true, "yourself": true,
	"jd.": true, "jdm.": true, "jdn.": true, "jds.": true, "etw.": true, "jdm./etw.": true, "jdn./etw.": true,
	"etw./jdn.": true, "jdm./jdn.": true, "sich": true,
}

// cleanDictPhrase removes annotations in brackets of any kind, the leading
// "to " of English verbs and object placeholders.
func cleanDictPhrase(s string) string {
	return stripDictWords(dropAnnotations(s))
}

// dropAnnotations removes what a phrase holds in brackets of any kind.
func dropAnnotations(s string) string {
	if !strings.ContainsAny(s, "{[(<}])>") {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	depth := 0
	for _, r := range s {
		switch r {
		case '{', '[', '(', '<':
			depth++
			continue
		case '}', ']', ')', '>':
			if depth > 0 {
				depth--
			}
			continue
		}
		if depth == 0 {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// stripDictWords drops the leading "to " of English verbs, object
// placeholders and abbreviations, and collapses white space.
func stripDictWords(s string) string {
	words := strings.Fields(s)
	if len(words) == 1 && !dictPlaceholders[strings.ToLower(words[0])] && !dictAbbreviation(words[0]) {
		return words[0]
	}
	out := words[:0]
	for i, w := range words {
		if i == 0 && w == "to" && len(words) > 1 {
			continue
		}
		if dictPlaceholders[strings.ToLower(w)] || dictAbbreviation(w) {
			continue
		}
		out = append(out, w)
	}
	return strings.Join(out, " ")
}

// dictAbbreviation reports whether a word is the dictionary's note of an
// abbreviation between slashes ("Deutschland {n} /DE/", "Adresse {f}
// /Adr./", "Kraftfahrzeug {n} /Kfz/"): no word of the phrase. Read as a
// word, it made "Deutschland DE" of "Deutschland" and dropped "Adresse
// Adr." as a sentence for its final dot.
func dictAbbreviation(w string) bool {
	return len(w) > 2 && w[0] == '/' && w[len(w)-1] == '/'
}

// dictAbbreviations returns the abbreviations a sub-entry notes between
// slashes outside its annotations that name a thing of their own: three
// characters or more, two capitals or more, no dot, and not a stop word of
// either language ("Frühsommer-Meningoenzephalitis {f} /FSME/ ::
// tick-borne encephalitis /TBE/" gives "/FSME/" and "/TBE/", the slashes
// kept to tell them from words; see buildTranslations). They are
// synonyms of the sub-entry's words: a citizen asks "Ab wann kann mein
// Kind gegen FSME geimpft werden?" where the English page says "TBE", and
// the dictionary has no entry for either. Shorter ones ("/DE/", "/Er/")
// and those with a dot ("/Adr./") are also words or spellings of words
// the pages use otherwise ("de" of a web address, the pronoun "er").
func dictAbbreviations(s string) []string {
	if !strings.Contains(s, "/") {
		return nil
	}
	var out []string
	for _, syn := range splitSynonyms(s) {
		for _, w := range strings.Fields(dropAnnotations(syn)) {
			if !dictAbbreviation(w) {
				continue
			}
			a := w[1 : len(w)-1]
			upper := 0
			for _, r := range a {
				if unicode.IsUpper(r) {
					upper++
				}
			}
			words := splitWords(a)
			if utf8.RuneCountInString(a) < 3 || upper < 2 || strings.ContainsAny(a, "./") || len(words) != 1 ||
				isStopAny(words[0].folded) || slices.Contains(out, w) {
				continue
			}
			out = append(out, w)
		}
	}
	return out
}

// slashAlternatives expands "permit/pass" in a phrase into one phrase per
// alternative (at most two slashed words are expanded; more is a list, not
// a name, and is dropped).
func slashAlternatives(s string) []string {
	words := strings.Fields(s)
	out := []string{""}
	slashed := 0
	for _, w := range words {
		alts := []string{w}
		if strings.Contains(w, "/") {
			slashed++
			alts = nil
			for _, a := range strings.Split(w, "/") {
				if a != "" {
					alts = append(alts, a)
				}
			}
		}
		var next []string
		for _, o := range out {
			for _, a := range alts {
				next = append(next, strings.TrimSpace(o+" "+a))
			}
		}
		out = next
	}
	if slashed > 2 || len(out) > 6 {
		return nil
	}
	return out
}

// openDictionary opens the dictionary file at path; a missing one is an
// ErrDictionary that says what to install.
func openDictionary(path string) (*os.File, error) {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("%w %s not found: install Debian's trans-de-en package or set knowledge.dictionary (\"off\" to translate nothing)", ErrDictionary, path)
		}
		return nil, fmt.Errorf("%w: %v", ErrDictionary, err)
	}
	return f, nil
}

// readTranslations builds a knowledge base's translation table from the
// dictionary file at path (see buildTranslations).
func readTranslations(path string, langs map[string]bool, vocab map[string]int32) (*transTable, error) {
	f, err := openDictionary(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return buildTranslations(f, path, minDictPairs, langs, vocab)
}

// transTableVersion names how a translation table is built: a civibot
// that builds it otherwise (2: translations weighed by their sense, see
// senseWeight; 3: abbreviations between slashes dropped, see
// dictAbbreviation; 4: the source forms of each translation, see
// asWritten; 5: English verbs' irregular forms, see irregularForms; 6:
// the senses of compound parts, see partSenses; 7: no synonyms split
// inside an annotation, see splitSynonyms; 8: abbreviations as synonyms,
// see dictAbbreviations) does not take an older table from the cache.
const transTableVersion = 8

// cachedTranslations is readTranslations with a cache: building a table
// means reading the whole dictionary (seconds), and the same pages (the
// bundled sample city, a city's pages evaluated again) give the same
// table. Tables are kept in the user's cache directory
// (~/.cache/civibot), keyed by the dictionary file (path, size, time) and
// the knowledge base's words; without a usable cache directory the table
// is built every time.
func cachedTranslations(path string, langs map[string]bool, vocab map[string]int32) (*transTable, error) {
	return cachedFromDictionary(path, "translations", func(h io.Writer) {
		fmt.Fprintf(h, "%v\x00%v\x00%d\x00", langs["de"], langs["en"], transTableVersion)
		writeStopWords(h)
		terms := make([]string, 0, len(vocab))
		for t := range vocab {
			terms = append(terms, t)
		}
		sort.Strings(terms)
		for _, t := range terms {
			h.Write([]byte(t))
			h.Write([]byte{0})
		}
	}, func() (*transTable, error) { return readTranslations(path, langs, vocab) })
}

// writeStopWords writes the stop word lists to a cache key: they decide
// which words of a dictionary phrase count, so a new civibot with other
// stop words builds its own table.
func writeStopWords(h io.Writer) {
	for _, name := range []string{"wordlists/stop_de.txt", "wordlists/stop_en.txt"} {
		b, _ := wordlistFS.ReadFile(name)
		h.Write(b)
	}
}

// cachedFromDictionary returns what build makes of the dictionary at path,
// kept in the user's cache directory under kind and a key of the file
// (path, size, time) and what key writes; without a usable cache
// directory, or for a dictionary in the temporary directory (tests), it
// builds every time.
func cachedFromDictionary[T any](path, kind string, key func(io.Writer), build func() (T, error)) (T, error) {
	fi, err := os.Stat(path)
	if err != nil || strings.HasPrefix(path, os.TempDir()) {
		return build()
	}
	dir, err := os.UserCacheDir()
	if err != nil {
		return build()
	}
	h := sha256.New()
	fmt.Fprintf(h, "v1\x00%s\x00%s\x00%d\x00%d\x00", kind, path, fi.Size(), fi.ModTime().UnixNano())
	key(h)
	file := filepath.Join(dir, "civibot", kind+"-"+hex.EncodeToString(h.Sum(nil)[:16])+".gob")
	if f, err := os.Open(file); err == nil {
		var v T
		err := gob.NewDecoder(bufio.NewReader(f)).Decode(&v)
		f.Close()
		if err == nil {
			return v, nil
		}
	}
	v, err := build()
	if err != nil {
		return v, err
	}
	if err := os.MkdirAll(filepath.Dir(file), 0o700); err == nil {
		tmp := file + fmt.Sprintf(".%d.tmp", os.Getpid())
		if err := writeFileSync(tmp, func(w *bufio.Writer) error { return gob.NewEncoder(w).Encode(v) }); err == nil {
			if os.Rename(tmp, file) != nil {
				os.Remove(tmp)
			}
		}
	}
	return v, nil
}

// minNounLen is the length (in bytes, folded) from which a dictionary noun
// may be a compound part: shorter ones ("Dien", "Tran", "Ster") split
// "Dienstag", "Transport" and "Sterbefall" wrongly.
const minNounLen = 5

// readNouns reads the German nouns of the dictionary at path — single
// words with a gender ("Sucht {f}") of minNounLen letters or more, folded
// and in lower case, sorted — for the compound splitter: with them it
// splits a city's words whose parts its pages do not hold on their own
// ("Suchtkranke" → "Sucht" + "Kranke"; compound.go).
func readNouns(path string) ([]string, error) {
	f, err := openDictionary(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	set := map[string]bool{}
	br := bufio.NewReaderSize(f, 64<<10)
	for {
		line, err := readDictLine(br)
		if de, _, ok := strings.Cut(line, " :: "); ok && !strings.HasPrefix(line, "#") {
			for _, sub := range strings.Split(de, " | ") {
				for _, syn := range strings.Split(sub, ";") {
					if w, ok := dictNoun(strings.TrimSpace(syn)); ok {
						set[w] = true
					}
				}
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%w %s: %v", ErrDictionary, path, err)
		}
	}
	out := make([]string, 0, len(set))
	for w := range set {
		out = append(out, w)
	}
	sort.Strings(out)
	return out, nil
}

// dictNoun returns the folded word of a synonym that is one German noun
// with its gender ("Sucht {f}", "Kranke {m,f}"), and whether it is one.
func dictNoun(syn string) (string, bool) {
	word, rest, ok := strings.Cut(syn, " ")
	if !ok || !strings.HasPrefix(rest, "{") || len(rest) < 3 || !strings.ContainsRune("fmn", rune(rest[1])) {
		return "", false
	}
	r, size := utf8.DecodeRuneInString(word)
	if !unicode.IsUpper(r) {
		return "", false
	}
	for _, c := range word[size:] {
		if !unicode.IsLower(c) {
			return "", false
		}
	}
	w := foldWord(strings.ToLower(word))
	if len(w) < minNounLen {
		return "", false
	}
	return w, true
}

// cachedNouns is readNouns with a cache (see cachedFromDictionary).
func cachedNouns(path string) ([]string, error) {
	return cachedFromDictionary(path, "nouns", func(io.Writer) {}, func() ([]string, error) { return readNouns(path) })
}
