// Package resources builds the objects a ReplicationGroup owns: the auth
// Secret, the ConfigMap with the rendered redis.conf, the headless, master and
// replicas Services, the StatefulSet and the PodDisruptionBudget.
//
// Builders are pure: everything they need (the image, who the master is, a
// generated password) is passed in, and they read no client, environment or
// clock, so that table tests cover them and two calls with the same inputs
// give the same object. They set only the fields the operator owns; the
// controller applies them with server-side apply under FieldOwner, so server
// defaults never show up as a difference.
//
// This package imports the API types and k8s.io/api only; it must not import
// controller-runtime's client or anything under internal/redis.
package resources
