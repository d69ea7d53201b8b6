package e2e

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/go-logr/logr/testr"
	"github.com/redis/go-redis/v9"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/replikube/replikube/api/v1alpha1"
	"github.com/replikube/replikube/test/cluster"
)

// Bounds of the waits: a group comes up in seconds here, a resync after a
// restart in a few more (diskless sync waits disklessDelaySeconds).
const (
	upTimeout     = 90 * time.Second
	resyncTimeout = 60 * time.Second
	poll          = 250 * time.Millisecond
)

// env is a running cluster with the operator, and a client of it.
type env struct {
	t       *testing.T
	ctx     context.Context
	cluster *cluster.Cluster
	k8s     client.Client
}

// assets is the directory of the Kubernetes binaries; the test fails with
// hack/k8s-binaries.sh's hint when they are missing.
func assets(t *testing.T) string {
	t.Helper()
	dir, err := cluster.AssetsDir(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// start brings up the cluster and runs the manager in this process until
// the test ends. Both are stopped by t.Cleanup, the manager first.
func start(t *testing.T) *env {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Fatal("redis-server not found: apt-get install -y redis-server")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	t.Cleanup(cancel)

	began := time.Now()
	// E2E_RUN_DIR keeps the run directory (logs, volumes) for a look.
	// Images named replikube run the replikube binary built for the test.
	bin := filepath.Join(t.TempDir(), "replikube")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/replikube/replikube").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	c, err := cluster.Start(ctx, cluster.Options{
		Assets:   assets(t),
		CRDDirs:  []string{filepath.Join("..", "..", "config", "crd", "bases")},
		RunDir:   os.Getenv("E2E_RUN_DIR"),
		Binaries: cluster.Binaries{RedisServer: "redis-server", Replikube: bin},
		Log:      testr.NewWithOptions(t, testr.Options{Verbosity: 0}),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := c.Stop(); err != nil {
			t.Errorf("stop cluster: %v", err)
		}
	})
	t.Logf("cluster up in %s (run dir %s)", time.Since(began).Round(time.Millisecond), c.RunDir)

	// The manager runs as users run it: `replikube manager`, reading
	// $KUBECONFIG, in its own process (controller-runtime allows one
	// controller of a name per process), logging to manager.log in the run
	// directory.
	logPath := filepath.Join(c.RunDir, "manager.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	mgr := exec.Command(bin, "manager", "--leader-elect=false", "--metrics-bind-address=0",
		"--health-probe-bind-address=0", "--poll-interval=1s")
	mgr.Env = append(os.Environ(), "KUBECONFIG="+c.Kubeconfig)
	mgr.Stdout, mgr.Stderr = logFile, logFile
	if err := mgr.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- mgr.Wait() }()
	t.Cleanup(func() {
		defer logFile.Close()
		_ = mgr.Process.Signal(syscall.SIGTERM)
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("manager exited: %v (log %s)", err, logPath)
			}
		case <-time.After(30 * time.Second):
			_ = mgr.Process.Kill()
			<-done
			t.Error("manager did not stop within 30s")
		}
		if t.Failed() {
			if b, err := os.ReadFile(logPath); err == nil {
				t.Logf("manager log (tail):\n%s", tail(string(b), 60))
			}
		}
	})

	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	if err := v1alpha1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	k8s, err := client.New(c.Config, client.Options{Scheme: scheme})
	if err != nil {
		t.Fatal(err)
	}
	return &env{t: t, ctx: ctx, cluster: c, k8s: k8s}
}

// eventually polls f until it returns nil, failing the test after timeout
// with f's last error.
func (e *env) eventually(timeout time.Duration, what string, f func() error) {
	e.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		err := f()
		if err == nil {
			return
		}
		if time.Now().After(deadline) || e.ctx.Err() != nil {
			e.t.Fatalf("%s: not after %s: %v", what, timeout, err)
		}
		time.Sleep(poll)
	}
}

func (e *env) group(ns, name string) (*v1alpha1.ReplicationGroup, error) {
	rg := &v1alpha1.ReplicationGroup{}
	err := e.k8s.Get(e.ctx, client.ObjectKey{Namespace: ns, Name: name}, rg)
	return rg, err
}

func (e *env) pod(ns, name string) (*corev1.Pod, error) {
	pod := &corev1.Pod{}
	err := e.k8s.Get(e.ctx, client.ObjectKey{Namespace: ns, Name: name}, pod)
	return pod, err
}

// readyAndSynced is nil when the group is Ready for its current generation
// with every replica synced and every member's link up.
func readyAndSynced(rg *v1alpha1.ReplicationGroup) error {
	st := rg.Status
	ready := meta.FindStatusCondition(st.Conditions, v1alpha1.ConditionReady)
	switch {
	case st.ObservedGeneration != rg.Generation:
		return fmt.Errorf("observedGeneration %d, generation %d", st.ObservedGeneration, rg.Generation)
	case ready == nil || ready.Status != metav1.ConditionTrue:
		return fmt.Errorf("not Ready: %+v (phase %s)", ready, st.Phase)
	case st.SyncedReplicas != rg.Spec.Replicas-1:
		return fmt.Errorf("syncedReplicas %d, want %d", st.SyncedReplicas, rg.Spec.Replicas-1)
	}
	for _, m := range st.Members {
		if m.Pod != st.Master && m.LinkStatus != "up" {
			return fmt.Errorf("member %s: linkStatus %q", m.Pod, m.LinkStatus)
		}
	}
	return nil
}

// waitSynced waits until the group is Ready and synced, and each of also
// holds, and returns it. A status read right after a disruption may still
// describe the group before it: also says what must have changed.
func (e *env) waitSynced(rg *v1alpha1.ReplicationGroup, timeout time.Duration, what string,
	also ...func(*v1alpha1.ReplicationGroup) error) *v1alpha1.ReplicationGroup {
	e.t.Helper()
	began := time.Now()
	var got *v1alpha1.ReplicationGroup
	e.eventually(timeout, what, func() error {
		var err error
		if got, err = e.group(rg.Namespace, rg.Name); err != nil {
			return err
		}
		if err := readyAndSynced(got); err != nil {
			return err
		}
		for _, f := range also {
			if err := f(got); err != nil {
				return err
			}
		}
		return nil
	})
	e.t.Logf("%s: %s (master %s, epoch %d)", what, time.Since(began).Round(time.Millisecond),
		got.Status.Master, got.Status.MasterEpoch)
	return got
}

// redisClient connects to addr with the group's password; closed at the
// end of the test.
func (e *env) redisClient(addr, password string) *redis.Client {
	c := redis.NewClient(&redis.Options{
		Addr: addr, Password: password, DisableIdentity: true,
		DialTimeout: time.Second, ReadTimeout: 2 * time.Second, WriteTimeout: 2 * time.Second,
		MaxRetries: -1, PoolSize: 1,
	})
	e.t.Cleanup(func() { c.Close() })
	return c
}

// serviceAddr waits for the proxy of Service ns/name.
func (e *env) serviceAddr(ns, name string) string {
	e.t.Helper()
	var addr string
	e.eventually(30*time.Second, "proxy of Service "+ns+"/"+name, func() error {
		if addr = e.cluster.ServiceAddr(ns, name); addr == "" {
			return errors.New("no proxy yet")
		}
		return nil
	})
	return addr
}

// expectKeys waits until every key holds its value on the member pod,
// asked directly at its IP, and, if it is a replica, its link is up.
func (e *env) expectKeys(ns, pod, password string, keys map[string]string, timeout time.Duration) {
	e.t.Helper()
	e.eventually(timeout, "keys on "+pod, func() error {
		p, err := e.pod(ns, pod)
		if err != nil {
			return err
		}
		if p.Status.PodIP == "" {
			return errors.New("no pod IP")
		}
		c := redis.NewClient(&redis.Options{
			Addr: p.Status.PodIP + ":6379", Password: password, DisableIdentity: true,
			DialTimeout: time.Second, ReadTimeout: time.Second, MaxRetries: -1, PoolSize: 1,
		})
		defer c.Close()
		info, err := c.Info(e.ctx, "replication").Result()
		if err != nil {
			return fmt.Errorf("INFO replication: %w", err)
		}
		if strings.Contains(info, "role:slave") && !strings.Contains(info, "master_link_status:up") {
			return errors.New("replica with its link down")
		}
		for k, want := range keys {
			got, err := c.Get(e.ctx, k).Result()
			if err != nil {
				return fmt.Errorf("GET %s: %w", k, err)
			}
			if got != want {
				return fmt.Errorf("GET %s = %q, want %q", k, got, want)
			}
		}
		return nil
	})
}

// waitRestarted waits until the pod before stands for a process that is
// not the one it had: the same pod restarted its container, or a new pod
// of the same name runs. Status read before that may describe the old
// process.
func (e *env) waitRestarted(before *corev1.Pod) {
	e.t.Helper()
	began := time.Now()
	e.eventually(resyncTimeout, before.Name+" running again", func() error {
		p, err := e.pod(before.Namespace, before.Name)
		if err != nil {
			return err
		}
		if p.UID == before.UID && restarts(p) <= restarts(before) {
			return fmt.Errorf("restarts %d", restarts(p))
		}
		if len(p.Status.ContainerStatuses) == 0 || p.Status.ContainerStatuses[0].State.Running == nil || p.Status.PodIP == "" {
			return errors.New("not running")
		}
		return nil
	})
	e.t.Logf("%s running again after %s", before.Name, time.Since(began).Round(time.Millisecond))
}

// waitRestartGuard waits until the master's include file, as its pod sees
// it, makes it restart as a replica of a synced member (see
// resources.Master.RestartFollows). The operator writes it once the group
// is synced, and a pod sees ConfigMap changes only after a while (here up
// to 2s, on a kubelet up to a minute or so): a master that crashes before
// that restarts as an empty master, and the operator may then lose the race
// against a disk-based full sync.
func (e *env) waitRestartGuard(master *corev1.Pod) {
	e.t.Helper()
	vol := ""
	for _, v := range master.Spec.Volumes {
		if v.ConfigMap != nil {
			vol = v.Name
		}
	}
	began := time.Now()
	e.eventually(resyncTimeout, "include file of "+master.Name+" naming a synced replica", func() error {
		dir := e.cluster.PodDir(master.Namespace, master.Name)
		if dir == "" {
			return errors.New("no pod directory")
		}
		b, err := os.ReadFile(filepath.Join(dir, "volumes", vol, master.Name+".conf"))
		if err != nil {
			return err
		}
		if !strings.Contains(string(b), "\nreplicaof ") {
			return fmt.Errorf("include file: %q", b)
		}
		return nil
	})
	e.t.Logf("include file of master %s names a synced replica after %s", master.Name, time.Since(began).Round(time.Millisecond))
}

// aReplica is a member other than the master.
func aReplica(rg *v1alpha1.ReplicationGroup) string {
	for _, pod := range rg.PodNames() {
		if pod != rg.Status.Master {
			return pod
		}
	}
	return ""
}

func restarts(p *corev1.Pod) int32 {
	if len(p.Status.ContainerStatuses) == 0 {
		return 0
	}
	return p.Status.ContainerStatuses[0].RestartCount
}

// with is e for subtest t: helpers fail the test they run in.
func (e *env) with(t *testing.T) *env {
	c := *e
	c.t = t
	return &c
}

// TestReplicationGroupRedisServer runs 3-member groups of upstream redis
// pods (redis-server) under the operator, with diskless and with disk-based
// full syncs, through the scenarios of exercise.
func TestReplicationGroupRedisServer(t *testing.T) {
	e := start(t)
	for _, tt := range []struct {
		name     string
		diskless bool
	}{
		{"diskless", true},
		// A disk-based full sync starts at once (no disklessDelaySeconds),
		// which leaves the operator less time to stop replicas from
		// resyncing from a master that came back empty.
		{"disk-based", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := e.with(t)
			ns := "e2e-" + tt.name
			if err := e.k8s.Create(e.ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
				t.Fatal(err)
			}
			rg := &v1alpha1.ReplicationGroup{
				ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "cache"},
				Spec: v1alpha1.ReplicationGroupSpec{Replicas: 3, Image: "redis:7.0.15",
					Replication: v1alpha1.ReplicationSpec{Diskless: &tt.diskless}},
			}
			e.exercise(rg)
		})
	}
}

// TestReplicationGroupReplikube runs the same scenarios with our own data
// plane, `replikube server`, in the pods.
func TestReplicationGroupReplikube(t *testing.T) {
	e := start(t)
	for _, tt := range []struct {
		name     string
		diskless bool
	}{
		{"diskless", true},
		{"disk-based", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := e.with(t)
			ns := "e2e-replikube-" + tt.name
			if err := e.k8s.Create(e.ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
				t.Fatal(err)
			}
			rg := &v1alpha1.ReplicationGroup{
				ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "cache"},
				Spec: v1alpha1.ReplicationGroupSpec{Replicas: 3, Image: "ghcr.io/replikube/replikube:e2e",
					Replication: v1alpha1.ReplicationSpec{Diskless: &tt.diskless}},
			}
			e.exercise(rg)
		})
	}
}

// createSynced creates rg, waits until it is Ready and synced, and returns
// it with its password.
func (e *env) createSynced(rg *v1alpha1.ReplicationGroup) (*v1alpha1.ReplicationGroup, string) {
	e.t.Helper()
	if err := e.k8s.Create(e.ctx, rg); err != nil {
		e.t.Fatal(err)
	}
	rg = e.waitSynced(rg, upTimeout, fmt.Sprintf("group Ready with %d synced replicas", rg.Spec.Replicas-1))
	secret := &corev1.Secret{}
	if err := e.k8s.Get(e.ctx, client.ObjectKey{Namespace: rg.Namespace, Name: rg.AuthSecretName()}, secret); err != nil {
		e.t.Fatal(err)
	}
	password := string(secret.Data[rg.AuthSecretKey()])
	if password == "" {
		e.t.Fatalf("secret %s has no %q", rg.AuthSecretName(), rg.AuthSecretKey())
	}
	return rg, password
}

// exercise creates rg and checks, in order: it comes up with every replica
// synced; a write through the master Service is readable through the
// replicas Service; a replica's crash and its pod's deletion heal; a master
// that comes back empty (process killed, pod deleted: emptyDir) does not
// take the replicas' data with it.
func (e *env) exercise(rg *v1alpha1.ReplicationGroup) {
	t := e.t
	ns := rg.Namespace
	rg, password := e.createSynced(rg)

	// A write through the master Service is readable through the replicas
	// Service (replication is asynchronous: poll).
	writer := e.redisClient(e.serviceAddr(ns, rg.MasterServiceName()), password)
	reader := e.redisClient(e.serviceAddr(ns, rg.ReplicasServiceName()), password)
	keys := map[string]string{}
	// set writes through the master Service; after a restart its proxy
	// may hold a dead connection or no endpoint for a moment.
	set := func(t *testing.T, k, v string) {
		t.Helper()
		e.with(t).eventually(10*time.Second, "SET "+k+" through the master Service", func() error {
			return writer.Set(e.ctx, k, v, 0).Err()
		})
		keys[k] = v
	}
	set(t, "greeting", "hello")
	e.eventually(10*time.Second, "GET through the replicas Service", func() error {
		got, err := reader.Get(e.ctx, "greeting").Result()
		if err != nil {
			return err
		}
		if got != "hello" {
			return fmt.Errorf("got %q", got)
		}
		return nil
	})
	if err := reader.Set(e.ctx, "x", "y", 0).Err(); err == nil || !strings.HasPrefix(err.Error(), "READONLY") {
		t.Errorf("SET through the replicas Service: %v, want READONLY", err)
	}

	t.Run("replica process killed", func(t *testing.T) {
		e := e.with(t)
		victim := aReplica(rg)
		before, err := e.pod(ns, victim)
		if err != nil {
			t.Fatal(err)
		}
		pid, err := e.cluster.KillContainer(ns, victim)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("killed %s (pid %d)", victim, pid)
		e.waitRestarted(before)
		set(t, "after-replica-kill", "1")
		e.expectKeys(ns, victim, password, keys, resyncTimeout)
		rg = e.waitSynced(rg, resyncTimeout, "resynced after "+victim+"'s process was killed")
	})

	t.Run("replica pod deleted", func(t *testing.T) {
		e := e.with(t)
		victim := aReplica(rg)
		before, err := e.pod(ns, victim)
		if err != nil {
			t.Fatal(err)
		}
		if err := e.k8s.Delete(e.ctx, before); err != nil {
			t.Fatal(err)
		}
		e.waitRestarted(before)
		set(t, "after-replica-delete", "1")
		e.expectKeys(ns, victim, password, keys, resyncTimeout)
		rg = e.waitSynced(rg, resyncTimeout, "resynced after "+victim+"'s pod was deleted")
	})

	// The seed's warning: without persistence a restarted master comes
	// back empty, and replicas that resync from it lose everything. The
	// operator must promote a replica instead.
	emptyMaster := func(t *testing.T, restart func(master string) error) {
		e := e.with(t)
		master := rg.Status.Master
		epoch := rg.Status.MasterEpoch
		set(t, "before-master-restart-"+master, "1")
		// Every member holds the data before the master goes.
		for _, pod := range rg.PodNames() {
			e.expectKeys(ns, pod, password, keys, resyncTimeout)
		}
		before, err := e.pod(ns, master)
		if err != nil {
			t.Fatal(err)
		}
		e.waitRestartGuard(before)
		if err := restart(master); err != nil {
			t.Fatal(err)
		}
		e.waitRestarted(before)
		rg = e.waitSynced(rg, resyncTimeout, "synced after master "+master+" came back empty",
			func(got *v1alpha1.ReplicationGroup) error {
				if got.Status.MasterEpoch == epoch {
					return fmt.Errorf("no promotion yet: master %s, epoch %d", got.Status.Master, epoch)
				}
				return nil
			})
		if rg.Status.MasterEpoch == epoch || rg.Status.Master == master {
			t.Errorf("master %s epoch %d after the restart, before %s epoch %d: no promotion", rg.Status.Master,
				rg.Status.MasterEpoch, master, epoch)
		}
		if lf := rg.Status.LastFailover; lf == nil || lf.Reason != v1alpha1.ReasonMasterRestartEmpty || lf.From != master {
			t.Errorf("lastFailover = %+v, want from %s, reason %s", lf, master, v1alpha1.ReasonMasterRestartEmpty)
		}
		// No member lost the data, the restarted one included, and the
		// master Service reaches the new master.
		for _, pod := range rg.PodNames() {
			e.expectKeys(ns, pod, password, keys, resyncTimeout)
		}
		set(t, "after-master-restart-"+master, "1")
		e.expectKeys(ns, master, password, keys, resyncTimeout)
	}
	t.Run("master process killed", func(t *testing.T) {
		emptyMaster(t, func(master string) error {
			pid, err := e.cluster.KillContainer(ns, master)
			t.Logf("killed master %s (pid %d)", master, pid)
			return err
		})
	})
	t.Run("master pod deleted", func(t *testing.T) {
		emptyMaster(t, func(master string) error {
			pod, err := e.pod(ns, master)
			if err != nil {
				return err
			}
			t.Logf("deleting master pod %s", master)
			return e.k8s.Delete(e.ctx, pod)
		})
	})
}

// tail returns the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// TestReplicationGroupScaleAndConfig scales a replikube group 3 -> 4 -> 2
// with its data kept, then changes spec.config: a directive Redis changes at
// run time reaches every member by CONFIG SET, without a restart; one it
// cannot change restarts the members, the master last after a switchover.
// Last, scaling to 1 removes the master's ordinal: a switchover comes first.
func TestReplicationGroupScaleAndConfig(t *testing.T) {
	e := start(t)
	for _, tt := range []struct{ name, image, upgradeTo string }{
		// The replikube group moves to redis-server on the way: a
		// change of data plane with the data kept.
		{"replikube", "ghcr.io/replikube/replikube:e2e", "redis:7.0.15"},
		{"redis-server", "redis:7.0.15", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ns := "e2e-scale-" + tt.name
			if err := e.k8s.Create(e.ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
				t.Fatal(err)
			}
			e.with(t).scaleAndConfigure(&v1alpha1.ReplicationGroup{
				ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "cache"},
				Spec:       v1alpha1.ReplicationGroupSpec{Replicas: 3, Image: tt.image},
			}, tt.upgradeTo)
		})
	}
}

// scaleAndConfigure runs the scenario of TestReplicationGroupScaleAndConfig
// on rg, a group of 3,
// and then, when upgradeTo is set, moves it to that image.
// updateSpec applies change to the latest rg and updates it, again on a
// conflict: the operator writes the status meanwhile, which moves the
// resource version.
func (e *env) updateSpec(rg *v1alpha1.ReplicationGroup, change func()) {
	e.t.Helper()
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		if err := e.k8s.Get(e.ctx, client.ObjectKeyFromObject(rg), rg); err != nil {
			return err
		}
		change()
		return e.k8s.Update(e.ctx, rg)
	})
	if err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) scaleAndConfigure(rg *v1alpha1.ReplicationGroup, upgradeTo string) {
	t := e.t
	ns := rg.Namespace
	rg, password := e.createSynced(rg)
	writer := e.redisClient(e.serviceAddr(ns, rg.MasterServiceName()), password)
	keys := map[string]string{}
	set := func(k, v string) {
		t.Helper()
		e.eventually(10*time.Second, "SET "+k+" through the master Service", func() error {
			return writer.Set(e.ctx, k, v, 0).Err()
		})
		keys[k] = v
	}
	set("before-scale", "1")

	scale := func(n int32) {
		t.Helper()
		e.updateSpec(rg, func() { rg.Spec.Replicas = n })
		rg = e.waitSynced(rg, resyncTimeout, fmt.Sprintf("scaled to %d", n))
		if len(rg.Status.Members) != int(n) {
			t.Fatalf("members %+v, want %d", rg.Status.Members, n)
		}
		set(fmt.Sprintf("after-scale-%d", n), "1")
		for _, pod := range rg.PodNames() {
			e.expectKeys(ns, pod, password, keys, resyncTimeout)
		}
	}
	scale(4)
	scale(2)

	uids := podIdentities(e, rg)
	e.updateSpec(rg, func() { rg.Spec.Config = v1alpha1.Config{"maxmemory-policy": "allkeys-lru"} })
	e.eventually(resyncTimeout, "CONFIG GET maxmemory-policy on every member", func() error {
		for _, name := range rg.PodNames() {
			p, err := e.pod(ns, name)
			if err != nil {
				return err
			}
			c := redis.NewClient(&redis.Options{
				Addr: p.Status.PodIP + ":6379", Password: password, DisableIdentity: true,
				DialTimeout: time.Second, ReadTimeout: time.Second, MaxRetries: -1, PoolSize: 1,
			})
			got, err := c.ConfigGet(e.ctx, "maxmemory-policy").Result()
			c.Close()
			if err != nil {
				return fmt.Errorf("%s: CONFIG GET: %w", name, err)
			}
			if got["maxmemory-policy"] != "allkeys-lru" {
				return fmt.Errorf("%s: maxmemory-policy %q", name, got["maxmemory-policy"])
			}
		}
		return nil
	})
	got, err := writer.ConfigGet(e.ctx, "maxmemory-policy").Result()
	if err != nil || got["maxmemory-policy"] != "allkeys-lru" {
		t.Errorf("CONFIG GET through the master Service: %v, %v", got, err)
	}
	for _, name := range rg.PodNames() {
		p, err := e.pod(ns, name)
		if err != nil {
			t.Fatal(err)
		}
		if uids[name] != string(p.UID)+fmt.Sprint(restarts(p)) {
			t.Errorf("%s restarted for a change CONFIG SET applies", name)
		}
	}
	rg = e.waitSynced(rg, resyncTimeout, "synced after the configuration change")
	for _, pod := range rg.PodNames() {
		e.expectKeys(ns, pod, password, keys, resyncTimeout)
	}

	// databases cannot change at run time: the replica restarts, then the
	// master hands its role over and restarts last.
	master := rg.Status.Master
	e.updateSpec(rg, func() { rg.Spec.Config["databases"] = "32" })
	rg = e.waitRolledOut(rg, uids, master, "every member restarted with databases 32", nil)
	e.eventually(10*time.Second, "CONFIG GET databases through the master Service", func() error {
		got, err := writer.ConfigGet(e.ctx, "databases").Result()
		if err != nil {
			return err
		}
		if got["databases"] != "32" {
			return fmt.Errorf("databases %q", got["databases"])
		}
		return nil
	})
	set("after-restart", "1")
	for _, pod := range rg.PodNames() {
		e.expectKeys(ns, pod, password, keys, resyncTimeout)
	}

	// A new image rolls out the same way: the OnDelete StatefulSet alone
	// would leave the pods as they are.
	if upgradeTo != "" {
		master, uids = rg.Status.Master, podIdentities(e, rg)
		e.updateSpec(rg, func() { rg.Spec.Image = upgradeTo })
		rg = e.waitRolledOut(rg, uids, master, "every member restarted with "+upgradeTo, func(p *corev1.Pod) error {
			if img := p.Spec.Containers[0].Image; img != upgradeTo {
				return fmt.Errorf("%s runs %s", p.Name, img)
			}
			return nil
		})
		set("after-image-change", "1")
		for _, pod := range rg.PodNames() {
			e.expectKeys(ns, pod, password, keys, resyncTimeout)
		}
	}

	// Scaling to one member keeps ordinal 0: a master elsewhere (ordinal
	// 1 after the restart for databases) moves back to it first, keeping
	// the data.
	t.Logf("master %s before scaling to 1", rg.Status.Master)
	scale(1)
	if rg.Status.Master != "cache-0" {
		t.Errorf("master %s after scaling to 1", rg.Status.Master)
	}
}

// podIdentities are the group's pods by name, each as its UID and restart
// count: a restarted member has another.
func podIdentities(e *env, rg *v1alpha1.ReplicationGroup) map[string]string {
	e.t.Helper()
	ids := map[string]string{}
	for _, name := range rg.PodNames() {
		p, err := e.pod(rg.Namespace, name)
		if err != nil {
			e.t.Fatal(err)
		}
		ids[name] = string(p.UID) + fmt.Sprint(restarts(p))
	}
	return ids
}

// waitRolledOut waits until every member of rg has restarted since uids
// were taken (and passes check, when set) and the group is Ready and synced
// again with its master moved away from master by a switchover, and
// returns the group.
func (e *env) waitRolledOut(rg *v1alpha1.ReplicationGroup, uids map[string]string, master, what string,
	check func(*corev1.Pod) error) *v1alpha1.ReplicationGroup {
	e.t.Helper()
	ns := rg.Namespace
	e.eventually(2*resyncTimeout, what, func() error {
		got, err := e.group(ns, rg.Name)
		if err != nil {
			return err
		}
		if err := readyAndSynced(got); err != nil {
			return err
		}
		if got.Status.Master == master {
			return fmt.Errorf("master still %s", master)
		}
		for _, name := range got.PodNames() {
			p, err := e.pod(ns, name)
			if err != nil {
				return err
			}
			if uids[name] == string(p.UID)+fmt.Sprint(restarts(p)) {
				return fmt.Errorf("%s not restarted yet", name)
			}
			if check != nil {
				if err := check(p); err != nil {
					return err
				}
			}
		}
		rg = got
		return nil
	})
	if lf := rg.Status.LastFailover; lf == nil || lf.Reason != v1alpha1.ReasonSwitchover || lf.From != master {
		e.t.Errorf("lastFailover = %+v, want a switchover from %s", lf, master)
	}
	return rg
}
