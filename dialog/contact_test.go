package dialog

import "testing"

// TestParseContactPersonalData: callback details as citizens write them,
// with the umlauts, internationalised domains and number forms the
// analytics scrubber knows too (package personal).
func TestParseContactPersonalData(t *testing.T) {
	for _, tt := range []struct {
		text, phone, email, note string
	}{
		{"jürgen.müller@gmx.de", "", "jürgen.müller@gmx.de", ""},
		{"Bitte an Jürgen.Müller@web.de schreiben", "", "Jürgen.Müller@web.de", "Bitte an  schreiben"},
		{"info@bürgeramt-köln.de", "", "info@bürgeramt-köln.de", ""},
		{"ivan@example.xn--p1ai", "", "ivan@example.xn--p1ai", ""},
		{"+49 171 2345678", "+49 171 2345678", "", ""},
		{"0049 171 2345678 ab 9 Uhr", "0049 171 2345678", "", "ab 9 Uhr"},
		{"0171 234 56 78", "0171 234 56 78", "", ""},
		{"Am 12.03.2026 bitte unter 030/1234567", "030/1234567", "", "Am 12.03.2026 bitte unter"},
		{"jürgen@müller.de oder +49 (0)30 123 456-78", "+49 (0)30 123 456-78", "jürgen@müller.de", "oder"},
	} {
		c, ok := parseContact(tt.text)
		if !ok || c.Phone != tt.phone || c.Email != tt.email || c.Note != tt.note {
			t.Errorf("parseContact(%q) = %+v, %v; want phone %q, email %q, note %q", tt.text, c, ok, tt.phone, tt.email, tt.note)
		}
	}
	for _, text := range []string{"am 12.03.2026", "Termin 2026-03-12", "12345", "Was kostet ein Reisepass?"} {
		if c, ok := parseContact(text); ok {
			t.Errorf("parseContact(%q) = %+v: no contact details in it", text, c)
		}
	}
}
