package controllers

import (
	"fmt"

	"github.com/replikube/replikube/api/v1alpha1"
)

// promotion is a replica made master in place of the named one.
type promotion struct {
	From, To string
	Reason   string
	Message  string
}

// volatileData reports whether a member loses its data set when its process
// restarts: no volume, or a volume with neither snapshots nor an AOF. Only
// then can a restarted master come back empty, which is the case the Redis
// documentation warns about: its replicas would resync from it and lose
// everything.
func volatileData(rg *v1alpha1.ReplicationGroup) bool {
	if rg.Spec.Storage == nil {
		return true
	}
	p := rg.Spec.Persistence
	return p != nil && p.RDB != nil && len(p.RDB.SavePoints) == 0 && (p.AOF == nil || !p.AOF.Enabled)
}

// decideEmptyMaster is the guard against a master that restarted without
// its data: the named master answers with a replication history unrelated
// to the one a replica holds (a restart draws a new replication ID) and with
// a lower offset. Letting the replicas follow it would make them drop their
// data for its empty set, so the replica with the highest offset (ties: the
// lowest ordinal) is promoted instead. It returns nil when the named master
// may stay.
func decideEmptyMaster(master memberView, others []memberView) *promotion {
	if master.Info == nil {
		return nil // unreachable: the failover proper decides
	}
	var best *memberView
	for i := range others {
		m := &others[i]
		if m.Info == nil || m.Info.Offset <= neverSyncedOffset {
			continue
		}
		if best == nil || m.Info.Offset > best.Info.Offset ||
			m.Info.Offset == best.Info.Offset && ordinal(m.Pod) < ordinal(best.Pod) {
			best = m
		}
	}
	// A master that shares the replicas' history may still be behind
	// them by the time their polls are read; but a named master that
	// answers as a replica has restarted (its include file makes it
	// restart as one, see resources.Master.RestartFollows), and if it is
	// behind, it came back with an old snapshot of an emptyDir: letting
	// it take the role back would make the replicas full-resync from it
	// and drop the writes made since.
	if best == nil || master.Info.Offset >= best.Info.Offset ||
		master.Info.IsMaster() && sharesHistory(*master.Info, *best.Info) {
		return nil
	}
	return &promotion{
		From:   master.Pod,
		To:     best.Pod,
		Reason: v1alpha1.ReasonMasterRestartEmpty,
		Message: fmt.Sprintf("master %s restarted without its data (offset %d, behind or unrelated) "+
			"while %s holds offset %d: promoted %s so that no replica resyncs from an empty master",
			master.Pod, master.Info.Offset, best.Pod, best.Info.Offset, best.Pod),
	}
}

// neverSyncedOffset is the highest offset of a member that holds no
// replicated data: redis-server reports slave_repl_offset:1 on a replica
// that has never reached its master (a new group's replicas, while the
// master's name does not resolve yet), and a fresh master starts at 0. Any
// write moves an offset past it, so such members have nothing to save and
// must not be promoted over a new master.
const neverSyncedOffset = 1

// sharesHistory reports whether two members' data sets descend from the
// same replication history: one's current ID is the other's current or
// previous one. A replica that synced from a master carries its ID; a
// promoted replica keeps the old ID as replid2.
func sharesHistory(a, b replInfo) bool {
	same := func(x, y string) bool { return x != "" && x != nullReplID && x == y }
	return same(a.ReplID, b.ReplID) || same(a.ReplID, b.ReplID2) || same(a.ReplID2, b.ReplID)
}
