package dialog

import (
	"fmt"
	"time"

	"github.com/civibot/civibot/conversation"
)

// phrases are the fixed texts of the bot in one language.
type phrases struct {
	lang string

	Disclosure            string // %s = city name
	Greeting              string
	Thanks                string
	Goodbye               string
	Capabilities          string
	Emergency             string
	Distress              string
	PersonButton          string
	HandoffHuman          string
	HandoffCase           string
	HandoffLowConf        string
	HandoffInjection      string
	OffTopic              string
	NothingFound          string // a question the city's pages know nothing of
	Hedge                 string // before an answer the engine is not sure of
	NoAnswerAfterGiveBack string
	HandoffFailed         string
	TurnFailed            string
	ContactSaved          string
	ContactDeclined       string
	Clarify               string
	OtherLanguage         string // the page is in another language
	MoreOnPage            string // %s = URL
	// MoreItems, MoreItem close a list the answer cuts short: how many
	// items the page lists after it (%d).
	MoreItems, MoreItem string
	SeePage             string // spoken: "the page is called %s"

	AskCost, AskDocuments, AskHours, AskDeadline string
	// NotCovered says, per aspect asked, that the page does not say it
	// (%s = the page's title); "" is for a question of no particular aspect.
	NotCovered map[aspect]string
	// NotCoveredOffer follows it: a person can help.
	NotCoveredOffer string
	Topics          []string // examples for "what can you do"
}

// moreItems says after a list item how many items the page lists after
// it (rest, see listRest); nil when no list is cut short.
func (p phrases) moreItems(rest map[int]int) func(int) string {
	if len(rest) == 0 {
		return nil
	}
	return func(i int) string {
		switch n := rest[i]; {
		case n == 1:
			return p.MoreItem
		case n > 1:
			return fmt.Sprintf(p.MoreItems, n)
		}
		return ""
	}
}

func phrasesFor(lang string) phrases {
	if lang == "en" {
		return phrases{
			lang:                  "en",
			Disclosure:            "Hello! I am the digital assistant of %s — an AI, not a person. I answer from the city's service pages and can put you through to a member of staff.",
			Greeting:              "Hello! How can I help you? Ask me about a city service, for example your ID card, registering your address or bulky waste.",
			Thanks:                "You're welcome! Is there anything else I can help you with?",
			Goodbye:               "Goodbye, and all the best!",
			Capabilities:          "I can answer questions about the city's services: what you need, what it costs, deadlines, and where to go. I quote the city's pages and give you the link. If I can't help, I'll put you through to a member of staff.",
			Emergency:             "In an emergency please call now: fire service and ambulance 112, police 110. I am passing your message to a member of staff as well.",
			Distress:              "I'm sorry you're going through this. If you are in danger, call the police on 110. Help for women affected by violence: 116 016 (free, 24/7). Crisis line (Telefonseelsorge): 0800 111 0 111. I am passing your message to a member of staff as well.",
			PersonButton:          "I'd like to talk to a person",
			HandoffHuman:          "Of course — I'll put you through to a member of staff.",
			HandoffCase:           "I can't see personal files or the status of applications. A member of staff can help you with that — I'll put you through.",
			HandoffLowConf:        "I'm not sure I can answer that correctly from the city's pages, so I'll ask a member of staff.",
			HandoffInjection:      "I can only help with the city's services. I'll pass your message on to a member of staff.",
			OffTopic:              "I can't help with that: I only answer questions about the city's services, such as renewing an ID card, registering a new address or what a permit costs. If it is about a city matter after all, ask me in other words or talk to a person.",
			NothingFound:          "I found nothing about this in the city's service pages. I answer questions about the city's services, such as renewing an ID card, registering a new address or what a permit costs. If it is about a city matter, ask me in other words or talk to a person.",
			Hedge:                 "I'm not quite sure this page answers your question:",
			NoAnswerAfterGiveBack: "I'm sorry, I couldn't find an answer to that in the city's pages, and a member of staff has already looked at it. Please ask me something else, or ask for a person again.",
			HandoffFailed:         "Unfortunately I can't reach our staff right now. Please try again in a few minutes.",
			TurnFailed:            "Sorry, something went wrong on my side. Please try again in a moment.",
			ContactSaved:          "Thank you — I've saved your callback request. A member of staff will get back to you as soon as we are open again.",
			ContactDeclined:       "All right. You're welcome to keep asking me, or try again during opening hours.",
			Clarify:               "Which of these do you mean?",
			OtherLanguage:         "(This page is only available in German.)",
			MoreOnPage:            "More: %s",
			MoreItems:             "… and %d more on the page",
			MoreItem:              "… and 1 more on the page",
			SeePage:               "You'll find more on the city's page \"%s\".",
			AskCost:               "What does it cost?",
			AskDocuments:          "Which documents do I need?",
			AskHours:              "Where and when?",
			AskDeadline:           "Is there a deadline?",
			Topics:                []string{"Renew my ID card", "Register my address", "Bulky waste collection"},
			NotCovered: map[aspect]string{
				aspectNone:        "The city's page \"%s\" does not answer this question.",
				aspectFees:        "The city's page \"%s\" does not mention a fee.",
				aspectDocuments:   "The city's page \"%s\" does not list any documents.",
				aspectDeadline:    "The city's page \"%s\" does not mention a deadline.",
				aspectDuration:    "The city's page \"%s\" does not say how long it takes.",
				aspectPlace:       "The city's page \"%s\" does not say where to go.",
				aspectHours:       "The city's page \"%s\" does not give opening hours.",
				aspectContact:     "The city's page \"%s\" does not give contact details.",
				aspectOnline:      "The city's page \"%s\" does not say whether this can be done online.",
				aspectEligibility: "The city's page \"%s\" does not say who is eligible.",
				aspectProcedure:   "The city's page \"%s\" does not describe how to apply.",
				aspectAge:         "The city's page \"%s\" does not mention an age.",
				aspectCount:       "The city's page \"%s\" does not give a number.",
				aspectWhen:        "The city's page \"%s\" does not say when.",
			},
			NotCoveredOffer: "A member of staff can help you with that.",
		}
	}
	return phrases{
		lang:                  "de",
		Disclosure:            "Hallo! Ich bin der digitale Assistent der Stadt %s – eine KI, kein Mensch. Ich antworte mit den Informationen der städtischen Serviceseiten und kann Sie mit einer Mitarbeiterin oder einem Mitarbeiter verbinden.",
		Greeting:              "Hallo! Wie kann ich helfen? Fragen Sie mich zu einer Leistung der Stadt, zum Beispiel zum Personalausweis, zur Anmeldung der Wohnung oder zum Sperrmüll.",
		Thanks:                "Gern geschehen! Kann ich sonst noch helfen?",
		Goodbye:               "Auf Wiedersehen und alles Gute!",
		Capabilities:          "Ich beantworte Fragen zu den Leistungen der Stadt: was Sie brauchen, was es kostet, welche Fristen gelten und wohin Sie gehen. Ich zitiere die Seiten der Stadt und nenne Ihnen den Link. Wenn ich nicht helfen kann, verbinde ich Sie mit einer Mitarbeiterin oder einem Mitarbeiter.",
		Emergency:             "Im Notfall rufen Sie bitte sofort an: Feuerwehr und Rettungsdienst 112, Polizei 110. Ich gebe Ihre Nachricht zusätzlich an eine Mitarbeiterin oder einen Mitarbeiter weiter.",
		Distress:              "Es tut mir leid, dass Sie das erleben. Wenn Sie in Gefahr sind, rufen Sie die Polizei unter 110. Hilfetelefon Gewalt gegen Frauen: 116 016 (kostenlos, rund um die Uhr). Telefonseelsorge: 0800 111 0 111. Ich gebe Ihre Nachricht zusätzlich an eine Mitarbeiterin oder einen Mitarbeiter weiter.",
		PersonButton:          "Ich möchte mit einer Person sprechen",
		HandoffHuman:          "Gern – ich verbinde Sie mit einer Mitarbeiterin oder einem Mitarbeiter.",
		HandoffCase:           "Persönliche Akten und den Stand von Anträgen kann ich nicht einsehen. Dabei hilft Ihnen eine Mitarbeiterin oder ein Mitarbeiter – ich verbinde Sie.",
		HandoffLowConf:        "Ich bin nicht sicher, ob ich das mit den Seiten der Stadt richtig beantworten kann. Ich frage deshalb eine Mitarbeiterin oder einen Mitarbeiter.",
		HandoffInjection:      "Ich kann nur bei Leistungen der Stadt helfen. Ich gebe Ihre Nachricht an eine Mitarbeiterin oder einen Mitarbeiter weiter.",
		OffTopic:              "Dabei kann ich leider nicht helfen: Ich beantworte nur Fragen zu Leistungen der Stadt, zum Beispiel wie man einen Personalausweis verlängert, eine neue Wohnung anmeldet oder was eine Genehmigung kostet. Falls es doch um ein Anliegen bei der Stadt geht, fragen Sie gern mit anderen Worten oder sprechen Sie mit einer Person.",
		NothingFound:          "Dazu habe ich auf den Seiten der Stadt nichts gefunden. Ich beantworte Fragen zu Leistungen der Stadt, zum Beispiel wie man einen Personalausweis verlängert, eine neue Wohnung anmeldet oder was eine Genehmigung kostet. Falls es um ein Anliegen bei der Stadt geht, fragen Sie gern mit anderen Worten oder sprechen Sie mit einer Person.",
		Hedge:                 "Ich bin nicht ganz sicher, ob diese Seite Ihre Frage beantwortet:",
		NoAnswerAfterGiveBack: "Dazu habe ich auf den Seiten der Stadt leider keine Antwort gefunden, und eine Mitarbeiterin oder ein Mitarbeiter hat sich die Frage schon angesehen. Fragen Sie mich gern etwas anderes, oder bitten Sie erneut um eine Person.",
		HandoffFailed:         "Leider kann ich gerade niemanden erreichen. Bitte versuchen Sie es in ein paar Minuten noch einmal.",
		TurnFailed:            "Entschuldigung, bei mir ist ein Fehler aufgetreten. Bitte versuchen Sie es gleich noch einmal.",
		ContactSaved:          "Vielen Dank – ich habe Ihre Rückruf-Bitte gespeichert. Eine Mitarbeiterin oder ein Mitarbeiter meldet sich, sobald wir wieder geöffnet haben.",
		ContactDeclined:       "In Ordnung. Sie können mich gern weiter fragen oder es zu den Öffnungszeiten noch einmal versuchen.",
		Clarify:               "Welche dieser Leistungen meinen Sie?",
		OtherLanguage:         "(Diese Seite gibt es nur auf Englisch.)",
		MoreOnPage:            "Mehr dazu: %s",
		MoreItems:             "… und %d weitere auf der Seite",
		MoreItem:              "… und ein weiterer Punkt auf der Seite",
		SeePage:               "Mehr finden Sie auf der Seite der Stadt „%s“.",
		AskCost:               "Was kostet das?",
		AskDocuments:          "Welche Unterlagen brauche ich?",
		AskHours:              "Wo und wann?",
		AskDeadline:           "Gibt es eine Frist?",
		Topics:                []string{"Personalausweis verlängern", "Wohnung anmelden", "Sperrmüll anmelden"},
		NotCovered: map[aspect]string{
			aspectNone:        "Die Seite der Stadt „%s“ beantwortet diese Frage nicht.",
			aspectFees:        "Die Seite der Stadt „%s“ nennt keine Gebühr.",
			aspectDocuments:   "Die Seite der Stadt „%s“ nennt keine Unterlagen.",
			aspectDeadline:    "Die Seite der Stadt „%s“ nennt keine Frist.",
			aspectDuration:    "Die Seite der Stadt „%s“ sagt nicht, wie lange es dauert.",
			aspectPlace:       "Die Seite der Stadt „%s“ sagt nicht, wohin Sie sich wenden.",
			aspectHours:       "Die Seite der Stadt „%s“ nennt keine Öffnungszeiten.",
			aspectContact:     "Die Seite der Stadt „%s“ nennt keine Kontaktdaten.",
			aspectOnline:      "Die Seite der Stadt „%s“ sagt nicht, ob das online geht.",
			aspectEligibility: "Die Seite der Stadt „%s“ nennt keine Voraussetzungen.",
			aspectProcedure:   "Die Seite der Stadt „%s“ beschreibt den Ablauf nicht.",
			aspectAge:         "Die Seite der Stadt „%s“ nennt kein Alter.",
			aspectCount:       "Die Seite der Stadt „%s“ nennt keine Zahl dazu.",
			aspectWhen:        "Die Seite der Stadt „%s“ sagt nicht, wann.",
		},
		NotCoveredOffer: "Eine Mitarbeiterin oder ein Mitarbeiter kann Ihnen dabei weiterhelfen.",
	}
}

// notCovered says that the page titled title does not say what was asked.
func (p phrases) notCovered(a aspect, title string) string {
	f, ok := p.NotCovered[a]
	if !ok {
		f = p.NotCovered[aspectNone]
	}
	return fmt.Sprintf(f, title) + " " + p.NotCoveredOffer
}

// queued tells the citizen the handoff went through.
func (p phrases) queued(q conversation.QueueStatus, style Style) string {
	if q.Ticket {
		return p.ticket(q, style)
	}
	if style == StyleMail {
		if p.lang == "en" {
			return "A member of staff will answer your e-mail as soon as possible."
		}
		return "Eine Mitarbeiterin oder ein Mitarbeiter beantwortet Ihre E-Mail so bald wie möglich."
	}
	wait := ""
	if q.Wait > 0 {
		wait = p.waitText(q.Wait)
	}
	if p.lang == "en" {
		s := "A member of staff will take over here as soon as possible."
		if q.Position > 0 {
			s += fmt.Sprintf(" You are number %d in the queue.", q.Position)
		}
		if wait != "" {
			s += " Estimated wait: " + wait + "."
		}
		return s + " Until then you can keep asking me general questions."
	}
	s := "Eine Mitarbeiterin oder ein Mitarbeiter übernimmt hier so bald wie möglich."
	if q.Position > 0 {
		s += fmt.Sprintf(" Sie sind an Position %d der Warteschlange.", q.Position)
	}
	if wait != "" {
		s += " Geschätzte Wartezeit: " + wait + "."
	}
	return s + " Bis dahin können Sie mir weiter allgemeine Fragen stellen."
}

func (p phrases) ticket(q conversation.QueueStatus, style Style) string {
	when := ""
	if !q.NextOpen.IsZero() {
		when = p.openText(q.NextOpen)
	}
	if p.lang == "en" {
		s := "Right now no member of staff is available"
		if when != "" {
			s += " (we are back " + when + ")"
		}
		s += "."
		if style == StyleSpoken || style == StyleShort {
			return s + " We have saved your request and will call you back on this number."
		}
		if style == StyleMail {
			return s + " We have saved your request; a member of staff will answer your e-mail."
		}
		return s + " If you would like a callback, send me your phone number or e-mail address. Your question stays saved for our staff."
	}
	s := "Gerade ist leider niemand erreichbar"
	if when != "" {
		s += " (wieder " + when + ")"
	}
	s += "."
	if style == StyleSpoken || style == StyleShort {
		return s + " Wir haben Ihr Anliegen gespeichert und rufen Sie unter dieser Nummer zurück."
	}
	if style == StyleMail {
		return s + " Wir haben Ihr Anliegen gespeichert; eine Mitarbeiterin oder ein Mitarbeiter beantwortet Ihre E-Mail."
	}
	return s + " Wenn Sie einen Rückruf möchten, schicken Sie mir Ihre Telefonnummer oder E-Mail-Adresse. Ihre Frage bleibt für unsere Mitarbeitenden gespeichert."
}

func (p phrases) alreadyQueued(q conversation.QueueStatus) string {
	if p.lang == "en" {
		if q.Position > 0 {
			return fmt.Sprintf("You are already waiting for a member of staff (number %d in the queue).", q.Position)
		}
		return "Your request for a member of staff is already saved."
	}
	if q.Position > 0 {
		return fmt.Sprintf("Sie warten bereits auf eine Mitarbeiterin oder einen Mitarbeiter (Position %d).", q.Position)
	}
	return "Ihre Anfrage an unsere Mitarbeitenden ist bereits gespeichert."
}

func (p phrases) waitText(d time.Duration) string {
	m := int(d.Round(time.Minute) / time.Minute)
	if m < 1 {
		m = 1
	}
	if p.lang == "en" {
		if m == 1 {
			return "about 1 minute"
		}
		return fmt.Sprintf("about %d minutes", m)
	}
	if m == 1 {
		return "etwa 1 Minute"
	}
	return fmt.Sprintf("etwa %d Minuten", m)
}

func (p phrases) openText(t time.Time) string {
	if p.lang == "en" {
		return fmt.Sprintf("on %s at %s", t.Weekday(), t.Format("15:04"))
	}
	days := [...]string{"Sonntag", "Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag"}
	return fmt.Sprintf("am %s um %s Uhr", days[t.Weekday()], t.Format("15:04"))
}
