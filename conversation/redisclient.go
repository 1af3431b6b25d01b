package conversation

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// RedisConfig says how to reach Redis. Set either URL (one server) or Addrs
// (one server, Sentinel with MasterName, or Cluster with several addresses).
type RedisConfig struct {
	// URL is a redis:// or rediss:// (TLS) URL, e.g.
	// redis://:secret@localhost:6379/0. go-redis query parameters such as
	// dial_timeout are accepted.
	URL string `yaml:"url"`
	// Addrs are host:port addresses: one server; Sentinel addresses when
	// MasterName is set; Cluster seed nodes when there are several.
	Addrs []string `yaml:"addrs"`
	// MasterName is the Sentinel master name.
	MasterName string `yaml:"master_name"`
	// Username and Password authenticate to Redis (with a URL, they may be
	// given here instead of in the URL, e.g. from a *_FILE secret).
	Username string `yaml:"username"`
	Password string `yaml:"password"`
	// DB is the database number (not with Cluster).
	DB int `yaml:"db"`
	// TLS connects with TLS (same as a rediss:// URL).
	TLS bool `yaml:"tls"`
	// Prefix starts every key (default "civibot:"); pass it to
	// Options.Prefix.
	Prefix string `yaml:"prefix"`
	// WaitReplicas: a message counts as received (the citizen sees it
	// echoed, the webhook is answered) only once this many replicas have
	// it, so a Sentinel failover cannot lose it (Options.WaitReplicas).
	// 0: once the master has it.
	WaitReplicas int `yaml:"wait_replicas"`
	// WaitTimeout: how long a message waits for the replicas before the
	// sender is told to retry (default 1s).
	WaitTimeout time.Duration `yaml:"wait_timeout"`
}

// StoreOptions are the conversation store's options from this config.
func (c RedisConfig) StoreOptions(retention time.Duration) Options {
	return Options{Prefix: c.KeyPrefix(), Retention: retention, WaitReplicas: c.WaitReplicas, WaitTimeout: c.WaitTimeout}
}

// Timeouts of clients built by NewRedisClient, unless the URL sets them.
const (
	redisDialTimeout  = 2 * time.Second
	redisReadTimeout  = 2 * time.Second
	redisWriteTimeout = 2 * time.Second
	// redisDialerRetries: go-redis dials 5 times per connection by default,
	// which with its command retries makes a call to a Redis that is down
	// take seconds. Two dials per attempt fail fast and still ride out a
	// blip.
	redisDialerRetries = 2
	// clusterMaxRedirects: how often a Cluster command follows MOVED or
	// ASK or waits out TRYAGAIN (go-redis default 3). While a slot
	// migrates, a multi-key script meets TRYAGAIN until all its keys have
	// moved; go-redis backs off 8 ms, 16 ms, … 512 ms between attempts, so
	// 10 attempts ride out about 2 s of migration (TestClusterSlotMigration
	// and TestRedisQueueSlotMigration failed with 3).
	clusterMaxRedirects = 10
)

// Validate checks the config without connecting. Its messages name the
// setting and say how to fix it.
func (c RedisConfig) Validate() error {
	var errs []error
	switch {
	case c.URL == "" && len(c.Addrs) == 0:
		errs = append(errs, errors.New("redis.url: not set; set redis.url (example: redis://localhost:6379/0) or redis.addrs"))
	case c.URL != "" && len(c.Addrs) > 0:
		errs = append(errs, errors.New("redis.url and redis.addrs: both set; set either redis.url or redis.addrs, not both"))
	case c.URL != "":
		if _, err := c.urlOptions(); err != nil {
			errs = append(errs, err)
		}
	default:
		for i, a := range c.Addrs {
			if err := checkAddr(a); err != nil {
				errs = append(errs, fmt.Errorf("redis.addrs[%d]: %w (example: localhost:6379)", i, err))
			}
		}
		if c.MasterName == "" && len(c.Addrs) > 1 && c.DB != 0 {
			errs = append(errs, errors.New("redis.db: a cluster (several redis.addrs without redis.master_name) has only database 0; remove redis.db"))
		}
	}
	if c.MasterName != "" && c.URL != "" {
		errs = append(errs, errors.New("redis.master_name: Sentinel needs redis.addrs (the Sentinel addresses), not redis.url"))
	}
	if c.WaitReplicas < 0 || c.WaitReplicas > 16 {
		errs = append(errs, fmt.Errorf("redis.wait_replicas: must be 0 (off) to 16, got %d", c.WaitReplicas))
	}
	if c.WaitTimeout < 0 || c.WaitTimeout > time.Minute {
		errs = append(errs, fmt.Errorf("redis.wait_timeout: must be 0s (default 1s) to 1m, got %v", c.WaitTimeout))
	}
	if c.DB < 0 {
		errs = append(errs, fmt.Errorf("redis.db: must be 0 or more, got %d", c.DB))
	}
	if strings.ContainsAny(c.Prefix, "{}") {
		errs = append(errs, fmt.Errorf("redis.prefix: %q must not contain { or } (they would break the hash tags that keep a conversation's keys in one cluster slot)", c.Prefix))
	}
	return errors.Join(errs...)
}

func checkAddr(a string) error {
	host, port, err := net.SplitHostPort(a)
	if err != nil {
		return fmt.Errorf("%q is not host:port", a)
	}
	if host == "" {
		return fmt.Errorf("%q has no host", a)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return fmt.Errorf("%q has no valid port", a)
	}
	return nil
}

// urlOptions parses URL and merges Username, Password, DB and TLS into it.
func (c RedisConfig) urlOptions() (*redis.Options, error) {
	const example = "(example: redis://localhost:6379/0, or rediss://user:password@redis.example.org:6380/0 for TLS)"
	u, err := url.Parse(c.URL)
	if err != nil {
		return nil, fmt.Errorf("redis.url: not a URL %s", example)
	}
	if u.Scheme != "redis" && u.Scheme != "rediss" {
		return nil, fmt.Errorf("redis.url: scheme must be redis:// or rediss://, not %q %s", u.Scheme+"://", example)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("redis.url: no host %s", example)
	}
	o, err := redis.ParseURL(c.URL)
	if err != nil {
		// go-redis errors may quote the URL; keep the password out of them.
		msg := err.Error()
		if p, ok := u.User.Password(); ok && p != "" {
			msg = strings.ReplaceAll(msg, p, "xxx")
		}
		return nil, fmt.Errorf("redis.url: %s %s", msg, example)
	}
	if c.Username != "" {
		if o.Username != "" && o.Username != c.Username {
			return nil, errors.New("redis.username: the URL names another user; set the user in one place")
		}
		o.Username = c.Username
	}
	if c.Password != "" {
		if o.Password != "" && o.Password != c.Password {
			return nil, errors.New("redis.password: the URL holds another password; set the password in one place")
		}
		o.Password = c.Password
	}
	if c.DB != 0 {
		if o.DB != 0 && o.DB != c.DB {
			return nil, fmt.Errorf("redis.db: %d, but the URL selects database %d; set the database in one place", c.DB, o.DB)
		}
		o.DB = c.DB
	}
	if c.TLS && o.TLSConfig == nil {
		o.TLSConfig = tlsConfig()
	}
	return o, nil
}

// tlsConfig verifies the server against the system roots; the server name
// is taken from each address dialled.
func tlsConfig() *tls.Config {
	return &tls.Config{MinVersion: tls.VersionTLS12}
}

func orDefault(d, def time.Duration) time.Duration {
	if d == 0 {
		return def
	}
	return d
}

// NewRedisClient builds the client cfg describes: a plain client for a URL
// or one address, a Sentinel failover client for Addrs with MasterName, a
// Cluster client for several Addrs. It does not connect; the first command
// does. Timeouts: dial, read and write 2s unless the URL sets them.
func NewRedisClient(cfg RedisConfig) (redis.UniversalClient, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("conversation: redis client: %w", err)
	}
	var tc *tls.Config
	if cfg.TLS {
		tc = tlsConfig()
	}
	switch {
	case cfg.URL != "":
		o, err := cfg.urlOptions()
		if err != nil {
			return nil, fmt.Errorf("conversation: redis client: %w", err)
		}
		o.DialTimeout = orDefault(o.DialTimeout, redisDialTimeout)
		o.ReadTimeout = orDefault(o.ReadTimeout, redisReadTimeout)
		o.WriteTimeout = orDefault(o.WriteTimeout, redisWriteTimeout)
		if o.DialerRetries == 0 {
			o.DialerRetries = redisDialerRetries
		}
		return redis.NewClient(o), nil
	case cfg.MasterName != "":
		return redis.NewFailoverClient(&redis.FailoverOptions{
			MasterName:    cfg.MasterName,
			SentinelAddrs: cfg.Addrs,
			Username:      cfg.Username,
			Password:      cfg.Password,
			DB:            cfg.DB,
			TLSConfig:     tc,
			DialTimeout:   redisDialTimeout,
			ReadTimeout:   redisReadTimeout,
			WriteTimeout:  redisWriteTimeout,
			DialerRetries: redisDialerRetries,
		}), nil
	case len(cfg.Addrs) > 1:
		return redis.NewClusterClient(&redis.ClusterOptions{
			Addrs:         cfg.Addrs,
			MaxRedirects:  clusterMaxRedirects,
			Username:      cfg.Username,
			Password:      cfg.Password,
			TLSConfig:     tc,
			DialTimeout:   redisDialTimeout,
			ReadTimeout:   redisReadTimeout,
			WriteTimeout:  redisWriteTimeout,
			DialerRetries: redisDialerRetries,
		}), nil
	default:
		return redis.NewClient(&redis.Options{
			Addr:          cfg.Addrs[0],
			Username:      cfg.Username,
			Password:      cfg.Password,
			DB:            cfg.DB,
			TLSConfig:     tc,
			DialTimeout:   redisDialTimeout,
			ReadTimeout:   redisReadTimeout,
			WriteTimeout:  redisWriteTimeout,
			DialerRetries: redisDialerRetries,
		}), nil
	}
}

// KeyPrefix is the prefix of every key civibot writes: Prefix, or
// DefaultPrefix when none is set.
func (c RedisConfig) KeyPrefix() string {
	if c.Prefix == "" {
		return DefaultPrefix
	}
	return c.Prefix
}
