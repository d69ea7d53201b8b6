package server

import (
	"crypto/sha1"
	"encoding/binary"
	"encoding/hex"
	"math"
	"strconv"
	"strings"

	"github.com/replikube/replikube/internal/redis/keyspace"
)

// DEBUG DIGEST and DIGEST-VALUE compute Redis's own digest (debug.c), so
// that a dataset can be compared across replikube and redis-server: a
// replica with its master, a file loaded by one and written by the other.
//
// xorDigest folds SHA1(data) into d; mixDigest also re-hashes d, making
// the order of mixed items significant (list elements), while xor-ed
// items (set members, hash pairs, keys) are order independent.

type digest [20]byte

func (d *digest) xor(p []byte) {
	h := sha1.Sum(p)
	for i := range d {
		d[i] ^= h[i]
	}
}

func (d *digest) mix(p []byte) {
	d.xor(p)
	*d = sha1.Sum(d[:])
}

// Redis's object type numbers, mixed into each value's digest.
var digestType = map[keyspace.Kind]uint32{
	keyspace.KindString: 0, keyspace.KindList: 1, keyspace.KindSet: 2,
	keyspace.KindZSet: 3, keyspace.KindHash: 4, keyspace.KindStream: 6,
}

// objectDigest is xorObjectDigest: the type, the content and whether the
// key has an expiry.
func objectDigest(d *digest, o *keyspace.Object) {
	var t [4]byte
	binary.BigEndian.PutUint32(t[:], digestType[o.Val.Kind()])
	d.mix(t[:])
	switch v := o.Val.(type) {
	case *keyspace.String:
		d.mix(v.B)
	case *keyspace.List:
		for i := 0; i < v.Len(); i++ {
			d.mix(v.At(i))
		}
	case *keyspace.Set:
		v.Each(func(m []byte) bool {
			d.xor(m)
			return true
		})
	case *keyspace.ZSet:
		var buf []byte
		for e := v.First(); e != nil; e = e.Val.Next() {
			var ed digest
			ed.mix([]byte(e.Key))
			buf = appendG17(buf[:0], e.Val.Score)
			ed.mix(buf)
			d.xor(ed[:])
		}
	case *keyspace.Hash:
		v.Each(func(f, val []byte) bool {
			var ed digest
			ed.mix(f)
			ed.mix(val)
			d.xor(ed[:])
			return true
		})
	}
	if o.Expire != 0 {
		d.xor([]byte("!!expire!!"))
	}
}

func valueDigest(o *keyspace.Object) string {
	var d digest
	objectDigest(&d, o)
	return hex.EncodeToString(d[:])
}

// digest is DEBUG DIGEST over every database, as computeDatasetDigest.
func (s *Server) digest() string {
	var final digest
	for i, db := range s.ks.DBs {
		if db.Len() == 0 {
			continue
		}
		var id [4]byte
		binary.BigEndian.PutUint32(id[:], uint32(i))
		final.mix(id[:])
		db.Dict().Each(func(e *keyspace.KeyEntry) bool {
			var d digest
			d.mix([]byte(e.Key))
			objectDigest(&d, &e.Val)
			final.xor(d[:])
			return true
		})
	}
	if final == (digest{}) {
		return strings.Repeat("0", 40)
	}
	return hex.EncodeToString(final[:])
}

// appendG17 formats f as C's "%.17g" (Go spells infinities differently).
func appendG17(b []byte, f float64) []byte {
	switch {
	case math.IsInf(f, 1):
		return append(b, "inf"...)
	case math.IsInf(f, -1):
		return append(b, "-inf"...)
	}
	return strconv.AppendFloat(b, f, 'g', 17, 64)
}
