package aliases_test

import (
	"context"
	"errors"
	"io"
	"testing"

	"github.com/civibot/civibot/aliases"
	"github.com/civibot/civibot/conversation"
	"github.com/civibot/civibot/dialog"
	"github.com/civibot/civibot/knowledge"
	"github.com/civibot/civibot/knowledge/importer"
	"github.com/civibot/civibot/knowledge/samplecity"
)

// sampleLive serves the sample city, as civibot serve does without a
// knowledge base of the city's own.
func sampleLive(t *testing.T) *dialog.Live {
	t.Helper()
	ctx := context.Background()
	live, err := dialog.OpenLive(ctx, dialog.LiveOptions{
		Open: func(ctx context.Context, _ io.Writer) (*knowledge.KB, error) {
			pages, _, err := importer.ImportFS(ctx, samplecity.FS(), ".", importer.Options{Format: "markdown"})
			if err != nil {
				return nil, err
			}
			return knowledge.Build(ctx, pages, knowledge.Options{})
		},
		Engine: func(kb *knowledge.KB) (*dialog.Engine, error) { return dialog.NewEngine(dialog.Config{}, kb, nil, nil) },
	}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { live.Close() })
	return live
}

func msg(role, text string, d *conversation.Decision) conversation.Message {
	return conversation.Message{Role: role, Text: text, Language: "de", Decision: d}
}

func TestQuestion(t *testing.T) {
	low := &conversation.Decision{Kind: dialog.KindHandoff, Reason: dialog.ReasonLowConfidence}
	smalltalk := &conversation.Decision{Kind: dialog.KindSmallTalk}
	person := &conversation.Decision{Kind: dialog.KindHandoff, Reason: dialog.ReasonHumanRequest}
	answer := &conversation.Decision{Kind: dialog.KindAnswer}
	for _, tt := range []struct {
		name string
		msgs []conversation.Message
		want string
	}{
		{"the question the bot could not answer", []conversation.Message{
			msg(conversation.RoleCitizen, "Hallo", nil), msg(conversation.RoleBot, "Guten Tag", smalltalk),
			msg(conversation.RoleCitizen, "Mein Hund ist neu, muss ich den anmelden?", nil), msg(conversation.RoleBot, "…", low),
			msg(conversation.RoleCaseworker, "Ja: https://www.musterstadt.example/service/hundesteuer", nil),
		}, "Mein Hund ist neu, muss ich den anmelden?"},
		{"the last question before the caseworker", []conversation.Message{
			msg(conversation.RoleCitizen, "Was kostet ein Personalausweis?", nil), msg(conversation.RoleBot, "…", answer),
			msg(conversation.RoleCitizen, "Und wo melde ich meinen Hund an?", nil), msg(conversation.RoleBot, "…", low),
			msg(conversation.RoleCitizen, "Ich möchte mit einem Menschen sprechen", nil), msg(conversation.RoleBot, "…", person),
			msg(conversation.RoleCaseworker, "Hier:", nil),
			msg(conversation.RoleCitizen, "Danke, und die Kosten?", nil),
		}, "Und wo melde ich meinen Hund an?"},
		{"asked for a person at once: what they told the caseworker", []conversation.Message{
			{Role: conversation.RoleCitizen, Text: "Mit einer Person sprechen", Action: "person"}, msg(conversation.RoleBot, "…", person),
			msg(conversation.RoleCitizen, "Ich habe einen Welpen bekommen, was muss ich tun?", nil),
			msg(conversation.RoleCaseworker, "Anmelden.", nil),
		}, "Ich habe einen Welpen bekommen, was muss ich tun?"},
		{"nothing asked", []conversation.Message{
			{Role: conversation.RoleCitizen, Text: "Mit einer Person sprechen", Action: "person"}, msg(conversation.RoleBot, "…", person),
			msg(conversation.RoleCaseworker, "Wie kann ich helfen?", nil),
		}, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got, _ := aliases.Question(tt.msgs); got != tt.want {
				t.Errorf("Question = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestTeacherToAnswer: a caseworker's reply linking a page suggests the
// citizen's question as its alias; once accepted, the next citizen asking
// like that gets the page from the bot.
func TestTeacherToAnswer(t *testing.T) {
	ctx := context.Background()
	live := sampleLive(t)
	convs := conversation.NewMemory(conversation.Options{})
	store := aliases.NewFile("", aliases.Options{})
	teacher := aliases.NewTeacher(store, live, convs)

	question := "Bei uns wohnt seit gestern ein Vierbeiner aus dem Tierheim, was ist zu erledigen?"
	before, err := live.Respond(ctx, dialog.Turn{Text: question, Language: "de", Context: conversation.Context{Turns: 1}})
	if err != nil {
		t.Fatal(err)
	}
	if len(before.Sources) > 0 && before.Sources[0].PageID == "hundesteuer-de" && before.Decision.Kind == dialog.KindAnswer {
		t.Skipf("the bot already answers %q with the dog page; pick a harder question", question)
	}

	if _, err := convs.Create(ctx, conversation.Conversation{ID: "c1", Channel: "web", Language: "de"}); err != nil {
		t.Fatal(err)
	}
	for _, m := range []conversation.Message{
		msg(conversation.RoleCitizen, question, nil),
		msg(conversation.RoleBot, "Ich verbinde Sie.", &conversation.Decision{Kind: dialog.KindHandoff, Reason: dialog.ReasonLowConfidence}),
	} {
		if _, _, err := convs.Append(ctx, "c1", m); err != nil {
			t.Fatal(err)
		}
	}
	// A reply without a link to the city's pages teaches nothing.
	if _, ok, err := teacher.FromReply(ctx, "c1", "erika", "Einen Moment, siehe https://example.org/elsewhere."); ok || err != nil {
		t.Fatalf("reply without a city page: ok=%v %v", ok, err)
	}
	s, ok, err := teacher.FromReply(ctx, "c1", "erika", "Bitte melden Sie den Hund an: https://musterstadt.example/service/hundesteuer/.")
	if err != nil || !ok {
		t.Fatalf("reply with the page's link: ok=%v %v", ok, err)
	}
	if s.PageID != "hundesteuer-de" || s.Text != question || s.Source != aliases.SourceLink || s.Caseworker != "erika" || s.Language != "de" {
		t.Errorf("suggestion = %+v", s)
	}
	if _, err := teacher.Mark(ctx, "c1", "erika", "https://example.org/nope"); !errors.Is(err, aliases.ErrNoPage) {
		t.Errorf("mark an unknown page: %v, want ErrNoPage", err)
	}
	if m, err := teacher.Mark(ctx, "c1", "erika", "hundesteuer-de"); err != nil || m.ID != s.ID || m.Count != 2 {
		t.Errorf("mark the same page by id: %+v %v", m, err)
	}

	if _, err := store.Accept(ctx, s.ID, "", "admin"); err != nil {
		t.Fatal(err)
	}
	acc, err := store.Accepted(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if unknown := live.SetAliases(append(acc, knowledge.Alias{PageID: "gone", Text: "alte Seite"})); len(unknown) != 1 || unknown[0].PageID != "gone" {
		t.Errorf("unknown aliases = %v, want the one of page gone", unknown)
	}
	after, err := live.Respond(ctx, dialog.Turn{Text: question, Language: "de", Context: conversation.Context{Turns: 1}})
	if err != nil {
		t.Fatal(err)
	}
	if after.Decision.Kind != dialog.KindAnswer || len(after.Sources) == 0 || after.Sources[0].PageID != "hundesteuer-de" {
		t.Errorf("after the alias: %+v %v, want an answer from the dog page", after.Decision, after.Sources)
	}
	if testing.Verbose() {
		t.Logf("confidence %.2f before the alias, %.2f after", before.Decision.Confidence, after.Decision.Confidence)
	}
}
