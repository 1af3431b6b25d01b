package conversation

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/civibot/civibot/internal/testtime"
	"reflect"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"
)

// storeAll is what both backends implement.
type storeAll interface {
	Store
	Bus
	Idempotency
}

// backend is one backend under test, with the clock it was built with.
type backend struct {
	s     storeAll
	clock *testtime.Clock
	// retention is the Options.Retention the backend was built with.
	retention time.Duration
	// checkRetention verifies, the backend's own way, that the
	// conversation id (created with messages) expires retention after its
	// last write.
	checkRetention func(t *testing.T, b backend, id string)
}

// receive returns the next payload on ch or fails the test.
func receive(t testing.TB, ch <-chan []byte) []byte {
	t.Helper()
	select {
	case p, ok := <-ch:
		if !ok {
			t.Fatal("subscription channel closed")
		}
		return p
	case <-time.After(5 * time.Second):
		t.Fatal("no payload within 5s")
	}
	return nil
}

// receiveEvent decodes the next payload as an Event.
func receiveEvent(t testing.TB, ch <-chan []byte) Event {
	t.Helper()
	p := receive(t, ch)
	var e Event
	if err := json.Unmarshal(p, &e); err != nil {
		t.Fatalf("event %q: %v", p, err)
	}
	return e
}

// quiet asserts that nothing arrives on ch for a short while.
func quiet(t testing.TB, ch <-chan []byte) {
	t.Helper()
	select {
	case p := <-ch:
		t.Fatalf("unexpected payload %q", p)
	case <-time.After(150 * time.Millisecond):
	}
}

func closed(t testing.TB, ch <-chan []byte) {
	t.Helper()
	for {
		select {
		case _, ok := <-ch:
			if !ok {
				return
			}
		case <-time.After(5 * time.Second):
			t.Fatal("subscription channel not closed within 5s")
		}
	}
}

func mustCreate(t testing.TB, s Store, id string) Conversation {
	t.Helper()
	c, err := s.Create(context.Background(), Conversation{ID: id, Channel: ChannelWeb, Language: "de"})
	if err != nil {
		t.Fatalf("create %s: %v", id, err)
	}
	return c
}

func mustAppend(t testing.TB, s Store, id string, m Message) Message {
	t.Helper()
	got, dup, err := s.Append(context.Background(), id, m)
	if err != nil {
		t.Fatalf("append to %s: %v", id, err)
	}
	if dup {
		t.Fatalf("append to %s: unexpected duplicate", id)
	}
	return got
}

func mustMessages(t testing.TB, s Store, id string) []Message {
	t.Helper()
	ms, err := s.Messages(context.Background(), id, 0, 0)
	if err != nil {
		t.Fatalf("messages of %s: %v", id, err)
	}
	return ms
}

// checkSeqs asserts that ms are numbered 1..len(ms) with matching ids.
func checkSeqs(t testing.TB, id string, ms []Message) {
	t.Helper()
	for i, m := range ms {
		if m.Seq != int64(i+1) || m.ID != fmt.Sprintf("%s-%d", id, i+1) {
			t.Fatalf("message %d: seq %d id %q, want %d and %s-%d", i, m.Seq, m.ID, i+1, id, i+1)
		}
	}
}

func wantErr(t testing.TB, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("error %v, want %v", err, target)
	}
}

// richConversation has every nested value set, to check copies and the
// round trip through the store.
func richConversation(id string) Conversation {
	at := time.Date(2026, 2, 27, 14, 0, 0, 0, time.UTC)
	return Conversation{
		ID: id, Channel: ChannelTelegram, Address: "4711", Language: "en",
		Status: StatusWaiting, Assignee: "anna",
		Handoff: &Handoff{
			Reason: "human_request", Requested: at,
			Candidates: []PageRef{{ID: "p1", Title: "Wohnsitz anmelden", URL: "https://example.org/p1", Score: 0.8125}},
			Audit:      []AuditEntry{{At: at, Actor: "bot", Action: "requested", Detail: "asked for a person"}},
		},
		Contact: &Contact{Name: "A. Citizen", Phone: "+4930123456", Given: at},
		Context: Context{LastPageID: "p1", Candidates: []string{"p1", "p2"}, Turns: 3},
	}
}

func richMessage() Message {
	return Message{
		ClientID: "client-1", Role: RoleBot, Text: "Sie können den Wohnsitz online anmelden.", Language: "de",
		Sources:      []Source{{PageID: "p1", Title: "Wohnsitz anmelden", URL: "https://example.org/p1"}},
		QuickReplies: []QuickReply{{Label: "Danke", Payload: "danke"}},
		Decision:     &Decision{Kind: "answer", Confidence: 0.75, Reasons: []string{"bm25"}, Candidates: []PageRef{{ID: "p1", Title: "T"}}},
	}
}

// testStore is the contract every backend meets.
func testStore(t *testing.T, newStore func(t *testing.T) backend) {
	ctx := context.Background()

	t.Run("CreateGet", func(t *testing.T) {
		b := newStore(t)
		in := richConversation("c1")
		in.LastSeq, in.Created = 99, time.Unix(1, 0)
		got, err := b.s.Create(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		now := b.clock.Now()
		if !got.Created.Equal(now) || !got.Updated.Equal(now) || got.LastSeq != 0 {
			t.Errorf("created %v updated %v last seq %d, want now %v and 0", got.Created, got.Updated, got.LastSeq, now)
		}
		want := in
		want.Created, want.Updated, want.LastSeq = now, now, 0
		if !reflect.DeepEqual(got, want) {
			t.Errorf("create returned\n%+v\nwant\n%+v", got, want)
		}
		again, err := b.s.Get(ctx, "c1")
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(again, want) {
			t.Errorf("get returned\n%+v\nwant\n%+v", again, want)
		}
		_, err = b.s.Create(ctx, Conversation{ID: "c1", Channel: ChannelWeb})
		wantErr(t, err, ErrExists)
		_, err = b.s.Get(ctx, "nope")
		wantErr(t, err, ErrNotFound)

		plain := mustCreate(t, b.s, "c2")
		if plain.Status != StatusBot {
			t.Errorf("default status %q, want %q", plain.Status, StatusBot)
		}
		for _, id := range []string{"", "a{b", "a}b", "a b", "a\nb", "a\xffb", string(make([]byte, maxIDLen+1))} {
			_, err := b.s.Create(ctx, Conversation{ID: id})
			wantErr(t, err, ErrInvalid)
		}
	})

	t.Run("UpdateAtomic", func(t *testing.T) {
		b := newStore(t)
		created := mustCreate(t, b.s, "c1")
		const workers, each = 12, 10
		var wg sync.WaitGroup
		errs := make(chan error, workers*each)
		for range workers {
			wg.Go(func() {
				for range each {
					_, err := b.s.Update(ctx, "c1", func(c *Conversation) error {
						c.Context.Turns++
						return nil
					})
					if err != nil {
						errs <- err
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatalf("update: %v", err)
		}
		got, err := b.s.Get(ctx, "c1")
		if err != nil {
			t.Fatal(err)
		}
		if got.Context.Turns != workers*each {
			t.Fatalf("turns %d, want %d (lost updates)", got.Context.Turns, workers*each)
		}

		mustAppend(t, b.s, "c1", Message{Role: RoleCitizen, Text: "hallo"})
		b.clock.Advance(time.Minute)
		upd, err := b.s.Update(ctx, "c1", func(c *Conversation) error {
			c.ID, c.Created, c.LastSeq = "other", time.Unix(0, 0), 42
			c.Status, c.Assignee = StatusClaimed, "anna"
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if upd.ID != "c1" || !upd.Created.Equal(created.Created) || upd.LastSeq != 1 {
			t.Errorf("update changed id/created/last seq: %+v", upd)
		}
		if !upd.Updated.Equal(b.clock.Now()) || upd.Status != StatusClaimed || upd.Assignee != "anna" {
			t.Errorf("update result %+v, want status claimed, assignee anna, updated now", upd)
		}

		boom := errors.New("boom")
		_, err = b.s.Update(ctx, "c1", func(c *Conversation) error {
			c.Status = StatusClosed
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("update with failing fn: %v, want boom", err)
		}
		if got, _ := b.s.Get(ctx, "c1"); got.Status != StatusClaimed {
			t.Errorf("aborted update was stored: status %q", got.Status)
		}
		_, err = b.s.Update(ctx, "nope", func(c *Conversation) error { return nil })
		wantErr(t, err, ErrNotFound)
	})

	t.Run("AppendOrder", func(t *testing.T) {
		b := newStore(t)
		mustCreate(t, b.s, "c1")
		given := time.Date(2026, 1, 1, 8, 0, 0, 0, time.UTC)
		for i := range 5 {
			b.clock.Advance(time.Second)
			m := Message{Role: RoleCitizen, Text: fmt.Sprintf("m%d", i+1), Seq: 77, ID: "forged"}
			if i == 2 {
				m.At = given
			}
			got := mustAppend(t, b.s, "c1", m)
			want := m
			want.Seq, want.ID = int64(i+1), fmt.Sprintf("c1-%d", i+1)
			if i != 2 {
				want.At = b.clock.Now()
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("append %d returned %+v, want %+v", i, got, want)
			}
		}
		ms := mustMessages(t, b.s, "c1")
		checkSeqs(t, "c1", ms)
		for i, m := range ms {
			if m.Text != fmt.Sprintf("m%d", i+1) {
				t.Errorf("message %d text %q", i, m.Text)
			}
		}
		c, _ := b.s.Get(ctx, "c1")
		if c.LastSeq != 5 || !c.Updated.Equal(b.clock.Now()) {
			t.Errorf("after appends: last seq %d updated %v, want 5 and %v", c.LastSeq, c.Updated, b.clock.Now())
		}
		// Control characters and bidi overrides are neutralised on input (issue 21.11).
		if got := mustAppend(t, b.s, "c1", Message{Role: RoleCitizen, Text: "Termin\x00 \u202eneges\u202c\r\nok"}); got.Text != "Termin neges\nok" {
			t.Errorf("stored text %q, want control characters and overrides removed", got.Text)
		}
		rich := mustAppend(t, b.s, "c1", richMessage())
		ms = mustMessages(t, b.s, "c1")
		if !reflect.DeepEqual(ms[6], rich) {
			t.Errorf("stored %+v, want %+v", ms[6], rich)
		}

		_, _, err := b.s.Append(ctx, "nope", Message{Role: RoleCitizen, Text: "x"})
		wantErr(t, err, ErrNotFound)
		for _, m := range []Message{{Role: "", Text: "x"}, {Role: "admin", Text: "x"}, {Role: RoleBot, Feedback: 3}, {Role: RoleBot, ClientID: "a b"}} {
			_, _, err := b.s.Append(ctx, "c1", m)
			wantErr(t, err, ErrInvalid)
		}
		if ms := mustMessages(t, b.s, "c1"); len(ms) != 7 {
			t.Errorf("invalid appends stored something: %d messages", len(ms))
		}
	})

	t.Run("AppendIdempotent", func(t *testing.T) {
		b := newStore(t)
		mustCreate(t, b.s, "c1")
		first := mustAppend(t, b.s, "c1", Message{ClientID: "u1", Role: RoleCitizen, Text: "eins"})
		mustAppend(t, b.s, "c1", Message{ClientID: "u2", Role: RoleCitizen, Text: "zwei"})
		b.clock.Advance(time.Second)
		again, dup, err := b.s.Append(ctx, "c1", Message{ClientID: "u1", Role: RoleCitizen, Text: "eins (retry)"})
		if err != nil {
			t.Fatal(err)
		}
		if !dup || !reflect.DeepEqual(again, first) {
			t.Fatalf("retry: dup=%v %+v, want dup and %+v", dup, again, first)
		}
		if ms := mustMessages(t, b.s, "c1"); len(ms) != 2 {
			t.Fatalf("%d messages after a duplicate, want 2", len(ms))
		}

		// Concurrent duplicates: exactly one stores.
		const racers = 16
		type result struct {
			m   Message
			dup bool
			err error
		}
		results := make(chan result, racers)
		var wg sync.WaitGroup
		for range racers {
			wg.Go(func() {
				m, dup, err := b.s.Append(ctx, "c1", Message{ClientID: "race", Role: RoleCitizen, Text: "schnell"})
				results <- result{m, dup, err}
			})
		}
		wg.Wait()
		close(results)
		stored := 0
		for r := range results {
			if r.err != nil {
				t.Fatal(r.err)
			}
			if !r.dup {
				stored++
			}
			if r.m.Seq != 3 {
				t.Errorf("racer got seq %d, want 3", r.m.Seq)
			}
		}
		if stored != 1 {
			t.Fatalf("%d racers stored the message, want exactly 1", stored)
		}
		ms := mustMessages(t, b.s, "c1")
		checkSeqs(t, "c1", ms)
		if len(ms) != 3 {
			t.Fatalf("%d messages, want 3", len(ms))
		}
	})

	t.Run("AppendConcurrent", func(t *testing.T) {
		b := newStore(t)
		mustCreate(t, b.s, "c1")
		const workers, each = 8, 25
		var wg sync.WaitGroup
		errs := make(chan error, workers*each)
		for w := range workers {
			wg.Go(func() {
				for i := range each {
					_, dup, err := b.s.Append(ctx, "c1", Message{ClientID: fmt.Sprintf("w%d-%d", w, i), Role: RoleCitizen, Text: "x"})
					if err != nil || dup {
						errs <- fmt.Errorf("dup=%v err=%v", dup, err)
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		ms := mustMessages(t, b.s, "c1")
		if len(ms) != workers*each {
			t.Fatalf("%d messages, want %d", len(ms), workers*each)
		}
		checkSeqs(t, "c1", ms)
		seen := map[string]bool{}
		for _, m := range ms {
			if seen[m.ClientID] {
				t.Fatalf("client id %s stored twice", m.ClientID)
			}
			seen[m.ClientID] = true
		}
		if c, _ := b.s.Get(ctx, "c1"); c.LastSeq != workers*each {
			t.Fatalf("last seq %d, want %d", c.LastSeq, workers*each)
		}
	})

	t.Run("Messages", func(t *testing.T) {
		b := newStore(t)
		mustCreate(t, b.s, "c1")
		mustCreate(t, b.s, "empty")
		for i := range 10 {
			mustAppend(t, b.s, "c1", Message{Role: RoleCitizen, Text: fmt.Sprint(i + 1)})
		}
		for _, tc := range []struct {
			after      int64
			limit      int
			first, len int64
		}{
			{0, 0, 1, 10},
			{0, 3, 1, 3},
			{3, 2, 4, 2},
			{8, 5, 9, 2},
			{10, 0, 0, 0},
			{25, 3, 0, 0},
			{-5, 2, 1, 2},
			{4, -1, 5, 6},
		} {
			ms, err := b.s.Messages(ctx, "c1", tc.after, tc.limit)
			if err != nil {
				t.Fatal(err)
			}
			if int64(len(ms)) != tc.len {
				t.Errorf("after %d limit %d: %d messages, want %d", tc.after, tc.limit, len(ms), tc.len)
				continue
			}
			for i, m := range ms {
				if m.Seq != tc.first+int64(i) {
					t.Errorf("after %d limit %d: message %d has seq %d", tc.after, tc.limit, i, m.Seq)
				}
			}
		}
		ms, err := b.s.Messages(ctx, "empty", 0, 0)
		if err != nil || ms == nil || len(ms) != 0 {
			t.Errorf("empty conversation: %v %v, want an empty slice", ms, err)
		}
		_, err = b.s.Messages(ctx, "nope", 0, 0)
		wantErr(t, err, ErrNotFound)
	})

	t.Run("SetFeedback", func(t *testing.T) {
		b := newStore(t)
		mustCreate(t, b.s, "c1")
		mustAppend(t, b.s, "c1", Message{Role: RoleCitizen, Text: "frage"})
		mustAppend(t, b.s, "c1", Message{Role: RoleBot, Text: "antwort"})
		b.clock.Advance(time.Minute)
		for _, v := range []int{1, -1, 0, -1} {
			if err := b.s.SetFeedback(ctx, "c1", 2, v); err != nil {
				t.Fatalf("feedback %d: %v", v, err)
			}
			if ms := mustMessages(t, b.s, "c1"); ms[1].Feedback != v || ms[1].Text != "antwort" {
				t.Fatalf("after feedback %d: %+v", v, ms[1])
			}
		}
		if c, _ := b.s.Get(ctx, "c1"); !c.Updated.Equal(b.clock.Now()) || c.LastSeq != 2 {
			t.Errorf("feedback did not count as a write: updated %v last seq %d", c.Updated, c.LastSeq)
		}
		wantErr(t, b.s.SetFeedback(ctx, "c1", 3, 1), ErrNotFound)
		wantErr(t, b.s.SetFeedback(ctx, "c1", 0, 1), ErrNotFound)
		wantErr(t, b.s.SetFeedback(ctx, "nope", 1, 1), ErrNotFound)
		wantErr(t, b.s.SetFeedback(ctx, "c1", 2, 2), ErrInvalid)
		wantErr(t, b.s.SetFeedback(ctx, "c1", 2, -7), ErrInvalid)
		wantErr(t, b.s.SetFeedback(ctx, "c1", 1, 1), ErrInvalid) // a citizen message
		if ms := mustMessages(t, b.s, "c1"); ms[0].Feedback != 0 || ms[1].Feedback != -1 {
			t.Errorf("rejected feedback was stored: %+v", ms)
		}
	})

	t.Run("Delete", func(t *testing.T) {
		b := newStore(t)
		mustCreate(t, b.s, "c1")
		mustCreate(t, b.s, "keep")
		mustAppend(t, b.s, "c1", Message{ClientID: "u1", Role: RoleCitizen, Text: "eins"})
		mustAppend(t, b.s, "c1", Message{Role: RoleBot, Text: "zwei"})
		if err := b.s.Delete(ctx, "c1"); err != nil {
			t.Fatal(err)
		}
		_, err := b.s.Get(ctx, "c1")
		wantErr(t, err, ErrNotFound)
		_, err = b.s.Messages(ctx, "c1", 0, 0)
		wantErr(t, err, ErrNotFound)
		_, _, err = b.s.Append(ctx, "c1", Message{Role: RoleCitizen, Text: "x"})
		wantErr(t, err, ErrNotFound)
		wantErr(t, b.s.SetFeedback(ctx, "c1", 2, 1), ErrNotFound)
		wantErr(t, b.s.Delete(ctx, "c1"), ErrNotFound)
		list, err := b.s.List(ctx, time.Time{}, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 1 || list[0].ID != "keep" {
			t.Errorf("list after delete: %v", ids(list))
		}
		// A new conversation with the same id starts from scratch.
		mustCreate(t, b.s, "c1")
		if ms := mustMessages(t, b.s, "c1"); len(ms) != 0 {
			t.Fatalf("re-created conversation has %d old messages", len(ms))
		}
		m := mustAppend(t, b.s, "c1", Message{ClientID: "u1", Role: RoleCitizen, Text: "neu"})
		if m.Seq != 1 || m.Text != "neu" {
			t.Fatalf("re-created conversation: first message %+v, want seq 1 text neu", m)
		}
	})

	t.Run("List", func(t *testing.T) {
		b := newStore(t)
		start := b.clock.Now()
		for _, id := range []string{"a", "b", "c", "d"} {
			mustCreate(t, b.s, id)
			b.clock.Advance(time.Minute)
		}
		mustAppend(t, b.s, "a", Message{Role: RoleCitizen, Text: "wieder da"}) // a is newest now
		b.clock.Advance(time.Minute)
		if _, err := b.s.Update(ctx, "c", func(c *Conversation) error { c.Status = StatusWaiting; return nil }); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			since time.Time
			limit int
			want  []string
		}{
			{time.Time{}, 0, []string{"c", "a", "d", "b"}},
			{time.Time{}, 2, []string{"c", "a"}},
			{start.Add(time.Minute), 0, []string{"c", "a", "d", "b"}},
			{start.Add(time.Minute + time.Nanosecond), 0, []string{"c", "a", "d"}},
			{start.Add(3 * time.Minute), 10, []string{"c", "a", "d"}},
			{b.clock.Now(), 0, []string{"c"}},
			{b.clock.Now().Add(time.Nanosecond), 0, []string{}},
		} {
			got, err := b.s.List(ctx, tc.since, tc.limit)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(ids(got), tc.want) {
				t.Errorf("since %v limit %d: %v, want %v", tc.since.Sub(start), tc.limit, ids(got), tc.want)
			}
		}
		got, _ := b.s.List(ctx, time.Time{}, 1)
		if len(got) != 1 || got[0].Status != StatusWaiting || got[0].LastSeq != 0 {
			t.Errorf("list returns records: %+v", got)
		}
	})

	t.Run("Purge", func(t *testing.T) {
		b := newStore(t)
		for _, id := range []string{"old1", "old2", "old3"} {
			mustCreate(t, b.s, id)
			mustAppend(t, b.s, id, Message{ClientID: "x", Role: RoleCitizen, Text: "alt"})
		}
		b.clock.Advance(2 * time.Hour)
		cutoff := b.clock.Now()
		mustAppend(t, b.s, "old3", Message{Role: RoleCitizen, Text: "noch da"}) // written at the cutoff: kept
		mustCreate(t, b.s, "new")
		ch, cancel, err := b.s.Subscribe(ctx, Topic("old1"))
		if err != nil {
			t.Fatal(err)
		}
		defer cancel()
		n, err := b.s.Purge(ctx, cutoff)
		if err != nil {
			t.Fatal(err)
		}
		if n != 2 {
			t.Fatalf("purged %d, want 2", n)
		}
		if e := receiveEvent(t, ch); e.Type != EventDeleted || e.ConversationID != "old1" {
			t.Errorf("purge event %+v, want deleted old1", e)
		}
		for _, id := range []string{"old1", "old2"} {
			_, err := b.s.Get(ctx, id)
			wantErr(t, err, ErrNotFound)
			_, err = b.s.Messages(ctx, id, 0, 0)
			wantErr(t, err, ErrNotFound)
		}
		list, _ := b.s.List(ctx, time.Time{}, 0)
		if !slices.Equal(ids(list), []string{"new", "old3"}) {
			t.Errorf("left after purge: %v", ids(list))
		}
		if n, err := b.s.Purge(ctx, cutoff); n != 0 || err != nil {
			t.Errorf("second purge: %d %v, want 0", n, err)
		}
		// Re-created after a purge: no leftovers.
		mustCreate(t, b.s, "old1")
		if m := mustAppend(t, b.s, "old1", Message{ClientID: "x", Role: RoleCitizen, Text: "neu"}); m.Seq != 1 {
			t.Errorf("re-created after purge: seq %d", m.Seq)
		}
	})

	t.Run("Retention", func(t *testing.T) {
		b := newStore(t)
		mustCreate(t, b.s, "c1")
		mustAppend(t, b.s, "c1", Message{ClientID: "u1", Role: RoleBot, Text: "hallo"})
		b.checkRetention(t, b, "c1")
	})

	t.Run("Events", func(t *testing.T) {
		b := newStore(t)
		ch, cancel, err := b.s.Subscribe(ctx, Topic("c1"))
		if err != nil {
			t.Fatal(err)
		}
		defer cancel()
		other, cancelOther, err := b.s.Subscribe(ctx, Topic("c2"))
		if err != nil {
			t.Fatal(err)
		}
		defer cancelOther()

		created := mustCreate(t, b.s, "c1")
		e := receiveEvent(t, ch)
		if e.Type != EventStatus || e.ConversationID != "c1" || e.Conversation == nil || !reflect.DeepEqual(*e.Conversation, created) {
			t.Fatalf("create event %+v", e)
		}
		upd, err := b.s.Update(ctx, "c1", func(c *Conversation) error { c.Status = StatusWaiting; return nil })
		if err != nil {
			t.Fatal(err)
		}
		e = receiveEvent(t, ch)
		if e.Type != EventStatus || e.Conversation == nil || !reflect.DeepEqual(*e.Conversation, upd) {
			t.Fatalf("update event %+v, want %+v", e, upd)
		}
		m := mustAppend(t, b.s, "c1", Message{ClientID: "u1", Role: RoleBot, Text: "antwort"})
		e = receiveEvent(t, ch)
		if e.Type != EventMessage || e.Message == nil || !reflect.DeepEqual(*e.Message, m) {
			t.Fatalf("append event %+v, want %+v", e, m)
		}
		if _, dup, _ := b.s.Append(ctx, "c1", Message{ClientID: "u1", Role: RoleBot, Text: "antwort"}); !dup {
			t.Fatal("duplicate not detected")
		}
		note := mustAppend(t, b.s, "c1", Message{Role: RoleNote, Author: "anna", Text: "Rückruf vereinbart"})
		e = receiveEvent(t, ch) // the duplicate published nothing: next is the note
		if e.Type != EventMessage || e.Message == nil || e.Message.Seq != note.Seq || e.Message.Role != RoleNote {
			t.Fatalf("note event %+v, want the note (seq %d)", e, note.Seq)
		}
		if err := b.s.SetFeedback(ctx, "c1", m.Seq, 1); err != nil {
			t.Fatal(err)
		}
		e = receiveEvent(t, ch)
		if e.Type != EventFeedback || e.Message == nil || e.Message.Seq != m.Seq || e.Message.Feedback != 1 {
			t.Fatalf("feedback event %+v", e)
		}
		if err := b.s.Delete(ctx, "c1"); err != nil {
			t.Fatal(err)
		}
		e = receiveEvent(t, ch)
		if e.Type != EventDeleted || e.ConversationID != "c1" || e.Message != nil || e.Conversation != nil {
			t.Fatalf("delete event %+v", e)
		}
		// Failed mutations publish nothing.
		_ = b.s.Delete(ctx, "c1")
		_, _ = b.s.Update(ctx, "c1", func(c *Conversation) error { return nil })
		quiet(t, ch)
		quiet(t, other)
	})

	t.Run("EventOrder", func(t *testing.T) {
		b := newStore(t)
		mustCreate(t, b.s, "c1")
		ch, cancel, err := b.s.Subscribe(ctx, Topic("c1"))
		if err != nil {
			t.Fatal(err)
		}
		defer cancel()
		const workers, each = 4, 20
		var wg sync.WaitGroup
		for range workers {
			wg.Go(func() {
				for range each {
					if _, _, err := b.s.Append(ctx, "c1", Message{Role: RoleCitizen, Text: "x"}); err != nil {
						t.Error(err)
					}
				}
			})
		}
		wg.Wait()
		for want := int64(1); want <= workers*each; want++ {
			e := receiveEvent(t, ch)
			if e.Message == nil || e.Message.Seq != want {
				t.Fatalf("event %+v, want message seq %d (events in write order)", e, want)
			}
		}
	})

	t.Run("Bus", func(t *testing.T) {
		b := newStore(t)
		ch1, cancel1, err := b.s.Subscribe(ctx, "queue")
		if err != nil {
			t.Fatal(err)
		}
		ch2, cancel2, err := b.s.Subscribe(ctx, "queue")
		if err != nil {
			t.Fatal(err)
		}
		defer cancel2()
		chOther, cancelOther, err := b.s.Subscribe(ctx, "presence")
		if err != nil {
			t.Fatal(err)
		}
		defer cancelOther()
		payload := []byte(`{"hello":"welt"}`)
		if err := b.s.Publish(ctx, "queue", payload); err != nil {
			t.Fatal(err)
		}
		payload[2] = 'X' // the bus keeps no reference to the publisher's slice
		p1, p2 := receive(t, ch1), receive(t, ch2)
		if string(p1) != `{"hello":"welt"}` || string(p2) != `{"hello":"welt"}` {
			t.Fatalf("got %q and %q", p1, p2)
		}
		p1[0] = '!' // subscribers do not share a slice
		if string(p2) != `{"hello":"welt"}` {
			t.Fatalf("subscribers share the payload: %q", p2)
		}
		quiet(t, chOther)

		cancel1()
		closed(t, ch1)
		cancel1() // idempotent
		if err := b.s.Publish(ctx, "queue", []byte("zwei")); err != nil {
			t.Fatal(err)
		}
		if p := receive(t, ch2); string(p) != "zwei" {
			t.Fatalf("after the other cancelled: %q", p)
		}

		cctx, ccancel := context.WithCancel(ctx)
		ch3, cancel3, err := b.s.Subscribe(cctx, "queue")
		if err != nil {
			t.Fatal(err)
		}
		defer cancel3()
		ccancel()
		closed(t, ch3)

		if _, _, err := b.s.Subscribe(cctx, "queue"); err == nil {
			t.Fatal("subscribe with a cancelled context succeeded")
		}
	})

	t.Run("BusSlowSubscriber", func(t *testing.T) {
		b := newStore(t)
		ch, cancel, err := b.s.Subscribe(ctx, "queue")
		if err != nil {
			t.Fatal(err)
		}
		defer cancel()
		const n = 3 * subscriberQueue
		for i := range n {
			if err := b.s.Publish(ctx, "queue", fmt.Appendf(nil, "%d", i+1)); err != nil {
				t.Fatal(err)
			}
		}
		// Nobody read: the publisher was not blocked. Reading now yields
		// payloads in order, and catch-up notices for what was dropped.
		// After the last notice, payloads are delivered again (one published
		// while the subscriber is still behind is covered by a later notice).
		got, notices, last := 0, 0, 0
		for {
			p := receive(t, ch)
			if string(p) == "weiter" {
				break
			}
			if len(p) == 0 {
				notices++
				if err := b.s.Publish(ctx, "queue", []byte("weiter")); err != nil {
					t.Fatal(err)
				}
				continue
			}
			var v int
			if _, err := fmt.Sscan(string(p), &v); err != nil || v <= last {
				t.Fatalf("payload %q after %d", p, last)
			}
			last = v
			got++
		}
		if notices == 0 || got >= n {
			t.Fatalf("received %d of %d payloads and %d notices; want some dropped and a notice", got, n, notices)
		}
		if notices > 3 {
			t.Errorf("%d notices for one burst", notices)
		}
		t.Logf("%d of %d payloads delivered, %d notices", got, n, notices)
	})

	t.Run("BusGoroutines", func(t *testing.T) {
		b := newStore(t)
		// Warm up connections and lazily started goroutines.
		_, c0, err := b.s.Subscribe(ctx, "warm")
		if err != nil {
			t.Fatal(err)
		}
		c0()
		_ = b.s.Publish(ctx, "warm", []byte("x"))
		base := runtime.NumGoroutine()
		for i := range 20 {
			cctx, ccancel := context.WithCancel(ctx)
			ch, cancel, err := b.s.Subscribe(cctx, "queue")
			if err != nil {
				t.Fatal(err)
			}
			if err := b.s.Publish(ctx, "queue", []byte("p")); err != nil {
				t.Fatal(err)
			}
			if p := receive(t, ch); string(p) != "p" {
				t.Fatalf("got %q", p)
			}
			if i%2 == 0 {
				cancel()
			} else {
				ccancel() // the context ending closes it too
				closed(t, ch)
				cancel()
			}
			ccancel()
		}
		testtime.WaitFor(t, 10*time.Second, "subscription goroutines to end", func() bool {
			return runtime.NumGoroutine() <= base
		})
	})

	t.Run("Idempotency", func(t *testing.T) {
		b := newStore(t)
		begin := func(key string, lease time.Duration) bool {
			t.Helper()
			ok, err := b.s.Begin(ctx, key, lease)
			if err != nil {
				t.Fatalf("begin %s: %v", key, err)
			}
			return ok
		}
		if !begin("tg:1", time.Minute) {
			t.Fatal("first begin refused")
		}
		if begin("tg:1", time.Minute) {
			t.Fatal("second begin while leased succeeded")
		}
		finished := func(key string) bool {
			t.Helper()
			done, err := b.s.Finished(ctx, key)
			if err != nil {
				t.Fatalf("finished %s: %v", key, err)
			}
			return done
		}
		if finished("tg:1") || finished("never-begun") {
			t.Fatal("a leased or unknown key is finished")
		}
		if err := b.s.Done(ctx, "tg:1", time.Hour); err != nil {
			t.Fatal(err)
		}
		if !finished("tg:1") {
			t.Fatal("a done key is not finished")
		}
		if begin("tg:1", time.Minute) {
			t.Fatal("begin on a done key succeeded")
		}
		if err := b.s.Abandon(ctx, "tg:1"); err != nil {
			t.Fatal(err)
		}
		if begin("tg:1", time.Minute) {
			t.Fatal("abandon released a done key")
		}

		if !begin("tg:2", time.Minute) {
			t.Fatal("begin refused")
		}
		if err := b.s.Abandon(ctx, "tg:2"); err != nil {
			t.Fatal(err)
		}
		if !begin("tg:2", time.Minute) {
			t.Fatal("begin after abandon refused")
		}
		if err := b.s.Abandon(ctx, "never-begun"); err != nil {
			t.Fatal(err)
		}

		// Concurrent begins: one wins.
		wins := make(chan bool, 16)
		var wg sync.WaitGroup
		for range 16 {
			wg.Go(func() {
				ok, err := b.s.Begin(ctx, "race", time.Minute)
				if err != nil {
					t.Error(err)
				}
				wins <- ok
			})
		}
		wg.Wait()
		close(wins)
		n := 0
		for ok := range wins {
			if ok {
				n++
			}
		}
		if n != 1 {
			t.Fatalf("%d concurrent begins won, want 1", n)
		}

		// A lease expires (real time for Redis, the clock for memory).
		if !begin("tw:SM1", 200*time.Millisecond) {
			t.Fatal("begin refused")
		}
		b.clock.Advance(time.Second)
		testtime.WaitFor(t, 5*time.Second, "the lease to expire", func() bool { return begin("tw:SM1", time.Minute) })
		// So does a done mark.
		if err := b.s.Done(ctx, "tw:SM2", 200*time.Millisecond); err != nil {
			t.Fatal(err)
		}
		b.clock.Advance(time.Second)
		testtime.WaitFor(t, 5*time.Second, "the done mark to expire", func() bool { return begin("tw:SM2", time.Minute) })

		_, err := b.s.Begin(ctx, "", time.Minute)
		wantErr(t, err, ErrInvalid)
		_, err = b.s.Begin(ctx, "k", 0)
		wantErr(t, err, ErrInvalid)
		wantErr(t, b.s.Done(ctx, "k", -time.Second), ErrInvalid)
		wantErr(t, b.s.Abandon(ctx, ""), ErrInvalid)
		_, err = b.s.Finished(ctx, "")
		wantErr(t, err, ErrInvalid)
	})

	t.Run("Copies", func(t *testing.T) {
		b := newStore(t)
		in := richConversation("c1")
		got, err := b.s.Create(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := b.s.Get(ctx, "c1")
		// Mutate what went in and what came out.
		in.Handoff.Audit[0].Actor = "mallory"
		in.Context.Candidates[0] = "evil"
		in.Contact.Name = "changed"
		got.Handoff.Candidates[0].Title = "changed"
		got.Context.Candidates = append(got.Context.Candidates[:1], "x")
		got.Contact.Phone = "0"
		g, _ := b.s.Get(ctx, "c1")
		g.Handoff.Audit = append(g.Handoff.Audit, AuditEntry{Actor: "x"})
		again, _ := b.s.Get(ctx, "c1")
		if !reflect.DeepEqual(again, want) {
			t.Fatalf("stored conversation changed through a caller's value:\n%+v\nwant\n%+v", again, want)
		}

		var seen *Conversation
		if _, err := b.s.Update(ctx, "c1", func(c *Conversation) error {
			seen = c
			c.Context.Candidates[1] = "p9"
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		seen.Context.Candidates[0] = "after the update"
		if c, _ := b.s.Get(ctx, "c1"); !slices.Equal(c.Context.Candidates, []string{"p1", "p9"}) {
			t.Fatalf("candidates %v, want [p1 p9]", c.Context.Candidates)
		}

		m := richMessage()
		stored := mustAppend(t, b.s, "c1", m)
		m.Sources[0].Title = "changed"
		m.Decision.Reasons[0] = "changed"
		stored.QuickReplies[0].Label = "changed"
		ms := mustMessages(t, b.s, "c1")
		ms[0].Decision.Candidates[0].ID = "changed"
		ms2 := mustMessages(t, b.s, "c1")
		want2 := richMessage()
		want2.Seq, want2.ID, want2.At = 1, "c1-1", b.clock.Now()
		if !reflect.DeepEqual(ms2[0], want2) {
			t.Fatalf("stored message changed through a caller's value:\n%+v\nwant\n%+v", ms2[0], want2)
		}
		list, _ := b.s.List(ctx, time.Time{}, 0)
		list[0].Handoff.Reason = "changed"
		if c, _ := b.s.Get(ctx, "c1"); c.Handoff.Reason != "human_request" {
			t.Fatal("stored conversation changed through List")
		}
	})
}

func ids(cs []Conversation) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.ID
	}
	return out
}

// newTestClock is a settable clock at a fixed time.
func newTestClock() *testtime.Clock {
	return testtime.NewClock(time.Date(2026, 3, 2, 9, 30, 0, 123456789, time.UTC))
}
