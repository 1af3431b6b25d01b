// Package aliases keeps what caseworkers teach the bot. A caseworker who
// answers a handed-off question with one of the city's pages (a link to it
// in the reply, or the page marked in the console) makes the citizen's
// question, scrubbed of personal data, a suggested alias of that page. An
// administrator reviews the suggestions (accept, edit, reject); accepted
// aliases are searched like the words of the page's title
// (knowledge.KB.SetAliases), per language, survive every ingest, and are
// exported and imported as a JSONL file (civibot aliases export|import).
//
// The store is shared by all instances in Redis (one hash under one hash
// tag, so it works on Redis Cluster) or kept in a JSON file in the data
// directory for a single instance.
package aliases

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/civibot/civibot/analytics"
	"github.com/civibot/civibot/knowledge"
)

// Status of a suggestion.
const (
	StatusPending  = "pending"
	StatusAccepted = "accepted"
	StatusRejected = "rejected"
)

// Where a suggestion came from.
const (
	SourceLink   = "link"   // a link to the page in the caseworker's reply
	SourceMarked = "marked" // the caseworker marked the page in the console
	SourceImport = "import" // civibot aliases import (accepted at once)
)

// Limits.
const (
	// MaxTextChars bounds an alias: a question, not a letter.
	MaxTextChars = analytics.MaxQuestionChars
	// MaxEntries bounds the store. When it is full, the oldest pending
	// suggestion makes room for a new one; accepted aliases are never
	// dropped to make room (an import beyond the limit fails).
	MaxEntries = 5000
)

// Errors.
var (
	ErrNotFound = errors.New("aliases: no such suggestion")
	ErrInvalid  = errors.New("aliases: invalid")
	ErrFull     = errors.New("aliases: the store is full")
)

// Suggestion is a question taught as an alias of a page: pending review,
// accepted (in use) or rejected (never suggested again).
type Suggestion struct {
	// ID is derived from page, language and the words of the text as first
	// suggested: the same question taught again is the same suggestion.
	ID        string `json:"id"`
	PageID    string `json:"page_id"`
	PageTitle string `json:"page_title,omitempty"`
	PageURL   string `json:"page_url,omitempty"`
	Text      string `json:"text"`
	Language  string `json:"language,omitempty"`
	Status    string `json:"status"`
	Source    string `json:"source"`
	// Caseworker taught it (a user name; "" for an import).
	Caseworker string    `json:"caseworker,omitempty"`
	Suggested  time.Time `json:"suggested"`
	// Count is how often it was taught.
	Count      int       `json:"count"`
	ReviewedBy string    `json:"reviewed_by,omitempty"`
	Reviewed   time.Time `json:"reviewed,omitzero"`
}

// Alias is the suggestion as the knowledge base searches it.
func (s Suggestion) Alias() knowledge.Alias {
	return knowledge.Alias{PageID: s.PageID, Text: s.Text, Language: s.Language}
}

// backend keeps suggestions by id.
type backend interface {
	// put stores s unless its id is there: then it applies merge to the
	// stored one (under the same guard). It keeps at most MaxEntries:
	// beyond, the oldest pending entry goes; with none pending, ErrFull.
	put(ctx context.Context, s Suggestion, merge func(*Suggestion) bool) (Suggestion, error)
	// update applies fn to the stored suggestion (ErrNotFound without it).
	update(ctx context.Context, id string, fn func(*Suggestion) error) (Suggestion, error)
	remove(ctx context.Context, id string) error
	list(ctx context.Context) ([]Suggestion, error)
	// version changes whenever the accepted aliases change.
	version(ctx context.Context) (int64, error)
	bump(ctx context.Context) error
}

// Options are a store's collaborators.
type Options struct {
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Store keeps the suggestions and accepted aliases.
type Store struct {
	b   backend
	now func() time.Time
}

func newStore(b backend, now func() time.Time) *Store {
	if now == nil {
		now = time.Now
	}
	return &Store{b: b, now: now}
}

// Suggest records s (PageID, Text, Language, Source, Caseworker,
// PageTitle, PageURL) as a pending suggestion; the text is scrubbed of personal
// data first. The same question for the same page taught again counts
// once more; a rejected or accepted one stays as it is. It reports
// whether the suggestion is new.
func (st *Store) Suggest(ctx context.Context, s Suggestion) (Suggestion, bool, error) {
	text, err := clean(s.Text)
	if err != nil {
		return Suggestion{}, false, err
	}
	if s.PageID == "" {
		return Suggestion{}, false, fmt.Errorf("%w: no page", ErrInvalid)
	}
	s.Text, s.Language = text, normLang(s.Language)
	s.ID = suggestionID(s.PageID, s.Language, text)
	s.Status, s.Count, s.Suggested = StatusPending, 1, st.now().UTC()
	s.ReviewedBy, s.Reviewed = "", time.Time{}
	fresh := true
	got, err := st.b.put(ctx, s, func(old *Suggestion) bool {
		fresh = false
		if old.Status != StatusPending {
			return false
		}
		old.Count++
		return true
	})
	if err != nil {
		return Suggestion{}, false, fmt.Errorf("aliases: suggest: %w", err)
	}
	return got, fresh, nil
}

// List returns every suggestion, pending ones first, newest first within.
func (st *Store) List(ctx context.Context) ([]Suggestion, error) {
	all, err := st.b.list(ctx)
	if err != nil {
		return nil, fmt.Errorf("aliases: list: %w", err)
	}
	rank := map[string]int{StatusPending: 0, StatusAccepted: 1, StatusRejected: 2}
	slices.SortFunc(all, func(a, b Suggestion) int {
		if r := rank[a.Status] - rank[b.Status]; r != 0 {
			return r
		}
		if c := b.Suggested.Compare(a.Suggested); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return all, nil
}

// Accepted returns the aliases in use, for knowledge.KB.SetAliases.
func (st *Store) Accepted(ctx context.Context) ([]knowledge.Alias, error) {
	all, err := st.List(ctx)
	if err != nil {
		return nil, err
	}
	var out []knowledge.Alias
	seen := map[knowledge.Alias]bool{}
	for _, s := range all {
		if a := s.Alias(); s.Status == StatusAccepted && !seen[a] {
			seen[a] = true
			out = append(out, a)
		}
	}
	return out, nil
}

// Accept puts a suggestion in use, with text as edited by the reviewer
// ("" keeps it; scrubbed like a suggestion). Accepting an accepted alias
// edits its text.
func (st *Store) Accept(ctx context.Context, id, text, by string) (Suggestion, error) {
	if text != "" {
		var err error
		if text, err = clean(text); err != nil {
			return Suggestion{}, err
		}
	}
	s, err := st.b.update(ctx, id, func(s *Suggestion) error {
		if text != "" {
			s.Text = text
		}
		s.Status, s.ReviewedBy, s.Reviewed = StatusAccepted, by, st.now().UTC()
		return nil
	})
	if err != nil {
		return Suggestion{}, fmt.Errorf("aliases: accept %s: %w", id, err)
	}
	return s, st.changed(ctx)
}

// Reject keeps the suggestion from being used or suggested again; a
// rejected accepted alias is no longer used.
func (st *Store) Reject(ctx context.Context, id, by string) (Suggestion, error) {
	was := ""
	s, err := st.b.update(ctx, id, func(s *Suggestion) error {
		was = s.Status
		s.Status, s.ReviewedBy, s.Reviewed = StatusRejected, by, st.now().UTC()
		return nil
	})
	if err != nil {
		return Suggestion{}, fmt.Errorf("aliases: reject %s: %w", id, err)
	}
	if was == StatusAccepted {
		return s, st.changed(ctx)
	}
	return s, nil
}

// Remove forgets a suggestion or alias (the same question may be
// suggested again).
func (st *Store) Remove(ctx context.Context, id string) error {
	if err := st.b.remove(ctx, id); err != nil {
		return fmt.Errorf("aliases: remove %s: %w", id, err)
	}
	return st.changed(ctx)
}

// Import adds aliases as accepted ones (reviewed by by), scrubbed like
// suggestions; aliases already there are accepted as they are. It
// returns how many were new.
func (st *Store) Import(ctx context.Context, list []knowledge.Alias, by string) (int, error) {
	added := 0
	for i, a := range list {
		text, err := clean(a.Text)
		if err != nil {
			return added, fmt.Errorf("aliases: import: alias %d (page %q): %w", i+1, a.PageID, err)
		}
		if a.PageID == "" {
			return added, fmt.Errorf("aliases: import: alias %d: %w: no page_id", i+1, ErrInvalid)
		}
		lang := normLang(a.Language)
		now := st.now().UTC()
		s := Suggestion{ID: suggestionID(a.PageID, lang, text), PageID: a.PageID, Text: text, Language: lang,
			Status: StatusAccepted, Source: SourceImport, Suggested: now, Count: 1, ReviewedBy: by, Reviewed: now}
		fresh := true
		if _, err := st.b.put(ctx, s, func(old *Suggestion) bool {
			fresh = false
			if old.Status == StatusAccepted {
				return false
			}
			old.Status, old.ReviewedBy, old.Reviewed = StatusAccepted, by, now
			return true
		}); err != nil {
			return added, fmt.Errorf("aliases: import: %w", err)
		}
		if fresh {
			added++
		}
	}
	return added, st.changed(ctx)
}

// Drop removes the accepted aliases of pages the knowledge base no longer
// has (knowledge.KB.SetAliases returns them) and reports how many went.
func (st *Store) Drop(ctx context.Context, gone []knowledge.Alias) (int, error) {
	if len(gone) == 0 {
		return 0, nil
	}
	all, err := st.b.list(ctx)
	if err != nil {
		return 0, fmt.Errorf("aliases: drop: %w", err)
	}
	set := map[knowledge.Alias]bool{}
	for _, a := range gone {
		set[a] = true
	}
	n := 0
	for _, s := range all {
		if s.Status == StatusAccepted && set[s.Alias()] {
			if err := st.b.remove(ctx, s.ID); err != nil && !errors.Is(err, ErrNotFound) {
				return n, fmt.Errorf("aliases: drop: %w", err)
			}
			n++
		}
	}
	if n > 0 {
		return n, st.changed(ctx)
	}
	return 0, nil
}

// Version changes whenever the accepted aliases change: instances poll it
// to pick up what an administrator accepted on another one.
func (st *Store) Version(ctx context.Context) (int64, error) {
	v, err := st.b.version(ctx)
	if err != nil {
		return 0, fmt.Errorf("aliases: version: %w", err)
	}
	return v, nil
}

func (st *Store) changed(ctx context.Context) error {
	if err := st.b.bump(ctx); err != nil {
		return fmt.Errorf("aliases: %w", err)
	}
	return nil
}

// clean scrubs an alias's text and checks it.
func clean(text string) (string, error) {
	if n := utf8.RuneCountInString(strings.Join(strings.Fields(text), " ")); n > MaxTextChars {
		return "", fmt.Errorf("%w: text has %d characters, at most %d", ErrInvalid, n, MaxTextChars)
	}
	text = analytics.Scrub(text)
	if !strings.ContainsFunc(text, unicode.IsLetter) {
		return "", fmt.Errorf("%w: no words in the text", ErrInvalid)
	}
	return text, nil
}

func normLang(l string) string {
	l = strings.ToLower(strings.TrimSpace(l))
	if len(l) > 2 {
		l = l[:2]
	}
	return l
}

// suggestionID is the same for the same page, language and words.
func suggestionID(page, lang, text string) string {
	words := strings.FieldsFunc(strings.ToLower(text), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	sum := sha256.Sum256([]byte(page + "\x00" + lang + "\x00" + strings.Join(words, " ")))
	return hex.EncodeToString(sum[:8])
}
