// Package codec owns the byte-level formats Redis stores inside RDB
// strings: listpack (Redis 7.0), ziplist and zipmap (older files, read
// only), intset, the LZF compression of strings and the CRC64 that closes
// RDB files and DUMP payloads.
//
// Everything here is a pure function over byte slices: no I/O, no
// goroutines, standard library only. Decoders take untrusted input (a
// file on disk, a RESTORE payload from a client), so they never panic,
// check every length against the bytes that remain before using it, and
// validate as deeply as Redis's *ValidateIntegrity(deep=1) functions.
// Callbacks are invoked only once the whole blob has been validated, so a
// caller never sees half of a corrupt value.
//
// The package must not import anything from this module: the RDB reader
// and writer (package rdb) depend on it, not the other way round.
package codec
