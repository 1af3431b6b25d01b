package twilio

import (
	"strings"
	"testing"
)

func TestEstimateSegments(t *testing.T) {
	tests := []struct {
		name     string
		text     string
		enc      Encoding
		units    int
		segments int
	}{
		{"empty", "", GSM7, 0, 0},
		{"short ascii", "Hallo", GSM7, 5, 1},
		{"german umlauts are GSM-7", "Grüße aus Köln, Straße Ä Ö Ü ä ö ü ß", GSM7, 36, 1},
		{"160 GSM-7 characters fit one SMS", strings.Repeat("a", 160), GSM7, 160, 1},
		{"161 need two parts of 153", strings.Repeat("a", 161), GSM7, 161, 2},
		{"306 fill two parts", strings.Repeat("a", 306), GSM7, 306, 2},
		{"307 need three", strings.Repeat("a", 307), GSM7, 307, 3},
		{"459 fill three", strings.Repeat("a", 459), GSM7, 459, 3},
		{"extension characters count two", "{}[]€", GSM7, 10, 1},
		{"80 euro signs are 160 septets", strings.Repeat("€", 80), GSM7, 160, 1},
		{"81 euro signs: 76 per part, never split", strings.Repeat("€", 81), GSM7, 162, 2},
		{"escape pair is not split at a part end", strings.Repeat("a", 152) + "€" + strings.Repeat("a", 10), GSM7, 164, 2},
		{"escape pair pushed to the next part", strings.Repeat("a", 152) + "€" + strings.Repeat("a", 152), GSM7, 306, 3},
		{"en dash makes UCS-2", "Bürgeramt – Termin", UCS2, 18, 1},
		{"70 UCS-2 units fit one SMS", strings.Repeat("ş", 70), UCS2, 70, 1},
		{"71 need two parts of 67", strings.Repeat("ş", 71), UCS2, 71, 2},
		{"134 fill two parts", strings.Repeat("ş", 134), UCS2, 134, 2},
		{"135 need three", strings.Repeat("ş", 135), UCS2, 135, 3},
		{"emoji count two units", "Danke 😀", UCS2, 8, 1},
		{"surrogate pair not split", strings.Repeat("x", 66) + "😀" + strings.Repeat("x", 10), UCS2, 78, 2},
		{"cyrillic", "Привет", UCS2, 6, 1},
		{"accented letters outside GSM-7", "café crème", GSM7, 10, 1},
		{"ç is not GSM-7 (only Ç is)", "garçon", UCS2, 6, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := EstimateSegments(tt.text)
			if got.Encoding != tt.enc || got.Units != tt.units || got.Segments != tt.segments {
				t.Errorf("EstimateSegments(%q) = %+v, want %s %d units %d segments", tt.text, got, tt.enc, tt.units, tt.segments)
			}
		})
	}
}

func TestFoldGSM(t *testing.T) {
	in := "„Bürgeramt“ – Öffnungszeiten… • Mo–Fr: 8–16 Uhr ‚wichtig‘"
	got := foldGSM(in)
	if want := `"Bürgeramt" - Öffnungszeiten... - Mo-Fr: 8-16 Uhr 'wichtig'`; got != want {
		t.Fatalf("foldGSM = %q, want %q", got, want)
	}
	if EstimateSegments(in).Encoding != UCS2 || EstimateSegments(got).Encoding != GSM7 {
		t.Fatal("folding should turn this German text from UCS-2 into GSM-7")
	}
}

func TestFitSMS(t *testing.T) {
	const link = "https://www.musterstadt.example/leistungen/personalausweis"
	long := strings.Repeat("Der Personalausweis kostet 37,00 Euro für Personen ab 24 Jahren. ", 12)
	tests := []struct {
		name        string
		prefix      string
		body        string
		link        string
		max         int
		wantWhole   bool
		wantSuffix  string
		wantPrefix  string
		maxSegments int
	}{
		{"short answer unchanged", "", "Kurze Antwort.", link, 3, true, link, "", 1},
		{"long answer shortened, link kept", "", long, link, 3, false, "...\n" + link, "", 3},
		{"one segment", "", long, link, 1, false, "...\n" + link, "", 1},
		{"disclosure kept in front", "Digitaler Assistent der Stadt Musterstadt (eine KI, kein Mensch).", long, link, 3, false, "...\n" + link, "Digitaler Assistent", 3},
		{"UCS-2 answer shortened to UCS-2 parts", "", strings.Repeat("Çok güzel şehir hizmetleri. ", 20), link, 2, false, "...\n" + link, "", 2},
		{"no link", "", long, "", 2, false, "...", "", 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := fitSMS(tt.prefix, tt.body, tt.link, tt.max)
			est := EstimateSegments(got)
			if est.Segments > tt.maxSegments || est.Segments > tt.max {
				t.Fatalf("%d segments (%s, %d units), want at most %d:\n%s", est.Segments, est.Encoding, est.Units, tt.max, got)
			}
			if tt.wantWhole && got != foldGSM(strings.Join([]string{tt.body, tt.link}, "\n")) {
				t.Fatalf("short text changed: %q", got)
			}
			if !strings.HasSuffix(got, tt.wantSuffix) || !strings.HasPrefix(got, tt.wantPrefix) {
				t.Fatalf("got %q, want prefix %q and suffix %q", got, tt.wantPrefix, tt.wantSuffix)
			}
			// Shortened at a word: the part before "..." ends a word of the original.
			if i := strings.Index(got, "..."); i > 0 && !tt.wantWhole {
				cut := strings.TrimPrefix(got[:i], tt.prefix+"\n")
				if !strings.HasPrefix(foldGSM(tt.body), cut) {
					t.Fatalf("shortened text is not a prefix of the answer: %q", cut)
				}
				// Nearly full: adding the next word would not fit.
				if est.Segments < tt.max-1 {
					t.Fatalf("shortened far below the limit: %+v", est)
				}
			}
		})
	}
	// A link longer than the budget still goes out alone, cut hard only as a last resort.
	if got := fitSMS("", "text", strings.Repeat("x", 200), 1); EstimateSegments(got).Segments != 1 {
		t.Fatalf("hard cut failed: %d characters", len(got))
	}
}

func TestSplitSMS(t *testing.T) {
	text := strings.Repeat("Wort ", 700) // 3,500 characters
	parts := splitSMS(text, 1600)
	if len(parts) != 3 {
		t.Fatalf("%d parts, want 3", len(parts))
	}
	joined := strings.Join(parts, " ")
	if strings.Join(strings.Fields(joined), " ") != strings.TrimSpace(text) {
		t.Fatal("splitting lost or changed words")
	}
	for _, p := range parts {
		if len([]rune(p)) > 1600 || strings.HasPrefix(p, " ") {
			t.Fatalf("bad part (%d characters): %q…", len([]rune(p)), p[:20])
		}
	}
}

// TestDocExamples keeps the examples in docs/channels/twilio.md true.
func TestDocExamples(t *testing.T) {
	euro := "Der Personalausweis kostet 37,00 € – für Personen unter 24 Jahren 22,80 €."
	tests := []struct {
		text     string
		enc      Encoding
		units    int
		segments int
	}{
		{"Der Personalausweis kostet 37,00 Euro.", GSM7, 38, 1},
		{euro, UCS2, 74, 2},
		{foldGSM(euro), GSM7, 76, 1},
		{"Bitte bringen Sie Ihren Ausweis mit 😊", UCS2, 38, 1},
		{strings.Repeat("x", 281), GSM7, 281, 2},
		{strings.Repeat("x", 370), GSM7, 370, 3},
		{strings.Repeat("ü", 200), GSM7, 200, 2},
		{strings.Repeat("ş", 200), UCS2, 200, 3},
	}
	for _, tt := range tests {
		got := EstimateSegments(tt.text)
		if got.Encoding != tt.enc || got.Units != tt.units || got.Segments != tt.segments {
			t.Errorf("%q: %+v, want %s %d %d", tt.text, got, tt.enc, tt.units, tt.segments)
		}
	}
}
