package conversation

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/civibot/civibot/internal/redistest"
	"github.com/redis/go-redis/v9"
)

func TestNewRedisClient(t *testing.T) {
	type want struct {
		kind     string // client, failover, cluster
		addr     string
		user     string
		password string
		db       int
		tls      bool
		dial     time.Duration
		read     time.Duration
	}
	for _, tc := range []struct {
		name string
		cfg  RedisConfig
		want want
	}{
		{"url", RedisConfig{URL: "redis://localhost:6379/0"},
			want{kind: "client", addr: "localhost:6379", dial: 2 * time.Second, read: 2 * time.Second}},
		{"url without port and db", RedisConfig{URL: "redis://redis.internal"},
			want{kind: "client", addr: "redis.internal:6379", dial: 2 * time.Second, read: 2 * time.Second}},
		{"url with credentials and db", RedisConfig{URL: "redis://bot:s3cret@10.0.0.5:6380/3"},
			want{kind: "client", addr: "10.0.0.5:6380", user: "bot", password: "s3cret", db: 3, dial: 2 * time.Second, read: 2 * time.Second}},
		{"rediss url", RedisConfig{URL: "rediss://redis.example.org:6380/0"},
			want{kind: "client", addr: "redis.example.org:6380", tls: true, dial: 2 * time.Second, read: 2 * time.Second}},
		{"url plus password and db from config", RedisConfig{URL: "redis://localhost", Password: "fromfile", DB: 2, TLS: true},
			want{kind: "client", addr: "localhost:6379", password: "fromfile", db: 2, tls: true, dial: 2 * time.Second, read: 2 * time.Second}},
		{"url timeouts kept", RedisConfig{URL: "redis://localhost?dial_timeout=5s&read_timeout=7s"},
			want{kind: "client", addr: "localhost:6379", dial: 5 * time.Second, read: 7 * time.Second}},
		{"one address", RedisConfig{Addrs: []string{"127.0.0.1:6379"}, Password: "pw", DB: 1},
			want{kind: "client", addr: "127.0.0.1:6379", password: "pw", db: 1, dial: 2 * time.Second, read: 2 * time.Second}},
		{"sentinel", RedisConfig{Addrs: []string{"s1:26379", "s2:26379", "s3:26379"}, MasterName: "mymaster", DB: 1},
			want{kind: "failover", db: 1}},
		{"cluster", RedisConfig{Addrs: []string{"n1:6379", "n2:6379", "n3:6379"}, Password: "pw", TLS: true},
			want{kind: "cluster", password: "pw", tls: true, dial: 2 * time.Second, read: 2 * time.Second}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := NewRedisClient(tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			switch cl := c.(type) {
			case *redis.Client:
				o := cl.Options()
				if tc.want.kind == "failover" {
					if o.Addr != "FailoverClient" || o.DB != tc.want.db {
						t.Fatalf("got a plain client for %s (db %d), want a Sentinel failover client", o.Addr, o.DB)
					}
					return
				}
				if tc.want.kind != "client" {
					t.Fatalf("got a plain client, want %s", tc.want.kind)
				}
				got := want{kind: "client", addr: o.Addr, user: o.Username, password: o.Password, db: o.DB,
					tls: o.TLSConfig != nil, dial: o.DialTimeout, read: o.ReadTimeout}
				if got != tc.want {
					t.Errorf("options %+v, want %+v", got, tc.want)
				}
				if o.WriteTimeout != 2*time.Second && o.WriteTimeout != tc.want.read {
					t.Errorf("write timeout %v", o.WriteTimeout)
				}
			case *redis.ClusterClient:
				o := cl.Options()
				if tc.want.kind != "cluster" {
					t.Fatalf("got a cluster client, want %s", tc.want.kind)
				}
				got := want{kind: "cluster", password: o.Password, tls: o.TLSConfig != nil, dial: o.DialTimeout, read: o.ReadTimeout}
				if got != tc.want || len(o.Addrs) != 3 {
					t.Errorf("options %+v addrs %v, want %+v", got, o.Addrs, tc.want)
				}
			default:
				t.Fatalf("client type %T", c)
			}
		})
	}
}

func TestRedisConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  RedisConfig
		want []string // every one must appear in the message
	}{
		{"nothing", RedisConfig{}, []string{"redis.url", "redis.addrs", "example: redis://localhost:6379/0"}},
		{"both", RedisConfig{URL: "redis://localhost", Addrs: []string{"localhost:6379"}}, []string{"either redis.url or redis.addrs"}},
		{"scheme", RedisConfig{URL: "http://localhost:6379"}, []string{"redis.url", "redis:// or rediss://", "example: redis://localhost:6379/0"}},
		{"no scheme", RedisConfig{URL: "localhost:6379"}, []string{"redis.url", "example"}},
		{"bad db path", RedisConfig{URL: "redis://localhost:6379/zero"}, []string{"redis.url", "database", "example"}},
		{"unknown query", RedisConfig{URL: "redis://:hunter2@localhost:6379/0?frobnicate=1"}, []string{"redis.url", "frobnicate"}},
		{"two passwords", RedisConfig{URL: "redis://:a@localhost", Password: "b"}, []string{"redis.password", "one place"}},
		{"two users", RedisConfig{URL: "redis://u1:a@localhost", Username: "u2"}, []string{"redis.username"}},
		{"two dbs", RedisConfig{URL: "redis://localhost/1", DB: 2}, []string{"redis.db", "database 1"}},
		{"bad addr", RedisConfig{Addrs: []string{"localhost"}}, []string{"redis.addrs[0]", "host:port", "example: localhost:6379"}},
		{"bad port", RedisConfig{Addrs: []string{"localhost:6379", "localhost:99999"}}, []string{"redis.addrs[1]", "port"}},
		{"no host", RedisConfig{Addrs: []string{":6379"}}, []string{"redis.addrs[0]", "no host"}},
		{"cluster db", RedisConfig{Addrs: []string{"a:1", "b:2"}, DB: 3}, []string{"redis.db", "cluster", "database 0"}},
		{"negative db", RedisConfig{Addrs: []string{"a:1"}, DB: -1}, []string{"redis.db", "0 or more"}},
		{"sentinel with url", RedisConfig{URL: "redis://localhost", MasterName: "m"}, []string{"redis.master_name", "redis.addrs"}},
		{"prefix", RedisConfig{URL: "redis://localhost", Prefix: "civi{bot}:"}, []string{"redis.prefix", "hash tags"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := NewRedisClient(tc.cfg)
			if err == nil {
				c.Close()
				t.Fatal("no error")
			}
			t.Log(err)
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("error %q shows the password", err)
			}
			if verr := tc.cfg.Validate(); verr == nil {
				t.Error("Validate accepts what NewRedisClient refuses")
			}
		})
	}
}

// TestNewRedisClientConnects: the clients built from a URL and from an
// address reach a real server and work as a backend.
func TestNewRedisClientConnects(t *testing.T) {
	srv := redistest.Start(t)
	for _, cfg := range []RedisConfig{{URL: srv.URL()}, {Addrs: []string{srv.Addr}}} {
		c, err := NewRedisClient(cfg)
		if err != nil {
			t.Fatal(err)
		}
		r := NewRedis(c, Options{Prefix: cfg.Prefix})
		if err := c.Ping(context.Background()).Err(); err != nil {
			t.Fatalf("%+v: ping: %v", cfg, err)
		}
		id := "c" + strings.ReplaceAll(srv.Addr, ":", "-") + map[bool]string{true: "u", false: "a"}[cfg.URL != ""]
		mustCreate(t, r, id)
		mustAppend(t, r, id, Message{Role: RoleCitizen, Text: "hallo"})
		_ = c.Close()
	}
}
