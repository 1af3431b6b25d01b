package console

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/civibot/civibot/accounts"
	"github.com/civibot/civibot/channels"
	"github.com/civibot/civibot/conversation"
	"github.com/civibot/civibot/handoff"
)

// userView is the logged-in caseworker as the page sees them.
type userView struct {
	Name        string        `json:"name"`
	DisplayName string        `json:"display_name,omitempty"`
	Role        accounts.Role `json:"role"`
}

// meView answers /me and /login.
type meView struct {
	User userView `json:"user"`
	// CSRF goes into the X-CSRF-Token header of every state-changing request.
	CSRF        string    `json:"csrf"`
	Expires     time.Time `json:"expires"`
	Outcomes    []string  `json:"outcomes"`
	HeartbeatMS int64     `json:"heartbeat_ms"`
	MaxChars    int       `json:"max_chars"`
	// Ephemeral: no Redis; a restart loses conversations, callback
	// requests and sessions.
	Ephemeral bool `json:"ephemeral,omitempty"`
	// Learning: caseworkers can mark the page that answers a question
	// (Options.Teacher is set).
	Learning bool `json:"learning,omitempty"`
}

func (h *Handler) meOf(s accounts.Session) meView {
	return meView{
		User: userView{Name: s.User, DisplayName: s.DisplayName, Role: s.Role},
		CSRF: s.CSRF, Expires: s.Expires, Outcomes: handoff.Outcomes(),
		HeartbeatMS: h.cfg.HeartbeatInterval.Milliseconds(), MaxChars: h.maxChars, Ephemeral: h.ephemeral,
		Learning: h.teacher != nil,
	}
}

// me tells the page who is logged in. Behind an SSO proxy it logs the
// proxy's user in (a new session and cookie) when needed.
func (h *Handler) me(w http.ResponseWriter, r *http.Request, _ *caller) error {
	c, err := h.caller(r)
	if h.cfg.SSO.Enabled() && r.Header.Get(h.cfg.SSO.Header) != "" {
		user, ok := h.ssoUser(r)
		if !ok {
			h.log.WarnContext(r.Context(), "console: SSO header with a wrong secret or user name refused")
			return &apiError{status: http.StatusForbidden, code: "sso_rejected", msg: "the single sign-on proxy's headers were refused; check console.sso"}
		}
		if err == nil && c.session.User == user {
			return h.sendMe(w, c.session)
		}
		return h.ssoLogin(w, r, user)
	}
	if err != nil {
		return err
	}
	return h.sendMe(w, c.session)
}

func (h *Handler) sendMe(w http.ResponseWriter, s accounts.Session) error {
	writeJSON(w, http.StatusOK, h.meOf(s))
	return nil
}

func (h *Handler) ssoLogin(w http.ResponseWriter, r *http.Request, user string) error {
	u, err := h.accounts.User(r.Context(), user)
	if errors.Is(err, accounts.ErrUserNotFound) || err == nil && u.Disabled {
		h.log.InfoContext(r.Context(), "console: SSO login refused: no enabled account")
		return &apiError{status: http.StatusForbidden, code: "sso_no_account",
			msg: "single sign-on worked, but there is no enabled civibot account of that name; ask an administrator (civibot user add NAME)"}
	}
	if err != nil {
		return err
	}
	if old := sessionToken(r); old != "" {
		_ = h.accounts.EndSession(r.Context(), old)
	}
	token, s, err := h.accounts.NewSession(r.Context(), u)
	if err != nil {
		return err
	}
	h.setCookie(w, r, token, s.Created.Add(h.sessionMax))
	h.log.InfoContext(r.Context(), "console login", "method", "sso")
	return h.sendMe(w, s)
}

type loginRequest struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

// login checks a user name and password. Unknown users and wrong
// passwords get the same answer (after the same work); too many failures
// lock the name and address out (429 with Retry-After).
func (h *Handler) login(w http.ResponseWriter, r *http.Request, _ *caller) error {
	if !h.cfg.SSO.passwordLogin() {
		h.log.InfoContext(r.Context(), "console login failed", "reason", "password_login_off")
		return &apiError{status: http.StatusForbidden, code: "password_login_off",
			msg: "log in through your organisation's single sign-on (console.sso.password_login is off)"}
	}
	if wait := h.logins.take(clientIP(r), h.now()); wait > 0 {
		h.log.InfoContext(r.Context(), "console login failed", "reason", "rate_limited")
		return &apiError{status: http.StatusTooManyRequests, code: "rate_limited", retry: wait,
			msg: "too many login attempts from this address; wait a minute"}
	}
	var in loginRequest
	if err := decode(r, &in); err != nil {
		return err
	}
	if in.Username == "" || in.Password == "" {
		return errorf(http.StatusBadRequest, "invalid", "enter a user name and a password")
	}
	if len(in.Username) > 200 || len(in.Password) > 1000 {
		return &apiError{status: http.StatusUnauthorized, code: "bad_credentials", msg: "wrong user name or password"}
	}
	u, err := h.accounts.Authenticate(r.Context(), in.Username, in.Password, clientIP(r))
	if err != nil {
		var ae *apiError
		if !errors.As(err, &ae) {
			ae = h.classify(r, err)
		}
		reason := ae.code
		if errors.Is(err, accounts.ErrDisabled) {
			reason = "disabled" // for the log only: answered like a wrong password
		}
		h.log.InfoContext(r.Context(), "console login failed", "reason", reason)
		return ae
	}
	if old := sessionToken(r); old != "" {
		_ = h.accounts.EndSession(r.Context(), old)
	}
	token, s, err := h.accounts.NewSession(r.Context(), u)
	if err != nil {
		return err
	}
	h.setCookie(w, r, token, s.Created.Add(h.sessionMax))
	h.log.InfoContext(r.Context(), "console login", "method", "password")
	return h.sendMe(w, s)
}

// loginEventsView answers /login-events.
type loginEventsView struct {
	Events []accounts.LoginEvent `json:"events"`
}

// loginEvents lists the newest password login attempts (?limit=, at most
// 1000), for administrators: who tried which account from which address
// (IPv6: its /64) and the outcome.
func (h *Handler) loginEvents(w http.ResponseWriter, r *http.Request, _ *caller) error {
	limit := 200
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			return errorf(http.StatusBadRequest, "invalid", "limit must be a number from 1 to 1000")
		}
		limit = n
	}
	es, err := h.accounts.LoginEvents(r.Context(), limit)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, loginEventsView{Events: es})
	return nil
}

// logout ends the session, marks the caseworker offline and closes their
// live sockets on this instance.
func (h *Handler) logout(w http.ResponseWriter, r *http.Request, c *caller) error {
	if err := h.accounts.EndSession(r.Context(), c.token); err != nil {
		return err
	}
	h.clearCookie(w, r)
	if err := h.desk.Leave(r.Context(), c.session.User); err != nil {
		h.log.WarnContext(r.Context(), "console: leave on logout failed", "error", err)
	}
	h.endSockets(c.token, "logged_out")
	writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
	return nil
}

type leaveRequest struct {
	// Socket is the closing page's live socket id (welcome.sid): its own
	// socket does not count as "still open elsewhere".
	Socket string `json:"sid"`
}

// leave marks the caseworker offline at once when their page closes,
// unless another console of theirs is open on this instance.
func (h *Handler) leave(w http.ResponseWriter, r *http.Request, c *caller) error {
	var in leaveRequest
	if r.ContentLength != 0 {
		if err := decode(r, &in); err != nil {
			return err
		}
	}
	if h.otherSockets(c.session.User, in.Socket) == 0 {
		if err := h.desk.Leave(r.Context(), c.session.User); err != nil {
			return err
		}
	}
	writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
	return nil
}

// person is a caseworker in the presence list.
type person struct {
	Name        string    `json:"name"`
	DisplayName string    `json:"display_name"`
	Seen        time.Time `json:"seen"`
}

// snapshot is the console's lists. On the live socket it is the "queue"
// frame.
type snapshot struct {
	Type    string            `json:"type,omitempty"`
	Now     time.Time         `json:"now"`
	Waiting []handoff.Summary `json:"waiting"`
	Tickets []handoff.Summary `json:"tickets"`
	Mine    []handoff.Summary `json:"mine"`
	// Others are conversations colleagues hold.
	Others []handoff.Summary `json:"others"`
	Online []person          `json:"online"`
	// People maps the user names in the lists to display names.
	People map[string]string `json:"people"`
	// Event is the change that caused this snapshot (live socket only).
	Event *handoff.QueueEvent `json:"event,omitempty"`
}

func (h *Handler) snapshot(ctx context.Context, me string) (snapshot, error) {
	s := snapshot{Now: time.Now().UTC()}
	var err error
	if s.Waiting, err = h.desk.Waiting(ctx); err != nil {
		return s, err
	}
	if s.Tickets, err = h.desk.Tickets(ctx); err != nil {
		return s, err
	}
	claimed, err := h.desk.Claimed(ctx)
	if err != nil {
		return s, err
	}
	s.Mine, s.Others = []handoff.Summary{}, []handoff.Summary{}
	var names []string
	for _, c := range claimed {
		if c.Assignee == me {
			s.Mine = append(s.Mine, c)
		} else {
			s.Others = append(s.Others, c)
		}
		names = append(names, c.Assignee)
	}
	online, err := h.desk.Online(ctx)
	if err != nil {
		return s, err
	}
	s.Online = make([]person, 0, len(online))
	for _, p := range online {
		s.Online = append(s.Online, person{Name: p.Caseworker, DisplayName: h.names.get(ctx, p.Caseworker), Seen: p.Seen})
		names = append(names, p.Caseworker)
	}
	slices.SortFunc(s.Online, func(a, b person) int {
		if a.DisplayName < b.DisplayName {
			return -1
		}
		if a.DisplayName > b.DisplayName {
			return 1
		}
		return 0
	})
	s.People = h.names.people(ctx, append(names, me)...)
	return s, nil
}

func (h *Handler) queue(w http.ResponseWriter, r *http.Request, c *caller) error {
	s, err := h.snapshot(r.Context(), c.session.User)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s)
	return nil
}

// colleagues lists the caseworkers online now, except the caller: whom a
// conversation can be transferred to.
func (h *Handler) colleagues(w http.ResponseWriter, r *http.Request, c *caller) error {
	online, err := h.desk.Online(r.Context())
	if err != nil {
		return err
	}
	out := []person{}
	for _, p := range online {
		if p.Caseworker != c.session.User {
			out = append(out, person{Name: p.Caseworker, DisplayName: h.names.get(r.Context(), p.Caseworker), Seen: p.Seen})
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"colleagues": out})
	return nil
}

// convView is a conversation as the console sees it.
type convView struct {
	ID       string              `json:"id"`
	Channel  string              `json:"channel"`
	Language string              `json:"language,omitempty"`
	Status   conversation.Status `json:"status"`
	Assignee string              `json:"assignee,omitempty"`
	// Address is the caller's number on SMS and voice (for a callback);
	// other channels' addresses mean nothing to a person and are left out.
	Address string                 `json:"address,omitempty"`
	Handoff *conversation.Handoff  `json:"handoff,omitempty"`
	Contact *conversation.Contact  `json:"contact,omitempty"`
	Created time.Time              `json:"created"`
	Updated time.Time              `json:"updated"`
	LastSeq int64                  `json:"last_seq"`
	People  map[string]string      `json:"people"`
	Context *conversationContextVw `json:"context,omitempty"`
}

// conversationContextVw is what the console shows of the dialog context.
type conversationContextVw struct {
	LastTopic    string `json:"last_topic,omitempty"`
	HandedOffFor string `json:"handed_off_for,omitempty"`
	Turns        int    `json:"turns,omitempty"`
}

func (h *Handler) view(ctx context.Context, c conversation.Conversation) convView {
	v := convView{
		ID: c.ID, Channel: c.Channel, Language: c.Language, Status: c.Status, Assignee: c.Assignee,
		Handoff: c.Handoff, Contact: c.Contact, Created: c.Created, Updated: c.Updated, LastSeq: c.LastSeq,
		Context: &conversationContextVw{LastTopic: c.Context.LastTopic, HandedOffFor: c.Context.HandedOffFor, Turns: c.Context.Turns},
	}
	if c.Channel == conversation.ChannelSMS || c.Channel == conversation.ChannelVoice {
		v.Address = c.Address
	}
	names := []string{c.Assignee}
	if c.Handoff != nil {
		for _, a := range c.Handoff.Audit {
			names = append(names, a.Actor)
		}
	}
	v.People = h.names.people(ctx, names...)
	return v
}

// msgView is a transcript message: everything stored, including the bot's
// decision and candidates, and notes, plus the author's display name.
type msgView struct {
	conversation.Message
	AuthorName string `json:"author_name,omitempty"`
}

func (h *Handler) messages(ctx context.Context, ms []conversation.Message) []msgView {
	out := make([]msgView, len(ms))
	for i, m := range ms {
		out[i] = msgView{Message: m}
		if m.Author != "" {
			out[i].AuthorName = h.names.get(ctx, m.Author)
		}
	}
	return out
}

func (h *Handler) transcript(w http.ResponseWriter, r *http.Request, c *caller) error {
	id, err := conversationID(r)
	if err != nil {
		return err
	}
	t, err := h.desk.Transcript(r.Context(), id)
	if err != nil {
		return err
	}
	// Who may read what (docs/security.md): a conversation that never
	// asked for a person is for administrators only; one a colleague holds
	// any caseworker may read, and the read goes into its audit trail.
	if t.Conversation.Handoff == nil && c.session.Role != accounts.RoleAdmin {
		return &apiError{status: http.StatusForbidden, code: "not_handed_off",
			msg: "this conversation never asked for a person; only administrators may read it"}
	}
	if err := h.desk.RecordView(r.Context(), t.Conversation, c.session.User); err != nil {
		return err
	}
	out := map[string]any{
		"conversation": h.view(r.Context(), t.Conversation),
		"messages":     h.messages(r.Context(), t.Messages),
	}
	h.addWindow(r.Context(), out, id)
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (h *Handler) sendConversation(w http.ResponseWriter, r *http.Request, c conversation.Conversation) error {
	writeJSON(w, http.StatusOK, map[string]any{"conversation": h.view(r.Context(), c)})
	return nil
}

// claim takes a waiting conversation (or a ticket). Only one caseworker
// wins, across instances; the others get 409 already_claimed with the
// winner's name.
func (h *Handler) claim(w http.ResponseWriter, r *http.Request, c *caller) error {
	id, err := conversationID(r)
	if err != nil {
		return err
	}
	conv, err := h.desk.Claim(r.Context(), id, c.session.User)
	if errors.Is(err, handoff.ErrAlreadyClaimed) {
		ae := h.classify(r, err)
		if cur, gerr := h.store.Get(r.Context(), id); gerr == nil && cur.Assignee != "" {
			ae.extra = map[string]any{"assignee": cur.Assignee, "assignee_name": h.names.get(r.Context(), cur.Assignee)}
		}
		return ae
	}
	if err != nil {
		return err
	}
	return h.sendConversation(w, r, conv)
}

type textRequest struct {
	Text string `json:"text"`
}

// replyRequest is a reply with the browser's id for it: the same request
// sent again (the answer to the first was lost) is stored and pushed once.
type replyRequest struct {
	Text     string `json:"text"`
	ClientID string `json:"client_id"`
}

// validClientID accepts what the console's script generates: up to 64
// letters, digits, '-' and '_'.
func validClientID(s string) bool {
	if len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

// reply sends the caseworker's answer on the citizen's channel. A reply
// that is stored but could not be pushed (Telegram, SMS) is answered with
// delivered: false.
func (h *Handler) reply(w http.ResponseWriter, r *http.Request, c *caller) error {
	id, err := conversationID(r)
	if err != nil {
		return err
	}
	var in replyRequest
	if err := decode(r, &in); err != nil {
		return err
	}
	if !validClientID(in.ClientID) {
		return errorf(http.StatusBadRequest, "invalid", "client_id: up to 64 letters, digits, - and _")
	}
	m, err := h.desk.ReplyOnce(r.Context(), id, c.session.User, in.ClientID, in.Text)
	delivered, derr := true, err
	if errors.Is(err, handoff.ErrNotDelivered) {
		delivered, err = false, nil
	}
	if err != nil {
		return err
	}
	out := map[string]any{"message": h.messages(r.Context(), []conversation.Message{m})[0], "delivered": delivered}
	h.learnFromReply(r.Context(), id, c.session.User, in.Text, out)
	if !delivered {
		out["warning"] = "the reply is stored but could not be delivered on the citizen's channel"
		if errors.Is(derr, channels.ErrWindowClosed) {
			out["warning"] = "the reply is stored, but the channel's 24-hour window is closed: it goes out when the citizen writes again; send the template to ask them to"
			out["window_closed"] = true
			h.addWindow(r.Context(), out, id)
		}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// note adds a private note: stored with the transcript, never sent.
func (h *Handler) note(w http.ResponseWriter, r *http.Request, c *caller) error {
	id, err := conversationID(r)
	if err != nil {
		return err
	}
	var in textRequest
	if err := decode(r, &in); err != nil {
		return err
	}
	m, err := h.desk.Note(r.Context(), id, c.session.User, in.Text)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"message": h.messages(r.Context(), []conversation.Message{m})[0]})
	return nil
}

type transferRequest struct {
	To string `json:"to"`
}

type closeRequest struct {
	Outcome string `json:"outcome"`
}

// forget deletes a conversation on request (GDPR). Admins only.
func (h *Handler) forget(w http.ResponseWriter, r *http.Request, c *caller) error {
	id, err := conversationID(r)
	if err != nil {
		return err
	}
	if err := h.desk.Forget(r.Context(), id); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"deleted": id})
	return nil
}

func (h *Handler) canned(w http.ResponseWriter, r *http.Request, c *caller) error {
	list, err := h.accounts.CannedReplies(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"replies": list})
	return nil
}

type cannedRequest struct {
	Replies []accounts.CannedReply `json:"replies"`
}

// setCanned replaces the canned replies. Admins only.
func (h *Handler) setCanned(w http.ResponseWriter, r *http.Request, c *caller) error {
	var in cannedRequest
	if err := decode(r, &in); err != nil {
		return err
	}
	if in.Replies == nil {
		return errorf(http.StatusBadRequest, "invalid", `send {"replies": [...]}`)
	}
	if err := h.accounts.SetCannedReplies(r.Context(), c.session.User, in.Replies); err != nil {
		return err
	}
	return h.canned(w, r, c)
}

// onConversation is the shape of most casework routes: the conversation
// id from the path, the request body decoded into In (none for
// struct{}), one desk call as the caller, the updated conversation as the
// answer.
func onConversation[In any](h *Handler, call func(ctx context.Context, id, user string, in In) (conversation.Conversation, error)) apiFunc {
	return func(w http.ResponseWriter, r *http.Request, c *caller) error {
		id, err := conversationID(r)
		if err != nil {
			return err
		}
		var in In
		if _, none := any(in).(struct{}); !none {
			if err := decode(r, &in); err != nil {
				return err
			}
		}
		conv, err := call(r.Context(), id, c.session.User, in)
		if err != nil {
			return err
		}
		return h.sendConversation(w, r, conv)
	}
}

// transfer hands a conversation to a colleague who is online.
func (h *Handler) transfer(ctx context.Context, id, user string, in transferRequest) (conversation.Conversation, error) {
	to, err := accounts.NormalizeName(in.To)
	if err != nil {
		return conversation.Conversation{}, &apiError{status: http.StatusUnprocessableEntity, code: "unknown_caseworker", msg: "there is no enabled caseworker of that name"}
	}
	return h.desk.Transfer(ctx, id, user, to)
}

// giveBack returns the conversation to the bot.
func (h *Handler) giveBack(ctx context.Context, id, user string, _ struct{}) (conversation.Conversation, error) {
	return h.desk.GiveBack(ctx, id, user)
}

// close ends the casework with an outcome.
func (h *Handler) close(ctx context.Context, id, user string, in closeRequest) (conversation.Conversation, error) {
	return h.desk.Close(ctx, id, user, in.Outcome)
}
