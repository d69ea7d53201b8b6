package rdb

import (
	"strconv"

	"github.com/replikube/replikube/internal/redis/keyspace"
	"github.com/replikube/replikube/internal/redis/resp"
)

// An AOF base without the RDB preamble (aof-use-rdb-preamble no) holds the
// dataset as commands, as Redis's rewriteAppendOnlyFileRio writes them:
// SET for strings, RPUSH, SADD, ZADD and HMSET with at most 64 items per
// command for containers, then PEXPIREAT for a key with an expiry.

// itemsPerCommand is AOF_REWRITE_ITEMS_PER_CMD.
const itemsPerCommand = 64

func appendCommand(b []byte, argv ...[]byte) []byte { return resp.AppendCommand(b, argv...) }

// AppendKeyCommands appends the commands that recreate one key.
func (enc *Encoder) AppendKeyCommands(b []byte, key string, o *keyspace.Object) ([]byte, error) {
	k := unsafeBytes(key)
	batch := func(name string, items [][]byte, per int) {
		for len(items) > 0 {
			n := min(len(items), per*itemsPerCommand)
			argv := append([][]byte{[]byte(name), k}, items[:n]...)
			b = appendCommand(b, argv...)
			items = items[n:]
		}
	}
	switch v := o.Val.(type) {
	case *keyspace.String:
		b = appendCommand(b, []byte("SET"), k, v.B)
	case *keyspace.List:
		batch("RPUSH", v.Elements(), 1)
	case *keyspace.Set:
		batch("SADD", v.Elements(), 1)
	case *keyspace.ZSet:
		items := make([][]byte, 0, 2*v.Len())
		for e := v.First(); e != nil; e = e.Val.Next() {
			items = append(items, FormatScore(nil, e.Val.Score), unsafeBytes(e.Key))
		}
		batch("ZADD", items, 2)
	case *keyspace.Hash:
		items := make([][]byte, 0, 2*v.Len())
		v.Each(func(f, val []byte) bool {
			items = append(items, f, val)
			return true
		})
		batch("HMSET", items, 2)
	default:
		_, err := valueType(o.Val)
		return b, err
	}
	if o.Expire != 0 {
		b = appendCommand(b, []byte("PEXPIREAT"), k, strconv.AppendInt(nil, o.Expire, 10))
	}
	return b, nil
}
