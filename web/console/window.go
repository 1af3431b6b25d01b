package console

import (
	"context"
	"errors"
	"net/http"

	"github.com/civibot/civibot/conversation"
	"github.com/civibot/civibot/handoff"
)

// addWindow adds the conversation's reply window to a response, for
// channels that have one (WhatsApp's 24 hours): the console shows until
// when a reply can go out and offers the approved template after that.
func (h *Handler) addWindow(ctx context.Context, out map[string]any, id string) {
	w, ok, err := h.desk.Window(ctx, id)
	if err != nil {
		h.log.WarnContext(ctx, "console: reply window unknown", "conversation_id", id, "error", err)
		return
	}
	if ok {
		out["window"] = w
	}
}

// templateRequest is a request to send the channel's approved template.
type templateRequest struct {
	ClientID string `json:"client_id"`
}

// template sends the approved template of the conversation's channel when
// its reply window is closed (only the assignee).
func (h *Handler) template(w http.ResponseWriter, r *http.Request, c *caller) error {
	id, err := conversationID(r)
	if err != nil {
		return err
	}
	var in templateRequest
	if err := decode(r, &in); err != nil {
		return err
	}
	if !validClientID(in.ClientID) {
		return errorf(http.StatusBadRequest, "invalid", "client_id: up to 64 letters, digits, - and _")
	}
	m, err := h.desk.SendTemplate(r.Context(), id, c.session.User, in.ClientID)
	delivered := true
	if errors.Is(err, handoff.ErrNotDelivered) {
		delivered, err = false, nil
	}
	if err != nil {
		return err
	}
	out := map[string]any{"message": h.messages(r.Context(), []conversation.Message{m})[0], "delivered": delivered}
	if !delivered {
		out["warning"] = "the template is stored but could not be delivered"
	}
	h.addWindow(r.Context(), out, id)
	writeJSON(w, http.StatusOK, out)
	return nil
}
