package replication

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/replikube/replikube/internal/redis/resp"
)

// EOFMarkLen is the length of the random delimiter of a diskless transfer.
const EOFMarkLen = 40

// ErrTryLater is a master's refusal that a later attempt may overcome
// (-NOMASTERLINK, -LOADING).
var ErrTryLater = errors.New("replication: master cannot sync now")

// Handshake is what a replica tells its master before PSYNC.
type Handshake struct {
	User, Password string // masteruser, masterauth
	ListeningPort  int    // replica-announce-port or port
	AnnounceIP     string // replica-announce-ip
	// ReplID and Offset are the cached master's ID and the offset
	// processed from it; ReplID "" asks for a full resync (PSYNC ? -1).
	ReplID string
	Offset int64
	// Failover adds FAILOVER to PSYNC: a master handing over to this
	// replica (FAILOVER command) asks it to become the master first.
	Failover bool
	// Log receives the non-fatal refusals Redis logs (REPLCONF errors).
	Log func(format string, args ...any)
}

// PSyncReply is the master's answer to PSYNC.
type PSyncReply struct {
	Full bool
	// ReplID is the master's ID: +FULLRESYNC's, or +CONTINUE's (the
	// cached one when +CONTINUE came without an ID).
	ReplID string
	// Offset is +FULLRESYNC's offset: the stream after the payload starts
	// at Offset+1.
	Offset int64
}

// Run performs the handshake on w/r (the connection to the master) as
// Redis's syncWithMaster: PING, AUTH, REPLCONF listening-port, REPLCONF
// ip-address, REPLCONF capa eof capa psync2, PSYNC. Deadlines are the
// caller's (set them on the connection).
func (h *Handshake) Run(w io.Writer, r *bufio.Reader) (PSyncReply, error) {
	send := func(args ...string) (string, error) {
		argv := make([][]byte, len(args))
		for i, a := range args {
			argv[i] = []byte(a)
		}
		if _, err := w.Write(resp.AppendCommand(nil, argv...)); err != nil {
			return "", err
		}
		return readLine(r)
	}
	line, err := send("PING")
	if err != nil {
		return PSyncReply{}, fmt.Errorf("ping master: %w", err)
	}
	if strings.HasPrefix(line, "-") && !strings.HasPrefix(line, "-NOAUTH") && !strings.HasPrefix(line, "-NOPERM") &&
		!strings.HasPrefix(line, "-ERR operation not permitted") {
		return PSyncReply{}, fmt.Errorf("error reply to PING from master: '%s'", line)
	}
	if h.Password != "" {
		args := []string{"AUTH", h.Password}
		if h.User != "" {
			args = []string{"AUTH", h.User, h.Password}
		}
		if line, err = send(args...); err != nil {
			return PSyncReply{}, fmt.Errorf("auth with master: %w", err)
		}
		if strings.HasPrefix(line, "-") {
			return PSyncReply{}, fmt.Errorf("unable to AUTH to MASTER: %s", line)
		}
	}
	optional := [][]string{{"REPLCONF", "listening-port", strconv.Itoa(h.ListeningPort)}}
	if h.AnnounceIP != "" {
		optional = append(optional, []string{"REPLCONF", "ip-address", h.AnnounceIP})
	}
	optional = append(optional, []string{"REPLCONF", "capa", "eof", "capa", "psync2"})
	for _, args := range optional {
		if line, err = send(args...); err != nil {
			return PSyncReply{}, fmt.Errorf("replconf: %w", err)
		}
		if strings.HasPrefix(line, "-") && h.Log != nil {
			h.Log("(Non critical) Master does not understand %s %s: %s", args[0], args[1], line)
		}
	}
	id, off := "?", "-1"
	if h.ReplID != "" {
		id, off = h.ReplID, strconv.FormatInt(h.Offset+1, 10)
	}
	psync := []string{"PSYNC", id, off}
	if h.Failover {
		psync = append(psync, "FAILOVER")
	}
	if line, err = send(psync...); err != nil {
		return PSyncReply{}, fmt.Errorf("psync: %w", err)
	}
	// A master waiting to start a snapshot sends newlines meanwhile.
	for line == "" {
		if line, err = readLine(r); err != nil {
			return PSyncReply{}, fmt.Errorf("psync: %w", err)
		}
	}
	return ParsePSyncReply(line, h.ReplID)
}

// ParsePSyncReply interprets a reply line to PSYNC; cachedID is the ID the
// replica asked with.
func ParsePSyncReply(line, cachedID string) (PSyncReply, error) {
	switch {
	case strings.HasPrefix(line, "+FULLRESYNC"):
		f := strings.Fields(line)
		if len(f) != 3 || len(f[1]) != 40 {
			return PSyncReply{}, fmt.Errorf("master replied with wrong +FULLRESYNC syntax: %q", line)
		}
		off, err := strconv.ParseInt(f[2], 10, 64)
		if err != nil {
			return PSyncReply{}, fmt.Errorf("master replied with wrong +FULLRESYNC offset: %q", line)
		}
		return PSyncReply{Full: true, ReplID: f[1], Offset: off}, nil
	case strings.HasPrefix(line, "+CONTINUE"):
		if cachedID == "" {
			return PSyncReply{}, fmt.Errorf("master replied +CONTINUE to a full resync request")
		}
		id := strings.TrimSpace(strings.TrimPrefix(line, "+CONTINUE"))
		if len(id) != 40 {
			id = cachedID
		}
		return PSyncReply{ReplID: id}, nil
	case strings.HasPrefix(line, "-NOMASTERLINK"), strings.HasPrefix(line, "-LOADING"):
		return PSyncReply{}, fmt.Errorf("%w: %s", ErrTryLater, line)
	default:
		return PSyncReply{}, fmt.Errorf("unexpected reply to PSYNC from master: %q", line)
	}
}

// readLine reads one reply line without its CRLF.
func readLine(r *bufio.Reader) (string, error) {
	line, err := r.ReadString('\n')
	if err != nil {
		return "", err
	}
	return strings.TrimRight(line, "\r\n"), nil
}

// ReadPayload reads the RDB a master sends after +FULLRESYNC into w: either
// $<len> and len bytes, or $EOF:<40-byte mark>, the bytes, and the mark
// again (diskless). Newlines before the header are the master's
// keepalives; keepalive (may be nil) is called for each. header (may be
// nil) is called once the header is read, before the first payload byte,
// with the announced length, or -1 for the $EOF framing. maxLen bounds a
// $<len> payload. leftover is what was read past the end of a diskless
// payload: the start of the replication stream.
func ReadPayload(r *bufio.Reader, w io.Writer, maxLen int64, keepalive func(), header func(size int64)) (n int64, leftover []byte, err error) {
	var line string
	for {
		line, err = r.ReadString('\n')
		if err != nil {
			return 0, nil, fmt.Errorf("read sync payload header: %w", err)
		}
		if line != "\n" {
			break
		}
		if keepalive != nil {
			keepalive()
		}
	}
	line = strings.TrimRight(line, "\r\n")
	if strings.HasPrefix(line, "-") {
		return 0, nil, fmt.Errorf("master aborted replication with an error: %s", line)
	}
	if !strings.HasPrefix(line, "$") {
		return 0, nil, fmt.Errorf("bad protocol from MASTER, the first byte is not '$' (we received '%s'), are you sure the host and port are right?", line)
	}
	if mark, ok := strings.CutPrefix(line, "$EOF:"); ok {
		if len(mark) != EOFMarkLen {
			return 0, nil, fmt.Errorf("bad EOF mark from master: %q", line)
		}
		if header != nil {
			header(-1)
		}
		return copyUntilMark(r, w, []byte(mark))
	}
	size, err := strconv.ParseInt(line[1:], 10, 64)
	if err != nil || size < 0 || size > maxLen {
		return 0, nil, fmt.Errorf("bad sync payload length from master: %q", line)
	}
	if header != nil {
		header(size)
	}
	n, err = io.CopyN(w, r, size)
	if err != nil {
		return n, nil, fmt.Errorf("read sync payload (%d of %d bytes): %w", n, size, err)
	}
	return n, nil, nil
}

// copyUntilMark copies r to w until mark, keeping back the last bytes
// that could be the start of it.
func copyUntilMark(r io.Reader, w io.Writer, mark []byte) (int64, []byte, error) {
	var n int64
	held := make([]byte, 0, 64<<10+len(mark))
	buf := make([]byte, 64<<10)
	for {
		k, err := r.Read(buf)
		held = append(held, buf[:k]...)
		if i := bytes.Index(held, mark); i >= 0 {
			if _, werr := w.Write(held[:i]); werr != nil {
				return n, nil, werr
			}
			n += int64(i)
			return n, bytes.Clone(held[i+len(mark):]), nil
		}
		if flush := len(held) - (len(mark) - 1); flush > 0 {
			if _, werr := w.Write(held[:flush]); werr != nil {
				return n, nil, werr
			}
			n += int64(flush)
			held = append(held[:0], held[flush:]...)
		}
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return n, nil, fmt.Errorf("read diskless sync payload after %d bytes: %w", n, err)
		}
	}
}
