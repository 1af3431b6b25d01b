package conversation

import (
	"errors"
	"strings"

	"github.com/redis/go-redis/v9"
)

// clusterMoving reports an answer of a Redis Cluster whose slot is being
// migrated: ASK (this key has moved already), MOVED (the slot has), TRYAGAIN
// (the keys of a multi-key command are split between the nodes for now), or
// a transaction aborted for one of these. go-redis follows them for single
// commands and scripts, not inside a WATCH/MULTI transaction: that is run
// again from the start.
func clusterMoving(err error) bool {
	var rerr redis.Error
	if !errors.As(err, &rerr) {
		return false
	}
	s := rerr.Error()
	return strings.HasPrefix(s, "ASK ") || strings.HasPrefix(s, "MOVED ") || strings.HasPrefix(s, "TRYAGAIN") ||
		strings.HasPrefix(s, "EXECABORT")
}
