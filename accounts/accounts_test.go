package accounts

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/civibot/civibot/internal/redistest"
	"github.com/civibot/civibot/internal/testtime"
)

// testConfig keeps bcrypt at the lowest allowed cost, for speed.
func testConfig() Config {
	return Config{BcryptCost: MinBcryptCost}
}

const pw = "correct horse battery"

// fast lowers the bcrypt cost below the allowed minimum for tests whose
// subject is not hashing: under -race one bcrypt at cost 10 takes one to
// two seconds. TestBcryptCost checks the real cost.
func fast(a *Store) *Store {
	a.cfg.BcryptCost = bcrypt.MinCost
	return a
}

func TestMemoryAccounts(t *testing.T) {
	testAccounts(t, func(t *testing.T, clock *testtime.Clock) *Store {
		a, err := NewMemory(testConfig(), "", Options{Now: clock.Now})
		if err != nil {
			t.Fatal(err)
		}
		return a
	})
}

func TestFileAccounts(t *testing.T) {
	testAccounts(t, func(t *testing.T, clock *testtime.Clock) *Store {
		a, err := NewMemory(testConfig(), filepath.Join(t.TempDir(), "data", "users.json"), Options{Now: clock.Now})
		if err != nil {
			t.Fatal(err)
		}
		return a
	})
}

func TestRedisAccounts(t *testing.T) {
	testAccounts(t, func(t *testing.T, clock *testtime.Clock) *Store {
		srv := redistest.Start(t)
		a, err := NewRedis(testConfig(), srv.Client(t), "test:", Options{Now: clock.Now})
		if err != nil {
			t.Fatal(err)
		}
		return a
	})
}

func testAccounts(t *testing.T, newAccounts func(t *testing.T, clock *testtime.Clock) *Store) {
	ctx := context.Background()

	t.Run("add and authenticate", func(t *testing.T) {
		clock := newTestClock()
		a := fast(newAccounts(t, clock))
		u, err := a.AddUser(ctx, "Erika.M", "Erika Mustermann", RoleCaseworker, pw)
		if err != nil {
			t.Fatal(err)
		}
		if u.Name != "erika.m" || u.Hash != "" || u.Role != RoleCaseworker || u.DisplayName != "Erika Mustermann" || !u.Created.Equal(clock.Now()) {
			t.Errorf("added user = %+v", u)
		}
		got, err := a.Authenticate(ctx, "ERIKA.M", pw, "10.0.0.1")
		if err != nil || got.Name != "erika.m" || got.Hash != "" {
			t.Errorf("authenticate = %+v, %v", got, err)
		}
		if _, err := a.Authenticate(ctx, "erika.m", pw+"x", "10.0.0.1"); !errors.Is(err, ErrBadCredentials) {
			t.Errorf("wrong password: %v, want ErrBadCredentials", err)
		}
		if _, err := a.Authenticate(ctx, "nobody", pw, "10.0.0.1"); !errors.Is(err, ErrBadCredentials) {
			t.Errorf("unknown user: %v, want ErrBadCredentials", err)
		}
		if a.dummy == nil {
			t.Error("no bcrypt comparison ran for the unknown user")
		}
		if _, err := a.Authenticate(ctx, "{bad name}", pw, "10.0.0.1"); !errors.Is(err, ErrBadCredentials) {
			t.Errorf("malformed user name: %v, want ErrBadCredentials", err)
		}
		if _, err := a.AddUser(ctx, "erika.m", "", RoleAdmin, pw); !errors.Is(err, ErrUserExists) {
			t.Errorf("duplicate: %v, want ErrUserExists", err)
		}
		if _, err := a.User(ctx, "nobody"); !errors.Is(err, ErrUserNotFound) {
			t.Errorf("User(nobody): %v", err)
		}
		for _, bad := range []struct{ name, pass string }{{"", pw}, {"a b", pw}, {"ärger", pw}, {strings.Repeat("x", 65), pw}, {"max", "short"}, {"max", strings.Repeat("ü", 40)}} {
			if _, err := a.AddUser(ctx, bad.name, "", RoleCaseworker, bad.pass); !errors.Is(err, ErrInvalid) {
				t.Errorf("AddUser(%q, %q): %v, want ErrInvalid", bad.name, bad.pass, err)
			}
		}
		if _, err := a.AddUser(ctx, "max", "", Role("root"), pw); !errors.Is(err, ErrInvalid) {
			t.Errorf("unknown role: %v", err)
		}
		if _, err := a.AddUser(ctx, "admin", "", RoleAdmin, pw); err != nil {
			t.Fatal(err)
		}
		us, err := a.Users(ctx)
		if err != nil || len(us) != 2 || us[0].Name != "admin" || us[1].Name != "erika.m" || us[0].Hash != "" {
			t.Errorf("users = %+v, %v", us, err)
		}
	})

	t.Run("disable and password change end sessions", func(t *testing.T) {
		clock := newTestClock()
		a := fast(newAccounts(t, clock))
		u, err := a.AddUser(ctx, "max", "", RoleCaseworker, pw)
		if err != nil {
			t.Fatal(err)
		}
		token, _, err := a.NewSession(ctx, u)
		if err != nil {
			t.Fatal(err)
		}
		if err := a.SetDisabled(ctx, "max", true); err != nil {
			t.Fatal(err)
		}
		if _, err := a.Session(ctx, token); !errors.Is(err, ErrNoSession) {
			t.Errorf("session of a disabled user: %v", err)
		}
		if _, err := a.Authenticate(ctx, "max", pw, "ip"); !errors.Is(err, ErrDisabled) || !errors.Is(err, ErrBadCredentials) {
			t.Errorf("disabled login: %v, want ErrBadCredentials wrapping ErrDisabled (answered like a wrong password)", err)
		}
		if _, err := a.Authenticate(ctx, "max", "wrong password", "ip"); !errors.Is(err, ErrBadCredentials) {
			t.Errorf("disabled user, wrong password: %v, want ErrBadCredentials (no hint)", err)
		}
		if err := a.SetDisabled(ctx, "max", false); err != nil {
			t.Fatal(err)
		}
		u, err = a.Authenticate(ctx, "max", pw, "ip")
		if err != nil {
			t.Fatalf("enabled again: %v", err)
		}
		token, _, err = a.NewSession(ctx, u)
		if err != nil {
			t.Fatal(err)
		}
		if err := a.SetPassword(ctx, "max", "another good password"); err != nil {
			t.Fatal(err)
		}
		if _, err := a.Session(ctx, token); !errors.Is(err, ErrNoSession) {
			t.Errorf("session after password change: %v", err)
		}
		if _, err := a.Authenticate(ctx, "max", pw, "ip"); !errors.Is(err, ErrBadCredentials) {
			t.Errorf("old password: %v", err)
		}
		if _, err := a.Authenticate(ctx, "max", "another good password", "ip"); err != nil {
			t.Errorf("new password: %v", err)
		}
		if err := a.SetPassword(ctx, "max", "short"); !errors.Is(err, ErrInvalid) {
			t.Errorf("short password: %v", err)
		}
		if err := a.SetPassword(ctx, "nobody", pw); !errors.Is(err, ErrUserNotFound) {
			t.Errorf("password of unknown user: %v", err)
		}
		if err := a.SetDisabled(ctx, "nobody", true); !errors.Is(err, ErrUserNotFound) {
			t.Errorf("disable unknown user: %v", err)
		}
	})

	t.Run("login rate limit", func(t *testing.T) {
		clock := newTestClock()
		a := fast(newAccounts(t, clock))
		if _, err := a.AddUser(ctx, "erika", "", RoleCaseworker, pw); err != nil {
			t.Fatal(err)
		}
		// Failures spread wider than the window do not lock.
		for range 8 {
			if _, err := a.Authenticate(ctx, "erika", "wrong", "1.2.3.4"); !errors.Is(err, ErrBadCredentials) {
				t.Fatalf("spread failure: %v", err)
			}
			clock.Advance(4 * time.Minute)
		}
		clock.Advance(time.Hour)
		var err error
		for i := range DefaultMaxFailures {
			_, err = a.Authenticate(ctx, "erika", "wrong", "1.2.3.4")
			if i < DefaultMaxFailures-1 && !errors.Is(err, ErrBadCredentials) {
				t.Fatalf("failure %d: %v", i+1, err)
			}
		}
		var locked *LockedError
		if !errors.As(err, &locked) || !errors.Is(err, ErrLocked) || !locked.Until.Equal(clock.Now().Add(DefaultLockout)) {
			t.Fatalf("5th failure: %v, want a LockedError until now+lockout", err)
		}
		clock.Advance(time.Minute)
		if _, err := a.Authenticate(ctx, "erika", pw, "1.2.3.4"); !errors.Is(err, ErrLocked) {
			t.Errorf("right password while locked: %v, want ErrLocked", err)
		}
		if _, err := a.Authenticate(ctx, "erika", pw, "5.6.7.8"); err != nil {
			t.Errorf("another address is not locked: %v", err)
		}
		// The lock is per name and address, also for unknown names.
		for range DefaultMaxFailures {
			_, err = a.Authenticate(ctx, "ghost", "x", "1.2.3.4")
		}
		if !errors.Is(err, ErrLocked) {
			t.Errorf("unknown user after %d failures: %v", DefaultMaxFailures, err)
		}
		clock.Advance(DefaultLockout)
		if _, err := a.Authenticate(ctx, "erika", pw, "1.2.3.4"); err != nil {
			t.Errorf("after the lockout: %v", err)
		}
		// A success clears the count.
		for range DefaultMaxFailures - 1 {
			_, _ = a.Authenticate(ctx, "erika", "wrong", "1.2.3.4")
		}
		if _, err := a.Authenticate(ctx, "erika", pw, "1.2.3.4"); err != nil {
			t.Fatal(err)
		}
		if _, err := a.Authenticate(ctx, "erika", "wrong", "1.2.3.4"); !errors.Is(err, ErrBadCredentials) {
			t.Errorf("count not cleared by success: %v", err)
		}
	})

	t.Run("slowed across addresses", func(t *testing.T) {
		clock := newTestClock()
		a := fast(newAccounts(t, clock))
		if _, err := a.AddUser(ctx, "erika", "", RoleCaseworker, pw); err != nil {
			t.Fatal(err)
		}
		// Erika's office is a known address.
		if _, err := a.Authenticate(ctx, "erika", pw, "[2001:db8:1:2::10]:443"); err != nil {
			t.Fatal(err)
		}
		// A guesser with many addresses: 4 tries each, under the lockout.
		addr := func(i int) string { return fmt.Sprintf("198.51.%d.%d", i/200, i%200) }
		var err error
		for i := range DefaultSlowAfter {
			_, err = a.Authenticate(ctx, "erika", "guess", addr(i/4))
			if !errors.Is(err, ErrBadCredentials) {
				t.Fatalf("guess %d: %v, want ErrBadCredentials", i+1, err)
			}
		}
		// The next attempt from a new address waits 1s after the last failure.
		_, err = a.Authenticate(ctx, "erika", "guess", addr(100))
		var slowed *SlowedError
		if !errors.As(err, &slowed) || !errors.Is(err, ErrSlowed) || !slowed.Until.Equal(clock.Now().Add(time.Second)) {
			t.Fatalf("after %d failures: %v, want a SlowedError until now+1s", DefaultSlowAfter, err)
		}
		// Even the right password waits (no oracle), and waiting is not counted.
		if _, err := a.Authenticate(ctx, "erika", pw, addr(101)); !errors.Is(err, ErrSlowed) {
			t.Errorf("right password from an unknown address while slowed: %v", err)
		}
		// The delay doubles with each failure.
		for i, want := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second} {
			clock.Advance(want)
			if _, err := a.Authenticate(ctx, "erika", "guess", addr(200+i)); !errors.Is(err, ErrBadCredentials) {
				t.Fatalf("guess after waiting %v: %v", want, err)
			}
			_, err := a.Authenticate(ctx, "erika", "guess", addr(300+i))
			if !errors.As(err, &slowed) || !slowed.Until.Equal(clock.Now().Add(2*want)) {
				t.Fatalf("after waiting %v and failing: %v, want a wait of %v", want, err, 2*want)
			}
		}
		// The owner's known address (the same /64) is not slowed.
		if _, err := a.Authenticate(ctx, "erika", pw, "[2001:db8:1:2::99]:443"); err != nil {
			t.Errorf("owner from the office's /64: %v", err)
		}
		// Unknown names are slowed alike (slowing tells nothing about accounts).
		for i := range DefaultSlowAfter {
			_, _ = a.Authenticate(ctx, "ghost", "guess", addr(400+i))
		}
		if _, err := a.Authenticate(ctx, "ghost", "guess", addr(500)); !errors.Is(err, ErrSlowed) {
			t.Errorf("unknown name: %v, want ErrSlowed", err)
		}
		// Failures age out of the window.
		clock.Advance(DefaultSlowWindow + time.Second)
		if _, err := a.Authenticate(ctx, "erika", pw, addr(600)); err != nil {
			t.Errorf("an hour later from a new address: %v", err)
		}
		// Every attempt is an event for administrators, newest first.
		es, err := a.LoginEvents(ctx, 0)
		if err != nil || len(es) < 20 || es[0].Outcome != LoginOK || es[0].User != "erika" || es[0].Address != "198.51.3.0" {
			t.Fatalf("login events = %d %+v, %v", len(es), es[:min(len(es), 2)], err)
		}
		counts := map[string]int{}
		for _, e := range es {
			counts[e.Outcome]++
		}
		if counts[LoginSlowed] < 6 || counts[LoginBadCredentials] < 24 || counts[LoginOK] != 3 {
			t.Errorf("event outcomes = %v", counts)
		}
		var known bool
		for _, e := range es {
			known = known || e.KnownAddress && e.Address == "2001:db8:1:2::/64"
		}
		if !known {
			t.Error("no event marks the owner's known /64")
		}
	})

	t.Run("session expiry", func(t *testing.T) {
		clock := newTestClock()
		a := fast(newAccounts(t, clock))
		u, err := a.AddUser(ctx, "erika", "Erika", RoleAdmin, pw)
		if err != nil {
			t.Fatal(err)
		}
		token, s, err := a.NewSession(ctx, u)
		if err != nil {
			t.Fatal(err)
		}
		if len(token) < 40 || s.CSRF == "" || s.CSRF == token || s.User != "erika" || s.Role != RoleAdmin {
			t.Errorf("session = %+v (token %d chars)", s, len(token))
		}
		if !s.Expires.Equal(clock.Now().Add(DefaultSessionIdle)) {
			t.Errorf("expires %v, want now+idle", s.Expires)
		}
		got, err := a.Session(ctx, token)
		if err != nil || got.User != "erika" || got.CSRF != s.CSRF {
			t.Fatalf("session = %+v, %v", got, err)
		}
		// Used every 20 minutes it lives until the absolute limit.
		for clock.Now().Add(20 * time.Minute).Before(s.Created.Add(DefaultSessionMax)) {
			clock.Advance(20 * time.Minute)
			if _, err := a.Session(ctx, token); err != nil {
				t.Fatalf("session used every 20m ended at %v: %v", clock.Now().Sub(s.Created), err)
			}
		}
		clock.Set(s.Created.Add(DefaultSessionMax))
		if _, err := a.Session(ctx, token); !errors.Is(err, ErrNoSession) {
			t.Errorf("session after %v: %v, want ErrNoSession", DefaultSessionMax, err)
		}
		// Idle expiry.
		token, _, err = a.NewSession(ctx, u)
		if err != nil {
			t.Fatal(err)
		}
		clock.Advance(DefaultSessionIdle - time.Second)
		if _, err := a.Session(ctx, token); err != nil {
			t.Fatalf("just before idle expiry: %v", err)
		}
		clock.Advance(DefaultSessionIdle)
		if _, err := a.Session(ctx, token); !errors.Is(err, ErrNoSession) {
			t.Errorf("idle session: %v, want ErrNoSession", err)
		}
		// Logout.
		token, _, err = a.NewSession(ctx, u)
		if err != nil {
			t.Fatal(err)
		}
		if err := a.EndSession(ctx, token); err != nil {
			t.Fatal(err)
		}
		if _, err := a.Session(ctx, token); !errors.Is(err, ErrNoSession) {
			t.Errorf("ended session: %v", err)
		}
		if err := a.EndSession(ctx, "unknown"); err != nil {
			t.Errorf("end unknown session: %v", err)
		}
		if _, err := a.Session(ctx, ""); !errors.Is(err, ErrNoSession) {
			t.Errorf("empty token: %v", err)
		}
		if _, err := a.Session(ctx, "made-up-token"); !errors.Is(err, ErrNoSession) {
			t.Errorf("made-up token: %v", err)
		}
	})

	t.Run("canned replies", func(t *testing.T) {
		clock := newTestClock()
		a := fast(newAccounts(t, clock))
		if _, err := a.AddUser(ctx, "boss", "", RoleAdmin, pw); err != nil {
			t.Fatal(err)
		}
		if _, err := a.AddUser(ctx, "erika", "", RoleCaseworker, pw); err != nil {
			t.Fatal(err)
		}
		list, err := a.CannedReplies(ctx)
		if err != nil || list == nil || len(list) != 0 {
			t.Fatalf("initial canned = %v, %v", list, err)
		}
		want := []CannedReply{
			{Title: "Termin", Text: "Termine vergeben wir online unter …", Language: "de"},
			{Title: "Appointment", Text: "Book an appointment online at …", Language: "en"},
		}
		if err := a.SetCannedReplies(ctx, "erika", want); !errors.Is(err, ErrForbidden) {
			t.Errorf("caseworker edits canned replies: %v, want ErrForbidden", err)
		}
		if err := a.SetCannedReplies(ctx, "nobody", want); !errors.Is(err, ErrForbidden) {
			t.Errorf("unknown user edits canned replies: %v, want ErrForbidden", err)
		}
		if err := a.SetCannedReplies(ctx, "boss", want); err != nil {
			t.Fatal(err)
		}
		got, err := a.CannedReplies(ctx)
		if err != nil || len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
			t.Errorf("canned = %+v, %v", got, err)
		}
		for _, bad := range [][]CannedReply{
			{{Title: "", Text: "x"}},
			{{Title: "x", Text: " "}},
			{{Title: "x", Text: "y", Language: "fr"}},
			{{Title: strings.Repeat("t", 81), Text: "y"}},
		} {
			if err := a.SetCannedReplies(ctx, "boss", bad); !errors.Is(err, ErrInvalid) {
				t.Errorf("SetCannedReplies(%+v): %v, want ErrInvalid", bad, err)
			}
		}
		if err := a.SetDisabled(ctx, "boss", true); err != nil {
			t.Fatal(err)
		}
		if err := a.SetCannedReplies(ctx, "boss", nil); !errors.Is(err, ErrForbidden) {
			t.Errorf("disabled admin: %v", err)
		}
	})
}

func TestBcryptCost(t *testing.T) {
	ctx := context.Background()
	if _, err := NewMemory(Config{BcryptCost: 9}, "", Options{}); err == nil {
		t.Error("bcrypt cost 9 accepted")
	}
	a, err := NewMemory(testConfig(), "", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.AddUser(ctx, "erika", "", RoleCaseworker, pw); err != nil {
		t.Fatal(err)
	}
	stored, err := a.store.user(ctx, "erika")
	if err != nil {
		t.Fatal(err)
	}
	if cost, err := bcrypt.Cost([]byte(stored.Hash)); err != nil || cost < MinBcryptCost {
		t.Errorf("stored hash cost = %d, %v; want bcrypt with cost >= %d", cost, err, MinBcryptCost)
	}
	if strings.Contains(stored.Hash, pw) {
		t.Error("password stored in clear")
	}
	if _, err := a.Authenticate(ctx, "erika", pw, "ip"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Authenticate(ctx, "nobody", pw, "ip"); !errors.Is(err, ErrBadCredentials) {
		t.Fatal(err)
	}
	if cost, err := bcrypt.Cost(a.dummy); err != nil || cost != MinBcryptCost {
		t.Errorf("unknown users are compared against a hash of cost %d, %v; want the configured cost", cost, err)
	}
	// An old, cheaper hash is upgraded at the next login.
	fast(a)
	if err := a.SetPassword(ctx, "erika", pw); err != nil {
		t.Fatal(err)
	}
	a.cfg.BcryptCost = MinBcryptCost
	if _, err := a.Authenticate(ctx, "erika", pw, "ip"); err != nil {
		t.Fatal(err)
	}
	stored, _ = a.store.user(ctx, "erika")
	if cost, _ := bcrypt.Cost([]byte(stored.Hash)); cost != MinBcryptCost {
		t.Errorf("hash cost after login = %d, want it upgraded to %d", cost, MinBcryptCost)
	}
}

func TestFileAccountsShared(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "data", "users.json")
	// "civibot serve" has the file open; "civibot user add" writes it.
	serve, err := NewMemory(testConfig(), path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	fast(serve)
	if _, err := serve.User(ctx, "erika"); !errors.Is(err, ErrUserNotFound) {
		t.Fatalf("before: %v", err)
	}
	cli, err := NewMemory(testConfig(), path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	fast(cli)
	if _, err := cli.AddUser(ctx, "erika", "", RoleCaseworker, pw); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("accounts file mode %v, want 0600", st.Mode().Perm())
	}
	if _, err := serve.Authenticate(ctx, "erika", pw, "ip"); err != nil {
		t.Errorf("running instance does not see the added user: %v", err)
	}
	// Both write: neither loses the other's change.
	var wg sync.WaitGroup
	for i, a := range []*Store{serve, cli} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := a.AddUser(ctx, []string{"anna", "bert"}[i], "", RoleCaseworker, pw); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	us, err := cli.Users(ctx)
	if err != nil || len(us) != 3 {
		t.Errorf("users after concurrent adds = %v, %v", us, err)
	}
	if err := os.WriteFile(path, []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := serve.User(ctx, "erika"); err == nil || !strings.Contains(err.Error(), "not valid") {
		t.Errorf("corrupt file: %v, want a clear error", err)
	}
}

func TestRedisAccountsDown(t *testing.T) {
	ctx := context.Background()
	srv := redistest.Start(t)
	a, err := NewRedis(testConfig(), srv.Client(t), "", Options{})
	if err != nil {
		t.Fatal(err)
	}
	fast(a)
	if _, err := a.AddUser(ctx, "erika", "", RoleCaseworker, pw); err != nil {
		t.Fatal(err)
	}
	token, _, err := a.NewSession(ctx, User{Name: "erika", Role: RoleCaseworker, Gen: 1})
	if err != nil {
		t.Fatal(err)
	}

	srv.Stop(t)
	opCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	checks := map[string]error{}
	_, checks["authenticate"] = a.Authenticate(opCtx, "erika", pw, "ip")
	_, checks["session"] = a.Session(opCtx, token)
	_, checks["user"] = a.User(opCtx, "erika")
	_, checks["canned replies"] = a.CannedReplies(opCtx)
	for op, err := range checks {
		if !errors.Is(err, ErrUnavailable) {
			t.Errorf("%s while Redis is down: %v, want ErrUnavailable", op, err)
		}
	}

	srv.Restart(t)
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, err := a.Authenticate(ctx, "erika", pw, "ip")
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("authenticate after Redis came back: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if s, err := a.Session(ctx, token); err != nil || s.User != "erika" {
		t.Errorf("the session after Redis came back: %+v, %v", s, err)
	}
}

// newTestClock is a settable clock at a fixed time.
func newTestClock() *testtime.Clock {
	return testtime.NewClock(time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC))
}
