package handoff

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/civibot/civibot/conversation"
)

// BenchmarkHandoffVisibleAcrossInstances measures the time from Request on
// instance A until a TopicQueue subscriber of instance B (its own Redis
// client) sees the announcement: what a caseworker's console on another
// instance waits for. Run:
//
//	go test -run '^$' -bench HandoffVisible -benchtime 200x ./handoff/
func BenchmarkHandoffVisibleAcrossInstances(b *testing.B) {
	f := newFixture(b, "redis", testConfig())
	_, storeB := f.instance(b)
	seen := events[QueueEvent](b, storeB, conversation.TopicQueue)
	f.online(b, "erika")
	ids := make([]string, b.N)
	for i := range ids {
		ids[i] = fmt.Sprintf("bench%06d", i)
		f.conv(b, ids[i], conversation.ChannelWeb, "de", "Hallo")
	}
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := range b.N {
		start := time.Now()
		f.request(b, ids[i], "Hallo")
		for e := range seen {
			if e.Type == ActionRequested && e.ConversationID == ids[i] {
				break
			}
		}
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	slices.Sort(lat)
	p := func(q float64) time.Duration { return lat[min(len(lat)-1, int(q*float64(len(lat))))] }
	b.ReportMetric(float64(p(0.50).Microseconds())/1000, "p50_ms")
	b.ReportMetric(float64(p(0.99).Microseconds())/1000, "p99_ms")
	b.ReportMetric(float64(lat[len(lat)-1].Microseconds())/1000, "max_ms")
	b.Logf("%d requests: p50 %v, p99 %v, max %v", len(lat), p(0.50), p(0.99), lat[len(lat)-1])
}
