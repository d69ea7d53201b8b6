package rdb

import (
	"bufio"
	"bytes"
	"encoding/binary"

	"github.com/replikube/replikube/internal/redis/keyspace"
	"github.com/replikube/replikube/internal/redis/rdb/codec"
)

// Dump serialises v as DUMP does: type byte, value, RDB version (2 bytes
// LE) and CRC64 (8 bytes LE) of everything before it.
func (enc *Encoder) Dump(v keyspace.Value) ([]byte, error) {
	b, err := enc.AppendValue(nil, v)
	if err != nil {
		return nil, err
	}
	return AppendFooter(b), nil
}

// AppendFooter appends a DUMP payload's footer (RDB version and CRC64) to
// a serialised value.
func AppendFooter(b []byte) []byte {
	b = binary.LittleEndian.AppendUint16(b, Version)
	return binary.LittleEndian.AppendUint64(b, codec.CRC64(0, b))
}

// VerifyDump checks a DUMP payload's footer: its RDB version must be one
// this server reads, its checksum right (Redis's verifyDumpPayload; unlike in files, a zero
// checksum is not accepted).
func VerifyDump(p []byte) bool {
	if len(p) < 10 {
		return false
	}
	ver := binary.LittleEndian.Uint16(p[len(p)-10:])
	if ver > Version {
		return false
	}
	return binary.LittleEndian.Uint64(p[len(p)-8:]) == codec.CRC64(0, p[:len(p)-8])
}

// Undump decodes a verified DUMP payload into a value. Like Redis, it
// ignores bytes between the value and the footer.
func Undump(p []byte, lim Limits, maxBulk int64) (keyspace.Value, error) {
	body := p[:len(p)-10]
	br := bufio.NewReaderSize(bytes.NewReader(body), 4096)
	rd := &reader{r: br, name: "DUMP payload", max: maxBulk}
	if rd.max <= 0 {
		rd.max = 1 << 40
	}
	l := newLoader(rd, nil, LoadOptions{Limits: lim}, Version)
	t, err := rd.byte()
	if err != nil {
		return nil, err
	}
	if t >= OpFunction2 {
		return nil, rd.fail("not a value type")
	}
	v, err := l.value(t)
	if err != nil {
		return nil, err
	}
	if v == nil {
		return nil, rd.fail("empty value")
	}
	return v, nil
}
