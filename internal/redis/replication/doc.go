// Package replication holds the parts of Redis's master/replica
// replication that do not need the server: the backlog ring, replication
// IDs, the PSYNC decision of a master, and the replica's side of the
// handshake (PING, AUTH, REPLCONF, PSYNC) and of the RDB transfer
// ($<len> or the diskless $EOF:<mark> framing).
//
// Offsets follow Redis: the master replication offset counts every byte
// ever fed to the replication stream; byte number n of the stream has
// offset n (the first byte is 1), so a replica that processed up to
// offset o asks PSYNC for o+1.
//
// The server (internal/redis/server) owns the connections, the event loop
// and the dataset; this package must not import it, nor anything from
// Kubernetes.
package replication
