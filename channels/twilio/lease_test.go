package twilio_test

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/civibot/civibot/channels/twilio"
	"github.com/civibot/civibot/conversation"
	"github.com/civibot/civibot/internal/redistest"
	"github.com/civibot/civibot/internal/testtime"
)

// splitHarness keeps the conversations in a Redis that the test stops,
// and the idempotency keys in memory: the MessageSid's lease is taken,
// then the work fails halfway.
func splitHarness(t *testing.T) (*harness, *redistest.Server) {
	rs := redistest.Start(t)
	h := newHarness(t, harnessOpts{store: conversation.NewRedis(rs.Client(t), conversation.Options{}), idem: conversation.NewMemory(conversation.Options{})})
	return h, rs
}

func redisBack(t *testing.T, h *harness, rs *redistest.Server) {
	t.Helper()
	rs.Restart(t)
	testtime.WaitFor(t, 5*time.Second, "redis", func() bool { _, err := h.store.Get(bg, "probe"); return errors.Is(err, conversation.ErrNotFound) })
}

// TestSMSFailureReleasesMessageSid: the store fails after the SMS's
// lease was taken; the lease is given up, so Twilio's retry of the same
// MessageSid is answered (once).
func TestSMSFailureReleasesMessageSid(t *testing.T) {
	h, rs := splitHarness(t)
	form := smsForm(h.sid("SM"), citizen, "Was kostet ein Personalausweis?")
	rs.Stop(t)
	if rep := h.post(twilio.PathSMS, form); rep.status != http.StatusOK || !strings.Contains(messageText(t, rep), "noch einmal") {
		t.Fatalf("sms while the store is down: %d %s", rep.status, rep.body)
	}
	if !strings.Contains(h.logs.String(), "twilio sms failed") {
		t.Fatalf("the failure was not logged as the work's:\n%s", h.logs.String())
	}
	redisBack(t, h, rs)
	if rep := h.post(twilio.PathSMS, form); !strings.Contains(messageText(t, rep), "37,00 Euro") {
		t.Fatalf("retry: %s", rep.body)
	}
	if rep := h.post(twilio.PathSMS, form); messageText(t, rep) != "" {
		t.Fatalf("a second retry answered again: %s", rep.body)
	}
}

// TestStatusNoteFailureRetried: a delivery failure that cannot be noted
// (the store fails) is answered 503 and released, so Twilio's redelivery
// of the status callback notes it — once.
func TestStatusNoteFailureRetried(t *testing.T) {
	h, rs := splitHarness(t)
	id := phoneID(citizen)
	h.sms(citizen, "Was kostet ein Personalausweis?")
	status := url.Values{"MessageSid": {h.sid("SM")}, "MessageStatus": {"undelivered"}, "ErrorCode": {"30003"},
		"AccountSid": {accountSID}, "To": {citizen}, "From": {civibotNum}, "ApiVersion": {"2010-04-01"}}
	path := twilio.PathSMSStatus + "?" + url.Values{"c": {id}, "m": {"2"}}.Encode()
	rs.Stop(t)
	if rep := h.post(path, status); rep.status != http.StatusServiceUnavailable {
		t.Fatalf("status callback while the store is down: %d %s", rep.status, rep.body)
	}
	redisBack(t, h, rs)
	for range 2 {
		if rep := h.post(path, status); rep.status != http.StatusNoContent {
			t.Fatalf("redelivered status callback: %d %s", rep.status, rep.body)
		}
	}
	var notes int
	for _, m := range h.transcript(id) {
		if m.Role == conversation.RoleNote && strings.Contains(m.Text, "30003") {
			notes++
		}
	}
	if notes != 1 {
		t.Fatalf("%d delivery notes, want 1", notes)
	}
}
