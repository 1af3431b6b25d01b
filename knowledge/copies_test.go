package knowledge

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// copyFixture: one service published per office (Hamburg's way), siblings
// that differ in what they are about, a page copied word for word, and the
// same page in two cities.
func copyFixture() []Page {
	office := func(id, place, street, postcode, remark string) Page {
		return Page{
			ID: id, Title: "Personalausweis abholen - " + place + " Einwohnerangelegenheiten", Language: "de",
			Meta: map[string]string{"city": "hamburg", "source_path": id + ".md"},
			Sections: []Section{
				{Kind: SectionDescription, Text: "Ihren neuen Personalausweis holen Sie persönlich ab. Sie bringen den alten Ausweis und den PIN-Brief mit. Eine andere Person kann ihn mit einer Vollmacht abholen." + remark},
				{Kind: SectionProcedure, Heading: "Verfahrensablauf", Text: "Sie buchen einen Termin online oder unter 115. Sie prüfen den Ausweis vor Ort und unterschreiben den Empfang."},
				{Kind: SectionOther, Heading: place + " Einwohnerangelegenheiten", Text: street + "\n" + postcode + " Hamburg\nTelefon 040 115"},
				{Kind: SectionContact, Heading: "Öffnungszeiten", Text: "Mo-Fr 8-16 Uhr"},
			},
		}
	}
	laufbahn := func(id, name, about string) Page {
		return Page{
			ID: id, Title: "Anerkennung ausländischer Berufsqualifikationen - Laufbahn " + name, Language: "de",
			Meta:     map[string]string{"city": "berlin"},
			Sections: []Section{{Kind: SectionDescription, Text: "Sie haben im Ausland eine Qualifikation erworben und möchten als Beamtin oder Beamter arbeiten. Die Anerkennung prüft, ob Ihre Ausbildung gleichwertig ist. Sie stellen den Antrag schriftlich mit Zeugnissen und Nachweisen der Berufserfahrung. Zuständig ist die Stelle für " + about + "."}},
		}
	}
	same := func(id, city string) Page {
		return Page{
			ID: id, Title: "Hundesteuer", Language: "de", Meta: map[string]string{"city": city},
			Sections: []Section{{Kind: SectionDescription, Text: "Wer einen Hund hält, meldet ihn innerhalb von zwei Wochen zur Hundesteuer an und erhält eine Steuermarke."}},
		}
	}
	return []Page{
		office("abholen-altona", "Altona", "Platz der Republik 1", "22765", ""),
		office("abholen-nord", "Nord", "Kümmellstraße 7", "20249", ""),
		office("abholen-bergedorf", "Bergedorf", "Weidenbaumsweg 21", "21029", " Ein Fotoautomat ist vorhanden."),
		laufbahn("feuerwehr", "Feuerwehrtechnischer Dienst", "den feuerwehrtechnischen Dienst bei der Feuerwehr"),
		laufbahn("polizei", "Polizeivollzugsdienst", "den Polizeivollzugsdienst bei der Polizei"),
		same("hund-a", "augsburg"),
		same("hund-a2", "augsburg"),
		same("hund-m", "muenchen"),
	}
}

func TestNearDuplicatePages(t *testing.T) {
	pages := copyFixture()
	got := findCopies(pages, nil)
	want := []int32{-1, 0, 0, -1, -1, -1, 5, -1}
	if !slices.Equal(got, want) {
		t.Fatalf("copies = %v, want %v", got, want)
	}

	dir := t.TempDir()
	if _, err := Ingest(context.Background(), dir, pages, Options{}); err != nil {
		t.Fatal(err)
	}
	opened, err := Open(context.Background(), dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer opened.Close()
	built, err := Build(context.Background(), pages, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer built.Close()
	for name, kb := range map[string]*KB{"built": built, "opened": opened} {
		t.Run(name, func(t *testing.T) {
			if kb.CopyCount() != 3 {
				t.Errorf("CopyCount = %d", kb.CopyCount())
			}
			if c := kb.Canonical("abholen-nord"); c != "abholen-altona" {
				t.Errorf("Canonical(abholen-nord) = %q", c)
			}
			if c := kb.Canonical("feuerwehr"); c != "feuerwehr" {
				t.Errorf("Canonical(feuerwehr) = %q", c)
			}
			if c := kb.Copies("abholen-altona"); !slices.Equal(c, []string{"abholen-nord", "abholen-bergedorf"}) {
				t.Errorf("Copies = %v", c)
			}
			if _, ok := kb.Page("abholen-nord"); !ok {
				t.Error("a copy is still a page (its link and text)")
			}
			for _, tc := range []struct {
				q     string
				where map[string]string
				want  []string // the ids found, in any order
			}{
				{"Wo kann ich meinen Personalausweis abholen?", nil, []string{"abholen-altona"}},
				{"Personalausweis abholen Nord Kümmellstraße", nil, []string{"abholen-altona"}},
				{"Anerkennung Berufsqualifikation Laufbahn", nil, []string{"feuerwehr", "polizei"}},
				{"Hundesteuer anmelden", map[string]string{"city": "augsburg"}, []string{"hund-a"}},
				{"Hundesteuer anmelden", map[string]string{"city": "muenchen"}, []string{"hund-m"}},
			} {
				hits, err := kb.Search(context.Background(), Query{Text: tc.q, Where: tc.where})
				if err != nil {
					t.Fatal(err)
				}
				var ids []string
				for _, h := range hits {
					if slices.Contains(tc.want, h.Page.ID) || h.Score >= hits[0].Score*0.5 {
						ids = append(ids, h.Page.ID)
					}
				}
				for _, w := range tc.want {
					if !slices.Contains(ids, w) {
						t.Errorf("%q: %s not found in %v", tc.q, w, ids)
					}
				}
				for _, h := range hits {
					if kb.Canonical(h.Page.ID) != h.Page.ID {
						t.Errorf("%q: the copy %s is a result", tc.q, h.Page.ID)
					}
				}
			}
		})
	}
}

// TestCopiesAtScale: comparing pages stays cheap when many share a title.
func TestCopiesAtScale(t *testing.T) {
	var pages []Page
	word := func(n int) string { // a made-up word per number
		b := []byte{}
		for ; n > 0 || len(b) < 3; n /= 7 {
			b = append(b, "aeiklmnorstu"[n%12])
		}
		return string(b)
	}
	for i := range 300 {
		var text []string
		for j := range 12 {
			text = append(text, word(i*12+j+1000))
		}
		pages = append(pages, Page{ID: fmt.Sprint(i), Title: "Auskunft", Language: "de",
			Sections: []Section{{Kind: SectionDescription, Text: strings.Join(text, " ") + "."}}})
	}
	if n := slices.IndexFunc(findCopies(pages, nil), func(c int32) bool { return c >= 0 }); n >= 0 {
		t.Fatalf("page %d is called a copy of different text", n)
	}
}

func TestOfficeVariant(t *testing.T) {
	pages := copyFixture()
	general := Page{ID: "abholen", Title: "Personalausweis abholen", Language: "de",
		Sections: []Section{{Kind: SectionDescription, Text: "Sie holen den Ausweis in dem Standort ab, in dem Sie ihn beantragt haben."}}}
	for _, tc := range []struct {
		a, b *Page
		want bool
	}{
		{&pages[0], &pages[1], true},  // two offices
		{&general, &pages[2], true},   // the general page and one office
		{&pages[1], &general, true},   // either way round
		{&pages[3], &pages[4], false}, // siblings: no address names the qualifier
		{&pages[5], &pages[7], false}, // equal titles are no variants (sameService checks titles)
		{&general, &pages[3], false},
	} {
		if got := OfficeVariant(tc.a, tc.b); got != tc.want {
			t.Errorf("OfficeVariant(%q, %q) = %v, want %v", tc.a.Title, tc.b.Title, got, tc.want)
		}
	}
}

// TestSameTitleTwoWordings: a page published twice in different wordings
// (the same title up to a hyphen) is one page; an equal title over
// unrelated text is not.
func TestSameTitleTwoWordings(t *testing.T) {
	pages := []Page{
		{ID: "a", Title: "Weitere Impf-Empfehlungen der STIKO", Language: "de", Sections: []Section{{Kind: SectionDescription,
			Text: "Die STIKO empfiehlt weitere Impfungen für Kinder und Erwachsene. Gegen Meningokokken C sollen alle Kinder im zweiten Lebensjahr geimpft werden. Fragen Sie Ihre Kinderärztin."}}},
		{ID: "b", Title: "Weitere Impfempfehlungen der STIKO", Language: "de", Sections: []Section{{Kind: SectionDescription,
			Text: "Die STIKO rät zu weiteren Impfungen für Kinder und Erwachsene. Alle Kinder sollen im zweiten Lebensjahr gegen Meningokokken C geimpft werden. Fragen Sie Ihren Kinderarzt."}}},
		{ID: "c", Title: "Weitere Impfempfehlungen der STIKO", Language: "de", Sections: []Section{{Kind: SectionDescription,
			Text: "Reisende brauchen je nach Land Gelbfieber, Tollwut oder Typhus; die Beratung übernimmt das Tropeninstitut gegen Gebühr."}}},
	}
	if got := findCopies(pages, nil); !slices.Equal(got, []int32{-1, 0, -1}) {
		t.Fatalf("copies = %v, want [-1 0 -1]", got)
	}
}

// TestReorderedTitles: a page published twice with its title reworded —
// other word order, stop words, inflection, the feminine form beside the
// masculine — is one page; sibling services whose titles differ only in
// "mit"/"ohne" or in one word of their own stay two.
func TestReorderedTitles(t *testing.T) {
	text := func(s string) []Section { return []Section{{Kind: SectionDescription, Text: s}} }
	measles := "Kinder in Kita und Schule brauchen einen Nachweis über die Masern-Impfung. Die Impfung ist kostenlos. Fragen Sie Ihre Kinderärztin."
	measles2 := "Kinder brauchen in Schule und Kita einen Nachweis der Masern-Impfung. Die Impfung kostet nichts. Fragen Sie Ihren Kinderarzt."
	marriage := "Wenn Sie heiraten möchten, melden Sie die Eheschließung beim Standesamt an. Bringen Sie Ihre Ausweise und Geburtsurkunden mit."
	interpreters := "Dolmetscher übersetzen beim Arzt und bei Behörden. Die Vermittlung ist kostenlos. Rufen Sie uns an."
	checkCopyPairs(t, []copyPair{
		{"word order and compound", Page{Title: "Gesetz zum Schutz der Masern", Sections: text(measles)},
			Page{Title: "Masern-Schutz-Gesetz", Sections: text(measles2)}, true},
		{"inflection and stop words", Page{Title: "Wo finde ich einen Deutschkurs?", Sections: text(measles)},
			Page{Title: "Wo kann ich einen Deutschkurs finden?", Sections: text(measles2)}, true},
		{"feminine and masculine", Page{Title: "Dolmetscherinnen und Dolmetscher", Sections: text(interpreters)},
			Page{Title: "Dolmetscher", Sections: text(interpreters + " Wir sprechen 20 Sprachen.")}, true},
		{"English word order", Page{Title: "Further vaccination recommendations of the STIKO", Language: "en", Sections: text("The STIKO recommends vaccinations for children. Ask your paediatrician.")},
			Page{Title: "Further STIKO vaccination recommendations", Language: "en", Sections: text("The STIKO recommends more vaccinations for children. Ask your doctor.")}, true},
		{"mit / ohne", Page{Title: "Eheschließung (mit Auslandsbeteiligung) anmelden", Sections: text(marriage)},
			Page{Title: "Eheschließung (ohne Auslandsbeteiligung) anmelden", Sections: text(marriage)}, false},
		{"a word of its own", Page{Title: "Versicherungsberater - Erlaubnis beantragen", Sections: text(marriage)},
			Page{Title: "Versicherungsvermittler - Erlaubnis beantragen", Sections: text(marriage)}, false},
		{"reworded title over other text", Page{Title: "Gesetz zum Schutz der Masern", Sections: text(measles)},
			Page{Title: "Masern-Schutz-Gesetz", Sections: text(interpreters)}, false},
	})
}

// copyPair is two pages and whether they are copies of one page.
type copyPair struct {
	name string
	a, b Page
	copy bool
}

// checkCopyPairs checks findCopies on each pair alone (pages without a
// language are German).
func checkCopyPairs(t *testing.T, pairs []copyPair) {
	t.Helper()
	for _, tc := range pairs {
		t.Run(tc.name, func(t *testing.T) {
			a, b := tc.a, tc.b
			a.ID, b.ID = "a", "b"
			if a.Language == "" {
				a.Language, b.Language = "de", "de"
			}
			got := findCopies([]Page{a, b}, nil)
			if (got[1] == 0) != tc.copy {
				t.Errorf("%q / %q: copies = %v, want copy %v", a.Title, b.Title, got, tc.copy)
			}
		})
	}
}

// TestContactOnlyCopies: two pages of contacts under one title are one page
// when their words agree, contacts included, two when they name other
// offices.
func TestContactOnlyCopies(t *testing.T) {
	contact := func(s string) []Section { return []Section{{Kind: SectionContact, Text: s}} }
	korb := "Gemeinde Korb\ngemeinde@korb.de\nwww.korb.de\nBürgerservice Montag 08:00 bis 12:00 Uhr\nIntegrationsbeauftragte Saousan Al-Bakri\nal-bakri@korb.de"
	korb2 := "Gemeinde Korb\ngemeinde@korb.\nde\nwww.\nkorb.de\nBürgerservice Öffnungszeiten Montag 08:\n00 bis 12:\n00 Uhr\nIntegrationsbeauftragte Saousan Al-Bakri\nal-bakri@korb.de"
	other := "Gemeinde Weinstadt\ninfo@weinstadt.de\nwww.weinstadt.de\nBürgerbüro Dienstag 07:30 bis 18:00 Uhr\nIntegrationsmanagement Peter Maier\nmaier@weinstadt.de"
	pages := []Page{
		{ID: "a", Title: "Rathaus", Language: "de", Sections: contact(korb)},
		{ID: "b", Title: "Rathaus", Language: "de", Sections: contact(korb2)},
		{ID: "c", Title: "Rathaus", Language: "de", Sections: contact(other)},
	}
	if got := findCopies(pages, nil); !slices.Equal(got, []int32{-1, 0, -1}) {
		t.Fatalf("copies = %v, want [-1 0 -1]", got)
	}
	// The same page once with everything in its text, once with the
	// opening hours and names under a heading of their own.
	inText := Page{ID: "d", Title: "Rathaus", Language: "de", Sections: []Section{{Kind: SectionDescription, Text: korb}}}
	split := Page{ID: "e", Title: "Rathaus", Language: "de", Sections: []Section{
		{Kind: SectionDescription, Text: "Gemeinde Korb\ngemeinde@korb.de\nwww.korb.de"},
		{Kind: SectionContact, Heading: "Öffnungszeiten", Text: "Bürgerservice Montag 08:00 bis 12:00 Uhr\nIntegrationsbeauftragte Saousan Al-Bakri\nal-bakri@korb.de"}}}
	if got := findCopies([]Page{inText, split, pages[2]}, nil); !slices.Equal(got, []int32{-1, 0, -1}) {
		t.Fatalf("text and contact section: copies = %v, want [-1 0 -1]", got)
	}
}

// TestRewordedPages: one page machine-translated twice under two wordings
// of its title is one page; sibling services whose reworded texts speak of
// what their titles name, pages whose numbers differ, and one text under
// two titles stay apart.
func TestRewordedPages(t *testing.T) {
	text := func(s string) []Section { return []Section{{Kind: SectionDescription, Text: s}} }
	centre := "Who for: households that receive financial support from the Jobcentre. Rent and heating costs are covered if they are reasonable (§22 SGB II). In the City of Munich fixed rent ceilings apply. For households with seven or more persons the rent ceiling includes 15 m² and 270 euros per additional person. The amounts refer to the gross cold rent. Heating and hot water costs are taken into account separately. Please submit your rental contract and the latest utility bill to your job centre so that the costs can be checked and paid on time."
	center := "Who for: households that get financial support from the job center. Costs for rent and heating are paid if they are appropriate (§22 SGB II). At the City of Munich the following rent caps apply. For households of seven or more people the upper rent limit includes 15 m² and 270 euros for each additional person. The caps refer to the gross rent. Costs for heating and hot water are considered on their own. Send your tenancy agreement and the most recent utility statement to the job center so that the costs can be checked and paid in time."
	employer := "Schwerbehinderte Menschen erhalten Hilfe im Arbeitsleben. Arbeitgeberinnen und Arbeitgeber bekommen Zuschüsse, wenn sie einen Arbeitsplatz behindertengerecht einrichten oder eine Person einstellen, die besonders betroffen ist. Der Antrag wird beim Integrationsamt gestellt, bevor die Maßnahme beginnt. Das Integrationsamt prüft, welche Leistungen möglich sind, und berät Arbeitgeberinnen und Arbeitgeber zu Fördermöglichkeiten. Bitte legen Sie eine Beschreibung des Arbeitsplatzes und einen Kostenvoranschlag vor, damit über den Antrag schnell entschieden werden kann."
	employee := "Schwerbehinderte Menschen bekommen Unterstützung im Arbeitsleben. Arbeitnehmerinnen und Arbeitnehmer erhalten Hilfen, wenn sie technische Arbeitshilfen brauchen oder den Weg zur Arbeit nicht allein schaffen. Den Antrag stellen Sie beim Integrationsamt, bevor die Maßnahme beginnt. Das Integrationsamt prüft, welche Leistungen möglich sind, und berät Arbeitnehmerinnen und Arbeitnehmer zu Fördermöglichkeiten. Bitte legen Sie eine Beschreibung der Tätigkeit und einen Kostenvoranschlag vor, damit über den Antrag schnell entschieden werden kann."
	checkCopyPairs(t, []copyPair{
		{"translated twice", Page{Title: "Benefits from the Job Centre", Language: "en", Sections: text(centre)},
			Page{Title: "Benefits from the job center", Language: "en", Sections: text(center)}, true},
		{"other amounts", Page{Title: "Benefits from the Job Centre", Language: "en", Sections: text(centre)},
			Page{Title: "Benefits from the job center", Language: "en", Sections: text(strings.ReplaceAll(center, "270", "310"))}, false},
		{"siblings that say what they are", Page{Title: "Begleitende Hilfe im Arbeitsleben für Arbeitgeber/innen", Language: "de", Sections: text(employer)},
			Page{Title: "Begleitende Hilfe im Arbeitsleben für Arbeitnehmer/innen", Language: "de", Sections: text(employee)}, false},
		{"one text, two titles", Page{Title: "Benefits from the Job Centre", Language: "en", Sections: text(centre)},
			Page{Title: "Benefits from the social welfare office", Language: "en", Sections: text(centre)}, false},
		// The longer title's extra word is used by both texts alike: one
		// page. Used by one text throughout and once by the other: what
		// that page is about, a service of its own.
		{"a title with one word more", Page{Title: "Literacy courses", Language: "en", Sections: text(literacy)},
			Page{Title: "Literacy", Language: "en", Sections: text(literacy2)}, true},
		{"a title with the thing it is about", Page{Title: "Personalausweis vorläufig beantragen", Language: "de", Sections: text(provisional)},
			Page{Title: "Personalausweis beantragen", Language: "de", Sections: text(idCard)}, false},
		// Each title has a word of its own, even one its text never uses:
		// two services.
		{"each title its own word", Page{Title: "Mediation durch Güterichter in Zivilprozessverfahren", Language: "de", Sections: text(employer)},
			Page{Title: "Mediation durch Güterichter in der Fachgerichtsbarkeit", Language: "de", Sections: text(employee)}, false},
	})
}

// TestCompoundTitles: one page in two wordings whose titles are compounds
// of one another is one page, found although the titles share no stem; a
// compound that adds a prefix ("Entsperrung") or the thing its text is
// about ("Alphabetisierungsprüfung") names a page of its own.
func TestCompoundTitles(t *testing.T) {
	text := func(s string) []Section { return []Section{{Kind: SectionDescription, Text: s}} }
	exam := strings.NewReplacer("Ein Einstieg", "Eine Prüfung", "die erste Beratung", "die erste Prüfung", "Ein Kurs kostet", "Eine Prüfung kostet").Replace(alphabet2)
	checkCopyPairs(t, []copyPair{
		{"a compound with one part more", Page{Title: "Alphabetisierung", Sections: text(alphabet)},
			Page{Title: "Alphabetisierungskurse", Sections: text(alphabet2)}, true},
		{"a compound with a part inside", Page{Title: "Schulische Berufsbildung", Sections: text(alphabet)},
			Page{Title: "Schulische Berufsausbildung", Sections: text(alphabet2)}, true},
		{"a prefix that turns it round", Page{Title: "Sperrung des Lernportals", Sections: text(alphabet)},
			Page{Title: "Entsperrung des Lernportals", Sections: text(alphabet2)}, false},
		{"a part its text is about", Page{Title: "Alphabetisierung", Sections: text(alphabet)},
			Page{Title: "Alphabetisierungsprüfung", Sections: text(exam)}, false},
	})
}

// Texts of TestCompoundTitles: one page in two wordings.
const (
	alphabet  = "Viele Erwachsene in Deutschland können nicht gut genug lesen und schreiben. In Alphabetisierungskursen lernen Sie Schritt für Schritt lesen und schreiben. Die Kurse finden in kleinen Gruppen am Vormittag oder am Samstag statt. Sie können jederzeit beginnen, und die erste Beratung ist kostenlos. Fragen Sie bei der Volkshochschule, die auch Kurse im Internet anbietet. Ein Kurs kostet 2 Euro pro Stunde; mit dem München-Pass ist er kostenlos."
	alphabet2 = "Sehr viele Erwachsene in Deutschland sind nicht in der Lage, gut genug zu lesen und zu schreiben. Im Alphabetisierungskurs lernen Sie Schritt für Schritt das Lesen und das Schreiben. Kurse werden in kleinen Gruppen am Vormittag oder am Samstag angeboten. Ein Einstieg ist jederzeit möglich, und die erste Beratung kostet nichts. Bitte fragen Sie bei der Volkshochschule, wo es Kurse auch im Internet gibt. Ein Kurs kostet 2 Euro pro Stunde und ist mit dem München-Pass kostenlos."
)

// Texts of TestRewordedPages: one page in two wordings, and two services.
const (
	literacy    = "Many adults in Germany cannot read and write well enough. Literacy courses help you to learn reading and writing step by step. The courses take place in small groups in the evening or on Saturdays. You can start at any time and the first consultation is free. Ask at the adult education centre, which also offers courses online. A course costs 2 euros per lesson; with a Munich pass it is free of charge."
	literacy2   = "A lot of adults in Germany are not able to read and write well enough. In literacy courses you learn to read and write one step at a time. Courses are held in small groups in the evenings or on Saturday. You can join whenever you like and the first advice session costs nothing. Please ask at the adult education centre, where courses are also available online. One course costs 2 euros per lesson and is free with a Munich pass."
	provisional = "Einen vorläufigen Personalausweis erhalten Sie, wenn Sie kurzfristig einen Ausweis brauchen. Der vorläufige Personalausweis wird sofort ausgestellt und gilt drei Monate. Sie beantragen den vorläufigen Personalausweis persönlich im Bürgeramt mit einem biometrischen Foto. Der vorläufige Ausweis ersetzt nicht den Antrag auf einen neuen Personalausweis. Die Gebühr beträgt 10 Euro. Bringen Sie Ihren alten Ausweis oder Reisepass mit, damit wir Ihre Identität prüfen können."
	idCard      = "Einen Personalausweis erhalten Sie, wenn Sie in Berlin gemeldet sind. Der Personalausweis wird in der Bundesdruckerei hergestellt und gilt zehn Jahre. Sie beantragen den Personalausweis persönlich im Bürgeramt mit einem biometrischen Foto. Brauchen Sie kurzfristig einen Ausweis, fragen Sie nach einem vorläufigen Ausweis. Die Gebühr beträgt 10 Euro. Bringen Sie Ihren alten Ausweis oder Reisepass mit, damit wir Ihre Identität prüfen können."
)

// TestRewordedTitlesByDictionary: two wordings of a title whose words the
// dictionary knows for one thing ("holidays", "vacations") are one page;
// without the dictionary the word each text uses is a thing of its own.
func TestRewordedTitlesByDictionary(t *testing.T) {
	ctx := context.Background()
	text := func(s string) []Section { return []Section{{Kind: SectionDescription, Text: s}} }
	pages := []Page{
		{ID: "holidays", Title: "Public holidays, school holidays and time changeover", Language: "en", Sections: text(schoolHolidays)},
		{ID: "vacations", Title: "Public holidays, school vacations and time changeover", Language: "en", Sections: text(schoolVacations)},
	}
	for _, tt := range []struct {
		dict string
		want string
	}{
		{"", "vacations"},
		{writeTestDictionary(t), "holidays"},
	} {
		kb, err := Build(ctx, pages, Options{Dictionary: tt.dict})
		if err != nil {
			t.Fatal(err)
		}
		if got := kb.Canonical("vacations"); got != tt.want {
			t.Errorf("dictionary %q: the page of %q is %q, want %q", tt.dict, pages[1].Title, got, tt.want)
		}
		kb.Close()
	}
}

func TestWordingsSame(t *testing.T) {
	w := &wordings{Trans: map[string][]string{
		"en:holiday":    {"de:feri", "de:urlaub", "de:feiertag"},
		"en:vacat":      {"de:feri", "de:urlaub", "de:beurlaub"},
		"de:arbeitgeb":  {"en:employ", "en:manag", "en:taskmast"},
		"de:arbeitnehm": {"en:labour", "en:labor", "en:employ", "en:worker"},
		"de:frau":       {"en:woman", "en:women"},
		"en:decre":      {"de:erlass"},
		"en:ordin":      {"de:erlass"},
	}}
	tests := []struct {
		x, y string
		want bool
	}{
		{"en:holiday", "en:vacat", true},         // two translations in common
		{"de:arbeitgeb", "de:arbeitnehm", false}, // one of six
		{"de:frau", "en:women", true},            // one translates the other
		{"en:decre", "en:ordin", true},           // their one translation
		{"en:holiday", "en:holiday", true},
		{"en:holiday", "de:frau", false},
	}
	for _, tt := range tests {
		if got := w.same([]string{tt.x}, []string{tt.y}); got != tt.want {
			t.Errorf("same(%s, %s) = %v, want %v", tt.x, tt.y, got, tt.want)
		}
	}
}

const (
	schoolHolidays  = "In Bavaria there are 13 public holidays a year. Shops and offices are closed on public holidays. School holidays are the weeks in which schools are closed: autumn, Christmas, winter, Easter, Whitsun and summer holidays. The summer holidays start at the beginning of August and last six weeks. The clocks go forward one hour on the last Sunday in March and back on the last Sunday in October. Please plan your appointments at the offices around the holidays."
	schoolVacations = "Bavaria has 13 public holidays per year. On public holidays shops and authorities are closed. School vacations are the weeks when schools are closed: autumn, Christmas, winter, Easter, Whitsun and summer vacations. The summer vacations begin in early August and last for six weeks. The clocks are put forward one hour on the last Sunday in March and back on the last Sunday in October. Please plan your appointments with the authorities around the vacations."
)

// TestGeneralCopySearched: a set of an office's copies of one service that
// holds the page without an office is searched through that page, wherever
// it stands among them.
func TestGeneralCopySearched(t *testing.T) {
	pages := copyFixture()[:3]
	general := pages[1]
	general.ID, general.Title = "abholen", "Personalausweis abholen"
	general.Meta = map[string]string{"city": "hamburg", "source_path": "abholen.md"}
	pages = append(pages, general)
	if got, want := findCopies(pages, nil), []int32{3, 3, 3, -1}; !slices.Equal(got, want) {
		t.Fatalf("copies = %v, want %v (the general page searched)", got, want)
	}
	for _, tc := range []struct {
		title, other string
		want         bool
	}{
		{"Personalausweis abholen", "Personalausweis abholen - Altona Einwohnerangelegenheiten", true},
		{"personalausweis abholen ", "Personalausweis Abholen (Altona)", true},
		{"Personalausweis abholen - Altona", "Personalausweis abholen", false},
		{"Personalausweis", "Personalausweis abholen - Altona", false},
	} {
		if got := generalTitle(tc.title, tc.other); got != tc.want {
			t.Errorf("generalTitle(%q, %q) = %v, want %v", tc.title, tc.other, got, tc.want)
		}
	}
}
