package replication

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
)

// NoReplID is Redis's all-zero replication ID (replid2 when unset).
const NoReplID = "0000000000000000000000000000000000000000"

// NewReplID returns a random 40-character replication ID.
func NewReplID() string {
	var b [20]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// IDs are a master's replication identity (PSYNC2): its current ID, and the
// ID of the master it followed before a promotion, valid up to
// SecondOffset.
type IDs struct {
	ID           string
	ID2          string
	SecondOffset int64 // -1 when ID2 is unset
}

// Shift makes the current ID the secondary one, valid up to offset (the
// master offset at the change) + 1, and takes a new ID: what a replica
// does when promoted (REPLICAOF NO ONE) or told +CONTINUE with a new ID.
func (ids *IDs) Shift(offset int64, newID string) {
	ids.ID2 = ids.ID
	ids.SecondOffset = offset + 1
	ids.ID = newID
}

// Clear forgets the secondary ID.
func (ids *IDs) Clear() {
	ids.ID2 = NoReplID
	ids.SecondOffset = -1
}

// DecidePSync is a master's masterTryPartialResynchronization: whether a
// replica asking PSYNC reqID reqOffset can continue from the backlog bl
// (nil when there is none). When it cannot, reason says why, in the words
// of Redis's log.
func DecidePSync(ids IDs, bl *Backlog, reqID string, reqOffset int64) (partial bool, reason string) {
	if !strings.EqualFold(reqID, ids.ID) && (!strings.EqualFold(reqID, ids.ID2) || reqOffset > ids.SecondOffset) {
		switch {
		case reqID == "?":
			return false, "Full resync requested by replica"
		case strings.EqualFold(reqID, ids.ID2):
			return false, fmt.Sprintf("Partial resynchronization not accepted: Requested offset for second ID was %d, but I can reply up to %d", reqOffset, ids.SecondOffset)
		default:
			return false, fmt.Sprintf("Partial resynchronization not accepted: Replication ID mismatch (Replica asked for '%s', my replication IDs are '%s' and '%s')", reqID, ids.ID, ids.ID2)
		}
	}
	if bl == nil || !bl.Covers(reqOffset) {
		return false, fmt.Sprintf("Unable to partial resync with replica for lack of backlog (Replica request was: %d).", reqOffset)
	}
	return true, ""
}
