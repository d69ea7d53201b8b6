#!/usr/bin/env bash
# make demo: a local Kubernetes control plane with this machine as its one
# Node (test/cluster: etcd, kube-apiserver, kube-controller-manager, a pod
# runner that runs pods as local processes on 127.0.X.y, a proxy per
# Service), then the operator and a sample group, left running until Ctrl-C.
#
# Environment:
#   DEMO_EXIT=1      exit 0 once everything is up (for scripts and CI)
#   DEMO_RUN_DIR     kubeconfig, logs and volumes (default $TMPDIR/replikube-demo)
#   DEMO_TIMEOUT     seconds to wait for the cluster to come up (default 120)
set -euo pipefail
cd "$(dirname "$0")/.."

GO=${GO:-go}
RUN_DIR=${DEMO_RUN_DIR:-${TMPDIR:-/tmp}/replikube-demo}
TIMEOUT=${DEMO_TIMEOUT:-120}
CLUSTER_LOG=$RUN_DIR.log

say() { printf 'demo: %s\n' "$*" >&2; }

command -v redis-server >/dev/null || { say "redis-server missing (apt-get install -y redis-server)"; exit 1; }

say "building bin/replikube and bin/localcluster"
"$GO" build -o bin/replikube .
"$GO" build -o bin/localcluster ./test/cluster/cmd/localcluster

if ! hack/k8s-binaries.sh --check >/dev/null 2>&1; then
	say "building kube-apiserver, kube-controller-manager and etcd from the Go module proxy;"
	say "this happens once and takes several minutes (cached in ${REPLIKUBE_CACHE:-$HOME/.cache/replikube})"
fi
ASSETS=$(hack/k8s-binaries.sh)

CLUSTER_PID=
cleanup() {
	trap - EXIT INT TERM
	if [[ -n $CLUSTER_PID ]] && kill -0 "$CLUSTER_PID" 2>/dev/null; then
		say "stopping the cluster"
		kill -TERM "$CLUSTER_PID" 2>/dev/null || true
		wait "$CLUSTER_PID" 2>/dev/null || true
	fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

say "starting the local cluster (log: $CLUSTER_LOG)"
bin/localcluster -run-dir "$RUN_DIR" -assets "$ASSETS" -crds config/crd/bases \
	-replikube bin/replikube >"$CLUSTER_LOG" 2>&1 &
CLUSTER_PID=$!

for ((i = 0; i < TIMEOUT * 2; i++)); do
	[[ -f $RUN_DIR/ready ]] && break
	if ! kill -0 "$CLUSTER_PID" 2>/dev/null; then
		say "the cluster failed to start; last lines of $CLUSTER_LOG:"
		tail -n 20 "$CLUSTER_LOG" >&2
		exit 1
	fi
	sleep 0.5
done
[[ -f $RUN_DIR/ready ]] || { say "the cluster did not come up in ${TIMEOUT}s; see $CLUSTER_LOG"; exit 1; }
KUBECONFIG=$RUN_DIR/kubeconfig
export KUBECONFIG
say "cluster up"

# ==== OPERATOR HOOK (wired by the lead) =======================================
# Start `bin/replikube manager` against $KUBECONFIG here (as a background
# process, its pid added to cleanup), apply config/samples/, wait until the
# group is Ready and synced, write a key through the master Service and read
# it through the replicas Service (addresses: $RUN_DIR/services, one line
# "namespace/name port address" per Service port), print `kubectl get rg`.
demo_operator() {
	say "operator: not wired yet (see the OPERATOR HOOK in hack/demo.sh)"
}
demo_operator
# ==== END OPERATOR HOOK =======================================================

cat <<MSG

The cluster runs on this machine; every address is on 127.0.0.0/8.
  export KUBECONFIG=$KUBECONFIG
  KUBECONFIG=$KUBECONFIG kubectl get nodes
  KUBECONFIG=$KUBECONFIG kubectl get pods -A -o wide
  KUBECONFIG=$KUBECONFIG kubectl get rg,statefulsets,services -A
Service proxies (namespace/name port address): $RUN_DIR/services
Pod logs: $RUN_DIR/logs/pods/<namespace>_<pod>_<uid>/<container>.log
Control plane logs: $RUN_DIR/logs/

MSG
if command -v kubectl >/dev/null; then
	kubectl get nodes -o wide || true
fi

if [[ ${DEMO_EXIT:-0} == 1 ]]; then
	say "DEMO_EXIT=1: stopping"
	exit 0
fi
say "running; Ctrl-C stops everything"
wait "$CLUSTER_PID"
