package dialog

import (
	"context"

	"github.com/civibot/civibot/knowledge"
)

// slots bounds how many engine turns compute at once (one per CPU). A turn
// holds its slot while it computes — analysis, scoring, composition — and
// gives it up while it waits on the network (a remote embedder, the LLM),
// so that slow remote calls do not hold up other citizens' turns: with more
// turns computing than CPUs they only share the CPUs and all finish late;
// queued, each finishes as soon as it can (a much shorter tail under load).
type slots chan struct{}

// turnSlot is one turn's claim on a slot.
type turnSlot struct {
	s    slots
	held bool
}

// take waits for a free slot.
func (s slots) take(ctx context.Context) (*turnSlot, error) {
	select {
	case s <- struct{}{}:
		return &turnSlot{s: s, held: true}, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// release gives the slot back at the end of the turn.
func (t *turnSlot) release() {
	if t.held {
		t.held = false
		<-t.s
	}
}

// waiting gives the slot up while the turn waits on the network; the
// returned resume takes a slot again (or, once ctx has ended, lets the
// turn finish without one: it has nothing left to compute but its error).
func (t *turnSlot) waiting(ctx context.Context) (resume func()) {
	t.release()
	return func() {
		select {
		case t.s <- struct{}{}:
			t.held = true
		case <-ctx.Done():
		}
	}
}

type slotKey struct{}

// withSlot carries a turn's slot to the engine's remote calls.
func withSlot(ctx context.Context, t *turnSlot) context.Context {
	return context.WithValue(ctx, slotKey{}, t)
}

// awaitRemote is called before a remote call of a turn; it frees the
// turn's slot, if it has one, and the returned func takes it again.
func awaitRemote(ctx context.Context) (resume func()) {
	t, ok := ctx.Value(slotKey{}).(*turnSlot)
	if !ok {
		return func() {}
	}
	return t.waiting(ctx)
}

// slotRetriever frees the turn's slot while the knowledge base waits on a
// remote embedder.
type slotRetriever struct{ retriever }

func (r slotRetriever) Search(ctx context.Context, q knowledge.Query) ([]knowledge.Hit, error) {
	if q.Waiting == nil {
		q.Waiting = func() func() { return awaitRemote(ctx) }
	}
	return r.retriever.Search(ctx, q)
}

// slotPhraser frees the turn's slot while the LLM phrases an answer.
type slotPhraser struct{ Phraser }

func (p slotPhraser) Phrase(ctx context.Context, question, lang string, passages []Passage) (string, error) {
	defer awaitRemote(ctx)()
	return p.Phraser.Phrase(ctx, question, lang, passages)
}
