package command

import (
	"strconv"

	"github.com/replikube/replikube/internal/redis/rdb"
)

// DUMP and RESTORE move single values in Redis's serialisation format: the
// RDB encoding of the value, the RDB version and a CRC64. A payload from
// redis-server 7.0 (or older) restores here and ours restores there.

func init() {
	register(func(e *Engine) {
		e.Table.Add(
			&Command{Name: "dump", Arity: 2, Flags: ReadOnly, ACL: []string{"keyspace"}, Keys: KeySpec{1, 1, 1}, Group: "generic", Since: "2.6.0", Summary: "Return a serialized version of the value stored at the specified key.", Handler: cmdDump},
			&Command{Name: "restore", Arity: -4, Flags: Write | DenyOOM, ACL: []string{"keyspace", "dangerous"}, Keys: KeySpec{1, 1, 1}, Group: "generic", Since: "2.6.0", Summary: "Create a key using the provided serialized value, previously obtained using DUMP.", Handler: cmdRestore},
		)
	})
}

const (
	errBusyKey        = "BUSYKEY Target key name already exists."
	errDumpPayload    = "ERR DUMP payload version or checksum are wrong"
	errBadDataFormat  = "ERR Bad data format"
	errInvalidTTL     = "ERR Invalid TTL value, must be >= 0"
	errInvalidIdle    = "ERR Invalid IDLETIME value, must be >= 0"
	errInvalidFreq    = "ERR Invalid FREQ value, must be >= 0 and <= 255"
	dumpEncodeFailure = "ERR the value cannot be serialised"
)

func (c *Client) rdbEncoder() *rdb.Encoder {
	return &rdb.Encoder{Compress: c.E.Cfg.RDBCompression, ListMaxListpackSize: c.E.Cfg.ListMaxListpackSize}
}

func cmdDump(c *Client, args [][]byte) {
	e := c.DB.LookupRead(args[1])
	if e == nil {
		c.W.Null()
		return
	}
	p, err := c.rdbEncoder().Dump(e.Val.Val)
	if err != nil {
		c.Error(dumpEncodeFailure)
		return
	}
	c.W.Bulk(p)
}

// RESTORE key ttl serialized-value [REPLACE] [ABSTTL] [IDLETIME seconds] [FREQ frequency]
func cmdRestore(c *Client, args [][]byte) {
	key := args[1]
	replace, absTTL := false, false
	idle, freq := int64(-1), -1
	for j := 4; j < len(args); j++ {
		more := j+1 < len(args)
		switch {
		case EqualFold(args[j], "replace"):
			replace = true
		case EqualFold(args[j], "absttl"):
			absTTL = true
		case EqualFold(args[j], "idletime") && more && freq == -1:
			v, ok := ParseInt(args[j+1])
			if !ok {
				c.Error(ErrNotInteger)
				return
			}
			if v < 0 {
				c.Error(errInvalidIdle)
				return
			}
			idle = v
			j++
		case EqualFold(args[j], "freq") && more && idle == -1:
			v, ok := ParseInt(args[j+1])
			if !ok {
				c.Error(ErrNotInteger)
				return
			}
			if v < 0 || v > 255 {
				c.Error(errInvalidFreq)
				return
			}
			freq = int(v)
			j++
		default:
			c.Error(ErrSyntax)
			return
		}
	}
	if !replace && c.DB.LookupWrite(key) != nil {
		c.Error(errBusyKey)
		return
	}
	ttl, ok := ParseInt(args[2])
	if !ok {
		c.Error(ErrNotInteger)
		return
	}
	if ttl < 0 {
		c.Error(errInvalidTTL)
		return
	}
	payload := args[3]
	if !rdb.VerifyDump(payload) {
		c.Error(errDumpPayload)
		return
	}
	cfg := c.E.Cfg
	v, err := rdb.Undump(payload, rdb.Limits{
		HashMaxListpackEntries: cfg.HashMaxListpackEntries,
		HashMaxListpackValue:   cfg.HashMaxListpackValue,
		SetMaxIntsetEntries:    cfg.SetMaxIntsetEntries,
		ZSetMaxListpackEntries: cfg.ZSetMaxListpackEntries,
		ZSetMaxListpackValue:   cfg.ZSetMaxListpackValue,
	}, cfg.ProtoMaxBulkLen)
	if err != nil {
		c.Error(errBadDataFormat)
		return
	}
	deleted := replace && c.DB.Delete(key)
	if ttl != 0 && !absTTL {
		ttl += c.E.KS.Now()
	}
	if ttl != 0 && ttl <= c.E.KS.Now() && !c.E.KS.Replica {
		// Already expired: nothing is created; a replaced key is gone.
		if deleted {
			c.Propagate([]byte("DEL"), key)
			c.Modified(key)
		}
		c.OK()
		return
	}
	ent := c.DB.Add(key, v)
	if ttl != 0 {
		c.DB.SetExpire(ent, ttl)
		if !absTTL {
			// Propagate the expiry as an absolute time, as Redis 7.0.
			argv := append([][]byte{args[0], key, strconv.AppendInt(nil, ttl, 10)}, args[3:]...)
			c.Propagate(append(argv, []byte("ABSTTL"))...)
		}
	}
	c.E.KS.SetAccess(&ent.Val, idle, freq)
	c.Modified(key)
	c.OK()
}
