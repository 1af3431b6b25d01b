package handoff

import (
	"strings"
	"testing"
	"time"

	"github.com/civibot/civibot/accounts"
)

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestOfficeHours(t *testing.T) {
	berlin := OfficeHours{
		TimeZone: "Europe/Berlin",
		Week: map[string]string{
			"mon-thu": "08:00-12:00, 13:00-16:00",
			"friday":  "08:00-13:00",
			"sun":     "02:30-04:00", // a range in the spring-forward gap
		},
		Holidays: []string{"12-24", "2026-04-03"},
	}
	s, err := berlin.Compile()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		at       string // UTC
		open     bool
		nextOpen string // UTC; "" = at itself
	}{
		{"monday morning (CET, UTC+1)", "2026-03-02T07:30:00Z", true, ""},
		{"monday before opening", "2026-03-02T06:59:00Z", false, "2026-03-02T07:00:00Z"},
		{"lunch break", "2026-03-02T11:15:00Z", false, "2026-03-02T12:00:00Z"},
		{"closing minute is closed", "2026-03-02T15:00:00Z", false, "2026-03-03T07:00:00Z"},
		{"last open minute", "2026-03-02T14:59:59Z", true, ""},
		{"friday afternoon to monday", "2026-03-06T12:00:00Z", false, "2026-03-08T01:30:00Z"},
		{"saturday", "2026-03-07T10:00:00Z", false, "2026-03-08T01:30:00Z"},
		{"friday before DST, 07:30 CET", "2026-03-27T06:30:00Z", false, "2026-03-27T07:00:00Z"},
		{"monday after DST, 08:30 CEST", "2026-03-30T06:30:00Z", true, ""},
		{"friday after close, across the DST change", "2026-03-27T12:00:00Z", false, "2026-03-29T01:00:00Z"},
		{"spring-forward sunday: 02:30 does not exist, opens 03:00 CEST", "2026-03-29T00:59:00Z", false, "2026-03-29T01:00:00Z"},
		{"spring-forward sunday 03:00 CEST", "2026-03-29T01:00:00Z", true, ""},
		{"spring-forward sunday 03:30 CEST", "2026-03-29T01:30:00Z", true, ""},
		{"good friday holiday (once)", "2026-04-03T08:00:00Z", false, "2026-04-05T00:30:00Z"},
		{"good friday next year is not a holiday", "2027-04-02T08:00:00Z", true, ""},
		{"christmas eve (every year), a thursday", "2026-12-24T09:00:00Z", false, "2026-12-25T07:00:00Z"},
		{"christmas eve 2027, a friday", "2027-12-24T09:00:00Z", false, "2027-12-26T01:30:00Z"},
		{"autumn: monday after fall-back, 08:00 CET", "2026-10-26T07:00:00Z", true, ""},
		{"autumn: 07:00 UTC was 09:00 CEST the week before", "2026-10-19T06:00:00Z", true, ""},
		{"autumn: 06:30 UTC is 07:30 CET after the change", "2026-10-26T06:30:00Z", false, "2026-10-26T07:00:00Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			at := utc(tt.at)
			if got := s.Open(at); got != tt.open {
				t.Errorf("Open(%s) = %v, want %v", at.In(s.loc).Format("Mon 2006-01-02 15:04 MST"), got, tt.open)
			}
			want := at
			if tt.nextOpen != "" {
				want = utc(tt.nextOpen)
			}
			if got := s.NextOpen(at); !got.Equal(want) {
				t.Errorf("NextOpen(%s) = %s, want %s", at.In(s.loc).Format("Mon 2006-01-02 15:04 MST"),
					got.In(s.loc).Format("Mon 2006-01-02 15:04 MST"), want.In(s.loc).Format("Mon 2006-01-02 15:04 MST"))
			}
		})
	}
}

func TestOfficeHoursZones(t *testing.T) {
	ny, err := OfficeHours{TimeZone: "America/New_York", Week: map[string]string{"mon-fri": "09:00-17:00"}}.Compile()
	if err != nil {
		t.Fatal(err)
	}
	at := utc("2026-03-02T14:30:00Z") // 09:30 EST
	if !ny.Open(at) {
		t.Error("09:30 in New York is closed")
	}
	if ny.Open(utc("2026-03-02T13:30:00Z")) {
		t.Error("08:30 in New York is open")
	}
	always, err := OfficeHours{}.Compile()
	if err != nil {
		t.Fatal(err)
	}
	if !always.Always() || !always.Open(utc("2026-12-24T03:00:00Z")) {
		t.Error("an empty schedule is not always open")
	}
	wrap, err := OfficeHours{Week: map[string]string{"fri-mon": "10:00-11:00"}}.Compile()
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []time.Weekday{time.Friday, time.Saturday, time.Sunday, time.Monday} {
		if len(wrap.days[d]) != 1 {
			t.Errorf("fri-mon does not include %v", d)
		}
	}
	if len(wrap.days[time.Wednesday]) != 0 {
		t.Error("fri-mon includes wednesday")
	}
	closed, err := OfficeHours{Week: map[string]string{"mon": "08:00-09:00"}, Holidays: []string{"01-01", "01-02", "01-03", "01-04", "01-05", "01-06", "01-07", "01-08", "01-09", "01-10", "01-11", "01-12", "01-13", "01-14", "01-15", "01-16", "01-17", "01-18", "01-19", "01-20", "01-21", "01-22", "01-23", "01-24", "01-25", "01-26", "01-27", "01-28", "01-29", "01-30", "01-31"}}.Compile()
	if err != nil {
		t.Fatal(err)
	}
	if got := closed.NextOpen(utc("2026-01-01T00:00:00Z")); !got.Equal(utc("2026-02-02T07:00:00Z")) {
		t.Errorf("next open across a closed month = %v", got)
	}
}

func TestOfficeHoursInvalid(t *testing.T) {
	tests := []struct {
		name string
		oh   OfficeHours
		want string
	}{
		{"zone", OfficeHours{TimeZone: "Mars/Olympus"}, "time_zone"},
		{"day", OfficeHours{Week: map[string]string{"montag": "08:00-12:00"}}, `"montag" is not a day`},
		{"span", OfficeHours{Week: map[string]string{"mon-xyz": "08:00-12:00"}}, "day span"},
		{"range", OfficeHours{Week: map[string]string{"mon": "8-12"}}, "not a time"},
		{"backwards", OfficeHours{Week: map[string]string{"mon": "16:00-08:00"}}, "ends before it starts"},
		{"midnight", OfficeHours{Week: map[string]string{"mon": "22:00-24:30"}}, "not a time"},
		{"empty day", OfficeHours{Week: map[string]string{"mon": " "}}, "no opening hours"},
		{"holiday", OfficeHours{Holidays: []string{"24.12."}}, "neither YYYY-MM-DD nor MM-DD"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.oh.Validate()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Validate() = %v, want an error containing %q", err, tt.want)
			}
		})
	}
	if err := (OfficeHours{Week: map[string]string{"mon": "00:00-24:00"}}).Validate(); err != nil {
		t.Errorf("00:00-24:00 rejected: %v", err)
	}
}

func TestConfigValidate(t *testing.T) {
	if err := DefaultConfig().Validate(); err != nil {
		t.Fatalf("default config invalid: %v", err)
	}
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"bcrypt cost", Config{Accounts: accounts.Config{BcryptCost: 4}}, "bcrypt_cost"},
		{"watch vs reclaim", Config{WatchInterval: 20 * time.Second, ReclaimAfter: 30 * time.Second}, "watch_interval"},
		{"idle over max", Config{Accounts: accounts.Config{SessionIdle: 24 * time.Hour, SessionMax: time.Hour}}, "session_idle"},
		{"negative", Config{OfflineAfter: -time.Second}, "offline_after"},
		{"password length", Config{Accounts: accounts.Config{MinPasswordChars: 4}}, "min_password_chars"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Validate() = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}
