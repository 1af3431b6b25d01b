package handoff

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// OfficeHours is a weekly schedule in one time zone, with holidays. With no
// Week at all the desk is always open and presence alone decides.
//
//	office_hours:
//	  time_zone: Europe/Berlin
//	  week:
//	    mon-thu: "08:00-12:00 13:00-16:00"
//	    fri: "08:00-13:00"
//	  holidays: ["12-24", "12-25", "2026-04-03"]
type OfficeHours struct {
	// TimeZone is an IANA zone name (default Europe/Berlin). The schedule
	// is wall-clock time there, across daylight-saving changes.
	TimeZone string `yaml:"time_zone"`
	// Week maps days to opening hours. Keys: monday … sunday, mon … sun,
	// or a span such as mon-fri. Values: ranges "HH:MM-HH:MM" separated by
	// spaces, commas or semicolons; 24:00 may end a range. A day not named
	// is closed.
	Week map[string]string `yaml:"week"`
	// Holidays are closed all day: "2026-04-03" (that date) or "12-24"
	// (every year).
	Holidays []string `yaml:"holidays"`
}

// DefaultTimeZone is the OfficeHours.TimeZone used when none is set.
const DefaultTimeZone = "Europe/Berlin"

// span is an opening range in minutes after local midnight, [start, end).
type span struct{ start, end int }

// Schedule is compiled OfficeHours.
type Schedule struct {
	always bool
	loc    *time.Location
	days   [7][]span // by time.Weekday
	once   map[[3]int]bool
	yearly map[[2]int]bool
}

var dayNames = map[string]time.Weekday{
	"sunday": time.Sunday, "monday": time.Monday, "tuesday": time.Tuesday, "wednesday": time.Wednesday,
	"thursday": time.Thursday, "friday": time.Friday, "saturday": time.Saturday,
	"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday, "wed": time.Wednesday,
	"thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday,
}

// Validate checks the schedule; messages name the setting.
func (o OfficeHours) Validate() error {
	_, err := o.Compile()
	return err
}

// Compile parses the schedule.
func (o OfficeHours) Compile() (*Schedule, error) {
	s := &Schedule{once: map[[3]int]bool{}, yearly: map[[2]int]bool{}}
	tz := o.TimeZone
	if tz == "" {
		tz = DefaultTimeZone
	}
	loc, err := time.LoadLocation(tz)
	if err != nil {
		return nil, fmt.Errorf("handoff.office_hours.time_zone: unknown zone %q (use an IANA name such as Europe/Berlin): %v", tz, err)
	}
	s.loc = loc
	var errs []error
	if len(o.Week) == 0 {
		s.always = true
	}
	keys := make([]string, 0, len(o.Week))
	for k := range o.Week {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		days, err := parseDays(k)
		if err != nil {
			errs = append(errs, fmt.Errorf("handoff.office_hours.week: %w", err))
			continue
		}
		spans, err := parseSpans(o.Week[k])
		if err != nil {
			errs = append(errs, fmt.Errorf("handoff.office_hours.week.%s: %w", k, err))
			continue
		}
		for _, d := range days {
			s.days[d] = mergeSpans(append(s.days[d], spans...))
		}
	}
	for _, h := range o.Holidays {
		h = strings.TrimSpace(h)
		if t, err := time.Parse("2006-01-02", h); err == nil {
			s.once[[3]int{t.Year(), int(t.Month()), t.Day()}] = true
			continue
		}
		if t, err := time.Parse("01-02", h); err == nil {
			s.yearly[[2]int{int(t.Month()), t.Day()}] = true
			continue
		}
		errs = append(errs, fmt.Errorf("handoff.office_hours.holidays: %q is neither YYYY-MM-DD nor MM-DD", h))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return s, nil
}

func parseDays(k string) ([]time.Weekday, error) {
	k = strings.ToLower(strings.TrimSpace(k))
	from, to, isSpan := strings.Cut(k, "-")
	a, ok := dayNames[strings.TrimSpace(from)]
	if !ok {
		return nil, fmt.Errorf("%q is not a day (monday … sunday, mon … sun, or a span like mon-fri)", k)
	}
	if !isSpan {
		return []time.Weekday{a}, nil
	}
	b, ok := dayNames[strings.TrimSpace(to)]
	if !ok {
		return nil, fmt.Errorf("%q is not a day span (like mon-fri)", k)
	}
	var days []time.Weekday
	for d := a; ; d = (d + 1) % 7 {
		days = append(days, d)
		if d == b {
			return days, nil
		}
	}
}

func parseSpans(v string) ([]span, error) {
	fields := strings.FieldsFunc(v, func(r rune) bool { return r == ' ' || r == ',' || r == ';' || r == '\t' })
	if len(fields) == 0 {
		return nil, errors.New(`no opening hours (write "08:00-16:00"; leave the day out to close it)`)
	}
	var out []span
	for _, f := range fields {
		a, b, ok := strings.Cut(f, "-")
		if !ok {
			return nil, fmt.Errorf("%q is not a range like 08:00-16:00", f)
		}
		start, err := parseClock(a)
		if err != nil {
			return nil, fmt.Errorf("%q: %w", f, err)
		}
		end, err := parseClock(b)
		if err != nil {
			return nil, fmt.Errorf("%q: %w", f, err)
		}
		if end <= start {
			return nil, fmt.Errorf("%q ends before it starts (ranges cannot cross midnight; use 24:00 and 00:00)", f)
		}
		out = append(out, span{start, end})
	}
	return out, nil
}

func parseClock(s string) (int, error) {
	h, m, ok := strings.Cut(strings.TrimSpace(s), ":")
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if !ok || err1 != nil || err2 != nil || len(m) != 2 || hh < 0 || mm < 0 || mm > 59 || hh > 24 || (hh == 24 && mm != 0) {
		return 0, fmt.Errorf("%q is not a time HH:MM between 00:00 and 24:00", s)
	}
	return hh*60 + mm, nil
}

func mergeSpans(spans []span) []span {
	slices.SortFunc(spans, func(a, b span) int { return a.start - b.start })
	var out []span
	for _, s := range spans {
		if n := len(out); n > 0 && s.start <= out[n-1].end {
			out[n-1].end = max(out[n-1].end, s.end)
			continue
		}
		out = append(out, s)
	}
	return out
}

// Always reports whether the schedule has no hours (always open).
func (s *Schedule) Always() bool { return s.always }

func (s *Schedule) holiday(y int, m time.Month, d int) bool {
	return s.once[[3]int{y, int(m), d}] || s.yearly[[2]int{int(m), d}]
}

// Open reports whether t falls in office hours.
func (s *Schedule) Open(t time.Time) bool {
	if s.always {
		return true
	}
	lt := t.In(s.loc)
	y, m, d := lt.Date()
	if s.holiday(y, m, d) {
		return false
	}
	min := lt.Hour()*60 + lt.Minute()
	for _, sp := range s.days[lt.Weekday()] {
		if sp.start <= min && min < sp.end {
			return true
		}
	}
	return false
}

// horizon bounds NextOpen's search (a schedule may be closed for long).
const horizon = 400

// NextOpen returns t if it is within office hours, else the next opening
// after t; zero if there is none within 400 days.
func (s *Schedule) NextOpen(t time.Time) time.Time {
	if s.Open(t) {
		return t
	}
	lt := t.In(s.loc)
	y, m, d := lt.Date()
	for off := range horizon {
		day := time.Date(y, m, d+off, 12, 0, 0, 0, s.loc) // noon: never in a DST gap
		dy, dm, dd := day.Date()
		if s.holiday(dy, dm, dd) {
			continue
		}
		for _, sp := range s.days[day.Weekday()] {
			start := time.Date(dy, dm, dd, sp.start/60, sp.start%60, 0, 0, s.loc)
			if start.Hour()*60+start.Minute() != sp.start {
				// The start fell in a daylight-saving gap (02:30 on the
				// spring-forward night): it opens when the clocks jump.
				start, _ = start.ZoneBounds()
			}
			if start.After(t) {
				return start
			}
		}
	}
	return time.Time{}
}
