package conversation

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// maxIDLen bounds conversation ids, client ids and idempotency keys. Real
// ids are 33 bytes ("w" + 32 hex digits).
const maxIDLen = 200

// checkID rejects ids that cannot be stored: empty, too long, or with
// characters that would break Redis hash tags ('{', '}') or log lines.
func checkID(what, id string) error {
	if id == "" {
		return fmt.Errorf("%w: %s is empty", ErrInvalid, what)
	}
	if len(id) > maxIDLen {
		return fmt.Errorf("%w: %s is longer than %d bytes", ErrInvalid, what, maxIDLen)
	}
	if !utf8.ValidString(id) {
		return fmt.Errorf("%w: %s is not valid UTF-8", ErrInvalid, what)
	}
	if strings.IndexFunc(id, func(r rune) bool {
		return r == '{' || r == '}' || unicode.IsSpace(r) || unicode.IsControl(r)
	}) >= 0 {
		return fmt.Errorf("%w: %s contains '{', '}', spaces or control characters", ErrInvalid, what)
	}
	return nil
}

// checkMessage validates a message given to Append.
func checkMessage(m Message) error {
	switch m.Role {
	case RoleCitizen, RoleBot, RoleCaseworker, RoleSystem, RoleNote:
	default:
		return fmt.Errorf("%w: unknown message role %q", ErrInvalid, m.Role)
	}
	if m.ClientID != "" {
		if err := checkID("client id", m.ClientID); err != nil {
			return err
		}
	}
	return checkFeedback(m.Feedback)
}

func checkFeedback(v int) error {
	if v < -1 || v > 1 {
		return fmt.Errorf("%w: feedback must be -1, 0 or 1, got %d", ErrInvalid, v)
	}
	return nil
}

// newRecord is the record Create stores for c.
func newRecord(c Conversation, now time.Time) Conversation {
	if c.Status == "" {
		c.Status = StatusBot
	}
	c.Created, c.Updated, c.LastSeq = now, now, 0
	return c
}

// encode marshals a stored value. It fails only for values JSON cannot
// hold (NaN scores), which is the caller's mistake.
func encode(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	return b, nil
}

// eventJSON encodes an event; events hold only values that were encoded
// before, so it cannot fail.
func eventJSON(e Event) []byte {
	b, err := json.Marshal(e)
	if err != nil {
		panic(fmt.Sprintf("conversation: encode event: %v", err))
	}
	return b
}
