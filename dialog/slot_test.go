package dialog_test

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/civibot/civibot/conversation"
	"github.com/civibot/civibot/dialog"
	"github.com/civibot/civibot/knowledge"
	"github.com/civibot/civibot/knowledge/importer"
	"github.com/civibot/civibot/knowledge/samplecity"
)

// stall holds the first n calls it is armed for until it is opened.
type stall struct {
	armed   atomic.Bool
	calls   atomic.Int32
	n       int32
	entered chan struct{}
	open    chan struct{}
}

func newStall(n int) *stall {
	return &stall{n: int32(n), entered: make(chan struct{}, n), open: make(chan struct{})}
}

// wait holds the call while it is one of the first n after arming.
func (s *stall) wait(ctx context.Context) error {
	if !s.armed.Load() || s.calls.Add(1) > s.n {
		return nil
	}
	s.entered <- struct{}{}
	select {
	case <-s.open:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// slowEmbedder is a remote embedder (not knowledge's local one) that may
// stall: the local embedder's vectors, late.
type slowEmbedder struct {
	local knowledge.Embedder
	*stall
}

func (e slowEmbedder) Embed(ctx context.Context, text string) ([]float32, error) {
	if err := e.wait(ctx); err != nil {
		return nil, err
	}
	return e.local.Embed(ctx, text)
}

func (e slowEmbedder) Name() string { return "slow-remote" }

// slowPhraser is an LLM that may stall.
type slowPhraser struct{ *stall }

func (p slowPhraser) Phrase(ctx context.Context, question, lang string, passages []dialog.Passage) (string, error) {
	if err := p.wait(ctx); err != nil {
		return "", err
	}
	return "Phrased: " + passages[0].Text, nil
}

// TestSlowRemoteDoesNotDelayOthers: turns waiting on a slow remote
// embedder or LLM — as many as there are CPUs, so they would take every
// turn slot — do not delay another citizen's turn.
func TestSlowRemoteDoesNotDelayOthers(t *testing.T) {
	ctx := context.Background()
	n := runtime.GOMAXPROCS(0)
	pages, _, err := importer.ImportFS(ctx, samplecity.FS(), ".", importer.Options{Format: "markdown"})
	if err != nil {
		t.Fatal(err)
	}
	local, err := knowledge.NewEmbedder(knowledge.EmbedderConfig{}, nil)
	if err != nil {
		t.Fatal(err)
	}

	for _, remote := range []string{"embedder", "llm"} {
		t.Run(remote, func(t *testing.T) {
			st := newStall(n)
			defer func() {
				select {
				case <-st.open:
				default:
					close(st.open)
				}
			}()
			var (
				kb      *knowledge.KB
				phraser dialog.Phraser
			)
			if remote == "embedder" {
				kb, err = knowledge.Build(ctx, pages, knowledge.Options{Embedder: slowEmbedder{local, st}})
				if err != nil {
					t.Fatal(err)
				}
				defer kb.Close()
			} else {
				if kb, err = sampleKB(); err != nil {
					t.Fatal(err)
				}
				phraser = slowPhraser{st}
			}
			engine, err := dialog.NewEngine(dialog.Config{CityName: "Musterstadt"}, kb, phraser, nil)
			if err != nil {
				t.Fatal(err)
			}
			f := newFixtureWith(t, conversation.NewMemory(conversation.Options{}), engine, true)
			const question = "Was kostet ein Personalausweis?"
			st.armed.Store(true)

			// n citizens whose turns wait on the remote call.
			var slow sync.WaitGroup
			for i := range n {
				slow.Add(1)
				go func() {
					defer slow.Done()
					if _, err := f.svc.Handle(ctx, web("slow-"+string(rune('a'+i)), "c1", question)); err != nil {
						t.Errorf("slow turn: %v", err)
					}
				}()
			}
			for range n {
				select {
				case <-st.entered:
				case <-time.After(30 * time.Second):
					t.Fatalf("the slow turns did not reach the %s", remote)
				}
			}

			// Another citizen is answered while they wait.
			type result struct {
				out dialog.Outcome
				err error
			}
			done := make(chan result, 1)
			go func() {
				out, err := f.svc.Handle(ctx, web("fast", "c1", question))
				done <- result{out, err}
			}()
			select {
			case r := <-done:
				if r.err != nil {
					t.Fatalf("the other citizen's turn: %v", r.err)
				}
				if len(r.out.Replies) == 0 || r.out.Replies[0].Decision == nil || r.out.Replies[0].Decision.Kind != dialog.KindAnswer {
					t.Errorf("the other citizen's turn was not answered: %+v", r.out.Replies)
				}
			case <-time.After(10 * time.Second):
				t.Fatalf("another citizen's turn waited for %d turns stalled in the %s", n, remote)
			}
			close(st.open)
			slow.Wait()
		})
	}
}
