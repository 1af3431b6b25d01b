// Command civibot is the citizen-service assistant: one binary for serving
// the channels and the console, ingesting a city's pages, asking and
// evaluating the bot, and administering caseworkers.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
	// Time zones built in: office hours and analytics days are wall-clock
	// time in an IANA zone, also on hosts and images without zoneinfo.
	_ "time/tzdata"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], &cli{
		stdin:  os.Stdin,
		stdout: os.Stdout,
		stderr: os.Stderr,
		getenv: os.Getenv,
	})
	stop()
	os.Exit(code)
}
