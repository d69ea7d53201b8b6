package controllers

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// fakeRedis plays the members for the envtest specs, keyed by address. A
// REPLICAOF to a known master syncs at once; calls are recorded.
type fakeRedis struct {
	mu      sync.Mutex
	members map[string]*replInfo
	calls   []string
	ids     atomic.Int64
	// configs are what CONFIG SET set, by address.
	configs map[string]map[string]string
}

var _ redisAdmin = (*fakeRedis)(nil)

func newFakeRedis() *fakeRedis {
	return &fakeRedis{members: map[string]*replInfo{}, configs: map[string]map[string]string{}}
}

// set places a member at ip; nil makes it silent.
func (f *fakeRedis) set(ip string, info *replInfo) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if info == nil {
		delete(f.members, memberAddr(ip, 6379))
		return
	}
	f.members[memberAddr(ip, 6379)] = info
}

// get is a copy of the member at ip.
func (f *fakeRedis) get(ip string) replInfo {
	f.mu.Lock()
	defer f.mu.Unlock()
	if m := f.members[memberAddr(ip, 6379)]; m != nil {
		return *m
	}
	return replInfo{}
}

func (f *fakeRedis) InfoReplication(_ context.Context, ep redisEndpoint) (replInfo, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	m := f.members[ep.Addr]
	if m == nil {
		return replInfo{}, fmt.Errorf("dial %s: connection refused", ep.Addr)
	}
	if ep.Password == "" {
		return replInfo{}, fmt.Errorf("%s: NOAUTH Authentication required", ep.Addr)
	}
	return *m, nil
}

func (f *fakeRedis) ReplicaOf(_ context.Context, ep redisEndpoint, host string, port int) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	m := f.members[ep.Addr]
	if m == nil {
		return fmt.Errorf("dial %s: connection refused", ep.Addr)
	}
	f.calls = append(f.calls, fmt.Sprintf("%s replicaof %s %d", ep.Addr, host, port))
	if host == "" {
		m.Role, m.MasterHost, m.MasterPort, m.LinkUp = "master", "", 0, false
		m.ReplID2, m.ReplID = m.ReplID, fmt.Sprintf("promoted-%d", f.ids.Add(1))
		return nil
	}
	m.Role, m.MasterHost, m.MasterPort = "slave", host, port
	if master := f.members[net.JoinHostPort(host, strconv.Itoa(port))]; master != nil && master.IsMaster() {
		m.LinkUp, m.SyncInProgress, m.ReplID, m.Offset = true, false, master.ReplID, master.Offset
	} else {
		m.LinkUp = false
	}
	return nil
}

func (f *fakeRedis) callLog() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

func (f *fakeRedis) PauseWrites(_ context.Context, ep redisEndpoint, d time.Duration) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.members[ep.Addr] == nil {
		return fmt.Errorf("dial %s: connection refused", ep.Addr)
	}
	f.calls = append(f.calls, fmt.Sprintf("%s client pause %d write", ep.Addr, d.Milliseconds()))
	// With writes held, the replicas linked to this master catch up.
	master := f.members[ep.Addr]
	for _, m := range f.members {
		if !m.IsMaster() && m.LinkUp && memberAddr(m.MasterHost, m.MasterPort) == ep.Addr {
			m.Offset = master.Offset
		}
	}
	return nil
}

// ConfigSet refuses what Redis refuses (needsRestart), all or nothing.
func (f *fakeRedis) ConfigSet(_ context.Context, ep redisEndpoint, ds []directive) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.members[ep.Addr] == nil {
		return fmt.Errorf("dial %s: connection refused", ep.Addr)
	}
	for _, d := range ds {
		if needsRestart(d.Key) {
			return fmt.Errorf("%w: ERR CONFIG SET failed (possibly related to argument '%s') - can't set immutable config",
				errConfigRefused, d.Key)
		}
	}
	if f.configs[ep.Addr] == nil {
		f.configs[ep.Addr] = map[string]string{}
	}
	for _, d := range ds {
		f.calls = append(f.calls, fmt.Sprintf("%s config set %s %s", ep.Addr, d.Key, d.Value))
		f.configs[ep.Addr][d.Key] = d.Value
	}
	return nil
}

// config is the value CONFIG SET gave key on the member at ip, "" if none.
func (f *fakeRedis) config(ip, key string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.configs[memberAddr(ip, 6379)][key]
}
