package rdb

import "unsafe"

// unsafeBytes views s as bytes for reading only (keys are strings in the
// dictionary; serialisation only reads them).
func unsafeBytes(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }

// unsafeString views b as a string for a call that does not keep it.
func unsafeString(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }
