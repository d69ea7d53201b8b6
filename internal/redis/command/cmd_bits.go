package command

import (
	"math"
	"math/bits"

	"github.com/replikube/replikube/internal/redis/keyspace"
)

func init() {
	register(func(e *Engine) {
		k1 := KeySpec{1, 1, 1}
		e.Table.Add(
			&Command{Name: "setbit", Arity: 4, Flags: Write | DenyOOM, Keys: k1, Group: "bitmap", Since: "2.2.0", Handler: cmdSetBit},
			&Command{Name: "getbit", Arity: 3, Flags: ReadOnly | Fast, Keys: k1, Group: "bitmap", Since: "2.2.0", Handler: cmdGetBit},
			&Command{Name: "bitcount", Arity: -2, Flags: ReadOnly, Keys: k1, Group: "bitmap", Since: "2.6.0", Handler: cmdBitCount},
			&Command{Name: "bitpos", Arity: -3, Flags: ReadOnly, Keys: k1, Group: "bitmap", Since: "2.8.7", Handler: cmdBitPos},
			&Command{Name: "bitop", Arity: -4, Flags: Write | DenyOOM, Keys: KeySpec{2, -1, 1}, Group: "bitmap", Since: "2.6.0", Handler: cmdBitOp},
			&Command{Name: "bitfield", Arity: -2, Flags: Write | DenyOOM, Keys: k1, Group: "bitmap", Since: "3.2.0", Handler: cmdBitField},
			&Command{Name: "bitfield_ro", Arity: -2, Flags: ReadOnly | Fast, Keys: k1, Group: "bitmap", Since: "6.0.0", Handler: cmdBitFieldRO},
		)
	})
}

// Error texts of the bit commands (bitops.c).
const (
	ErrBitArgument      = "ERR The bit argument must be 1 or 0."
	ErrBitOpNot         = "ERR BITOP NOT must be called with a single source key."
	ErrBitfieldType     = "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is."
	ErrBitfieldOverflow = "ERR Invalid OVERFLOW type specified"
	ErrBitfieldRO       = "ERR BITFIELD_RO only supports the GET subcommand"
)

// bitOffsetArg parses a bit offset; with hash, "#n" means n*width (BITFIELD).
// Offsets past proto-max-bulk-len bytes are refused except from our master.
func (c *Client) bitOffsetArg(arg []byte, hash bool, width int64) (int64, bool) {
	useHash := hash && width > 0 && len(arg) > 0 && arg[0] == '#'
	if useHash {
		arg = arg[1:]
	}
	off, ok := ParseInt(arg)
	if useHash {
		// The product wraps around as Redis's does (#2^60 of i64 is 0):
		// only the result is range checked.
		off *= width
	}
	if !ok || off < 0 || (!c.obeysAnything() && off>>3 >= c.E.Cfg.ProtoMaxBulkLen) {
		c.Error(ErrBitOffset)
		return 0, false
	}
	return off, true
}

// stringForBits returns the string at key made writable up to bit maxbit,
// as lookupStringForBitCommand: created zero-filled when missing, else
// made "raw" and zero-extended. dirty reports creation or growth.
func (c *Client) stringForBits(key []byte, maxbit int64) (s *keyspace.String, dirty, ok bool) {
	s, ok = c.stringForWrite(key)
	if !ok {
		return nil, false, false
	}
	n := int(maxbit>>3) + 1
	if s == nil {
		s = &keyspace.String{B: make([]byte, n), Raw: true}
		c.DB.Add(key, s)
		return s, true, true
	}
	s.Raw = true
	return s, s.GrowZero(n), true
}

func cmdSetBit(c *Client, args [][]byte) {
	key := args[1]
	off, ok := c.bitOffsetArg(args[2], false, 0)
	if !ok {
		return
	}
	on, ok := ParseInt(args[3])
	if !ok || on&^1 != 0 {
		c.Error(ErrBitValue)
		return
	}
	s, dirty, ok := c.stringForBits(key, off)
	if !ok {
		return
	}
	i, mask := off>>3, byte(0x80)>>(off&7)
	old := s.B[i]&mask != 0
	// Writing the bit it already has is no change, unless the string was
	// created or grown: then it propagates like any write.
	if dirty || old != (on == 1) {
		if on == 1 {
			s.B[i] |= mask
		} else {
			s.B[i] &^= mask
		}
		c.Modified(key)
	}
	c.W.Int(boolInt(old))
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

func cmdGetBit(c *Client, args [][]byte) {
	off, ok := c.bitOffsetArg(args[2], false, 0)
	if !ok {
		return
	}
	s, ok := c.stringForRead(args[1])
	if !ok {
		return
	}
	if s == nil || off>>3 >= int64(len(s.B)) {
		c.W.Int(0)
		return
	}
	c.W.Int(boolInt(s.B[off>>3]&(0x80>>(off&7)) != 0))
}

// bitUnitArg parses the optional BYTE|BIT argument at args[i].
func (c *Client) bitUnitArg(args [][]byte, i int) (isBit, ok bool) {
	if i >= len(args) || EqualFold(args[i], "byte") {
		return false, true
	}
	if EqualFold(args[i], "bit") {
		return true, true
	}
	c.Error(ErrSyntax)
	return false, false
}

// bitSpan turns a BITCOUNT/BITPOS range (in bytes or bits) over a string
// of n bytes into an inclusive span of bits, clamped as Redis clamps it;
// ok is false when the span is empty.
func bitSpan(start, end, n int64, isBit bool) (lo, hi int64, ok bool) {
	total := n
	if isBit {
		total *= 8
	}
	if start < 0 {
		start += total
	}
	if end < 0 {
		end += total
	}
	start, end = max(start, 0), max(end, 0)
	if end >= total {
		end = total - 1
	}
	if start > end {
		return 0, 0, false
	}
	if isBit {
		return start, end, true
	}
	return start * 8, end*8 + 7, true
}

// cmdBitCount follows Redis 7.0's order: a missing key answers 0 before
// the range is even parsed.
func cmdBitCount(c *Client, args [][]byte) {
	s, ok := c.stringForRead(args[1])
	if !ok {
		return
	}
	if s == nil {
		c.W.Int(0)
		return
	}
	lo, hi, nonEmpty := int64(0), int64(len(s.B))*8-1, len(s.B) > 0
	switch len(args) {
	case 2:
	case 4, 5:
		start, ok := c.IntArg(args[2])
		if !ok {
			return
		}
		end, ok := c.IntArg(args[3])
		if !ok {
			return
		}
		if start < 0 && end < 0 && start > end {
			c.W.Int(0)
			return
		}
		isBit, ok := c.bitUnitArg(args, 4)
		if !ok {
			return
		}
		lo, hi, nonEmpty = bitSpan(start, end, int64(len(s.B)), isBit)
	default:
		c.Error(ErrSyntax)
		return
	}
	if !nonEmpty {
		c.W.Int(0)
		return
	}
	c.W.Int(countBits(s.B, lo, hi))
}

// countBits counts the set bits of p in the inclusive bit span [lo, hi].
func countBits(p []byte, lo, hi int64) int64 {
	first, last := lo>>3, hi>>3
	n := int64(0)
	b := p[first : last+1]
	for len(b) >= 8 {
		n += int64(bits.OnesCount64(uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
			uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56))
		b = b[8:]
	}
	for _, x := range b {
		n += int64(bits.OnesCount8(x))
	}
	// Take out the bits of the edge bytes that lie outside the span.
	n -= int64(bits.OnesCount8(p[first] &^ (0xff >> (lo & 7))))
	n -= int64(bits.OnesCount8(p[last] &^ (0xff << (7 - hi&7))))
	return n
}

// cmdBitPos parses start, then the unit, then end, as Redis 7.0 does;
// a missing key is an infinite run of zeros.
func cmdBitPos(c *Client, args [][]byte) {
	bit, ok := c.IntArg(args[2])
	if !ok {
		return
	}
	if bit != 0 && bit != 1 {
		c.Error(ErrBitArgument)
		return
	}
	s, ok := c.stringForRead(args[1])
	if !ok {
		return
	}
	if s == nil {
		c.W.Int(-bit)
		return
	}
	n := int64(len(s.B))
	lo, hi, nonEmpty := int64(0), n*8-1, n > 0
	endGiven := false
	switch len(args) {
	case 3:
	case 4, 5, 6:
		start, ok := c.IntArg(args[3])
		if !ok {
			return
		}
		isBit, ok := c.bitUnitArg(args, 5)
		if !ok {
			return
		}
		end := n - 1
		if len(args) >= 5 {
			if end, ok = c.IntArg(args[4]); !ok {
				return
			}
			endGiven = true
		}
		lo, hi, nonEmpty = bitSpan(start, end, n, isBit)
	default:
		c.Error(ErrSyntax)
		return
	}
	if !nonEmpty {
		c.W.Int(-1)
		return
	}
	pos := findBit(s.B, lo, hi, bit == 1)
	// Looking for a zero without an explicit end treats the string as
	// padded with zeros on the right.
	if pos < 0 && bit == 0 && !endGiven {
		pos = hi + 1
	}
	c.W.Int(pos)
}

// findBit returns the position of the first bit equal to set in the
// inclusive bit span [lo, hi] of p, or -1.
func findBit(p []byte, lo, hi int64, set bool) int64 {
	for i := lo; i <= hi; i = (i | 7) + 1 {
		b := p[i>>3]
		if !set {
			b = ^b
		}
		b &= 0xff >> (i & 7)
		if i>>3 == hi>>3 {
			b &= 0xff << (7 - hi&7)
		}
		if b != 0 {
			return i&^7 + int64(bits.LeadingZeros8(b))
		}
	}
	return -1
}

// cmdBitOp stores the result as a "raw" string (Redis creates it so, even
// when short) and deletes the destination when every source is empty.
func cmdBitOp(c *Client, args [][]byte) {
	op, dest := args[1], args[2]
	switch {
	case EqualFold(op, "and"), EqualFold(op, "or"), EqualFold(op, "xor"):
	case EqualFold(op, "not"):
		if len(args) != 4 {
			c.Error(ErrBitOpNot)
			return
		}
	default:
		c.Error(ErrSyntax)
		return
	}
	srcs := make([][]byte, len(args)-3)
	maxLen := 0
	for j, key := range args[3:] {
		s, ok := c.stringForRead(key)
		if !ok {
			return
		}
		if s != nil {
			srcs[j] = s.B
			maxLen = max(maxLen, len(s.B))
		}
	}
	if maxLen == 0 {
		if c.DB.Delete(dest) {
			c.Modified(dest)
		}
		c.W.Int(0)
		return
	}
	res := make([]byte, maxLen)
	copy(res, srcs[0])
	switch op[0] | 0x20 {
	case 'n':
		for i := range res {
			res[i] = ^res[i]
		}
	case 'a':
		for _, src := range srcs[1:] {
			for i := range res {
				if i < len(src) {
					res[i] &= src[i]
				} else {
					res[i] = 0
				}
			}
		}
	case 'o':
		for _, src := range srcs[1:] {
			for i, x := range src {
				res[i] |= x
			}
		}
	case 'x':
		for _, src := range srcs[1:] {
			for i, x := range src {
				res[i] ^= x
			}
		}
	}
	c.DB.Set(dest, &keyspace.String{B: res, Raw: true}, false)
	c.Modified(dest)
	c.W.Int(int64(maxLen))
}

// BITFIELD operations and overflow behaviours.
const (
	bfGet = iota
	bfSet
	bfIncrBy
)

const (
	bfWrap = iota
	bfSat
	bfFail
)

type bitfieldOp struct {
	kind     int
	overflow int
	signed   bool
	width    int64
	offset   int64
	value    int64
}

func cmdBitField(c *Client, args [][]byte)   { c.bitfield(args, false) }
func cmdBitFieldRO(c *Client, args [][]byte) { c.bitfield(args, true) }

// bitfield runs BITFIELD or BITFIELD_RO: every operation is parsed before
// anything runs; with no SET/INCRBY the key is only read (and not
// created). Like Redis, it counts a change only where a value really
// changed or the string was created or grown, so an all-FAIL call on a
// missing key creates it without propagating.
func (c *Client) bitfield(args [][]byte, readOnly bool) {
	key := args[1]
	ops, highest, writes, ok := c.parseBitfield(args)
	if !ok {
		return
	}
	var s *keyspace.String
	dirty := false
	if !writes {
		if s, ok = c.stringForRead(key); !ok {
			return
		}
	} else {
		if readOnly {
			c.Error(ErrBitfieldRO)
			return
		}
		if s, dirty, ok = c.stringForBits(key, highest); !ok {
			return
		}
	}
	var p []byte
	if s != nil {
		p = s.B
	}
	c.W.Array(len(ops))
	changes := int64(0)
	for _, op := range ops {
		if op.kind == bfGet {
			v := getBitfield(p, op.offset, op.width)
			if op.signed {
				c.W.Int(signExtend(v, op.width))
			} else {
				c.W.Int(int64(v))
			}
			continue
		}
		old := getBitfield(p, op.offset, op.width)
		var next, reply uint64
		var overflow bool
		if op.signed {
			oldv := signExtend(old, op.width)
			var nv int64
			if op.kind == bfIncrBy {
				nv, overflow = signedBitfieldAdd(oldv, op.value, op.width, op.overflow)
				reply = uint64(nv)
			} else {
				nv, overflow = signedBitfieldAdd(op.value, 0, op.width, op.overflow)
				reply = uint64(oldv)
			}
			next = uint64(nv)
		} else {
			if op.kind == bfIncrBy {
				next, overflow = unsignedBitfieldAdd(old, op.value, op.width, op.overflow)
				reply = next
			} else {
				next, overflow = unsignedBitfieldAdd(uint64(op.value), 0, op.width, op.overflow)
				reply = old
			}
		}
		if overflow && op.overflow == bfFail {
			c.W.Null()
			continue
		}
		c.W.Int(int64(reply))
		setBitfield(p, op.offset, op.width, next)
		if dirty || getBitfield(p, op.offset, op.width) != old {
			changes++
		}
	}
	if changes > 0 {
		c.Modified(key)
		c.AddDirty(changes - 1)
	}
}

// parseBitfield parses the subcommands, replying the first error. It
// returns the operations, the highest bit any write touches and whether
// there is a write.
func (c *Client) parseBitfield(args [][]byte) (ops []bitfieldOp, highest int64, writes, ok bool) {
	overflow := bfWrap
	for j := 2; j < len(args); j++ {
		rem := len(args) - j - 1
		op := bitfieldOp{overflow: overflow}
		switch a := args[j]; {
		case EqualFold(a, "get") && rem >= 2:
			op.kind = bfGet
		case EqualFold(a, "set") && rem >= 3:
			op.kind = bfSet
		case EqualFold(a, "incrby") && rem >= 3:
			op.kind = bfIncrBy
		case EqualFold(a, "overflow") && rem >= 1:
			j++
			switch {
			case EqualFold(args[j], "wrap"):
				overflow = bfWrap
			case EqualFold(args[j], "sat"):
				overflow = bfSat
			case EqualFold(args[j], "fail"):
				overflow = bfFail
			default:
				c.Error(ErrBitfieldOverflow)
				return nil, 0, false, false
			}
			continue
		default:
			c.Error(ErrSyntax)
			return nil, 0, false, false
		}
		if op.signed, op.width, ok = parseBitfieldType(args[j+1]); !ok {
			c.Error(ErrBitfieldType)
			return nil, 0, false, false
		}
		if op.offset, ok = c.bitOffsetArg(args[j+2], true, op.width); !ok {
			return nil, 0, false, false
		}
		if op.kind != bfGet {
			writes = true
			highest = max(highest, op.offset+op.width-1)
			if op.value, ok = c.IntArg(args[j+3]); !ok {
				return nil, 0, false, false
			}
			j++
		}
		j += 2
		ops = append(ops, op)
	}
	return ops, highest, writes, true
}

// parseBitfieldType parses "i<1..64>" or "u<1..63>" (lower case only, as
// Redis): u64 cannot be replied as a RESP integer.
func parseBitfieldType(a []byte) (signed bool, width int64, ok bool) {
	if len(a) == 0 || (a[0] != 'i' && a[0] != 'u') {
		return false, 0, false
	}
	signed = a[0] == 'i'
	width, ok = ParseInt(a[1:])
	if !ok || width < 1 || (signed && width > 64) || (!signed && width > 63) {
		return false, 0, false
	}
	return signed, width, true
}

// getBitfield reads width bits at bit offset off, most significant first;
// bits past the end of p read as zero.
func getBitfield(p []byte, off, width int64) uint64 {
	var v uint64
	for i := off; i < off+width; i++ {
		v <<= 1
		if i>>3 < int64(len(p)) && p[i>>3]&(0x80>>(i&7)) != 0 {
			v |= 1
		}
	}
	return v
}

// setBitfield writes the low width bits of v at bit offset off, which the
// caller made addressable.
func setBitfield(p []byte, off, width int64, v uint64) {
	for i := int64(0); i < width; i++ {
		mask := byte(0x80) >> ((off + i) & 7)
		if v&(1<<(width-1-i)) != 0 {
			p[(off+i)>>3] |= mask
		} else {
			p[(off+i)>>3] &^= mask
		}
	}
}

func signExtend(v uint64, width int64) int64 {
	if width < 64 && v&(1<<(width-1)) != 0 {
		v |= ^uint64(0) << width
	}
	return int64(v)
}

// unsignedBitfieldAdd computes v+incr for a width-bit unsigned field with
// Redis's overflow rules: WRAP keeps the low bits, SAT clamps to 0 or the
// maximum. overflow reports that the exact result did not fit.
func unsignedBitfieldAdd(v uint64, incr, width int64, mode int) (uint64, bool) {
	maxv := uint64(1)<<width - 1
	up := v > maxv || (incr > 0 && incr > int64(maxv-v))
	down := !up && incr < 0 && incr < -int64(v)
	switch {
	case !up && !down:
		return v + uint64(incr), false
	case mode == bfSat && up:
		return maxv, true
	case mode == bfSat:
		return 0, true
	}
	return (v + uint64(incr)) & maxv, true
}

// signedBitfieldAdd is unsignedBitfieldAdd for a two's complement field.
func signedBitfieldAdd(v, incr, width int64, mode int) (int64, bool) {
	maxv := int64(math.MaxInt64)
	if width < 64 {
		maxv = 1<<(width-1) - 1
	}
	minv := -maxv - 1
	// These may wrap around; they are only compared when v is in range
	// (Redis's checkSignedBitfieldOverflow).
	maxIncr := int64(uint64(maxv) - uint64(v))
	minIncr := minv - v
	up := v > maxv || (width != 64 && incr > maxIncr) || (v >= 0 && incr > 0 && incr > maxIncr)
	down := !up && (v < minv || (width != 64 && incr < minIncr) || (v < 0 && incr < 0 && incr < minIncr))
	switch {
	case !up && !down:
		return v + incr, false
	case mode == bfSat && up:
		return maxv, true
	case mode == bfSat:
		return minv, true
	}
	r := uint64(v) + uint64(incr)
	if width < 64 {
		if r&(1<<(width-1)) != 0 {
			r |= ^uint64(0) << width
		} else {
			r &^= ^uint64(0) << width
		}
	}
	return int64(r), true
}
