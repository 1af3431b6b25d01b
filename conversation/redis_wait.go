package conversation

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/redis/go-redis/v9"
)

// runAppend runs the append script. With Options.WaitReplicas it runs the
// script and WAIT on one connection (a pipeline on the master that holds
// the conversation's slot): WAIT counts the replicas that have this
// connection's last write, and since the replication stream is one ordered
// log, everything written before it — the conversation's creation by
// another connection included — is on those replicas too.
func (r *Redis) runAppend(ctx context.Context, keys []string, args ...any) ([]any, error) {
	if r.waitReplicas <= 0 {
		return r.appendScript.Run(ctx, r.client, keys, args...).Slice()
	}
	c, err := r.masterFor(ctx, keys[0])
	if err != nil {
		return nil, err
	}
	for attempt := 0; ; attempt++ {
		var script *redis.Cmd
		var wait *redis.Cmd
		_, err := c.Pipelined(ctx, func(p redis.Pipeliner) error {
			if attempt == 0 {
				script = p.EvalSha(ctx, r.appendScript.Hash(), keys, args...)
			} else {
				script = p.Eval(ctx, appendLua, keys, args...)
			}
			wait = p.Do(ctx, "wait", r.waitReplicas, r.waitTimeout.Milliseconds())
			return nil
		})
		if attempt == 0 && script != nil && isNoScript(script.Err()) {
			continue // the script cache is empty (a restart, a failover): send it whole
		}
		if err != nil {
			return nil, err
		}
		res, err := script.Slice()
		if err != nil {
			return nil, err
		}
		if n, _ := wait.Int64(); n < int64(r.waitReplicas) {
			return nil, fmt.Errorf("%w: stored on the master, but only %d of %d replicas confirmed it within %v",
				ErrUnavailable, n, r.waitReplicas, r.waitTimeout)
		}
		return res, nil
	}
}

// masterFor is the client whose one connection a pipeline uses: the
// client itself (one server, Sentinel), or the master holding key's slot
// (Cluster).
func (r *Redis) masterFor(ctx context.Context, key string) (*redis.Client, error) {
	switch c := r.client.(type) {
	case *redis.Client:
		return c, nil
	case *redis.ClusterClient:
		m, err := c.MasterForKey(ctx, key)
		if err != nil {
			return nil, err
		}
		return m, nil
	}
	return nil, errors.New("wait for replicas: needs a single server, Sentinel or Cluster client")
}

func isNoScript(err error) bool {
	return err != nil && strings.HasPrefix(err.Error(), "NOSCRIPT")
}
