package codec

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
	"sync"
)

// LZF (liblzf's format, as Redis stores compressed strings) is a sequence
// of chunks, each led by a control byte:
//
//	000LLLLL                  literal run: the next L+1 bytes (1..32) are copied
//	LLLOOOOO [LLLLLLLL] OOOOOOOO
//	                          back reference: copy len+2 bytes from
//	                          offset+1 bytes back in the output, where
//	                          len is the top 3 bits (7 means "add the
//	                          next byte") and offset is 13 bits
const (
	lzfMaxLit  = 32                // longest literal run
	lzfMaxOff  = 1 << 13           // farthest back reference
	lzfMaxRef  = 2 + 7 + 255       // longest match: 264 bytes
	lzfMinRef  = 3                 // shortest match worth a reference
	lzfHLog    = 14                // log2 of the hash table entries
	lzfHShift  = 32 - lzfHLog      // multiplicative hash: keep the top bits
	lzfHMul    = 0x9E3779B1        // golden-ratio multiplier
	lzfMaxGen  = 1<<32 - 1<<30 - 1 // position stamps wrap before this
	lzfMaxSkip = 16 << 5           // search step 16 after long misses
)

// lzfState is the compressor's hash table, kept in a pool so a call
// allocates nothing. Entries hold gen+position+1; entries below gen+1
// belong to earlier calls, so the table never needs clearing (which would
// cost 64 KiB of writes for every short string).
type lzfState struct {
	table [1 << lzfHLog]uint32
	gen   uint32
}

var lzfPool = sync.Pool{New: func() any { return new(lzfState) }}

// LZFCompress compresses src into dst in liblzf's format, the one Redis's
// lzf_decompress reads, and returns the number of bytes written, or 0 when
// src is empty or the output would not fit in len(dst). Redis passes
// len(dst) = len(src)-4 and stores the string raw when this returns 0.
// The matches chosen are this package's own, so the bytes can differ from
// what redis-server writes for the same string; the output is
// deterministic.
func LZFCompress(dst, src []byte) int {
	if len(src) == 0 || len(dst) == 0 || uint64(len(src)) >= lzfMaxGen {
		return 0
	}
	st := lzfPool.Get().(*lzfState)
	defer lzfPool.Put(st)
	if uint64(st.gen)+uint64(len(src)) >= lzfMaxGen {
		clear(st.table[:])
		st.gen = 0
	}
	base := st.gen + 1 // stamp of position 0
	st.gen += uint32(len(src)) + 1
	return lzfCompress(dst, src, &st.table, base)
}

func lzfCompress(dst, src []byte, table *[1 << lzfHLog]uint32, base uint32) int {
	op := 0
	lit := 0 // start of the pending literal run in src
	ip := 0
	// After 32 misses in a row the search steps 2 bytes, after 32 more 3,
	// and so on up to 16 (as snappy does): incompressible data then costs
	// little, and any match resets the step.
	skip := 32
	// A match needs lzfMinRef bytes and the hash reads 4: stop searching
	// 4 bytes before the end and let the tail go out as literals.
	for ip+4 <= len(src) {
		word := binary.LittleEndian.Uint32(src[ip:])
		h := (word & 0xffffff) * lzfHMul >> lzfHShift
		stamp := table[h]
		table[h] = base + uint32(ip)
		ref := int(stamp - base)
		if stamp < base || ip-ref-1 >= lzfMaxOff ||
			binary.LittleEndian.Uint32(src[ref:])&0xffffff != word&0xffffff {
			ip += skip >> 5
			if skip < lzfMaxSkip {
				skip++
			}
			continue
		}
		skip = 32
		off := ip - ref - 1
		n := lzfMatchLen(src[ref:], src[ip:], min(lzfMaxRef, len(src)-ip))
		if op = lzfLiterals(dst, op, src[lit:ip]); op < 0 {
			return 0
		}
		l := n - 2
		if l < 7 {
			if op+2 > len(dst) {
				return 0
			}
			dst[op] = byte(l<<5 | off>>8)
			dst[op+1] = byte(off)
			op += 2
		} else {
			if op+3 > len(dst) {
				return 0
			}
			dst[op] = byte(7<<5 | off>>8)
			dst[op+1] = byte(l - 7)
			dst[op+2] = byte(off)
			op += 3
		}
		ip += n
		lit = ip
		// Index the last two positions of the match so that a repeat
		// right after it is found (liblzf does the same).
		for p := ip - 2; p < ip && p+4 <= len(src); p++ {
			w := binary.LittleEndian.Uint32(src[p:]) & 0xffffff
			table[w*lzfHMul>>lzfHShift] = base + uint32(p)
		}
	}
	if op = lzfLiterals(dst, op, src[lit:]); op < 0 {
		return 0
	}
	return op
}

// lzfMatchLen is the length of the common prefix of a and b, at most limit.
func lzfMatchLen(a, b []byte, limit int) int {
	n := lzfMinRef
	for n+8 <= limit {
		x := binary.LittleEndian.Uint64(a[n:]) ^ binary.LittleEndian.Uint64(b[n:])
		if x != 0 {
			return n + bits.TrailingZeros64(x)>>3
		}
		n += 8
	}
	for n < limit && a[n] == b[n] {
		n++
	}
	return n
}

// lzfLiterals writes lits as runs of at most 32 bytes at dst[op:] and
// returns the new output position, or -1 when they do not fit.
func lzfLiterals(dst []byte, op int, lits []byte) int {
	for len(lits) > 0 {
		n := min(len(lits), lzfMaxLit)
		if op+1+n > len(dst) {
			return -1
		}
		dst[op] = byte(n - 1)
		copy(dst[op+1:], lits[:n])
		op += 1 + n
		lits = lits[n:]
	}
	return op
}

// LZFDecompress decompresses src into dst and returns len(dst): the
// output must be exactly len(dst) bytes (Redis stores the uncompressed
// length beside the data). Any back reference before the start of the
// output, a chunk running past either buffer, or a length mismatch is an
// error.
func LZFDecompress(dst, src []byte) (int, error) {
	ip, op := 0, 0
	for ip < len(src) {
		ctrl := int(src[ip])
		ip++
		if ctrl < 1<<5 {
			n := ctrl + 1
			if ip+n > len(src) {
				return 0, fmt.Errorf("lzf: literal run at input %d overruns the input", ip-1)
			}
			if op+n > len(dst) {
				return 0, fmt.Errorf("lzf: literal run at input %d overruns the output", ip-1)
			}
			copy(dst[op:], src[ip:ip+n])
			ip += n
			op += n
			continue
		}
		n := ctrl >> 5
		if n == 7 {
			if ip >= len(src) {
				return 0, errors.New("lzf: back reference truncated")
			}
			n += int(src[ip])
			ip++
		}
		n += 2
		if ip >= len(src) {
			return 0, errors.New("lzf: back reference truncated")
		}
		ref := op - (ctrl&0x1f)<<8 - int(src[ip]) - 1
		ip++
		if ref < 0 {
			return 0, fmt.Errorf("lzf: back reference at input %d points before the start", ip)
		}
		if op+n > len(dst) {
			return 0, fmt.Errorf("lzf: back reference at input %d overruns the output", ip)
		}
		if op-ref >= n {
			copy(dst[op:op+n], dst[ref:ref+n])
			op += n
			continue
		}
		// Overlapping copy: the reference repeats the bytes it is producing.
		for i := range n {
			dst[op+i] = dst[ref+i]
		}
		op += n
	}
	if op != len(dst) {
		return 0, fmt.Errorf("lzf: decompressed %d bytes, want %d", op, len(dst))
	}
	return op, nil
}
