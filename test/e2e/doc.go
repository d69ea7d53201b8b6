// Package e2e holds the end-to-end tests of the operator: the local cluster
// of test/cluster (a real API server, kube-controller-manager, pods as local
// processes, a proxy per Service) with the manager running against it, and
// clients that reach the group as users do, through its Services. It has
// no non-test code; it may import anything in the module but
// internal/redis, which it treats as a black box behind redis-server or
// bin/replikube.
package e2e
