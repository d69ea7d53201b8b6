package command

import (
	"fmt"
	"math"
	"math/big"
	"strconv"

	"github.com/replikube/replikube/internal/redis/keyspace"
)

func init() {
	register(func(e *Engine) {
		k1 := KeySpec{1, 1, 1}
		e.Table.Add(
			&Command{Name: "get", Arity: 2, Flags: ReadOnly | Fast, Keys: k1, Group: "string", Since: "1.0.0", Handler: cmdGet},
			&Command{Name: "set", Arity: -3, Flags: Write | DenyOOM, Keys: k1, Group: "string", Since: "1.0.0", Handler: cmdSet},
			&Command{Name: "setnx", Arity: 3, Flags: Write | DenyOOM | Fast, Keys: k1, Group: "string", Since: "1.0.0", Handler: cmdSetNX},
			&Command{Name: "setex", Arity: 4, Flags: Write | DenyOOM, Keys: k1, Group: "string", Since: "2.0.0", Handler: cmdSetEX},
			&Command{Name: "psetex", Arity: 4, Flags: Write | DenyOOM, Keys: k1, Group: "string", Since: "2.6.0", Handler: cmdPSetEX},
			&Command{Name: "getset", Arity: 3, Flags: Write | DenyOOM | Fast, Keys: k1, Group: "string", Since: "1.0.0", Handler: cmdGetSet},
			&Command{Name: "getex", Arity: -2, Flags: Write | Fast, Keys: k1, Group: "string", Since: "6.2.0", Handler: cmdGetEX},
			&Command{Name: "getdel", Arity: 2, Flags: Write | Fast, Keys: k1, Group: "string", Since: "6.2.0", Handler: cmdGetDel},
			&Command{Name: "mget", Arity: -2, Flags: ReadOnly | Fast, Keys: KeySpec{1, -1, 1}, Group: "string", Since: "1.0.0", Handler: cmdMGet},
			&Command{Name: "mset", Arity: -3, Flags: Write | DenyOOM, Keys: KeySpec{1, -1, 2}, Group: "string", Since: "1.0.1", Handler: cmdMSet},
			&Command{Name: "msetnx", Arity: -3, Flags: Write | DenyOOM, Keys: KeySpec{1, -1, 2}, Group: "string", Since: "1.0.1", Handler: cmdMSetNX},
			&Command{Name: "append", Arity: 3, Flags: Write | DenyOOM | Fast, Keys: k1, Group: "string", Since: "2.0.0", Handler: cmdAppend},
			&Command{Name: "strlen", Arity: 2, Flags: ReadOnly | Fast, Keys: k1, Group: "string", Since: "2.2.0", Handler: cmdStrlen},
			&Command{Name: "incr", Arity: 2, Flags: Write | DenyOOM | Fast, Keys: k1, Group: "string", Since: "1.0.0", Handler: cmdIncr},
			&Command{Name: "decr", Arity: 2, Flags: Write | DenyOOM | Fast, Keys: k1, Group: "string", Since: "1.0.0", Handler: cmdDecr},
			&Command{Name: "incrby", Arity: 3, Flags: Write | DenyOOM | Fast, Keys: k1, Group: "string", Since: "1.0.0", Handler: cmdIncrBy},
			&Command{Name: "decrby", Arity: 3, Flags: Write | DenyOOM | Fast, Keys: k1, Group: "string", Since: "1.0.0", Handler: cmdDecrBy},
			&Command{Name: "incrbyfloat", Arity: 3, Flags: Write | DenyOOM | Fast, Keys: k1, Group: "string", Since: "2.6.0", Handler: cmdIncrByFloat},
			&Command{Name: "getrange", Arity: 4, Flags: ReadOnly, Keys: k1, Group: "string", Since: "2.4.0", Handler: cmdGetRange},
			&Command{Name: "substr", Arity: 4, Flags: ReadOnly, Keys: k1, Group: "string", Since: "1.0.0", Handler: cmdGetRange},
			&Command{Name: "setrange", Arity: 4, Flags: Write | DenyOOM, Keys: k1, Group: "string", Since: "2.2.0", Handler: cmdSetRange},
			&Command{Name: "lcs", Arity: -3, Flags: ReadOnly, Keys: KeySpec{1, 2, 1}, Group: "string", Since: "7.0.0", Handler: cmdLCS},
		)
	})
}

// Error texts of the string commands (t_string.c).
const (
	ErrOffsetOutOfRange = "ERR offset is out of range"
	ErrDecrOverflow     = "ERR decrement would overflow"
	ErrLCSWrongType     = "ERR The specified keys must contain string values"
	ErrLCSLenAndIdx     = "ERR If you want both the length and indexes, please just use IDX."
	ErrLCSTooLong       = "ERR String too long for LCS"
	ErrLCSMemory        = "ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len"
)

// stringForRead looks key up for reading. s is nil when the key is
// missing; ok is false, with WRONGTYPE replied, when it holds another type.
func (c *Client) stringForRead(key []byte) (s *keyspace.String, ok bool) {
	e := c.DB.LookupRead(key)
	if e == nil {
		return nil, true
	}
	return c.asString(e)
}

// stringForWrite is stringForRead for commands that modify the value in
// place (the entry is re-accounted after the command).
func (c *Client) stringForWrite(key []byte) (s *keyspace.String, ok bool) {
	e := c.DB.LookupWrite(key)
	if e == nil {
		return nil, true
	}
	return c.asString(e)
}

func (c *Client) asString(e *keyspace.KeyEntry) (*keyspace.String, bool) {
	s, ok := e.Val.Val.(*keyspace.String)
	if !ok {
		c.Error(ErrWrongType)
	}
	return s, ok
}

// replyGet writes the GET reply for key; false means WRONGTYPE was
// replied.
func (c *Client) replyGet(key []byte) bool {
	s, ok := c.stringForRead(key)
	switch {
	case !ok:
		return false
	case s == nil:
		c.W.Null()
	default:
		c.W.Bulk(s.B)
	}
	return true
}

// obeysAnything reports whether the client's writes must be applied
// whatever the limits (our master, AOF loading), as mustObeyClient.
func (c *Client) obeysAnything() bool { return c.Flags&(FlagMaster|FlagFake) != 0 }

// checkStringLength refuses a string that would grow past
// proto-max-bulk-len (size bytes plus add more).
func (c *Client) checkStringLength(size, add int64) bool {
	if c.obeysAnything() {
		return true
	}
	total := size + add
	if total > c.E.Cfg.ProtoMaxBulkLen || total < size {
		c.Error(ErrStringTooLong)
		return false
	}
	return true
}

func cmdGet(c *Client, args [][]byte) { c.replyGet(args[1]) }

// Flags of the extended options of SET and GETEX.
const (
	optNX = 1 << iota
	optXX
	optGet
	optKeepTTL
	optPersist
	optEX
	optPX
	optEXAT
	optPXAT

	optExpire = optEX | optPX | optEXAT | optPXAT
)

// parseStringOptions parses the options of SET (forSet) or GETEX as Redis
// 7.0 does: an option that conflicts with one already given, or an expire
// option without its argument, is a syntax error; repeating an option is
// allowed (the last expire wins).
func parseStringOptions(args [][]byte, forSet bool) (flags int, expire []byte, ok bool) {
	for j := 0; j < len(args); j++ {
		a := args[j]
		switch {
		case forSet && EqualFold(a, "nx") && flags&optXX == 0:
			flags |= optNX
		case forSet && EqualFold(a, "xx") && flags&optNX == 0:
			flags |= optXX
		case forSet && EqualFold(a, "get"):
			flags |= optGet
		case forSet && EqualFold(a, "keepttl") && flags&(optPersist|optExpire) == 0:
			flags |= optKeepTTL
		case !forSet && EqualFold(a, "persist") && flags&(optKeepTTL|optExpire) == 0:
			flags |= optPersist
		default:
			f := expireOption(a)
			if f == 0 || j+1 == len(args) || flags&(optKeepTTL|optPersist|optExpire&^f) != 0 {
				return 0, nil, false
			}
			flags |= f
			expire = args[j+1]
			j++
		}
	}
	return flags, expire, true
}

func expireOption(a []byte) int {
	switch {
	case EqualFold(a, "ex"):
		return optEX
	case EqualFold(a, "px"):
		return optPX
	case EqualFold(a, "exat"):
		return optEXAT
	case EqualFold(a, "pxat"):
		return optPXAT
	}
	return 0
}

// expireAt turns the expire argument of SET, SETEX, PSETEX or GETEX into an
// absolute Unix time in ms, replying the error itself: Redis refuses
// values <= 0 and results that overflow.
func (c *Client) expireAt(arg []byte, flags int) (int64, bool) {
	v, ok := ParseInt(arg)
	if !ok {
		c.Error(ErrNotInteger)
		return 0, false
	}
	seconds := flags&(optEX|optEXAT) != 0
	if v <= 0 || (seconds && v > math.MaxInt64/1000) {
		c.invalidExpire()
		return 0, false
	}
	if seconds {
		v *= 1000
	}
	if flags&(optEX|optPX) != 0 {
		now := c.E.KS.Now()
		if v > math.MaxInt64-now {
			c.invalidExpire()
			return 0, false
		}
		v += now
	}
	return v, true
}

func (c *Client) invalidExpire() {
	c.Error(fmt.Sprintf(ErrInvalidExpire, c.Cmd.FullName()))
}

func cmdSet(c *Client, args [][]byte) {
	flags, expire, ok := parseStringOptions(args[3:], true)
	if !ok {
		c.Error(ErrSyntax)
		return
	}
	c.setGeneric(args, flags, expire, false)
}

func cmdSetNX(c *Client, args [][]byte) { c.setGeneric(args, optNX, nil, true) }

func cmdSetEX(c *Client, args [][]byte) {
	c.setGeneric([][]byte{args[0], args[1], args[3]}, optEX, args[2], false)
}

func cmdPSetEX(c *Client, args [][]byte) {
	c.setGeneric([][]byte{args[0], args[1], args[3]}, optPX, args[2], false)
}

// setGeneric implements SET and its variants over args (name, key, value,
// options...). SETNX (intReply) answers 1/0 instead of OK/nil.
//
// Propagation follows Redis 7.0: with any expire option the command
// becomes SET key value PXAT <abs-ms> (so that replicas and the AOF agree
// on the deadline); otherwise it goes as given, minus GET.
func (c *Client) setGeneric(args [][]byte, flags int, expire []byte, intReply bool) {
	key, val := args[1], args[2]
	var at int64
	if expire != nil {
		var ok bool
		if at, ok = c.expireAt(expire, flags); !ok {
			return
		}
	}
	if flags&optGet != 0 && !c.replyGet(key) {
		return
	}
	found := c.DB.LookupWrite(key) != nil
	if (flags&optNX != 0 && found) || (flags&optXX != 0 && !found) {
		switch {
		case flags&optGet != 0:
		case intReply:
			c.W.Int(0)
		default:
			c.W.Null()
		}
		return
	}
	e := c.DB.Set(key, keyspace.NewString(Clone(val)), flags&optKeepTTL != 0)
	switch {
	case expire != nil:
		c.DB.SetExpire(e, at)
		var buf [20]byte
		c.Propagate([]byte("SET"), key, val, []byte("PXAT"), strconv.AppendInt(buf[:0], at, 10))
	case flags&optGet != 0:
		argv := make([][]byte, 0, len(args)-1)
		for j, a := range args {
			if j < 3 || !EqualFold(a, "get") {
				argv = append(argv, a)
			}
		}
		c.Propagate(argv...)
	}
	c.Modified(key)
	switch {
	case flags&optGet != 0:
	case intReply:
		c.W.Int(1)
	default:
		c.OK()
	}
}

func cmdGetSet(c *Client, args [][]byte) {
	if !c.replyGet(args[1]) {
		return
	}
	c.DB.Set(args[1], keyspace.NewString(Clone(args[2])), false)
	c.Modified(args[1])
}

// cmdGetEX propagates as PEXPIREAT (any expire option), PERSIST, or DEL
// when an absolute time is already past, as Redis 7.0.
func cmdGetEX(c *Client, args [][]byte) {
	key := args[1]
	flags, expire, ok := parseStringOptions(args[2:], false)
	if !ok {
		c.Error(ErrSyntax)
		return
	}
	e := c.DB.LookupRead(key)
	if e == nil {
		c.W.Null()
		return
	}
	s, ok := c.asString(e)
	if !ok {
		return
	}
	var at int64
	if expire != nil {
		if at, ok = c.expireAt(expire, flags); !ok {
			return
		}
	}
	c.W.Bulk(s.B)
	switch {
	case flags&(optEXAT|optPXAT) != 0 && at <= c.E.KS.Now() && !c.E.KS.Replica:
		c.DB.Delete(key)
		c.Propagate([]byte("DEL"), key)
		c.Modified(key)
	case expire != nil:
		c.DB.SetExpire(e, at)
		var buf [20]byte
		c.Propagate([]byte("PEXPIREAT"), key, strconv.AppendInt(buf[:0], at, 10))
		c.Modified(key)
	case flags&optPersist != 0 && e.Val.Expire != 0:
		c.DB.SetExpire(e, 0)
		c.Propagate([]byte("PERSIST"), key)
		c.Modified(key)
	}
}

func cmdGetDel(c *Client, args [][]byte) {
	key := args[1]
	s, ok := c.stringForRead(key)
	if !ok {
		return
	}
	if s == nil {
		c.W.Null()
		return
	}
	c.W.Bulk(s.B)
	c.DB.Delete(key)
	c.Propagate([]byte("DEL"), key)
	c.Modified(key)
}

func cmdMGet(c *Client, args [][]byte) {
	c.W.Array(len(args) - 1)
	for _, key := range args[1:] {
		e := c.DB.LookupRead(key)
		if e == nil {
			c.W.Null()
			continue
		}
		if s, ok := e.Val.Val.(*keyspace.String); ok {
			c.W.Bulk(s.B)
		} else {
			c.W.Null()
		}
	}
}

func cmdMSet(c *Client, args [][]byte) {
	if len(args)%2 == 0 {
		c.ArityError()
		return
	}
	c.msetPairs(args)
	c.OK()
}

func cmdMSetNX(c *Client, args [][]byte) {
	if len(args)%2 == 0 {
		c.ArityError()
		return
	}
	for j := 1; j < len(args); j += 2 {
		if c.DB.LookupWrite(args[j]) != nil {
			c.W.Int(0)
			return
		}
	}
	c.msetPairs(args)
	c.W.Int(1)
}

func (c *Client) msetPairs(args [][]byte) {
	for j := 1; j < len(args); j += 2 {
		c.DB.Set(args[j], keyspace.NewString(Clone(args[j+1])), false)
		c.Modified(args[j])
	}
}

// cmdAppend stores the argument as given on a new key (so "12" is "int"
// encoded) and makes an existing value "raw", as Redis does.
func cmdAppend(c *Client, args [][]byte) {
	key, add := args[1], args[2]
	s, ok := c.stringForWrite(key)
	if !ok {
		return
	}
	if s == nil {
		c.DB.Add(key, keyspace.NewString(Clone(add)))
		c.Modified(key)
		c.W.Int(int64(len(add)))
		return
	}
	if !c.checkStringLength(int64(len(s.B)), int64(len(add))) {
		return
	}
	s.Append(add)
	c.Modified(key)
	c.W.Int(int64(len(s.B)))
}

func cmdStrlen(c *Client, args [][]byte) {
	s, ok := c.stringForRead(args[1])
	if !ok {
		return
	}
	if s == nil {
		c.W.Int(0)
		return
	}
	c.W.Int(int64(len(s.B)))
}

func cmdIncr(c *Client, args [][]byte) { c.incrBy(args[1], 1) }
func cmdDecr(c *Client, args [][]byte) { c.incrBy(args[1], -1) }

func cmdIncrBy(c *Client, args [][]byte) {
	if n, ok := c.IntArg(args[2]); ok {
		c.incrBy(args[1], n)
	}
}

func cmdDecrBy(c *Client, args [][]byte) {
	n, ok := c.IntArg(args[2])
	if !ok {
		return
	}
	if n == math.MinInt64 {
		c.Error(ErrDecrOverflow)
		return
	}
	c.incrBy(args[1], -n)
}

// incrBy adds incr to the integer at key in place, leaving it "int"
// encoded; an existing counter is updated without allocating.
func (c *Client) incrBy(key []byte, incr int64) {
	s, ok := c.stringForWrite(key)
	if !ok {
		return
	}
	var v int64
	if s != nil {
		if v, ok = ParseInt(s.B); !ok {
			c.Error(ErrNotInteger)
			return
		}
	}
	if (incr < 0 && v < 0 && incr < math.MinInt64-v) || (incr > 0 && v > 0 && incr > math.MaxInt64-v) {
		c.Error(ErrOverflow)
		return
	}
	v += incr
	if s != nil {
		s.SetInt(v)
	} else {
		c.DB.Add(key, keyspace.NewIntString(v))
	}
	c.Modified(key)
	c.W.Int(v)
}

// cmdIncrByFloat computes in x87 long double precision, as Redis on
// x86-64 does (64-bit mantissa, so 10.1 + 0.2 is "10.3"), prints with
// %.17Lf without trailing zeros, and propagates SET key value KEEPTTL.
func cmdIncrByFloat(c *Client, args [][]byte) {
	key := args[1]
	s, ok := c.stringForWrite(key)
	if !ok {
		return
	}
	cur := new(big.Float).SetPrec(x87Prec)
	if s != nil {
		if cur, ok = parseLongDouble(s.B); !ok {
			c.Error(ErrNotFloat)
			return
		}
	}
	incr, ok := parseLongDouble(args[2])
	if !ok {
		c.Error(ErrNotFloat)
		return
	}
	val, ok := addLongDouble(cur, incr)
	if !ok {
		c.Error(ErrIncrFloatNaNInf)
		return
	}
	if s != nil {
		s.B, s.Raw, s.NoInt = val, false, true
	} else {
		c.DB.Add(key, &keyspace.String{B: val, NoInt: true})
	}
	c.Propagate([]byte("SET"), key, val, []byte("KEEPTTL"))
	c.Modified(key)
	c.W.Bulk(val)
}

// x87 extended precision: 64-bit mantissa, exponent range of 15 bits,
// as big.Float MantExp exponents.
const (
	x87Prec          = 64
	x87MaxExp        = 16384  // of the largest finite value
	x87MinExp        = -16444 // of the smallest subnormal
	maxLongDoubleLen = 5 * 1024
)

// addLongDouble adds two long doubles as INCRBYFLOAT and HINCRBYFLOAT
// do and formats the sum; false means an operand or the sum is infinite
// (Redis's "increment would produce NaN or Infinity").
func addLongDouble(cur, incr *big.Float) ([]byte, bool) {
	if cur.IsInf() || incr.IsInf() {
		return nil, false
	}
	sum := new(big.Float).SetPrec(x87Prec).Add(cur, incr)
	if sum.MantExp(nil) > x87MaxExp {
		return nil, false
	}
	return formatLongDouble(sum), true
}

// parseLongDouble parses b as Redis's string2ld (strtold): decimal or
// hexadecimal floats, inf and infinity; not NaN, not leading spaces, not
// trailing garbage, not values out of the long double range.
func parseLongDouble(b []byte) (*big.Float, bool) {
	if len(b) == 0 || len(b) >= maxLongDoubleLen || isCSpace(b[0]) {
		return nil, false
	}
	body := b
	if body[0] == '+' || body[0] == '-' {
		body = body[1:]
	}
	if EqualFold(body, "inf") || EqualFold(body, "infinity") {
		return new(big.Float).SetInf(b[0] == '-'), true
	}
	hex := len(body) > 2 && body[0] == '0' && (body[1] == 'x' || body[1] == 'X')
	digits := body
	if hex {
		digits = body[2:]
	}
	nonzero, exp, ok := scanFloatSyntax(digits, hex)
	if !ok {
		return nil, false
	}
	f := new(big.Float).SetPrec(x87Prec)
	if !nonzero {
		return f, true // strtold reads 0e99999 as a plain zero
	}
	// Bound the exponent before big.Float computes a power of ten of it:
	// the input is shorter than 5 KiB, so beyond these bounds the value is
	// out of range whatever its digits.
	if (hex && (exp > 4*maxLongDoubleLen+x87MaxExp || exp < -4*maxLongDoubleLen+x87MinExp)) ||
		(!hex && (exp > maxLongDoubleLen+4933 || exp < -maxLongDoubleLen-4951)) {
		return nil, false
	}
	if _, _, err := f.Parse(string(b), 0); err != nil {
		return nil, false
	}
	if e := f.MantExp(nil); e > x87MaxExp || e < x87MinExp-1 || (e == x87MinExp-1 && !aboveHalfSubnormal(b)) {
		return nil, false
	}
	return f, true
}

// aboveHalfSubnormal reports whether the number b, whose magnitude lies in
// [2^-16446, 2^-16445), exceeds half the smallest subnormal long double:
// strtold rounds it up to that subnormal, while 2^-16446 itself (and
// anything below) rounds to zero with ERANGE, which Redis refuses. The
// 64-bit parse could round a value just above the tie onto it, so this
// looks again with far more precision.
func aboveHalfSubnormal(b []byte) bool {
	f, _, err := new(big.Float).SetPrec(1<<16).Parse(string(b), 0)
	if err != nil {
		return false
	}
	half := new(big.Float).SetMantExp(big.NewFloat(0.5), x87MinExp-1)
	return f.Abs(f).Cmp(half) > 0
}

// scanFloatSyntax checks the mantissa and exponent of a strtold number
// (after sign and 0x prefix): digits with an optional point, at least one
// digit, then an optional exponent (e for decimal, p for hex) with digits.
// It reports whether a digit is non-zero and the exponent, saturated.
func scanFloatSyntax(b []byte, hex bool) (nonzero bool, exp int, ok bool) {
	i, ndigits, dot := 0, 0, false
	for ; i < len(b); i++ {
		ch := b[i]
		switch {
		case ch == '.' && !dot:
			dot = true
		case ch >= '0' && ch <= '9', hex && (ch|0x20) >= 'a' && (ch|0x20) <= 'f':
			ndigits++
			nonzero = nonzero || ch != '0'
		default:
			goto mantissaDone
		}
	}
mantissaDone:
	if ndigits == 0 {
		return false, 0, false
	}
	if i == len(b) {
		return nonzero, 0, true
	}
	if marker := b[i] | 0x20; (hex && marker != 'p') || (!hex && marker != 'e') {
		return false, 0, false
	}
	i++
	neg := false
	if i < len(b) && (b[i] == '+' || b[i] == '-') {
		neg = b[i] == '-'
		i++
	}
	if i == len(b) {
		return false, 0, false
	}
	for ; i < len(b); i++ {
		if b[i] < '0' || b[i] > '9' {
			return false, 0, false
		}
		if exp < 1<<30 {
			exp = exp*10 + int(b[i]-'0')
		}
	}
	if neg {
		exp = -exp
	}
	return nonzero, exp, true
}

func isCSpace(ch byte) bool {
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\v' || ch == '\f' || ch == '\r'
}

// formatLongDouble prints f as Redis's ld2string in human mode: %.17Lf,
// trailing zeros and point removed, "-0" written "0".
func formatLongDouble(f *big.Float) []byte {
	b := f.Append(nil, 'f', 17)
	end := len(b)
	for end > 0 && b[end-1] == '0' {
		end--
	}
	if end > 0 && b[end-1] == '.' {
		end--
	}
	b = b[:end]
	if string(b) == "-0" {
		b = b[1:]
	}
	return b
}

// cmdGetRange (and SUBSTR) parse the range before looking the key up, as
// Redis 7.0.
func cmdGetRange(c *Client, args [][]byte) {
	start, ok := c.IntArg(args[2])
	if !ok {
		return
	}
	end, ok := c.IntArg(args[3])
	if !ok {
		return
	}
	s, ok := c.stringForRead(args[1])
	if !ok {
		return
	}
	if s == nil || (start < 0 && end < 0 && start > end) {
		c.W.Bulk(nil)
		return
	}
	n := int64(len(s.B))
	if start < 0 {
		start += n
	}
	if end < 0 {
		end += n
	}
	start, end = max(start, 0), max(end, 0)
	if end >= n {
		end = n - 1
	}
	if start > end || n == 0 {
		c.W.Bulk(nil)
		return
	}
	c.W.Bulk(s.B[start : end+1])
}

func cmdSetRange(c *Client, args [][]byte) {
	key, val := args[1], args[3]
	off, ok := c.IntArg(args[2])
	if !ok {
		return
	}
	if off < 0 {
		c.Error(ErrOffsetOutOfRange)
		return
	}
	s, ok := c.stringForWrite(key)
	if !ok {
		return
	}
	if len(val) == 0 {
		// Nothing written: the key is neither created nor changed.
		if s == nil {
			c.W.Int(0)
		} else {
			c.W.Int(int64(len(s.B)))
		}
		return
	}
	if !c.checkStringLength(off, int64(len(val))) {
		return
	}
	if s == nil {
		s = &keyspace.String{}
		c.DB.Add(key, s)
	}
	s.WriteAt(int(off), val)
	c.Modified(key)
	c.W.Int(int64(len(s.B)))
}

// cmdLCS is Redis's dynamic-programming LCS: the full table is built (its
// size is capped by proto-max-bulk-len as in Redis), then walked back from
// the end, emitting match ranges from the last to the first.
func cmdLCS(c *Client, args [][]byte) {
	a, b, ok := c.lcsOperands(args[1], args[2])
	if !ok {
		return
	}
	var getLen, getIdx, withMatchLen bool
	var minMatchLen int64
	for j := 3; j < len(args); j++ {
		switch {
		case EqualFold(args[j], "idx"):
			getIdx = true
		case EqualFold(args[j], "len"):
			getLen = true
		case EqualFold(args[j], "withmatchlen"):
			withMatchLen = true
		case EqualFold(args[j], "minmatchlen") && j+1 < len(args):
			n, ok := c.IntArg(args[j+1])
			if !ok {
				return
			}
			minMatchLen = max(n, 0)
			j++
		default:
			c.Error(ErrSyntax)
			return
		}
	}
	if getIdx && getLen {
		c.Error(ErrLCSLenAndIdx)
		return
	}
	if uint64(len(a)) >= math.MaxUint32-1 || uint64(len(b)) >= math.MaxUint32-1 {
		c.Error(ErrLCSTooLong)
		return
	}
	cells := uint64(len(a)+1) * uint64(len(b)+1)
	if cells*4 > uint64(c.E.Cfg.ProtoMaxBulkLen) {
		c.Error(ErrLCSMemory)
		return
	}
	t := lcsTable(a, b)
	w := len(b) + 1
	at := func(i, j int) uint32 { return t[i*w+j] }
	n := int(at(len(a), len(b)))

	if getLen {
		c.W.Int(int64(n))
		return
	}
	result := make([]byte, n)
	type span struct{ a0, a1, b0, b1 int }
	var matches []span
	idx := n
	none := len(a) // marks "no range open", as Redis does with alen
	cur := span{a0: none}
	for i, j := len(a), len(b); i > 0 && j > 0; {
		emit := false
		if a[i-1] == b[j-1] {
			result[idx-1] = a[i-1]
			switch {
			case cur.a0 == none:
				cur = span{i - 1, i - 1, j - 1, j - 1}
			case cur.a0 == i && cur.b0 == j:
				cur.a0--
				cur.b0--
			default:
				emit = true
			}
			if cur.a0 == 0 || cur.b0 == 0 {
				emit = true
			}
			idx, i, j = idx-1, i-1, j-1
		} else {
			if at(i-1, j) > at(i, j-1) {
				i--
			} else {
				j--
			}
			emit = cur.a0 != none
		}
		if emit {
			if getIdx && int64(cur.a1-cur.a0+1) >= minMatchLen {
				matches = append(matches, cur)
			}
			cur.a0 = none
		}
	}
	if !getIdx {
		c.W.Bulk(result)
		return
	}
	c.W.Map(2)
	c.W.BulkString("matches")
	c.W.Array(len(matches))
	for _, m := range matches {
		if withMatchLen {
			c.W.Array(3)
		} else {
			c.W.Array(2)
		}
		c.W.Array(2)
		c.W.Int(int64(m.a0))
		c.W.Int(int64(m.a1))
		c.W.Array(2)
		c.W.Int(int64(m.b0))
		c.W.Int(int64(m.b1))
		if withMatchLen {
			c.W.Int(int64(m.a1 - m.a0 + 1))
		}
	}
	c.W.BulkString("len")
	c.W.Int(int64(n))
}

// lcsOperands reads both LCS keys (missing keys are empty strings).
func (c *Client) lcsOperands(ka, kb []byte) (a, b []byte, ok bool) {
	a, okA := lcsOperand(c.DB.LookupRead(ka))
	b, okB := lcsOperand(c.DB.LookupRead(kb))
	if !okA || !okB {
		c.Error(ErrLCSWrongType)
		return nil, nil, false
	}
	return a, b, true
}

func lcsOperand(e *keyspace.KeyEntry) ([]byte, bool) {
	if e == nil {
		return nil, true
	}
	s, ok := e.Val.Val.(*keyspace.String)
	if !ok {
		return nil, false
	}
	return s.B, true
}

// lcsTable returns the (len(a)+1) x (len(b)+1) table of LCS lengths of
// the prefixes, row-major.
func lcsTable(a, b []byte) []uint32 {
	w := len(b) + 1
	t := make([]uint32, (len(a)+1)*w)
	for i := 1; i <= len(a); i++ {
		row, prev := t[i*w:(i+1)*w], t[(i-1)*w:i*w]
		for j := 1; j <= len(b); j++ {
			switch {
			case a[i-1] == b[j-1]:
				row[j] = prev[j-1] + 1
			case prev[j] > row[j-1]:
				row[j] = prev[j]
			default:
				row[j] = row[j-1]
			}
		}
	}
	return t
}
