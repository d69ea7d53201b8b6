package v1alpha1

// Phase is the one-word summary in status.phase.
type Phase string

const (
	// PhasePending: owned objects are being created.
	PhasePending Phase = "Pending"
	// PhaseSyncing: pods run, but not every replica has finished its sync.
	PhaseSyncing Phase = "Syncing"
	// PhaseReady: every member is Ready and every replica is synced.
	PhaseReady Phase = "Ready"
	// PhaseScaling: members are being added or removed.
	PhaseScaling Phase = "Scaling"
	// PhaseUpdating: pods are being restarted onto a new template.
	PhaseUpdating Phase = "Updating"
	// PhaseFailingOver: a replica is being promoted.
	PhaseFailingOver Phase = "FailingOver"
	// PhaseDegraded: the group serves but with fewer members or synced
	// replicas than asked for, or without a master.
	PhaseDegraded Phase = "Degraded"
)

// Role is what a member is in replication.
type Role string

const (
	RoleMaster  Role = "master"
	RoleReplica Role = "replica"
)

// Condition types. They are positive: True is good, except Degraded,
// Reconciling and Stalled, whose names say they are abnormal (the kstatus
// conventions GitOps tools read).
const (
	ConditionReady           = "Ready"
	ConditionMasterAvailable = "MasterAvailable"
	ConditionReplicasSynced  = "ReplicasSynced"
	ConditionProgressing     = "Progressing"
	ConditionDegraded        = "Degraded"
	ConditionReconciling     = "Reconciling"
	ConditionStalled         = "Stalled"
)

// Condition reasons, CamelCase.
const (
	ReasonAllMembersReady    = "AllMembersReady"
	ReasonMembersNotReady    = "MembersNotReady"
	ReasonMasterReady        = "MasterReady"
	ReasonNoMaster           = "NoMaster"
	ReasonMasterUnreachable  = "MasterUnreachable"
	ReasonMasterRestartEmpty = "MasterRestartedEmpty"
	ReasonFailingOver        = "FailingOver"
	ReasonSwitchover         = "Switchover"
	ReasonReplicasInSync     = "ReplicasInSync"
	ReasonReplicasSyncing    = "ReplicasSyncing"
	ReasonReplicaLinkDown    = "ReplicaLinkDown"
	ReasonNoReplicas         = "NoReplicas"
	ReasonCreating           = "Creating"
	ReasonScaling            = "Scaling"
	ReasonRollingUpdate      = "RollingUpdate"
	ReasonUpToDate           = "UpToDate"
	ReasonAsExpected         = "AsExpected"
	ReasonAuthSecretMissing  = "AuthSecretMissing"
	ReasonReconcileError     = "ReconcileError"
)

// Event reasons for transitions users care about.
const (
	EventPromoted         = "Promoted"
	EventFailoverStarted  = "FailoverStarted"
	EventReplicaRepointed = "ReplicaRepointed"
	EventRoleLabelled     = "RoleLabelled"
	EventScaledUp         = "ScaledUp"
	EventScaledDown       = "ScaledDown"
	EventConfigApplied    = "ConfigApplied"
	EventMemberRestarted  = "MemberRestarted"
	EventImmutableChanged = "ImmutableFieldChanged"
)

// Labels and pod conditions shared by the operator and the pods it runs.
const (
	// LabelRole is master or replica on each pod; the master and replicas
	// Services select on it.
	LabelRole = "redis.replikube.io/role"

	// PodConditionSynced is the pod readiness gate the operator sets: True
	// on the master while it is the master, and on a replica once its link
	// is up and its initial sync is done. Until then the pod is not Ready
	// and no Service sends it traffic.
	PodConditionSynced = "redis.replikube.io/synced"
)
