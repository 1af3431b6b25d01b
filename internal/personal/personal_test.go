package personal

import "testing"

func TestFindEmail(t *testing.T) {
	for _, tt := range []struct{ text, want string }{
		{"jürgen.müller@gmx.de", "jürgen.müller@gmx.de"},
		{"Schreiben Sie an Jürgen.Müller@GMX.de, danke", "Jürgen.Müller@GMX.de"},
		{"mail: a.b+amt@example.de.", "a.b+amt@example.de"},
		{"info@bürgeramt-köln.de", "info@bürgeramt-köln.de"},                     // IDN domain
		{"info@xn--brgeramt-kln-dlbg.de bitte", "info@xn--brgeramt-kln-dlbg.de"}, // the same in ASCII (punycode)
		{"иван@пример.рф", "иван@пример.рф"},                                     // another script, IDN top-level domain
		{"ivan@example.xn--p1ai", "ivan@example.xn--p1ai"},                       // .рф as punycode
		{"zoe@mail.example.co.uk)", "zoe@mail.example.co.uk"},
		{"jürgen.mu\u0308ller@gmx.de", "jürgen.mu\u0308ller@gmx.de"}, // a decomposed umlaut (NFD)
		{"Was kostet ein Reisepass?", ""},
		{"ich bin @home", ""},
		{"a@b", ""},
		{"user@-example.de", ""},
	} {
		if got := FindEmail(tt.text); got != tt.want {
			t.Errorf("FindEmail(%q) = %q, want %q", tt.text, got, tt.want)
		}
	}
}

func TestFindPhone(t *testing.T) {
	for _, tt := range []struct{ text, want string }{
		{"0171 2345678", "0171 2345678"},
		{"+49 171 2345678", "+49 171 2345678"},
		{"+491712345678", "+491712345678"},
		{"0049 171 2345678", "0049 171 2345678"},
		{"00491712345678", "00491712345678"},
		{"+49 (0)30 123 456-78, vormittags", "+49 (0)30 123 456-78"},
		{"(030) 123 456 78", "(030) 123 456 78"},
		{"0151/2345-6789", "0151/2345-6789"},
		{"030.1234567", "030.1234567"},
		{"0171\u00a0234\u00a056\u00a078", "0171\u00a0234\u00a056\u00a078"}, // no-break spaces
		{"0 1 7 1 2 3 4 5 6 7 8", "0 1 7 1 2 3 4 5 6 7 8"},
		{"am 12.03.2026 ab 9 unter 0171 2345678", "0171 2345678"}, // a date is no phone number
		{"am 2026-03-12 bitte", ""},
		{"am 12.03. um 10", ""},
		{"12345", ""},                    // five digits: too short
		{"1234 5678 9012 3456 7890", ""}, // twenty digits: too long to dial
		{"Was kostet ein Reisepass?", ""},
	} {
		if got := FindPhone(tt.text); got != tt.want {
			t.Errorf("FindPhone(%q) = %q, want %q", tt.text, got, tt.want)
		}
	}
}

func TestDialable(t *testing.T) {
	for m, want := range map[string]bool{
		"12345": false, "123456": true, "+49 171 2345678": true, "+123456789012345": true, "+1234567890123456": false,
		"0049 1234 567890123": true, "0049 1234 5678901234": false,
	} {
		if got := Dialable(m); got != want {
			t.Errorf("Dialable(%q) = %v, want %v", m, got, want)
		}
	}
}
