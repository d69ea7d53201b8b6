package rdb

import "unsafe"

// unsafeBytes views s as bytes for reading only (keys are strings in the
// dictionary; serialisation only reads them).
func unsafeBytes(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }
