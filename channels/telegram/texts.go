package telegram

import (
	"fmt"
	"strings"
	"time"
)

// texts are the channel's own messages in one language. They are plain
// text; render escapes them.
type texts struct {
	lang string

	start          string // %s = city name
	privacy        string // %s = retention sentence
	retention      string // %d = days
	privacyLink    string // %s = URL
	help           string
	unknownCommand string
	deleted        string
	deleteFailed   string
	tooLong        string // %d = characters
	images         string
	audio          string
	sticker        string
	location       string
	contact        string
	edited         string
	group          string // %s = bot username
	buttonGone     string
	resend         string
	failed         string
	staff          string // a caseworker without a known name
	cityOf         string // %s = city name
	sources        string
}

var textsDE = texts{
	lang: "de",
	start: "Hallo! Ich bin der digitale Assistent der Stadt %s – eine KI, kein Mensch. " +
		"Ich beantworte Fragen zu den Leistungen der Stadt mit den Informationen ihrer Serviceseiten und nenne Ihnen den Link. " +
		"Wenn ich nicht helfen kann, verbinde ich Sie mit einer Mitarbeiterin oder einem Mitarbeiter.",
	privacy: "Datenschutz: Ihre Nachrichten werden gespeichert, damit ich antworten und Mitarbeitende Ihr Anliegen übernehmen können%s. " +
		"Bitte schicken Sie mir keine sensiblen Daten wie Gesundheitsangaben oder Ausweisnummern. " +
		"Mit /delete löschen Sie Ihr Gespräch jederzeit.",
	retention:   ", und nach %d Tagen ohne neue Nachricht gelöscht",
	privacyLink: "Mehr zum Datenschutz: %s",
	help: "So funktioniert es: Schreiben Sie Ihre Frage einfach als Nachricht, zum Beispiel „Was kostet ein Personalausweis?“.\n\n" +
		"/human – mit einer Mitarbeiterin oder einem Mitarbeiter schreiben\n" +
		"/delete – Ihr Gespräch und alle gespeicherten Nachrichten löschen\n" +
		"/start – Begrüßung und Hinweise zum Datenschutz\n" +
		"/help – diese Hilfe",
	unknownCommand: "Diesen Befehl kenne ich nicht. Mit /help sehen Sie, was ich kann – oder schreiben Sie Ihre Frage einfach als Nachricht.",
	deleted:        "Ihr Gespräch und alle gespeicherten Nachrichten sind gelöscht. Wenn Sie mir wieder schreiben, beginnt ein neues Gespräch.",
	deleteFailed:   "Ihr Gespräch konnte gerade nicht gelöscht werden. Bitte versuchen Sie es in ein paar Minuten noch einmal mit /delete.",
	tooLong:        "Ihre Nachricht ist zu lang – ich kann höchstens %d Zeichen lesen. Bitte fassen Sie Ihre Frage kürzer.",
	images:         "Bilder und Dateien kann ich leider nicht ansehen. Bitte schreiben Sie Ihre Frage als Text. Schicken Sie mir bitte keine Fotos von Ausweisen oder Bescheiden.",
	audio:          "Sprach- und Videonachrichten kann ich leider nicht anhören. Bitte schreiben Sie Ihre Frage als Text.",
	sticker:        "Danke! Ich verstehe aber nur Text – schreiben Sie mir Ihre Frage gern als Nachricht.",
	location:       "Standorte kann ich leider nicht verarbeiten. Bitte schreiben Sie Ihre Frage als Text, zum Beispiel mit dem Stadtteil.",
	contact:        "Kontakte kann ich nicht verarbeiten. Wenn Sie mit einer Person sprechen möchten, schreiben Sie /human.",
	edited:         "Bearbeitete Nachrichten kann ich leider nicht berücksichtigen. Bitte schicken Sie Ihre Frage als neue Nachricht.",
	group:          "Ich beantworte Fragen nur im privaten Chat, damit Ihre Anliegen vertraulich bleiben. Schreiben Sie mir direkt: https://t.me/%s",
	buttonGone:     "Diese Auswahl gibt es nicht mehr. Bitte schreiben Sie Ihre Frage als Nachricht.",
	resend:         "Entschuldigung, Ihre letzte Nachricht konnte ich nicht beantworten. Bitte schicken Sie sie noch einmal.",
	failed:         "Entschuldigung, bei mir ist ein Fehler aufgetreten. Bitte versuchen Sie es gleich noch einmal.",
	staff:          "Mitarbeiterin/Mitarbeiter",
	cityOf:         "Stadt %s",
	sources:        "Quelle",
}

var textsEN = texts{
	lang: "en",
	start: "Hello! I am the digital assistant of %s — an AI, not a person. " +
		"I answer questions about the city's services from its service pages and give you the link. " +
		"If I can't help, I'll put you through to a member of staff.",
	privacy: "Privacy: your messages are stored so that I can answer and staff can take over your request%s. " +
		"Please don't send me sensitive data such as health details or ID numbers. " +
		"Send /delete to delete your conversation at any time.",
	retention:   ", and deleted after %d days without a new message",
	privacyLink: "More about privacy: %s",
	help: "How it works: just write your question as a message, for example \"What does an ID card cost?\".\n\n" +
		"/human – write with a member of staff\n" +
		"/delete – delete your conversation and all stored messages\n" +
		"/start – welcome and privacy notice\n" +
		"/help – this help",
	unknownCommand: "I don't know that command. Send /help to see what I can do – or just write your question as a message.",
	deleted:        "Your conversation and all stored messages have been deleted. If you write to me again, a new conversation starts.",
	deleteFailed:   "Your conversation could not be deleted just now. Please try /delete again in a few minutes.",
	tooLong:        "Your message is too long – I can read at most %d characters. Please make your question shorter.",
	images:         "I can't look at pictures or files, sorry. Please write your question as text. Please don't send me photos of ID cards or letters.",
	audio:          "I can't listen to voice or video messages, sorry. Please write your question as text.",
	sticker:        "Thanks! I only understand text, though – please write your question as a message.",
	location:       "I can't use locations, sorry. Please write your question as text, for example with the district.",
	contact:        "I can't use contacts. If you would like to talk to a person, send /human.",
	edited:         "I can't take edited messages into account, sorry. Please send your question as a new message.",
	group:          "I only answer questions in a private chat, so that your requests stay confidential. Write to me directly: https://t.me/%s",
	buttonGone:     "This choice is no longer available. Please write your question as a message.",
	resend:         "Sorry, I couldn't answer your last message. Please send it again.",
	failed:         "Sorry, something went wrong on my side. Please try again in a moment.",
	staff:          "Member of staff",
	cityOf:         "City of %s",
	sources:        "Source",
}

func textsFor(lang string) texts {
	if lang == "en" {
		return textsEN
	}
	return textsDE
}

// greeting is the /start message: AI disclosure, what the bot does, and
// the privacy notice.
func (t texts) greeting(city, privacyURL string, retention time.Duration) string {
	keep := ""
	if days := int(retention / (24 * time.Hour)); days > 0 {
		keep = fmt.Sprintf(t.retention, days)
	}
	parts := []string{fmt.Sprintf(t.start, city), fmt.Sprintf(t.privacy, keep)}
	if privacyURL != "" {
		parts = append(parts, fmt.Sprintf(t.privacyLink, privacyURL))
	}
	return strings.Join(parts, "\n\n")
}

// chatLanguage maps Telegram's language_code (an IETF tag such as "de",
// "de-AT", "en-GB") to a language civibot speaks, or "" for others.
func chatLanguage(code string) string {
	code = strings.ToLower(code)
	switch {
	case code == "de" || strings.HasPrefix(code, "de-"):
		return "de"
	case code == "en" || strings.HasPrefix(code, "en-"):
		return "en"
	}
	return ""
}
