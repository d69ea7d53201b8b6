// Package aof owns Redis 7.0's multi-part append-only file: the manifest,
// the loading of the base and incr files, the append path (Feed, Flush and
// the fsync policies), and the file protocol of a rewrite (BGREWRITEAOF).
//
// It knows nothing of the keyspace or of RDB: commands are handed to the
// caller's Apply callback and RDB data to its LoadRDB callback, and new base
// files are produced by the caller through an io.Writer. It imports only the
// standard library, golang.org/x/sys/unix and internal/redis/resp; it must not
// import command, keyspace, rdb or server.
//
// # On-disk format
//
// With appendonly yes every file lives in <dir>/<appenddirname>:
//
//	appendonly.aof.manifest      the list of files, replaced atomically
//	appendonly.aof.3.base.rdb    the base: an RDB (aof-use-rdb-preamble yes)
//	appendonly.aof.3.base.aof    ... or commands (aof-use-rdb-preamble no)
//	appendonly.aof.5.incr.aof    writes since the base, in RESP, oldest first
//	appendonly.aof.6.incr.aof
//
// The manifest holds one line per file, base first, then history, then incr:
//
//	file appendonly.aof.3.base.rdb seq 3 type b
//	file appendonly.aof.4.incr.aof seq 4 type h
//	file appendonly.aof.5.incr.aof seq 5 type i
//	file appendonly.aof.6.incr.aof seq 6 type i
//
// A dataset is the base followed by the incr files in manifest order. History
// files (type h) are what a finished rewrite replaced; they are deleted right
// after the manifest that demotes them is durable and are never loaded.
//
// An incr file, or a base .aof, is a stream of RESP multibulk commands. Lines
// starting with '#' between commands are annotations (#TS:<unix time>) and are
// skipped. Any file that starts with "REDIS" begins with an RDB: a base .rdb
// is nothing else, a base .aof written with the preamble continues with
// commands after the RDB's EOF opcode and checksum.
//
// # Rewrite
//
// StartRewrite opens a new incr file and persists a manifest that lists it
// after the old ones, so that a crash at any point still loads old base + old
// incrs + new incr. The caller writes the new base from a snapshot taken at
// that moment; Commit renames it into place and persists a manifest that
// names the new base, keeps only the incr files opened since StartRewrite and
// demotes the rest to history, then deletes the history files.
//
// Every replaced file (manifest, base) is written to a temp file, fsynced,
// renamed, and the directory fsynced.
package aof
