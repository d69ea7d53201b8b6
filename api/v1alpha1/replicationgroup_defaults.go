package v1alpha1

import "k8s.io/apimachinery/pkg/api/resource"

// Defaults, the same as the schema's. The API server applies the schema
// defaults; these accessors give the same answers for objects that did not go
// through it (unit tests, or fields a client cleared), so every reader agrees.
const (
	DefaultReplicas                 = 3
	DefaultAuthSecretKey            = "password"
	DefaultDisklessDelaySeconds     = 5
	DefaultBacklogSize              = "1Mi"
	DefaultReplTimeoutSeconds       = 60
	DefaultMinReplicasMaxLagSeconds = 10
	DefaultMasterDownAfterSeconds   = 5
	DefaultAOFFsync                 = "everysec"
)

func boolOr(p *bool, def bool) bool {
	if p == nil {
		return def
	}
	return *p
}

func int32Or(p *int32, def int32) int32 {
	if p == nil {
		return def
	}
	return *p
}

// DisklessEnabled is spec.replication.diskless, default true.
func (r *ReplicationSpec) DisklessEnabled() bool { return boolOr(r.Diskless, true) }

// DisklessDelay is spec.replication.disklessDelaySeconds.
func (r *ReplicationSpec) DisklessDelay() int32 {
	return int32Or(r.DisklessDelaySeconds, DefaultDisklessDelaySeconds)
}

// Backlog is spec.replication.backlogSize in bytes.
func (r *ReplicationSpec) Backlog() int64 {
	if r.BacklogSize == nil {
		q := resource.MustParse(DefaultBacklogSize)
		return q.Value()
	}
	return r.BacklogSize.Value()
}

// Timeout is spec.replication.timeoutSeconds.
func (r *ReplicationSpec) Timeout() int32 {
	return int32Or(r.TimeoutSeconds, DefaultReplTimeoutSeconds)
}

// MinReplicas is spec.replication.minReplicasToWrite.
func (r *ReplicationSpec) MinReplicas() int32 { return int32Or(r.MinReplicasToWrite, 0) }

// MinReplicasMaxLag is spec.replication.minReplicasMaxLagSeconds.
func (r *ReplicationSpec) MinReplicasMaxLag() int32 {
	return int32Or(r.MinReplicasMaxLagSeconds, DefaultMinReplicasMaxLagSeconds)
}

// AutomaticFailover is spec.failover.enabled, default true.
func (f *FailoverSpec) AutomaticFailover() bool { return boolOr(f.Enabled, true) }

// MasterDownAfter is spec.failover.masterDownAfterSeconds.
func (f *FailoverSpec) MasterDownAfter() int32 {
	return int32Or(f.MasterDownAfterSeconds, DefaultMasterDownAfterSeconds)
}
