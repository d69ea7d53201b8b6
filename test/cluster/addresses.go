package cluster

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
)

// Blocks 127.0.X.0/24 (pods) and 127.0.X+1.0/24 (Services) with X even in
// [firstBlock, lastBlock]: clear of 127.0.0.1, where the control plane
// listens.
const (
	firstBlock = 10
	lastBlock  = 248
)

var errNoAddress = errors.New("cluster: no free loopback address")

// blockLock holds a pair of /24 blocks for this cluster: an exclusive flock
// on a file named after X, released when the process exits, so that clusters
// of concurrent tests or a demo never share an address.
type blockLock struct {
	x    int
	file *os.File
}

func lockBlock() (*blockLock, error) {
	n := (lastBlock-firstBlock)/2 + 1
	start := rand.IntN(n)
	for i := range n {
		x := firstBlock + 2*((start+i)%n)
		name := filepath.Join(os.TempDir(), "replikube-cluster-127.0."+strconv.Itoa(x)+".lock")
		f, err := os.OpenFile(name, os.O_CREATE|os.O_RDWR, 0o600)
		if err != nil {
			return nil, fmt.Errorf("open %s: %w", name, err)
		}
		if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
			f.Close()
			continue
		}
		return &blockLock{x: x, file: f}, nil
	}
	return nil, fmt.Errorf("lock an address block: %w", errNoAddress)
}

func (b *blockLock) release() { b.file.Close() }

// ipPool hands out the addresses of one /24 block, 127.0.X.1 to .254. A
// freed address goes to the back of the queue so that a new pod does not
// reuse the address a deleted one had just given up.
type ipPool struct {
	mu   sync.Mutex
	free []net.IP
	used map[string]bool
}

func newIPPool(x int) *ipPool {
	p := &ipPool{used: map[string]bool{}}
	for y := 1; y <= 254; y++ {
		p.free = append(p.free, net.IPv4(127, 0, byte(x), byte(y)).To4())
	}
	return p
}

func (p *ipPool) get() (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.free) == 0 {
		return "", errNoAddress
	}
	ip := p.free[0].String()
	p.free = p.free[1:]
	p.used[ip] = true
	return ip, nil
}

func (p *ipPool) put(ip string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.used[ip] {
		return
	}
	delete(p.used, ip)
	p.free = append(p.free, net.ParseIP(ip).To4())
}

// freePort is a port on 127.0.0.1 that nothing listens on right now.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
