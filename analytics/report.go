package analytics

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Report limits.
const (
	// MaxDays is the longest range one report covers.
	MaxDays = 400
	// DefaultDays is the range when none is given (ending today).
	DefaultDays = 30
	// MaxGroups bounds the question groups in a report.
	MaxGroups = 50
	// MaxPages bounds the pages in the feedback table.
	MaxPages = 100
)

// Report is what the dashboard shows for a range of days.
type Report struct {
	From      string    `json:"from"`
	To        string    `json:"to"`
	TimeZone  string    `json:"time_zone"`
	Generated time.Time `json:"generated"`
	// Channels that had conversations in the range, sorted.
	Channels []string       `json:"channels"`
	Days     []DayRow       `json:"days"`
	Totals   Totals         `json:"totals"`
	Reasons  []ReasonRow    `json:"reasons"`
	Feedback []PageFeedback `json:"feedback"`
	// Ratings of conversations with a person, by channel.
	Ratings   []RatingRow `json:"ratings"`
	Questions []Group     `json:"questions"`
	// QuestionDays is how many days back questions are kept
	// (Config.QuestionRetention): older days of the range have none.
	QuestionDays int `json:"question_days"`
}

// DayRow is one day of the report.
type DayRow struct {
	Date string `json:"date"`
	// Conversations started that day, by channel.
	Conversations map[string]int64 `json:"conversations"`
	Total         int64            `json:"total"`
	// HandedOff: of those, how many were handed to a person (Tickets: as a
	// callback ticket first).
	HandedOff int64 `json:"handed_off"`
	Tickets   int64 `json:"tickets"`
	// Containment is the share of the day's conversations the bot handled
	// without a person (0 when there were none).
	Containment float64 `json:"containment"`
	Messages    int64   `json:"messages"`
	Answers     int64   `json:"answers"`
	// MedianWait is the median wait of the conversations caseworkers
	// claimed that day, in seconds (Waits of them; 0 when none).
	MedianWait float64 `json:"median_wait_seconds"`
	Waits      int     `json:"waits"`
}

// Totals sum the range.
type Totals struct {
	Conversations int64            `json:"conversations"`
	HandedOff     int64            `json:"handed_off"`
	Contained     int64            `json:"contained"`
	Tickets       int64            `json:"tickets"`
	Messages      int64            `json:"messages"`
	Answers       int64            `json:"answers"`
	Containment   float64          `json:"containment"`
	HandoffRate   float64          `json:"handoff_rate"`
	MedianWait    float64          `json:"median_wait_seconds"`
	Waits         int              `json:"waits"`
	Decisions     map[string]int64 `json:"decisions"`
	Up            int64            `json:"up"`
	Down          int64            `json:"down"`
	// Ratings of conversations with a person (1 to 5), their average and
	// the share of 4 and 5.
	Ratings       int64   `json:"ratings"`
	RatingAverage float64 `json:"rating_average"`
	Satisfied     float64 `json:"satisfied"`
}

// RatingRow is the citizens' rating of conversations with a person on one
// channel.
type RatingRow struct {
	Channel string `json:"channel"`
	// Counts[i] is how many rated i+1.
	Counts    [5]int64 `json:"counts"`
	Ratings   int64    `json:"ratings"`
	Average   float64  `json:"average"`
	Satisfied float64  `json:"satisfied"`
}

func (r *RatingRow) finish() {
	var sum int64
	for i, n := range r.Counts {
		r.Ratings += n
		sum += int64(i+1) * n
	}
	r.Average = ratio(sum, r.Ratings)
	r.Satisfied = ratio(r.Counts[3]+r.Counts[4], r.Ratings)
}

// ReasonRow is one handoff reason.
type ReasonRow struct {
	Reason        string `json:"reason"`
	Conversations int64  `json:"conversations"`
	// Rate is the share of all conversations handed off for this reason.
	Rate float64 `json:"rate"`
	// Share is the share of the handed-off conversations.
	Share float64 `json:"share"`
}

// PageFeedback is the thumbs up and down for one page's answers.
type PageFeedback struct {
	PageID string `json:"page_id"`
	Title  string `json:"title"`
	Up     int64  `json:"up"`
	Down   int64  `json:"down"`
}

// Reporter builds reports from a Store.
type Reporter struct {
	cfg   Config
	store Store
	loc   *time.Location
	terms TermsFunc
	now   func() time.Time
}

// NewReporter returns a reporter. terms groups similar questions (nil:
// plain words); now may be nil (time.Now).
func NewReporter(cfg Config, store Store, terms TermsFunc, now func() time.Time) (*Reporter, error) {
	cfg = cfg.withDefaults()
	loc, err := cfg.Location()
	if err != nil {
		return nil, err
	}
	if now == nil {
		now = time.Now
	}
	return &Reporter{cfg: cfg, store: store, loc: loc, terms: terms, now: now}, nil
}

// Today is the current day in the analytics time zone.
func (r *Reporter) Today() string { return r.now().In(r.loc).Format(DayLayout) }

// Range resolves a requested range: days as "2006-01-02"; empty to is
// today, empty from is DefaultDays before to. ErrInvalid for dates that do
// not parse, from after to, or more than MaxDays.
func (r *Reporter) Range(from, to string) (time.Time, time.Time, error) {
	var f, t time.Time
	var err error
	if to == "" {
		to = r.Today()
	}
	if t, err = time.ParseInLocation(DayLayout, to, time.UTC); err != nil {
		return f, t, fmt.Errorf("%w: to %q is not a date like 2026-03-31", ErrInvalid, to)
	}
	if from == "" {
		f = t.AddDate(0, 0, -(DefaultDays - 1))
	} else if f, err = time.ParseInLocation(DayLayout, from, time.UTC); err != nil {
		return f, t, fmt.Errorf("%w: from %q is not a date like 2026-03-01", ErrInvalid, from)
	}
	if f.After(t) {
		return f, t, fmt.Errorf("%w: from (%s) is after to (%s)", ErrInvalid, f.Format(DayLayout), t.Format(DayLayout))
	}
	if n := int(t.Sub(f).Hours()/24) + 1; n > MaxDays {
		return f, t, fmt.Errorf("%w: %d days asked, at most %d", ErrInvalid, n, MaxDays)
	}
	return f, t, nil
}

// Report reads the days from..to (see Range) and summarises them.
func (r *Reporter) Report(ctx context.Context, from, to string) (Report, error) {
	f, t, err := r.Range(from, to)
	if err != nil {
		return Report{}, err
	}
	var names []string
	for d := f; !d.After(t); d = d.AddDate(0, 0, 1) {
		names = append(names, d.Format(DayLayout))
	}
	days, err := r.store.Days(ctx, names)
	if err != nil {
		return Report{}, err
	}
	rep := Report{
		From: names[0], To: names[len(names)-1], TimeZone: r.loc.String(), Generated: r.now().UTC(),
		Channels: []string{}, Days: make([]DayRow, 0, len(days)), Reasons: []ReasonRow{}, Feedback: []PageFeedback{},
		QuestionDays: int(r.cfg.QuestionRetention.Hours() / 24),
	}
	rep.Totals.Decisions = map[string]int64{}
	channels := map[string]bool{}
	reasons := map[string]int64{}
	pages := map[string]*PageFeedback{}
	ratings := map[string]*RatingRow{}
	var allWaits []time.Duration
	var questions []Question
	for _, d := range days {
		row := DayRow{Date: d.Date, Conversations: map[string]int64{}}
		for k, v := range d.Counts {
			kind, rest, _ := strings.Cut(k, "|")
			switch kind + "|" {
			case fieldConversations:
				row.Conversations[rest] += v
				row.Total += v
				channels[rest] = true
			case fieldHandedOff:
				_, reason, _ := strings.Cut(rest, "|")
				row.HandedOff += v
				reasons[reason] += v
			case fieldTickets:
				row.Tickets += v
			case fieldMessages:
				row.Messages += v
			case fieldAnswers:
				row.Answers += v
			case fieldDecisions:
				rep.Totals.Decisions[rest] += v
			case fieldRatings:
				ch, val, _ := strings.Cut(rest, "|")
				n, err := strconv.Atoi(val)
				if err != nil || n < 1 || n > 5 {
					continue
				}
				rr, ok := ratings[ch]
				if !ok {
					rr = &RatingRow{Channel: ch}
					ratings[ch] = rr
				}
				rr.Counts[n-1] += v
			case fieldFeedback:
				i := strings.LastIndexByte(rest, '|')
				if i < 0 {
					continue
				}
				id := rest[:i]
				pf, ok := pages[id]
				if !ok {
					pf = &PageFeedback{PageID: id, Title: id}
					pages[id] = pf
				}
				switch rest[i+1:] {
				case "up":
					pf.Up += v
				case "down":
					pf.Down += v
				}
			}
		}
		for id, title := range d.Titles {
			if pf, ok := pages[id]; ok && title != "" {
				pf.Title = title
			}
		}
		row.Containment = ratio(row.Total-min(row.HandedOff, row.Total), row.Total)
		row.MedianWait, row.Waits = median(d.Waits), len(d.Waits)
		allWaits = append(allWaits, d.Waits...)
		questions = append(questions, d.Questions...)
		rep.Days = append(rep.Days, row)

		tt := &rep.Totals
		tt.Conversations += row.Total
		tt.HandedOff += row.HandedOff
		tt.Tickets += row.Tickets
		tt.Messages += row.Messages
		tt.Answers += row.Answers
	}
	tt := &rep.Totals
	tt.Contained = tt.Conversations - min(tt.HandedOff, tt.Conversations)
	tt.Containment = ratio(tt.Contained, tt.Conversations)
	tt.HandoffRate = ratio(tt.HandedOff, tt.Conversations)
	tt.MedianWait, tt.Waits = median(allWaits), len(allWaits)
	for ch := range channels {
		rep.Channels = append(rep.Channels, ch)
	}
	slices.Sort(rep.Channels)
	for reason, n := range reasons {
		rep.Reasons = append(rep.Reasons, ReasonRow{Reason: reason, Conversations: n, Rate: ratio(n, tt.Conversations), Share: ratio(n, tt.HandedOff)})
	}
	slices.SortFunc(rep.Reasons, func(a, b ReasonRow) int {
		if c := cmp.Compare(b.Conversations, a.Conversations); c != 0 {
			return c
		}
		return cmp.Compare(a.Reason, b.Reason)
	})
	rep.Ratings = []RatingRow{}
	var all RatingRow
	for _, rr := range ratings {
		rr.finish()
		if rr.Ratings <= 0 {
			continue
		}
		for i := range all.Counts {
			all.Counts[i] += rr.Counts[i]
		}
		rep.Ratings = append(rep.Ratings, *rr)
	}
	slices.SortFunc(rep.Ratings, func(a, b RatingRow) int { return cmp.Compare(a.Channel, b.Channel) })
	all.finish()
	tt.Ratings, tt.RatingAverage, tt.Satisfied = all.Ratings, all.Average, all.Satisfied
	for _, pf := range pages {
		if pf.Up == 0 && pf.Down == 0 {
			continue
		}
		tt.Up += pf.Up
		tt.Down += pf.Down
		rep.Feedback = append(rep.Feedback, *pf)
	}
	slices.SortFunc(rep.Feedback, func(a, b PageFeedback) int {
		if c := cmp.Compare(b.Up+b.Down, a.Up+a.Down); c != 0 {
			return c
		}
		if c := cmp.Compare(b.Down, a.Down); c != 0 {
			return c
		}
		return cmp.Compare(a.PageID, b.PageID)
	})
	if len(rep.Feedback) > MaxPages {
		rep.Feedback = rep.Feedback[:MaxPages]
	}
	// Scrub again on the way out: questions stored by an older civibot,
	// or with a pattern learnt since, are shown clean.
	for i := range questions {
		questions[i].Text = Scrub(questions[i].Text)
	}
	rep.Questions = GroupQuestions(questions, r.terms, MaxGroups)
	return rep, nil
}

// ratio is a/b rounded to four places (0 when b is 0).
func ratio(a, b int64) float64 {
	if b <= 0 {
		return 0
	}
	return math.Round(float64(a)/float64(b)*10000) / 10000
}

// median of ds in seconds (0 for none), to a tenth of a second.
func median(ds []time.Duration) float64 {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	m := s[len(s)/2]
	if len(s)%2 == 0 {
		m = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return math.Round(m.Seconds()*10) / 10
}
