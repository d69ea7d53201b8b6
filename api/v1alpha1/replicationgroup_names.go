package v1alpha1

import "strconv"

// Names of the objects a group owns. Every package names them through these
// helpers, so a rename happens in one place.

// StatefulSetName is the group's StatefulSet; its pods are StatefulSetName-<ordinal>.
func (rg *ReplicationGroup) StatefulSetName() string { return rg.Name }

// MasterServiceName selects the master: clients write here.
func (rg *ReplicationGroup) MasterServiceName() string { return rg.Name }

// ReplicasServiceName selects the synced replicas: clients read here.
func (rg *ReplicationGroup) ReplicasServiceName() string { return rg.Name + "-replicas" }

// HeadlessServiceName governs the StatefulSet and gives each pod a DNS name.
func (rg *ReplicationGroup) HeadlessServiceName() string { return rg.Name + "-headless" }

// ConfigMapName holds the rendered redis.conf.
func (rg *ReplicationGroup) ConfigMapName() string { return rg.Name + "-config" }

// PodDisruptionBudgetName is the group's PodDisruptionBudget.
func (rg *ReplicationGroup) PodDisruptionBudgetName() string { return rg.Name }

// GeneratedAuthSecretName is the Secret the operator creates when
// spec.auth.secretName is empty.
func (rg *ReplicationGroup) GeneratedAuthSecretName() string { return rg.Name + "-auth" }

// AuthSecretName is the Secret holding the password: the user's, or the
// generated one.
func (rg *ReplicationGroup) AuthSecretName() string {
	if rg.Spec.Auth.SecretName != "" {
		return rg.Spec.Auth.SecretName
	}
	return rg.GeneratedAuthSecretName()
}

// AuthSecretKey is the key of the password in AuthSecretName.
func (rg *ReplicationGroup) AuthSecretKey() string {
	if rg.Spec.Auth.SecretKey != "" {
		return rg.Spec.Auth.SecretKey
	}
	return DefaultAuthSecretKey
}

// PodName is the pod of the given ordinal.
func (rg *ReplicationGroup) PodName(ordinal int) string {
	return rg.StatefulSetName() + "-" + strconv.Itoa(ordinal)
}

// PodNames lists the pods spec.replicas asks for, by ordinal.
func (rg *ReplicationGroup) PodNames() []string {
	names := make([]string, 0, rg.Spec.Replicas)
	for i := range int(rg.Spec.Replicas) {
		names = append(names, rg.PodName(i))
	}
	return names
}

// CurrentMaster is status.master, or ordinal 0 for a group that has never
// had a master.
func (rg *ReplicationGroup) CurrentMaster() string {
	if rg.Status.Master != "" {
		return rg.Status.Master
	}
	return rg.PodName(0)
}

// PodFQDN is the stable DNS name of a pod through the headless Service.
func (rg *ReplicationGroup) PodFQDN(pod, clusterDomain string) string {
	return pod + "." + rg.HeadlessServiceName() + "." + rg.Namespace + ".svc." + clusterDomain
}
