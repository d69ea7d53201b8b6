package rdb

import (
	"encoding/binary"
	"fmt"
	"math"
	"strconv"

	"github.com/replikube/replikube/internal/redis/keyspace"
	"github.com/replikube/replikube/internal/redis/rdb/codec"
)

// quicklist node size classes of list-max-listpack-size -1 .. -5, and the
// size cap of nodes with a positive (count) fill.
var qlSizeClasses = [...]int{4096, 8192, 16384, 32768, 65536}

const qlSafetyLimit = 8192

// valueType is the RDB type Redis 7.0 writes for v's current encoding.
func valueType(v keyspace.Value) (byte, error) {
	switch v := v.(type) {
	case *keyspace.String:
		return TypeString, nil
	case *keyspace.List:
		return TypeListQuicklist2, nil
	case *keyspace.Hash:
		if v.IsListpack() {
			return TypeHashListpack, nil
		}
		return TypeHash, nil
	case *keyspace.Set:
		if v.IsIntset() {
			return TypeSetIntset, nil
		}
		return TypeSet, nil
	case *keyspace.ZSet:
		if v.IsListpack() {
			return TypeZSetListpack, nil
		}
		return TypeZSet2, nil
	}
	return 0, fmt.Errorf("rdb: cannot serialise a value of type %s", v.Kind())
}

// AppendValue appends the RDB type byte and the serialised value, in the
// encoding Redis 7.0 writes for the value's current encoding.
func (enc *Encoder) AppendValue(b []byte, v keyspace.Value) ([]byte, error) {
	t, err := valueType(v)
	if err != nil {
		return b, err
	}
	return enc.appendBody(append(b, t), v), nil
}

// appendBody appends the value after its type byte.
func (enc *Encoder) appendBody(b []byte, v keyspace.Value) []byte {
	switch v := v.(type) {
	case *keyspace.String:
		return enc.appendString(b, v.B)
	case *keyspace.List:
		return enc.appendList(b, v)
	case *keyspace.Hash:
		return enc.appendHash(b, v)
	case *keyspace.Set:
		return enc.appendSet(b, v)
	case *keyspace.ZSet:
		return enc.appendZSet(b, v)
	}
	return b
}

func (enc *Encoder) nodeFull(count, size, next int) bool {
	fill := enc.ListMaxListpackSize
	if fill >= 0 {
		return count+1 > max(fill, 1) || size+next > qlSafetyLimit
	}
	class := qlSizeClasses[min(-fill, len(qlSizeClasses))-1]
	return size+next > class
}

// appendList writes a QUICKLIST_2: listpack nodes filled as
// list-max-listpack-size allows.
func (enc *Encoder) appendList(b []byte, l *keyspace.List) []byte {
	// Count the nodes first: the count precedes them.
	nodes, count, size := 0, 0, 0
	for i := 0; i < l.Len(); i++ {
		n := len(l.At(i)) + 11 // entry header and backlen, at most
		if count > 0 && enc.nodeFull(count, size, n) {
			nodes++
			count, size = 0, 0
		}
		if count == 0 {
			size = 7
		}
		count++
		size += n
	}
	if count > 0 {
		nodes++
	}
	b = appendLen(b, uint64(nodes))
	enc.lp.Reset()
	count, size = 0, 0
	for i := 0; i < l.Len(); i++ {
		e := l.At(i)
		n := len(e) + 11
		if count > 0 && enc.nodeFull(count, size, n) {
			b = enc.appendNode(b)
			count, size = 0, 0
		}
		if count == 0 {
			size = 7
		}
		count++
		size += n
		enc.lp.Append(e)
	}
	if count > 0 {
		b = enc.appendNode(b)
	}
	return b
}

func (enc *Encoder) appendNode(b []byte) []byte {
	b = appendLen(b, qlPacked)
	b = enc.appendString(b, enc.lp.Bytes())
	enc.lp.Reset()
	return b
}

func (enc *Encoder) appendHash(b []byte, h *keyspace.Hash) []byte {
	if h.IsListpack() {
		enc.lp.Reset()
		h.Each(func(f, v []byte) bool {
			enc.lp.Append(f)
			enc.lp.Append(v)
			return true
		})
		return enc.appendString(b, enc.lp.Bytes())
	}
	b = appendLen(b, uint64(h.Len()))
	h.Each(func(f, v []byte) bool {
		b = enc.appendString(b, f)
		b = enc.appendString(b, v)
		return true
	})
	return b
}

func (enc *Encoder) appendSet(b []byte, s *keyspace.Set) []byte {
	if s.IsIntset() {
		ints := make([]int64, 0, s.Len())
		s.Each(func(m []byte) bool {
			v, _ := strconv.ParseInt(string(m), 10, 64)
			ints = append(ints, v)
			return true
		})
		return enc.appendString(b, codec.AppendIntset(nil, ints))
	}
	b = appendLen(b, uint64(s.Len()))
	s.Each(func(m []byte) bool {
		b = enc.appendString(b, m)
		return true
	})
	return b
}

func (enc *Encoder) appendZSet(b []byte, z *keyspace.ZSet) []byte {
	if z.IsListpack() {
		enc.lp.Reset()
		var num [32]byte
		for e := z.First(); e != nil; e = e.Val.Next() {
			enc.lp.Append(unsafeBytes(e.Key))
			enc.lp.Append(FormatScore(num[:0], e.Val.Score))
		}
		return enc.appendString(b, enc.lp.Bytes())
	}
	// Redis writes skiplists from the tail so that loading inserts at the
	// head.
	b = appendLen(b, uint64(z.Len()))
	for e := z.Last(); e != nil; e = e.Val.Prev() {
		b = enc.appendString(b, unsafeBytes(e.Key))
		b = appendBinaryDouble(b, e.Val.Score)
	}
	return b
}

// FormatScore renders a score as Redis's d2string stores it in a listpack:
// integers within 2^52 without a fraction, otherwise %.17g.
func FormatScore(b []byte, f float64) []byte {
	switch {
	case math.IsInf(f, 1):
		return append(b, "inf"...)
	case math.IsInf(f, -1):
		return append(b, "-inf"...)
	case f > -(1<<52-1) && f < 1<<52 && f == float64(int64(f)):
		return strconv.AppendInt(b, int64(f), 10)
	}
	return strconv.AppendFloat(b, f, 'g', 17, 64)
}

// AppendKey appends one key with its expiry and, under an LRU or LFU
// policy (idle/freq >= 0), its access data, as rdbSaveKeyValuePair does.
func (enc *Encoder) AppendKey(b []byte, key string, o *keyspace.Object, idle int64, freq int) ([]byte, error) {
	if o.Expire != 0 {
		b = append(b, OpExpireTimeMS)
		b = binary.LittleEndian.AppendUint64(b, uint64(o.Expire))
	}
	if idle >= 0 {
		b = append(b, OpIdle)
		b = appendLen(b, uint64(idle))
	}
	if freq >= 0 {
		b = append(b, OpFreq, byte(freq))
	}
	t, err := valueType(o.Val)
	if err != nil {
		return b, err
	}
	b = append(b, t)
	b = enc.appendStringStr(b, key)
	return enc.appendBody(b, o.Val), nil
}
