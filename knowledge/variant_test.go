package knowledge

import (
	"context"
	"slices"
	"testing"
)

// TestVariantPreference: between a service and its variant (a page whose
// title is the service's and more), a question that names none of the
// variant's own words gets the plain service, one that names them the
// variant; between two services of one kind ("Hundehaltung - …") or of
// one head word ("Parkausweis für …") or one action ("… - Verlust melden")
// the one whose own words the question names; the first hit says which page the question decided it against,
// when the two score close, so that the bot does not ask which of the two
// is meant.
func TestVariantPreference(t *testing.T) {
	pages := []Page{
		{ID: "pass", Title: "Reisepass beantragen", Language: "de", Sections: desc(
			"Den Reisepass beantragen Sie persönlich im Bürgeramt. Die Herstellung dauert etwa vier bis sechs Wochen. Der Reisepass ist zehn Jahre gültig.")},
		{ID: "pass-vorl", Title: "Reisepass beantragen (vorläufiger Reisepass)", Language: "de", Sections: desc(
			"Wenn Sie kurzfristig verreisen, können Sie einen vorläufigen Reisepass beantragen. Er wird sofort ausgestellt und ist ein Jahr gültig. Die Bearbeitung dauert wenige Minuten.")},
		{ID: "sbausweis", Title: "Schwerbehindertenausweis", Language: "de", Sections: desc(
			"Den Schwerbehindertenausweis beantragen Sie beim Versorgungsamt. Er weist einen Grad der Behinderung von mindestens 50 nach.")},
		{ID: "sbausweis-verlust", Title: "Schwerbehindertenausweis - Ausstellung nach Verlust", Language: "de", Sections: desc(
			"Haben Sie Ihren Schwerbehindertenausweis verloren, beantragen Sie beim Versorgungsamt einen neuen Ausweis. Den Verlust zeigen Sie vorher bei der Polizei an.")},
		{ID: "hund", Title: "Hundehaltung - Hund steuerlich anmelden", Language: "de", Sections: desc(
			"Wer in der Stadt einen Hund hält, muss ihn innerhalb eines Monats beim Finanzamt zur Hundesteuer anmelden. Die Hundesteuer beträgt 120 Euro im Jahr.")},
		{ID: "hund-befreiung", Title: "Hundehaltung - Befreiung von der Hundesteuer beantragen", Language: "de", Sections: desc(
			"Für Blindenführhunde und Assistenzhunde können Sie eine Befreiung von der Hundesteuer beantragen. Den Antrag stellen Sie beim Finanzamt, bei dem Sie den Hund angemeldet haben.")},
		{ID: "wg-miete", Title: "Wohngeld - Mietzuschuss beantragen", Language: "de", Sections: desc(
			"Wohngeld gibt es als Zuschuss zur Miete. Sie beantragen es bei der Wohngeldstelle Ihres Bezirks. Das Wohngeld hängt vom Einkommen und der Miete ab.")},
		{ID: "wg-lasten", Title: "Wohngeld - Lastenzuschuss beantragen", Language: "de", Sections: desc(
			"Wohngeld gibt es als Zuschuss zu den Kosten für Ihr eigenes Haus. Sie beantragen es bei der Wohngeldstelle Ihres Bezirks. Das Wohngeld hängt vom Einkommen und den Kosten ab.")},
		{ID: "pa-verlust", Title: "Personalausweis - Verlust melden", Language: "de", Sections: desc(
			"Wenn Ihr Personalausweis weg ist, melden Sie den Verlust sofort im Bürgeramt. Das gilt auch für den Reisepass. Sie bekommen eine Verlustanzeige.")},
		{ID: "rp-verlust", Title: "Reisepass - Verlust melden", Language: "de", Sections: desc(
			"Wenn Ihr Reisepass weg ist, melden Sie den Verlust sofort im Bürgeramt. Das gilt auch für den Personalausweis. Sie bekommen eine Verlustanzeige.")},
		{ID: "park-anwohner", Title: "Parkausweis für Anwohner beantragen", Language: "de", Sections: desc(
			"In Parkzonen können Sie für Ihr Auto einen Parkausweis beantragen. Der Parkausweis gilt zwei Jahre in der Zone, in der Sie wohnen. Sie beantragen ihn im Bürgeramt.")},
		{ID: "park-gaeste", Title: "Parkausweis für Gäste beantragen", Language: "de", Sections: desc(
			"In Parkzonen können Sie für Ihren Besuch einen Parkausweis beantragen. Der Parkausweis gilt einen Tag in der Zone, in der Sie wohnen. Sie beantragen ihn im Bürgeramt.")},
	}
	kb := buildPages(t, pages)
	for _, tc := range []struct {
		q, want, over string
	}{
		{"Reisepass beantragen, wie lange dauert das?", "pass", "pass-vorl"},
		{"Ich brauche einen vorläufigen Reisepass", "pass-vorl", "pass"},
		{"Schwerbehindertenausweis beantragen", "sbausweis", "sbausweis-verlust"},
		{"Ausstellung Schwerbehindertenausweis nach Verlust", "sbausweis-verlust", "sbausweis"},
		// Two services of one kind ("Hundehaltung - …"): the one whose own
		// words the question names.
		{"hund anmelden", "hund", "hund-befreiung"},
		{"Befreiung von der Hundesteuer für meinen Assistenzhund", "hund-befreiung", "hund"},
		// Naming words of both, the one more of whose own words it names:
		// "Hund" and "anmelden" against "Hundesteuer"; "Befreiung" and
		// "beantragen" against "Hund".
		{"Meinen Hund zur Hundesteuer anmelden", "hund", "hund-befreiung"},
		{"Für meinen Hund die Befreiung beantragen", "hund-befreiung", "hund"},
		// Two services whose titles start with the same word: the one
		// whose own words the question names.
		{"Anwohnerparkausweis beantragen", "park-anwohner", "park-gaeste"},
		{"Gästeparkausweis beantragen", "park-gaeste", "park-anwohner"},
		// The same action for two things ("X - Verlust melden"): the thing
		// the question names.
		{"Ich habe meinen Personalausweis verloren", "pa-verlust", "rp-verlust"},
		{"Ich habe meinen Reisepass verloren", "rp-verlust", "pa-verlust"},
		// The lexicon lists both kinds of Wohngeld as its synonyms: the
		// question's own word decides.
		{"Mietzuschuss", "wg-miete", "wg-lasten"},
		{"Lastenzuschuss", "wg-lasten", "wg-miete"},
	} {
		hits := search(t, kb, Query{Text: tc.q, Language: "de"})
		if len(hits) == 0 || hits[0].Page.ID != tc.want {
			t.Errorf("Search(%q) = %v, want %s first", tc.q, hitIDs(hits), tc.want)
			continue
		}
		// Within the margin (a clarifying question would otherwise be
		// asked), the first hit names the page it was decided against.
		close := len(hits) > 1 && hits[1].Page.ID == tc.over && hits[0].Score-hits[1].Score <= variantMargin
		if close && !slices.Contains(hits[0].DecidedOver, tc.over) {
			t.Errorf("Search(%q): first hit decided over %v, want %s among them", tc.q, hits[0].DecidedOver, tc.over)
		}
	}
}

// TestVariantNamedBeyondPlainTitle: a question names a variant only with
// words the plain service's title does not already answer as fully.
// "birth certificate" is "Geburtsurkunde" in both titles; that "birth"
// alone also translates to the variant's "Geburt" does not make it the
// variant's question.
func TestVariantNamedBeyondPlainTitle(t *testing.T) {
	ctx := context.Background()
	pages := []Page{
		{ID: "urkunde", Title: "Geburtsurkunde beantragen", Language: "de", Sections: desc(
			"Die Geburtsurkunde beantragen Sie beim Standesamt, in dessen Bezirk das Kind geboren wurde. Eine Geburtsurkunde kostet 12 Euro.")},
		{ID: "urkunde-ausland", Title: "Urkunden - Geburtsurkunde bei Geburt im Ausland beantragen", Language: "de", Sections: desc(
			"Wurde Ihr Kind im Ausland geboren, muss die Geburt zuerst beim Standesamt I beurkundet werden. Danach beantragen Sie dort die Geburtsurkunde.")},
		{ID: "ausweis", Title: "Personalausweis beantragen", Language: "de", Sections: desc(
			"Den Personalausweis beantragen Sie persönlich im Bürgeramt. Er kostet 37 Euro.")},
		{ID: "hund", Title: "Hund anmelden", Language: "de", Sections: desc(
			"Einen Hund melden Sie innerhalb eines Monats zur Hundesteuer an.")},
	}
	kb, err := Build(ctx, pages, Options{Dictionary: writeTestDictionary(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer kb.Close()
	for _, tc := range []struct{ q, want string }{
		{"birth certificate", "urkunde"},
		{"birth certificate for a birth abroad", "urkunde-ausland"},
		{"Geburtsurkunde", "urkunde"},
		{"Geburtsurkunde Geburt im Ausland", "urkunde-ausland"},
	} {
		hits := search(t, kb, Query{Text: tc.q})
		if len(hits) == 0 || hits[0].Page.ID != tc.want {
			t.Errorf("Search(%q) = %v, want %s first", tc.q, hitIDs(hits), tc.want)
		}
	}
}

// TestWholeTitleNamed: a question that holds the whole title of a page
// ("neuen Personalausweis beantragen") gets that page before a close one
// whose title it only shares a word or two with; and the city's own name,
// which most pages hold, names no variant ("Gewerbe anmelden bei der
// Handelskammer Musterstadt" is not what "ein Gewerbe in Musterstadt
// anmelden" asks for over "Gewerbe anmelden").
func TestWholeTitleNamed(t *testing.T) {
	kb := buildPages(t, wholeTitlePages)
	wantFirstDE(t, kb, []firstCase{
		{"neuen Personalausweis beantragen was brauche ich", "pa"},
		{"neuen Personalausweis erhalten, Aufenthaltserlaubnis übertragen", "schweiz"},
		{"Wie melde ich ein Gewerbe in Musterstadt an?", "gewerbe"},
		{"Gewerbe bei der Handelskammer anmelden", "gewerbe-hk"},
	})
}

var wholeTitlePages = []Page{
	{ID: "pa", Title: "Personalausweis beantragen", Language: "de", Sections: desc(
		"Einen neuen Personalausweis beantragen Sie im Bürgeramt von Musterstadt. Bringen Sie ein biometrisches Foto und das alte Dokument mit. " +
			"Die Gebühr beträgt 37 Euro, für Jüngere 22,80 Euro. Die Herstellung dauert drei bis vier Wochen. Abholen können Sie das Dokument selbst " +
			"oder mit einer Vollmacht. Termine vergibt das Bürgeramt online und am Telefon.")},
	{ID: "schweiz", Title: "Aufenthaltserlaubnis Schweiz - zu einem neuen Pass oder Ausweis übertragen", Language: "de", Sections: desc(
		"Haben Sie einen neuen Personalausweis oder einen neuen Pass, übertragen wir Ihre Aufenthaltserlaubnis in das neue Dokument. " +
			"Bringen Sie den neuen Personalausweis mit. Der neue Personalausweis muss gültig sein. Die Ausländerbehörde Musterstadt hilft.")},
	{ID: "gewerbe", Title: "Gewerbe anmelden", Language: "de", Sections: desc(
		"Ein Gewerbe melden Sie beim Gewerbeamt Musterstadt an, bevor Sie die Tätigkeit beginnen. Die Anmeldung kostet 26 Euro. Bringen Sie Ihren " +
			"Personalausweis mit; für eine GmbH den Auszug aus dem Handelsregister. Das Gewerbeamt informiert das Finanzamt.")},
	{ID: "gewerbe-hk", Title: "Gewerbe anmelden bei der Handelskammer Musterstadt", Language: "de", Sections: desc(
		"Ein Gewerbe in Musterstadt melden Kaufleute bei der Handelskammer Musterstadt an. Das Gewerbe anmelden können Sie dort online.")},
	{ID: "hund", Title: "Hund anmelden", Language: "de", Sections: desc(
		"Einen Hund melden Sie in Musterstadt innerhalb von zwei Wochen beim Steueramt an.")},
	{ID: "wohnung", Title: "Wohnung anmelden", Language: "de", Sections: desc(
		"Nach dem Umzug nach Musterstadt melden Sie Ihre Wohnung innerhalb von zwei Wochen im Bürgeramt an.")},
}

// A question that names a service's whole title after the kind its family
// shares ("Hundehaltung - …") asks for that service, though a sibling's
// page repeats the question's words more often and ranks well above it:
// the kind needs only a part named ("Hund" of "Hundehaltung").
func TestWholeTitleAfterKind(t *testing.T) {
	kb := buildPages(t, []Page{
		{ID: "befreiung", Title: "Hundehaltung - Befreiung von der Hundesteuer beantragen", Language: "de", Sections: desc(
			"Für einen Hund aus dem Tierheim können Sie die Befreiung von der Hundesteuer beantragen. Anmelden müssen Sie den Hund trotzdem.")},
		{ID: "anmelden", Title: "Hundehaltung - Hund steuerlich anmelden", Language: "de", Sections: desc(
			"Einen Hund melden Sie innerhalb von zwei Wochen nach Beginn der Haltung beim Finanzamt an. Sie erhalten eine Marke und zahlen die Hundesteuer jährlich.")},
		{ID: "abmelden", Title: "Hundehaltung - Hund steuerlich abmelden", Language: "de", Sections: desc(
			"Geben Sie die Marke zurück, wenn die Haltung endet.")},
		{ID: "wohnung", Title: "Wohnung anmelden", Language: "de", Sections: desc(
			"Nach dem Umzug melden Sie Ihre Wohnung innerhalb von zwei Wochen im Bürgeramt an.")},
	})
	// "Hundesteueranmeldung" splits into "Hundesteuer" and "Anmeldung";
	// "Hundesteuer" is a title word of its own, whose parts name "Hund" and
	// "steuerlich" (namedByParts).
	for _, q := range []string{"Wie kann ich meinen Hund steuerlich anmelden?", "Hundesteueranmeldung"} {
		hits := search(t, kb, Query{Text: q, Language: "de"})
		if len(hits) == 0 || hits[0].Page.ID != "anmelden" {
			t.Errorf("Search(%q) = %v, want anmelden first", q, hitIDs(hits))
		}
	}
}

// TestFirstActionByDefault: between two pages of one service that differ
// only in what is done with it ("… beantragen", "… verlängern"), a
// question that names neither action asks for the first; the two keep
// their scores between them (the first hit decides over nothing), so the
// engine may still ask which is meant. A question that names the later
// action gets it.
func TestFirstActionByDefault(t *testing.T) {
	kb := buildPages(t, []Page{
		{ID: "beantragen", Title: "Aufenthaltserlaubnis zum Studium beantragen", Language: "de", Sections: desc(
			"Für ein Studium in Deutschland brauchen Sie eine Aufenthaltserlaubnis. Den Antrag stellen Sie bei der Ausländerbehörde.")},
		{ID: "verlaengern", Title: "Aufenthaltserlaubnis zum Studium verlängern", Language: "de", Sections: desc(
			"Ihre Aufenthaltserlaubnis zum Studium verlängern Sie bei der Ausländerbehörde, bevor sie abläuft. Die Aufenthaltserlaubnis zum Studium " +
				"gilt höchstens zwei Jahre; für das Studium bringen Sie die Immatrikulationsbescheinigung mit. Eine Aufenthaltserlaubnis zum Studium " +
				"wird verlängert, solange das Studium ordnungsgemäß verläuft.")},
		{ID: "pass-neu", Title: "Reisepass ausstellen", Language: "de", Sections: desc(
			"Einen neuen Reisepass stellt das Bürgeramt aus. Die Herstellung des Reisepasses dauert vier Wochen.")},
		{ID: "pass-verlust", Title: "Reisepass - Verlust melden", Language: "de", Sections: desc(
			"Ist Ihr Reisepass weg, melden Sie den Verlust. Einen neuen Reisepass beantragen Sie danach wie jeden Reisepass.")},
	})
	wantFirstDE(t, kb, []firstCase{
		{"Wie bekomme ich eine Aufenthaltserlaubnis zum Studium?", "beantragen"},
		{"Aufenthaltserlaubnis zum Studium verlängern", "verlaengern"},
		{"Reisepass verloren", "pass-verlust"},
	})
	hits := search(t, kb, Query{Text: "Wie bekomme ich eine Aufenthaltserlaubnis zum Studium?", Language: "de"})
	if len(hits) > 1 && (len(hits[0].DecidedOver) > 0 || hits[1].Score > hits[0].Score) {
		t.Errorf("first hit %s decided over %v with score %.3f, second %.3f: want the two to keep their doubt", hits[0].Page.ID, hits[0].DecidedOver, hits[0].Score, hits[1].Score)
	}
}

func TestActionOf(t *testing.T) {
	for _, tc := range []struct {
		word string
		want action
	}{
		{"beantragen", actionFirst},
		{"anmeldung", actionFirst},
		{"erteilung", actionFirst},
		{"neuerteilung", actionLater},
		{"verlangern", actionLater},
		{"abmeldung", actionLater},
		{"verlust", actionLater},
		{"renewal", actionLater},
		{"apply", actionFirst},
		{"reisepass", actionNone},
	} {
		if got := actionOf(tc.word); got != tc.want {
			t.Errorf("actionOf(%q) = %d, want %d", tc.word, got, tc.want)
		}
	}
}

// firstCase is a question and the page it should find first.
type firstCase struct{ q, want string }

// wantFirstDE searches each German question and wants its page first.
func wantFirstDE(t *testing.T, kb *KB, cases []firstCase) {
	t.Helper()
	for _, tc := range cases {
		hits := search(t, kb, Query{Text: tc.q, Language: "de"})
		if len(hits) == 0 || hits[0].Page.ID != tc.want {
			t.Errorf("Search(%q) = %v, want %s first", tc.q, hitIDs(hits), tc.want)
		}
	}
}
