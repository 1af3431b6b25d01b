package console_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/civibot/civibot/aliases"
	"github.com/civibot/civibot/conversation"
	"github.com/civibot/civibot/knowledge"
)

// kbPages finds the sample city's pages by id or address, as dialog.Live
// does in civibot serve.
type kbPages struct{ kb *knowledge.KB }

func (p kbPages) Page(ref string) (knowledge.Page, bool) {
	pg, ok := p.kb.Page(ref)
	if !ok {
		pg, ok = p.kb.PageByURL(ref)
	}
	if !ok {
		return knowledge.Page{}, false
	}
	return *pg, true
}

func newTeacher(t *testing.T, st *aliases.Store, convs aliases.Conversations) *aliases.Teacher {
	t.Helper()
	kb, err := sampleKB()
	if err != nil {
		t.Fatal(err)
	}
	return aliases.NewTeacher(st, kbPages{kb}, convs)
}

// TestLearningFromCaseworkers: a reply that links one of the city's pages
// suggests the citizen's question (scrubbed) as its alias; a caseworker
// can mark the page instead; administrators accept (edited), reject,
// remove and export; caseworkers cannot review.
func TestLearningFromCaseworkers(t *testing.T) {
	h := newHarness(t, harnessOpts{teach: true})
	h.waiting("w1", conversation.ChannelWeb, "de", "Mein Name ist Klara Weiß, ich habe einen Welpen bekommen, was muss ich machen? klara@example.org")
	anna, rita := h.login("anna"), h.login("rita")
	if code, body := anna.do("POST", "/console/api/conversations/w1/claim", nil); code != 200 {
		t.Fatalf("claim: %d %v", code, body)
	}

	// A reply without a city page teaches nothing; one with a link does.
	code, body := anna.do("POST", "/console/api/conversations/w1/reply", map[string]string{"text": "Einen Moment bitte."})
	if code != 200 || body["taught"] != nil {
		t.Fatalf("reply without a link: %d %v", code, body)
	}
	code, body = anna.do("POST", "/console/api/conversations/w1/reply",
		map[string]string{"text": "Das steht hier: https://www.musterstadt.example/service/hundesteuer – bitte innerhalb von zwei Wochen."})
	taught, _ := body["taught"].(map[string]any)
	if code != 200 || taught == nil || taught["page_id"] != "hundesteuer-de" || taught["page_title"] == "" || taught["status"] != "pending" {
		t.Fatalf("reply with the page's link: %d %v", code, body)
	}
	text, _ := taught["text"].(string)
	if strings.Contains(text, "Klara") || strings.Contains(text, "example.org") || !strings.Contains(text, "Welpen") {
		t.Errorf("suggested text %q: the question without the name and address", text)
	}

	// Marking a page: by id or address; not one of the city's: refused.
	for _, tt := range []struct {
		page, code, want string
	}{
		{"https://example.org/elsewhere", "no_such_page", ""},
		{"", "invalid", ""},
		{"ordnungsamt-de", "", "ordnungsamt-de"},
	} {
		code, body := anna.do("POST", "/console/api/conversations/w1/teach", map[string]string{"page": tt.page})
		if tt.code != "" {
			if code != http.StatusBadRequest || body["error"] != tt.code {
				t.Errorf("teach %q: %d %v, want 400 %s", tt.page, code, body, tt.code)
			}
			continue
		}
		if got, _ := body["taught"].(map[string]any); code != 200 || got["page_id"] != tt.want {
			t.Errorf("teach %q: %d %v", tt.page, code, body)
		}
	}
	if code, body := anna.do("POST", "/console/api/conversations/w1/teach", "{"); code != http.StatusBadRequest {
		t.Errorf("teach with a broken body: %d %v", code, body)
	}

	// Review is for administrators.
	for _, r := range []struct{ method, path string }{
		{"GET", "/console/api/aliases"}, {"GET", "/console/api/aliases/export"},
		{"POST", "/console/api/aliases/x/accept"}, {"POST", "/console/api/aliases/x/reject"}, {"DELETE", "/console/api/aliases/x"},
	} {
		if code, body := anna.do(r.method, r.path, map[string]string{}); code != http.StatusForbidden || body["error"] != "admin_only" {
			t.Errorf("caseworker %s %s: %d %v", r.method, r.path, code, body)
		}
	}
	code, body = rita.do("GET", "/console/api/aliases", nil)
	list, _ := body["suggestions"].([]any)
	if code != 200 || len(list) != 2 {
		t.Fatalf("suggestions: %d %v", code, body)
	}
	id := taught["id"].(string)
	other := ""
	for _, x := range list {
		if s := x.(map[string]any); s["id"] != id {
			other = s["id"].(string)
		}
	}
	if code, body := rita.do("POST", "/console/api/aliases/"+id+"/accept", map[string]string{"text": strings.Repeat("Welpe ", 100)}); code != http.StatusBadRequest || body["error"] != "invalid" {
		t.Errorf("accept with an over-long text: %d %v", code, body)
	}
	code, body = rita.do("POST", "/console/api/aliases/"+id+"/accept", map[string]string{"text": "Ich habe einen Welpen bekommen, was muss ich machen?"})
	if s, _ := body["suggestion"].(map[string]any); code != 200 || s["status"] != "accepted" || s["reviewed_by"] != "rita" || s["text"] != "Ich habe einen Welpen bekommen, was muss ich machen?" {
		t.Fatalf("accept: %d %v", code, body)
	}
	if code, body := rita.do("POST", "/console/api/aliases/"+other+"/reject", nil); code != 200 || body["suggestion"].(map[string]any)["status"] != "rejected" {
		t.Errorf("reject: %d %v", code, body)
	}
	if code, body := rita.do("POST", "/console/api/aliases/nope/accept", map[string]string{}); code != http.StatusNotFound || body["error"] != "not_found" {
		t.Errorf("accept unknown: %d %v", code, body)
	}
	// CSRF is checked like on every other change.
	if code, _ := rita.do("POST", "/console/api/aliases/"+other+"/accept", map[string]string{}, noHeader("X-CSRF-Token")); code != http.StatusForbidden {
		t.Errorf("accept without CSRF token: %d", code)
	}

	resp := rita.raw("GET", "/console/api/aliases/export", nil)
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	want := `{"page_id":"hundesteuer-de","text":"Ich habe einen Welpen bekommen, was muss ich machen?","language":"de"}` + "\n"
	if resp.StatusCode != 200 || string(raw) != want || !strings.Contains(resp.Header.Get("Content-Disposition"), "civibot-aliases.jsonl") {
		t.Errorf("export: %d %q %v, want %q", resp.StatusCode, raw, resp.Header, want)
	}
	if code, _ := rita.do("DELETE", "/console/api/aliases/"+id, nil); code != 200 {
		t.Errorf("remove: %d", code)
	}
	if got, _ := h.aliases.Accepted(bg); len(got) != 0 {
		t.Errorf("after remove: %v", got)
	}
	// The logs name pages and ids, never the question.
	if logs := h.logs.String(); strings.Contains(logs, "Welpen") {
		t.Errorf("the question reached the log:\n%s", logs)
	}
}

// TestLearningOff: without a teacher the routes say so.
func TestLearningOff(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	h.waiting("w1", conversation.ChannelWeb, "de", "Frage")
	rita := h.login("rita")
	for _, r := range []struct{ method, path string }{
		{"GET", "/console/api/aliases"}, {"POST", "/console/api/conversations/w1/teach"},
	} {
		if code, body := rita.do(r.method, r.path, map[string]string{"page": "x"}); code != http.StatusNotFound || body["error"] != "learning_off" {
			t.Errorf("%s %s: %d %v", r.method, r.path, code, body)
		}
	}
}
