package conversation

import "testing"

func TestCleanText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Guten Tag", "Guten Tag"},
		{"Zeile 1\nZeile 2\tTab", "Zeile 1\nZeile 2\tTab"},
		{"a\r\nb\rc", "a\nb\nc"},
		{"NUL\x00 bell\x07 esc\x1b[31m del\x7f", "NUL bell esc[31m del"},
		{"C1 \u0085\u009b here", "C1  here"},
		{"Termin \u202eneges\u202c bitte", "Termin neges bitte"},
		{"isolate \u2066x\u2069 embed \u202ay\u202b", "isolate x embed y"},
		{"line\u2028sep\u2029para", "line\nsep\npara"},
		{"bad \xff utf8", "bad \uFFFD utf8"},
		{"مرحبا\u200f ok \u200e", "مرحبا\u200f ok \u200e"},
		{"family 👨\u200d👩\u200d👧 ok", "family 👨\u200d👩\u200d👧 ok"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := CleanText(tt.in); got != tt.want {
			t.Errorf("CleanText(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func FuzzCleanText(f *testing.F) {
	for _, s := range []string{"a\r\nb", "\u202e", "\xff\x00", "ok"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := CleanText(s)
		if CleanText(out) != out {
			t.Fatalf("not idempotent: %q → %q → %q", s, out, CleanText(out))
		}
		if !cleanAlready(out) {
			t.Fatalf("CleanText(%q) = %q still has something to clean", s, out)
		}
	})
}
