package codec

import "encoding/binary"

// crc64Poly is the Jones polynomial 0xad93d23594c935a9 bit-reversed, as
// Redis's crc64 processes bits LSB first with no final xor.
const crc64Poly = 0x95ac9329ac4bc9b5

// crc64Tables are the slicing-by-8 tables. hash/crc64 cannot be used: it
// rebuilds its slicing tables on every call for a custom polynomial.
var crc64Tables = buildCRC64Tables()

func buildCRC64Tables() *[8][256]uint64 {
	t := new([8][256]uint64)
	for i := range 256 {
		c := uint64(i)
		for range 8 {
			if c&1 == 1 {
				c = c>>1 ^ crc64Poly
			} else {
				c >>= 1
			}
		}
		t[0][i] = c
	}
	for i := range 256 {
		c := t[0][i]
		for k := 1; k < 8; k++ {
			c = t[0][c&0xff] ^ c>>8
			t[k][i] = c
		}
	}
	return t
}

// CRC64 continues Redis's crc64 (Jones polynomial, reflected, initial
// value 0, no final xor) over p: CRC64(0, []byte("123456789")) is
// 0xe9c6d914c4b8d9ca. RDB files and DUMP payloads end with it, little
// endian.
func CRC64(crc uint64, p []byte) uint64 {
	t := crc64Tables
	for len(p) >= 8 {
		crc ^= binary.LittleEndian.Uint64(p)
		crc = t[7][crc&0xff] ^
			t[6][crc>>8&0xff] ^
			t[5][crc>>16&0xff] ^
			t[4][crc>>24&0xff] ^
			t[3][crc>>32&0xff] ^
			t[2][crc>>40&0xff] ^
			t[1][crc>>48&0xff] ^
			t[0][crc>>56]
		p = p[8:]
	}
	for _, b := range p {
		crc = t[0][byte(crc)^b] ^ crc>>8
	}
	return crc
}
