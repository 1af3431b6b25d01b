package webchat

import (
	"fmt"
	"sync/atomic"
	"testing"
)

// BenchmarkTurn measures one chat turn end to end over a real socket: the
// citizen's message in, the echo and the bot's answer (sample city, real
// engine, memory store) out. Parallel: 32 connections per CPU.
func BenchmarkTurn(b *testing.B) {
	h := newHarness(b, harnessOptions{cfg: Config{
		MessagesPerMinute: 1 << 30, MessageBurst: 1 << 20, IPMessagesPerMinute: 1 << 30, IPMessageBurst: 1 << 20,
		IPConnections: 1 << 20, IPConnectsPerMinute: 1 << 30, IPConnectBurst: 1 << 20,
	}})
	qs := []string{"Was kostet ein Personalausweis?", "Wie melde ich meinen Wohnsitz an?", "Wie melde ich meinen Hund an?", "Wie kann ich Sperrmüll anmelden?"}
	var n atomic.Int64
	b.SetParallelism(32) // 64 connections on 2 CPUs
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		c := h.dial(nil)
		c.hello("", 0)
		i := 0
		for pb.Next() {
			i++
			c.ask(fmt.Sprintf("m%d-%d", n.Add(1), i), qs[i%len(qs)])
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "turns/s")
}
