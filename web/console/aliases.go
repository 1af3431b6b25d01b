package console

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/civibot/civibot/aliases"
)

// Teacher is what the console needs of *aliases.Teacher: a caseworker's
// answer with one of the city's pages becomes a suggested alias.
type Teacher interface {
	FromReply(ctx context.Context, id, caseworker, reply string) (aliases.Suggestion, bool, error)
	Mark(ctx context.Context, id, caseworker, ref string) (aliases.Suggestion, error)
}

var _ Teacher = (*aliases.Teacher)(nil)

// AliasReview is what the review needs of *aliases.Store.
type AliasReview interface {
	List(ctx context.Context) ([]aliases.Suggestion, error)
	Accept(ctx context.Context, id, text, by string) (aliases.Suggestion, error)
	Reject(ctx context.Context, id, by string) (aliases.Suggestion, error)
	Remove(ctx context.Context, id string) error
}

var _ AliasReview = (*aliases.Store)(nil)

// The routes of learning from caseworkers:
//
//	POST   /console/api/conversations/{id}/teach  {page}: the page (id or address) that answers the citizen's question
//	GET    /console/aliases                        the review page (administrators)
//	GET    /console/api/aliases                    suggestions and aliases (administrators)
//	POST   /console/api/aliases/{id}/accept        {text}: accept, optionally edited
//	POST   /console/api/aliases/{id}/reject
//	DELETE /console/api/aliases/{id}
//	GET    /console/api/aliases/export             the accepted aliases as JSONL (civibot aliases import reads it)
//
// A reply (POST …/reply) that links one of the city's pages suggests too;
// its answer then carries "taught".
func (h *Handler) aliasRoutes(m *http.ServeMux) {
	m.Handle("POST /console/api/conversations/{id}/teach", h.api(h.teach, apiOpts{body: maxActionBody}))
	m.Handle("GET /console/api/aliases", h.api(h.aliasList, apiOpts{admin: true}))
	m.Handle("GET /console/api/aliases/export", h.api(h.aliasExport, apiOpts{admin: true}))
	m.Handle("POST /console/api/aliases/{id}/accept", h.api(h.aliasAccept, apiOpts{body: maxActionBody, admin: true}))
	m.Handle("POST /console/api/aliases/{id}/reject", h.api(h.aliasReject, apiOpts{body: maxActionBody, admin: true}))
	m.Handle("DELETE /console/api/aliases/{id}", h.api(h.aliasRemove, apiOpts{body: maxActionBody, admin: true}))
}

var errLearningOff = &apiError{status: http.StatusNotFound, code: "learning_off", msg: "learning from caseworkers is not set up on this server"}

// aliasError maps the store's errors to answers.
func aliasError(err error) error {
	switch {
	case errors.Is(err, aliases.ErrNotFound):
		return &apiError{status: http.StatusNotFound, code: "not_found", msg: "no such suggestion (another administrator may have removed it)"}
	case errors.Is(err, aliases.ErrInvalid):
		return &apiError{status: http.StatusBadRequest, code: "invalid", msg: strings.TrimPrefix(err.Error(), "aliases: ")}
	case errors.Is(err, aliases.ErrNoPage):
		return &apiError{status: http.StatusBadRequest, code: "no_such_page", msg: "that is not one of the city's pages: give its address or id"}
	case errors.Is(err, aliases.ErrNoQuestion):
		return &apiError{status: http.StatusConflict, code: "no_question", msg: "the citizen has not asked a question in this conversation yet"}
	case errors.Is(err, aliases.ErrFull):
		return &apiError{status: http.StatusInsufficientStorage, code: "full", msg: "the store of aliases is full: review or remove some first"}
	}
	return err
}

// learnFromReply suggests the question of a conversation whose reply
// links one of the city's pages. A failure does not fail the reply.
func (h *Handler) learnFromReply(ctx context.Context, id, caseworker, text string, out map[string]any) {
	if h.teacher == nil {
		return
	}
	s, ok, err := h.teacher.FromReply(ctx, id, caseworker, text)
	if err != nil {
		h.log.WarnContext(ctx, "console: learning from a reply failed", "conversation_id", id, "error", err)
		return
	}
	if ok {
		out["taught"] = s
	}
}

type teachRequest struct {
	Page string `json:"page"`
}

func (h *Handler) teach(w http.ResponseWriter, r *http.Request, c *caller) error {
	if h.teacher == nil {
		return errLearningOff
	}
	id, err := conversationID(r)
	if err != nil {
		return err
	}
	var in teachRequest
	if err := decode(r, &in); err != nil {
		return err
	}
	if strings.TrimSpace(in.Page) == "" || len(in.Page) > 2048 {
		return errorf(http.StatusBadRequest, "invalid", "page: the address or id of one of the city's pages")
	}
	s, err := h.teacher.Mark(r.Context(), id, c.session.User, in.Page)
	if err != nil {
		return aliasError(err)
	}
	h.log.InfoContext(r.Context(), "console: page marked as answer", "conversation_id", id, "page_id", s.PageID)
	writeJSON(w, http.StatusOK, map[string]any{"taught": s})
	return nil
}

func (h *Handler) aliasList(w http.ResponseWriter, r *http.Request, _ *caller) error {
	if h.aliases == nil {
		return errLearningOff
	}
	list, err := h.aliases.List(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"suggestions": list})
	return nil
}

type acceptRequest struct {
	Text string `json:"text"`
}

func (h *Handler) aliasAccept(w http.ResponseWriter, r *http.Request, c *caller) error {
	if h.aliases == nil {
		return errLearningOff
	}
	var in acceptRequest
	if err := decode(r, &in); err != nil {
		return err
	}
	s, err := h.aliases.Accept(r.Context(), r.PathValue("id"), in.Text, c.session.User)
	if err != nil {
		return aliasError(err)
	}
	h.log.InfoContext(r.Context(), "console: alias accepted", "alias", s.ID, "page_id", s.PageID, "by", c.session.User)
	writeJSON(w, http.StatusOK, map[string]any{"suggestion": s})
	return nil
}

func (h *Handler) aliasReject(w http.ResponseWriter, r *http.Request, c *caller) error {
	if h.aliases == nil {
		return errLearningOff
	}
	s, err := h.aliases.Reject(r.Context(), r.PathValue("id"), c.session.User)
	if err != nil {
		return aliasError(err)
	}
	h.log.InfoContext(r.Context(), "console: alias rejected", "alias", s.ID, "by", c.session.User)
	writeJSON(w, http.StatusOK, map[string]any{"suggestion": s})
	return nil
}

func (h *Handler) aliasRemove(w http.ResponseWriter, r *http.Request, c *caller) error {
	if h.aliases == nil {
		return errLearningOff
	}
	if err := h.aliases.Remove(r.Context(), r.PathValue("id")); err != nil {
		return aliasError(err)
	}
	h.log.InfoContext(r.Context(), "console: alias removed", "alias", r.PathValue("id"), "by", c.session.User)
	writeJSON(w, http.StatusOK, map[string]any{"removed": true})
	return nil
}

// aliasExport downloads the accepted aliases, one JSON object a line, as
// civibot aliases export writes them.
func (h *Handler) aliasExport(w http.ResponseWriter, r *http.Request, _ *caller) error {
	if h.aliases == nil {
		return errLearningOff
	}
	list, err := h.aliases.List(r.Context())
	if err != nil {
		return err
	}
	hd := w.Header()
	hd.Set("Content-Type", "application/jsonl; charset=utf-8")
	hd.Set("Content-Disposition", `attachment; filename="civibot-aliases.jsonl"`)
	enc := json.NewEncoder(w)
	for _, s := range list {
		if s.Status != aliases.StatusAccepted {
			continue
		}
		if err := enc.Encode(s.Alias()); err != nil {
			return nil // the client went away
		}
	}
	return nil
}
