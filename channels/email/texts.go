package email

import (
	"fmt"
	"strings"
)

// texts are the channel's own words: the footer every bot reply carries
// (AI disclosure, how to reach a person, privacy), and notices. What the
// bot answers comes from the dialog service.
type texts struct {
	lang           string
	Disclosure     string // %s = city
	Person         string
	Privacy        string // %s = URL
	PrivacyNoURL   string
	Retention      string // %d = days
	Source         string // "Quelle" / "Source"
	Options        string
	Attachments    string // %s = list
	Empty          string
	Unreadable     string
	Shortened      string // %d = characters
	DailyLimit     string // %d = answers
	StaffSignature string // %s = name, %s = city
	Staff          string // a member of staff, when the name is unknown
	Template       string
}

func textsFor(lang string) texts {
	if lang == "en" {
		return texts{
			lang:           "en",
			Disclosure:     "This answer was written by the digital assistant of %s, an AI, not a person. It can be wrong: the linked page of the city is what counts.",
			Person:         "To reach a member of staff, reply to this e-mail with \"person\".",
			Privacy:        "Privacy: %s",
			PrivacyNoURL:   "Your e-mail is kept for our staff and deleted after the retention period.",
			Retention:      "Your e-mails are deleted %d days after the last message.",
			Source:         "Source",
			Options:        "Reply with the number or the name:",
			Attachments:    "Attachments are not read by the assistant: %s. A member of staff can see them if your request is passed on.",
			Empty:          "Your e-mail had no text we could read. Please write your question in the e-mail itself.",
			Unreadable:     "We could not read your e-mail (it may be damaged). Please send your question again as plain text.",
			Shortened:      "Your e-mail was long: the assistant read its first %d characters.",
			DailyLimit:     "You have had %d answers from the assistant by e-mail today, the most we send to one address in a day. Further e-mails today are kept for our staff but not answered automatically.",
			StaffSignature: "%s, %s",
			Staff:          "Your city administration",
		}
	}
	return texts{
		lang:           "de",
		Disclosure:     "Diese Antwort hat der digitale Assistent der Stadt %s geschrieben, eine KI, kein Mensch. Sie kann Fehler enthalten: Maßgeblich ist die verlinkte Seite der Stadt.",
		Person:         "Um eine Mitarbeiterin oder einen Mitarbeiter zu erreichen, antworten Sie auf diese E-Mail mit \"Mitarbeiter\".",
		Privacy:        "Datenschutz: %s",
		PrivacyNoURL:   "Ihre E-Mail wird für unsere Mitarbeitenden gespeichert und nach Ablauf der Speicherfrist gelöscht.",
		Retention:      "Ihre E-Mails werden %d Tage nach der letzten Nachricht gelöscht.",
		Source:         "Quelle",
		Options:        "Antworten Sie mit der Nummer oder dem Namen:",
		Attachments:    "Anhänge liest der Assistent nicht: %s. Wird Ihr Anliegen an eine Mitarbeiterin oder einen Mitarbeiter weitergegeben, sind sie dort zu sehen.",
		Empty:          "Ihre E-Mail enthielt keinen Text, den wir lesen konnten. Bitte schreiben Sie Ihre Frage in die E-Mail selbst.",
		Unreadable:     "Wir konnten Ihre E-Mail nicht lesen (sie ist möglicherweise beschädigt). Bitte senden Sie Ihre Frage noch einmal als einfachen Text.",
		Shortened:      "Ihre E-Mail war lang: Der Assistent hat die ersten %d Zeichen gelesen.",
		DailyLimit:     "Sie haben heute %d Antworten des Assistenten per E-Mail bekommen, mehr senden wir an eine Adresse an einem Tag nicht. Weitere E-Mails von heute bleiben für unsere Mitarbeitenden gespeichert, werden aber nicht automatisch beantwortet.",
		StaffSignature: "%s, Stadt %s",
		Staff:          "Ihre Stadtverwaltung",
	}
}

// attachmentList names attachments with their sizes: "scan.pdf (1.2 MB)".
func attachmentList(as []attachment) string {
	parts := make([]string, 0, len(as))
	for _, a := range as {
		name := a.Name
		if name == "" {
			name = a.Type
		}
		parts = append(parts, fmt.Sprintf("%s (%s)", name, size(a.Size)))
	}
	return strings.Join(parts, ", ")
}

func size(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%d KB", n>>10)
	}
	return fmt.Sprintf("%d B", n)
}
