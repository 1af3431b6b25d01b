package analytics

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/civibot/civibot/conversation"
	"github.com/civibot/civibot/dialog"
	"github.com/civibot/civibot/internal/testtime"
	"github.com/civibot/civibot/knowledge"
	"github.com/civibot/civibot/knowledge/importer"
	"github.com/civibot/civibot/knowledge/samplecity"
)

// sampleKB builds the bundled sample city, for its analyser.
func sampleKB(t *testing.T) *knowledge.KB {
	t.Helper()
	ctx := context.Background()
	pages, _, err := importer.ImportFS(ctx, samplecity.FS(), ".", importer.Options{Format: "markdown"})
	if err != nil {
		t.Fatal(err)
	}
	kb, err := knowledge.Build(ctx, pages, knowledge.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { kb.Close() })
	return kb
}

// runRecorder runs a recorder on s until the test ends.
func runRecorder(t *testing.T, s Store, clk *testtime.Clock, o RecorderOptions) *Recorder {
	t.Helper()
	o.Now = clk.Now
	if o.FlushInterval == 0 {
		o.FlushInterval = 10 * time.Millisecond
	}
	r, err := NewRecorder(Config{TimeZone: "Europe/Berlin"}, s, o)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { r.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return r
}

// seed records two days of conversations through the recorder, as the
// dialog service and the wiring would report them.
func seed(t *testing.T, r *Recorder, clk *testtime.Clock) {
	ctx := context.Background()
	berlin, _ := time.LoadLocation("Europe/Berlin")
	day1 := time.Date(2026, 3, 9, 10, 0, 0, 0, berlin)
	day2 := time.Date(2026, 3, 10, 23, 30, 0, 0, berlin) // 22:30 UTC: still the 10th in Berlin
	src := []conversation.Source{{PageID: "personalausweis-de", Title: "Personalausweis beantragen"}}
	turn := func(c conversation.Conversation, q string, d conversation.Decision, sources []conversation.Source, handoff, ticket bool) {
		r.Received(ctx, c.Channel)
		r.Turned(ctx, dialog.TurnRecord{Conversation: c, Question: q, Language: "de", Decision: d, Sources: sources, Handoff: handoff, Ticket: ticket, Took: time.Millisecond})
	}
	answer := conversation.Decision{Kind: dialog.KindAnswer, Confidence: 0.9}

	clk.Set(day1)
	a := conversation.Conversation{ID: "wa", Channel: conversation.ChannelWeb, Created: day1}
	b := conversation.Conversation{ID: "wb", Channel: conversation.ChannelWeb, Created: day1}
	c := conversation.Conversation{ID: "sc", Channel: conversation.ChannelSMS, Created: day1}
	for _, x := range []conversation.Conversation{a, b, c} {
		r.Started(ctx, x)
	}
	turn(a, "Was kostet ein Personalausweis?", answer, src, false, false)
	r.Rated(ctx, dialog.FeedbackRecord{Sources: src, Old: 0, New: 1, At: day1})
	turn(b, "Ich heiße Zacharias Quendelbrot. Wo kann ich mein Boot anmelden?",
		conversation.Decision{Kind: dialog.KindHandoff, Reason: dialog.ReasonLowConfidence, Confidence: 0.21,
			Candidates: []conversation.PageRef{{ID: "kfz-zulassung-de", Title: "Fahrzeug zulassen"}}}, nil, true, false)
	// Asking again while waiting: no second handoff for the same conversation.
	b.Handoff = &conversation.Handoff{Reason: dialog.ReasonLowConfidence}
	turn(b, "Boot anmelden wo?", conversation.Decision{Kind: dialog.KindHandoff, Reason: dialog.ReasonLowConfidence, Confidence: 0.2}, nil, false, false)
	turn(c, "Ich will mit einem Menschen sprechen", conversation.Decision{Kind: dialog.KindHandoff, Reason: dialog.ReasonHumanRequest, Confidence: 1}, nil, true, true)
	r.Waited(ctx, 2*time.Minute)

	clk.Set(day2)
	d := conversation.Conversation{ID: "wd", Channel: conversation.ChannelWeb, Created: day2}
	r.Started(ctx, d)
	turn(d, "Personalausweis Kosten", conversation.Decision{Kind: dialog.KindAnswer, Confidence: 0.55}, src, false, false)
	r.Rated(ctx, dialog.FeedbackRecord{Sources: src, Old: 0, New: -1, At: day2})
	r.Rated(ctx, dialog.FeedbackRecord{Sources: src, Old: 1, New: -1, At: day1}) // a change of mind on day 1's answer
	turn(d, "Wo kann ich mein Boot anmelden? Ruf an: 0151 2345678", conversation.Decision{Kind: dialog.KindClarify, Confidence: 0.4}, nil, false, false)
	r.Waited(ctx, 30*time.Second)
	r.Waited(ctx, 60*time.Second)
	// A conversation of day 1 handed off on day 2 counts for day 1.
	a.Handoff = nil
	turn(a, "=HYPERLINK(\"http://evil\")", conversation.Decision{Kind: dialog.KindHandoff, Reason: dialog.ReasonOutOfScope, Confidence: 0.1}, nil, true, false)
}

func TestRecorderAndReport(t *testing.T) {
	backends(t, func(t *testing.T, s Store, clk *testtime.Clock) {
		ctx := context.Background()
		r := runRecorder(t, s, clk, RecorderOptions{})
		seed(t, r, clk)
		kb := sampleKB(t)
		rp, err := NewReporter(Config{TimeZone: "Europe/Berlin"}, s, kb.Analyzer().Terms, clk.Now)
		if err != nil {
			t.Fatal(err)
		}
		var rep Report
		testtime.WaitFor(t, 10*time.Second, "the events to be written", func() bool {
			rep, err = rp.Report(ctx, "2026-03-09", "2026-03-10")
			return err == nil && len(rep.Questions) > 0 && rep.Totals.Waits == 3 && rep.Totals.Down == 2
		})
		if rep.From != "2026-03-09" || rep.To != "2026-03-10" || rep.TimeZone != "Europe/Berlin" || strings.Join(rep.Channels, ",") != "sms,web" {
			t.Errorf("report head = %+v", rep)
		}
		d1, d2 := rep.Days[0], rep.Days[1]
		if d1.Total != 3 || d1.Conversations["web"] != 2 || d1.Conversations["sms"] != 1 || d1.HandedOff != 3 || d1.Tickets != 1 || d1.Containment != 0 {
			t.Errorf("day 1 = %+v", d1)
		}
		if d1.Messages != 4 || d1.Answers != 4 || d1.MedianWait != 120 || d1.Waits != 1 {
			t.Errorf("day 1 messages and waits = %+v", d1)
		}
		if d2.Total != 1 || d2.HandedOff != 0 || d2.Containment != 1 || d2.MedianWait != 45 || d2.Waits != 2 || d2.Messages != 3 {
			t.Errorf("day 2 = %+v", d2)
		}
		tt := rep.Totals
		if tt.Conversations != 4 || tt.HandedOff != 3 || tt.Contained != 1 || tt.Containment != 0.25 || tt.HandoffRate != 0.75 || tt.MedianWait != 60 {
			t.Errorf("totals = %+v", tt)
		}
		if tt.Decisions["answer"] != 2 || tt.Decisions["handoff"] != 4 || tt.Decisions["clarify"] != 1 {
			t.Errorf("decisions = %v", tt.Decisions)
		}
		if len(rep.Reasons) != 3 || rep.Reasons[0].Conversations != 1 || rep.Reasons[0].Rate != 0.25 {
			t.Errorf("reasons = %+v", rep.Reasons)
		}
		if len(rep.Feedback) != 1 || rep.Feedback[0].Title != "Personalausweis beantragen" || rep.Feedback[0].Up != 0 || rep.Feedback[0].Down != 2 {
			t.Errorf("feedback = %+v", rep.Feedback)
		}
		// Questions: scrubbed, grouped, with the reason they are listed.
		var boat *Group
		for i, g := range rep.Questions {
			for _, text := range append([]string{g.Example}, g.Variants...) {
				if strings.Contains(text, "Zacharias") || strings.Contains(text, "Quendelbrot") || strings.Contains(text, "2345678") {
					t.Errorf("personal data shown: %q", text)
				}
			}
			if strings.Contains(strings.ToLower(g.Example), "boot") {
				boat = &rep.Questions[i]
			}
		}
		if boat == nil || boat.Count != 3 || boat.Kinds[KindUnanswered] != 2 || boat.Kinds[KindClarify] != 1 || boat.PageTitle != "Fahrzeug zulassen" {
			t.Fatalf("boat group = %+v in %+v", boat, rep.Questions)
		}
		if got := len(rep.Questions); got != 3 { // boat, low-confidence Personalausweis, out of scope
			t.Errorf("%d groups: %+v", got, rep.Questions)
		}

		// CSV export.
		var buf bytes.Buffer
		if err := WriteCSV(&buf, rep, TableDays); err != nil {
			t.Fatal(err)
		}
		rows, err := csv.NewReader(&buf).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 3 || strings.Join(rows[0], ",") != "date,conversations,conversations_sms,conversations_web,handed_off,tickets,containment,messages,answers,median_wait_seconds,waits" ||
			strings.Join(rows[1], ",") != "2026-03-09,3,1,2,3,1,0,4,4,120,1" || strings.Join(rows[2], ",") != "2026-03-10,1,0,1,0,0,1,3,3,45,2" {
			t.Errorf("days.csv = %q", rows)
		}
		buf.Reset()
		if err := WriteCSV(&buf, rep, TableQuestions); err != nil {
			t.Fatal(err)
		}
		rows, err = csv.NewReader(&buf).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, row := range rows[1:] {
			if strings.HasPrefix(row[1], "=") || strings.HasPrefix(row[1], "+") {
				t.Errorf("formula not defused: %q", row[1])
			}
			if row[1] == `'=HYPERLINK("[link]` {
				found = true
			}
		}
		if !found || rows[0][1] != "question" {
			t.Errorf("questions.csv = %q", rows)
		}
		for _, table := range []string{TableReasons, TableFeedback} {
			buf.Reset()
			if err := WriteCSV(&buf, rep, table); err != nil {
				t.Fatal(err)
			}
		}
		if !strings.Contains(buf.String(), "personalausweis-de,Personalausweis beantragen,0,2") {
			t.Errorf("feedback.csv = %q", buf.String())
		}
		if err := WriteCSV(&buf, rep, "secrets"); !errors.Is(err, ErrInvalid) {
			t.Errorf("unknown table: %v", err)
		}
	})
}

func TestReportRange(t *testing.T) {
	clk := testtime.NewClock(time.Date(2026, 3, 10, 23, 30, 0, 0, time.UTC)) // 00:30 on the 11th in Berlin
	m, _ := NewMemory(Config{}, clk.Now)
	rp, err := NewReporter(Config{}, m, nil, clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := rp.Report(context.Background(), "", "")
	if err != nil {
		t.Fatal(err)
	}
	if rep.To != "2026-03-11" || rep.From != "2026-02-10" || len(rep.Days) != DefaultDays || rep.Totals.Containment != 0 || len(rep.Questions) != 0 {
		t.Errorf("default range: %s..%s, %d days", rep.From, rep.To, len(rep.Days))
	}
	for _, tt := range []struct{ from, to, want string }{
		{"2026-03-10", "2026-03-01", "is after"},
		{"01.03.2026", "", "is not a date"},
		{"", "tomorrow", "is not a date"},
		{"2024-01-01", "2026-01-01", "at most 400"},
	} {
		if _, err := rp.Report(context.Background(), tt.from, tt.to); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Report(%q, %q) = %v, want %q", tt.from, tt.to, err, tt.want)
		}
	}
}

// failingStore fails every write.
type failingStore struct{ Store }

func (failingStore) Add(context.Context, string, Batch) error {
	return errors.New("store down")
}

func TestRecorderDrops(t *testing.T) {
	ctx := context.Background()
	clk := testtime.NewClock(time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC))
	var dropped int
	dropCh := make(chan struct{}, 100)
	// Not running: the buffer fills, then events are dropped.
	r, err := NewRecorder(Config{}, failingStore{}, RecorderOptions{Now: clk.Now, Buffer: 2, Dropped: func() { dropCh <- struct{}{} }})
	if err != nil {
		t.Fatal(err)
	}
	for range 5 {
		r.Received(ctx, "web")
	}
	if len(dropCh) != 3 {
		t.Errorf("dropped %d of 5 with a buffer of 2", len(dropCh))
	}
	// Running against a store that fails: the events are dropped at the end.
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { r.Run(rctx); close(done) }()
	cancel()
	<-done
	for len(dropCh) > 0 {
		<-dropCh
		dropped++
	}
	if dropped != 5 {
		t.Errorf("dropped %d, want 5", dropped)
	}
	if _, err := NewRecorder(Config{TimeZone: "Mars/Olympus"}, failingStore{}, RecorderOptions{}); err == nil {
		t.Error("bad time zone accepted")
	}
}
