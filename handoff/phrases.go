package handoff

// notice is a status message the citizen sees, in German and English.
type notice struct{ de, en string }

func (n notice) in(lang string) string {
	if lang == "en" {
		return n.en
	}
	return n.de
}

// Notices appended to the transcript as conversation.RoleSystem messages.
var (
	noticeClaimed = notice{
		de: "Eine Mitarbeiterin oder ein Mitarbeiter hat das Gespräch übernommen. Sie schreiben jetzt mit einem Menschen.",
		en: "A member of staff has joined. You are now talking to a person.",
	}
	noticeTransferred = notice{
		de: "Ihr Gespräch wurde an eine Kollegin oder einen Kollegen übergeben.",
		en: "Your conversation has been passed to a colleague.",
	}
	noticeGaveBack = notice{
		de: "Sie schreiben jetzt wieder mit dem digitalen Assistenten (einer KI).",
		en: "You are talking to the digital assistant (an AI) again.",
	}
	noticeClosed = notice{
		de: "Das Gespräch wurde beendet. Wenn Sie noch Fragen haben, schreiben Sie einfach wieder.",
		en: "This conversation has been closed. If you have more questions, just write again.",
	}
	noticeNobodyOnline = notice{
		de: "Gerade ist leider niemand erreichbar. Wenn Sie einen Rückruf möchten, schicken Sie mir Ihre Telefonnummer oder E-Mail-Adresse. Ihre Frage bleibt für unsere Mitarbeitenden gespeichert.",
		en: "Right now no member of staff is available. If you would like a callback, send me your phone number or e-mail address. Your question stays saved for our staff.",
	}
)

// noticeCallBackNumber is noticeNobodyOnline for SMS and phone, where the
// number is known.
var noticeCallBackNumber = notice{
	de: "Gerade ist leider niemand erreichbar. Wir haben Ihr Anliegen gespeichert und melden uns unter dieser Nummer.",
	en: "Right now no member of staff is available. We have saved your request and will get back to you on this number.",
}
