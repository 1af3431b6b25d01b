package analytics

import (
	"context"
	"log/slog"
	"strconv"
	"time"

	"github.com/civibot/civibot/conversation"
	"github.com/civibot/civibot/dialog"
)

// Counter field names in a day's counts (<ch>: channel).
const (
	// fieldConversations: conversations started that day ("conv|<ch>").
	fieldConversations = "conv|"
	// fieldMessages: citizens' messages that day ("msg|<ch>").
	fieldMessages = "msg|"
	// fieldAnswers: the bot's answers that day ("ans|<ch>").
	fieldAnswers = "ans|"
	// fieldDecisions: decisions by kind that day ("dec|<kind>").
	fieldDecisions = "dec|"
	// fieldHandedOff: conversations started that day that were handed to
	// a person (counted once per conversation, at its first handoff):
	// "esc|<ch>|<reason>".
	fieldHandedOff = "esc|"
	// fieldTickets: of those, the ones whose first handoff became a
	// callback ticket ("tkt|<ch>").
	fieldTickets = "tkt|"
	// fieldFeedback: ratings of answers given that day, per page:
	// "fb|<page id>|up", "fb|<page id>|down".
	fieldFeedback = "fb|"
	// fieldRatings: citizens' ratings of conversations with a person,
	// on the day rated, per channel: "rt|<ch>|<1-5>".
	fieldRatings = "rt|"
)

// Recorder turns what happens into daily analytics: it is the
// dialog.Observer of the dialog service, and the wiring tells it about new
// conversations (Started) and claimed handoffs (Waited). Every method
// returns at once: events are queued and Run writes them to the Store in
// batches. When the queue is full (the store is slow or down) events are
// dropped and counted (RecorderOptions.Dropped); a turn never waits.
type Recorder struct {
	cfg     Config
	store   Store
	loc     *time.Location
	now     func() time.Time
	log     *slog.Logger
	dropped func()
	every   time.Duration
	events  chan event
}

var _ dialog.Observer = (*Recorder)(nil)

// event applies one observation to the pending batches.
type event func(p pending)

// pending are the batches not written yet, by day.
type pending map[string]*pendingDay

type pendingDay struct {
	b        Batch
	events   int
	attempts int
}

func (p pending) day(d string) *pendingDay {
	pd, ok := p[d]
	if !ok {
		pd = &pendingDay{b: Batch{Counts: map[string]int64{}, Titles: map[string]string{}}}
		p[d] = pd
	}
	pd.events++
	return pd
}

// RecorderOptions are the recorder's collaborators; all are optional.
type RecorderOptions struct {
	Now func() time.Time
	Log *slog.Logger
	// Dropped is called for every event that is not recorded.
	Dropped func()
	// FlushInterval: how often Run writes (default 1s).
	FlushInterval time.Duration
	// Buffer: how many events may wait to be written (default 4096).
	Buffer int
}

// NewRecorder builds a recorder writing to store.
func NewRecorder(cfg Config, store Store, o RecorderOptions) (*Recorder, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	loc, err := cfg.Location()
	if err != nil {
		return nil, err
	}
	r := &Recorder{cfg: cfg, store: store, loc: loc, now: o.Now, log: o.Log, dropped: o.Dropped, every: o.FlushInterval}
	if r.now == nil {
		r.now = time.Now
	}
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	if r.dropped == nil {
		r.dropped = func() {}
	}
	if r.every <= 0 {
		r.every = time.Second
	}
	if o.Buffer <= 0 {
		o.Buffer = 4096
	}
	r.events = make(chan event, o.Buffer)
	return r, nil
}

func (r *Recorder) day(t time.Time) string {
	if t.IsZero() {
		t = r.now()
	}
	return t.In(r.loc).Format(DayLayout)
}

func (r *Recorder) enqueue(e event) {
	select {
	case r.events <- e:
	default:
		r.dropped()
	}
}

// Started records a new conversation (on the day it was created).
func (r *Recorder) Started(_ context.Context, c conversation.Conversation) {
	day, ch := r.day(c.Created), channel(c.Channel)
	r.enqueue(func(p pending) { p.day(day).b.Counts[fieldConversations+ch]++ })
}

// Waited records how long a claimed conversation waited (today).
func (r *Recorder) Waited(_ context.Context, wait time.Duration) {
	day := r.day(time.Time{})
	r.enqueue(func(p pending) {
		pd := p.day(day)
		pd.b.Waits = append(pd.b.Waits, wait)
	})
}

// Received records a citizen's message (dialog.Observer).
func (r *Recorder) Received(_ context.Context, ch string) {
	day, field := r.day(time.Time{}), fieldMessages+channel(ch)
	r.enqueue(func(p pending) { p.day(day).b.Counts[field]++ })
}

// Turned records the bot's answer, a first handoff (on the day the
// conversation started) and, for a turn the bot could not answer well, the
// scrubbed question (dialog.Observer).
func (r *Recorder) Turned(_ context.Context, t dialog.TurnRecord) {
	today, started := r.day(time.Time{}), r.day(t.Conversation.Created)
	ch := channel(t.Conversation.Channel)
	kind := t.Decision.Kind
	first := t.Handoff && t.Conversation.Handoff == nil
	reason := t.Decision.Reason
	if reason == "" {
		reason = "unknown"
	}
	q, keep := r.question(t)
	r.enqueue(func(p pending) {
		pd := p.day(today)
		pd.b.Counts[fieldAnswers+ch]++
		pd.b.Counts[fieldDecisions+kind]++
		if keep {
			pd.b.Questions = append(pd.b.Questions, q)
		}
		if first {
			sd := p.day(started)
			sd.b.Counts[fieldHandedOff+ch+"|"+reason]++
			if t.Ticket {
				sd.b.Counts[fieldTickets+ch]++
			}
		}
	})
}

// question returns the scrubbed question of a turn the bot could not
// answer well, and whether there is one.
func (r *Recorder) question(t dialog.TurnRecord) (Question, bool) {
	if t.Question == "" {
		return Question{}, false
	}
	d := t.Decision
	var kind string
	switch {
	case d.Kind == dialog.KindHandoff && (d.Reason == dialog.ReasonLowConfidence || d.Reason == dialog.ReasonNoMatch):
		kind = KindUnanswered
	case d.Kind == dialog.KindScope, d.Kind == dialog.KindHandoff && d.Reason == dialog.ReasonOutOfScope:
		kind = KindOutOfScope
	case d.Kind == dialog.KindNotCovered:
		kind = KindNotCovered
	case d.Kind == dialog.KindClarify:
		kind = KindClarify
	case d.Kind == dialog.KindAnswer && len(t.Sources) == 0:
		kind = KindUnanswered
	case d.Kind == dialog.KindAnswer && d.Confidence < r.cfg.LowConfidence:
		kind = KindLowConfidence
	default:
		return Question{}, false
	}
	text := Scrub(t.Question)
	if text == "" {
		return Question{}, false
	}
	q := Question{Text: text, Language: t.Language, Kind: kind, Confidence: float64(int(d.Confidence*100+0.5)) / 100, At: r.now().UTC()}
	switch {
	case len(t.Sources) > 0:
		q.PageID, q.PageTitle = t.Sources[0].PageID, t.Sources[0].Title
	case len(d.Candidates) > 0:
		q.PageID, q.PageTitle = d.Candidates[0].ID, d.Candidates[0].Title
	}
	return q, true
}

// Rated records a change of a rating, on the day the answer was given,
// for the page the answer came from (dialog.Observer).
func (r *Recorder) Rated(_ context.Context, f dialog.FeedbackRecord) {
	if len(f.Sources) == 0 {
		return
	}
	day, page, title := r.day(f.At), f.Sources[0].PageID, f.Sources[0].Title
	up := indicator(f.New == 1) - indicator(f.Old == 1)
	down := indicator(f.New == -1) - indicator(f.Old == -1)
	r.enqueue(func(p pending) {
		pd := p.day(day)
		if up != 0 {
			pd.b.Counts[fieldFeedback+page+"|up"] += up
		}
		if down != 0 {
			pd.b.Counts[fieldFeedback+page+"|down"] += down
		}
		if title != "" {
			pd.b.Titles[page] = title
		}
	})
}

// RatedConversation records a citizen's rating (1 to 5) of a conversation
// with a person, on the day it was given (dialog.RatingObserver).
func (r *Recorder) RatedConversation(_ context.Context, rr dialog.RatingRecord) {
	day := r.day(rr.At)
	r.enqueue(func(p pending) {
		pd := p.day(day)
		if rr.Old >= 1 && rr.Old <= 5 {
			pd.b.Counts[fieldRatings+rr.Channel+"|"+strconv.Itoa(rr.Old)]--
		}
		if rr.New >= 1 && rr.New <= 5 {
			pd.b.Counts[fieldRatings+rr.Channel+"|"+strconv.Itoa(rr.New)]++
		}
	})
}

var _ dialog.RatingObserver = (*Recorder)(nil)

// maxAttempts: a day's batch that could not be written this many times is
// dropped (the store has been down for that many flush intervals).
const maxAttempts = 30

// Run writes the queued events every FlushInterval until ctx ends, then
// writes what is left (within 5 s) and returns nil.
func (r *Recorder) Run(ctx context.Context) error {
	t := time.NewTicker(r.every)
	defer t.Stop()
	p := pending{}
	for {
		select {
		case e := <-r.events:
			e(p)
		case <-t.C:
			r.flush(ctx, p)
		case <-ctx.Done():
		drain:
			for {
				select {
				case e := <-r.events:
					e(p)
				default:
					break drain
				}
			}
			fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			r.flush(fctx, p)
			cancel()
			for _, pd := range p {
				for range pd.events {
					r.dropped()
				}
			}
			return nil
		}
	}
}

// flush writes the pending batches; a failed one stays for the next flush
// until maxAttempts.
func (r *Recorder) flush(ctx context.Context, p pending) {
	for day, pd := range p {
		err := r.store.Add(ctx, day, pd.b)
		if err == nil {
			delete(p, day)
			continue
		}
		pd.attempts++
		if pd.attempts == 1 || pd.attempts >= maxAttempts {
			r.log.WarnContext(ctx, "analytics: write failed", "day", day, "events", pd.events, "attempt", pd.attempts, "error", err)
		}
		if pd.attempts >= maxAttempts {
			for range pd.events {
				r.dropped()
			}
			delete(p, day)
		}
	}
}

func channel(ch string) string {
	if ch == "" {
		return "unknown"
	}
	return ch
}

func indicator(b bool) int64 {
	if b {
		return 1
	}
	return 0
}
