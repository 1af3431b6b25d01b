package analytics

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/civibot/civibot/dialog"
	"github.com/civibot/civibot/internal/testtime"
)

// TestRatingsOfPersons (issue 13): ratings of conversations with a person
// are counted per channel (a changed rating moves), averaged, and exported.
func TestRatingsOfPersons(t *testing.T) {
	backends(t, func(t *testing.T, s Store, clk *testtime.Clock) {
		ctx := context.Background()
		r := runRecorder(t, s, clk, RecorderOptions{})
		at := time.Date(2026, 3, 9, 10, 0, 0, 0, time.UTC)
		r.RatedConversation(ctx, dialog.RatingRecord{Channel: "web", New: 5, At: at})
		r.RatedConversation(ctx, dialog.RatingRecord{Channel: "web", New: 2, At: at})
		r.RatedConversation(ctx, dialog.RatingRecord{Channel: "web", Old: 2, New: 4, At: at}) // changed their mind
		r.RatedConversation(ctx, dialog.RatingRecord{Channel: "telegram", New: 3, At: at})
		rp, err := NewReporter(Config{TimeZone: "Europe/Berlin"}, s, nil, clk.Now)
		if err != nil {
			t.Fatal(err)
		}
		var rep Report
		testtime.WaitFor(t, 10*time.Second, "the ratings", func() bool {
			rep, err = rp.Report(ctx, "2026-03-09", "2026-03-09")
			return err == nil && rep.Totals.Ratings == 3
		})
		if len(rep.Ratings) != 2 || rep.Ratings[0].Channel != "telegram" || rep.Ratings[1].Channel != "web" {
			t.Fatalf("ratings = %+v", rep.Ratings)
		}
		web := rep.Ratings[1]
		if web.Ratings != 2 || web.Average != 4.5 || web.Satisfied != 1 || web.Counts != [5]int64{0, 0, 0, 1, 1} {
			t.Errorf("web = %+v", web)
		}
		if tt := rep.Totals; tt.RatingAverage != 4 || tt.Satisfied < 0.66 || tt.Satisfied > 0.67 {
			t.Errorf("totals = %+v", tt)
		}
		var b bytes.Buffer
		if err := WriteCSV(&b, rep, TableRatings); err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(b.String(), "channel,ratings,average,satisfied,rated_1") || !strings.Contains(b.String(), "web,2,4.5,1,0,0,0,1,1") {
			t.Errorf("ratings.csv = %q", b.String())
		}
	})
}
