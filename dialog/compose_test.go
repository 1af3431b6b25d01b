package dialog

import (
	"context"
	"maps"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/civibot/civibot/knowledge"
)

func TestSplitSentences(t *testing.T) {
	tests := []struct {
		name string
		text string
		want []string
	}{
		{"plain", "Der Ausweis kostet 37,00 Euro. Er gilt zehn Jahre.", []string{"Der Ausweis kostet 37,00 Euro.", "Er gilt zehn Jahre."}},
		{"abbreviations", "Bringen Sie z. B. Ihren Pass mit. Das Amt ist Mo. bis Fr. geöffnet.", []string{"Bringen Sie z. B. Ihren Pass mit.", "Das Amt ist Mo. bis Fr. geöffnet."}},
		{"dates and ordinals", "Ab dem 1. März gilt die Regel. Danach nicht.", []string{"Ab dem 1. März gilt die Regel.", "Danach nicht."}},
		{"ordinal before a noun", "Ab dem 16. Lebensjahr brauchen Sie einen Ausweis. Im 2. Stock.", []string{"Ab dem 16. Lebensjahr brauchen Sie einen Ausweis.", "Im 2. Stock."}},
		{"number at a sentence end", "Der Ausweis kostet 22,80 Euro für Personen unter 24. Ein Foto kostet 6 Euro.", []string{"Der Ausweis kostet 22,80 Euro für Personen unter 24.", "Ein Foto kostet 6 Euro."}},
		{"lowercase after dot stays", "Gebühr: ca. 20 Euro. bitte bar.", []string{"Gebühr: ca. 20 Euro. bitte bar."}},
		{"question and exclamation", "Umgezogen? Melden Sie sich an! Das geht online.", []string{"Umgezogen?", "Melden Sie sich an!", "Das geht online."}},
		{"english", "The fee is EUR 37.00. Bring your old card, e.g. your ID. Done.", []string{"The fee is EUR 37.00.", "Bring your old card, e.g. your ID.", "Done."}},
		{"line broken after an abbreviation", "Diese muss ggf.\nim Krankenhaus behandelt werden.\nDanach nicht.", []string{"Diese muss ggf. im Krankenhaus behandelt werden.", "Danach nicht."}},
		{"line broken after z. B.", "Bringen Sie Nachweise (z. B.\nLohnabrechnungen) mit.", []string{"Bringen Sie Nachweise (z. B. Lohnabrechnungen) mit."}},
		{"street and number", "Dachauer Str.\n90", []string{"Dachauer Str. 90"}},
		{"a sentence that ends with etc. ends the line", "Bringen Sie Pass, Foto etc.\nDas Amt ist Mo. bis Fr. geöffnet.", []string{"Bringen Sie Pass, Foto etc.", "Das Amt ist Mo. bis Fr. geöffnet."}},
		{"a list item after a broken line stays an item", "Sie brauchen ggf.\n- einen Pass", []string{"Sie brauchen ggf.", "einen Pass"}},
		{"line broken after an ordinal", "Die Realschule geht von der 5. bis zur 10.\nKlasse.\nSie vermittelt Bildung.", []string{"Die Realschule geht von der 5. bis zur 10. Klasse.", "Sie vermittelt Bildung."}},
		{"ordinals broken in brackets", "Das Gymnasium (5.\nbis 12./13.\nKlasse) bereitet vor.", []string{"Das Gymnasium (5. bis 12./13. Klasse) bereitet vor."}},
		{"a number at a line end ends it", "Die Gebühr beträgt 10.\nSie zahlen bar.\nAm 3.\n- Liste", []string{"Die Gebühr beträgt 10.", "Sie zahlen bar.", "Am 3.", "Liste"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, s := range splitSentences(tt.text) {
				got = append(got, s.text)
			}
			if strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestSplitSentencesListItems(t *testing.T) {
	got := splitSentences("Bitte bringen Sie mit:\n- Ihren alten Ausweis\n- ein biometrisches Passfoto\n* die Geburtsurkunde\n1. Formular")
	if len(got) != 5 || got[0].item || !got[1].item || got[2].text != "ein biometrisches Passfoto" || !got[4].item || got[4].text != "Formular" {
		t.Fatalf("got %+v", got)
	}
}

func TestDetectAspect(t *testing.T) {
	rules := newAspectRules()
	tests := map[string]aspect{
		"Was kostet ein Personalausweis?":                                        aspectFees,
		"wie teuer ist der reisepass":                                            aspectFees,
		"How much is a residents' parking permit":                                aspectFees,
		"Welche Unterlagen brauche ich?":                                         aspectDocuments,
		"what documents do I need":                                               aspectDocuments,
		"Was braucht man, um ein Bankkonto zu eröffnen?":                         aspectDocuments,
		"we just had a baby what do we need to register":                         aspectDocuments,
		"Wie lange dauert das?":                                                  aspectDuration,
		"Gibt es eine Frist für die Anmeldung?":                                  aspectDeadline,
		"how long is my passport valid":                                          aspectDeadline,
		"Wo kann ich mich ummelden?":                                             aspectPlace,
		"Ab welchem Alter darf ich wählen?":                                      aspectAge,
		"ab welchem alter brauche ich einen ausweis":                             aspectAge,
		"Mein alter Diesel darf nicht in die Umweltzone, gibt es eine Ausnahme?": aspectNone,
		"Can I alter my application after I sent it?":                            aspectNone,
		"opening hours of the citizens' office":                                  aspectHours,
		"Wann hat das Bürgeramt geöffnet?":                                       aspectHours,
		"Wie erreiche ich das Standesamt telefonisch?":                           aspectContact,
		"Kann ich das online erledigen?":                                         aspectOnline,
		"Wer darf Wohngeld bekommen?":                                            aspectEligibility,
		"Wie beantrage ich Kindergeld?":                                          aspectProcedure,
		"Wie bekomme ich einen Auszug aus dem Gewerbezentralregister?":           aspectProcedure,
		"Bekomme ich Wohngeld?":                                                  aspectEligibility,
		"Ich bin umgezogen, wie ändere ich die Adresse im Fahrzeugschein?":       aspectProcedure,
		"Ich brauche eine Meldebescheinigung für meinen Arbeitgeber":             aspectProcedure,
		"Ich will mein Gewerbe abmelden, was kostet das?":                        aspectFees,
		"How do I change my address?":                                            aspectProcedure,
		"Wo kann ich meine Adresse ändern?":                                      aspectPlace,
		"Wie lautet die Adresse des Bürgeramts?":                                 aspectPlace,
		"Hundesteuer": aspectNone,
		"Ab welchem Alter brauche ich einen Ausweis?":                aspectAge,
		"How old do you have to be to get a licence?":                aspectAge,
		"Wie lange kann ich mit dem Visum bleiben?":                  aspectDuration,
		"Wie lange habe ich Zeit für die Ummeldung?":                 aspectDeadline,
		"Wie viele Beratungsstellen gibt es?":                        aspectCount,
		"How many people live in the district?":                      aspectCount,
		"Wie viel kostet der Führerschein?":                          aspectFees,
		"Wann beginnt das Schuljahr?":                                aspectWhen,
		"When does the new school year start?":                       aspectWhen,
		"Wann hat das Bürgerbüro geöffnet?":                          aspectHours,
		"Wann bekomme ich meinen Ausweis?":                           aspectDuration,
		"Wie läuft die Anerkennung eines Abschlusses ab?":            aspectProcedure,
		"Wann läuft mein Reisepass ab?":                              aspectDeadline,
		"Welche Voraussetzungen brauche ich für die Fachakademie?":   aspectEligibility,
		"Wie kann ich Unterstützung bei der Wohnungssuche bekommen?": aspectProcedure,
		"Kann ich Wohngeld bekommen?":                                aspectEligibility,
		"Wie kann ich mich an eine Selbsthilfegruppe wenden?":        aspectContact,
		"Was brauche ich für einen Reisepass?":                       aspectDocuments,
		"Welche Papiere benötige ich für die Anmeldung?":             aspectDocuments,
		"Brauche ich einen Termin beim Bürgeramt?":                   aspectNone,
		"What are the prerequisites for joining the course?":         aspectEligibility,
		"What age is the leisure group intended for?":                aspectAge,
		"Welche Zielgruppe spricht das Portal an?":                   aspectEligibility,
		"Für welche Frauen sind die Frauenhäuser gedacht?":           aspectEligibility,
		"Für welche Schäden gilt die Haftpflichtversicherung?":       aspectNone,
		"For whom is the language café intended?":                    aspectEligibility,
		// An attributive "persönlich" names a thing, not the way to go.
		"Wer wird bei der persönlichen Anhörung anwesend sein?": aspectNone,
		"Muss ich persönlich erscheinen?":                       aspectOnline,
		// "addressed" is no address; "unbefristet" no deadline.
		"Which target group is addressed by the programme?":       aspectEligibility,
		"What is the address of the immigration office?":          aspectPlace,
		"Kann ein unbefristetes Aufenthaltsrecht verloren gehen?": aspectNone,
		"Welche Kündigungsfrist gilt für mich?":                   aspectDeadline,
		// Who helps asks where to turn; who receives help, who may.
		"Wer kann mir bei der Registrierung helfen?":             aspectPlace,
		"Who can offer support if I disagree with the decision?": aspectPlace,
		"Who can receive support from the youth office?":         aspectEligibility,
		"Wer kann Unterstützung vom Amt für Jugend erhalten?":    aspectEligibility,
		"For which pupils is there a special payment?":           aspectEligibility,
		// A phone as a thing, rules that apply, a court that reaches a decision.
		"What are the two different cell phone contracts?":  aspectNone,
		"What is the phone number of the citizens' office?": aspectContact,
		"What rules apply to cyclists?":                     aspectNone,
		"What if the court reaches a different decision?":   aspectNone,
	}
	for q, want := range tests {
		if got := detectAspect(rules, q); got != want {
			t.Errorf("detectAspect(%q) = %q, want %q", q, got, want)
		}
	}
}

func TestRenderStyles(t *testing.T) {
	p := passage{sentences: []sentence{
		{text: "Bitte bringen Sie mit:"},
		{text: "Ihren alten Ausweis", item: true},
		{text: "ein Passfoto", item: true},
	}}
	full := render("Personalausweis", p, StyleFull, limitsFor(StyleFull), nil)
	if full != "Personalausweis\nBitte bringen Sie mit:\n• Ihren alten Ausweis\n• ein Passfoto" {
		t.Errorf("full = %q", full)
	}
	spoken := render("Personalausweis", p, StyleSpoken, limitsFor(StyleSpoken), nil)
	if spoken != "Bitte bringen Sie mit: Ihren alten Ausweis, ein Passfoto." {
		t.Errorf("spoken = %q", spoken)
	}
}

// TestRenderJoinsBrokenSentence: a sentence the page broke over two lines
// where a link was ("finden Sie" / "hier.") reads as one sentence; lines
// that are not its continuation stay on lines of their own.
func TestRenderJoinsBrokenSentence(t *testing.T) {
	for _, tc := range []struct {
		name  string
		sents []sentence
		want  string
	}{
		{"link text on its own line", []sentence{
			{text: "Die Standorte der Bibliotheken finden Sie", pos: 3},
			{text: "hier.", pos: 4},
		}, "Bücherei\nDie Standorte der Bibliotheken finden Sie hier."},
		{"English too", []sentence{
			{text: "You can find", section: 1, pos: 0},
			{text: "our courses here.", section: 1, pos: 1},
			{text: "They are free.", section: 1, pos: 2},
		}, "Bücherei\nYou can find our courses here. They are free."},
		{"not the next line of the page", []sentence{
			{text: "Die Standorte der Bibliotheken finden Sie", pos: 3},
			{text: "hier.", pos: 5},
		}, "Bücherei\nDie Standorte der Bibliotheken finden Sie\nhier."},
		{"another section", []sentence{
			{text: "Die Standorte der Bibliotheken finden Sie", section: 0, pos: 3},
			{text: "hier.", section: 1, pos: 4},
		}, "Bücherei\nDie Standorte der Bibliotheken finden Sie\nhier."},
		{"after a heading", []sentence{
			{text: "Angebot und Anmeldung", heading: true},
			{text: "hier heruntergeladen werden.", pos: 1},
		}, "Bücherei\nAngebot und Anmeldung\nhier heruntergeladen werden."},
		{"a label line and a lower-case line that ends no sentence", []sentence{
			{text: "Mittwoch", pos: 0},
			{text: "geschlossen", pos: 1},
		}, "Bücherei\nMittwoch\ngeschlossen"},
		{"lines of a list the page did not mark", []sentence{
			{text: "Nachweise:", pos: 0},
			{text: "das Jahreseinkommen aller Haushaltsmitglieder", pos: 1},
			{text: "die Miete.", pos: 2},
		}, "Bücherei\nNachweise:\ndas Jahreseinkommen aller Haushaltsmitglieder\ndie Miete."},
		{"a one-word line before", []sentence{
			{text: "Meldebescheinigung", pos: 0},
			{text: "alle Dokumente Ihres Kindes.", pos: 1},
		}, "Bücherei\nMeldebescheinigung\nalle Dokumente Ihres Kindes."},
		{"a mail address", []sentence{
			{text: "Schreiben Sie an", pos: 0},
			{text: "info@stadt.example.", pos: 1},
		}, "Bücherei\nSchreiben Sie an\ninfo@stadt.example."},
		{"a contact line", []sentence{
			{text: "Bürgerbüro Mitte", pos: 0, contact: true},
			{text: "im zweiten Stock.", pos: 1, contact: true},
		}, "Bücherei\nBürgerbüro Mitte\nim zweiten Stock."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for i := range tc.sents {
				tc.sents[i].folded = fold(tc.sents[i].text)
			}
			got := render("Bücherei", passage{sentences: tc.sents}, StyleFull, limitsFor(StyleFull), nil)
			if got != tc.want {
				t.Errorf("render = %q, want %q", got, tc.want)
			}
		})
	}
}

// TestHeadingNotGluedToNextSentence: a line of the page that does not end
// a sentence (a heading or label) stays on its own line in the answer.
func TestHeadingNotGluedToNextSentence(t *testing.T) {
	for _, tc := range []struct {
		parts []string
		want  string
	}{
		{[]string{"Sie zahlen 37 Euro.", "Das gilt für alle."}, "Sie zahlen 37 Euro. Das gilt für alle."},
		{[]string{"Links im Internet", "Die Fotomustertafel zeigt die Regeln."}, "Links im Internet\nDie Fotomustertafel zeigt die Regeln."},
		{[]string{"Gültigkeitsdauer: 6 Jahre", "Bemerkung: unter 24 Jahre"}, "Gültigkeitsdauer: 6 Jahre\nBemerkung: unter 24 Jahre"},
		{[]string{"Bitte bringen Sie mit:", "Ihren Ausweis."}, "Bitte bringen Sie mit: Ihren Ausweis."},
		{[]string{`Er sagte „Ja.“`, "Dann ging er."}, `Er sagte „Ja.“ Dann ging er.`},
		{[]string{"Die Ausreisefrist beträgt eine Woche.", "Anfechtung", "Sie können klagen."}, "Die Ausreisefrist beträgt eine Woche.\nAnfechtung\nSie können klagen."},
		{[]string{"Das Gericht prüft die Entscheidung.", "Verwaltungsgericht München", "Bayerstraße 30"}, "Das Gericht prüft die Entscheidung.\nVerwaltungsgericht München\nBayerstraße 30"},
	} {
		var b strings.Builder
		for _, p := range tc.parts {
			appendSentence(&b, p)
		}
		if got := b.String(); got != tc.want {
			t.Errorf("%q → %q, want %q", tc.parts, got, tc.want)
		}
	}
}

// What a sentence that answers an aspect looks like: "where" names a place
// to go or ask (an office, a town hall, a counselling centre, a website),
// "how long" a span of time in numbers or words, "how much" money or
// paying, "when" a date or an appointment, "how to reach" a way to get in
// touch; not every sentence does.
func TestAspectCues(t *testing.T) {
	rules := newAspectRules()
	tests := []struct {
		a        aspect
		sentence string
		want     bool
	}{
		{aspectPlace, "Ask at your local town hall for an open meeting place or café.", true},
		{aspectPlace, "You can get professional support from specialists in addiction counselling centres.", true},
		{aspectPlace, "The contact point of the district office provides advice free of charge.", true},
		{aspectPlace, "Wenden Sie sich an die Beratungsstelle der Caritas.", true},
		{aspectPlace, "Informationen finden Sie auf der Webseite des Landratsamts.", true},
		{aspectPlace, "Das Jobcenter hilft Ihnen bei der Suche.", true},
		{aspectPlace, "Sie bekommen dort Hilfe in vielen Sprachen.", false},
		{aspectPlace, "They have different names: intercultural meeting café, café international.", false},
		{aspectPlace, "Informationen zum Aufnahmeverfahren erhalten Sie direkt bei der jeweiligen Schule.", true},
		{aspectPlace, "Bike stores can repair your bike.", true},
		{aspectPlace, "The U1 usually takes place in the maternity clinic.", true},
		{aspectPlace, "In practice this rarely happens.", false},
		{aspectEligibility, "Alle Kinder und Jugendlichen in München können sie nutzen.", true},
		{aspectEligibility, "Jede betroffene Person kann daran teilnehmen.", true},
		{aspectEligibility, "Counselling is available to pupils, trainees and students.", true},
		{aspectEligibility, "Die Beratung findet im Rathaus statt.", false},
		{aspectDuration, "Der Mindestabstand zwischen den beiden Impfungen beträgt vier Wochen.", true},
		{aspectDuration, "The apprenticeship lasts two to three and a half years, depending on the profession.", true},
		{aspectDuration, "Duration: 4 years.", true},
		{aspectDuration, "Die Schule hat viele Angebote am Nachmittag.", false},
		{aspectDuration, "Der Pass ist nach einer Woche fertig.", true},
		{aspectDeadline, "Melden Sie den Umzug innerhalb von zwei Wochen.", true},
		{aspectDeadline, "Melden Sie den Umzug nach 14 Tagen.", true},
		{aspectDeadline, "Die Kinder essen dreimal am Tag, einmal in der Woche gibt es Fisch.", false},
		{aspectDeadline, "Take one tablet a day.", false},
		{aspectFees, "Das muss meistens selbst bezahlt werden.", true},
		{aspectFees, "Mitmachen kostet kein Geld.", true},
		{aspectFees, "You usually have to pay for this yourself.", true},
		{aspectFees, "Sie können die Unterstützung im Sozialbürgerhaus beantragen.", false},
		{aspectWhen, "Die Termine werden den Eltern in einem Schreiben mitgeteilt.", true},
		{aspectWhen, "You will receive a payslip after the first month.", true},
		{aspectWhen, "Die Eltern sprechen mit den Lehrkräften.", false},
		{aspectContact, "Wenn Sie Gefahr laufen, Ihre Wohnung zu verlieren, können Sie sich an die Fachstelle wenden.", true},
		{aspectContact, "Notruf Polizei: 110", true},
		{aspectContact, "As an EU citizen you can turn to the Fair Mobility advice centre.", true},
		{aspectContact, "Die Fachstelle berät zu Mietrückständen.", false},
		{aspectProcedure, "Wenn Sie Interesse an einem Ehrenamt haben, können Sie sich an die Kommune wenden.", true},
		{aspectProcedure, "If you are interested in volunteering, you can contact the municipality where you live.", true},
		{aspectProcedure, "Das Ehrenamt ist für alle wichtig.", false},
		{aspectAge, "A leisure group for everyone between the ages of 14 and 27.", true},
		{aspectAge, "We meet every second Tuesday.", false},
		{aspectEligibility, "Who for: all refugees with an appointment in Munich.", true},
	}
	for _, tt := range tests {
		if got := ruleOf(rules, tt.a).cue.MatchString(fold(tt.sentence)); got != tt.want {
			t.Errorf("%s cue in %q = %v, want %v", tt.a, tt.sentence, got, tt.want)
		}
	}
}

// TestLabelLines: which lines state an aspect after a label (labelFor)
// and which labels head the lines under them (labelLead with the aspect's
// heading pattern).
func TestLabelLines(t *testing.T) {
	for _, tt := range []struct {
		a            aspect
		line         string
		states, lead bool
	}{
		{aspectEligibility, "Für wen: alle Geflüchteten mit Terminen in München.", true, false},
		{aspectEligibility, "Who for: Young men aged between 16 and 23.", true, false},
		{aspectAge, "Für wen: Junge Männer zwischen 16 und 23 Jahren.", true, false},
		{aspectEligibility, "Für wen:", false, true},
		{aspectEligibility, "Who’s it for:", false, true},
		{aspectEligibility, "Voraussetzungen (Auswahl):", false, true},
		{aspectEligibility, "Kosten: ggf. Transportkosten zur Anreise", false, false},
		{aspectEligibility, "Wichtig: Die Anfragen müssen 48 Stunden vorher gestellt werden.", false, false},
		{aspectEligibility, "Für wen: alle", false, false},
		{aspectPlace, "an folgende Adresse schicken:", false, false}, // four words: no label
	} {
		s := sentence{text: tt.line, folded: fold(tt.line)}
		if got := labelFor(s, labelled[tt.a]); got != tt.states {
			t.Errorf("labelFor(%q, %s) = %v, want %v", tt.line, tt.a, got, tt.states)
		}
		if got := labelLead(s) && aspectHeadings[tt.a].MatchString(s.folded); got != tt.lead {
			t.Errorf("%q heads the %s lines under it: %v, want %v", tt.line, tt.a, got, tt.lead)
		}
	}
}

// TestKeywordLine: a page's last line that only lists search words is not
// one of its sentences; a list the line before introduces is.
func TestKeywordLine(t *testing.T) {
	for _, tt := range []struct {
		lines []string
		last  string // the last sentence analysed
	}{
		{[]string{"Die Beratung ist kostenlos.", "Suchthilfe, Alkohol, Suchtprävention"}, "Die Beratung ist kostenlos."},
		{[]string{"Wir helfen gern.", "Treffpunkt für Frauen, Freizeit, Mütter"}, "Wir helfen gern."},
		{[]string{"In folgenden Sprachen:", "Deutsch, Englisch, Arabisch"}, "Deutsch, Englisch, Arabisch"},
		{[]string{"Die Beratung ist kostenlos.", "Alkohol, Drogen"}, "Alkohol, Drogen"},                                               // two are no list
		{[]string{"Die Beratung ist kostenlos.", "Montag, Dienstag, Freitag 9 bis 12 Uhr"}, "Montag, Dienstag, Freitag 9 bis 12 Uhr"}, // digits
		{[]string{"Die Beratung ist kostenlos.", "Sie beraten, helfen, begleiten."}, "Sie beraten, helfen, begleiten."},               // a sentence
		{[]string{"Suchthilfe, Alkohol, Suchtprävention"}, "Suchthilfe, Alkohol, Suchtprävention"},                                    // the only line
	} {
		page := &knowledge.Page{Sections: []knowledge.Section{{Kind: knowledge.SectionDescription, Text: strings.Join(tt.lines, "\n")}}}
		ps := analyze(page, func(string) []knowledge.Concept { return nil })
		sents := ps[len(ps)-1]
		if got := sents[len(sents)-1].text; got != tt.last {
			t.Errorf("%q: last sentence %q, want %q", tt.lines, got, tt.last)
		}
	}
}

// TestAspectCompoundNamesMore: a question word that asks the aspect counts
// like the page's topic ("Gebühren" in a fee question is rarely in the
// sentence that names the fee), unless it is a compound that also names
// what it is about ("Urlaubsanspruch": the holiday; "Fahrtkosten": the
// fare): that one is telling like any other word.
func TestAspectCompoundNamesMore(t *testing.T) {
	page := knowledge.Page{ID: "p", Title: "Rechte im Praktikum", Language: "de", Sections: []knowledge.Section{{Kind: knowledge.SectionDescription,
		Text: "Im Pflichtpraktikum gibt es keinen Anspruch auf Urlaub.\nDie Fahrt zum Betrieb kostet nichts.\nDie Gebühren zahlt der Betrieb.\nEs gibt Kosten für die Fahrt."}}}
	e, p := onePageEngine(t, page)
	for _, tt := range []struct {
		question, word string
		topic          bool
	}{
		{"Was bedeutet der Urlaubsanspruch im Praktikum?", "urlaubsanspruch", false},
		{"Wer zahlt die Fahrtkosten?", "fahrtkosten", false},
		{"Wie hoch sind die Gebühren?", "gebühren", true},
		{"Gibt es einen Anspruch?", "anspruch", true},
	} {
		q := e.newQuestion(tt.question, "de", detectAspect(e.aspects, tt.question), p)
		found := false
		for i, c := range q.concepts {
			if c.Word == tt.word {
				found = true
				if q.topic[i] != tt.topic {
					t.Errorf("%q: %q counts as topic %v, want %v (aspect %s, terms %v)", tt.question, tt.word, q.topic[i], tt.topic, q.aspect, c.Terms)
				}
			}
		}
		if !found {
			t.Errorf("%q: no concept %q", tt.question, tt.word)
		}
	}
}

// TestBlockHeading: a sentence under a heading inside the section's text
// that names the question's words ("Urlaub") is scored as part of that
// block (sfBlock); one under another heading is not, and a sentence does
// not read as a heading.
func TestBlockHeading(t *testing.T) {
	page := knowledge.Page{ID: "p", Title: "Rechte im Praktikum", Language: "de", Sections: []knowledge.Section{{Kind: knowledge.SectionDescription,
		Text: "Pausen\nBei mehr als 6 Stunden gibt es 30 Minuten Pause.\nUrlaub\nIm Pflichtpraktikum gibt es keinen.\nIm freiwilligen Praktikum ist es möglich.\nZeugnis\nDer Betrieb stellt ein Zeugnis aus."}}}
	e, p := onePageEngine(t, page)
	q := e.newQuestion("Gibt es Urlaub?", "de", aspectNone, p)
	block := map[string]bool{}
	secs, _ := e.scoreSentences(p, e.sentences(p), q)
	for _, sents := range secs {
		for _, s := range sents {
			block[s.text] = s.x[sfBlock] > 0
		}
	}
	for text, want := range map[string]bool{
		"Bei mehr als 6 Stunden gibt es 30 Minuten Pause.": false,
		"Im Pflichtpraktikum gibt es keinen.":              true,
		"Im freiwilligen Praktikum ist es möglich.":        true,
		"Der Betrieb stellt ein Zeugnis aus.":              false,
	} {
		if got, ok := block[text]; !ok || got != want {
			t.Errorf("%q: in the Urlaub block %v (found %v), want %v", text, got, ok, want)
		}
	}
}

// onePageEngine is an engine over a knowledge base of one page, and that
// page as the knowledge base holds it.
func onePageEngine(t *testing.T, page knowledge.Page) (*Engine, *knowledge.Page) {
	t.Helper()
	kb, err := knowledge.Build(context.Background(), []knowledge.Page{page}, knowledge.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { kb.Close() })
	e, err := NewEngine(Config{}, kb, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	p, ok := kb.Page(page.ID)
	if !ok {
		t.Fatalf("page %s not in the knowledge base", page.ID)
	}
	return e, p
}

// A word that asks an aspect but names the service itself does not ask it
// of that page: "Wie bezahle ich die Gewerbesteuer?" over "Gewerbesteuer
// bezahlen" asks how to pay, not the page's fees ("Gebühren: Keine").
func TestPageAspect(t *testing.T) {
	e, page := onePageEngine(t, knowledge.Page{ID: "gst", Title: "Gewerbesteuer bezahlen", Language: "de", Sections: []knowledge.Section{
		{Kind: knowledge.SectionDescription, Text: "Wenn Sie ein Gewerbe betreiben, zahlen Sie Gewerbesteuer an das Finanzamt."},
		{Kind: knowledge.SectionFees, Heading: "Gebühren", Text: "Keine"}}})
	cases := []struct {
		q    string
		want aspect
	}{
		{"Wie bezahle ich die Gewerbesteuer?", aspectNone},
		{"Was kostet es, die Gewerbesteuer zu bezahlen?", aspectFees},
		{"Wo bezahle ich die Gewerbesteuer?", aspectPlace},
		{"Was kostet ein Personalausweis?", aspectFees},
	}
	for _, c := range cases {
		asked := detectAspect(e.aspects, c.q)
		if got := e.newQuestion(c.q, "de", asked, page).aspect; got != c.want {
			t.Errorf("%q: aspect %q (detected %q), want %q", c.q, got, asked, c.want)
		}
	}
	r, err := e.Respond(context.Background(), Turn{Text: "Wie bezahle ich die Gewerbesteuer?", Language: "de"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(r.Text, "zahlen Sie Gewerbesteuer an das Finanzamt") {
		t.Errorf("answer %q does not quote how the tax is paid", r.Text)
	}
}

// Across languages the title names the aspect in the page's language: "What
// are the opening hours of stores?" over "Öffnungszeiten und Feiertage" asks
// what the page is about, not the times on it — the holidays' dates are not
// the answer.
func TestPageAspectAcrossLanguages(t *testing.T) {
	page := knowledge.Page{ID: "oz", Title: "Öffnungszeiten und Feiertage", Language: "de", Sections: []knowledge.Section{
		{Kind: knowledge.SectionDescription, Text: "Die meisten Läden in der Innenstadt haben werktags bis 20 Uhr geöffnet. An Sonntagen sind fast alle Läden geschlossen."},
		{Kind: knowledge.SectionDescription, Heading: "Feiertage", Text: "Bayern hat 13 gesetzliche Feiertage. Montag, 1. Mai. Dienstag, 3. Oktober."}}}
	e, p := onePageEngine(t, page)
	cases := []struct {
		q, lang string
		want    aspect
	}{
		{"What are the opening hours of stores?", "en", aspectNone},
		{"Welche Öffnungszeiten haben Geschäfte?", "de", aspectNone},
	}
	for _, c := range cases {
		asked := detectAspect(e.aspects, c.q)
		if asked != aspectHours {
			t.Fatalf("%q: detected %q, want hours", c.q, asked)
		}
		if got := e.newQuestion(c.q, c.lang, asked, p).aspect; got != c.want {
			t.Errorf("%q: aspect %q over %q, want %q", c.q, got, p.Title, c.want)
		}
	}
	other := knowledge.Page{ID: "sb", Title: "Stadtbibliothek", Language: "de", Sections: []knowledge.Section{
		{Kind: knowledge.SectionDescription, Text: "Die Stadtbibliothek hat Montag bis Freitag von 10 bis 18 Uhr geöffnet."}}}
	e, p = onePageEngine(t, other)
	if got := e.newQuestion("What are the opening hours of the library?", "en", aspectHours, p).aspect; got != aspectHours {
		t.Errorf("over %q the question asks %q, want hours", p.Title, got)
	}
	// Only the words the title names do not ask: "How do I apply for a
	// Blue Card?" over "Blaue Karte EU beantragen" still asks how — "how do
	// I" is the question's form, not the title's "beantragen" — as "Wie
	// beantrage ich eine Blaue Karte?" does.
	blue := knowledge.Page{ID: "bk", Title: "Blaue Karte EU beantragen", Language: "de", Sections: []knowledge.Section{
		{Kind: knowledge.SectionDescription, Text: "Mit einem Hochschulabschluss können Sie die Blaue Karte EU bekommen."},
		{Kind: knowledge.SectionProcedure, Text: "Stellen Sie den Online-Antrag. Das Landesamt prüft den Antrag."}}}
	e, p = onePageEngine(t, blue)
	for _, q := range []string{"How do I apply for a Blue Card?", "How to apply for the EU Blue Card?"} {
		if got := e.newQuestion(q, "en", detectAspect(e.aspects, q), p).aspect; got != aspectProcedure {
			t.Errorf("%q over %q asks %q, want procedure", q, p.Title, got)
		}
	}
}

// TestNumberedHeadingAndListLead: a short numbered line followed by text
// heads a block like an unnumbered heading ("2. Urlaub"), and a line that
// names the asked aspect and introduces a list ("… folgende Dokumente
// vorzulegen:") answers like a section for it, items included, so the
// passage quotes the list rather than the text that names the page's topic.
// TestAspectHeadingBlock: a short heading inside the text that names the
// asked aspect ("Kontakt", "Opening hours") makes its block the aspect's
// section, up to the next heading; a long heading that holds the word
// names a topic and does not.
func TestAspectHeadingBlock(t *testing.T) {
	e, p := onePageEngine(t, knowledge.Page{ID: "p", Title: "Frauenberatung", Language: "de", Sections: []knowledge.Section{{Kind: knowledge.SectionDescription,
		Text: "Wir beraten Frauen in schwierigen Lebenslagen.\nDie Beratung ist vertraulich.\n" +
			"Kontakt\nFrauenberatung Süd, Goethestraße 12, 80336 München\nSchreiben Sie uns eine Nachricht.\n" +
			"Kontakt zu anderen Frauen im Stadtteil finden\nWir laden jeden Monat zu einem offenen Treffen ein.\nDort lernen Sie andere Frauen kennen."}}})
	q := e.newQuestion("Wie kann ich die Frauenberatung kontaktieren?", "de", aspectContact, p)
	secs, _ := e.scoreSentences(p, e.sentences(p), q)
	want := map[string]bool{"Kontakt": true, "Frauenberatung Süd, Goethestraße 12, 80336 München": true, "Schreiben Sie uns eine Nachricht.": true}
	for _, s := range secs[0] {
		if got := s.x[sfAspectSection] == 1; got != want[s.text] {
			t.Errorf("%q: in the contact block %v, want %v", s.text, got, want[s.text])
		}
	}
}

// TestAspectHeadingInTypedSection: a short line that names the asked
// aspect inside a section typed for another aspect ("Antragstellung als
// juristische Person:" under "Benötigte Unterlagen") heads documents, not
// the procedure.
func TestAspectHeadingInTypedSection(t *testing.T) {
	e, p := onePageEngine(t, knowledge.Page{ID: "gzr", Title: "Gewerbezentralregister, Auskunft", Language: "de", Sections: []knowledge.Section{
		{Kind: knowledge.SectionDescription, Text: "Wenn Sie für ein Gewerbe einen Nachweis Ihrer Zuverlässigkeit brauchen, können Sie eine Auskunft aus dem Gewerbezentralregister beantragen."},
		{Kind: knowledge.SectionDocuments, Heading: "Benötigte Unterlagen", Text: "Antragstellung als natürliche Person:\nPersonalausweis oder Reisepass\n" +
			"Antragstellung als juristische Person:\nPersonalausweis oder Reisepass\nHandelsregisterauszug zum Nachweis der Vertretungsmacht"},
	}})
	q := e.newQuestion("Wie läuft die Antragstellung ab?", "de", aspectProcedure, p)
	secs, _ := e.scoreSentences(p, e.sentences(p), q)
	for _, s := range secs[1] {
		if s.x[sfAspectSection] != 0 {
			t.Errorf("%q under Benötigte Unterlagen counts as the procedure's section", s.text)
		}
	}
}

func TestNumberedHeadingAndListLead(t *testing.T) {
	t.Run("numbered heading", func(t *testing.T) {
		e, p := onePageEngine(t, knowledge.Page{ID: "p", Title: "Rechte im Praktikum", Language: "de", Sections: []knowledge.Section{{Kind: knowledge.SectionDescription,
			Text: "1. Pausen\nBei mehr als 6 Stunden gibt es 30 Minuten Pause.\n2. Urlaub\nIm Pflichtpraktikum gibt es keinen.\n3. Zeugnis\nDer Betrieb stellt ein Zeugnis aus."}}})
		q := e.newQuestion("Gibt es Urlaub?", "de", aspectNone, p)
		secs, _ := e.scoreSentences(p, e.sentences(p), q)
		for _, s := range secs[0] {
			if want := s.text == "Im Pflichtpraktikum gibt es keinen."; (s.x[sfBlock] > 0) != want && s.text != "Urlaub" {
				t.Errorf("%q: in the Urlaub block %v, want %v", s.text, s.x[sfBlock] > 0, want)
			}
		}
	})
	t.Run("list lead", func(t *testing.T) {
		e, p := onePageEngine(t, knowledge.Page{ID: "bib", Title: "Angebot und Anmeldung", Language: "de", Sections: []knowledge.Section{{Kind: knowledge.SectionDescription,
			Text: "In allen Stadtbibliotheken gibt es kostenloses WLAN und Arbeitsplätze.\nInformationsflyer liegen in allen Stadtbibliotheken aus.\n" +
				"Bücher, DVDs oder Musik-CDs in vielen Sprachen können mit einem Bibliotheksausweis ausgeliehen werden.\n" +
				"Für wen: Einen Bibliotheksausweis bekommen alle, die in München und Umgebung leben, arbeiten oder eine Ausbildung machen.\n" +
				"Für den Besuch der Bibliothek und das Lesen vor Ort braucht man keinen Bibliotheksausweis.\n" +
				"Für Kinder und Jugendliche unter 18 Jahren und Geflüchtete ist der Bibliotheksausweis kostenlos.\n" +
				"Ansonsten betragen die Kosten für den Bibliotheksausweis:\n- für ein Jahr 20 Euro\n- für ein Vierteljahr 7 Euro\n- für ein Jahr ermäßigt 10 Euro\n" +
				"Ermäßigungsberechtigt sind junge Erwachsene in Ausbildung und Studium, Empfängerinnen und Empfänger von Rente und Sozialhilfe sowie Arbeitslose.\n" +
				"Bei der Anmeldung sind folgende Dokumente vorzulegen:\n- Personalausweis oder Reisepass mit Meldebestätigung\n- Kinder unter 18 Jahren: Ausweis eines Elternteils\n" +
				"Die Standorte der Stadtteilbibliotheken finden Sie online."}}})
		q := e.newQuestion("Welche Dokumente werden für die Anmeldung in der Stadtbibliothek benötigt?", "de", detectAspect(e.aspects, "Welche Dokumente werden für die Anmeldung in der Stadtbibliothek benötigt?"), p)
		if q.aspect != aspectDocuments {
			t.Fatalf("aspect %q, want documents", q.aspect)
		}
		got := fullPassage(e, p, q)
		if !slices.Contains(got, "Personalausweis oder Reisepass mit Meldebestätigung") || slices.Contains(got, "Informationsflyer liegen in allen Stadtbibliotheken aus.") {
			t.Errorf("passage %q, want the documents list", got)
		}
	})
	// The lines before the list name the library more often than the list
	// does; the answer still starts at the list's lead.
	t.Run("the answer starts at the lead", func(t *testing.T) {
		e, p := onePageEngine(t, knowledge.Page{ID: "bib", Title: "Angebot und Anmeldung", Language: "de", Sections: []knowledge.Section{{Kind: knowledge.SectionDescription,
			Text: "In allen Standorten stehen kostenloses WLAN und Arbeitsplätze zur Verfügung.\n" +
				"Bücher, DVDs oder Musik-CDs können mit einem Bibliotheksausweis ausgeliehen werden.\n" +
				"Informationsflyer zur Benutzung der Bibliothek gibt es in über 20 Sprachen.\n" +
				"Sie liegen in allen Stadtbibliotheken aus oder können\nhier heruntergeladen werden.\n" +
				"Für wen: Einen Bibliotheksausweis können alle bekommen, die in München und Umgebung leben.\n" +
				"Für den Besuch der Bibliothek braucht man keinen Bibliotheksausweis.\n" +
				"Für Kinder und Geflüchtete ist der Bibliotheksausweis kostenlos.\n" +
				"Ansonsten betragen die Kosten für den Bibliotheksausweis:\nfür ein Jahr 20 Euro\nfür ein Vierteljahr 7 Euro\n" +
				"Bei der Anmeldung sind folgende Dokumente vorzulegen:\n- Personalausweis oder Reisepass mit Meldebestätigung\n- Kinder unter 18 Jahren: Ausweis eines Elternteils\n" +
				"- Steht die Adresse nicht im Dokument, wird eine Meldebescheinigung benötigt.\n" +
				"Die Standorte der Stadtteilbibliotheken finden Sie hier."}}})
		question := "Welche Dokumente werden für die Anmeldung in der Stadtbibliothek benötigt?"
		q := e.newQuestion(question, "de", detectAspect(e.aspects, question), p)
		if got := fullPassage(e, p, q); len(got) == 0 || got[0] != "Bei der Anmeldung sind folgende Dokumente vorzulegen:" {
			t.Errorf("passage %q, want it to start with the documents list's lead", got)
		}
	})
}

// TestFinishLead: a passage never ends on a line that announces what
// follows; it takes the announced items when they fit, else ends before.
func TestFinishLead(t *testing.T) {
	u := func(text string, item bool, section int) unit {
		return unit{scored: scored{sentence: sentence{text: text, item: item, section: section}}}
	}
	long := strings.Repeat("x", 500)
	flat := []unit{
		u("Es gibt bestimmte Tage für die Anmeldung.", false, 0),
		u("Sie brauchen folgende Dokumente:", false, 0),
		u("Ihren Ausweis", true, 0),
		u("Meldebescheinigung", true, 0),
		u("Zeugnisse", true, 0),
		u("Bitte nehmen Sie Ihr Kind mit.", false, 0),
		u("Für wen:", false, 1),
		u(long, false, 1),
		u("Kontakt:", false, 2),
		u("Rathaus, Zimmer 3", false, 3),
	}
	all := func(unit) bool { return true }
	full := composeLimits{chars: 200, items: 8}
	tests := []struct {
		name     string
		from, to int
		lim      composeLimits
		inAspect func(unit) bool
		want     int
	}{
		{"not a lead", 0, 0, full, all, 0},
		{"takes the items", 0, 1, full, all, 4},
		{"items up to the limit", 0, 1, composeLimits{chars: 200, items: 2}, all, 3},
		{"the next line when it fits", 6, 6, composeLimits{chars: 150, items: 8}, all, 7},
		{"ends before when it does not fit", 5, 6, composeLimits{chars: 50, items: 8}, all, 5},
		{"not into another section", 7, 8, full, all, 7},
		{"not out of the asked aspect", 0, 1, full, func(x unit) bool { return !x.item }, 0},
		{"a lone lead stays", 8, 8, full, all, 8},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := finishLead(flat, tt.from, tt.to, tt.lim, tt.inAspect); got != tt.want {
				t.Errorf("finishLead(%d, %d) = %d, want %d", tt.from, tt.to, got, tt.want)
			}
		})
	}
}

// TestNounsWeighMore: in a German question written with capitals, its
// nouns weigh more than its other words when the answer is looked for in
// the page; a question in lower case weighs them alike.
func TestNounsWeighMore(t *testing.T) {
	e, p := onePageEngine(t, knowledge.Page{ID: "pr", Title: "Rechte und Pflichten im Praktikum", Language: "de", Sections: []knowledge.Section{{Kind: knowledge.SectionDescription,
		Text: "Verhalten am Arbeitsplatz\nDeshalb sollten sich Praktikanten entsprechend verhalten.\nBei Krankheit informiert der Praktikant sofort den Betrieb."}}})
	weight := func(q question, word string) float64 {
		for i, c := range q.concepts {
			if c.Word == word {
				return q.weights[i]
			}
		}
		t.Fatalf("no concept %q in %q", word, q.text)
		return 0
	}
	q := e.newQuestion("Wie sollte ich mich bei Krankheit während des Praktikums verhalten?", "de", aspectNone, p)
	if k, v := weight(q, "krankheit"), weight(q, "verhalten"); k <= v {
		t.Errorf("Krankheit weighs %.2f, verhalten %.2f: want the noun to weigh more", k, v)
	}
	lower := e.newQuestion("wie sollte ich mich bei krankheit während des praktikums verhalten", "de", aspectNone, p)
	if k, v := weight(lower, "krankheit"), weight(lower, "verhalten"); k != v {
		t.Errorf("in lower case krankheit weighs %.2f, verhalten %.2f: want them alike", k, v)
	}
	pass := e.selectPassage(p, e.sentences(p), q, composeLimits{chars: 80, items: 1, sentences: 1})
	if len(pass.sentences) != 1 || pass.sentences[0].text != "Bei Krankheit informiert der Praktikant sofort den Betrieb." {
		t.Errorf("passage %v, want the sentence on illness", pass.sentences)
	}
}

func TestGermanNouns(t *testing.T) {
	tests := []struct {
		text string
		want []string
	}{
		{"Wie sollte ich mich bei Krankheit während des Praktikums verhalten?", []string{"krankheit", "praktikums"}},
		{"Welche Dokumente brauche ich für die Kfz-Zulassung?", []string{"dokumente", "kfz", "kfzzulassung", "zulassung"}},
		{"wo melde ich meinen hund an", nil},
		{"Hund anmelden", nil},
	}
	for _, tt := range tests {
		got := slices.Sorted(maps.Keys(germanNouns(tt.text)))
		if !slices.Equal(got, tt.want) {
			t.Errorf("germanNouns(%q) = %q, want %q", tt.text, got, tt.want)
		}
	}
}

func TestLineWeight(t *testing.T) {
	u := func(text string, item bool) unit {
		return unit{scored: scored{sentence: sentence{text: text, item: item}}}
	}
	tests := []struct {
		u    unit
		want float64
	}{
		{u("Most stores in the city center are open from 10:00 to 20:00.", false), 1},
		{u("Meldebescheinigung", false), 1},
		{u("January", false), 7.0 / shortLineChars},
		{u("Pass", true), 1},
	}
	for _, tt := range tests {
		if got := lineWeight(tt.u); got != tt.want {
			t.Errorf("lineWeight(%q) = %.2f, want %.2f", tt.u.text, got, tt.want)
		}
	}
}

// A question that asks for a list is answered from the list whose lead
// says what it asks, from the lead on — also a list written without
// bullets — not from the page's opening lines that repeat its words.
func TestQuestionListLead(t *testing.T) {
	e, p := onePageEngine(t, knowledge.Page{ID: "lohn", Title: "Lohnabrechnung", Language: "de", Sections: []knowledge.Section{{Kind: knowledge.SectionDescription,
		Text: "Wer angestellt ist, bekommt jeden Monat eine Lohnabrechnung vom Arbeitgeber.\n" +
			"Manche Arbeitgeber schicken die Lohnabrechnung nur, wenn sich im Monat etwas ändert, zum Beispiel beim Urlaubsgeld oder bei höheren Beiträgen zur Versicherung.\n" +
			"Prüfen Sie jede Lohnabrechnung sorgfältig und heben Sie sie gut auf.\n" +
			"Pflicht sind in der Lohnabrechnung diese Angaben:\n" +
			"Name und Anschrift des Arbeitgebers\nGeburtsdatum der Arbeitnehmerin oder des Arbeitnehmers\nBeginn der Beschäftigung\nSteuerklasse\n" +
			"Abrechnungszeitraum\nBruttolohn und Nettolohn\nArt und Höhe der Abzüge\n" +
			"Bei Fragen hilft der Betriebsrat."}}})
	for _, tc := range []struct {
		question string
		first    string
	}{
		{"Welche Angaben sind in der Lohnabrechnung Pflicht?", "Pflicht sind in der Lohnabrechnung diese Angaben:"},
		// Not a question for a list: the answer is chosen as before.
		{"Wann bekomme ich eine Lohnabrechnung?", "Wer angestellt ist, bekommt jeden Monat eine Lohnabrechnung vom Arbeitgeber."},
	} {
		got := fullPassage(e, p, e.newQuestion(tc.question, "de", detectAspect(e.aspects, tc.question), p))
		if len(got) == 0 || got[0] != tc.first {
			t.Errorf("%q: passage %q, want it to start with %q", tc.question, got, tc.first)
		}
	}
}

// A page written as questions and answers answers from its own question
// when the citizen asks the same by the same question word; a rhetorical
// question of the page does not head an answer.
func TestQuestionHeading(t *testing.T) {
	e, p := onePageEngine(t, knowledge.Page{ID: "sprachkurs", Title: "Berufssprachkurse", Language: "de", Sections: []knowledge.Section{{Kind: knowledge.SectionDescription,
		Text: "Was sind Berufssprachkurse?\n" +
			"Berufssprachkurse helfen, die Deutschkenntnisse für den Beruf zu verbessern.\n" +
			"Die Kurse umfassen jeweils 300 Unterrichtseinheiten.\n" +
			"Sind Sie schon berufstätig?\n" +
			"Dann lohnt sich ein Kurs am Abend.\n" +
			"Wer kann teilnehmen?\n" +
			"Sie haben einen Integrationskurs abgeschlossen.\n" +
			"Sie sind arbeitsuchend gemeldet oder in Ausbildung.\n" +
			"Was kostet die Teilnahme?\n" +
			"Die Teilnahme ist in der Regel kostenlos, Arbeitnehmer mit höherem Einkommen zahlen einen Beitrag."}}})
	for _, tc := range []struct {
		question string
		first    string
	}{
		// The page's own question heads the answer ("!": does not).
		{"Wer kann als Arbeitnehmer am Berufssprachkurs teilnehmen?", "Wer kann teilnehmen?"},
		{"Was kostet die Teilnahme für Arbeitnehmer?", "Was kostet die Teilnahme?"},
		// A rhetorical question of the page ("Sind Sie …?") does not.
		{"Welche Arbeitnehmer sind schon berufstätig?", "!Sind Sie schon berufstätig?"},
	} {
		got := fullPassage(e, p, e.newQuestion(tc.question, "de", detectAspect(e.aspects, tc.question), p))
		if not, ok := strings.CutPrefix(tc.first, "!"); ok {
			if len(got) == 0 || got[0] == not {
				t.Errorf("%q: passage %q, want it not to start with %q", tc.question, got, not)
			}
		} else if len(got) == 0 || got[0] != tc.first {
			t.Errorf("%q: passage %q, want it to start with %q", tc.question, got, tc.first)
		}
	}
	// Where the page also has a section or a block for the aspect, its own
	// question still heads the answer: "Voraussetzungen" here says who
	// decides, not who may take part.
	for _, sec := range []knowledge.Section{
		{Kind: knowledge.SectionPrerequisites, Heading: "Voraussetzungen", Text: "Über die Teilnahme entscheiden die Jobcenter und Arbeitsagenturen."},
		{Kind: knowledge.SectionDescription, Text: "Zielgruppe\nÜber die Teilnahme entscheiden die Jobcenter und Arbeitsagenturen."},
	} {
		page := *p
		page.ID = "sprachkurs-" + string(sec.Kind)
		page.Sections = append(slices.Clone(p.Sections), sec)
		e, pp := onePageEngine(t, page)
		q := "Wer kann als Arbeitnehmer am Berufssprachkurs teilnehmen?"
		if got := fullPassage(e, pp, e.newQuestion(q, "de", detectAspect(e.aspects, q), pp)); len(got) == 0 || got[0] != "Wer kann teilnehmen?" {
			t.Errorf("with a %s section: %q: passage %q, want it to start with %q", sec.Kind, q, got, "Wer kann teilnehmen?")
		}
	}
	for _, tc := range []struct{ q, want string }{
		{"Wer kann teilnehmen?", "who"},
		{"An wen wende ich mich?", "who"},
		{"Welche Unterlagen brauche ich?", "what"},
		{"What does the technical college offer?", "what"},
		{"Sind Sie schon berufstätig?", ""},
		{"Wo finde ich das Amt?", "where"},
	} {
		if got := interrogative(fold(tc.q)); got != tc.want {
			t.Errorf("interrogative(%q) = %q, want %q", tc.q, got, tc.want)
		}
	}
}

func TestListQuestion(t *testing.T) {
	for _, tc := range []struct {
		q    string
		want bool
	}{
		{"Welche Angaben sind in der Lohnabrechnung Pflicht?", true},
		{"Wo gibt es Tafeln für kostenlose Lebensmittel?", true},
		{"What documents do I need for the registration?", true},
		{"What do I have to submit to receive housing benefit?", true},
		{"Which portal offers help with setting up a business?", false},
		{"What information is mandatory on a payslip?", false},
		{"Wie kann ich eine Arbeitserlaubnis beantragen?", false},
		{"Wer bekommt den Bibliotheksausweis kostenlos?", false},
	} {
		if got := listQuestion.MatchString(fold(tc.q)); got != tc.want {
			t.Errorf("listQuestion(%q) = %v, want %v", tc.q, got, tc.want)
		}
	}
}

// fullPassage is the text of the sentences of the passage a full answer
// to q quotes from p.
func fullPassage(e *Engine, p *knowledge.Page, q question) []string {
	var got []string
	for _, s := range e.selectPassage(p, e.sentences(p), q, limitsFor(StyleFull).forTitle(p.Title, StyleFull)).sentences {
		got = append(got, s.text)
	}
	return got
}

// vocabAnalyzer is an analyzer over a fixed vocabulary (term → rarity) for
// the functions that only ask how telling a term is.
type vocabAnalyzer map[string]float64

func (v vocabAnalyzer) Terms(string, string) []string               { return nil }
func (v vocabAnalyzer) Concepts(string, string) []knowledge.Concept { return nil }
func (v vocabAnalyzer) Known(t string) bool                         { _, ok := v[t]; return ok }
func (v vocabAnalyzer) Rarity(t string) float64 {
	if r, ok := v[t]; ok {
		return r
	}
	return 1
}

// TestConceptRarity: a word of a question in another language than the
// page is as telling as its translations the pages hold — not as an
// unknown word, the rarest of all, which made every word of a translated
// question weigh alike.
func TestConceptRarity(t *testing.T) {
	e := &Engine{an: vocabAnalyzer{"klass": 0.3, "not": 0.5, "realschul": 0.9, "grade": 0.6}}
	grades := knowledge.Concept{Word: "grades", Own: []string{"grad"}, Terms: []string{"grad", "klass", "not"}}
	tests := []struct {
		name  string
		c     knowledge.Concept
		cross bool
		want  float64
	}{
		{"across languages: its translations", grades, true, 0.4},
		{"same language: the word itself, unknown", grades, false, 1},
		{"a name the pages hold as it is", knowledge.Concept{Word: "realschule", Own: []string{"realschul"}, Terms: []string{"realschul"}}, true, 0.9},
		// "Germany" in German pages ("Handbook Germany") is rare there, but
		// what the question asks is what "Deutschland" says.
		{"a word the pages also hold in the question's language: its translations", knowledge.Concept{Word: "grade", Own: []string{"grade"}, Terms: []string{"grade", "klass"}}, true, 0.3},
		{"the same word, same language", knowledge.Concept{Word: "grade", Own: []string{"grade"}, Terms: []string{"grade", "klass"}}, false, 0.6},
		{"nothing known", knowledge.Concept{Word: "xyz", Own: []string{"xyz"}, Terms: []string{"xyz"}}, true, 1},
	}
	for _, tt := range tests {
		if got := e.conceptRarity(tt.c, tt.cross); math.Abs(got-tt.want) > 1e-9 {
			t.Errorf("%s: conceptRarity = %.3f, want %.3f", tt.name, got, tt.want)
		}
	}
}

// TestTranslationCredit: across languages, a sentence that holds a
// question word only through a less sure translation holds it less than
// one with the surest translation the pages know ("Who finances the
// MBQ?": "Das MBQ wird … finanziert" answers, "Förderangebote" does not).
func TestTranslationCredit(t *testing.T) {
	e := &Engine{an: vocabAnalyzer{"finanzi": 0.5, "finanziert": 0.6, "forder": 0.3}}
	finances := knowledge.Concept{
		Word:    "finances",
		Own:     []string{"financ"},
		Terms:   []string{"financ", "finanziert", "finanzi", "forder"},
		Ways:    [][][]string{{{"financ"}}, {{"finanziert"}}, {{"finanzi"}}, {{"forder"}}},
		Weights: []float64{1, 0.8, 0.8, 0.2},
	}
	// The word itself is in no page: the surest way the pages know, a
	// translation at 0.8, gives full credit.
	if got, want := e.translationCredit(finances), []float64{1, 1, 1, 0.25}; !slices.Equal(got, want) {
		t.Fatalf("translationCredit = %v, want %v", got, want)
	}
	if got := e.translationCredit(knowledge.Concept{Word: "xyz", Ways: [][][]string{{{"xyz"}}}, Weights: []float64{1}}); got != nil {
		t.Errorf("translationCredit of a word no page holds = %v, want nil", got)
	}
	mbq := knowledge.Concept{Word: "mbq", Own: []string{"mbq"}, Terms: []string{"mbq"}, Ways: [][][]string{{{"mbq"}}}, Weights: []float64{1}}
	q := question{concepts: []knowledge.Concept{finances, mbq}, weights: []float64{1, 1}, topic: []bool{false, true}, known: []bool{true, true}, cross: true}
	q.credit = [][]float64{e.translationCredit(finances), e.translationCredit(mbq)}
	degree := func(terms ...string) float64 {
		hits := make([]bool, 2)
		less, _ := q.matched(sentence{terms: terms}, hits)
		d, _ := q.degreeOf(hits, less)
		return d
	}
	tests := []struct {
		name  string
		terms []string
		want  float64
	}{
		{"the surest translation", []string{"mbq", "finanziert"}, 1},
		{"a less sure translation: at least minTranslationCredit", []string{"mbq", "forder"}, minTranslationCredit},
		{"both", []string{"forder", "finanzi"}, 1},
		{"none", []string{"mbq"}, 0},
	}
	for _, tt := range tests {
		if got := degree(tt.terms...); math.Abs(got-tt.want) > 1e-9 {
			t.Errorf("%s: degree = %.3f, want %.3f", tt.name, got, tt.want)
		}
	}
	// The models' evidence (full) counts every translation in full.
	hits := make([]bool, 2)
	if _, full := q.matched(sentence{terms: []string{"mbq", "forder"}}, hits); full != nil && full[0] != 0 {
		t.Errorf("full credit of a less sure translation = %.2f, want it held in full", full[0])
	}
	// In one language (no credit) every way holds the word in full.
	q.credit = nil
	if got := degree("mbq", "forder"); got != 1 {
		t.Errorf("one language: degree = %.3f, want 1", got)
	}
}

func TestTitleSubjects(t *testing.T) {
	e, p := onePageEngine(t, knowledge.Page{ID: "apotheke", Title: "Apotheke und Medikamente", Language: "de", Sections: []knowledge.Section{{Kind: knowledge.SectionDescription,
		Text: "Apotheke\n" +
			"Medikamente bekommen Sie in Deutschland nur in Apotheken.\n" +
			"In anderen Geschäften oder in der Arztpraxis können Sie keine Medikamente kaufen.\n" +
			"Jede Apotheke erkennen Sie von außen am roten A.\n" +
			"Apotheken haben von Montag bis Samstag geöffnet, die Öffnungszeiten sind je nach Apotheke unterschiedlich.\n" +
			"Wenn Sie nachts dringend ein Medikament brauchen, hängt an jeder Apotheke ein Schild mit der Adresse der Apotheke, die Notdienst hat.\n" +
			"Im Notdienst zahlen Sie eine kleine Gebühr zusätzlich, auch am Wochenende und an Feiertagen.\n" +
			"Apotheken in Ihrer Nähe finden Sie im Verzeichnis der Apothekerkammer.\n" +
			"Medikamente\n" +
			"Es gibt rezeptpflichtige und rezeptfreie Medikamente.\n" +
			"Rezeptpflichtige Medikamente bekommen Sie nur mit einem Rezept vom Arzt oder von der Ärztin.\n" +
			"Rezeptfreie Medikamente bekommen Sie in der Apotheke ohne Rezept, zum Beispiel gegen Erkältungen."}}})
	question := "Welche Medikamente kann ich in einer Apotheke kaufen?"
	q := e.newQuestion(question, "de", detectAspect(e.aspects, question), p)
	// "Medikamente" names one of the title's two subjects, each a heading
	// of the page: the answer is the part under its heading.
	if got := fullPassage(e, p, q); !slices.Contains(got, "Es gibt rezeptpflichtige und rezeptfreie Medikamente.") {
		t.Errorf("passage %q, want the part under the heading Medikamente", got)
	}
	// The models still read the title's words as the page's topic.
	ev := q.evidence()
	for i, c := range q.concepts {
		if q.part != nil && q.part[i] && !ev.topic[i] {
			t.Errorf("evidence: %q is not the topic", c.Word)
		}
	}
	if q.part == nil {
		t.Errorf("no question word names a subject of %q", p.Title)
	}
	// Without a heading for each, a title's "und" is inside one subject.
	e2, plain := onePageEngine(t, knowledge.Page{ID: "strom", Title: "Strom und Energie sparen", Language: "de", Sections: []knowledge.Section{{Kind: knowledge.SectionDescription,
		Text: "Den Stromanbieter können Sie selbst wählen.\nEnergie sparen = Geld sparen\nLüften Sie kurz und kräftig."}}})
	if got := e2.titleParts(plain); got != nil {
		t.Errorf("titleParts(%q) = %v, want nil", plain.Title, got)
	}
}

func TestPassageAntecedent(t *testing.T) {
	long := strings.Repeat("Sehr lange Erklärung ohne Ende. ", 40)
	for _, tc := range []struct {
		name  string
		lines []string // "*": a list item, "2:": in the next section
		from  int      // the passage's first line; it ends with the last
		style Style
		want  int
	}{
		{"pronominal adverb", []string{"Die Arbeitserlaubnis gibt es beim Amt.", "Dafür müssen Sie einen Antrag stellen.", "Das Amt entscheidet."}, 1, StyleFull, 0},
		{"sequence", []string{"Sie suchen das Standesamt.", "Anschließend stellen Sie den Antrag online.", "Die Urkunde kommt per Post."}, 1, StyleFull, 0},
		{"demonstrative", []string{"Nachhilfe ist Unterstützung außerhalb des Unterrichts.", "Das muss meistens selbst bezahlt werden."}, 1, StyleFull, 0},
		{"english", []string{"There, women find protection.", "They also receive advice."}, 1, StyleFull, 0},
		{"two back", []string{"Sie beantragen den Pass.", "Dann erhalten Sie eine Nachricht.", "Danach holen Sie ihn ab."}, 2, StyleFull, 0},
		{"block title", []string{"Der Zentrale Omnibusbahnhof München (ZOB)", "Das ist ein Bahnhof für Busverbindungen."}, 1, StyleFull, 0},
		{"spoken: within the sentence limit", []string{"Die Arbeitserlaubnis gibt es beim Amt.", "Dafür müssen Sie einen Antrag stellen."}, 1, StyleSpoken, 0},
		// Not extended:
		{"article, not a demonstrative", []string{"Sie sind neu hier.", "Das Gymnasium bereitet auf ein Studium vor."}, 1, StyleFull, 1},
		{"no reference", []string{"Sie sind neu hier.", "Die Gebühr beträgt 10 Euro."}, 1, StyleFull, 1},
		{"after a list", []string{"Die Meldung geht an:", "*die Handwerkskammer", "*das Amt für Arbeitsschutz", "Diese Mitteilung ersetzt keine Meldepflicht."}, 3, StyleFull, 3},
		{"after a fragment", []string{"das staatliche Amt für Arbeitsschutz", "Diese Mitteilung ersetzt keine Meldepflicht."}, 1, StyleFull, 1},
		{"another section", []string{"Die Arbeitserlaubnis gibt es beim Amt.", "2:Dafür müssen Sie einen Antrag stellen."}, 1, StyleFull, 1},
		{"too long", []string{long, "Dafür müssen Sie einen Antrag stellen."}, 1, StyleFull, 1},
		{"spoken: over the sentence limit", []string{"Sie beantragen den Pass.", "Dafür gehen Sie zum Amt.", "Es dauert.", "Es kostet."}, 1, StyleSpoken, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var flat []unit
			section := 0
			for _, l := range tc.lines {
				var item bool
				if rest, ok := strings.CutPrefix(l, "2:"); ok {
					l, section = rest, 1
				}
				l, item = strings.CutPrefix(l, "*")
				flat = append(flat, unit{scored: scored{sentence: sentence{text: l, folded: fold(l), item: item, section: section}}})
			}
			if got := withAntecedent(flat, tc.from, len(flat)-1, limitsFor(tc.style)); got != tc.want {
				t.Errorf("passage starts at line %d, want %d", got, tc.want)
			}
		})
	}
}

// TestAspectSectionFromItsStart: a section typed for the asked aspect that
// says nothing of the question beyond the page's topic is read from its
// start. Its sentences all score alike, and the run that fitted the most of
// them started in the middle of the steps ("Zudem geben Sie den Standort
// Ihres Gewerbes an.").
func TestAspectSectionFromItsStart(t *testing.T) {
	page := knowledge.Page{ID: "gst", Title: "Gewerbesteuer bezahlen", Language: "de", Sections: []knowledge.Section{
		{Kind: knowledge.SectionDescription, Text: "Wenn Sie ein Gewerbe betreiben, sind Sie grundsätzlich zur Zahlung der Gewerbesteuer verpflichtet."},
		{Kind: knowledge.SectionProcedure, Heading: "Verfahrensablauf", Text: strings.Join([]string{
			"Sie fertigen Ihre Gewerbesteuererklärung nach Ablauf des Kalenderjahres elektronisch an und legen darin den Gewerbeertrag des entsprechenden Kalenderjahres vollständig offen, wobei Sie Ihren Gewinn oder Verlust, also Ihre Einnahmen abzüglich Ihrer Ausgaben, berücksichtigen.",
			"Die Übermittlung erfolgt über Elster.",
			"Zudem geben Sie den Standort an.",
			"Das Finanzamt prüft Ihre Erklärung.",
			"Bei Bedarf fragt es nach.",
			"Es ermittelt den Messbetrag.",
			"Sie erhalten einen Bescheid.",
			"Das Finanzamt setzt Vorauszahlungen fest.",
			"Die Gemeinde setzt den Hebesatz fest.",
			"Sie zahlen zu den genannten Terminen.",
			"Sie können eine Anpassung beantragen.",
			"Fragen beantwortet das Finanzamt.",
			"Es gibt auch eine Beratung.",
			"Die Beratung ist kostenlos.",
			"Sie findet im Finanzamt statt.",
			"Termine gibt es online.",
			"Sie können auch anrufen.",
			"Die Leitung ist oft besetzt.",
			"Schreiben Sie dann eine E-Mail.",
			"Sie erhalten bald eine Antwort.",
			"Halten Sie Ihre Steuernummer bereit.",
			"Sie steht auf dem Bescheid.",
			"Bewahren Sie den Bescheid auf.",
			"Sie brauchen ihn später.",
			"Gegen den Bescheid ist Einspruch möglich.",
			"Die Frist beträgt einen Monat.",
		}, "\n")}}}
	e, p := onePageEngine(t, page)
	texts := func(p passage) []string {
		var out []string
		for _, s := range p.sentences {
			out = append(out, s.text)
		}
		return out
	}
	q := "Wie kann ich die Gewerbesteuer bezahlen?"
	cp := e.prepare(p, q, detectAspect(e.aspects, q), "de", StyleFull)
	if cp.q.aspect != aspectProcedure {
		t.Fatalf("%q asks %q, want procedure", q, cp.q.aspect)
	}
	if len(cp.pass.sentences) == 0 || !strings.HasPrefix(cp.pass.sentences[0].text, "Sie fertigen Ihre Gewerbesteuererklärung") {
		t.Errorf("%q: passage %q, want it to start with the procedure's first step", q, texts(cp.pass))
	}
	// A question that names something the section says beyond the topic
	// is answered where the section says it.
	q = "Wie kann ich gegen den Bescheid Einspruch einlegen?"
	cp = e.prepare(p, q, detectAspect(e.aspects, q), "de", StyleFull)
	if !slices.ContainsFunc(cp.pass.sentences, func(s sentence) bool { return strings.Contains(s.text, "Einspruch") }) {
		t.Errorf("%q: the passage %q lacks the objection", q, texts(cp.pass))
	}
}
