package aof

import (
	"bufio"
	"errors"
	"io"

	"github.com/replikube/replikube/internal/redis/resp"
)

var (
	errIncomplete = errors.New("aof: incomplete command")
	errFormat     = errors.New("aof: bad format")
)

// cmdParser reads the commands of one AOF file. It is stricter than Redis's
// loader (which reads lengths with atoi/strtol and does not look at the
// CRLF after a bulk) so that garbage is refused where it starts, and it
// never allocates more than the bytes left in the file.
type cmdParser struct {
	br   *bufio.Reader
	off  int64 // bytes consumed; after errFormat, where the bad bytes start
	size int64 // file size
}

// maxArgsPrealloc caps what a multibulk count may make us allocate before
// its arguments have been read.
const maxArgsPrealloc = 1024

// next returns the next command; io.EOF at a clean end of the file,
// errIncomplete when the file ends inside a command, errFormat on bytes that
// cannot start or continue one.
func (p *cmdParser) next() ([][]byte, error) {
	for {
		line, eof, err := p.line()
		if err != nil {
			return nil, err
		}
		if len(line) == 0 {
			return nil, io.EOF
		}
		if line[0] == '#' {
			// An annotation (#TS:...), even an unterminated last one, as
			// Redis skips whatever fgets returned.
			p.off += int64(len(line))
			continue
		}
		n, err := header(line, '*', eof)
		if err != nil {
			return nil, err
		}
		if n < 1 || n > 1<<31-1 {
			return nil, errFormat
		}
		p.off += int64(len(line))
		argv := make([][]byte, 0, min(n, maxArgsPrealloc))
		for range n {
			arg, err := p.bulk()
			if err != nil {
				return nil, err
			}
			argv = append(argv, arg)
		}
		return argv, nil
	}
}

// bulk reads "$<len>\r\n<bytes>\r\n".
func (p *cmdParser) bulk() ([]byte, error) {
	line, eof, err := p.line()
	if err != nil {
		return nil, err
	}
	if len(line) == 0 {
		return nil, errIncomplete
	}
	l, err := header(line, '$', eof)
	if err != nil {
		return nil, err
	}
	if l < 0 {
		return nil, errFormat
	}
	p.off += int64(len(line))
	if l > p.size-p.off-2 {
		return nil, errIncomplete
	}
	buf := make([]byte, l+2)
	if _, err := io.ReadFull(p.br, buf); err != nil {
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return nil, errIncomplete
		}
		return nil, err
	}
	if buf[l] != '\r' || buf[l+1] != '\n' {
		p.off += l
		return nil, errFormat
	}
	p.off += l + 2
	return buf[:l:l], nil
}

// line returns the next line with its '\n', or the unterminated rest of the
// file with eof set. It does not advance p.off.
func (p *cmdParser) line() (line []byte, eof bool, err error) {
	line, err = p.br.ReadSlice('\n')
	switch err {
	case nil:
		return line, false, nil
	case io.EOF:
		return line, true, nil
	case bufio.ErrBufferFull:
		return nil, false, errFormat
	}
	return nil, false, err
}

// header parses "<kind><int>\r\n". An unterminated line at the end of the
// file is errIncomplete when it could still become a valid header.
func header(line []byte, kind byte, eof bool) (int64, error) {
	if line[0] != kind {
		return 0, errFormat
	}
	digits := line[1:]
	if eof {
		if len(digits) > 0 && digits[len(digits)-1] == '\r' {
			digits = digits[:len(digits)-1]
		}
		if len(digits) == 0 {
			return 0, errIncomplete
		}
		v, ok := resp.ParseInt(digits)
		if !ok || v < 0 || (kind == '*' && v < 1) {
			return 0, errFormat
		}
		return 0, errIncomplete
	}
	if len(digits) < 3 || digits[len(digits)-2] != '\r' {
		return 0, errFormat
	}
	v, ok := resp.ParseInt(digits[:len(digits)-2])
	if !ok {
		return 0, errFormat
	}
	return v, nil
}
