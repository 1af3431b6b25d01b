package twilio

import "testing"

func TestKeyword(t *testing.T) {
	tests := []struct {
		body     string
		kind     keywordKind
		byTwilio bool
	}{
		{"STOP", kwOptOut, true},
		{" stop. ", kwOptOut, true},
		{"Unsubscribe", kwOptOut, true},
		{"STOPP", kwOptOut, false},
		{"abmelden", kwOptOut, false},
		{"START", kwOptIn, true},
		{"unstop", kwOptIn, true},
		{"Anmelden", kwOptIn, false},
		{"HELP", kwHelp, true},
		{"hilfe!", kwHelp, false},
		{"stop please", kwNone, false}, // only one-word messages are keywords
		{"Bitte nicht mehr schreiben", kwNone, false},
		{"Ausweis", kwNone, false},
	}
	for _, tt := range tests {
		kind, _, by := keyword(tt.body)
		if kind != tt.kind || by != tt.byTwilio {
			t.Errorf("keyword(%q) = %v, %v; want %v, %v", tt.body, kind, by, tt.kind, tt.byTwilio)
		}
	}
}

func TestYesNo(t *testing.T) {
	yes := []string{"Ja.", "ja bitte", "Yes please!", "OK"}
	no := []string{"Nein.", "Nein danke, das war's.", "no thanks", "That's all, thank you", "Das ist alles.", "nichts mehr, danke", "No, that's it."}
	neither := []string{"Danke", "Was kostet ein Personalausweis?", "Nein, ich brauche einen Reisepass", "Ich weiß nicht", ""}
	for _, s := range yes {
		if !isYes(s) || isNo(s) {
			t.Errorf("%q should be yes", s)
		}
	}
	for _, s := range no {
		if !isNo(s) || isYes(s) {
			t.Errorf("%q should be no", s)
		}
	}
	for _, s := range neither {
		if isNo(s) || isYes(s) {
			t.Errorf("%q is neither yes nor no", s)
		}
	}
}
