package knowledge

import (
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// testDictionary is a dictionary in the TU Chemnitz format, written for
// these tests (entries of our own, not copied from the real file).
const testDictionary = `# Version :: test
# a comment line, and a blank line follow

Anmeldung {f} (der Wohnung) [adm.] | Anmeldungen {pl} :: registration (of residence) | registrations
jdn./etw. anmelden {vt} [adm.] | anmeldend | angemeldet :: to register sb./sth. | registering | registered
Bewohnerparkausweis {m}; Anwohnerparkausweis {m} [adm.] | Bewohnerparkausweise {pl} :: residents' parking permit; resident parking permit/pass | residents' parking permits
Hundesteuer {f} [fin.] :: dog tax; dog licence fee
Hund {m} | Hunde {pl} | Der Hund bellt. :: dog | dogs | The dog barks.
Gebühr {f} [fin.] | Gebühren {pl} :: fee; charge | fees; charges
Personalausweis {m} | Personalausweise {pl} :: identity card; ID card | identity cards; ID cards
umziehen {vi} | umziehend | umgezogen :: to move (house) | moving | moved
Antrag {m} [adm.] :: application
Anwendung {f} :: application
Bewerbung {f} :: application
Auftragen {n} :: application
Ferien {pl} | Urlaub {m} :: holidays; vacations | holiday; vacation
Zitronenfalter {m} [zool.] :: brimstone butterfly
Weltraumbahnhof {m} :: spaceport
Masern {pl} [med.] :: measles
Impfung {f} [med.] | Impfungen {pl} :: vaccination | vaccinations
Hilfe {f} :: help; aid
Beratung {f} :: counselling; advice
Familie {f} | Familien {pl} :: family | families
Kind {n} | Kinder {pl} :: child | children
Tagesbetreuung {f} :: day care
Sucht {f} [med.] | Süchte {pl} :: addiction | addictions
Kranke {m,f}; Kranker :: sick person; patient
Schaft {m} [techn.] :: shaft
Dien {m} :: a noun too short to be a compound part
sterben {vi} | sterbend | gestorben :: to die | dying | died
Geburtsurkunde {f} [adm.] | Geburtsurkunden {pl} :: birth certificate | birth certificates
Geburt {f} | Geburten {pl} :: birth | births
Urkunde {f} | Urkunden {pl} :: certificate; document | certificates; documents
Ausland {n} | im Ausland :: foreign countries | abroad
ein Satz ohne Trenner
`

func TestParseDictLine(t *testing.T) {
	tests := []struct {
		line string
		want []dictPair
		ok   bool
	}{
		{"# comment", nil, true},
		{"", nil, true},
		{"kein Eintrag", nil, false},
		{"Gebühr {f} [fin.] | Gebühren {pl} :: fee; charge | fees; charges",
			[]dictPair{{"Gebühr", "fee", false, false}, {"Gebühr", "charge", false, false}, {"Gebühren", "fees", false, false}, {"Gebühren", "charges", false, false}}, true},
		{"jdn./etw. anmelden {vt} [adm.] | angemeldet :: to register sb./sth. | registered",
			[]dictPair{{"anmelden", "register", true, false}, {"angemeldet", "registered", true, false}}, true},
		{"Parkausweis {m} :: resident parking permit/pass",
			[]dictPair{{"Parkausweis", "resident parking permit", false, false}, {"Parkausweis", "resident parking pass", false, false}}, true},
		{"Hund {m} | Der Hund bellt. :: dog | The dog barks.",
			[]dictPair{{"Hund", "dog", false, false}}, true},
		// Unequal sub-entries: only the heads are paired.
		{"Umzug {m} | Umzüge {pl} | extra :: move | moves",
			[]dictPair{{"Umzug", "move", false, false}}, true},
		// An abbreviation between slashes is no word of the phrase; one
		// with a dot did not make the phrase a sentence.
		{"Deutschland {n} /DE/ (Kfz: /D/) [geogr.] | Norddeutschland {n} :: Germany | Northern Germany; North Germany",
			[]dictPair{{"Deutschland", "Germany", false, false}, {"Norddeutschland", "Northern Germany", false, false}, {"Norddeutschland", "North Germany", false, false}}, true},
		{"Adresse {f} /Adr./ :: address /addr./", []dictPair{{"Adresse", "address", false, false}}, true},
		// An abbreviation of three characters or more with two capitals
		// is a synonym of its sub-entry, its slashes kept.
		{"Gehirnentzündung {f} [med.] | Frühsommer-Meningoenzephalitis {f} /FSME/ :: encephalitis | tick-borne encephalitis /TBE/",
			[]dictPair{{"Gehirnentzündung", "encephalitis", false, false},
				{"Frühsommer-Meningoenzephalitis", "tick-borne encephalitis", false, false}, {"Frühsommer-Meningoenzephalitis", "/TBE/", false, false},
				{"/FSME/", "tick-borne encephalitis", false, false}, {"/FSME/", "/TBE/", false, false}}, true},
		// A semicolon inside an annotation separates no synonyms: "war"
		// is no "against", "Abendprogramm" no "Radio".
		{"Krieg {m} (mit jdm./gegen etw.) [pol.] :: war (with sb.; on/against sth.)", []dictPair{{"Krieg", "war", false, false}}, true},
		{"Abendprogramm {n} (TV; Radio) :: evening programme", []dictPair{{"Abendprogramm", "evening programme", false, false}}, true},
		// Phrases longer than four words are idioms, not names.
		{"Antrag {m} :: application for something to be done by the city", nil, true},
		// An English verb's irregular forms translate the German verb
		// (one way: form); the ";" between them splits nothing.
		{"etw. vergessen {vt} | vergessend | vergessen :: to forget {forgot; forgotten} sth. | forgetting | forgotten",
			[]dictPair{{"vergessen", "forget", false, false}, {"vergessen", "forgot", false, true}, {"vergessen", "forgotten", false, true},
				{"vergessend", "forgetting", false, false}, {"vergessen", "forgotten", false, false}}, true},
		{"etw. stehlen {vt} | stehlend | gestohlen :: to steal {stole; stolen} sth. | stealing | stolen",
			[]dictPair{{"stehlen", "steal", false, false}, {"stehlen", "stole", false, true}, {"stehlen", "stolen", false, true},
				{"gestohlen", "stole", false, true}, {"gestohlen", "stolen", false, true},
				{"stehlend", "stealing", false, false}, {"gestohlen", "stolen", false, false}}, true},
		{"etw. verkaufen {vt} :: to sell {sold; sold} sth.",
			[]dictPair{{"verkaufen", "sell", false, false}, {"verkaufen", "sold", false, true}}, true},
		{"lernen {vi} :: to learn {learned / learnt [Br.]; learned / learnt [Br.]}",
			[]dictPair{{"lernen", "learn", false, false}, {"lernen", "learned", false, true}, {"lernen", "learnt", false, true}}, true},
		{"kosten {vt} :: to cost {cost; cost}", []dictPair{{"kosten", "cost", false, false}}, true},
	}
	for _, tt := range tests {
		var got []dictPair
		n := 0
		ok := parseDictLine(tt.line, func(p dictPair) { got = append(got, p) }, &n)
		if ok != tt.ok || !reflect.DeepEqual(got, tt.want) || n != len(tt.want) {
			t.Errorf("parseDictLine(%q) = %v %v, want %v %v", tt.line, got, ok, tt.want, tt.ok)
		}
	}
}

func TestReadDictionaryErrors(t *testing.T) {
	tests := []struct {
		name, text string
		want       string
	}{
		{"empty", "", "0 usable translations"},
		{"not a dictionary", "<html><body>Not found</body></html>\n", "not the TU Chemnitz"},
		{"binary", "\x00\x01\x02\xff\xfe", "0 usable translations"},
		{"truncated", testDictionary[:40], "0 usable translations"},
		{"overlong line", strings.Repeat("x", MaxDictionaryLine+10) + " :: y\n", "0 usable translations"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := readDictionary(strings.NewReader(tt.text), "test", 1, func(dictPair) {})
			if !errors.Is(err, ErrDictionary) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want ErrDictionary with %q", err, tt.want)
			}
		})
	}
	if _, err := readTranslations(filepath.Join(t.TempDir(), "missing"), map[string]bool{"de": true}, nil); !errors.Is(err, ErrDictionary) || !strings.Contains(err.Error(), "trans-de-en") {
		t.Errorf("missing file: %v", err)
	}
}

func TestBuildTranslations(t *testing.T) {
	vocab := map[string]int32{}
	for _, w := range []string{"anmeldung", "anmelden", "bewohnerparkausweis", "hundesteuer", "hund", "gebuhr", "personalausweis", "umziehen",
		"antrag", "anwendung", "bewerbung", "auftragen"} {
		vocab[stem(w, "de")] = 1
	}
	tab, err := buildTranslations(strings.NewReader(testDictionary), "test", 1, map[string]bool{"de": true}, vocab)
	if err != nil {
		t.Fatal(err)
	}
	if tab.From["de"] != nil {
		t.Errorf("a KB without English pages got German → English translations")
	}
	en := tab.From["en"]
	key := func(phrase string) string {
		var s []string
		for _, w := range splitWords(phrase) {
			if !isStop(w.folded, "en") {
				s = append(s, stem(w.lower, "en"))
			}
		}
		return strings.Join(s, " ")
	}
	targets := func(phrase string) []string {
		var out []string
		for _, tt := range en[key(phrase)] {
			out = append(out, tt.Text)
		}
		return out
	}
	if got := targets("residents parking permit"); !reflect.DeepEqual(got, []string{"Bewohnerparkausweis"}) {
		t.Errorf("residents parking permit → %v", got)
	}
	if got := targets("register"); !reflect.DeepEqual(got, []string{"anmelden"}) {
		t.Errorf("register → %v", got)
	}
	// Only words the pages hold: no butterflies, no spaceports.
	if got := targets("spaceport"); got != nil {
		t.Errorf("spaceport kept: %v", got)
	}
	// A word with many translations says less with each; the
	// administrative sense comes first.
	app := en[key("application")]
	if len(app) != 4 || app[0].Text != "Antrag" || app[0].Weight >= en[key("fee")][0].Weight {
		t.Errorf("application → %+v, fee → %+v", app, en[key("fee")])
	}
	if tab.MaxWords != 3 {
		t.Errorf("MaxWords = %d", tab.MaxWords)
	}
}

// germanOnlyPages are a city's German pages.
func germanOnlyPages() []Page {
	return []Page{
		{ID: "parken", Title: "Bewohnerparkausweis beantragen", Language: "de", Sections: []Section{
			{Kind: SectionDescription, Text: "Mit dem Bewohnerparkausweis parken Sie in Ihrer Zone ohne Parkschein."},
			{Kind: SectionFees, Heading: "Gebühren", Text: "Die Gebühr beträgt 30 Euro im Jahr."}}},
		{ID: "hund", Title: "Hundesteuer", Language: "de", Sections: []Section{
			{Kind: SectionDescription, Text: "Wer einen Hund hält, zahlt Hundesteuer und meldet den Hund beim Steueramt an."}}},
		{ID: "wohnung", Title: "Wohnung anmelden", Language: "de", Sections: []Section{
			{Kind: SectionDescription, Text: "Nach dem Umziehen melden Sie Ihre neue Wohnung innerhalb von zwei Wochen an. Die Anmeldung ist kostenlos."}}},
		{ID: "ausweis", Title: "Personalausweis beantragen", Language: "de", Sections: []Section{
			{Kind: SectionDescription, Text: "Den Personalausweis beantragen Sie persönlich im Bürgeramt."}}},
	}
}

func writeTestDictionary(t *testing.T) string {
	t.Helper()
	// The real file is large; a test dictionary needs as many translations
	// as the sanity check asks for, so the test entries are repeated.
	p := filepath.Join(t.TempDir(), "de-en")
	if err := os.WriteFile(p, []byte(strings.Repeat(testDictionary, minDictPairs/20+1)), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestSearchTranslatesQuestion(t *testing.T) {
	ctx := context.Background()
	dict := writeTestDictionary(t)
	without, err := Build(ctx, germanOnlyPages(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer without.Close()
	with, err := Build(ctx, germanOnlyPages(), Options{Dictionary: dict})
	if err != nil {
		t.Fatal(err)
	}
	defer with.Close()
	if len(with.Warnings()) > 0 {
		t.Fatalf("warnings: %v", with.Warnings())
	}
	tests := []struct{ q, want string }{
		{"How much is a residents parking permit?", "parken"},
		{"I moved, how do I register?", "wohnung"},
		{"dog tax", "hund"},
		{"new identity card", "ausweis"},
	}
	for _, tt := range tests {
		hits, err := with.Search(ctx, Query{Text: tt.q, Language: "en"})
		if err != nil {
			t.Fatal(err)
		}
		if len(hits) == 0 || hits[0].Page.ID != tt.want {
			t.Errorf("%q with the dictionary: %v, want %s first", tt.q, ids(hits), tt.want)
		}
		if hits, _ := without.Search(ctx, Query{Text: tt.q, Language: "en"}); len(hits) > 0 && hits[0].Page.ID == tt.want && hits[0].Coverage >= 0.5 {
			t.Logf("%q is found without the dictionary too", tt.q)
		}
	}
}

func TestDictionaryIngestAndOpen(t *testing.T) {
	ctx := context.Background()
	dict := writeTestDictionary(t)
	dir := filepath.Join(t.TempDir(), "kb")

	// Ingest with a dictionary that is not there: a clear error, nothing
	// written.
	_, err := Ingest(ctx, dir, germanOnlyPages(), Options{Dictionary: filepath.Join(t.TempDir(), "none")})
	if !errors.Is(err, ErrDictionary) || !strings.Contains(err.Error(), "not found") {
		t.Fatalf("ingest without the dictionary file: %v", err)
	}
	if _, err := CurrentGeneration(dir); err == nil {
		t.Error("a failed ingest wrote a generation")
	}
	// A truncated dictionary: a clear error too.
	short := filepath.Join(t.TempDir(), "short")
	os.WriteFile(short, []byte(testDictionary), 0o644)
	if _, err := Ingest(ctx, dir, germanOnlyPages(), Options{Dictionary: short}); !errors.Is(err, ErrDictionary) || !strings.Contains(err.Error(), "truncated") {
		t.Fatalf("ingest with a truncated dictionary: %v", err)
	}

	// The table is built at ingest and stored: Open needs no dictionary.
	if _, err := Ingest(ctx, dir, germanOnlyPages(), Options{Dictionary: dict}); err != nil {
		t.Fatal(err)
	}
	kb, err := Open(ctx, dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer kb.Close()
	if !strings.Contains(kb.Translations(), "en→de") || len(kb.Warnings()) > 0 {
		t.Errorf("opened: %s, warnings %v", kb.Translations(), kb.Warnings())
	}
	hits, err := kb.Search(ctx, Query{Text: "dog tax", Language: "en"})
	if err != nil || len(hits) == 0 || hits[0].Page.ID != "hund" {
		t.Errorf("after Open: %v %v", ids(hits), err)
	}

	// Build with a dictionary that is not there: serving goes on, without
	// translation, and says why.
	b, err := Build(ctx, germanOnlyPages(), Options{Dictionary: filepath.Join(t.TempDir(), "none")})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if w := b.Warnings(); len(w) != 1 || !strings.Contains(w[0], "questions are not translated") {
		t.Errorf("warnings = %v", w)
	}
}

func ids(hits []Hit) []string {
	out := make([]string, len(hits))
	for i, h := range hits {
		out[i] = h.Page.ID
	}
	return out
}

// TestCompoundTranslatedByParts: a German compound the dictionary lacks is
// translated by its parts, so a German question finds English pages.
func TestCompoundTranslatedByParts(t *testing.T) {
	ctx := context.Background()
	pages := []Page{
		{ID: "measles", Title: "Measles protection", Language: "en", Sections: []Section{
			{Kind: SectionDescription, Text: "Children need a measles vaccination before they start school."}}},
		{ID: "family", Title: "Family counselling", Language: "en", Sections: []Section{
			{Kind: SectionDescription, Text: "Family counselling helps parents and children in difficult times."}}},
		{ID: "jobs", Title: "Writing applications", Language: "en", Sections: []Section{
			{Kind: SectionDescription, Text: "We help you write an application for a job."}}},
		{ID: "daycare", Title: "Day care", Language: "en", Sections: []Section{
			{Kind: SectionDescription, Text: "Day care centres look after the little ones while their parents work."}}},
	}
	kb, err := Build(ctx, pages, Options{Dictionary: writeTestDictionary(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer kb.Close()
	for _, tt := range []struct {
		word  string
		parts []string
	}{
		{"masernimpfung", []string{stem("masern", "de"), stem("impfung", "de")}},
		{"familienberatung", []string{stem("familie", "de"), stem("beratung", "de")}},
		{"bewerbungshilfe", []string{stem("bewerbung", "de"), stem("hilfe", "de")}},
		{"impfung", nil},         // a word, not a compound
		{"zitronenbahnhof", nil}, // "zitronen" has no translation of its own
	} {
		if got := kb.an.trans.compoundParts(tt.word, func(t string) bool { return kb.an.vocab[t] > 0 }); !reflect.DeepEqual(got, tt.parts) {
			t.Errorf("compoundParts(%q) = %q, want %q", tt.word, got, tt.parts)
		}
	}
	for _, tt := range []struct{ q, lang, want string }{
		{"Wann braucht mein Kind die Masernimpfung?", "de", "measles"},
		{"Gibt es Familienberatung?", "de", "family"},
		// German names in an English question are translated as well.
		{"When does my child need the Masernimpfung?", "en", "measles"},
		{"Is there Familienberatung in the city?", "en", "family"},
		// A part the dictionary gives only as a phrase is found by the
		// phrase's words: "Tagesbetreuung" is "day care", and "Kinder"
		// alone would find the pages about children.
		{"Wo finde ich Kindertagesbetreuung?", "de", "daycare"},
	} {
		hits, err := kb.Search(ctx, Query{Text: tt.q, Language: tt.lang})
		if err != nil {
			t.Fatal(err)
		}
		if len(hits) == 0 || hits[0].Page.ID != tt.want {
			t.Errorf("%q: %v, want %s first", tt.q, ids(hits), tt.want)
		}
	}
}

// TestDictionaryNouns: the dictionary's nouns (five letters or more, with
// a gender) split the compounds the pages' own words cannot — for German
// words only, never into a derivational suffix, and only where the pages'
// words find no split; the nouns are kept with the knowledge base.
func TestDictionaryNouns(t *testing.T) {
	for _, tc := range []struct {
		syn  string
		want string
	}{
		{"Sucht {f} [med.]", "sucht"},
		{"Kranke {m,f}", "kranke"},
		{"Gebühr {f} [fin.]", "gebuhr"},
		{"Hund {m}", ""},                       // shorter than minNounLen
		{"Masern {pl} [med.]", ""},             // no gender: a plural
		{"jdn./etw. anmelden {vt} [adm.]", ""}, // a verb
		{"Kranker", ""},                        // no gender given
		{"Der Hund bellt.", ""},
	} {
		got, ok := dictNoun(tc.syn)
		if got != tc.want || ok != (tc.want != "") {
			t.Errorf("dictNoun(%q) = %q, %v; want %q", tc.syn, got, ok, tc.want)
		}
	}
	dict := writeTestDictionary(t)
	nouns, err := readNouns(dict)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(nouns, "sucht") || slices.Contains(nouns, "dien") || !slices.IsSorted(nouns) {
		t.Errorf("nouns = %v", nouns)
	}
	if _, err := readNouns(filepath.Join(t.TempDir(), "none")); !errors.Is(err, ErrDictionary) {
		t.Errorf("missing dictionary: %v", err)
	}

	sp := newSplitter(map[string]int32{"beratung": 3, "partner": 2, "anwohner": 2, "parkausweis": 2})
	sp.setNouns([]string{"sucht", "kranke", "schaft", "anwohnerpark", "ausweis"})
	for _, tc := range []struct {
		word   string
		german bool
		want   []string
	}{
		{"suchtberatung", true, []string{"sucht", "beratung"}},
		{"suchtkranke", true, []string{"sucht", "kranke"}},
		{"suchtberatung", false, nil},                                                         // an English page's word
		{"partnerschaft", true, nil},                                                          // "-schaft" is a suffix
		{"anwohnerparkausweis", true, []string{"anwohner", "parkausweis", "park", "ausweis"}}, // the pages' words decide
	} {
		if got := sp.split(tc.word, tc.german); !slices.Equal(got, tc.want) {
			t.Errorf("split(%q, german %v) = %q, want %q", tc.word, tc.german, got, tc.want)
		}
	}

	// End to end: "addiction" translates to "Sucht", which the pages hold
	// only in "Suchtkranke"; a German question for "Sucht" finds the page
	// too, after the knowledge base is stored and opened again.
	ctx := context.Background()
	pages := append(germanOnlyPages(), Page{ID: "sucht", Title: "Hilfe für Suchtkranke", Language: "de", Sections: []Section{
		{Kind: SectionDescription, Text: "Die Beratungsstelle hilft Suchtkranken und ihren Familien. Suchtkranke erreichen uns jeden Tag."}}})
	dir := filepath.Join(t.TempDir(), "kb")
	if _, err := Ingest(ctx, dir, pages, Options{Dictionary: dict}); err != nil {
		t.Fatal(err)
	}
	kb, err := Open(ctx, dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer kb.Close()
	for _, q := range []Query{{Text: "addiction", Language: "en"}, {Text: "Sucht", Language: "de"}} {
		hits, err := kb.Search(ctx, q)
		if err != nil || len(hits) == 0 || hits[0].Page.ID != "sucht" {
			t.Errorf("%q: %v %v", q.Text, ids(hits), err)
		}
	}
	if !slices.ContainsFunc(kb.an.trans.From["en"]["addict"], func(t transTarget) bool { return t.Text == "Sucht" }) {
		t.Errorf("addiction → %v, want Sucht (held by the pages in Suchtkranke)", kb.an.trans.From["en"]["addict"])
	}
	// The opened knowledge base splits a question's words as the pages'
	// were split, with or without the dictionary where it serves.
	if got := kb.an.split.split("suchtkranke", true); !slices.Equal(got, []string{"sucht", "kranke"}) {
		t.Errorf("opened: split(suchtkranke) = %q", got)
	}
}

// TestForeignStopWords: a stop word of the other language inside a name
// ("für" in "Café Glanz für Frauen" asked in English, "with" in "Start
// with a Friend" asked in German) is no word the pages lack; a word with a
// translation from the question's language ("die": to die) stays.
func TestForeignStopWords(t *testing.T) {
	ctx := context.Background()
	de := []Page{{ID: "cafe", Title: "Café Glanz für Frauen", Language: "de", Sections: []Section{
		{Kind: SectionDescription, Text: "Das Café ist ein Treffpunkt für Frauen und Kinder. Nach dem Sterben des Hundes melden Sie ihn ab."}}}}
	en := []Page{{ID: "friend", Title: "Start with a Friend", Language: "en", Sections: []Section{
		{Kind: SectionDescription, Text: "Start with a Friend brings people together."}}}}
	for _, tt := range []struct {
		pages      []Page
		q, lang    string
		want, lose string
	}{
		{de, "What is offered at Café Glanz für Frauen?", "en", "glanz", "für"},
		{de, "What do I do when my dog will die?", "en", "die", ""},
		{en, "Wie melde ich mich bei Start with a Friend an?", "de", "friend", "with"},
	} {
		kb, err := Build(ctx, tt.pages, Options{Dictionary: writeTestDictionary(t)})
		if err != nil {
			t.Fatal(err)
		}
		var words []string
		for _, c := range kb.an.Concepts(tt.q, tt.lang) {
			words = append(words, c.Word)
		}
		if !slices.Contains(words, tt.want) || (tt.lose != "" && slices.Contains(words, tt.lose)) {
			t.Errorf("%q: concepts %q, want %q and not %q", tt.q, words, tt.want, tt.lose)
		}
		kb.Close()
	}
}

// A translation the dictionary gives in many entries is the word's usual
// sense and weighs more than one it gives once: "grant" is "Zuschuss" in
// three pairs, "Bewilligung" in one.
func TestTranslationSenseWeight(t *testing.T) {
	const dict = `Zuschuss {m} | Zuschüsse {pl} :: grant | grants
Zuschuss {m} [fin.] :: subsidy; grant
Bewilligung {f} :: grant; approval
`
	vocab := map[string]int32{}
	for _, w := range []string{"zuschuss", "bewilligung"} {
		vocab[stem(w, "de")] = 1
	}
	tab, err := buildTranslations(strings.NewReader(dict), "test", 1, map[string]bool{"de": true}, vocab)
	if err != nil {
		t.Fatal(err)
	}
	weights := map[string]float64{}
	for _, tt := range tab.From["en"][stem("grant", "en")] {
		weights[tt.Text] = tt.Weight
	}
	usual, rare := weights["Zuschuss"], weights["Bewilligung"]
	if usual == 0 || rare == 0 {
		t.Fatalf("grant → %v, want Zuschuss and Bewilligung", weights)
	}
	if rare >= usual || rare < usual*senseFloor {
		t.Errorf("grant → Zuschuss %.2f, Bewilligung %.2f: the rarer sense should weigh less, at least %.0f%%", usual, rare, senseFloor*100)
	}
	if w := tab.From["en"][stem("approval", "en")]; len(w) != 1 || w[0].Weight != transWeight(1) {
		t.Errorf("approval → %+v: a phrase's only translation keeps its full weight", w)
	}
}

// TestTranslationCapsWordItself: a question word that the pages hold in the
// question's own language only by chance ("Handbook Germany" in German
// pages) is no more telling than its translation ("Deutschland"): the page
// that answers in the pages' language comes first.
func TestTranslationCapsWordItself(t *testing.T) {
	ctx := context.Background()
	// "Germany" has five translations, none of them weighty enough to be
	// one of its sayings (sayingWeight); "Deutschland" is the surest.
	entries := strings.Repeat("Deutschland {n} /DE/ (Kfz: /D/) [geogr.] :: Germany\n", 3) +
		"Bundesrepublik {f} :: Germany\nInland {n} :: Germany\nStaat {m} :: Germany\nHeimat {f} :: Germany\n" +
		"Arbeit {f} | Arbeiten {pl} :: work | works\narbeiten {vi} | arbeitend | gearbeitet :: to work | working | worked\n"
	page := germanPage
	kb := buildWithDictionary(t, entries, []Page{
		page("arbeit", "Arbeitserlaubnis", "Wer in Deutschland arbeiten möchte, braucht eine Arbeitserlaubnis der Ausländerbehörde."),
		page("handbook", "Handbook Germany", "Das Handbook Germany ist ein Portal mit Informationen in vielen Sprachen."),
		page("schule", "Schule", "In Deutschland gehen alle Kinder zur Schule."),
		page("arzt", "Arztbesuch", "In Deutschland gehen Sie zuerst zur Hausärztin."),
		page("wohnen", "Wohnung suchen", "Eine Wohnung in Deutschland finden Sie online."),
		page("kita", "Kita", "Kinder in Deutschland können eine Kita besuchen."),
		page("staat", "Staat und Heimat", "Die Bundesrepublik ist ein Staat; im Inland gilt das Grundgesetz."),
	})
	concepts, _ := kb.an.analyzeQuery("Can I work in Germany?", "en")
	pq := kb.prepare(concepts)
	idf := func(term string) (capped, plain float64) {
		id, ok := kb.terms.ids[term]
		if !ok {
			t.Fatalf("%q is no index term", term)
		}
		i := slices.Index(pq.ids, id)
		if i < 0 {
			t.Fatalf("%q is no term of the question", term)
		}
		return pq.idfPage[i], bm25IDF(float64(len(kb.terms.plen)), float64(kb.terms.dfPage[id]))
	}
	germany, rare := idf("germany")
	deutschland, _ := idf(stem("deutschland", "de"))
	if want := deutschland + rareWording*(rare-deutschland); rare <= deutschland || math.Abs(germany-want) > 1e-9 {
		t.Errorf("IDF of germany %.3f (in one page: %.3f), of Deutschland %.3f: want %.3f", germany, rare, deutschland, want)
	}
	hits, err := kb.Search(ctx, Query{Text: "Can I work in Germany?", Language: "en"})
	if err != nil {
		t.Fatal(err)
	}
	if len(hits) == 0 || hits[0].Page.ID != "arbeit" {
		t.Errorf("Can I work in Germany?: %v, want arbeit first", ids(hits))
	}
}

// TestTranslationAsWritten: the English stem joins words the dictionary
// tells apart ("insurances" and "insure" are both "insur"); the question's
// word as written picks the translations given for it, the others keep
// part of their weight. A German question's words are left as they are.
func TestTranslationAsWritten(t *testing.T) {
	const dict = `Versicherung {f} | Versicherungen {pl} :: insurance | insurances
versichern {vt} | versichernd | versichert :: to insure | insuring | insured
sicherstellen {vt} :: to insure; to ensure
Universität {f} | Universitäten {pl} :: university | universities
Weltall {n}; Universum {n} :: universe
`
	vocab := map[string]int32{}
	for _, w := range []string{"versicherung", "versichern", "sicherstellen", "universität", "universum"} {
		vocab[stem(w, "de")] = 1
	}
	for _, w := range []string{"insurance", "insure", "ensure"} {
		vocab[stem(w, "en")] = 1
	}
	tab, err := buildTranslations(strings.NewReader(dict), "test", 1, map[string]bool{"de": true, "en": true}, vocab)
	if err != nil {
		t.Fatal(err)
	}
	weights := func(q, lang string) map[string]float64 {
		out := map[string]float64{}
		for _, m := range tab.match(splitWords(q), lang) {
			for _, tt := range m.targets {
				out[tt.Text] = tt.Weight
			}
		}
		return out
	}
	tests := []struct {
		q, lang      string
		asked, other string // a translation given for the word as written, and one given only for another word of its stem
	}{
		{"insurances", "en", "Versicherung", "sicherstellen"},
		{"insurance", "en", "Versicherung", "sicherstellen"},
		{"insure", "en", "sicherstellen", "Versicherung"},
		{"universities", "en", "Universität", "Universum"},
	}
	for _, tc := range tests {
		w := weights(tc.q, tc.lang)
		if w[tc.asked] == 0 || w[tc.other] == 0 {
			t.Errorf("%s → %v, want both %s and %s", tc.q, w, tc.asked, tc.other)
			continue
		}
		if w[tc.other] >= w[tc.asked] {
			t.Errorf("%s → %s %.2f, %s %.2f: the translation given for the word as written should weigh more", tc.q, tc.asked, w[tc.asked], tc.other, w[tc.other])
		}
	}
	// German: the stems decide alone.
	table := map[string]float64{}
	for _, tt := range tab.From["de"][stem("versicherungen", "de")] {
		table[tt.Text] = tt.Weight
	}
	if w := weights("versicherungen", "de"); len(w) == 0 || !reflect.DeepEqual(w, table) {
		t.Errorf("versicherungen → %v: a German word's translations keep their weights %v", w, table)
	}
	// A table stored before translations kept their forms (a knowledge base
	// ingested with transTableVersion 3) weighs an English word's
	// translations as it did then: all by their stem.
	old := map[string]float64{}
	for st, ts := range tab.From["en"] {
		for i := range ts {
			ts[i].Forms = nil
			if st == stem("insurances", "en") {
				old[ts[i].Text] = ts[i].Weight
			}
		}
	}
	if w := weights("insurances", "en"); len(old) < 2 || !reflect.DeepEqual(w, old) {
		t.Errorf("insurances over a table without forms → %v, want the stem's weights %v", w, old)
	}
}

// TestTranslationIrregularPast: an English question in the simple past of
// an irregular verb finds the German page through the verb's dictionary
// entry, where only its irregular forms name the past ("to forget
// {forgot; forgotten}"): the stemmer leads "forgot" to no "forget", and
// the entry pairs "forgot" only with "vergaß", which pages do not say.
func TestTranslationIrregularPast(t *testing.T) {
	ctx := context.Background()
	entries := "etw. vergessen {vt} | vergessend | vergessen | ich/er/sie vergaß :: to forget {forgot; forgotten} sth. | forgetting | forgotten | I/he/she forgot\n" +
		"jdm. etw. stehlen {vt} | stehlend | gestohlen | ich/er/sie stahl :: to steal {stole; stolen} sth. | stealing | stolen | I/he/she stole\n" +
		"Fahrrad {n} | Fahrräder {pl} :: bicycle; bike | bicycles; bikes\nGeheimzahl {f}; PIN {f} :: PIN\n"
	page := germanPage
	kb := buildWithDictionary(t, entries, []Page{
		page("pin", "Geheimzahl neu setzen", "Wenn Sie Ihre PIN vergessen haben, setzen Sie im Bürgeramt eine neue PIN."),
		page("pin-brief", "PIN-Brief", "Den PIN-Brief mit der Transport-PIN erhalten Sie mit der Post."),
		page("fahrrad", "Fahrraddiebstahl anzeigen", "Wurde Ihr Fahrrad gestohlen, zeigen Sie den Diebstahl bei der Polizei an."),
		page("fahrrad-parken", "Fahrrad parken", "Ein Fahrrad parken Sie an den Fahrradständern der Stadt."),
	})
	for _, tt := range []struct{ question, want, word string }{
		{"I forgot my PIN", "pin", "forgot"},
		{"someone stole my bike", "fahrrad", "stole"},
	} {
		hits, err := kb.Search(ctx, Query{Text: tt.question, Language: "en"})
		if err != nil {
			t.Fatal(err)
		}
		if len(hits) == 0 || hits[0].Page.ID != tt.want {
			t.Errorf("%q: first %v, want %s", tt.question, ids(hits), tt.want)
			continue
		}
		if slices.Contains(hits[0].Missing, tt.word) || slices.Contains(hits[0].Unknown, tt.word) {
			t.Errorf("%q: %q not found in %s (missing %v, unknown %v)", tt.question, tt.word, tt.want, hits[0].Missing, hits[0].Unknown)
		}
	}
	// Over English pages, the German verb is not translated by the English
	// past: "vergessen" is "forget" (and "forgotten", its own sub-entry).
	vocab := map[string]int32{}
	for _, w := range []string{"forget", "forgot", "forgotten"} {
		vocab[stem(w, "en")] = 1
	}
	table, err := buildTranslations(strings.NewReader(entries), "test", 1, map[string]bool{"en": true}, vocab)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, tr := range table.From["de"][stem("vergessen", "de")] {
		got = append(got, tr.Text)
	}
	if slices.Sort(got); !slices.Equal(got, []string{"forget", "forgotten"}) {
		t.Errorf("vergessen → %v, want [forget forgotten]", got)
	}
}

// TestTranslationAbbreviations: the dictionary's abbreviations translate
// ("FSME" asked, "TBE" on the English page; the dictionary has no entry
// for either), except one the pages write as it is asked: there it is
// the city's own name ("AVV", its transport association), not the
// dictionary's ("/AVV/", a data processing agreement).
func TestTranslationAbbreviations(t *testing.T) {
	entries := "Frühsommer-Meningoenzephalitis {f} /FSME/ [med.] :: tick-borne encephalitis /TBE/\n" +
		"Auftragsverarbeitungsvertrag {m} /AVV/ :: data processing agreement /DPA/\n"
	vocab := map[string]int32{}
	for _, w := range []string{"tbe", "avv", "agreement", "data", "processing"} {
		vocab[stem(w, "en")] = 1
	}
	tab, err := buildTranslations(strings.NewReader(entries), "test", 1, map[string]bool{"en": true}, vocab)
	if err != nil {
		t.Fatal(err)
	}
	texts := func(word string) []string {
		var out []string
		for _, tr := range tab.From["de"][stem(word, "de")] {
			out = append(out, tr.Text)
		}
		return out
	}
	if got := texts("fsme"); !slices.Contains(got, "/TBE/") {
		t.Errorf("FSME → %v, want /TBE/", got)
	}
	if got := texts("avv"); len(got) != 0 {
		t.Errorf("AVV → %v: the pages write it as asked, want no translation", got)
	}
	if got := texts("auftragsverarbeitungsvertrag"); !slices.Contains(got, "data processing agreement") {
		t.Errorf("Auftragsverarbeitungsvertrag → %v, want data processing agreement", got)
	}
	page := func(id, title, text string) Page {
		return Page{ID: id, Title: title, Language: "en", Sections: []Section{{Kind: SectionDescription, Text: text}}}
	}
	kb := buildWithDictionary(t, entries, []Page{
		page("tbe", "Vaccinations for children", "Children can be vaccinated against TBE from the age of one."),
		page("measles", "Measles vaccination", "Children are vaccinated against measles twice."),
	})
	hits, err := kb.Search(context.Background(), Query{Text: "Ab wann kann mein Kind gegen FSME geimpft werden?", Language: "de"})
	if err != nil {
		t.Fatal(err)
	}
	if len(hits) == 0 {
		t.Fatal("FSME over English pages: no page found, want tbe")
	}
	if hits[0].Page.ID != "tbe" || slices.Contains(hits[0].Missing, "fsme") {
		t.Errorf("FSME over English pages: first %v (missing %v), want tbe with fsme found", ids(hits), hits[0].Missing)
	}
}

// germanPage is a German page of one description.
func germanPage(id, title, text string) Page {
	return Page{ID: id, Title: title, Language: "de", Sections: []Section{{Kind: SectionDescription, Text: text}}}
}

// buildWithDictionary builds a knowledge base of pages with a dictionary
// of entries and enough test entries to be read as one; it is closed when
// the test ends.
func buildWithDictionary(t *testing.T, entries string, pages []Page) *KB {
	t.Helper()
	dict := filepath.Join(t.TempDir(), "de-en")
	if err := os.WriteFile(dict, []byte(entries+strings.Repeat(testDictionary, minDictPairs/20+1)), 0o644); err != nil {
		t.Fatal(err)
	}
	kb, err := Build(context.Background(), pages, Options{Dictionary: dict})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { kb.Close() })
	return kb
}

// TestTranslationPartSenses: an English word the dictionary translates
// only inside compounds ("apprenticeship place" → "Ausbildungsplatz")
// translates to the compound's part when compounds with two different
// other parts show it; one compound alone ("pocket money" →
// "Taschengeld") does not make a sense.
func TestTranslationPartSenses(t *testing.T) {
	ctx := context.Background()
	entries := "Ausbildungsplatz {m} | Ausbildungsplätze {pl} :: apprenticeship place | apprenticeship places\n" +
		"Ausbildungsjahr {n} :: year of apprenticeship\n" +
		"Platz {m} | Plätze {pl} :: place | places\nJahr {n} :: year\n" +
		"Lehre {f}; Lehrzeit {f} :: apprenticeship\n" +
		"Taschengeld {n} :: pocket money\nGeld {n} :: money\n"
	page := germanPage
	kb := buildWithDictionary(t, entries, []Page{
		page("ausbildung", "Ausbildung finden", "Eine Ausbildung im Betrieb dauert drei Jahre. Die Berufsberatung hilft bei der Suche."),
		page("studium", "Studium beginnen", "Ein Studium an der Hochschule beginnt im Herbst. Die Studienberatung hilft bei der Wahl."),
		page("taschen", "Taschen im Bus", "Große Taschen stellen Sie im Bus in den Gang."),
		page("geld", "Geld für Kinder", "Kinder bekommen Geld von den Eltern."),
	})
	hits, err := kb.Search(ctx, Query{Text: "How do I find an apprenticeship?", Language: "en"})
	if err != nil {
		t.Fatal(err)
	}
	if len(hits) == 0 || hits[0].Page.ID != "ausbildung" {
		t.Errorf("apprenticeship: first %v, want ausbildung", ids(hits))
	}
	tab := kb.an.trans
	var got []string
	for _, tr := range tab.From["en"][stem("pocket", "en")] {
		got = append(got, tr.Text)
	}
	if len(got) > 0 {
		t.Errorf("pocket → %v, want nothing: one compound shows no sense", got)
	}
	// Where the pages hold the dictionary's own translation too, it weighs
	// more than the part's sense.
	vocab := map[string]int32{stem("lehre", "de"): 1, stem("ausbildung", "de"): 1, stem("platz", "de"): 1, stem("jahr", "de"): 1}
	tab, err = buildTranslations(strings.NewReader(entries), "test", 1, map[string]bool{"de": true}, vocab)
	if err != nil {
		t.Fatal(err)
	}
	var lehre, ausbildung float64
	for _, tr := range tab.From["en"][stem("apprenticeship", "en")] {
		switch tr.Text {
		case "Lehre":
			lehre = tr.Weight
		case "ausbildung":
			ausbildung = tr.Weight
		}
	}
	if ausbildung == 0 || ausbildung >= lehre {
		t.Errorf("apprenticeship → Ausbildung %.2f, Lehre %.2f: want the part's sense, weighing less", ausbildung, lehre)
	}
}
