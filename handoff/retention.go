package handoff

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/civibot/civibot/conversation"
)

// Forget deletes a conversation and everything stored with it, and removes
// it from the queue, the tickets and the assignments (the right to
// erasure). A conversation already gone is not an error.
func (d *Desk) Forget(ctx context.Context, id string) error {
	if err := d.store.Delete(ctx, id); err != nil && !errors.Is(err, conversation.ErrNotFound) {
		return fmt.Errorf("handoff: forget %s: %w", id, err)
	}
	if err := d.queue.Drop(ctx, id); err != nil {
		return fmt.Errorf("handoff: forget %s: %w", id, err)
	}
	d.announce(ctx, QueueEvent{Type: EventDeleted, ConversationID: id})
	d.log.InfoContext(ctx, "conversation deleted", "conversation_id", id)
	return nil
}

// Purge deletes conversations last updated more than olderThan ago and
// drops queue, ticket and assignment entries whose conversation is gone.
// It returns how many conversations it deleted.
func (d *Desk) Purge(ctx context.Context, olderThan time.Duration) (int, error) {
	if olderThan <= 0 {
		return 0, fmt.Errorf("handoff: purge: %w: the age must be positive, got %v", ErrInvalid, olderThan)
	}
	n, err := d.store.Purge(ctx, d.now().Add(-olderThan))
	if err != nil {
		return n, fmt.Errorf("handoff: purge: %w", err)
	}
	if err := d.Prune(ctx); err != nil {
		return n, err
	}
	if n > 0 {
		d.announce(ctx, QueueEvent{Type: EventDeleted})
	}
	d.log.InfoContext(ctx, "conversations purged", "count", n, "older_than", olderThan.String())
	return n, nil
}

// Prune checks every queue, ticket and assignment entry against its
// conversation and drops or repairs those that disagree.
func (d *Desk) Prune(ctx context.Context) error {
	if _, err := d.Waiting(ctx); err != nil {
		return err
	}
	if _, err := d.Tickets(ctx); err != nil {
		return err
	}
	_, err := d.Claimed(ctx)
	return err
}
