package conversation

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/civibot/civibot/internal/redistest"
)

// benchBackends builds each backend for a benchmark.
func benchBackends(b *testing.B) map[string]func(b *testing.B) Store {
	return map[string]func(b *testing.B) Store{
		"memory": func(b *testing.B) Store { return NewMemory(Options{}) },
		"redis": func(b *testing.B) Store {
			c := redistest.Start(b).Client(b)
			// redistest fsyncs every write (appendfsync always) so tests
			// never lose data; measure with Redis's default instead.
			if err := c.ConfigSet(context.Background(), "appendfsync", "everysec").Err(); err != nil {
				b.Fatal(err)
			}
			return NewRedis(c, Options{})
		},
	}
}

func benchMessage(i int) Message {
	return Message{
		ClientID: fmt.Sprintf("bench-%d", i), Role: RoleBot, Language: "de",
		Text:    "Sie können Ihren Wohnsitz im Bürgeramt anmelden. Bringen Sie Ihren Ausweis und die Wohnungsgeberbestätigung mit.",
		Sources: []Source{{PageID: "wohnsitz-anmelden", Title: "Wohnsitz anmelden", URL: "https://example.org/wohnsitz"}},
		Decision: &Decision{Kind: "answer", Intent: "service", Confidence: 0.82,
			Reasons: []string{"bm25 12.3", "cosine 0.71"}},
	}
}

// BenchmarkAppend: one writer appending to one conversation.
func BenchmarkAppend(b *testing.B) {
	for _, name := range []string{"memory", "redis"} {
		b.Run(name, func(b *testing.B) {
			s := benchBackends(b)[name](b)
			mustCreate(b, s, "bench")
			ctx := context.Background()
			i := 0
			for b.Loop() {
				i++
				if _, _, err := s.Append(ctx, "bench", benchMessage(i)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkAppendParallel: many writers, each on its own conversation
// (many citizens at once).
func BenchmarkAppendParallel(b *testing.B) {
	for _, name := range []string{"memory", "redis"} {
		b.Run(name, func(b *testing.B) {
			s := benchBackends(b)[name](b)
			ctx := context.Background()
			var next atomic.Int64
			b.RunParallel(func(pb *testing.PB) {
				id := fmt.Sprintf("bench%d", next.Add(1))
				mustCreate(b, s, id)
				i := 0
				for pb.Next() {
					i++
					if _, _, err := s.Append(ctx, id, benchMessage(i)); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

// BenchmarkMessages reads from a conversation of 100 messages: the last 20
// (a subscriber catching up) and all of them (the console opening it).
func BenchmarkMessages(b *testing.B) {
	for _, name := range []string{"memory", "redis"} {
		for _, read := range []struct {
			name         string
			after, limit int
		}{{"tail20", 80, 20}, {"all100", 0, 0}} {
			b.Run(name+"/"+read.name, func(b *testing.B) {
				s := benchBackends(b)[name](b)
				mustCreate(b, s, "bench")
				ctx := context.Background()
				for i := range 100 {
					if _, _, err := s.Append(ctx, "bench", benchMessage(i)); err != nil {
						b.Fatal(err)
					}
				}
				for b.Loop() {
					ms, err := s.Messages(ctx, "bench", int64(read.after), read.limit)
					if err != nil || len(ms) != 100-read.after {
						b.Fatalf("%d messages, %v", len(ms), err)
					}
				}
			})
		}
	}
}
