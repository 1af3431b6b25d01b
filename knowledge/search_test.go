package knowledge

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
)

func TestSearchFindsPage(t *testing.T) {
	kb := buildFixture(t)
	tests := []struct {
		name, query, lang, want string
	}{
		// Plain questions.
		{"plain", "Personalausweis beantragen", "de", "personalausweis"},
		{"question", "Was kostet ein Reisepass?", "de", "reisepass"},
		// Compounds: the question joins what the page writes apart and the
		// other way round.
		{"compound in question", "Anwohnerparkausweis", "de", "parkausweis"},
		{"compound in question 2", "Hundesteueranmeldung", "de", "hundesteuer"},
		{"compound in question 3", "Personalausweisverlängerung", "de", "personalausweis"},
		{"parts of a compound", "Wie bekomme ich einen Parkausweis als Anwohner?", "de", "parkausweis"},
		// Lexicon: colloquial names and other languages.
		{"Perso", "Perso verlängern", "de", "personalausweis"},
		{"GEZ", "Muss ich GEZ zahlen, wenn ich Bürgergeld bekomme?", "de", "rundfunkbeitrag"},
		{"ID card", "How do I get an ID card?", "en", "personalausweis"},
		{"Knöllchen", "Knöllchen bezahlen", "de", "verwarnungsgeld"},
		{"Strafzettel", "Ich habe einen Strafzettel bekommen", "de", "verwarnungsgeld"},
		{"Kita", "Kita-Platz finden", "de", "kita"},
		{"ummelden", "Ich muss mich ummelden", "de", "wohnung-anmelden"},
		{"Hund anmelden", "Wo melde ich meinen Hund an?", "de", "hundesteuer"},
		{"Führerschein↔Fahrerlaubnis", "Fahrerlaubnis umtauschen", "de", "fuehrerschein"},
		{"child benefit", "How do I apply for child benefit?", "en", "kindergeld"},
		{"lost property", "I lost my wallet, where is the lost property office?", "en", "fundbuero"},
		{"citizenship", "How can I get German citizenship?", "en", "einbuergerung"},
		{"business registration", "business registration", "en", "gewerbe"},
		{"Sperrmüll in English", "bulky waste pick-up", "en", "bulky-waste"},
		{"bulky waste in German", "Sperrmüll anmelden", "de", "sperrmuell"},
		// Typos.
		{"typo Personalausweiss", "Personalausweiss beantragen", "de", "personalausweis"},
		{"typo Hundesteur", "Hundesteur", "de", "hundesteuer"},
		{"typo Rundfunkbeitrg", "Befreiung Rundfunkbeitrg", "de", "rundfunkbeitrag"},
		{"typo Einbürgerrung", "Einbürgerrung Voraussetzungen", "de", "einbuergerung"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hits := search(t, kb, Query{Text: tt.query, Language: tt.lang, Where: map[string]string{"city": "musterstadt"}})
			if len(hits) == 0 || hits[0].Page.ID != tt.want {
				t.Fatalf("Search(%q) = %v, want %s first", tt.query, hitIDs(hits), tt.want)
			}
			if hits[0].Coverage < 0.5 {
				t.Errorf("Search(%q): coverage %.2f (matched %v, missing %v), want ≥ 0.5", tt.query, hits[0].Coverage, hits[0].Matched, hits[0].Missing)
			}
		})
	}
}

func TestSearchWhere(t *testing.T) {
	kb := buildFixture(t)
	q := Query{Text: "Hundesteuer anmelden"}
	all := search(t, kb, q)
	if !slices.Contains(hitIDs(all), "nachbarstadt-hundesteuer") || !slices.Contains(hitIDs(all), "hundesteuer") {
		t.Fatalf("without filter: %v, want both Hundesteuer pages", hitIDs(all))
	}
	for _, tt := range []struct {
		where map[string]string
		want  string
	}{
		{map[string]string{"city": "nachbarstadt"}, "nachbarstadt-hundesteuer"},
		{map[string]string{"city": "musterstadt"}, "hundesteuer"},
		{map[string]string{"city": "musterstadt", "category": "steuern"}, "hundesteuer"},
	} {
		q.Where = tt.where
		hits := search(t, kb, q)
		if len(hits) == 0 || hits[0].Page.ID != tt.want {
			t.Errorf("Where %v: %v, want %s first", tt.where, hitIDs(hits), tt.want)
		}
		for _, h := range hits {
			for k, v := range tt.where {
				if h.Page.Meta[k] != v {
					t.Errorf("Where %v returned %s with %s=%q", tt.where, h.Page.ID, k, h.Page.Meta[k])
				}
			}
		}
	}
	q.Where = map[string]string{"city": "atlantis"}
	if hits := search(t, kb, q); len(hits) != 0 {
		t.Errorf("Where city=atlantis: %v, want none", hitIDs(hits))
	}
}

func TestSearchLanguagePreference(t *testing.T) {
	// Two pages, one German, one English, that match a question equally:
	// the preferred language decides.
	pages := []Page{
		{ID: "de", Title: "Bürgeramt Mitte", Language: "de", Sections: []Section{{Text: "Bürgeramt Mitte, Rathausstraße 1, Musterstadt."}}},
		{ID: "en", Title: "Bürgeramt Mitte", Language: "en", Sections: []Section{{Text: "Bürgeramt Mitte, Rathausstraße 1, Musterstadt."}}},
	}
	kb, err := Build(context.Background(), pages, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer kb.Close()
	for _, lang := range []string{"de", "en"} {
		hits := search(t, kb, Query{Text: "Bürgeramt Mitte Rathausstraße", Language: lang})
		if len(hits) != 2 || hits[0].Page.ID != lang {
			t.Errorf("Language %s: %v, want %s first", lang, hitIDs(hits), lang)
		}
	}
	// A German-only page is still found for an English question.
	fix := buildFixture(t)
	hits := search(t, fix, Query{Text: "dog tax", Language: "en"})
	if len(hits) == 0 || !strings.HasSuffix(hits[0].Page.ID, "hundesteuer") {
		t.Errorf("Search(dog tax) = %v, want a Hundesteuer page", hitIDs(hits))
	}
	// And a clearly better page in the other language beats a weak one in
	// the preferred language: words only the German page has
	// ("Stadtreinigung", "Möbel") outweigh the language preference.
	hits = search(t, fix, Query{Text: "Stadtreinigung Möbel Abholung", Language: "en"})
	if len(hits) == 0 || hits[0].Page.ID != "sperrmuell" {
		t.Errorf("Search(Stadtreinigung Möbel Abholung, en) = %v, want sperrmuell first", hitIDs(hits))
	}
	// Lexicon entries expand questions in their own language: an English
	// speaker who types the German word finds the English page.
	hits = search(t, fix, Query{Text: "Sperrmüll", Language: "en"})
	if len(hits) == 0 || hits[0].Page.ID != "bulky-waste" {
		t.Errorf("Search(Sperrmüll, en) = %v, want bulky-waste first", hitIDs(hits))
	}
}

func TestSearchHitFields(t *testing.T) {
	kb := buildFixture(t)
	hits := search(t, kb, Query{Text: "Was kostet der Personalausweis?", Language: "de", Limit: 3})
	if len(hits) == 0 || len(hits) > 3 {
		t.Fatalf("got %d hits, want 1..3", len(hits))
	}
	h := hits[0]
	if h.Page.ID != "personalausweis" {
		t.Fatalf("first hit %s", h.Page.ID)
	}
	if h.Lexical <= 0 || h.Vector <= 0 || h.Vector > 1 || h.Score <= 0 {
		t.Errorf("evidence Lexical=%.3f Vector=%.3f Score=%.3f", h.Lexical, h.Vector, h.Score)
	}
	if !slices.Contains(h.Matched, "personalausweis") || !slices.Contains(h.Matched, "kostet") {
		t.Errorf("Matched = %v, Missing = %v", h.Matched, h.Missing)
	}
	if h.Coverage != 1 || len(h.Missing) != 0 {
		t.Errorf("Coverage = %.2f, Missing = %v", h.Coverage, h.Missing)
	}
	if len(h.Sections) == 0 {
		t.Fatal("no sections")
	}
	if h.Sections[0].Section.Kind != SectionFees {
		t.Errorf("best section %q (%s), want the fees", h.Sections[0].Section.Text, h.Sections[0].Section.Kind)
	}
	for i := 1; i < len(h.Sections); i++ {
		if h.Sections[i].Score > h.Sections[i-1].Score {
			t.Errorf("sections not best first: %v", h.Sections)
		}
	}
	for i := 1; i < len(hits); i++ {
		if hits[i].Score > hits[i-1].Score {
			t.Errorf("hits not best first")
		}
	}
	if p, ok := kb.Page("personalausweis"); !ok || p != h.Page {
		t.Errorf("Page(personalausweis) = %v, %v", p, ok)
	}
	if _, ok := kb.Page("nope"); ok {
		t.Error("Page(nope) found")
	}
	if kb.Len() != len(fixturePages()) {
		t.Errorf("Len() = %d", kb.Len())
	}
}

func TestSearchEdgeCases(t *testing.T) {
	kb := buildFixture(t)
	for _, q := range []string{"", "   ", "?!", "wie was wo"} {
		hits := search(t, kb, Query{Text: q})
		if len(hits) != 0 {
			t.Errorf("Search(%q) = %v, want no hits", q, hitIDs(hits))
		}
	}
	// A word the KB does not know at all still gets an answer from the
	// vectors, with no coverage.
	hits := search(t, kb, Query{Text: "Xylophon", Limit: 2})
	for _, h := range hits {
		if h.Coverage != 0 || len(h.Matched) != 0 {
			t.Errorf("Xylophon: %s coverage %.2f matched %v", h.Page.ID, h.Coverage, h.Matched)
		}
	}
	if n := len(search(t, kb, Query{Text: "Euro", Limit: 1000})); n > maxLimit {
		t.Errorf("Limit 1000 gave %d hits", n)
	}
	if n := len(search(t, kb, Query{Text: "Euro"})); n != DefaultLimit {
		t.Errorf("default limit gave %d hits, want %d", n, DefaultLimit)
	}
	// Cancelled context.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := kb.Search(ctx, Query{Text: "Hundesteuer"}); err == nil {
		t.Error("Search with a cancelled context succeeded")
	}
	// Closed KB.
	if err := kb.Close(); err != nil {
		t.Fatal(err)
	}
	if err := kb.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := kb.Search(context.Background(), Query{Text: "Hundesteuer"}); !errors.Is(err, ErrClosed) {
		t.Errorf("Search after Close: %v, want ErrClosed", err)
	}
}

func TestBuildErrors(t *testing.T) {
	ctx := context.Background()
	if _, err := Build(ctx, nil, Options{}); !errors.Is(err, ErrNoPages) {
		t.Errorf("Build(nil) = %v, want ErrNoPages", err)
	}
	dup := []Page{{ID: "a", Title: "A"}, {ID: "a", Title: "B"}}
	if _, err := Build(ctx, dup, Options{}); err == nil || !strings.Contains(err.Error(), `duplicate page id "a"`) {
		t.Errorf("Build(duplicates) = %v", err)
	}
	if _, err := Build(ctx, []Page{{Title: "No id"}}, Options{}); err == nil || !strings.Contains(err.Error(), "no id") {
		t.Errorf("Build(no id) = %v", err)
	}
	if _, err := Build(ctx, fixturePages(), Options{LexiconFiles: []string{"/nonexistent/lexicon.txt"}}); err == nil {
		t.Error("Build with a missing lexicon file succeeded")
	}
	// A page without sections is still findable by its title.
	kb, err := Build(ctx, []Page{{ID: "t", Title: "Wunschkennzeichen reservieren"}, {ID: "u", Title: "Umweltplakette", Sections: []Section{{Text: "Grüne Plakette"}}}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer kb.Close()
	hits := search(t, kb, Query{Text: "Wunschkennzeichen"})
	if len(hits) == 0 || hits[0].Page.ID != "t" {
		t.Errorf("title-only page: %v", hitIDs(hits))
	}
}

func TestBuildKeepsCallerPages(t *testing.T) {
	pages := fixturePages()
	kb, err := Build(context.Background(), pages, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer kb.Close()
	pages[0] = Page{ID: "changed"}
	if _, ok := kb.Page("personalausweis"); !ok {
		t.Error("changing the caller's slice changed the KB")
	}
}

func TestEvidenceSeparatesOutOfScope(t *testing.T) {
	kb := buildFixture(t)
	in := []string{"Perso verlängern", "Was kostet die Hundesteuer?", "Sperrmüll anmelden", "Wo ist das Fundbüro?", "How do I register my address?"}
	out := []string{"Wie wird das Wetter morgen?", "Who won the football match?", "Rezept für Apfelkuchen", "Wann fährt der nächste Zug nach Paris?"}
	evidence := func(q string) (cov, vec float64) {
		hits := search(t, kb, Query{Text: q, Limit: 1})
		if len(hits) == 0 {
			return 0, 0
		}
		return hits[0].Coverage, hits[0].Vector
	}
	minIn, maxOut := math.Inf(1), math.Inf(-1)
	minInVec, maxOutVec := math.Inf(1), math.Inf(-1)
	for _, q := range in {
		c, v := evidence(q)
		minIn, minInVec = math.Min(minIn, c), math.Min(minInVec, v)
	}
	for _, q := range out {
		c, v := evidence(q)
		maxOut, maxOutVec = math.Max(maxOut, c), math.Max(maxOutVec, v)
	}
	if minIn <= maxOut {
		t.Errorf("coverage: in-scope min %.2f ≤ out-of-scope max %.2f", minIn, maxOut)
	}
	if minInVec <= maxOutVec {
		t.Errorf("vector: in-scope min %.2f ≤ out-of-scope max %.2f", minInVec, maxOutVec)
	}
}

func TestPageAggregation(t *testing.T) {
	// A page whose evidence is spread over several chunks beats a page with
	// one chunk matching part of the question; its best section comes first.
	long := Page{ID: "long", Title: "Bauantrag", Language: "de", Sections: []Section{
		{Kind: SectionDescription, Text: "Für einen Neubau brauchen Sie eine Baugenehmigung. " + strings.Repeat("Das Bauamt prüft den Antrag sorgfältig. ", 40)},
		{Kind: SectionDocuments, Heading: "Unterlagen", Text: "Lageplan, Bauzeichnungen und Baubeschreibung."},
		{Kind: SectionFees, Heading: "Gebühren", Text: "Die Gebühr richtet sich nach den Baukosten."},
	}}
	other := Page{ID: "other", Title: "Lageplan", Language: "de", Sections: []Section{
		{Kind: SectionDescription, Text: "Einen amtlichen Lageplan erhalten Sie beim Vermessungsamt."},
	}}
	kb, err := Build(context.Background(), []Page{long, other}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer kb.Close()
	if len(kb.chunks) < 4 {
		t.Fatalf("long page gave %d chunks, want the long section split", len(kb.chunks))
	}
	hits := search(t, kb, Query{Text: "Welche Unterlagen und Gebühren für die Baugenehmigung? Lageplan?", Language: "de"})
	if len(hits) != 2 || hits[0].Page.ID != "long" {
		t.Fatalf("hits %v, want long first", hitIDs(hits))
	}
	if k := hits[0].Sections[0].Section.Kind; k != SectionDocuments && k != SectionFees {
		t.Errorf("best section of long: %s", k)
	}
	for _, s := range hits[0].Sections {
		if s.Section.Kind == SectionDescription && len(s.Section.Text) > maxChunkChars*2 {
			t.Errorf("section hit holds the whole long section (%d bytes), want the chunk", len(s.Section.Text))
		}
	}
}

func TestTopChunks(t *testing.T) {
	cos := []float32{0.1, 0.9, 0.5, 0.9, -0.2, 0.7}
	chunks := make([]chunk, len(cos))
	for i := range chunks {
		chunks[i].Page = int32(i % 2)
	}
	if got := topChunks(cos, nil, chunks, 3); !slices.Equal(got, []int{1, 3, 5}) {
		t.Errorf("topChunks = %v", got)
	}
	if got := topChunks(cos, []bool{true, false}, chunks, 2); !slices.Equal(got, []int{2, 0}) {
		t.Errorf("topChunks page 0 only = %v", got)
	}
	if got := topChunks(cos, nil, chunks, 100); len(got) != len(cos) || got[len(got)-1] != 4 {
		t.Errorf("topChunks(all) = %v", got)
	}
}

func TestSearchConcurrent(t *testing.T) {
	kb := buildFixture(t)
	want := make(map[string][]string)
	queries := []string{"Perso verlängern", "Hundesteuer", "bulky waste", "Kita", "Führerschein umtauschen"}
	for _, q := range queries {
		want[q] = hitIDs(search(t, kb, Query{Text: q}))
	}
	errs := make(chan error, 8)
	for g := 0; g < 8; g++ {
		go func(g int) {
			for i := 0; i < 50; i++ {
				q := queries[(g+i)%len(queries)]
				hits, err := kb.Search(context.Background(), Query{Text: q})
				if err != nil {
					errs <- err
					return
				}
				if got := hitIDs(hits); !slices.Equal(got, want[q]) {
					errs <- errors.New(q + ": " + strings.Join(got, ",") + " differs from " + strings.Join(want[q], ","))
					return
				}
				kb.Analyzer().Terms(q, "")
			}
			errs <- nil
		}(g)
	}
	for g := 0; g < 8; g++ {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}

func TestSearchFindsPageNamedByCommonWord(t *testing.T) {
	// "Geburtsurkunde" is a required document on a third of the pages, far
	// too common to select candidates by body (see commonTermShare); the
	// page named by it must still be found, and first.
	var pages []Page
	for i := 0; i < 60; i++ {
		text := "Bitte bringen Sie Ihren Personalausweis und eine Meldebescheinigung mit."
		if i%2 == 0 {
			text = "Bitte bringen Sie Ihre Geburtsurkunde und Ihren Personalausweis mit."
		}
		pages = append(pages, Page{ID: fmt.Sprintf("svc-%d", i), Title: fmt.Sprintf("Leistung Nummer %d beantragen", i), Language: "de",
			Sections: []Section{{Kind: SectionDocuments, Text: text}}})
	}
	for i := 0; i < 5; i++ {
		pages = append(pages, Page{ID: fmt.Sprintf("bestellung-%d", i), Title: fmt.Sprintf("Öffentliche Bestellung von Sachverständigen, Gebiet %d", i), Language: "de",
			Sections: []Section{{Kind: SectionDescription, Text: "Die Bestellung erfolgt auf Antrag. Sie bestellen die Prüfung schriftlich."}}})
	}
	pages = append(pages, Page{ID: "geburtsurkunde", Title: "Geburtsurkunde beantragen", Language: "de",
		Sections: []Section{{Kind: SectionDescription, Text: "Das Standesamt stellt die Urkunde aus, in dessen Bezirk das Kind geboren ist."}}})
	kb, err := Build(context.Background(), pages, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer kb.Close()
	hits := search(t, kb, Query{Text: "geburtsurkunde bestellen", Language: "de"})
	if len(hits) == 0 || hits[0].Page.ID != "geburtsurkunde" {
		t.Fatalf("Search(geburtsurkunde bestellen) = %v, want geburtsurkunde first", hitIDs(hits))
	}
}

func TestSearchReportsUnknownWords(t *testing.T) {
	kb := buildFixture(t)
	hits := search(t, kb, Query{Text: "Wie hoch ist die Zugspitze im Winter?", Language: "de"})
	if len(hits) == 0 {
		t.Skip("nothing found at all, nothing to check")
	}
	if !slices.Contains(hits[0].Unknown, "zugspitze") {
		t.Errorf("Unknown = %q, want it to name zugspitze", hits[0].Unknown)
	}
	for _, h := range hits {
		if !slices.Equal(h.Unknown, hits[0].Unknown) {
			t.Errorf("Unknown differs between hits: %q vs %q", h.Unknown, hits[0].Unknown)
		}
	}
	hits = search(t, kb, Query{Text: "Was kostet der Personalausweis?", Language: "de"})
	if len(hits) == 0 || len(hits[0].Unknown) != 0 {
		t.Errorf("known question: Unknown = %q", hits[0].Unknown)
	}
}

// TestAcronymIsNoStopWord: "BuT" (Bildung und Teilhabe) and "US" are
// names in a question, not the stop words "but" and "us".
func TestAcronymIsNoStopWord(t *testing.T) {
	ctx := context.Background()
	kb, err := Build(ctx, []Page{
		{ID: "but", Title: "Bildungs- und Teilhabepaket (BuT)", Language: "de", Sections: []Section{
			{Kind: SectionDescription, Text: "Das BuT bezahlt Schulausflüge, Mittagessen und Nachhilfe für Kinder aus Familien mit wenig Geld."}}},
		{ID: "schule", Title: "Schulanmeldung", Language: "de", Sections: []Section{
			{Kind: SectionDescription, Text: "Kinder werden im Frühjahr an der Grundschule angemeldet. Was Sie mitbringen, steht im Brief der Schule."}}},
	}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer kb.Close()
	hits, err := kb.Search(ctx, Query{Text: "Who can get BuT?", Language: "en"})
	if err != nil || len(hits) == 0 || hits[0].Page.ID != "but" {
		t.Errorf("Who can get BuT?: %v %v", ids(hits), err)
	}
}

// TestRareWordingCountsLittle: a page that says "kostet" where every other
// page says "Gebühr" is no better answer to "Was kostet …?" for it; the
// concept is as common as its commonest wording (capByConcept).
func TestRareWordingCountsLittle(t *testing.T) {
	var pages []Page
	for i := 0; i < 30; i++ {
		docs := "Bitte bringen Sie eine Meldebescheinigung mit."
		if i%2 == 0 {
			docs = "Bitte bringen Sie Ihren Personalausweis mit."
		}
		pages = append(pages, Page{ID: fmt.Sprintf("svc-%d", i), Title: fmt.Sprintf("Leistung Nummer %d beantragen", i), Language: "de",
			Sections: []Section{{Kind: SectionDocuments, Text: docs}, {Kind: SectionFees, Text: fmt.Sprintf("Die Gebühr beträgt %d Euro.", 10+i)}}})
	}
	pages = append(pages,
		Page{ID: "umzug", Title: "Umzug innerhalb der Stadt melden", Language: "de", Sections: []Section{
			{Kind: SectionDescription, Text: "Melden Sie Ihre neue Wohnung innerhalb von zwei Wochen an. Die Ummeldung kostet nichts."},
			{Kind: SectionDocuments, Text: "Bringen Sie Ihren Personalausweis oder ein anderes Ausweisdokument mit."}}},
		Page{ID: "perso", Title: "Personalausweis beantragen", Language: "de", Sections: []Section{
			{Kind: SectionDescription, Text: "Den Personalausweis beantragen Sie im Bürgeramt. Er gilt zehn Jahre."},
			{Kind: SectionFees, Text: "Die Gebühr beträgt 37 Euro."}}})
	kb := buildPages(t, pages)
	hits := search(t, kb, Query{Text: "Was kostet ein Personalausweis?", Language: "de"})
	if len(hits) == 0 || hits[0].Page.ID != "perso" {
		t.Fatalf("Search(Was kostet ein Personalausweis?) = %v, want perso first", hitIDs(hits))
	}
}

// TestCountryDecidesSibling: a country or its adjective says which of two
// siblings that differ by where a document is from is meant (the lexicon's
// country entries: EU/EEA or third country).
func TestCountryDecidesSibling(t *testing.T) {
	text := "Sie wohnen in Berlin und möchten Ihre ausländische Fahrerlaubnis in eine deutsche Fahrerlaubnis umschreiben lassen. Den Antrag stellen Sie bei der Fahrerlaubnisbehörde."
	kb := buildPages(t, []Page{
		{ID: "eu", Title: "Fahrerlaubnis - Umschreibung einer ausländischen Fahrerlaubnis aus einem EU-/EWR-Staat", Language: "de",
			Sections: []Section{{Kind: SectionDescription, Text: text}}},
		{ID: "drittstaat", Title: "Fahrerlaubnis - Umschreibung einer ausländischen Fahrerlaubnis aus einem Nicht-EU/EWR-Land (Drittstaat)", Language: "de",
			Sections: []Section{{Kind: SectionDescription, Text: text}}},
		{ID: "dienst", Title: "Fahrerlaubnis - Umschreibung einer Dienstfahrerlaubnis", Language: "de",
			Sections: []Section{{Kind: SectionDescription, Text: "Sie möchten Ihre Dienstfahrerlaubnis der Bundeswehr oder der Polizei in eine allgemeine Fahrerlaubnis umschreiben lassen."}}},
	})
	tests := []struct{ q, lang, want string }{
		{"amerikanischen führerschein umschreiben", "de", "drittstaat"},
		{"Führerschein aus der Türkei umschreiben", "de", "drittstaat"},
		{"exchange my US driving licence", "en", "drittstaat"},
		{"polnischen Führerschein umschreiben", "de", "eu"},
		{"convert my Italian driving licence", "en", "eu"},
	}
	for _, tt := range tests {
		hits := search(t, kb, Query{Text: tt.q, Language: tt.lang})
		if len(hits) == 0 || hits[0].Page.ID != tt.want {
			t.Errorf("Search(%q) = %v, want %s first", tt.q, hitIDs(hits), tt.want)
		}
	}
}

// TestAspectWordsAreWeak: "kosten", "Unterlagen", "Frist" say what a
// question asks about a service, not which service it is (wordlists/weak.txt).
// A page that mentions the service and repeats the aspect word ("die Kosten
// Ihres Lebensunterhalts") is no better answer to "Was kostet die
// Gewerbeanmeldung?" than the page whose title names the service.
func TestAspectWordsAreWeak(t *testing.T) {
	pages := []Page{
		germanPage("gewerbe", "Gewerbe anmelden", "Wer ein Gewerbe beginnt, meldet es beim Gewerbeamt an. Die Gewerbeanmeldung geht auch online."),
		germanPage("selbstaendig", "Aufenthaltserlaubnis zur selbständigen Tätigkeit", "Für die Aufenthaltserlaubnis brauchen Sie eine Gewerbeanmeldung. Die Kosten Ihres Lebensunterhalts müssen gesichert sein, auch die Kosten der Krankenversicherung."),
		germanPage("bestattung", "Bestattungskosten übernehmen", "Die Kosten einer Bestattung übernimmt das Sozialamt, wenn Sie die Kosten nicht tragen können. Reichen Sie die Rechnung über die Kosten ein."),
	}
	for i := 0; i < 12; i++ {
		pages = append(pages, germanPage(fmt.Sprintf("svc-%d", i), fmt.Sprintf("Leistung Nummer %d", i), "Diese Leistung erhalten Sie im Bürgeramt nach Terminvereinbarung. Bringen Sie Ihren Reisepass und Ihre Gewerbeanmeldung mit."))
	}
	kb := buildPages(t, pages)
	for _, q := range []string{"Was kostet die Gewerbeanmeldung?", "Gewerbeanmeldung Kosten"} {
		hits := search(t, kb, Query{Text: q, Language: "de"})
		if len(hits) == 0 || hits[0].Page.ID != "gewerbe" {
			t.Errorf("Search(%q) = %v, want gewerbe first", q, hitIDs(hits))
		}
	}
}
