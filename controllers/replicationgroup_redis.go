package controllers

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"
)

// redisAdmin is what the operator needs from a member: read its
// replication state, point it at a master, hold writes for a switchover,
// and change its configuration at run time. Specs use a fake; the operator
// uses goRedisAdmin.
type redisAdmin interface {
	InfoReplication(ctx context.Context, ep redisEndpoint) (replInfo, error)
	// ReplicaOf sends REPLICAOF host port, or REPLICAOF NO ONE when host
	// is empty.
	ReplicaOf(ctx context.Context, ep redisEndpoint, host string, port int) error
	// PauseWrites sends CLIENT PAUSE <d> WRITE: the member holds write
	// commands (and answers them once the pause ends), so that a replica
	// can catch up before it is promoted.
	PauseWrites(ctx context.Context, ep redisEndpoint, d time.Duration) error
	// ConfigSet sends one CONFIG SET with every pair: Redis applies them
	// all or none.
	ConfigSet(ctx context.Context, ep redisEndpoint, directives []directive) error
}

// redisEndpoint is one member as the operator reaches it.
type redisEndpoint struct {
	Addr     string
	Password string
}

// nullReplID is the replid2 of a member that has no previous history.
const nullReplID = "0000000000000000000000000000000000000000"

// replInfo is the part of INFO replication the operator acts on.
type replInfo struct {
	// Role is "master" or "slave", as the server says it.
	Role string
	// ReplID and ReplID2 are master_replid and master_replid2: the
	// history the member holds and the one it descends from.
	ReplID, ReplID2 string
	// Offset is master_repl_offset (slave_repl_offset on a replica).
	Offset int64

	// Replica side.
	MasterHost       string
	MasterPort       int
	LinkUp           bool
	SyncInProgress   bool
	LastIOSecondsAgo int64
	hasReplicaOffset bool

	// Master side: the replicas connected to it.
	Replicas []connectedReplica
}

// connectedReplica is one slaveN line of a master's INFO replication.
type connectedReplica struct {
	IP     string
	Port   int
	State  string
	Offset int64
	Lag    int64
}

// IsMaster reports whether the member thinks it is a master.
func (i replInfo) IsMaster() bool { return i.Role == "master" }

// LinkStatus is master_link_status for a replica, empty for a master.
func (i replInfo) LinkStatus() string {
	switch {
	case i.IsMaster():
		return ""
	case i.LinkUp:
		return "up"
	default:
		return "down"
	}
}

// parseInfoReplication reads the text of INFO replication. Unknown fields
// are skipped, so both data planes and later Redis versions parse; a reply
// without a role is an error.
func parseInfoReplication(text string) (replInfo, error) {
	var info replInfo
	for line := range strings.Lines(text) {
		line = strings.TrimRight(line, "\r\n")
		key, value, ok := strings.Cut(line, ":")
		if !ok || strings.HasPrefix(line, "#") {
			continue
		}
		var err error
		switch key {
		case "role":
			info.Role = value
		case "master_replid":
			info.ReplID = value
		case "master_replid2":
			info.ReplID2 = value
		case "master_repl_offset":
			if !info.hasReplicaOffset {
				info.Offset, err = strconv.ParseInt(value, 10, 64)
			}
		case "slave_repl_offset":
			info.Offset, err = strconv.ParseInt(value, 10, 64)
			info.hasReplicaOffset = true
		case "master_host":
			info.MasterHost = value
		case "master_port":
			info.MasterPort, err = strconv.Atoi(value)
		case "master_link_status":
			info.LinkUp = value == "up"
		case "master_sync_in_progress":
			info.SyncInProgress = value == "1"
		case "master_last_io_seconds_ago":
			info.LastIOSecondsAgo, err = strconv.ParseInt(value, 10, 64)
		default:
			if n, ok := strings.CutPrefix(key, "slave"); ok && isDigits(n) {
				var r connectedReplica
				r, err = parseConnectedReplica(value)
				info.Replicas = append(info.Replicas, r)
			}
		}
		if err != nil {
			return replInfo{}, fmt.Errorf("parse INFO replication field %s: %w", key, err)
		}
	}
	if info.Role != "master" && info.Role != "slave" {
		return replInfo{}, fmt.Errorf("parse INFO replication: role %q is neither master nor slave", info.Role)
	}
	return info, nil
}

// parseConnectedReplica reads "ip=10.0.0.2,port=6379,state=online,offset=42,lag=0".
func parseConnectedReplica(value string) (connectedReplica, error) {
	var r connectedReplica
	for field := range strings.SplitSeq(value, ",") {
		k, v, _ := strings.Cut(field, "=")
		var err error
		switch k {
		case "ip":
			r.IP = v
		case "port":
			r.Port, err = strconv.Atoi(v)
		case "state":
			r.State = v
		case "offset":
			r.Offset, err = strconv.ParseInt(v, 10, 64)
		case "lag":
			r.Lag, err = strconv.ParseInt(v, 10, 64)
		}
		if err != nil {
			return connectedReplica{}, fmt.Errorf("field %s: %w", k, err)
		}
	}
	return r, nil
}

func isDigits(s string) bool {
	return s != "" && strings.Trim(s, "0123456789") == ""
}

// goRedisAdmin talks to members with go-redis, one short-lived connection
// per call: a poll every second or two does not need a pool, and a pod
// that moved to a new IP leaves nothing behind.
type goRedisAdmin struct {
	// Timeout bounds each call (dial, write, read) on top of ctx.
	Timeout time.Duration
}

func (a goRedisAdmin) client(ep redisEndpoint) *redis.Client {
	return redis.NewClient(&redis.Options{
		Addr:            ep.Addr,
		Password:        ep.Password,
		Protocol:        2,
		DialTimeout:     a.Timeout,
		ReadTimeout:     a.Timeout,
		WriteTimeout:    a.Timeout,
		MaxRetries:      -1,
		PoolSize:        1,
		DisableIdentity: true,
		// Both data planes are plain Redis 7.0 servers: skip the
		// handshake probes that only managed services answer.
		MaintNotificationsConfig: &maintnotifications.Config{Mode: maintnotifications.ModeDisabled},
	})
}

func (a goRedisAdmin) InfoReplication(ctx context.Context, ep redisEndpoint) (replInfo, error) {
	ctx, cancel := context.WithTimeout(ctx, a.Timeout)
	defer cancel()
	c := a.client(ep)
	defer c.Close()
	text, err := c.Info(ctx, "replication").Result()
	if err != nil {
		return replInfo{}, fmt.Errorf("info replication on %s: %w", ep.Addr, err)
	}
	return parseInfoReplication(text)
}

func (a goRedisAdmin) ReplicaOf(ctx context.Context, ep redisEndpoint, host string, port int) error {
	ctx, cancel := context.WithTimeout(ctx, a.Timeout)
	defer cancel()
	c := a.client(ep)
	defer c.Close()
	args := []any{"replicaof", "no", "one"}
	if host != "" {
		args = []any{"replicaof", host, strconv.Itoa(port)}
	}
	if err := c.Do(ctx, args...).Err(); err != nil {
		return fmt.Errorf("replicaof on %s: %w", ep.Addr, err)
	}
	return nil
}

func (a goRedisAdmin) PauseWrites(ctx context.Context, ep redisEndpoint, d time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, a.Timeout)
	defer cancel()
	c := a.client(ep)
	defer c.Close()
	if err := c.Do(ctx, "client", "pause", strconv.FormatInt(max(d.Milliseconds(), 1), 10), "write").Err(); err != nil {
		return fmt.Errorf("client pause on %s: %w", ep.Addr, err)
	}
	return nil
}

func (a goRedisAdmin) ConfigSet(ctx context.Context, ep redisEndpoint, directives []directive) error {
	ctx, cancel := context.WithTimeout(ctx, a.Timeout)
	defer cancel()
	c := a.client(ep)
	defer c.Close()
	args := []any{"config", "set"}
	for _, d := range directives {
		args = append(args, d.Key, d.Value)
	}
	err := c.Do(ctx, args...).Err()
	var reply redis.Error
	switch {
	case errors.As(err, &reply):
		return fmt.Errorf("config set on %s: %w: %w", ep.Addr, errConfigRefused, err)
	case err != nil:
		return fmt.Errorf("config set on %s: %w", ep.Addr, err)
	}
	return nil
}

// memberAddr is where the operator reaches a member.
func memberAddr(ip string, port int) string {
	return net.JoinHostPort(ip, strconv.Itoa(port))
}
