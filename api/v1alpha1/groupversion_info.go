// Package v1alpha1 holds the ReplicationGroup API of group redis.replikube.io:
// its types, the validation and defaulting markers from which controller-gen
// writes the CRD, the condition and reason constants, and the naming helpers
// that every other package uses to name owned objects. It holds no client code
// and imports nothing from the rest of this module.
//
// +kubebuilder:object:generate=true
// +groupName=redis.replikube.io
package v1alpha1

import (
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/scheme"
)

var (
	// GroupVersion is the group and version of this API.
	GroupVersion = schema.GroupVersion{Group: "redis.replikube.io", Version: "v1alpha1"}

	// SchemeBuilder registers the types of this package with a runtime.Scheme.
	SchemeBuilder = &scheme.Builder{GroupVersion: GroupVersion}

	// AddToScheme adds the types of this package to a runtime.Scheme.
	AddToScheme = SchemeBuilder.AddToScheme
)
