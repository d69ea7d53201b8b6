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
#   GROUP_TIMEOUT    seconds to wait for the sample group to be Ready and
#                    synced (default 180)
set -euo pipefail
cd "$(dirname "$0")/.."

GO=${GO:-go}
RUN_DIR=${DEMO_RUN_DIR:-${TMPDIR:-/tmp}/replikube-demo}
TIMEOUT=${DEMO_TIMEOUT:-120}
GROUP_TIMEOUT=${GROUP_TIMEOUT:-180}
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
MANAGER_PID=
DEMO_TRY=
cleanup() {
	trap - EXIT INT TERM
	# The operator goes first: it would only log errors about a vanishing
	# cluster.
	if [[ -n $MANAGER_PID ]] && kill -0 "$MANAGER_PID" 2>/dev/null; then
		say "stopping the operator"
		kill -TERM "$MANAGER_PID" 2>/dev/null || true
		wait "$MANAGER_PID" 2>/dev/null || true
	fi
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

# ==== OPERATOR HOOK ==========================================================
# The operator runs as a process against the cluster, then the sample group
# is applied and checked end to end through its Services.
GROUP=cache
GROUP_NS=default
MANAGER_LOG=$RUN_DIR/logs/manager.log

# free_port prints a TCP port that nothing listens on at 127.0.0.1.
free_port() {
	local port
	while :; do
		port=$((20000 + RANDOM % 30000))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
			echo "$port"
			return
		fi
	done
}

# wait_for <seconds> <what> <command...>: runs the command every second until
# it succeeds, with a progress line every 10 seconds.
wait_for() {
	local limit=$1 what=$2 start=$SECONDS
	shift 2
	until "$@" >/dev/null 2>&1; do
		if ((SECONDS - start >= limit)); then
			say "$what: not after ${limit}s"
			return 1
		fi
		if (((SECONDS - start) % 10 == 0 && SECONDS > start)); then
			say "waiting for $what ($((SECONDS - start))s)"
		fi
		sleep 1
	done
}

group_ready() {
	local got
	got=$(kubectl get rg "$GROUP" -n "$GROUP_NS" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status} {.status.syncedReplicas}')
	[[ $got == "True 2" ]]
}

# service_addr <name>: host:port of the proxy of Service default/<name>.
service_addr() {
	awk -v svc="$GROUP_NS/$1" '$1 == svc { print $3; exit }' "$RUN_DIR/services"
}

demo_operator() {
	command -v kubectl >/dev/null || { say "kubectl missing: it drives the demo"; exit 1; }
	command -v redis-cli >/dev/null || { say "redis-cli missing (apt-get install -y redis-tools)"; exit 1; }
	local metrics probe
	metrics=127.0.0.1:$(free_port)
	probe=127.0.0.1:$(free_port)
	say "starting the operator: bin/replikube manager (log: $MANAGER_LOG)"
	bin/replikube manager --leader-elect=false --metrics-bind-address="$metrics" \
		--health-probe-bind-address="$probe" >"$MANAGER_LOG" 2>&1 &
	MANAGER_PID=$!
	wait_for 30 "the operator to be ready" curl -fsS "http://$probe/readyz" || {
		tail -n 20 "$MANAGER_LOG" >&2
		exit 1
	}

	say "applying config/samples/ (a 3-member ReplicationGroup \"$GROUP\")"
	kubectl apply -n "$GROUP_NS" -k config/samples/ >&2
	say "waiting until $GROUP is Ready with 2 synced replicas (at most ${GROUP_TIMEOUT}s)"
	wait_for "$GROUP_TIMEOUT" "$GROUP to be Ready and synced" group_ready || {
		kubectl get rg,pods -n "$GROUP_NS" -o wide >&2 || true
		tail -n 20 "$MANAGER_LOG" >&2
		exit 1
	}
	say "$GROUP is Ready and synced"

	local password master replicas got
	password=$(kubectl get secret "$GROUP-auth" -n "$GROUP_NS" -o jsonpath='{.data.password}' | base64 -d)
	wait_for 30 "the Service proxies" bash -c "[[ -n \$(awk -v s='$GROUP_NS/$GROUP-replicas' '\$1 == s' '$RUN_DIR/services') ]]"
	master=$(service_addr "$GROUP")
	replicas=$(service_addr "$GROUP-replicas")
	say "SET demo:greeting through the master Service ($master)"
	REDISCLI_AUTH=$password redis-cli -h "${master%:*}" -p "${master##*:}" SET demo:greeting "hello from replikube" >&2
	say "GET demo:greeting through the replicas Service ($replicas)"
	got=
	for ((i = 0; i < 20; i++)); do
		got=$(REDISCLI_AUTH=$password redis-cli -h "${replicas%:*}" -p "${replicas##*:}" GET demo:greeting 2>/dev/null || true)
		[[ $got == "hello from replikube" ]] && break
		sleep 0.5
	done
	[[ $got == "hello from replikube" ]] || { say "read back \"$got\" through the replicas Service"; exit 1; }
	say "read back: $got"

	echo
	kubectl get rg -n "$GROUP_NS"
	echo
	kubectl get pods -n "$GROUP_NS" -o wide -L redis.replikube.io/role
	echo
	kubectl get rg "$GROUP" -n "$GROUP_NS" -o yaml | sed -n '/^status:/,$p'
	DEMO_TRY=$(cat <<TRY
  KUBECONFIG=$KUBECONFIG kubectl get rg $GROUP -o yaml
  KUBECONFIG=$KUBECONFIG kubectl get pods -L redis.replikube.io/role
  KUBECONFIG=$KUBECONFIG kubectl delete pod $GROUP-1          # a replica comes back and resyncs
  KUBECONFIG=$KUBECONFIG kubectl scale rg $GROUP --replicas=4  # or: kubectl edit rg $GROUP
  REDISCLI_AUTH=\$(KUBECONFIG=$KUBECONFIG kubectl get secret $GROUP-auth -o jsonpath='{.data.password}' | base64 -d) redis-cli -h ${master%:*} -p ${master##*:}
TRY
)
}
demo_operator
# ==== END OPERATOR HOOK =======================================================

cat <<MSG

The cluster and the operator run on this machine; every address is on 127.0.0.0/8.
Try:
  export KUBECONFIG=$KUBECONFIG
  KUBECONFIG=$KUBECONFIG kubectl get rg,statefulsets,services,pods -A -o wide
$DEMO_TRY
Service proxies (namespace/name port address): $RUN_DIR/services
Operator log: $MANAGER_LOG
Pod logs: $RUN_DIR/logs/pods/<namespace>_<pod>_<uid>/<container>.log
Control plane logs: $RUN_DIR/logs/

MSG

if [[ ${DEMO_EXIT:-0} == 1 ]]; then
	say "DEMO_EXIT=1: stopping"
	exit 0
fi
say "running; Ctrl-C stops everything"
# Ctrl-C reaches the cluster and the operator too, and both stop cleanly
# (status 0); bash then leaves the interrupt to them and runs no INT trap.
# Anything else ending one of them ends the demo as a failure.
status=0
wait -n "$CLUSTER_PID" "$MANAGER_PID" || status=$?
if ((status == 0)); then
	say "stopped"
	exit 0
fi
say "the cluster or the operator stopped (status $status); see $CLUSTER_LOG and $MANAGER_LOG"
exit 1
