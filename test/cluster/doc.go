// Package cluster is a local Kubernetes control plane for end-to-end tests
// and `make demo`, without Docker or kind: envtest's etcd and kube-apiserver,
// kube-controller-manager with the workload controllers, a pod runner that
// plays kubelet for one fake Node, and a TCP proxy per Service.
//
// # Pods as processes
//
// The runner binds every unscheduled pod to its Node and runs each pod's
// single container as a local process in its own process group:
//
//   - Images map to local binaries (Binaries): an image whose name contains
//     "replikube" runs the replikube binary, an upstream redis image runs
//     redis-server. Command and args follow Kubernetes' rules, with $(VAR)
//     expanded from the container's environment.
//   - Each pod instance gets its own loopback address 127.0.X.y (Linux routes
//     all of 127/8 to lo), reported as status.podIP, so every pod can listen
//     on the same port. Each cluster takes a pair of /24 blocks, X for pods and
//     X+1 for Services, held with a lock file so that clusters running at
//     the same time never share an address.
//   - There is no mount namespace. Volumes are directories: ConfigMap and
//     Secret (one file per key, items and paths honoured, refreshed while the
//     pod runs), emptyDir (fresh for each pod instance), and
//     persistentVolumeClaim (one directory per claim that outlives the pods
//     using it: <run>/pvc/<namespace>/<claim>). Mount paths are rewritten
//     instead: wherever a container mount path appears as a whole path
//     element prefix in the command, args, env values, workingDir, or in the
//     content of a ConfigMap file, it becomes the materialised directory.
//     This is how `dir /data` in a rendered redis.conf lands in the pod's
//     volume. Secret contents are never rewritten. A mount at /tmp also sets
//     TMPDIR.
//   - Probes (tcpSocket, httpGet, exec) run against the pod IP. Status
//     carries phase, podIP, containerStatuses with restartCount and
//     lastState, and the Initialized, ContainersReady and Ready conditions;
//     Ready also waits for every readiness gate condition, which another
//     writer (the operator) sets. Conditions the runner does not own are
//     left alone.
//   - restartPolicy is honoured with a bounded exponential backoff. A pod
//     being deleted gets SIGTERM, then SIGKILL after its grace period, and
//     is then removed with grace 0, as a kubelet does.
//   - Output goes to <run>/logs/pods/<namespace>_<pod>_<uid>/<container>.log.
//
// Services get a listener per TCP port on their own loopback address, which
// forwards each connection to a ready pod the Service selects; ServiceAddr
// tells where, and <run>/services lists them all. The proxies select pods
// themselves because the API refuses loopback addresses in EndpointSlices:
// the EndpointSlice controller is not run.
//
// Everything binds to 127.0.0.0/8 only and every process started here is
// stopped by Stop.
//
// This package must not import the operator (controllers/, internal/manager)
// or anything under internal/redis: it runs them as black boxes.
package cluster
