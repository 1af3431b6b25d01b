// Package analytics keeps what the city's content editors and managers
// need to see how civibot does — conversations per day and channel, how
// many the bot handled without a person (containment), handoffs by
// reason, caseworkers' waiting times, thumbs up and down per service page,
// and the questions the bot could not answer well — and nothing more.
//
// The Recorder is fed at turn time (it is a dialog.Observer, and is told
// about new conversations and claim waits by cmd/civibot's wiring). It
// keeps daily aggregates: counters, wait samples and, for unanswered or
// low-confidence turns only, the question text with personal data
// stripped (Scrub). No conversation id, address, name or phone number is
// stored, so the aggregates can outlive the conversations they count
// (Config.Retention) while the questions are kept only for
// Config.QuestionRetention. Writes are batched and asynchronous: a turn
// never waits for analytics.
//
// Two backends keep the same data: in memory for one instance, and in
// Redis (one hash and two lists per day, sharing a hash tag) for several.
// The Reporter reads a range of days and builds the dashboard's Report,
// grouping similar questions (GroupQuestions); WriteCSV exports its
// tables.
package analytics

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Config is the "analytics" section of civibot's config.
type Config struct {
	// Enabled records analytics and serves the dashboard at
	// /console/analytics (default true).
	Enabled bool `yaml:"enabled"`
	// Retention: how long the daily counts and wait times are kept (default
	// 9528h, about 13 months, for year-on-year comparisons). They hold no
	// personal data.
	Retention time.Duration `yaml:"retention"`
	// QuestionRetention: how long unanswered and low-confidence questions
	// (scrubbed of personal data) are kept (default 720h, like
	// conversations).
	QuestionRetention time.Duration `yaml:"question_retention"`
	// LowConfidence: answers given with a confidence below this are listed
	// with the questions to improve (default 0.6; the bot answers from
	// dialog.answer_threshold up).
	LowConfidence float64 `yaml:"low_confidence"`
	// TimeZone: where a day begins and ends (IANA name, default
	// Europe/Berlin).
	TimeZone string `yaml:"time_zone"`
}

// Defaults for Config.
const (
	DefaultRetention         = 397 * 24 * time.Hour
	DefaultQuestionRetention = 30 * 24 * time.Hour
	DefaultLowConfidence     = 0.8
	DefaultTimeZone          = "Europe/Berlin"
)

// DefaultConfig returns the settings used when nothing is set.
func DefaultConfig() Config {
	return Config{
		Enabled: true, Retention: DefaultRetention, QuestionRetention: DefaultQuestionRetention,
		LowConfidence: DefaultLowConfidence, TimeZone: DefaultTimeZone,
	}
}

func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if c.Retention <= 0 {
		c.Retention = d.Retention
	}
	if c.QuestionRetention <= 0 {
		c.QuestionRetention = d.QuestionRetention
	}
	if c.LowConfidence == 0 {
		c.LowConfidence = d.LowConfidence
	}
	if c.TimeZone == "" {
		c.TimeZone = d.TimeZone
	}
	return c
}

// Validate checks the settings; the messages say how to fix them.
func (c Config) Validate() error {
	var errs []error
	if c.Retention < 0 || c.Retention > 0 && c.Retention < 24*time.Hour {
		errs = append(errs, fmt.Errorf("analytics.retention must be at least 24h, got %v", c.Retention))
	}
	if c.QuestionRetention < 0 || c.QuestionRetention > 0 && c.QuestionRetention < 24*time.Hour {
		errs = append(errs, fmt.Errorf("analytics.question_retention must be at least 24h, got %v", c.QuestionRetention))
	}
	if c.Retention > 0 && c.QuestionRetention > c.Retention {
		errs = append(errs, fmt.Errorf("analytics.question_retention (%v) must not exceed analytics.retention (%v)", c.QuestionRetention, c.Retention))
	}
	if c.LowConfidence < 0 || c.LowConfidence > 1 {
		errs = append(errs, fmt.Errorf("analytics.low_confidence must be between 0 and 1, got %v", c.LowConfidence))
	}
	if c.TimeZone != "" {
		if _, err := time.LoadLocation(c.TimeZone); err != nil {
			errs = append(errs, fmt.Errorf("analytics.time_zone %q is not an IANA time zone such as Europe/Berlin", c.TimeZone))
		}
	}
	return errors.Join(errs...)
}

// Location returns the time zone days are counted in.
func (c Config) Location() (*time.Location, error) {
	c = c.withDefaults()
	loc, err := time.LoadLocation(c.TimeZone)
	if err != nil {
		return nil, fmt.Errorf("analytics: time zone %q: %w", c.TimeZone, err)
	}
	return loc, nil
}

// ErrInvalid: the arguments are wrong (a bad date range).
var ErrInvalid = errors.New("analytics: invalid argument")

// DayLayout is how days are written ("2026-03-14").
const DayLayout = "2006-01-02"

// Question kinds: why a question is on the list to improve.
const (
	// KindUnanswered: the bot found nothing good enough and handed off.
	KindUnanswered = "unanswered"
	// KindClarify: the bot had to ask which of several pages was meant.
	KindClarify = "clarify"
	// KindLowConfidence: the bot answered, with a confidence below
	// Config.LowConfidence.
	KindLowConfidence = "low_confidence"
	// KindOutOfScope: the bot judged the question not to be about the
	// city's services.
	KindOutOfScope = "out_of_scope"
	// KindNotCovered: the bot found the page, but it does not say what was
	// asked (a fee, a deadline, …): the page needs the missing sentence.
	KindNotCovered = "not_covered"
)

// Question is one stored question to improve the pages for. Text has been
// scrubbed (Scrub) before it was stored.
type Question struct {
	Text       string    `json:"text"`
	Language   string    `json:"lang,omitempty"`
	Kind       string    `json:"kind"`
	Confidence float64   `json:"conf"`
	PageID     string    `json:"page,omitempty"`  // the best candidate page, if any
	PageTitle  string    `json:"title,omitempty"` // its title
	At         time.Time `json:"at"`
}

// Batch is what the recorder adds to one day at once.
type Batch struct {
	// Counts are added to the day's counters (see the field names in
	// recorder.go).
	Counts map[string]int64
	// Titles remember page titles by page id (for the feedback table).
	Titles    map[string]string
	Waits     []time.Duration
	Questions []Question
}

func (b *Batch) empty() bool {
	return len(b.Counts) == 0 && len(b.Titles) == 0 && len(b.Waits) == 0 && len(b.Questions) == 0
}

// Day is one day's stored analytics.
type Day struct {
	Date      string
	Counts    map[string]int64
	Titles    map[string]string
	Waits     []time.Duration
	Questions []Question
}

// Store keeps daily analytics. Memory and Redis implement it with the same
// behaviour (contract_test.go).
type Store interface {
	// Add adds b to the day (DayLayout) atomically: a reader sees all of
	// it or none.
	Add(ctx context.Context, day string, b Batch) error
	// Days returns the stored days among days, in the order asked; a day
	// without data comes back empty (Date set).
	Days(ctx context.Context, days []string) ([]Day, error)
}

// Limits per day: the wait samples and questions beyond them are dropped
// (the median and the question list stay meaningful).
const (
	MaxWaitsPerDay     = 10000
	MaxQuestionsPerDay = 2000
	// MaxQuestionChars bounds a stored question.
	MaxQuestionChars = 300
)
