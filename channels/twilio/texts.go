package twilio

import (
	"fmt"
	"strings"
	"time"
)

// texts are the channel's own words in one language: the AI disclosure on
// the phone, keywords, the call's prompts. What the bot answers comes from
// the dialog service.
type texts struct {
	lang string

	// SMS
	SMSDisclosure string // %s = city
	StopConfirm   string
	StartConfirm  string
	Help          string // %s = city
	MediaOnly     string
	TooLong       string // %d = characters
	SMSFailed     string
	DailyLimit    string // %d = answers per day
	Options       string // "Reply with the number:"
	PersonOption  string

	// WhatsApp
	WADisclosure  string // %s = city
	WAPrivacy     string // %s = URL
	WAStopConfirm string
	WAMediaOnly   string
	WAMediaNote   string
	WADailyLimit  string // %d = answers per day

	// Voice
	Greeting      string // %s = city; says which key/word picks this language
	ChooseAgain   string
	Ask           string
	NotUnderstood string
	OfferPerson   string
	LinkOffer     string
	AnythingElse  string
	LinkSent      string // %s = page title
	LinkFailed    string
	Connecting    string
	Callback      string // %s = " (we are back …)" or ""
	CallbackNoNum string
	DialGone      string // the line did not answer
	Goodbye       string
	Sorry         string
	WithStaff     string
	ChooseOptions string // "Say the name, or press"
	PressFor      string // %d, %s
	TooLongSpoken string
	LinkSMSBody   string // %s title, %s URL
}

func textsFor(lang string) texts {
	if lang == "en" {
		return texts{
			lang:          "en",
			SMSDisclosure: "Digital assistant of %s (an AI, not a person).",
			StopConfirm:   "You will get no more messages from us. Send START to use the service again.",
			StartConfirm:  "Welcome back! Ask me about a city service.",
			Help:          "This is the digital assistant of %s, an AI. Ask about a city service; write \"person\" to reach a member of staff. STOP ends all messages.",
			MediaOnly:     "Sorry, I can only read text. Please write your question.",
			TooLong:       "Your message is too long. Please write at most %d characters.",
			SMSFailed:     "Sorry, something went wrong on our side. Please send your message again in a few minutes.",
			DailyLimit:    "You have had %d answers by SMS today, the most we send to one number in a day. We answer again tomorrow; until then, please use the chat on our website or call us.",
			Options:       "Reply with the number:",
			PersonOption:  "a member of staff",

			WADisclosure:  "_You are writing with the digital assistant of %s, an AI, not a person. Write \"person\" to reach a member of staff._",
			WAPrivacy:     "_Privacy: %s_",
			WAStopConfirm: "You will get no more WhatsApp messages from us. Send START to use the service again.",
			WAMediaOnly:   "Sorry, I cannot read pictures, voice messages or files. Please write your question as text.",
			WAMediaNote:   "_(I cannot read pictures, voice messages or files; a member of staff can see them if your request is passed on.)_",
			WADailyLimit:  "You have had %d answers today, the most we send to one number in a day. We answer again tomorrow; until then, please use the chat on our website or call us.",

			Greeting:      "Hello, this is the digital assistant of %s. I am an AI, not a person. What you say is saved as text for our staff. For English, say English or press 2.",
			ChooseAgain:   "Sorry, I didn't catch that. For English, say English or press 2.",
			Ask:           "How can I help you? Ask me about a city service, for example your ID card or bulky waste. To talk to a member of staff, press 0.",
			NotUnderstood: "Sorry, I didn't understand that. Please say it again.",
			OfferPerson:   "I'm sorry, I still didn't understand. Would you like to talk to a member of staff? Then say yes or press 0. Or ask your question again.",
			LinkOffer:     "Shall I send you the link by text message? Then press 1 or say yes.",
			AnythingElse:  "Is there anything else I can help you with?",
			LinkSent:      "I have sent you the link to the page \"%s\" by text message.",
			LinkFailed:    "Sorry, I could not send the text message.",
			Connecting:    "I'm putting you through to a member of staff. Please hold.",
			Callback:      "Right now nobody can take your call%s. We have saved your request and will call you back on this number. Goodbye!",
			CallbackNoNum: "Right now nobody can take your call, and your number is withheld, so we cannot call you back. Please call again during our opening hours. Goodbye!",
			DialGone:      "Unfortunately nobody answered.",
			Goodbye:       "Thank you for calling. Goodbye!",
			Sorry:         "Sorry, something went wrong on my side. Please try again in a few minutes.",
			WithStaff:     "A member of staff is already looking after your request and will get back to you. I have passed your message on.",
			ChooseOptions: "Say the name, or press",
			PressFor:      "%d for %s",
			TooLongSpoken: "That was a bit long for me. Please ask your question in one or two sentences.",
			LinkSMSBody:   "%s: %s",
		}
	}
	return texts{
		lang:          "de",
		SMSDisclosure: "Digitaler Assistent der Stadt %s (eine KI, kein Mensch).",
		StopConfirm:   "Sie erhalten keine Nachrichten mehr von uns. Mit START können Sie den Dienst wieder nutzen.",
		StartConfirm:  "Willkommen zurück! Fragen Sie mich zu einer Leistung der Stadt.",
		Help:          "Hier antwortet der digitale Assistent der Stadt %s, eine KI. Fragen Sie zu einer Leistung der Stadt; schreiben Sie \"Mitarbeiter\" für eine Person. STOPP beendet alle Nachrichten.",
		MediaOnly:     "Entschuldigung, ich kann nur Text lesen. Bitte schreiben Sie Ihre Frage.",
		TooLong:       "Ihre Nachricht ist zu lang. Bitte schreiben Sie höchstens %d Zeichen.",
		SMSFailed:     "Entschuldigung, bei uns ist ein Fehler aufgetreten. Bitte senden Sie Ihre Nachricht in ein paar Minuten noch einmal.",
		DailyLimit:    "Sie haben heute %d Antworten per SMS bekommen, mehr senden wir an eine Nummer an einem Tag nicht. Morgen antworten wir wieder; bis dahin nutzen Sie bitte den Chat auf unserer Website oder rufen Sie uns an.",
		Options:       "Antworten Sie mit der Nummer:",
		PersonOption:  "eine Mitarbeiterin oder ein Mitarbeiter",

		WADisclosure:  "_Sie schreiben mit dem digitalen Assistenten der Stadt %s, einer KI, keinem Menschen. Schreiben Sie \"Mitarbeiter\", um eine Person zu erreichen._",
		WAPrivacy:     "_Datenschutz: %s_",
		WAStopConfirm: "Sie erhalten keine WhatsApp-Nachrichten mehr von uns. Mit START können Sie den Dienst wieder nutzen.",
		WAMediaOnly:   "Entschuldigung, Bilder, Sprachnachrichten und Dateien kann ich nicht lesen. Bitte schreiben Sie Ihre Frage als Text.",
		WAMediaNote:   "_(Bilder, Sprachnachrichten und Dateien kann ich nicht lesen; wird Ihr Anliegen weitergegeben, sieht sie eine Mitarbeiterin oder ein Mitarbeiter.)_",
		WADailyLimit:  "Sie haben heute %d Antworten bekommen, mehr senden wir an eine Nummer an einem Tag nicht. Morgen antworten wir wieder; bis dahin nutzen Sie bitte den Chat auf unserer Website oder rufen Sie uns an.",

		Greeting:      "Guten Tag, hier ist der digitale Assistent der Stadt %s. Ich bin eine künstliche Intelligenz, kein Mensch. Was Sie sagen, wird für unsere Mitarbeitenden als Text gespeichert. Für Deutsch sagen Sie Deutsch oder drücken Sie die 1.",
		ChooseAgain:   "Entschuldigung, das habe ich nicht verstanden. Für Deutsch sagen Sie Deutsch oder drücken Sie die 1.",
		Ask:           "Wie kann ich Ihnen helfen? Fragen Sie mich zu einer Leistung der Stadt, zum Beispiel zum Personalausweis oder zum Sperrmüll. Für eine Mitarbeiterin oder einen Mitarbeiter drücken Sie die 0.",
		NotUnderstood: "Entschuldigung, das habe ich nicht verstanden. Bitte sagen Sie es noch einmal.",
		OfferPerson:   "Entschuldigung, ich habe Sie wieder nicht verstanden. Möchten Sie mit einer Mitarbeiterin oder einem Mitarbeiter sprechen? Dann sagen Sie Ja oder drücken Sie die 0. Oder stellen Sie Ihre Frage noch einmal.",
		LinkOffer:     "Soll ich Ihnen den Link per SMS schicken? Dann drücken Sie die 1 oder sagen Sie Ja.",
		AnythingElse:  "Kann ich sonst noch helfen?",
		LinkSent:      "Ich habe Ihnen den Link zur Seite „%s“ per SMS geschickt.",
		LinkFailed:    "Entschuldigung, die SMS konnte ich leider nicht verschicken.",
		Connecting:    "Ich verbinde Sie mit einer Mitarbeiterin oder einem Mitarbeiter. Bitte bleiben Sie dran.",
		Callback:      "Gerade ist leider niemand erreichbar%s. Wir haben Ihr Anliegen gespeichert und rufen Sie unter dieser Nummer zurück. Auf Wiederhören!",
		CallbackNoNum: "Gerade ist leider niemand erreichbar, und Ihre Rufnummer ist unterdrückt, deshalb können wir Sie nicht zurückrufen. Bitte rufen Sie zu unseren Öffnungszeiten wieder an. Auf Wiederhören!",
		DialGone:      "Leider hat niemand abgenommen.",
		Goodbye:       "Vielen Dank für Ihren Anruf. Auf Wiederhören!",
		Sorry:         "Entschuldigung, bei mir ist ein Fehler aufgetreten. Bitte versuchen Sie es in ein paar Minuten noch einmal.",
		WithStaff:     "Eine Mitarbeiterin oder ein Mitarbeiter kümmert sich bereits um Ihr Anliegen und meldet sich bei Ihnen. Ich habe Ihre Nachricht weitergegeben.",
		ChooseOptions: "Sagen Sie den Namen, oder drücken Sie",
		PressFor:      "die %d für %s",
		TooLongSpoken: "Das war etwas lang für mich. Bitte stellen Sie Ihre Frage in ein oder zwei Sätzen.",
		LinkSMSBody:   "%s: %s",
	}
}

// backAt says when staff are back, for the callback sentence.
func (t texts) backAt(next time.Time) string {
	if next.IsZero() {
		return ""
	}
	if t.lang == "en" {
		return fmt.Sprintf(" (we are back on %s at %s)", next.Weekday(), next.Format("15:04"))
	}
	days := [...]string{"Sonntag", "Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag"}
	return fmt.Sprintf(" (wir sind am %s um %s Uhr wieder da)", days[next.Weekday()], next.Format("15:04"))
}

// sayable turns a bot reply into text for <Say>: one line, no bullets.
func sayable(s string) string {
	r := strings.NewReplacer("•", ",", "\n", " ", "…", ".", "„", "", "“", "", "\"", "")
	return strings.Join(strings.Fields(r.Replace(s)), " ")
}

// firstParagraph is the first paragraph of a bot reply (the dialog service
// joins the engine's text and the queue notice with a blank line).
func firstParagraph(s string) string {
	if i := strings.Index(s, "\n\n"); i >= 0 {
		return s[:i]
	}
	return s
}

// normalizeWords folds a short utterance for keyword matching: lower case,
// no punctuation, apostrophes dropped ("das war's" → "das wars").
func normalizeWords(s string) string {
	s = strings.ToLower(s)
	s = strings.Map(func(r rune) rune {
		switch r {
		case '\'', '’', '`', '´':
			return -1
		case '.', ',', '!', '?', ';', ':', '"', '„', '“', '(', ')', '-', '–':
			return ' '
		}
		return r
	}, s)
	return strings.Join(strings.Fields(s), " ")
}

// isYes reports a spoken or written "yes".
func isYes(s string) bool {
	switch normalizeWords(s) {
	case "ja", "ja bitte", "ja gerne", "ja gern", "jawohl", "gerne", "gern", "bitte", "ok", "okay", "genau", "richtig",
		"yes", "yes please", "yeah", "yep", "sure", "please", "ok please", "okay please":
		return true
	}
	return false
}

// isNo reports a spoken "no" or "that's all" after "anything else?": only
// closing words and politeness, with at least one closing word or phrase.
func isNo(s string) bool {
	n := normalizeWords(s)
	words := strings.Fields(n)
	if len(words) == 0 || len(words) > 8 {
		return false
	}
	closing := false
	for _, w := range words {
		switch w {
		case "nein", "nee", "nö", "no", "nope", "nichts", "nothing":
			closing = true
		case "danke", "dankeschön", "vielen", "dank", "thanks", "thank", "you", "das", "wars", "war", "ist", "alles", "es",
			"mehr", "sonst", "else", "that", "thats", "all", "it", "its", "everything", "bye", "goodbye", "tschüss",
			"auf", "wiederhören", "wiedersehen", "ok", "okay", "gut", "fine", "for", "now", "erstmal", "im", "moment":
		default:
			return false
		}
	}
	for _, p := range []string{"das wars", "das war alles", "das ist alles", "thats all", "thats it", "thats everything"} {
		if strings.Contains(n, p) {
			closing = true
		}
	}
	return closing
}
