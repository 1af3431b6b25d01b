package webchat

import (
	"net/url"
	"time"

	"github.com/civibot/civibot/conversation"
)

// Version is the protocol version this server speaks (the "v" of hello).
const Version = 1

// Frame types, client to server.
const (
	typeHello    = "hello"
	typeMessage  = "message"
	typePerson   = "person"
	typeFeedback = "feedback"
	typeForget   = "forget"
	typeRating   = "rating"
)

// Error codes sent in error frames (see docs/webchat-protocol.md).
const (
	CodeBadJSON            = "bad_json"
	CodeBadFrame           = "bad_frame"
	CodeUnknownType        = "unknown_type"
	CodeInvalid            = "invalid"
	CodeUnsupportedVersion = "unsupported_version"
	CodeHelloRequired      = "hello_required"
	CodeEmptyMessage       = "empty_message"
	CodeMessageTooLong     = "message_too_long"
	CodeRateLimited        = "rate_limited"
	CodeQuotaExceeded      = "quota_exceeded"
	CodeUnavailable        = "unavailable"
	CodeNotFound           = "not_found"
	CodeInternal           = "internal"
)

// Close codes beyond the ones gorilla/websocket sends by itself (1009 for an
// oversized frame).
const (
	closeNormal         = 1000 // after "forget"
	closeProtocolError  = 1002 // unsupported protocol version
	closePolicy         = 1008 // rate limit or too many bad frames
	closeInternal       = 1011
	closeServiceRestart = 1012 // server shutdown: reconnect (elsewhere)
)

// inFrame is any client frame; fields not used by its type are ignored.
type inFrame struct {
	Type    string  `json:"type"`
	V       int     `json:"v"`
	ID      string  `json:"id"`
	Token   string  `json:"token"`
	LastSeq int64   `json:"last_seq"`
	Lang    string  `json:"lang"`
	Text    *string `json:"text"`
	Seq     int64   `json:"seq"`
	Value   int     `json:"value"`
}

type welcomeFrame struct {
	Type string `json:"type"` // welcome
	V    int    `json:"v"`
	// Token is the conversation token to keep (new when the client had
	// none, or an unknown one).
	Token string `json:"token"`
	// Resumed: the token was known and the conversation continues.
	Resumed bool `json:"resumed"`
	// Reset: the client's transcript does not belong to this conversation
	// (unknown token, or last_seq beyond the conversation): clear it.
	Reset bool `json:"reset,omitempty"`
	// LastSeq is the newest message's seq on the server.
	LastSeq int64  `json:"last_seq"`
	Status  string `json:"status"`
	// ResumeWithinMS: a token whose conversation has been quiet this long
	// is not resumed (webchat.resume_within): the client forgets it then.
	ResumeWithinMS int64 `json:"resume_within_ms"`
}

type messageFrame struct {
	Type    string      `json:"type"` // message
	Message wireMessage `json:"message"`
	// Replay marks messages sent as part of the resume backlog.
	Replay bool `json:"replay,omitempty"`
}

type syncedFrame struct {
	Type    string `json:"type"` // synced
	LastSeq int64  `json:"last_seq"`
}

type typingFrame struct {
	Type string `json:"type"` // typing
	On   bool   `json:"on"`
	From string `json:"from"` // bot, or caseworker (typing in the console)
}

type handoffFrame struct {
	Type        string     `json:"type"`   // handoff
	Status      string     `json:"status"` // bot, waiting, claimed, ticket, closed
	Position    int        `json:"position,omitempty"`
	WaitSeconds int        `json:"wait_seconds,omitempty"`
	NextOpen    *time.Time `json:"next_open,omitempty"`
}

type ackFrame struct {
	Type string `json:"type"` // ack
	Ref  string `json:"ref"`
}

type errorFrame struct {
	Type string `json:"type"` // error
	Code string `json:"code"`
	// Detail explains the error in English, for developers; the widget
	// shows its own text per code.
	Detail string `json:"detail"`
	// Ref is the id of the frame the error is about ("hello" for hello).
	Ref string `json:"ref,omitempty"`
	// Retry: sending the same frame again (same id) later may succeed.
	Retry        bool `json:"retry,omitempty"`
	RetryAfterMS int  `json:"retry_after_ms,omitempty"`
}

type forgottenFrame struct {
	Type string `json:"type"` // forgotten
}

type shutdownFrame struct {
	Type         string `json:"type"` // server_shutdown
	RetryAfterMS int    `json:"retry_after_ms"`
}

// wireMessage is a stored message as the citizen may see it: no decision
// details, no caseworker usernames.
type wireMessage struct {
	Seq          int64                     `json:"seq"`
	ClientID     string                    `json:"client_id,omitempty"`
	Role         string                    `json:"role"`
	Author       string                    `json:"author,omitempty"` // caseworker display name
	Text         string                    `json:"text"`
	Language     string                    `json:"language,omitempty"`
	Sources      []wireSource              `json:"sources,omitempty"`
	QuickReplies []conversation.QuickReply `json:"quick_replies,omitempty"`
	Kind         string                    `json:"kind,omitempty"` // the bot's decision kind
	Feedback     int                       `json:"feedback,omitempty"`
	At           time.Time                 `json:"at"`
}

type wireSource struct {
	Title string `json:"title"`
	URL   string `json:"url"`
}

func toWire(m conversation.Message, author string) wireMessage {
	w := wireMessage{
		Seq: m.Seq, Role: m.Role, Text: m.Text, Language: m.Language,
		QuickReplies: m.QuickReplies, Feedback: m.Feedback, At: m.At,
	}
	if m.Role == conversation.RoleCitizen {
		w.ClientID = m.ClientID
	}
	if m.Role == conversation.RoleCaseworker {
		w.Author = author
	}
	if m.Decision != nil {
		w.Kind = m.Decision.Kind
	}
	for _, s := range m.Sources {
		if httpURL(s.URL) {
			w.Sources = append(w.Sources, wireSource{Title: s.Title, URL: s.URL})
		}
	}
	return w
}

func httpURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != ""
}

func handoffOf(status conversation.Status, q *conversation.QueueStatus) handoffFrame {
	f := handoffFrame{Type: "handoff", Status: string(status)}
	if q == nil {
		return f
	}
	if q.Queued {
		f.Status = string(conversation.StatusWaiting)
		f.Position = q.Position
		f.WaitSeconds = int(q.Wait.Round(time.Second).Seconds())
	}
	if q.Ticket {
		f.Status = string(conversation.StatusTicket)
	}
	if !q.NextOpen.IsZero() {
		n := q.NextOpen.UTC()
		f.NextOpen = &n
	}
	return f
}

// validClientID accepts the ids the widget makes (and any similar short id).
func validClientID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == ':') {
			return false
		}
	}
	return true
}

// validToken accepts tokens of the shape conversation.NewToken makes
// (43 URL-safe base64 characters).
func validToken(t string) bool {
	if len(t) != 43 {
		return false
	}
	for i := 0; i < len(t); i++ {
		c := t[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}
