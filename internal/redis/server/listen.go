package server

import (
	"fmt"
	"net"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// listener is a non-blocking listening socket owned by the event loop.
type listener struct {
	fd   int
	addr *net.TCPAddr
}

func (ln *listener) close() { _ = unix.Close(ln.fd) }

// listenTCP opens a non-blocking listening socket on addr (an IP or a
// host name, "" meaning all addresses of the family) as redis-server does:
// SO_REUSEADDR, IPV6_V6ONLY for IPv6 so that "*" and "::*" can coexist, and
// tcp-backlog 511.
func listenTCP(network, host string, port int) (*listener, error) {
	ta, err := net.ResolveTCPAddr(network, net.JoinHostPort(host, strconv.Itoa(port)))
	if err != nil {
		return nil, err
	}
	family := unix.AF_INET
	if network == "tcp6" {
		family = unix.AF_INET6
	}
	fd, err := unix.Socket(family, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("socket: %w", err)
	}
	if err := listenFD(fd, family, ta); err != nil {
		_ = unix.Close(fd)
		return nil, err
	}
	sa, err := unix.Getsockname(fd)
	if err != nil {
		_ = unix.Close(fd)
		return nil, fmt.Errorf("getsockname: %w", err)
	}
	return &listener{fd: fd, addr: sockaddrTCP(sa)}, nil
}

func listenFD(fd, family int, ta *net.TCPAddr) error {
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1); err != nil {
		return fmt.Errorf("setsockopt SO_REUSEADDR: %w", err)
	}
	var sa unix.Sockaddr
	if family == unix.AF_INET6 {
		if err := unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, 1); err != nil {
			return fmt.Errorf("setsockopt IPV6_V6ONLY: %w", err)
		}
		a := &unix.SockaddrInet6{Port: ta.Port}
		copy(a.Addr[:], ta.IP.To16())
		sa = a
	} else {
		a := &unix.SockaddrInet4{Port: ta.Port}
		if ip4 := ta.IP.To4(); ip4 != nil {
			copy(a.Addr[:], ip4)
		}
		sa = a
	}
	if err := unix.Bind(fd, sa); err != nil {
		return fmt.Errorf("bind: %w", err)
	}
	if err := unix.Listen(fd, 511); err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	return nil
}

// sockaddrTCP converts a socket address to the net form used for addr and
// laddr ("ip:port", "[ip6]:port").
func sockaddrTCP(sa unix.Sockaddr) *net.TCPAddr {
	switch a := sa.(type) {
	case *unix.SockaddrInet4:
		return &net.TCPAddr{IP: net.IP(append([]byte(nil), a.Addr[:]...)), Port: a.Port}
	case *unix.SockaddrInet6:
		return &net.TCPAddr{IP: net.IP(append([]byte(nil), a.Addr[:]...)), Port: a.Port}
	}
	return &net.TCPAddr{}
}

// bindAll opens a listener per bind address. A bind address prefixed with
// '-' is optional: failing to bind it is not an error, as in Redis.
func bindAll(binds []string, port int) ([]*listener, error) {
	if port == 0 {
		return nil, nil
	}
	if len(binds) == 0 {
		binds = []string{"*", "-::*"}
	}
	var out []*listener
	for _, b := range binds {
		if b == "" {
			continue
		}
		optional := strings.HasPrefix(b, "-")
		addr := strings.TrimPrefix(b, "-")
		switch addr {
		case "*":
			addr = "0.0.0.0"
		case "::*":
			addr = "::"
		}
		network := "tcp4"
		if strings.Contains(addr, ":") {
			network = "tcp6"
		}
		ln, err := listenTCP(network, addr, port)
		if err != nil {
			if optional {
				continue
			}
			for _, l := range out {
				l.close()
			}
			return nil, fmt.Errorf("listen on %s:%d: %w", addr, port, err)
		}
		out = append(out, ln)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("listen on port %d: no address could be bound", port)
	}
	return out, nil
}
