// Command civibot-load puts load on a running civibot's web chat: N
// concurrent WebSocket chats that ask the sample city's questions at a set
// rate, or N idle connections held open. It reports messages per second,
// reply latency (p50, p90, p99, max), and lost, duplicated and out-of-order
// messages; for idle connections, the server's memory per connection.
//
//	civibot-load -url ws://127.0.0.1:8080/ws -chats 1000 -rate 2 -duration 30s
//	civibot-load -url ws://127.0.0.1:8080/ws -idle 10000 -pid $(pgrep -f 'civibot serve')
//	civibot-load -soak -civibot ./civibot -duration 1h -soak-rate 10
//	civibot-load -fake-embedder 127.0.0.1:18090 -fake-embedder-delay 200ms
//
// -soak starts its own Redis and two civibot instances on it, fakes of the
// Telegram Bot API and Twilio's REST API, and runs web chat, Telegram and
// SMS citizens, caseworkers claiming, replying and giving back, page
// reloads, one Redis restart and one instance restart per hour and
// retention purges; it samples memory, goroutines, file descriptors and
// Redis, verifies every acknowledged message against Redis, and writes
// samples.csv, soak.png and summary.txt.
//
// -fake-embedder serves a stand-in for a remote embedding model (an
// OpenAI-compatible embeddings API whose every request takes
// -fake-embedder-delay), to measure civibot with a slow remote embedder.
//
// The server's per-connection and per-address rate limits must allow the
// load (all chats come from one address), e.g.
//
//	civibot serve --set webchat.messages_per_minute=100000 --set webchat.message_burst=1000 \
//	  --set webchat.ip_messages_per_minute=100000000 --set webchat.ip_message_burst=100000 \
//	  --set webchat.ip_connections=100000 --set webchat.ip_connects_per_minute=1000000 \
//	  --set webchat.ip_connect_burst=100000 --set webchat.address_bytes_per_day=1099511627776 \
//	  --set webchat.conversation_bytes_per_day=1099511627776
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("civibot-load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o options
	fs.StringVar(&o.url, "url", "ws://127.0.0.1:8080/ws", "the chat WebSocket URL")
	fs.StringVar(&o.origin, "origin", "", "Origin header to send (default: none, like a non-browser client)")
	fs.IntVar(&o.chats, "chats", 100, "concurrent chats")
	fs.Float64Var(&o.rate, "rate", 2, "messages per second per chat (open loop, evenly spread)")
	fs.DurationVar(&o.duration, "duration", 20*time.Second, "how long to send")
	fs.DurationVar(&o.drain, "drain", 10*time.Second, "how long to wait for replies after the last send")
	fs.IntVar(&o.dialers, "dialers", 100, "connections opened at once while ramping up")
	fs.IntVar(&o.idle, "idle", 0, "instead of chatting, hold this many idle connections (each says hello)")
	fs.DurationVar(&o.hold, "hold", 10*time.Second, "with -idle: how long to hold the connections after they are open")
	fs.IntVar(&o.pid, "pid", 0, "with -idle: the server's process id, to report its memory per connection (Linux)")
	fs.BoolVar(&o.withConversation, "with-conversation", false, "with -idle: each connection first has a one-question conversation, then resumes it (like a page reload)")
	fs.StringVar(&o.lang, "lang", "de", "question language: de, en or mixed")
	var so soakOptions
	fakeEmbedder := fs.String("fake-embedder", "", "instead of load: serve a fake OpenAI-compatible embedder on this address (e.g. 127.0.0.1:18090) until interrupted")
	embedDelay := fs.Duration("fake-embedder-delay", 200*time.Millisecond, "with -fake-embedder: how long each request takes")
	soakMode := fs.Bool("soak", false, "soak test: start two civibot instances on one Redis and run web chat, Telegram and SMS traffic with caseworkers, restarts and purges (see -soak-* flags)")
	fs.StringVar(&so.civibot, "civibot", "civibot", "with -soak: the civibot binary")
	fs.StringVar(&so.redisServer, "redis-server", "redis-server", "with -soak: the redis-server binary")
	fs.StringVar(&so.out, "soak-out", "soak-out", "with -soak: directory for samples.csv, soak.png, summary.txt and the servers' logs")
	fs.Float64Var(&so.rate, "soak-rate", 10, "with -soak: citizen messages per second over all channels (60% web, 25% Telegram, 15% SMS)")
	fs.DurationVar(&so.sample, "soak-sample", 10*time.Second, "with -soak: sampling interval")
	fs.DurationVar(&so.warmup, "soak-warmup", 10*time.Minute, "with -soak: samples before this are warm-up (not judged for flatness)")
	fs.DurationVar(&so.restarts, "soak-restarts", time.Hour, "with -soak: one Redis restart and one instance restart per this interval (0: none)")
	fs.DurationVar(&so.purgeEvery, "soak-purge-every", 5*time.Minute, "with -soak: run `civibot conversations purge` this often")
	fs.DurationVar(&so.purgeOlderThan, "soak-purge-older-than", 15*time.Minute, "with -soak: the purge's --older-than")
	fs.IntVar(&so.caseworkers, "soak-caseworkers", 3, "with -soak: caseworkers claiming, replying and giving back")
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	if *fakeEmbedder != "" {
		if err := serveFakeEmbedder(ctx, *fakeEmbedder, *embedDelay, stdout); err != nil {
			fmt.Fprintf(stderr, "civibot-load: fake embedder: %v\n", err)
			return 1
		}
		return 0
	}
	if *soakMode {
		so.duration = o.duration
		if so.rate <= 0 || so.duration <= 0 || so.sample <= 0 || so.purgeEvery <= 0 || so.caseworkers < 0 {
			fmt.Fprintln(stderr, "civibot-load: -soak-rate, -duration, -soak-sample and -soak-purge-every must be positive")
			return 2
		}
		if err := runSoak(ctx, so, stdout, stderr); err != nil {
			fmt.Fprintf(stderr, "civibot-load: soak: %v\n", err)
			return 1
		}
		return 0
	}
	if o.chats <= 0 || o.rate <= 0 || o.dialers <= 0 || o.duration <= 0 {
		fmt.Fprintln(stderr, "civibot-load: -chats, -rate, -dialers and -duration must be positive")
		return 2
	}
	var err error
	if o.idle > 0 {
		var r idleReport
		r, err = runIdle(ctx, o, stderr)
		if err == nil {
			r.print(stdout)
		}
	} else {
		var r report
		r, err = runChats(ctx, o, stderr)
		if err == nil {
			r.print(stdout)
			if r.lost > 0 || r.duplicated > 0 || r.outOfOrder > 0 {
				return 1
			}
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "civibot-load: %v\n", err)
		return 1
	}
	return 0
}
