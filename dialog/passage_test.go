package dialog_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/civibot/civibot/conversation"
	"github.com/civibot/civibot/dialog"
	"github.com/civibot/civibot/knowledge"
)

// passagePages are pages shaped like the ones the passage rules are for:
// one long unlabelled section each, the answer in the middle.
func passagePages() []knowledge.Page {
	desc := func(lines ...string) []knowledge.Section {
		return []knowledge.Section{{Kind: knowledge.SectionDescription, Text: strings.Join(lines, "\n")}}
	}
	return []knowledge.Page{
		{ID: "werkstatt", Title: "Kinder- und Jugendkulturwerkstatt", Language: "de", URL: "https://www.musterstadt.example/werkstatt", Sections: desc(
			"Dieser Projektraum ist eine Werkstatt für Kinder, Jugendliche und junge Erwachsene.",
			"Künstlerinnen und Handwerker begleiten bei der Nutzung von Material und Werkzeugen.",
			"Dort werden bestimmte Themen behandelt.",
			"Es gibt offene Programme, einzelne Workshops, Werkstattabende und Programme für Klassen.",
			"In der Holzwerkstatt bauen Kinder mit Säge, Hammer und Bohrer eigene Möbel, Spielzeug und Skulpturen aus Holz.",
			"Die Werkstatt für Keramik bietet Töpferscheiben und einen Brennofen für eigene Gefäße und Figuren.",
			"In der Medienwerkstatt entstehen Trickfilme, Hörspiele und Fotoprojekte mit professioneller Technik.",
			"Die Werkstattleiterinnen und Werkstattleiter haben eine künstlerische oder handwerkliche Ausbildung.",
			"Es gibt auch eine Fahrradwerkstatt und einen Aktionsraum.",
			"Für wen: Kinder im Alter von 7 bis 15 Jahren.",
			"Es gibt ein behindertengerechtes WC.",
			"Nikolaiplatz 1, Musterstadt.",
			"Donnerstag bis Samstag 14.30 bis 18.00 Uhr.",
		)},
		{ID: "verein", Title: "Netzwerk berufstätiger Frauen", Language: "de", URL: "https://www.musterstadt.example/netzwerk", Sections: desc(
			"Das Netzwerk berufstätiger Frauen ist eines der größten und ältesten Berufsnetzwerke für Frauen in Deutschland und gehört zu einem internationalen Dachverband mit Sitz in Genf, der seit vielen Jahrzehnten besteht.",
			"Vor Ort, national und international setzen sich seine ca.",
			"30.000 Mitglieder in rund 100 Ländern dafür ein, Frauen aller Hierarchiestufen und Branchen bei der Entwicklung ihres beruflichen Potenzials zu unterstützen, und tun dies auf vielfältige Weise.",
			"Neben Gesprächen, Vorträgen, Seminaren und Mentoring engagiert sich das Netzwerk auch in der Lobbyarbeit.",
			"Weitere Informationen",
			"Für wen: berufstätige Frauen.",
			"Der Mitgliedsbeitrag beträgt 155 Euro pro Jahr;",
			"die einmalige Anmeldegebühr beträgt 30 Euro.",
			"Interessierte Frauen können drei Veranstaltungen kostenlos besuchen.",
			"Die Treffen finden einmal im Monat in wechselnden Räumen in der Innenstadt statt, meist am ersten Dienstag.",
			"Bei jedem Treffen stellen Referentinnen aus Wirtschaft, Wissenschaft und Verwaltung ein Thema vor.",
			"Danach ist Zeit für Gespräche, Austausch und das Knüpfen von Kontakten in entspannter Atmosphäre.",
			"Netzwerke, Job, Karriere, Fortbildung, Mentoring, Gespräche",
		)},
		{ID: "schwarzarbeit", Title: "Illegale Beschäftigung", Language: "de", URL: "https://www.musterstadt.example/schwarzarbeit", Sections: desc(
			"Wer ohne Arbeitserlaubnis arbeitet, arbeitet illegal.",
			"Auch wer Sozialleistungen bekommt und eine Arbeit nicht meldet, arbeitet illegal.",
			"Es drohen Geld- und Haftstrafen.",
			"Informieren Sie immer die Stelle, von der Sie Leistungen beziehen, wenn Sie eine Arbeit aufnehmen möchten.",
			"Es ist erlaubt, während des Leistungsbezugs Geld zu verdienen; die Leistungen werden dann neu berechnet.",
			"Auch die Aufnahme einer Beschäftigung trotz eines Arbeitsverbots wird als illegale Beschäftigung bezeichnet.",
			"Arbeitgeber, die Menschen ohne Arbeitserlaubnis beschäftigen, müssen ebenfalls mit hohen Strafen rechnen.",
			"Wenn Sie die Aufenthaltsdauer überschreiten, ist Ihr Aufenthalt in Deutschland unerlaubt.",
			"Die Ausländerbehörde kann den Aufenthalt dann beenden.",
			"Eine Wiedereinreise ist nur möglich, wenn keine Wiedereinreisesperre besteht.",
			"Es kann auch zu einem gerichtlichen Strafverfahren kommen.",
			"Zusätzlich können Kosten für die Abschiebung entstehen, die Sie selbst tragen müssen.",
			"Beratung zu Ihren Rechten erhalten Sie bei den Beratungsstellen für Migrantinnen und Migranten in der Stadt.",
		)},
		{ID: "wohngeld", Title: "Wohngeld", Language: "de", URL: "https://www.musterstadt.example/wohngeld", Sections: desc(
			"Wohngeld ist ein Zuschuss zur Miete für Haushalte mit geringem Einkommen.",
			"Es wird als Mietzuschuss für Mieterinnen und Mieter oder als Lastenzuschuss für Eigentümerinnen und Eigentümer von selbst genutztem Wohnraum geleistet.",
			"Ob und in welcher Höhe Sie Wohngeld bekommen, hängt von der Zahl der Haushaltsmitglieder, dem Gesamteinkommen und der Höhe der Miete ab.",
			"Die Höhe der berücksichtigten Miete ist nach der Mietenstufe der Gemeinde und der Zahl der Haushaltsmitglieder begrenzt.",
			"Seit der Wohngeldreform enthält das Wohngeld auch eine Heizkostenkomponente und eine Klimakomponente.",
			"Wenn Sie bereits Unterstützung für Wohnkosten bekommen, zum Beispiel Bürgergeld oder Grundsicherung, können Sie kein Wohngeld bekommen.",
			"Auch Personen, die Leistungen nach dem Asylbewerberleistungsgesetz erhalten, können kein Wohngeld bekommen.",
			"Um Wohngeld zu bekommen, müssen Sie einen Antrag stellen und Nachweise einreichen.",
			"Genauere Informationen und Antragsformulare erhalten Sie an unserer Infothek.",
			"Sozialreferat, Bewilligungsstelle für Wohngeld",
			"Werinherstraße 87",
			"81541 Musterstadt",
			"Telefon 089 233-12345",
			"Montag 08:30 - 12:00",
			"Dienstag 08:30 - 12:00",
			"Mittwoch 08:30 - 12:00 und 15:00 - 17:00",
			"Donnerstag 08:30 - 12:00",
			"Freitag 08:30 - 12:00",
			"Ausgabe der Wartenummern bis 11:30",
			"Werinherstraße 89",
			"81541 Musterstadt",
			"Telefon 089 233-12346",
			"Montag 13:00 - 15:00",
			"Dienstag 13:00 - 15:00",
			"Donnerstag 13:00 - 18:00",
			"Rathausplatz 1",
			"81541 Musterstadt",
			"Telefon 089 233-12347",
			"Montag 07:30 - 12:00",
			"Freitag 07:30 - 12:00",
		)},
		{ID: "praktikum", Title: "Rechte und Pflichten im Praktikum", Language: "de", URL: "https://www.musterstadt.example/praktikum", Sections: desc(
			"Praktikumsvertrag",
			"Es muss kein Praktikumsvertrag gemacht werden.",
			"Es ist aber gut, einen Praktikumsvertrag zu haben.",
			"Arbeitszeit",
			"Unter 15 Jahren ist Arbeit generell verboten.",
			"Über 18 Jahre sollte die regelmäßige Arbeitszeit von 8 Stunden pro Tag gelten.",
			"Pausen",
			"Auch Personen im Praktikum dürfen und müssen Pause machen.",
			"Bei einer Arbeitszeit von mehr als 6 Stunden müssen 30 Minuten Pause gemacht werden.",
			"Krankheit",
			"Bei Krankheit informiert der Praktikant sofort den Praktikumsbetrieb.",
			"Oft brauchen Praktikanten ein Attest vom Arzt.",
			"Urlaub",
			"Im Pflichtpraktikum gibt es keinen Anspruch auf Urlaub.",
			"In einem freiwilligen Praktikum ist es möglich, Urlaub zu nehmen.",
			"Zeugnis",
			"Praktikanten haben einen Anspruch auf ein Praktikumszeugnis.",
			"Das Zeugnis hilft später in der Bewerbung für eine Ausbildung.",
			"Dolmetscher",
			"Für die Übersetzung im Betrieb vermittelt der Verein Dolmetscherinnen.",
			"Dolmetscherinnen, Übersetzung, Praktikum, Rechte",
		)},
		{ID: "gericht", Title: "Verwaltungsgericht Musterstadt", Language: "de", URL: "https://www.musterstadt.example/gericht", Sections: desc(
			"Das Verwaltungsgericht Musterstadt ist für den Regierungsbezirk zuständig.",
			"Wenn ein Asylantrag abgelehnt wird, können Sie in der Regel beim Verwaltungsgericht dagegen klagen.",
			"Das Gericht prüft die Entscheidung der Behörde.",
			"Kommt das Gericht zu einer anderen Entscheidung, kann es die Behörde verpflichten, Ihnen Schutz zu gewähren.",
			"Bestätigt es die Entscheidung, wird die Klage abgewiesen.",
			"Für die Klage empfehlen wir Ihnen, sich von einer Fachanwältin oder einem Fachanwalt für Asylrecht beraten und vertreten zu lassen.",
			"Die Beratung ist in vielen Fällen kostenlos, fragen Sie bei den Beratungsstellen für Geflüchtete nach.",
			"Verwaltungsgericht Musterstadt",
			"Bayerstraße 30",
			"poststelle@vg.musterstadt.example",
		)},
		{ID: "sprachbruecke", Title: "Sprachmittlung", Language: "de", URL: "https://www.musterstadt.example/sprachbruecke", Sections: desc(
			"Wer noch wenig Deutsch spricht, braucht bei Terminen in Ämtern, Schulen und Arztpraxen oft jemanden, der übersetzt.",
			"Einige Ämter haben eigene Sprachmittlerinnen und Sprachmittler; fragen Sie bei der Terminvereinbarung danach.",
			"Sprachbrücke",
			"Der Verein Sprachbrücke vermittelt ehrenamtliche Sprachmittlerinnen und Sprachmittler an Geflüchtete und Zugewanderte in Musterstadt.",
			"Die Sprachmittlerinnen und Sprachmittler begleiten zu Beratungen, zu Terminen bei Ämtern und Gerichten, zu Elternabenden und zu Arztbesuchen und übersetzen einfache Schreiben, für die keine beeidigte Übersetzung nötig ist.",
			"Sprachen: Arabisch, Dari, Englisch, Farsi, Französisch, Kurdisch, Paschtu, Russisch, Somali, Tigrinya, Türkisch, Ukrainisch und viele weitere Sprachen, die Ehrenamtliche aus vielen Ländern sprechen.",
			"Mehr erfahren",
			"Für wen: Geflüchtete und Zugewanderte mit Terminen im Stadtgebiet von Musterstadt.",
			"Anfragen bitte mindestens drei Werktage vorher stellen.",
			"Sprachbrücke e. V.",
			"Lindenweg 4",
			"info@sprachbruecke.example",
			"www.sprachbruecke.example",
		)},
		{ID: "mittagessen", Title: "Mittagessen in Kita und Schule", Language: "de", URL: "https://www.musterstadt.example/mittagessen", Sections: desc(
			"Kinder und Jugendliche in einer wirtschaftlichen oder sozialen Notlage bekommen das Mittagessen in Kita und Schule kostenlos.",
			"So geht es:",
			"1. Sie stellen beim Sozialbürgerhaus einen Antrag auf einen Zuschuss zum Mittagessen; das Formular gibt es im Schulsekretariat und im Sozialbürgerhaus.",
			"2. Den bewilligten Antrag geben Sie in der Schule oder in der Kita ab.",
			"3. Die Schule oder die Kita rechnet das Mittagessen dann direkt mit dem Sozialbürgerhaus ab, Sie bezahlen nichts.",
			"Für wen:",
			"Kinder und Jugendliche, deren Familie einen Musterstadt-Pass hat oder eine dieser Leistungen bekommt:",
			"• Bürgergeld",
			"• Wohngeld oder Kinderzuschlag",
			"• Leistungen nach dem Asylbewerberleistungsgesetz",
			"Unterlagen:",
			"Nachweise über Einkommen, Vermögen und Miete",
		)},
		{ID: "registrierung", Title: "Registrierung nach Ankunft", Language: "de", URL: "https://www.musterstadt.example/registrierung", Sections: desc(
			"Geflüchtete, die in privaten Wohnungen leben, werden beim Amt für Ausländerwesen registriert.",
			"Die Registrierung läuft so ab:",
			"1. Formular ausfüllen",
			"Du füllst das Formular für eine vereinfachte Erst-Registrierung aus.",
			"Ein paar Tage später bekommst Du per Post eine Bescheinigung.",
			"2. Vorsprache beim Amt",
			"Vereinbare einen persönlichen Vorsprache-Termin beim Amt über das Online-Terminsystem.",
			"Werden keine Termine angezeigt, sind alle Termine ausgebucht.",
			"Es werden regelmäßig neue Termine freigeschaltet.",
			"Für den Vorsprache-Termin brauchst Du:",
			"Reisepass und Geburtsurkunde",
			"Falls vorhanden: Zuweisungsbescheid für den Landkreis",
			"Biometrisches Lichtbild",
			"3. Wohnsitz anmelden",
			"Melde Deinen Wohnsitz bei Deiner Gemeinde an.",
		)},
		{ID: "nachhilfe", Title: "Nachhilfeunterricht - Allgemeine Informationen", Language: "de", URL: "https://www.musterstadt.example/nachhilfe", Sections: desc(
			"Nachhilfeunterricht oder Lernunterstützung ist eine zusätzliche Unterstützung für ein Schulfach außerhalb des Klassenzimmers.",
			"In der Regel müssen Sie dafür selbst aufkommen.",
			"Nachhilfeunterricht und Lernunterstützung sind zum Beispiel dann sinnvoll, wenn ein Schüler nicht in das nächste Schuljahr versetzt werden könnte, wenn sein Schulabschluss gefährdet ist oder wenn er viele der im Unterricht vermittelten Inhalte nicht kennt.",
			"Sprechen Sie mit den Lehrern der Schule und fragen Sie, ob Nachhilfeunterricht oder Lernunterstützung eine gute Idee ist.",
			"Vielleicht kann die Schule selbst dafür sorgen.",
			"In manchen Fällen ist es möglich, Lernförderung über das Bildungs- und Teilhabepaket zu erhalten.",
			"Sie können die Unterstützung in Ihrem Sozialbürgerhaus beantragen.",
		)},
		{ID: "discounter", Title: "Einkaufen im Supermarkt", Language: "de", URL: "https://www.musterstadt.example/einkaufen", Sections: desc(
			"In Supermärkten gibt es Lebensmittel, Getränke und Dinge für den Haushalt.",
			"Die meisten Supermärkte haben von Montag bis Samstag von 8 bis 20 Uhr geöffnet.",
			"Discounter gibt es in fast jedem Ort.",
		)},
	}
}

// TestPassageAnswersTheQuestion: the passage holds the sentence that
// answers, whatever the page's order: a compound's part in the title does
// not make the whole word the page's topic ("Fahrradwerkstatt" on a
// "…kulturwerkstatt" page), a run of unlikely sentences does not outweigh
// the one with the number asked for, an answer runs on past its budget
// while the sentences after it answer too, and the page's contact lines
// (address, phone, opening hours) answer only where or when; a definition
// question's answer holds the sentence that defines what it asks.
func TestPassageAnswersTheQuestion(t *testing.T) {
	e := pagesEngine(t, passagePages())
	for _, tc := range []struct {
		q, page string
		want    []string
	}{
		{"Gibt es eine Fahrradwerkstatt in der Kinder- und Jugendkulturwerkstatt?", "werkstatt", []string{"Es gibt auch eine Fahrradwerkstatt"}},
		{"Wie viele Mitglieder hat das Netzwerk berufstätiger Frauen ungefähr?", "verein", []string{"30.000 Mitglieder"}},
		{"Wer kann kein Wohngeld bekommen?", "wohngeld", []string{"Asylbewerberleistungsgesetz"}},
		// A compound that asks the aspect and names what it is about:
		// "Urlaubsanspruch" asks eligibility and names the holiday.
		{"Was bedeutet der Urlaubsanspruch im Praktikum?", "praktikum", []string{"keinen Anspruch auf Urlaub"}},
		{"Was passiert, wenn man die Aufenthaltsdauer überschreitet?", "schwarzarbeit", []string{
			"Wenn Sie die Aufenthaltsdauer überschreiten", "Die Ausländerbehörde kann den Aufenthalt dann beenden.",
			"Eine Wiedereinreise ist nur möglich", "Es kann auch zu einem gerichtlichen Strafverfahren kommen."}},
		// A definition question is answered with the sentence that
		// defines, though the sentences after it use its words again.
		{"Was ist Nachhilfeunterricht oder Lernunterstützung?", "nachhilfe", []string{
			"Nachhilfeunterricht oder Lernunterstützung ist eine zusätzliche Unterstützung für ein Schulfach"}},
	} {
		r := askDE(t, e, tc.q)
		if len(r.Sources) == 0 || r.Sources[0].PageID != tc.page {
			t.Errorf("%q: answered from %v, want %s", tc.q, r.Sources, tc.page)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(r.Text, w) {
				t.Errorf("%q:\n%s\nwant %q in the answer", tc.q, r.Text, w)
			}
		}
	}
}

// TestPlaceAnsweredWithContactBlock: "where is it" and "whom do I turn
// to" are answered with the page's contact block (the office's name, its
// street, its e-mail) when the passage the question's words pick holds
// none of it — each line of the block on a line of its own; a question
// that asks neither gets no address.
func TestPlaceAnsweredWithContactBlock(t *testing.T) {
	e := pagesEngine(t, passagePages())
	for _, tc := range []struct {
		q       string
		block   bool
		inProse string
	}{
		{"Wo befindet sich das Verwaltungsgericht Musterstadt?", true, "ist für den Regierungsbezirk zuständig"},
		{"An wen kann ich mich beim Verwaltungsgericht Musterstadt wenden?", true, ""},
		{"Was prüft das Verwaltungsgericht Musterstadt?", false, "Das Gericht prüft die Entscheidung der Behörde."},
	} {
		r := askDE(t, e, tc.q)
		if len(r.Sources) == 0 || r.Sources[0].PageID != "gericht" {
			t.Errorf("%q: answered from %v, want gericht", tc.q, r.Sources)
			continue
		}
		if tc.inProse != "" && !strings.Contains(r.Text, tc.inProse) {
			t.Errorf("%q:\n%s\nwant %q in the answer", tc.q, r.Text, tc.inProse)
		}
		has := strings.Contains(r.Text, "\nBayerstraße 30\npoststelle@vg.musterstadt.example")
		if has != tc.block {
			t.Errorf("%q:\n%s\ncontact block shown: %v, want %v", tc.q, r.Text, has, tc.block)
		}
	}
}

// TestShortAnswersWithContactAndLabel: an SMS or a call gets the page's
// contact block for "where" and "whom to turn to", and its "Für wen:"
// line for "who may", as a web chat does, within a short answer's
// budget: the passage's later sentences make room for them. Read out,
// the block's lines run on like a list's items and a line that is only a
// web address is left out.
func TestShortAnswersWithContactAndLabel(t *testing.T) {
	e := pagesEngine(t, passagePages())
	for _, tc := range []struct {
		style       dialog.Style
		q, page     string
		want, avoid []string
	}{
		{dialog.StyleShort, "Wo befindet sich das Verwaltungsgericht Musterstadt?", "gericht",
			[]string{"\nVerwaltungsgericht Musterstadt\nBayerstraße 30\npoststelle@vg.musterstadt.example"}, nil},
		{dialog.StyleSpoken, "Wo befindet sich das Verwaltungsgericht Musterstadt?", "gericht",
			[]string{"Verwaltungsgericht Musterstadt, Bayerstraße 30, poststelle@vg.musterstadt.example."}, nil},
		{dialog.StyleShort, "Was prüft das Verwaltungsgericht Musterstadt?", "gericht",
			[]string{"Das Gericht prüft die Entscheidung der Behörde."}, []string{"Bayerstraße"}},
		{dialog.StyleShort, "An wen kann ich mich beim Verein Sprachbrücke wenden?", "sprachbruecke",
			[]string{"Sprachbrücke e. V.\nLindenweg 4\ninfo@sprachbruecke.example\nwww.sprachbruecke.example"}, nil},
		{dialog.StyleSpoken, "An wen kann ich mich beim Verein Sprachbrücke wenden?", "sprachbruecke",
			[]string{"Sprachbrücke e. V., Lindenweg 4, info@sprachbruecke.example."}, []string{"www."}},
		{dialog.StyleShort, "Wer kann die Sprachmittler vom Verein Sprachbrücke in Anspruch nehmen?", "sprachbruecke",
			[]string{"\nFür wen: Geflüchtete und Zugewanderte mit Terminen im Stadtgebiet von Musterstadt."}, nil},
		{dialog.StyleSpoken, "Wer kann die Sprachmittler vom Verein Sprachbrücke in Anspruch nehmen?", "sprachbruecke",
			[]string{"Für wen: Geflüchtete und Zugewanderte mit Terminen im Stadtgebiet von Musterstadt."}, nil},
		{dialog.StyleShort, "Was machen die ehrenamtlichen Sprachmittler der Sprachbrücke?", "sprachbruecke",
			nil, []string{"Für wen:"}},
	} {
		r, err := e.Respond(context.Background(), dialog.Turn{Text: tc.q, Language: "de", Style: tc.style, Context: conversation.Context{Turns: 1}})
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Sources) == 0 || r.Sources[0].PageID != tc.page {
			t.Errorf("%s %q: answered from %v, want %s", tc.style, tc.q, r.Sources, tc.page)
			continue
		}
		quoted := 0
		for _, q := range r.Quotes {
			quoted += len([]rune(q))
		}
		// The style's budget (see limitsFor): an SMS must still fit its
		// segments with the link.
		if budget := map[dialog.Style]int{dialog.StyleShort: 280, dialog.StyleSpoken: 320}[tc.style]; quoted > budget {
			t.Errorf("%s %q: %d characters quoted, more than the %d of a %s answer:\n%s", tc.style, tc.q, quoted, budget, tc.style, r.Text)
		}
		wantInText(t, fmt.Sprintf("%s %q", tc.style, tc.q), r.Text, tc.want, tc.avoid)
	}
}

// wantInText reports each of want that text lacks and each of avoid that
// it holds.
func wantInText(t *testing.T, label, text string, want, avoid []string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(text, w) {
			t.Errorf("%s:\n%s\nwant %q in the answer", label, text, w)
		}
	}
	for _, a := range avoid {
		if strings.Contains(text, a) {
			t.Errorf("%s:\n%s\nwant no %q in the answer", label, text, a)
		}
	}
}

// TestEligibilityFromLabelledLine: who may use a service is answered by
// the page's "Für wen:" line also when the question's words pick the
// description above it; a question that asks something else does not get
// the line.
func TestEligibilityFromLabelledLine(t *testing.T) {
	e := pagesEngine(t, passagePages())
	const line = "\nFür wen: Geflüchtete und Zugewanderte mit Terminen im Stadtgebiet von Musterstadt."
	for _, tc := range []struct {
		q    string
		want bool
	}{
		{"Wer kann die Sprachmittler vom Verein Sprachbrücke in Anspruch nehmen?", true},
		{"Für wen sind die ehrenamtlichen Sprachmittler der Sprachbrücke?", true},
		{"Was machen die ehrenamtlichen Sprachmittler der Sprachbrücke?", false},
	} {
		r := askDE(t, e, tc.q)
		if len(r.Sources) == 0 || r.Sources[0].PageID != "sprachbruecke" {
			t.Errorf("%q: answered from %v, want sprachbruecke", tc.q, r.Sources)
			continue
		}
		if got := strings.Contains(r.Text, line); got != tc.want {
			t.Errorf("%q:\n%s\n\"Für wen\" line on its own line: %v, want %v", tc.q, r.Text, got, tc.want)
		}
	}
}

// TestEligibilityUnderLabel: a short label that ends with a colon ("Für
// wen:") heads the lines under it like a heading that names the aspect,
// so the answer to who may use the service starts there, also when the
// line after it is a list's lead rather than an item.
func TestEligibilityUnderLabel(t *testing.T) {
	e := pagesEngine(t, passagePages())
	q := "Wer kann einen Zuschuss zum Mittagessen in der Schule bekommen?"
	r := answeredFrom(t, e, q, "mittagessen")
	_, body, _ := strings.Cut(r.Text, "\n")
	if !strings.HasPrefix(body, "Für wen:") || !strings.Contains(body, "• Wohngeld oder Kinderzuschlag") {
		t.Errorf("%q:\n%s\nwant the answer to start with \"Für wen:\" and hold its list", q, r.Text)
	}
}

// TestDocumentsFromListWithoutBullets: what to bring is answered from the
// list a lead announces ("Für den Termin brauchst Du:") also when the page
// writes it without bullets.
func TestDocumentsFromListWithoutBullets(t *testing.T) {
	e := pagesEngine(t, passagePages())
	q := "Welche Unterlagen werden für die Registrierung benötigt?"
	r := answeredFrom(t, e, q, "registrierung")
	for _, w := range []string{"Reisepass und Geburtsurkunde", "Biometrisches Lichtbild"} {
		if !strings.Contains(r.Text, w) {
			t.Errorf("%q:\n%s\nwant %q in the answer", q, r.Text, w)
		}
	}
}

// TestKeywordLineNotQuoted: the bare list of search words that ends a
// page holds the question's words but is never part of the answer.
func TestKeywordLineNotQuoted(t *testing.T) {
	e := pagesEngine(t, passagePages())
	r := askDE(t, e, "Gibt es Dolmetscherinnen für die Übersetzung im Praktikum?")
	if len(r.Sources) == 0 || r.Sources[0].PageID != "praktikum" {
		t.Fatalf("answered from %v, want praktikum", r.Sources)
	}
	if strings.Contains(r.Text, "Dolmetscherinnen, Übersetzung") {
		t.Errorf("the keyword line is quoted:\n%s", r.Text)
	}
	if !strings.Contains(r.Text, "vermittelt der Verein Dolmetscherinnen") {
		t.Errorf("want the sentence about interpreters:\n%s", r.Text)
	}
}

// TestComparisonNotAnsweredByOneSide: "what is the difference between X
// and Y" is not answered by a page that only mentions them: it says the
// page does not answer, with the link, and offers a person.
func TestComparisonNotAnsweredByOneSide(t *testing.T) {
	e := pagesEngine(t, passagePages())
	r := askDE(t, e, "Was ist der Unterschied zwischen Discountern und Supermärkten?")
	if r.Decision.Kind != dialog.KindNotCovered || len(r.Sources) == 0 || r.Sources[0].PageID != "discounter" {
		t.Fatalf("a comparison: %s %v %q, want not covered with the shopping page's link", r.Decision.Kind, r.Sources, r.Text)
	}
	reasons := strings.Join(r.Decision.Reasons, "\n")
	if !strings.Contains(reasons, "a comparison") {
		t.Errorf("reasons do not name the comparison:\n%s", reasons)
	}
}

// TestProcedureNotFromTheTailOfAnotherSection: "How do I register my dog?"
// is answered from "How it works", not from the end of the deadlines
// before it.
func TestProcedureNotFromTheTailOfAnotherSection(t *testing.T) {
	e := sampleEngine(t)
	r, err := e.Respond(context.Background(), dialog.Turn{Text: "How do I register my dog?", Language: "en", Context: conversation.Context{Turns: 1}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(r.Text, "Register your dog online") || strings.Contains(r.Text, "If the dog dies") {
		t.Errorf("How do I register my dog?\n%s\nwant the steps without the deadline section's tail", r.Text)
	}
}

// TestOppositeServiceNotConfident: when the only page is the opposite
// service ("Wohnung abmelden" for a question about the Anmeldung), the
// bot does not answer confidently from it and says why.
func TestOppositeServiceNotConfident(t *testing.T) {
	e := pagesEngine(t, []knowledge.Page{
		{ID: "abmelden", Title: "Wohnung abmelden", Language: "de", URL: "https://www.musterstadt.example/abmelden", Sections: []knowledge.Section{
			{Kind: knowledge.SectionDescription, Text: "Wenn Sie ins Ausland ziehen, müssen Sie Ihre Wohnung abmelden. Zum Abmelden brauchen Sie Ihren Personalausweis. Abmelden können Sie sich persönlich oder schriftlich."},
			{Kind: knowledge.SectionDocuments, Heading: "Unterlagen", Text: "- Personalausweis oder Reisepass\n- Abmeldeformular"},
		}},
		{ID: "sperrmuell", Title: "Sperrmüll anmelden", Language: "de", URL: "https://www.musterstadt.example/sperrmuell", Sections: []knowledge.Section{
			{Kind: knowledge.SectionDescription, Text: "Sperrmüll holt die Stadtreinigung nach Terminvereinbarung ab."},
		}},
	})
	r := askDE(t, e, "Welche Unterlagen brauche ich für die Anmeldung einer Wohnung?")
	if r.Decision.Kind == dialog.KindAnswer && r.Decision.Confidence >= 0.8 {
		t.Fatalf("a confident answer (%.2f) from %v: %q", r.Decision.Confidence, r.Sources, r.Text)
	}
	if len(r.Sources) > 0 && r.Sources[0].PageID == "abmelden" && !strings.Contains(strings.Join(r.Decision.Reasons, "\n"), "opposite particle") {
		t.Errorf("reasons do not say why: %v", r.Decision.Reasons)
	}
}

// pagesEngine is an engine over a knowledge base of the given pages.
func pagesEngine(t *testing.T, pages []knowledge.Page) *dialog.Engine {
	t.Helper()
	kb, err := knowledge.Build(context.Background(), pages, knowledge.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { kb.Close() })
	e, err := dialog.NewEngine(dialog.Config{}, kb, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// answeredFrom asks q in German and stops the test unless the answer
// comes from the page with the given id.
func answeredFrom(t *testing.T, e *dialog.Engine, q, id string) dialog.Reply {
	t.Helper()
	r := askDE(t, e, q)
	if len(r.Sources) == 0 || r.Sources[0].PageID != id {
		t.Fatalf("%q: answered from %v, want %s", q, r.Sources, id)
	}
	return r
}

// askDE asks e a German question as the first turn of a conversation.
func askDE(t *testing.T, e *dialog.Engine, q string) dialog.Reply {
	t.Helper()
	r, err := e.Respond(context.Background(), dialog.Turn{Text: q, Language: "de", Context: conversation.Context{Turns: 1}})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// An answer links to the section its quote starts in, where the page gives
// that section an anchor; an answer from the opening text, and "the page
// does not say", link the page.
func TestAnswerLinksToSection(t *testing.T) {
	page := knowledge.Page{ID: "sperrmuell", Title: "Sperrmüll abholen lassen", Language: "de",
		URL: "https://www.musterstadt.example/sperrmuell",
		Sections: []knowledge.Section{
			{Kind: knowledge.SectionDescription, Text: "Die Stadtreinigung holt Sperrmüll und alte Möbel nach Termin bei Ihnen zu Hause ab. Bis zu fünf Kubikmeter nimmt sie pro Termin mit. " +
				"Zum Sperrmüll gehören Schränke, Sofas, Matratzen und Teppiche. Elektrogeräte, Bauschutt und Farben sind kein Sperrmüll. " +
				"Kühlschränke und Waschmaschinen holt die Stadtreinigung getrennt ab. Für Gartenabfälle gibt es die Biotonne und den Grünschnittplatz."},
			{Kind: knowledge.SectionFees, Heading: "Gebühren", Anchor: "gebuehren", Text: "Die Abholung von Sperrmüll kostet 30 Euro pro Termin. Mit dem Sozialpass zahlen Sie 15 Euro. " +
				"Jeder weitere Kubikmeter kostet 10 Euro. Sie bezahlen die Gebühr nach der Abholung mit dem Bescheid."},
			{Kind: knowledge.SectionProcedure, Heading: "Ablauf", Anchor: "ablauf", Text: "Sie buchen den Termin für die Sperrmüllabholung online oder am Telefon. " +
				"Sie nennen dabei die Gegenstände und ihre ungefähre Menge. Stellen Sie den Sperrmüll am Abholtag bis 7 Uhr an die Straße. " +
				"Stellen Sie ihn nicht früher als am Abend vorher hinaus. Was nicht angemeldet ist, bleibt stehen."},
		}}
	e := pagesEngine(t, []knowledge.Page{page})
	tests := []struct {
		q, kind, url string
	}{
		{"Was kostet die Abholung von Sperrmüll?", dialog.KindAnswer, page.URL + "#gebuehren"},
		{"Bis wann muss ich den Sperrmüll am Abholtag an die Straße stellen?", dialog.KindAnswer, page.URL + "#ablauf"},
		{"Holt die Stadtreinigung Sperrmüll und alte Möbel ab?", dialog.KindAnswer, page.URL},
		{"Was ist der Unterschied zwischen Sperrmüll und Bauschutt?", dialog.KindNotCovered, page.URL},
	}
	for _, tt := range tests {
		t.Run(tt.q, func(t *testing.T) {
			r := askDE(t, e, tt.q)
			if r.Decision.Kind != tt.kind || len(r.Sources) != 1 || r.Sources[0].URL != tt.url {
				t.Fatalf("%s, sources %+v; want %s linking %s\n%s\n%q", r.Decision.Kind, r.Sources, tt.kind, tt.url, r.Text, r.Decision.Reasons)
			}
		})
	}
}

// TestServiceRequest: asked for a service ("Ich brauche eine
// Meldebescheinigung für meinen Arbeitgeber"), the bot answers with how
// to get it; what the citizen adds about their case is not what the page
// must say. A request that also asks something is that question.
func TestServiceRequest(t *testing.T) {
	page := knowledge.Page{ID: "meldebescheinigung", Title: "Meldebescheinigung beantragen", Language: "de",
		URL: "https://www.musterstadt.example/meldebescheinigung",
		Sections: []knowledge.Section{
			{Kind: knowledge.SectionDescription, Text: "Die Meldebescheinigung enthält folgende Daten:\n- Vor- und Nachname\n- Doktorgrad\n- Geburtsdatum\n" +
				"- derzeitige Anschriften (Haupt- und Nebenwohnung)\nWenn Sie andere Daten nachweisen müssen, können Sie eine erweiterte Meldebescheinigung beantragen. " +
				"Die erweiterte Meldebescheinigung kann folgende zusätzliche Daten enthalten:\n- frühere Namen\n- Ordensname und Künstlername\n" +
				"- Geburtsort und bei Geburt im Ausland den Staat\n- Geschlecht\n- Staatsangehörigkeiten\n- frühere Anschriften\n- Familienstand\n" +
				"- Einzugsdatum und Auszugsdatum\nEine Meldebescheinigung für eine andere Person erhalten Sie nur mit einer Vollmacht dieser Person. " +
				"Die Meldebescheinigung wird in deutscher Sprache ausgestellt."},
			{Kind: knowledge.SectionProcedure, Heading: "Ablauf", Text: "Sie vereinbaren online oder telefonisch einen Termin im Bürgeramt. " +
				"Sie erscheinen persönlich zum Termin und beantragen die Meldebescheinigung. Sie erhalten die Meldebescheinigung sofort."},
			{Kind: knowledge.SectionFees, Heading: "Gebühren", Text: "Die Meldebescheinigung kostet 5 Euro."},
		}}
	// Other pages give the words of the question a vocabulary to be telling in.
	other := knowledge.Page{ID: "lohnsteuer", Title: "Lohnsteuer", Language: "de",
		Sections: []knowledge.Section{{Kind: knowledge.SectionDescription, Text: "Die Lohnsteuer zieht Ihr Arbeitgeber vom Lohn ab. Das Finanzamt berechnet die Lohnsteuer nach der Steuerklasse."}}}
	e := pagesEngine(t, []knowledge.Page{page, other})
	tests := []struct {
		q, want string
	}{
		{"Ich brauche eine Meldebescheinigung für meinen Arbeitgeber", "Sie vereinbaren online oder telefonisch einen Termin"},
		{"Ich brauche eine Meldebescheinigung für meinen Arbeitgeber, was kostet das?", "5 Euro"},
	}
	for _, tt := range tests {
		r := askDE(t, e, tt.q)
		if r.Decision.Kind != dialog.KindAnswer || len(r.Sources) == 0 || r.Sources[0].PageID != page.ID {
			t.Errorf("%q: %s from %v, want an answer from %s\n%s\n%q", tt.q, r.Decision.Kind, r.Sources, page.ID, r.Text, r.Decision.Reasons)
			continue
		}
		if !strings.Contains(r.Text, tt.want) {
			t.Errorf("%q:\n%s\nwant %q in the answer", tt.q, r.Text, tt.want)
		}
	}
}

// TestDefinitionOutsideTheAskedSection: "Was sind die Kosten für den
// Anwohnerparkausweis?" reads as a definition question, and a sentence of
// the description ("Die Kosten für den Anwohnerparkausweis sind …") as
// its definition, though the question names only the page's topic; the
// answer is kept to the fee section, which cannot hold that sentence, so
// the fee is shown without it — not "the page names no fee".
func TestDefinitionOutsideTheAskedSection(t *testing.T) {
	e := pagesEngine(t, []knowledge.Page{
		{ID: "park", Title: "Parkausweis für Anwohner", Language: "de", Sections: []knowledge.Section{
			{Kind: knowledge.SectionOther, Text: "Die Kosten für den Anwohnerparkausweis sind in jedem Bezirk gleich.\nSie beantragen ihn im Bürgeramt."},
			{Kind: knowledge.SectionFees, Heading: "Gebühren", Text: "Die Gebühr beträgt 10,20 Euro für zwei Jahre."},
		}},
		{ID: "hund", Title: "Hund anmelden", Language: "de", Sections: []knowledge.Section{
			{Kind: knowledge.SectionOther, Text: "Den Hund melden Sie beim Finanzamt an."},
		}},
	})
	q := "Was sind die Kosten für den Anwohnerparkausweis?"
	r := askDE(t, e, q)
	if r.Decision.Kind != dialog.KindAnswer || !strings.Contains(r.Text, "10,20 Euro") {
		t.Errorf("%q: %s %q, want an answer with the fee", q, r.Decision.Kind, r.Text)
	}
}

// TestNumberedStepsKeepTheirNumbers: a page's numbered list (the steps of
// a procedure) is shown with the page's numbers, a bulleted one with
// bullets; SMS and voice run the items into one sentence without them.
func TestNumberedStepsKeepTheirNumbers(t *testing.T) {
	e := sampleEngine(t)
	for _, tc := range []struct {
		style     dialog.Style
		q         string
		want, not []string
	}{
		{dialog.StyleFull, "Wie läuft die Beantragung eines Personalausweises ab?",
			[]string{"\n1. Buchen Sie einen Termin im Bürgerbüro", "\n2. Beim Termin nimmt das Bürgerbüro"}, []string{"• Buchen Sie"}},
		{dialog.StyleShort, "Wie läuft die Beantragung eines Personalausweises ab?",
			[]string{"Buchen Sie einen Termin im Bürgerbüro"}, []string{"1. Buchen", "2. Beim"}},
	} {
		r, err := e.Respond(context.Background(), dialog.Turn{Text: tc.q, Language: "de", Style: tc.style, Context: conversation.Context{Turns: 1}})
		if err != nil {
			t.Fatal(err)
		}
		wantInText(t, fmt.Sprintf("%s %q", tc.style, tc.q), r.Text, tc.want, tc.not)
	}
}

// TestCutListSaysHowManyMore: an answer that shows only the first items
// of a page's list says how many more the page lists, so that three of
// twelve documents do not read as the whole list; a list shown whole, and
// SMS and voice answers (which run a list into one sentence), say nothing
// of the kind.
func TestCutListSaysHowManyMore(t *testing.T) {
	var docs []string
	for i := 1; i <= 12; i++ {
		docs = append(docs, fmt.Sprintf("- Nachweis Nummer %d über die Eignung der Betriebsräume, ausgestellt von der zuständigen Stelle", i))
	}
	e := pagesEngine(t, []knowledge.Page{
		{ID: "gaststaette", Title: "Gaststättenerlaubnis beantragen", Language: "de", URL: "https://www.musterstadt.example/gaststaette", Sections: []knowledge.Section{
			{Kind: knowledge.SectionDescription, Text: "Wer eine Gaststätte mit Alkoholausschank betreiben will, braucht eine Gaststättenerlaubnis."},
			{Kind: knowledge.SectionDocuments, Heading: "Unterlagen", Text: strings.Join(docs, "\n")},
		}},
		{ID: "hund", Title: "Hund anmelden", Language: "de", URL: "https://www.musterstadt.example/hund", Sections: []knowledge.Section{
			{Kind: knowledge.SectionDescription, Text: "Wer einen Hund hält, muss ihn innerhalb von zwei Wochen anmelden."},
			{Kind: knowledge.SectionDocuments, Heading: "Unterlagen", Text: "- Personalausweis\n- Nachweis der Haftpflichtversicherung"},
		}},
	})
	r := answeredFrom(t, e, "Welche Unterlagen brauche ich für die Gaststättenerlaubnis?", "gaststaette")
	shown := strings.Count(r.Text, "\n• Nachweis Nummer")
	if shown == 0 || shown == 12 {
		t.Fatalf("want some but not all of the twelve documents shown:\n%s", r.Text)
	}
	if want := fmt.Sprintf("\n… und %d weitere auf der Seite", 12-shown); !strings.Contains(r.Text, want) {
		t.Errorf("the answer shows %d of 12 documents:\n%s\nwant %q", shown, r.Text, want)
	}
	r = answeredFrom(t, e, "Welche Unterlagen brauche ich für die Hundeanmeldung?", "hund")
	if !strings.Contains(r.Text, "Nachweis der Haftpflichtversicherung") || strings.Contains(r.Text, "weitere auf der Seite") {
		t.Errorf("a list shown whole:\n%s", r.Text)
	}
	for _, style := range []dialog.Style{dialog.StyleShort, dialog.StyleSpoken} {
		r, err := e.Respond(context.Background(), dialog.Turn{Text: "Welche Unterlagen brauche ich für die Gaststättenerlaubnis?", Language: "de", Style: style, Context: conversation.Context{Turns: 1}})
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(r.Text, "weitere auf der Seite") {
			t.Errorf("%s: %s", style, r.Text)
		}
	}
}
