package analytics

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestScrub(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		// Kept as they are: what content editors need.
		{"Was kostet ein Personalausweis?", "Was kostet ein Personalausweis?"},
		{"Wie lange dauert das 2025?", "Wie lange dauert das 2025?"},
		{"What does a residents' parking permit cost?", "What does a residents' parking permit cost?"},
		{"Ich bringe 2 Ausweise mit", "Ich bringe 2 Ausweise mit"},
		{"Kostet das 10 Euro oder 37,00 Euro?", "Kostet das 10 Euro oder 37,00 Euro?"},
		{"this is about my passport", "this is about my passport"},
		{"meine Frau ist krank, kann sie trotzdem kommen?", "meine Frau ist krank, kann sie trotzdem kommen?"},
		// E-mail, phone numbers, links.
		{"Schreiben Sie mir an zq.quendelbrot@example.org bitte", "Schreiben Sie mir an [email] bitte"},
		{"Rufen Sie mich an: +49 151 23456789", "Rufen Sie mich an: [phone]"},
		{"meine Nummer ist 0151/2345-6789.", "meine Nummer ist [phone]."},
		{"call me on (030) 123 456 78", "call me on [phone]"},
		{"siehe https://example.org/x?token=abc123 dort", "siehe [link] dort"},
		// The same patterns as callback details (package personal):
		// umlauts, internationalised domains, +49 and 0049, spaced numbers.
		{"bitte an jürgen.müller@gmx.de antworten", "bitte an [email] antworten"},
		{"info@bürgeramt-köln.de ist meine Adresse", "[email] ist meine Adresse"},
		{"ivan@example.xn--p1ai?", "[email]?"},
		{"erreichbar unter 0049 171 2345678 oder +491712345678", "erreichbar unter [phone] oder [phone]"},
		{"Handy 0171 234 56 78", "Handy [phone]"},
		{"Nummer 0171\u00a0234\u00a056\u00a078 bitte", "Nummer [phone] bitte"},
		// Digit runs, IBANs, dates, plates, addresses.
		{"Mein Aktenzeichen ist 4711081512", "Mein Aktenzeichen ist [number]"},
		{"Ich wohne in 10115 Berlin", "Ich wohne in [number] Berlin"},
		{"Kartennummer 1234 5678 9012 3456 7890 1234", "Kartennummer [phone]"},
		{"IBAN DE89 3704 0044 0532 0130 00 stimmt?", "IBAN [iban] stimmt?"},
		{"geboren am 12.03.1985, brauche ich einen Pass?", "geboren am [date], brauche ich einen Pass?"},
		{"born 1985-03-12", "born [date]"},
		{"Auto mit Kennzeichen B-AB 1234 abgeschleppt", "Auto mit Kennzeichen [plate] abgeschleppt"},
		{"Ich wohne in der Hauptstraße 5a und will ummelden", "Ich wohne in der [address] und will ummelden"},
		{"Lärm am Kaiserring 12!", "Lärm am [address]!"},
		{"I live at 221 Baker Street, is parking free?", "I live at [address], is parking free?"},
		// Names after introductions and in closings.
		{"Hallo, ich heiße Zacharias Quendelbrot und brauche einen Pass", "Hallo, ich heiße [name] und brauche einen Pass"},
		{"ich heisse max müller, wo melde ich mich um?", "ich heisse [name], wo melde ich mich um?"},
		{"Mein Name ist Erika Mustermann.", "Mein Name ist [name]."},
		{"My name is John Smith and I need a permit", "My name is [name] and I need a permit"},
		{"Kann ich mit Frau Schmidt sprechen?", "Kann ich mit Frau [name] sprechen?"},
		{"Please put me through to Mr. O'Neill", "Please put me through to Mr. [name]"},
		{"Wann habe ich einen Termin? Viele Grüße, Anna-Lena Berg", "Wann habe ich einen Termin? Viele Grüße, [name]"},
		{"Thanks, Quentin", "Thanks, [name]"},
		{"danke für die Info", "danke für die Info"},
		// Whitespace and control characters.
		{"  zwei\n\tZeilen \x00 hier ", "zwei Zeilen hier"},
	}
	for _, tt := range tests {
		if got := Scrub(tt.in); got != tt.want {
			t.Errorf("Scrub(%q)\n got %q\nwant %q", tt.in, got, tt.want)
		}
	}
}

func TestScrubLength(t *testing.T) {
	got := Scrub(strings.Repeat("Personalausweis ", 100))
	if n := utf8.RuneCountInString(got); n != MaxQuestionChars || !strings.HasSuffix(got, "…") {
		t.Errorf("long question: %d characters, %q…", n, got[:20])
	}
	if got := Scrub(string([]byte{0xff, 'o', 'k'})); got != "ok" {
		t.Errorf("invalid UTF-8: %q", got)
	}
}
