package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/civibot/civibot/accounts"
	"github.com/civibot/civibot/channels"
	"github.com/civibot/civibot/conversation"
	"github.com/civibot/civibot/handoff"
)

const conversationsSynopsis = `purge [--older-than 720h] [--id ID] [--redis-url URL]

Deletes stored conversations: all last written longer ago than
--older-than (default: conversations.retention from the config, 720h), or,
with --id, the one conversation ID (a citizen's request for erasure),
including its place in the handoff queue and the tickets.
Conversations also expire by themselves after the retention time.
Without Redis, conversations live only in the memory of the running
civibot serve: there is nothing to purge from outside it.`

// runConversations administers stored conversations.
func runConversations(ctx context.Context, c *cli, args []string) error {
	fs := newFlagSet(c, "conversations", conversationsSynopsis)
	state := addStateFlags(fs, c)
	olderThan := fs.Duration("older-than", 0, "purge: delete conversations last written longer ago than this (default: conversations.retention, 720h)")
	id := fs.String("id", "", "purge: delete only this conversation (its id as shown in the console)")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 || pos[0] != "purge" {
		fs.Usage()
		return fmt.Errorf("%w: the only action is purge", errUsage)
	}
	if *olderThan < 0 {
		return fmt.Errorf("%w: --older-than must be positive, e.g. 720h", errUsage)
	}
	cfg, err := state.load(c)
	if err != nil {
		return err
	}
	if *olderThan == 0 {
		*olderThan = cfg.Conversations.Retention
	}
	if *olderThan <= 0 {
		return fmt.Errorf("%w: --older-than must be positive, e.g. 720h", errUsage)
	}
	if !usesRedis(cfg) {
		return errors.New("no Redis configured (--redis-url or redis.url): without Redis, conversations live only in the memory of the running `civibot serve`, end with it and expire after the retention time, so there is nothing to purge from here")
	}
	rdb, prefix, err := redisState(cfg)
	if err != nil {
		return err
	}
	defer rdb.Close()
	store := conversation.NewRedis(rdb, conversation.Options{Prefix: prefix, Retention: cfg.Conversations.Retention})
	queue, err := handoff.NewRedisQueue(rdb, prefix)
	if err != nil {
		return err
	}
	accts, err := accounts.NewRedis(cfg.Handoff.Accounts, rdb, prefix, accounts.Options{})
	if err != nil {
		return err
	}
	desk, err := handoff.New(cfg.Handoff, handoff.Options{State: store, Queue: queue, Registry: channels.NewRegistry(), Users: accts})
	if err != nil {
		return err
	}

	if *id != "" {
		_, getErr := store.Get(ctx, *id)
		if getErr != nil && !errors.Is(getErr, conversation.ErrNotFound) {
			return explain(getErr, "")
		}
		if err := desk.Forget(ctx, *id); err != nil {
			return explain(err, "")
		}
		if errors.Is(getErr, conversation.ErrNotFound) {
			fmt.Fprintf(c.stdout, "no conversation %s is stored (deleted or expired before); removed any queue entry\n", *id)
			return nil
		}
		fmt.Fprintf(c.stdout, "deleted conversation %s\n", *id)
		return nil
	}
	n, err := desk.Purge(ctx, *olderThan)
	if err != nil {
		return explain(err, "")
	}
	fmt.Fprintf(c.stdout, "deleted %d conversations last written more than %s ago\n", n, *olderThan)
	return nil
}
