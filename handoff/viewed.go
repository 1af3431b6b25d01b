package handoff

import (
	"context"
	"errors"
	"fmt"

	"github.com/civibot/civibot/conversation"
)

// ActionViewed is the audit action of a caseworker reading a conversation
// a colleague holds (issues 16.3, 21.13).
const ActionViewed = "viewed"

// RecordView puts into the audit trail that caseworker read c while a
// colleague holds it, so that the colleague (and administrators) see who
// looked. Reading one's own conversation, a waiting one or a ticket is not
// recorded; a caseworker's repeated reads are recorded once per holding
// (until the next claim or transfer), so that refreshing the page writes
// nothing.
func (d *Desk) RecordView(ctx context.Context, c conversation.Conversation, caseworker string) error {
	if !viewToRecord(c, caseworker) {
		return nil
	}
	now := d.now().UTC()
	_, err := d.store.Update(ctx, c.ID, func(c *conversation.Conversation) error {
		if !viewToRecord(*c, caseworker) {
			return errSkip
		}
		audit(c, conversation.AuditEntry{At: now, Actor: caseworker, Action: ActionViewed, Detail: "held by " + c.Assignee})
		return nil
	})
	if err != nil && !errors.Is(err, errSkip) {
		return fmt.Errorf("handoff: record view %s: %w", c.ID, err)
	}
	return nil
}

// viewToRecord: c is held by someone other than caseworker, who has not
// read it since it was last claimed or transferred.
func viewToRecord(c conversation.Conversation, caseworker string) bool {
	if c.Handoff == nil || c.Assignee == "" || c.Assignee == caseworker || caseworker == "" {
		return false
	}
	for i := len(c.Handoff.Audit) - 1; i >= 0; i-- {
		switch a := c.Handoff.Audit[i]; {
		case a.Action == ActionClaimed || a.Action == ActionTransferred:
			return true
		case a.Action == ActionViewed && a.Actor == caseworker:
			return false
		}
	}
	return true
}
