package twilio

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
)

// smsStatus receives the delivery status of an SMS or WhatsApp message
// civibot sent (the answer in TwiML or one sent through the REST API). A message that
// failed is logged with its conversation and, once, noted in the
// transcript for the caseworkers.
func (c *Channel) smsStatus(w http.ResponseWriter, r *http.Request, f url.Values) {
	ctx := r.Context()
	status, code := f.Get("MessageStatus"), f.Get("ErrorCode")
	convID := f.Get("c")
	seq, _ := strconv.ParseInt(f.Get("m"), 10, 64)
	switch status {
	case "failed", "undelivered":
		codeNum, _ := strconv.Atoi(code)
		c.log.WarnContext(ctx, "twilio sms not delivered", "conversation_id", convID, "seq", seq, "status", status, "twilio_code", codeNum)
		if convID != "" && validSID(f.Get("MessageSid")) {
			label := "SMS"
			if isWhatsApp(f.Get("To")) {
				label = "WhatsApp message"
			}
			if err := c.noteOnce(ctx, "twilio:status:"+f.Get("MessageSid")+":"+status, convID, failedNote(label, seq, status, codeNum)); err != nil {
				c.retryLater(w, r, convID, err)
				return
			}
		}
	default:
		c.log.DebugContext(ctx, "twilio sms status", "conversation_id", convID, "seq", seq, "status", status)
	}
	w.WriteHeader(http.StatusNoContent)
}

func failedNote(label string, seq int64, status string, code int) string {
	s := label
	if seq > 0 {
		s += fmt.Sprintf(" (message %d)", seq)
	}
	s += " not delivered: " + status
	if code != 0 {
		s += fmt.Sprintf(", Twilio error %d", code)
		if d := errorCode(code); d != "" {
			s += " (" + d + ")"
		}
	}
	return s + "."
}

// callStatus receives call status changes. A call that ended badly is
// noted in the caller's transcript.
func (c *Channel) callStatus(w http.ResponseWriter, r *http.Request, f url.Values) {
	ctx := r.Context()
	_, id := c.caller(f.Get("From"), f.Get("CallSid"))
	status := f.Get("CallStatus")
	secs, _ := strconv.Atoi(f.Get("CallDuration"))
	switch status {
	case "completed":
		c.log.InfoContext(ctx, "twilio call ended", "conversation_id", id, "status", status, "duration_s", secs)
	case "failed", "busy", "no-answer", "canceled":
		c.log.WarnContext(ctx, "twilio call did not complete", "conversation_id", id, "status", status)
		if _, err := c.o.Service.Conversation(ctx, id); err == nil && validSID(f.Get("CallSid")) {
			if err := c.noteOnce(ctx, "twilio:call:"+f.Get("CallSid")+":"+status, id, "Call ended without completing: "+status+"."); err != nil {
				c.retryLater(w, r, id, err)
				return
			}
		}
	default:
		c.log.DebugContext(ctx, "twilio call status", "conversation_id", id, "status", status)
	}
	w.WriteHeader(http.StatusNoContent)
}

// noteOnce adds a note unless one was added for key (Twilio may report a
// status more than once). When the note cannot be stored the key is given
// up, so that Twilio's retry of the callback adds it.
func (c *Channel) noteOnce(ctx context.Context, key, convID, text string) error {
	_, err := c.lease.Do(ctx, key, func(ctx context.Context) error {
		return c.o.Service.Note(ctx, convID, noteAuthor, text)
	})
	return err
}

// retryLater answers a status callback whose note could not be stored with
// 503, so that Twilio delivers it again (with the webhook's retry
// connection override, docs/channels/twilio.md).
func (c *Channel) retryLater(w http.ResponseWriter, r *http.Request, convID string, err error) {
	c.log.ErrorContext(r.Context(), "twilio status: note not stored; asking for a retry", "conversation_id", convID, "error", err)
	http.Error(w, "try again later", http.StatusServiceUnavailable)
}

// validSID accepts Twilio resource SIDs (two letters and 32 hex digits).
func validSID(s string) bool { return sidRe.MatchString(s) }
