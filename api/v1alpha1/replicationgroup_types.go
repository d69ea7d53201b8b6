package v1alpha1

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// ReplicationGroupSpec is the desired state of a group: one master and
// replicas-1 replicas of it, each a pod of one StatefulSet.
//
// +kubebuilder:validation:XValidation:rule="has(self.storage) == has(oldSelf.storage)",message="storage cannot be added or removed after creation: the StatefulSet's volume claim templates are immutable"
// +kubebuilder:validation:XValidation:rule="!has(self.replication) || !has(self.replication.minReplicasToWrite) || self.replication.minReplicasToWrite < self.replicas",message="replication.minReplicasToWrite must be less than replicas, or the master could never accept a write"
type ReplicationGroupSpec struct {
	// Replicas is the number of pods in total: one master and replicas-1
	// replicas of it.
	// +optional
	// +kubebuilder:default=3
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=64
	Replicas int32 `json:"replicas"`

	// Image runs in every pod. Empty means the operator's own image, which
	// runs `replikube server`; an upstream Redis image (redis:7.0...) runs
	// redis-server with the same rendered configuration.
	// +optional
	// +kubebuilder:validation:MaxLength=512
	Image string `json:"image,omitempty"`

	// Resources of the data-plane container.
	// +optional
	Resources corev1.ResourceRequirements `json:"resources,omitempty"`

	// Storage gives each pod a PersistentVolumeClaim for its data directory.
	// Absent, the data directory is an emptyDir: nothing survives the pod.
	// Fixed at creation.
	// +optional
	Storage *StorageSpec `json:"storage,omitempty"`

	// Persistence configures RDB snapshots and the append-only file.
	// +optional
	Persistence *PersistenceSpec `json:"persistence,omitempty"`

	// Replication tunes how replicas follow the master.
	// +optional
	// +kubebuilder:default={}
	Replication ReplicationSpec `json:"replication,omitempty"`

	// Auth names the Secret holding the password that clients and replicas
	// use.
	// +optional
	// +kubebuilder:default={}
	Auth AuthSpec `json:"auth,omitempty"`

	// Failover controls automatic promotion of a replica when the master is
	// lost.
	// +optional
	// +kubebuilder:default={}
	Failover FailoverSpec `json:"failover,omitempty"`

	// Config holds further redis.conf directives, passed through as
	// `key value` lines. Directives that the operator owns are refused.
	// +optional
	Config Config `json:"config,omitempty"`

	// Pod holds scheduling and metadata settings for the group's pods.
	// +optional
	Pod PodTemplate `json:"pod,omitempty"`

	// PodDisruptionBudget limits voluntary evictions of the group's pods.
	// +optional
	// +kubebuilder:default={}
	PodDisruptionBudget PodDisruptionBudgetSpec `json:"podDisruptionBudget,omitempty"`
}

// StorageSpec is the PersistentVolumeClaim template of each pod.
//
// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="storage is immutable: the StatefulSet's volume claim templates cannot change"
type StorageSpec struct {
	// Size of each pod's volume, e.g. 1Gi.
	// +kubebuilder:validation:XValidation:rule="quantity(string(self)).isGreaterThan(quantity('0'))",message="storage.size must be greater than zero"
	Size resource.Quantity `json:"size"`

	// StorageClassName of the claims; empty uses the cluster's default class.
	// +optional
	StorageClassName *string `json:"storageClassName,omitempty"`
}

// PersistenceSpec configures what each member writes to its data directory.
type PersistenceSpec struct {
	// RDB snapshots. Absent: Redis's default save points.
	// +optional
	RDB *RDBSpec `json:"rdb,omitempty"`

	// AOF is the append-only file.
	// +optional
	AOF *AOFSpec `json:"aof,omitempty"`
}

// RDBSpec configures RDB snapshots.
type RDBSpec struct {
	// SavePoints are "seconds changes" pairs, as in redis.conf's `save`
	// directive; an empty list disables snapshots.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=16
	// +kubebuilder:validation:items:Pattern=`^[1-9][0-9]{0,8} [0-9]{1,9}$`
	SavePoints []string `json:"savePoints"`
}

// AOFSpec configures the append-only file.
type AOFSpec struct {
	// Enabled turns on appendonly.
	// +optional
	Enabled bool `json:"enabled,omitempty"`

	// Fsync is appendfsync: always, everysec or no.
	// +optional
	// +kubebuilder:default=everysec
	// +kubebuilder:validation:Enum=always;everysec;no
	Fsync string `json:"fsync,omitempty"`
}

// ReplicationSpec tunes replication between the master and its replicas.
type ReplicationSpec struct {
	// Diskless makes the master stream its snapshot to replicas over the
	// socket instead of writing it to disk first (repl-diskless-sync).
	// +optional
	// +kubebuilder:default=true
	Diskless *bool `json:"diskless,omitempty"`

	// DisklessDelaySeconds waits for more replicas before a diskless
	// transfer starts (repl-diskless-sync-delay).
	// +optional
	// +kubebuilder:default=5
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=3600
	DisklessDelaySeconds *int32 `json:"disklessDelaySeconds,omitempty"`

	// BacklogSize is the replication backlog (repl-backlog-size): how much
	// write history lets a reconnecting replica resync partially.
	// +optional
	// +kubebuilder:default="1Mi"
	// +kubebuilder:validation:XValidation:rule="quantity(string(self)).compareTo(quantity('16Ki')) >= 0",message="replication.backlogSize must be at least 16Ki"
	BacklogSize *resource.Quantity `json:"backlogSize,omitempty"`

	// TimeoutSeconds is repl-timeout.
	// +optional
	// +kubebuilder:default=60
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=3600
	TimeoutSeconds *int32 `json:"timeoutSeconds,omitempty"`

	// MinReplicasToWrite makes the master refuse writes while fewer replicas
	// are connected with a lag of at most MinReplicasMaxLagSeconds
	// (min-replicas-to-write); 0 disables the check.
	// +optional
	// +kubebuilder:default=0
	// +kubebuilder:validation:Minimum=0
	MinReplicasToWrite *int32 `json:"minReplicasToWrite,omitempty"`

	// MinReplicasMaxLagSeconds is min-replicas-max-lag.
	// +optional
	// +kubebuilder:default=10
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=3600
	MinReplicasMaxLagSeconds *int32 `json:"minReplicasMaxLagSeconds,omitempty"`
}

// AuthSpec names the password Secret.
type AuthSpec struct {
	// SecretName is an existing Secret in the group's namespace. Empty: the
	// operator generates <name>-auth with a random password.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	SecretName string `json:"secretName,omitempty"`

	// SecretKey is the key of the password within the Secret.
	// +optional
	// +kubebuilder:default=password
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^[-._a-zA-Z0-9]+$`
	SecretKey string `json:"secretKey,omitempty"`
}

// FailoverSpec controls automatic failover.
type FailoverSpec struct {
	// Enabled lets the operator promote a replica when the master is lost.
	// +optional
	// +kubebuilder:default=true
	Enabled *bool `json:"enabled,omitempty"`

	// MasterDownAfterSeconds is how long the master must be unreachable and
	// not Ready before a failover starts.
	// +optional
	// +kubebuilder:default=5
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=3600
	MasterDownAfterSeconds *int32 `json:"masterDownAfterSeconds,omitempty"`
}

// Config is a set of passthrough redis.conf directives. Keys are directive
// names in lower case; values are written as they are, on one line.
//
// The list of refused keys is OwnedConfigKeys; a test checks that the rule
// below names the same keys.
//
// +kubebuilder:validation:MaxProperties=64
// +kubebuilder:validation:XValidation:rule="self.all(k, k.matches('^[a-z][a-z0-9-]{0,63}$'))",message="config keys are redis.conf directive names: lower case letters, digits and dashes, at most 64 characters"
// +kubebuilder:validation:XValidation:rule="self.all(k, !(k in ['replicaof', 'slaveof', 'port', 'bind', 'dir', 'dbfilename', 'appendfilename', 'appenddirname', 'include', 'daemonize', 'pidfile', 'logfile', 'unixsocket', 'aclfile', 'requirepass', 'masterauth', 'masteruser', 'replica-announce-ip', 'replica-announce-port', 'slave-announce-ip', 'slave-announce-port', 'protected-mode', 'save', 'appendonly', 'appendfsync', 'repl-diskless-sync', 'repl-diskless-sync-delay', 'repl-backlog-size', 'repl-timeout', 'min-replicas-to-write', 'min-replicas-max-lag', 'min-slaves-to-write', 'min-slaves-max-lag']))",messageExpression="'config key \"' + self.filter(k, k in ['replicaof', 'slaveof', 'port', 'bind', 'dir', 'dbfilename', 'appendfilename', 'appenddirname', 'include', 'daemonize', 'pidfile', 'logfile', 'unixsocket', 'aclfile', 'requirepass', 'masterauth', 'masteruser', 'replica-announce-ip', 'replica-announce-port', 'slave-announce-ip', 'slave-announce-port', 'protected-mode', 'save', 'appendonly', 'appendfsync', 'repl-diskless-sync', 'repl-diskless-sync-delay', 'repl-backlog-size', 'repl-timeout', 'min-replicas-to-write', 'min-replicas-max-lag', 'min-slaves-to-write', 'min-slaves-max-lag'])[0] + '\" is managed by the operator: set it through spec.persistence, spec.replication or spec.auth, or leave it to the operator'"
type Config map[string]ConfigValue

// ConfigValue is the value of one redis.conf directive. It cannot span lines,
// so it cannot smuggle in another directive.
//
// +kubebuilder:validation:MaxLength=1024
// +kubebuilder:validation:Pattern=`^[^\r\n]*$`
type ConfigValue string

// OwnedConfigKeys are the redis.conf directives that the operator writes
// itself; spec.config refuses them.
var OwnedConfigKeys = []string{
	"replicaof", "slaveof", "port", "bind", "dir", "dbfilename", "appendfilename",
	"appenddirname", "include", "daemonize", "pidfile", "logfile", "unixsocket",
	"aclfile", "requirepass", "masterauth", "masteruser", "replica-announce-ip",
	"replica-announce-port", "slave-announce-ip", "slave-announce-port",
	"protected-mode", "save", "appendonly", "appendfsync", "repl-diskless-sync",
	"repl-diskless-sync-delay", "repl-backlog-size", "repl-timeout",
	"min-replicas-to-write", "min-replicas-max-lag", "min-slaves-to-write",
	"min-slaves-max-lag",
}

// PodTemplate holds the pod settings a user may choose.
type PodTemplate struct {
	// Labels added to each pod. The operator's own label domains are refused
	// because its selectors rely on them.
	// +optional
	// +kubebuilder:validation:XValidation:rule="self.all(k, !k.startsWith('app.kubernetes.io/') && !k.startsWith('redis.replikube.io/'))",message="pod.labels cannot use the app.kubernetes.io/ or redis.replikube.io/ prefixes: the operator's selectors rely on them"
	Labels map[string]string `json:"labels,omitempty"`

	// Annotations added to each pod.
	// +optional
	Annotations map[string]string `json:"annotations,omitempty"`

	// +optional
	Affinity *corev1.Affinity `json:"affinity,omitempty"`

	// +optional
	// +listType=atomic
	Tolerations []corev1.Toleration `json:"tolerations,omitempty"`

	// +optional
	NodeSelector map[string]string `json:"nodeSelector,omitempty"`

	// +optional
	// +listType=atomic
	TopologySpreadConstraints []corev1.TopologySpreadConstraint `json:"topologySpreadConstraints,omitempty"`

	// +optional
	// +kubebuilder:validation:MaxLength=253
	PriorityClassName string `json:"priorityClassName,omitempty"`
}

// PodDisruptionBudgetSpec configures the group's PodDisruptionBudget.
type PodDisruptionBudgetSpec struct {
	// MaxUnavailable pods during voluntary disruptions: a number or a
	// percentage.
	// +optional
	// +kubebuilder:default=1
	// +kubebuilder:validation:XIntOrString
	MaxUnavailable *intstr.IntOrString `json:"maxUnavailable,omitempty"`
}

// ReplicationGroupStatus is the observed state of a group, written once per
// reconcile pass.
type ReplicationGroupStatus struct {
	// ObservedGeneration is the spec generation that this status describes.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// Phase is a one-word summary for humans; tools read Conditions.
	// +optional
	Phase Phase `json:"phase,omitempty"`

	// Master is the pod that accepts writes.
	// +optional
	Master string `json:"master,omitempty"`

	// MasterEpoch increases by one at every promotion.
	// +optional
	MasterEpoch int64 `json:"masterEpoch,omitempty"`

	// MasterReplOffset is the master's replication offset.
	// +optional
	MasterReplOffset int64 `json:"masterReplOffset,omitempty"`

	// Replicas is the number of pods that exist (the scale subresource's
	// status.replicas).
	// +optional
	Replicas int32 `json:"replicas,omitempty"`

	// ReadyReplicas counts Ready members, master included.
	// +optional
	ReadyReplicas int32 `json:"readyReplicas,omitempty"`

	// Ready is ReadyReplicas over spec.replicas, e.g. "3/3", for display.
	// +optional
	Ready string `json:"ready,omitempty"`

	// SyncedReplicas counts replicas whose link to the master is up and whose
	// initial sync is done.
	// +optional
	SyncedReplicas int32 `json:"syncedReplicas,omitempty"`

	// MaxLagBytes is the largest lag of a synced replica behind the master.
	// +optional
	MaxLagBytes int64 `json:"maxLagBytes,omitempty"`

	// Selector is the pods' label selector (for the scale subresource).
	// +optional
	Selector string `json:"selector,omitempty"`

	// Members describes each pod as the operator last saw it.
	// +optional
	// +listType=map
	// +listMapKey=pod
	Members []MemberStatus `json:"members,omitempty"`

	// Conditions: Ready, MasterAvailable, ReplicasSynced, Progressing,
	// Degraded, and the kstatus conditions Reconciling and Stalled.
	// +optional
	// +listType=map
	// +listMapKey=type
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	// LastFailover records the most recent promotion.
	// +optional
	LastFailover *FailoverRecord `json:"lastFailover,omitempty"`
}

// MemberStatus is one pod of the group.
type MemberStatus struct {
	// Pod name.
	Pod string `json:"pod"`

	// Role the pod reports: master or replica; empty when unreachable.
	// +optional
	Role Role `json:"role,omitempty"`

	// IP of the pod.
	// +optional
	IP string `json:"ip,omitempty"`

	// LinkStatus is master_link_status for a replica: up or down.
	// +optional
	LinkStatus string `json:"linkStatus,omitempty"`

	// ReplOffset is the member's replication offset.
	// +optional
	ReplOffset int64 `json:"replOffset,omitempty"`

	// LagBytes is how far a replica is behind the master's offset.
	// +optional
	LagBytes int64 `json:"lagBytes,omitempty"`

	// LagSeconds is the time since the master last heard from the replica.
	// +optional
	LagSeconds int64 `json:"lagSeconds,omitempty"`

	// Ready is the pod's Ready condition.
	// +optional
	Ready bool `json:"ready,omitempty"`
}

// FailoverRecord describes one promotion.
type FailoverRecord struct {
	Time metav1.Time `json:"time"`
	From string      `json:"from"`
	To   string      `json:"to"`
	// Reason is a CamelCase reason such as MasterUnreachable or Switchover.
	Reason string `json:"reason"`
	// +optional
	DurationMilliseconds int64 `json:"durationMilliseconds,omitempty"`
}

// ReplicationGroup is a Redis master with replicas, run as one StatefulSet.
//
// +kubebuilder:object:root=true
// +kubebuilder:resource:shortName=rg,categories=replikube
// +kubebuilder:subresource:status
// +kubebuilder:subresource:scale:specpath=.spec.replicas,statuspath=.status.replicas,selectorpath=.status.selector
// +kubebuilder:printcolumn:name="Master",type=string,JSONPath=".status.master"
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=".status.ready"
// +kubebuilder:printcolumn:name="Synced",type=integer,JSONPath=".status.syncedReplicas"
// +kubebuilder:printcolumn:name="Lag",type=integer,JSONPath=".status.maxLagBytes",description="Largest replica lag in bytes"
// +kubebuilder:printcolumn:name="Phase",type=string,JSONPath=".status.phase"
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=".metadata.creationTimestamp"
// +kubebuilder:validation:XValidation:rule="self.metadata.name.matches('^[a-z]([-a-z0-9]*[a-z0-9])?$') && size(self.metadata.name) <= 52",message="metadata.name must be a DNS-1035 label of at most 52 characters: it names the group's Services and StatefulSet"
type ReplicationGroup struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec ReplicationGroupSpec `json:"spec"`
	// +optional
	Status ReplicationGroupStatus `json:"status,omitempty"`
}

// ReplicationGroupList is a list of ReplicationGroups.
//
// +kubebuilder:object:root=true
type ReplicationGroupList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []ReplicationGroup `json:"items"`
}

func init() {
	SchemeBuilder.Register(&ReplicationGroup{}, &ReplicationGroupList{})
}
