package analytics

import (
	"encoding/csv"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Tables that WriteCSV exports.
const (
	TableDays      = "days"
	TableReasons   = "reasons"
	TableFeedback  = "feedback"
	TableRatings   = "ratings"
	TableQuestions = "questions"
)

// Tables lists the CSV tables.
func Tables() []string {
	return []string{TableDays, TableReasons, TableFeedback, TableRatings, TableQuestions}
}

// WriteCSV writes one table of the report as CSV (comma-separated, a
// header row, UTF-8). Text cells that a spreadsheet would take for a
// formula (starting with =, +, -, @, tab or carriage return) are prefixed
// with an apostrophe: the questions are citizens' text.
func WriteCSV(w io.Writer, rep Report, table string) error {
	if !slices.Contains(Tables(), table) {
		return fmt.Errorf("%w: no table %q (tables: %s)", ErrInvalid, table, strings.Join(Tables(), ", "))
	}
	cw := csv.NewWriter(w)
	var rows [][]string
	switch table {
	case TableDays:
		head := []string{"date", "conversations"}
		for _, ch := range rep.Channels {
			head = append(head, "conversations_"+ch)
		}
		rows = append(rows, append(head, "handed_off", "tickets", "containment", "messages", "answers", "median_wait_seconds", "waits"))
		for _, d := range rep.Days {
			row := []string{d.Date, itoa(d.Total)}
			for _, ch := range rep.Channels {
				row = append(row, itoa(d.Conversations[ch]))
			}
			rows = append(rows, append(row, itoa(d.HandedOff), itoa(d.Tickets), ftoa(d.Containment), itoa(d.Messages), itoa(d.Answers),
				ftoa(d.MedianWait), strconv.Itoa(d.Waits)))
		}
	case TableReasons:
		rows = append(rows, []string{"reason", "conversations", "rate", "share_of_handoffs"})
		for _, r := range rep.Reasons {
			rows = append(rows, []string{text(r.Reason), itoa(r.Conversations), ftoa(r.Rate), ftoa(r.Share)})
		}
	case TableFeedback:
		rows = append(rows, []string{"page_id", "title", "up", "down"})
		for _, f := range rep.Feedback {
			rows = append(rows, []string{text(f.PageID), text(f.Title), itoa(f.Up), itoa(f.Down)})
		}
	case TableRatings:
		rows = append(rows, []string{"channel", "ratings", "average", "satisfied", "rated_1", "rated_2", "rated_3", "rated_4", "rated_5"})
		for _, r := range rep.Ratings {
			row := []string{text(r.Channel), itoa(r.Ratings), ftoa(r.Average), ftoa(r.Satisfied)}
			for _, n := range r.Counts {
				row = append(row, itoa(n))
			}
			rows = append(rows, row)
		}
	case TableQuestions:
		rows = append(rows, []string{"count", "question", "other_wordings", "kinds", "languages", "closest_page_id", "closest_page_title", "avg_confidence", "last_asked"})
		for _, g := range rep.Questions {
			var kinds []string
			for _, k := range []string{KindUnanswered, KindNotCovered, KindLowConfidence, KindClarify, KindOutOfScope} {
				if n := g.Kinds[k]; n > 0 {
					kinds = append(kinds, k+"="+strconv.Itoa(n))
				}
			}
			rows = append(rows, []string{strconv.Itoa(g.Count), text(g.Example), text(strings.Join(g.Variants, " | ")),
				strings.Join(kinds, " "), strings.Join(g.Languages, " "), text(g.PageID), text(g.PageTitle),
				ftoa(g.AvgConfidence), g.Last.UTC().Format(time.RFC3339)})
		}
	}
	if err := cw.WriteAll(rows); err != nil {
		return fmt.Errorf("analytics: write csv: %w", err)
	}
	return nil
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func ftoa(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// text defuses spreadsheet formulas in a text cell.
func text(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
