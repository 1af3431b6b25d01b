package knowledge

import (
	"context"
	"strconv"
	"testing"
)

// fixturePages are small service pages written for these tests (German
// and English), in the shape importers produce.
func fixturePages() []Page {
	city := func(extra ...string) map[string]string {
		m := map[string]string{"city": "musterstadt"}
		for i := 0; i+1 < len(extra); i += 2 {
			m[extra[i]] = extra[i+1]
		}
		return m
	}
	return []Page{
		{
			ID: "personalausweis", Title: "Personalausweis beantragen", Language: "de",
			URL: "https://example.org/personalausweis", Meta: city("category", "ausweise"),
			Sections: []Section{
				{Kind: SectionDescription, Text: "Den Personalausweis beantragen Sie persönlich im Bürgeramt. Er gilt zehn Jahre, für Personen unter 24 Jahren sechs Jahre. Eine Verlängerung ist nicht möglich, Sie beantragen einen neuen Ausweis."},
				{Kind: SectionDocuments, Heading: "Unterlagen", Text: "Ein aktuelles biometrisches Passfoto, der alte Ausweis und bei Namensänderung die Heiratsurkunde."},
				{Kind: SectionFees, Heading: "Gebühren", Text: "37 Euro, für Personen unter 24 Jahren 22,80 Euro."},
			},
		},
		{
			ID: "reisepass", Title: "Reisepass beantragen", Language: "de", Meta: city("category", "ausweise"),
			Sections: []Section{
				{Kind: SectionDescription, Text: "Einen Reisepass brauchen Sie für Reisen in viele Länder außerhalb der Europäischen Union. Sie beantragen ihn im Bürgeramt."},
				{Kind: SectionFees, Heading: "Gebühren", Text: "70 Euro; Express-Pass 102 Euro."},
			},
		},
		{
			ID: "parkausweis", Title: "Parkausweis für Anwohner", Language: "de", Meta: city("category", "verkehr"),
			Keywords: []string{"Bewohnerparken"},
			Sections: []Section{
				{Kind: SectionDescription, Text: "Wer in einer Parkzone wohnt, kann einen Parkausweis für Anwohner beantragen und dort ohne Parkschein parken."},
				{Kind: SectionPrerequisites, Heading: "Voraussetzungen", Text: "Sie sind mit Hauptwohnsitz in der Zone gemeldet und das Fahrzeug ist auf Sie zugelassen."},
				{Kind: SectionFees, Heading: "Gebühren", Text: "30 Euro pro Jahr."},
			},
		},
		{
			ID: "hundesteuer", Title: "Hundesteuer", Language: "de", Meta: city("category", "steuern"),
			Sections: []Section{
				{Kind: SectionDescription, Text: "Wer in der Stadt einen Hund hält, muss ihn innerhalb von zwei Wochen zur Hundesteuer anmelden. Sie erhalten eine Steuermarke, die der Hund tragen muss."},
				{Kind: SectionFees, Heading: "Kosten", Text: "Die Steuer beträgt 120 Euro im Jahr für den ersten Hund."},
			},
		},
		{
			ID: "rundfunkbeitrag", Title: "Befreiung vom Rundfunkbeitrag", Language: "de", Meta: city("category", "soziales"),
			Sections: []Section{
				{Kind: SectionDescription, Text: "Wer Bürgergeld, Sozialhilfe oder BAföG erhält, kann sich vom Rundfunkbeitrag befreien lassen. Den Antrag stellen Sie beim Beitragsservice."},
			},
		},
		{
			ID: "wohnung-anmelden", Title: "Wohnung anmelden", Language: "de", Meta: city("category", "meldewesen"),
			Keywords: []string{"Anmeldung", "Wohnsitz"},
			Sections: []Section{
				{Kind: SectionDescription, Text: "Nach einem Umzug müssen Sie Ihre neue Wohnung innerhalb von zwei Wochen im Bürgeramt anmelden. Sie erhalten eine Meldebescheinigung."},
				{Kind: SectionDocuments, Heading: "Unterlagen", Text: "Personalausweis oder Reisepass und die Wohnungsgeberbestätigung Ihres Vermieters."},
			},
		},
		{
			ID: "fuehrerschein", Title: "Führerschein umtauschen", Language: "de", Meta: city("category", "verkehr"),
			Sections: []Section{
				{Kind: SectionDescription, Text: "Alte Führerscheine aus Papier müssen bis zu einem Stichtag in den EU-Kartenführerschein umgetauscht werden. Die Fahrerlaubnis selbst bleibt bestehen."},
			},
		},
		{
			ID: "sperrmuell", Title: "Sperrmüll abholen lassen", Language: "de", Meta: city("category", "abfall"),
			Sections: []Section{
				{Kind: SectionDescription, Text: "Möbel und große Gegenstände holt die Stadtreinigung als Sperrmüll ab. Melden Sie die Abholung online an; zweimal im Jahr ist sie kostenlos."},
			},
		},
		{
			ID: "bulky-waste", Title: "Bulky waste collection", Language: "en", Meta: city("category", "abfall", "translation", "sperrmuell"),
			Sections: []Section{
				{Kind: SectionDescription, Text: "Furniture and other large items are collected as bulky waste. Book the collection online; twice a year it is free of charge."},
			},
		},
		{
			ID: "kindergeld", Title: "Kindergeld", Language: "de", Meta: city("category", "familie"),
			Sections: []Section{
				{Kind: SectionDescription, Text: "Kindergeld beantragen Eltern schriftlich bei der Familienkasse der Bundesagentur für Arbeit. Es wird bis zum 18. Geburtstag gezahlt, in der Ausbildung länger."},
			},
		},
		{
			ID: "kita", Title: "Platz in einer Kindertagesstätte", Language: "de", Meta: city("category", "familie"),
			Sections: []Section{
				{Kind: SectionDescription, Text: "Kinder ab einem Jahr haben Anspruch auf einen Platz in einer Kindertagesstätte. Melden Sie Ihr Kind über das Online-Portal der Stadt an."},
			},
		},
		{
			ID: "verwarnungsgeld", Title: "Verwarnungsgeld bezahlen", Language: "de", Meta: city("category", "verkehr"),
			Sections: []Section{
				{Kind: SectionDescription, Text: "Wer falsch parkt, bekommt ein Verwarnungsgeld. Zahlen Sie den Betrag innerhalb einer Woche, sonst folgt ein Bußgeldbescheid."},
			},
		},
		{
			ID: "fundbuero", Title: "Fundbüro", Language: "de", Meta: city("category", "ordnung"),
			Sections: []Section{
				{Kind: SectionDescription, Text: "Im Fundbüro werden verlorene Gegenstände aufbewahrt. Fundsachen können Sie dort abgeben und abholen."},
				{Kind: SectionContact, Heading: "Öffnungszeiten", Text: "Montag bis Freitag 8 bis 12 Uhr."},
			},
		},
		{
			ID: "einbuergerung", Title: "Einbürgerung", Language: "de", Meta: city("category", "migration"),
			Sections: []Section{
				{Kind: SectionDescription, Text: "Mit der Einbürgerung erhalten Sie die deutsche Staatsangehörigkeit. Voraussetzung sind in der Regel fünf Jahre rechtmäßiger Aufenthalt und Deutschkenntnisse auf Niveau B1."},
			},
		},
		{
			ID: "gewerbe", Title: "Gewerbeanmeldung", Language: "de", Meta: city("category", "wirtschaft"),
			Sections: []Section{
				{Kind: SectionDescription, Text: "Wer ein Gewerbe beginnt, muss es beim Gewerbeamt anmelden. Die Anmeldung kostet 26 Euro."},
			},
		},
		{
			ID: "register-address", Title: "Register your address", Language: "en", Meta: city("category", "meldewesen", "translation", "wohnung-anmelden"),
			Sections: []Section{
				{Kind: SectionDescription, Text: "After moving you must register your new flat at the citizens' office within two weeks. You receive a certificate of registration."},
			},
		},
		{
			ID: "nachbarstadt-hundesteuer", Title: "Hundesteuer", Language: "de", Meta: map[string]string{"city": "nachbarstadt"},
			Sections: []Section{
				{Kind: SectionDescription, Text: "Hunde müssen in der Nachbarstadt innerhalb eines Monats zur Hundesteuer angemeldet werden."},
			},
		},
	}
}

// buildFixture builds a KB of the fixture pages.
func buildFixture(t testing.TB) *KB {
	t.Helper()
	kb, err := Build(context.Background(), fixturePages(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { kb.Close() })
	return kb
}

// search runs a query and fails the test on error.
func search(t testing.TB, kb *KB, q Query) []Hit {
	t.Helper()
	hits, err := kb.Search(context.Background(), q)
	if err != nil {
		t.Fatalf("Search(%q): %v", q.Text, err)
	}
	return hits
}

// hitIDs lists the page ids of hits.
func hitIDs(hits []Hit) []string {
	ids := make([]string, len(hits))
	for i, h := range hits {
		ids[i] = h.Page.ID
	}
	return ids
}

func itoa(n int) string { return strconv.Itoa(n) }

// desc is a page's text as one description section.
func desc(text string) []Section { return []Section{{Kind: SectionDescription, Text: text}} }

// buildPages builds a knowledge base of pages, closed when the test ends.
func buildPages(t testing.TB, pages []Page) *KB {
	t.Helper()
	kb, err := Build(context.Background(), pages, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { kb.Close() })
	return kb
}
