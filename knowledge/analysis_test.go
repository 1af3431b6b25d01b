package knowledge

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func TestSplitWords(t *testing.T) {
	tests := []struct {
		in   string
		want []string // lower forms; joined forms marked with +
	}{
		{"Führerschein", []string{"führerschein"}},
		{"Wie beantrage ich den Perso?", []string{"wie", "beantrage", "ich", "den", "perso"}},
		{"Steuer-ID beantragen", []string{"steuer", "!id", "+steuerid", "beantragen"}},
		{"E-Mail", []string{"mail", "+email"}},
		{"a b 1 22 B1", []string{"22", "b1"}},
		{"STRASSE, Straße", []string{"strasse", "straße"}},
		{"", nil},
		{"--- ...", nil},
		{"Kfz-Zulassungs-Stelle", []string{"kfz", "zulassungs", "stelle", "+kfzzulassungsstelle"}},
		{"well-known. Next", []string{"well", "known", "+wellknown", "next"}},
		// Acronyms (marked !) are names, not the stop words they spell.
		{"Who is eligible for the BuT program?", []string{"who", "is", "eligible", "for", "the", "!but", "program"}},
		{"exchange my US driving licence", []string{"exchange", "my", "!us", "driving", "licence"}},
		{"IT-Sicherheit", []string{"!it", "sicherheit", "+itsicherheit"}},
		{"Bundesamt (BAMF)", []string{"bundesamt", "!bamf"}},
		{"Zulassungsbescheinigung Teil II", []string{"zulassungsbescheinigung", "teil", "!ii"}},
		{"Die Ausweise", []string{"die", "ausweise"}},
		// A text in capitals has none.
		{"WIE MELDE ICH MEINEN HUND AN", []string{"wie", "melde", "ich", "meinen", "hund", "an"}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			var got []string
			for _, w := range splitWords(tt.in) {
				s := w.lower
				if w.joined {
					s = "+" + s
				}
				if w.acronym {
					s = "!" + s
				}
				got = append(got, s)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("splitWords(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestFoldWord(t *testing.T) {
	for in, want := range map[string]string{
		"führerschein": "fuhrerschein", "straße": "strasse", "gebühr": "gebuhr",
		"café": "cafe", "plain": "plain", "öffnungszeiten": "offnungszeiten",
	} {
		if got := foldWord(in); got != want {
			t.Errorf("foldWord(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestStemGroupsForms(t *testing.T) {
	tests := []struct {
		lang  string
		forms []string // all must stem alike
	}{
		{"de", []string{"führerschein", "führerscheine", "führerscheins", "fuhrerschein"}},
		{"de", []string{"anmeldung", "anmeldungen"}},
		{"de", []string{"gebühr", "gebühren"}},
		{"de", []string{"straße", "strasse", "straßen"}},
		{"de", []string{"hund", "hunde", "hundes"}},
		{"de", []string{"auto", "autos"}},
		{"de", []string{"büro", "büros"}},
		{"de", []string{"handy", "handys"}},
		{"en", []string{"license", "licenses"}},
		{"en", []string{"register", "registering", "registered"}},
		{"en", []string{"certificate", "certificates"}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.forms, ","), func(t *testing.T) {
			first := stem(tt.forms[0], tt.lang)
			for _, f := range tt.forms[1:] {
				if got := stem(f, tt.lang); got != first {
					t.Errorf("stem(%q, %s) = %q, stem(%q) = %q; want equal", f, tt.lang, got, tt.forms[0], first)
				}
			}
		})
	}
	for _, w := range []string{"reisepass", "reisepas", "haus", "preis"} {
		if got := stem(w, "de"); !strings.HasSuffix(got, "s") {
			t.Errorf("stem(%q) = %q: only a plural s after o or y goes", w, got)
		}
	}
	if got := stem("b1", "de"); got != "b1" {
		t.Errorf("stem(b1) = %q, words with digits stay", got)
	}
}

func TestCompoundSplit(t *testing.T) {
	// The dictionary: words of the knowledge base (frequency ≥ 2) plus the
	// built-in base words.
	sp := newSplitter(map[string]int32{
		"parkausweis": 3, "anwohner": 4, "hundesteuer": 2, "personal": 2, "theater": 5,
	})
	tests := []struct {
		word string
		want []string // nil: no split
	}{
		{"anwohnerparkausweis", []string{"anwohner", "parkausweis", "park", "ausweis"}},
		{"hundesteueranmeldung", []string{"hundesteuer", "anmeldung", "hund", "steuer"}},
		{"personalausweisverlangerung", []string{"personalausweis", "verlangerung", "personal", "ausweis"}},
		{"wohnungsgeberbestatigung", nil}, // "bestätigung" is not known
		{"staatsangehorigkeit", nil},      // nor "angehörigkeit"
		{"arbeitsvertrag", []string{"arbeit", "vertrag"}},
		{"bundesland", []string{"bund", "land"}},
		{"theater", nil},
		{"amt", nil},
		{"kfz2024zulassung", nil},
	}
	for _, tt := range tests {
		t.Run(tt.word, func(t *testing.T) {
			got := sp.split(tt.word, true)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("split(%q) = %q, want %q", tt.word, got, tt.want)
			}
		})
	}
}

func TestCompoundPartsInflectedHead(t *testing.T) {
	// A question's compound whose head the pages hold only without its
	// plural or case ending splits at the known head (parts); the pages'
	// own words do not (split), nor does an inflection or misspelling of a
	// known word.
	sp := newSplitter(map[string]int32{
		"daueraufenthalt": 2, "genehmigung": 3, "zuschuss": 2, "kinderbetreuung": 4, "fuhrungszeugnis": 2,
		"profi": 2, "tier": 3, "amerika": 2, "nische": 2, "asyl": 5, "bewerb": 2, "asylbewerber": 3,
	})
	tests := []struct {
		word       string
		parts      []string // nil: no split
		splitPages []string
	}{
		{"daueraufenthaltsgenehmigungen", []string{"daueraufenthalt", "genehmigung"}, nil},
		{"kinderbetreuungsgenehmigungen", []string{"kinderbetreuung", "genehmigung"}, nil},
		{"daueraufenthaltsgenehmigung", []string{"daueraufenthalt", "genehmigung"}, []string{"daueraufenthalt", "genehmigung", "dauer", "aufenthalt"}},
		{"fuhrungszeugniss", nil, nil},   // a misspelling of a known word
		{"fuhrungszeugnisses", nil, nil}, // its genitive
		{"genehmigungen", nil, nil},      // no compound
		{"asylbewerbern", nil, nil},      // the dative of a known word, not "Asyl" + "Bewerb" + "ern"
		{"profitieren", nil, nil},        // a verb, not "Profi" + "Tier" + "en"
		{"amerikanischen", nil, nil},     // an adjective, not "Amerika" + "Nische" + "n"
	}
	for _, tt := range tests {
		t.Run(tt.word, func(t *testing.T) {
			if got := sp.parts(tt.word, true); !reflect.DeepEqual(got, tt.parts) {
				t.Errorf("parts(%q) = %q, want %q", tt.word, got, tt.parts)
			}
			if got := sp.split(tt.word, true); !reflect.DeepEqual(got, tt.splitPages) {
				t.Errorf("split(%q) = %q, want %q", tt.word, got, tt.splitPages)
			}
			if got := sp.parts(tt.word, false); tt.splitPages == nil && got != nil {
				t.Errorf("parts(%q) of an English question = %q, want none: English has no inflected compounds", tt.word, got)
			}
		})
	}
}

func TestTermsCompoundsMeet(t *testing.T) {
	// A question with a compound and a page with its parts (and the other
	// way round) share the parts' terms.
	kb := buildFixture(t)
	an := kb.Analyzer()
	tests := []struct {
		a, b   string
		shared []string
	}{
		{"Anwohnerparkausweis", "Parkausweis für Anwohner", []string{"anwohn", "parkausweis"}},
		{"Hundesteueranmeldung", "Hundesteuer anmelden", []string{"hundesteu", "anmeld"}},
		{"Personalausweisverlängerung", "Verlängerung des Personalausweises", []string{"personalausweis", "verlanger"}},
	}
	for _, tt := range tests {
		ta, tb := an.Terms(tt.a, "de"), an.Terms(tt.b, "de")
		for _, w := range tt.shared {
			if !slices.Contains(ta, w) || !slices.Contains(tb, w) {
				t.Errorf("want %q in Terms(%q) = %q and in Terms(%q) = %q", w, tt.a, ta, tt.b, tb)
			}
		}
	}
}

func TestTerms(t *testing.T) {
	kb := buildFixture(t)
	an := kb.Analyzer()
	tests := []struct {
		text, lang string
		has        []string
		hasNot     []string
	}{
		{"Wie kann ich meinen Perso verlängern?", "de", []string{"perso", "personalausweis", "verlang"}, []string{"wie", "kann", "ich", "mein"}},
		{"GEZ", "", []string{"gez", "rundfunkbeitrag"}, nil},
		{"I need a new ID card", "en", []string{"card", "personalausweis"}, []string{"need", "new"[:0]}},
		{"Personalausweiss", "de", []string{"personalausweiss", "personalausweis"}, nil},
		// A lexicon phrase of several words matches a compound by its
		// head ("ausweis verloren" in "Personalausweis verloren"); a
		// single word does not ("Ausweis" names no "Schwerbehindertenausweis").
		{"Ich habe meinen Personalausweis verloren", "de", []string{"verlust", "verlustanzeig"}, nil},
		{"Hund anmelden", "de", []string{"hund", "anmeld", "hundesteu"}, nil},
		{"Steuer-ID", "de", []string{"steu", "id", "steueridentifikationsnumm"}, nil},
		// The words that frame a definition are no topic: "meant" was a
		// telling word no page held, so a page was said not to answer
		// "What is meant by irregular employment?".
		{"What is meant by irregular employment?", "en", []string{"irregular", "employ"}, []string{"meant"}},
		{"Was ist mit Duldung gemeint?", "de", []string{"duldung"}, []string{"gemeint"}},
		// An express passport is a passport made faster, not the
		// provisional passport or identity card.
		{"Expresspass", "de", []string{"express", "reisepass"}, []string{"vorlauf", "personalausweis"}},
		{"", "de", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			got := an.Terms(tt.text, tt.lang)
			for _, w := range tt.has {
				if !slices.Contains(got, w) {
					t.Errorf("Terms(%q) = %q, want %q in it", tt.text, got, w)
				}
			}
			for _, w := range tt.hasNot {
				if w != "" && slices.Contains(got, w) {
					t.Errorf("Terms(%q) = %q, want no %q", tt.text, got, w)
				}
			}
			seen := map[string]bool{}
			for _, w := range got {
				if seen[w] {
					t.Errorf("Terms(%q) repeats %q", tt.text, w)
				}
				seen[w] = true
			}
		})
	}
}

func TestLexiconFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := write("city.txt", "# Musterstadt\nMuStA, Musterstadt-Amt => bürgeramt\n\nflohmarkt, trödelmarkt\n")
	lx, err := loadLexicon([]string{good})
	if err != nil {
		t.Fatal(err)
	}
	if len(lx.entries) < 150 {
		t.Errorf("lexicon has %d entries, want the built-in 150+ and the city's", len(lx.entries))
	}
	an, err := newAnalyzer([]string{good}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := an.Terms("Wo ist das MuStA?", "de"); !slices.Contains(got, "burgeramt") {
		t.Errorf("Terms with the city lexicon = %q, want burgeramt", got)
	}
	if got := an.Terms("Trödelmarkt", "de"); !slices.Contains(got, "flohmarkt") {
		t.Errorf("Terms(Trödelmarkt) = %q, want flohmarkt (equivalence)", got)
	}

	bad := []struct{ name, text, want string }{
		{"one.txt", "perso\n", "one.txt:1: an equivalence needs at least two names"},
		{"arrow.txt", "# c\n\na => b => c\n", "arrow.txt:3: more than one"},
		{"empty.txt", "xx, yy\n => bb\n", "empty.txt:2: \"=>\" needs names on both sides"},
		{"stop.txt", "der, die\n", "stop.txt:1: an equivalence needs at least two names"},
	}
	for _, b := range bad {
		_, err := loadLexicon([]string{write(b.name, b.text)})
		if err == nil || !strings.Contains(err.Error(), b.want) {
			t.Errorf("loadLexicon(%s) error = %v, want %q", b.name, err, b.want)
		}
	}
	if _, err := loadLexicon([]string{filepath.Join(dir, "missing.txt")}); err == nil {
		t.Error("loadLexicon of a missing file succeeded")
	}
}

func TestBuiltinLexiconParses(t *testing.T) {
	lx, err := loadLexicon(nil)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(lx.entries); n < 150 {
		t.Errorf("built-in lexicon has %d entries, want 150+", n)
	}
	// Every built-in entry can be triggered: its phrases have words.
	for _, e := range lx.entries {
		for _, p := range e.from {
			if len(p.words) == 0 {
				t.Errorf("%s: phrase %q has no words", e.src, p.text)
			}
		}
	}
}

// Everyday words for services a citizen reports or asks about search the
// services' names (built-in lexicon).
func TestLexiconEverydayWords(t *testing.T) {
	an, err := newAnalyzer(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ lang, q, want string }{
		{"de", "laterne vor meinem haus geht nicht", "straßenbeleuchtung"},
		{"de", "wohin mit meinem alten sofa? sofa entsorgen", "sperrmüll"},
		{"de", "wie viele punkte in flensburg habe ich", "fahreignungsregister"},
		{"de", "ich möchte meine familie nachholen", "familiennachzug"},
		{"en", "there is a pothole in my street", "straßenschaden"},
		{"en", "who removes rats from the courtyard", "schädlingsbekämpfung"},
		{"en", "how do I bring my family to Germany", "familiennachzug"},
	} {
		got := an.Terms(tc.q, tc.lang)
		if w := an.Terms(tc.want, "de")[0]; !slices.Contains(got, w) {
			t.Errorf("Terms(%q) = %q, want %q", tc.q, got, w)
		}
	}
}

func TestEditDistance(t *testing.T) {
	tests := []struct {
		a, b string
		max  int
		want int
	}{
		{"hundesteur", "hundesteuer", 2, 1},
		{"personalausweiss", "personalausweis", 2, 1},
		{"ausweis", "auswies", 2, 1}, // transposition
		{"abc", "abc", 1, 0},
		{"abc", "xyz", 1, 2},
		{"kurz", "kurzzzzz", 2, 3},
	}
	for _, tt := range tests {
		if got := editDistance(tt.a, tt.b, tt.max); got != tt.want {
			t.Errorf("editDistance(%q, %q, %d) = %d, want %d", tt.a, tt.b, tt.max, got, tt.want)
		}
	}
}

func TestSplitText(t *testing.T) {
	para := strings.Repeat("Ein Satz mit einigen Wörtern. ", 20) // 600 chars
	tests := []struct {
		name      string
		text      string
		max       int
		wantN     int
		maxLength int
	}{
		{"empty", "  \n ", 100, 0, 0},
		{"short", "Kurzer Text.", 100, 1, 100},
		{"paragraphs", para + "\n\n" + para + "\n\n" + para, 900, 3, 900},
		{"sentences", para + para, 300, 4, 300},
		{"no separators", strings.Repeat("x", 250), 100, 3, 100},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rs := splitText(tt.text, tt.max)
			if len(rs) != tt.wantN {
				t.Fatalf("splitText gave %d ranges, want %d: %v", len(rs), tt.wantN, rs)
			}
			prev := 0
			for _, r := range rs {
				piece := tt.text[r[0]:r[1]]
				if n := len([]rune(piece)); n > tt.maxLength+tt.maxLength/4 {
					t.Errorf("range %v has %d characters, want ≤ %d", r, n, tt.maxLength)
				}
				if r[0] < prev || strings.TrimSpace(piece) != piece || piece == "" {
					t.Errorf("range %v overlaps, is empty or untrimmed: %q", r, piece)
				}
				prev = r[1]
			}
		})
	}
}

// TestNearSpellings: a misspelt word finds the index term it was meant
// for — one edit for short words, two from eight letters on, where a
// dropped letter and the stem's cut ending add up ("anmeldng" is two
// edits from the stem "anmeld" of "Anmeldung").
func TestNearSpellings(t *testing.T) {
	fi := newFuzzyIndex(map[string]int32{"anmeld": 40, "abmeld": 30, "hundesteu": 5, "reisepass": 12, "ausweis": 20})
	for _, tc := range []struct {
		word string
		want string // "" for none
	}{
		{"anmeldng", "anmeld"},
		{"reisepas", "reisepass"},
		{"ausweiss", "ausweis"},
		{"amt", ""}, // too short to correct
	} {
		got := ""
		if hs := fi.near(tc.word); len(hs) > 0 {
			got = hs[0].term
		}
		if got != tc.want {
			t.Errorf("near(%q) = %q, want %q", tc.word, got, tc.want)
		}
	}
}

func TestParticipleStems(t *testing.T) {
	tests := []struct {
		word string
		want string // a stem among the result; "" for none
	}{
		{"verkauft", "verkauf"},
		{"beantragt", "beantrag"},
		{"gekauft", "kauf"},
		{"abgemeldet", "abmeld"},
		{"angemeldet", "anmeld"},
		{"geimpft", "impf"},
		{"abgeholt", "abhol"},
		{"abgelaufen", ""}, // strong: "Ablauf" is the procedure
		{"gewalt", ""},     // a noun's remains ("wal") are too short
		{"haus", ""},
	}
	for _, tt := range tests {
		got := participleStems(tt.word)
		if tt.want == "" && len(got) > 0 || tt.want != "" && !slices.Contains(got, tt.want) {
			t.Errorf("participleStems(%q) = %q, want %q", tt.word, got, tt.want)
		}
	}
}

// TestParticipleFindsVerb: "Ich habe mein Auto verkauft" finds the page
// titled with the sale, not the one that only uses the participle.
func TestParticipleFindsVerb(t *testing.T) {
	kb := buildPages(t, []Page{
		{ID: "verkauf", Title: "Fahrzeug, Verkauf", Language: "de",
			Sections: desc("Den Verkauf eines zugelassenen Fahrzeugs zeigen Sie der Zulassungsstelle unverzüglich an. Sie brauchen den Kaufvertrag.")},
		{ID: "abmeldung", Title: "Fahrzeug abmelden", Language: "de",
			Sections: desc("Sie melden Ihr Fahrzeug ab, wenn Sie es nicht mehr fahren. Wurde das Fahrzeug verkauft, meldet es der Käufer um. Bringen Sie die Kennzeichen mit.")},
		{ID: "kennzeichen", Title: "Wunschkennzeichen reservieren", Language: "de",
			Sections: desc("Ein Wunschkennzeichen reservieren Sie online für 90 Tage.")},
	})
	hits := search(t, kb, Query{Text: "Ich habe mein Fahrzeug verkauft, was muss ich tun?", Language: "de"})
	if len(hits) == 0 || hits[0].Page.ID != "verkauf" {
		t.Errorf("ranked %v, want verkauf first", hitIDs(hits))
	}
}

// TestLexiconPhraseNeedsStopWord: a stop word that carries a lexicon
// phrase's meaning ("auto weg", "keine wohnung", "führerschein machen") is
// needed in the question; articles, prepositions and possessives are not
// ("register my dog" matches "register a dog").
func TestLexiconPhraseNeedsStopWord(t *testing.T) {
	an, err := newAnalyzer(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		q, lang, term string
		want          bool
	}{
		{"Wie melde ich mein Auto an?", "de", "abschleppdien", false},
		{"Mein Auto ist weg, was nun?", "de", "abschleppdien", true},
		{"Ich suche eine Wohnung", "de", "obdachlo", false},
		{"Ich habe keine Wohnung", "de", "obdachlo", true},
		{"Führerschein umtauschen", "de", "ersterteil", false},
		{"Ich will den Führerschein machen", "de", "ersterteil", true},
		{"How do I register a dog?", "en", "hundesteu", true},
		// "kind" is an English stop word and a German noun.
		{"Unser Kind ist geboren", "de", "geburtsurkund", true},
		{"Where do I put the yellow bin?", "en", "gelb", true},
		// "weg" after a document is its loss.
		{"Mein Personalausweis ist weg, was soll ich tun?", "de", "verlust", true},
		{"reisepass weg was tun", "de", "verlust", true},
		{"Reisepass beantragen", "de", "verlust", false},
	} {
		got := an.Terms(tc.q, tc.lang)
		if slices.Contains(got, tc.term) != tc.want {
			t.Errorf("Terms(%q) = %q: holds %s %v, want %v", tc.q, got, tc.term, !tc.want, tc.want)
		}
	}
}
