package knowledge

import "testing"

func TestDetectLanguage(t *testing.T) {
	tests := []struct {
		text    string
		want    string
		minConf float64
	}{
		{"Hallo", "de", 0.5},
		{"Danke", "de", 0.5},
		{"Danke schön!", "de", 0.5},
		{"Guten Tag", "de", 0.6},
		{"hi", "en", 0.5},
		{"Hello", "en", 0.5},
		{"thanks", "en", 0.5},
		{"Perso?", "de", 0.2},
		{"Wie kann ich meinen Personalausweis verlängern?", "de", 0.8},
		{"Was kostet ein Führerschein?", "de", 0.7},
		{"Wo melde ich meinen Hund an?", "de", 0.7},
		{"Brauche ich einen Termin beim Bürgeramt?", "de", 0.8},
		{"How do I renew my ID card?", "en", 0.8},
		{"Where can I register my address?", "en", 0.8},
		{"What does a parking permit cost?", "en", 0.7},
		{"I lost my passport", "en", 0.6},
		{"Is the lost property office accessible for people with disabilities?", "en", 0.8},
		{"Öffnungszeiten", "de", 0.5},
		{"Straße", "de", 0.5},
		{"Anmeldung", "de", 0.3},
		{"", "", 0},
		{"123", "", 0},
		{"OK", "", 0},
		{"?!", "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			got, conf := DetectLanguage(tt.text)
			if got != tt.want {
				t.Fatalf("DetectLanguage(%q) = %q (%.2f), want %q", tt.text, got, conf, tt.want)
			}
			if conf < tt.minConf || conf < 0 || conf > 1 {
				t.Fatalf("DetectLanguage(%q) confidence %.2f, want ≥ %.2f and ≤ 1", tt.text, conf, tt.minConf)
			}
			if tt.want == "" && conf >= 0.2 {
				t.Fatalf("DetectLanguage(%q) confidence %.2f for unsure result, want < 0.2", tt.text, conf)
			}
		})
	}
}
