package handoff

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/civibot/civibot/conversation"
)

// PresenceEvent is the payload published on conversation.TopicPresence.
type PresenceEvent struct {
	Type       string `json:"type"` // online, offline
	Caseworker string `json:"caseworker"`
}

func (d *Desk) announcePresence(ctx context.Context, typ, caseworker string) {
	b, _ := json.Marshal(PresenceEvent{Type: typ, Caseworker: caseworker})
	if err := d.bus.Publish(ctx, conversation.TopicPresence, b); err != nil {
		d.log.WarnContext(ctx, "handoff: announce presence failed", "type", typ, "error", err)
	}
}

// Heartbeat records that caseworker has the console open (call it every
// ~20 s). Coming online is announced on conversation.TopicPresence.
func (d *Desk) Heartbeat(ctx context.Context, caseworker string) error {
	if caseworker == "" {
		return fmt.Errorf("handoff: heartbeat: %w: no caseworker", ErrInvalid)
	}
	now := d.now()
	came, err := d.queue.Heartbeat(ctx, caseworker, now, now.Add(-d.cfg.PresenceTimeout))
	if err != nil {
		return fmt.Errorf("handoff: heartbeat: %w", err)
	}
	if came {
		d.announcePresence(ctx, "online", caseworker)
	}
	return nil
}

// Leave marks caseworker offline at once (logout).
func (d *Desk) Leave(ctx context.Context, caseworker string) error {
	left, err := d.queue.Leave(ctx, caseworker)
	if err != nil {
		return fmt.Errorf("handoff: leave: %w", err)
	}
	if left {
		d.announcePresence(ctx, "offline", caseworker)
	}
	return nil
}

// Online lists caseworkers with a heartbeat within PresenceTimeout, longest
// silent first.
func (d *Desk) Online(ctx context.Context) ([]Presence, error) {
	ps, err := d.queue.Presence(ctx)
	if err != nil {
		return nil, fmt.Errorf("handoff: online: %w", err)
	}
	since := d.now().Add(-d.cfg.PresenceTimeout)
	out := []Presence{}
	for _, p := range ps {
		if !p.Seen.Before(since) {
			out = append(out, p)
		}
	}
	return out, nil
}
