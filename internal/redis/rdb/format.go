// Package rdb reads and writes Redis's RDB file format, version 10 as
// Redis 7.0 writes it, and reads the older versions (6 to 9) and encodings
// (ziplist, zipmap, quicklist of ziplists) that Redis 6.x files carry.
//
// The same value serialisation serves RDB files, DUMP/RESTORE payloads,
// the base of a rewritten AOF and the snapshot a master sends a replica.
// Snapshots are taken without fork and without copying the dataset: see
// Snapshot and keyspace/snapshot.go for the algorithm.
package rdb

import (
	"encoding/binary"
	"math"

	"github.com/replikube/replikube/internal/redis/rdb/codec"
)

// Version is the RDB version written (Redis 7.0).
const Version = 10

// MinVersion is the oldest RDB version read.
const MinVersion = 1

// Value types.
const (
	TypeString          = 0
	TypeList            = 1
	TypeSet             = 2
	TypeZSet            = 3
	TypeHash            = 4
	TypeZSet2           = 5
	TypeModule          = 6
	TypeModule2         = 7
	TypeHashZipmap      = 9
	TypeListZiplist     = 10
	TypeSetIntset       = 11
	TypeZSetZiplist     = 12
	TypeHashZiplist     = 13
	TypeListQuicklist   = 14
	TypeStreamListpack  = 15
	TypeHashListpack    = 16
	TypeZSetListpack    = 17
	TypeListQuicklist2  = 18
	TypeStreamListpack2 = 19
)

// Opcodes.
const (
	OpFunction2    = 245
	OpFunction     = 246
	OpModuleAux    = 247
	OpIdle         = 248
	OpFreq         = 249
	OpAux          = 250
	OpResizeDB     = 251
	OpExpireTimeMS = 252
	OpExpireTime   = 253
	OpSelectDB     = 254
	OpEOF          = 255
)

// Length encodings.
const (
	len6bit  = 0
	len14bit = 1
	len32bit = 0x80
	len64bit = 0x81
	lenEnc   = 3

	encInt8  = 0
	encInt16 = 1
	encInt32 = 2
	encLZF   = 3
)

// Quicklist node containers.
const (
	qlPlain  = 1
	qlPacked = 2
)

// appendLen appends n in RDB length encoding.
func appendLen(b []byte, n uint64) []byte {
	switch {
	case n < 1<<6:
		return append(b, byte(n))
	case n < 1<<14:
		return append(b, byte(n>>8)|len14bit<<6, byte(n))
	case n <= math.MaxUint32:
		b = append(b, len32bit)
		return binary.BigEndian.AppendUint32(b, uint32(n))
	default:
		b = append(b, len64bit)
		return binary.BigEndian.AppendUint64(b, n)
	}
}

// appendIntEncoded appends v as an integer-encoded string when it fits in
// 32 bits; ok is false otherwise.
func appendIntEncoded(b []byte, v int64) ([]byte, bool) {
	switch {
	case v >= math.MinInt8 && v <= math.MaxInt8:
		return append(b, lenEnc<<6|encInt8, byte(v)), true
	case v >= math.MinInt16 && v <= math.MaxInt16:
		return binary.LittleEndian.AppendUint16(append(b, lenEnc<<6|encInt16), uint16(v)), true
	case v >= math.MinInt32 && v <= math.MaxInt32:
		return binary.LittleEndian.AppendUint32(append(b, lenEnc<<6|encInt32), uint32(v)), true
	}
	return b, false
}

// Encoder holds the settings and scratch space of serialisation.
type Encoder struct {
	// Compress tries LZF on strings longer than 20 bytes (rdbcompression).
	Compress bool
	// ListMaxListpackSize is list-max-listpack-size: the fill of
	// quicklist nodes (negative: a size class, positive: entries).
	ListMaxListpackSize int
	lzf                 []byte
	lp                  codec.ListpackWriter
}

// appendString appends s as Redis's rdbSaveRawString does: integer
// encoding for short numbers, LZF for longer strings when enabled, raw
// otherwise.
func (enc *Encoder) appendString(b, s []byte) []byte {
	if len(s) <= 11 {
		if v, ok := codec.CanonicalInt(s); ok {
			if out, ok := appendIntEncoded(b, v); ok {
				return out
			}
		}
	}
	if enc.Compress && len(s) > 20 {
		if out, ok := enc.appendLZF(b, s); ok {
			return out
		}
	}
	b = appendLen(b, uint64(len(s)))
	return append(b, s...)
}

func (enc *Encoder) appendLZF(b, s []byte) ([]byte, bool) {
	if len(s) <= 4 {
		return b, false
	}
	if cap(enc.lzf) < len(s)-4 {
		enc.lzf = make([]byte, len(s))
	}
	out := enc.lzf[:len(s)-4]
	n := codec.LZFCompress(out, s)
	if n == 0 {
		return b, false
	}
	b = append(b, lenEnc<<6|encLZF)
	b = appendLen(b, uint64(n))
	b = appendLen(b, uint64(len(s)))
	return append(b, out[:n]...), true
}

// appendStringStr is appendString for a string key.
func (enc *Encoder) appendStringStr(b []byte, s string) []byte {
	return enc.appendString(b, unsafeBytes(s))
}

// appendBinaryDouble appends a ZSET_2 score.
func appendBinaryDouble(b []byte, f float64) []byte {
	return binary.LittleEndian.AppendUint64(b, math.Float64bits(f))
}
