package cluster

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/go-logr/logr/testr"
	"github.com/redis/go-redis/v9"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
)

// assets is the directory of the Kubernetes binaries; the test fails with
// hack/k8s-binaries.sh's hint when they are missing.
func assets(t *testing.T) string {
	t.Helper()
	dir, err := AssetsDir(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// eventually polls f every 250ms until it returns nil or timeout passes.
func eventually(t *testing.T, timeout time.Duration, what string, f func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		err := f()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not after %s: %v", what, timeout, err)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

func TestStatefulSetOfRedisServers(t *testing.T) {
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Fatal("redis-server not found: apt-get install -y redis-server")
	}
	logf.SetLogger(testr.New(t))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	// CLUSTER_RUN_DIR keeps the run directory (logs, volumes) for a look.
	c, err := Start(ctx, Options{
		Assets:  assets(t),
		CRDDirs: []string{filepath.Join("..", "..", "config", "crd", "bases")},
		RunDir:  os.Getenv("CLUSTER_RUN_DIR"),
		Log:     testr.NewWithOptions(t, testr.Options{Verbosity: 1}),
	})
	if err != nil {
		t.Fatal(err)
	}
	stopped := false
	defer func() {
		if !stopped {
			_ = c.Stop()
		}
	}()
	cs := kubernetes.NewForConfigOrDie(c.Config)
	ns := "e2e"
	mustCreate(t, ctx, cs, ns)

	// 3 pods: Running, Ready, each on its own loopback address.
	pods := waitReady(t, ctx, cs, ns, 3)
	ips := map[string]bool{}
	for _, p := range pods {
		if !strings.HasPrefix(p.Status.PodIP, "127.0.") || ips[p.Status.PodIP] {
			t.Fatalf("pod %s has IP %q; want a distinct 127.0.x.y", p.Name, p.Status.PodIP)
		}
		ips[p.Status.PodIP] = true
	}
	t.Logf("pods ready on %v", ips)

	// Through the Service proxy, as a client outside the cluster.
	eventually(t, 30*time.Second, "PING through the Service", func() error {
		addr := c.ServiceAddr(ns, "redis")
		if addr == "" {
			return errors.New("no proxy yet")
		}
		rdb := redis.NewClient(&redis.Options{Addr: addr, Password: "s3cret", MaxRetries: -1})
		defer rdb.Close()
		return rdb.Ping(ctx).Err()
	})
	t.Logf("PONG through %s", c.ServiceAddr(ns, "redis"))

	// Data written to web-0's PVC survives its pod being deleted and
	// recreated by the StatefulSet controller.
	rdb0 := redis.NewClient(&redis.Options{Addr: pods["web-0"].Status.PodIP + ":6379", Password: "s3cret"})
	if err := rdb0.Set(ctx, "greeting", "hello", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if err := rdb0.Save(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	rdb0.Close()
	dump := filepath.Join(c.PVCDir(ns, "data-web-0"), "dump.rdb")
	if _, err := os.Stat(dump); err != nil {
		t.Fatalf("SAVE wrote no %s (dir /data in the ConfigMap not rewritten?): %v", dump, err)
	}
	oldPod := pods["web-0"]
	oldPID := pidOf(t, oldPod)
	if err := cs.CoreV1().Pods(ns).Delete(ctx, "web-0", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 60*time.Second, "web-0 recreated", func() error {
		p, err := cs.CoreV1().Pods(ns).Get(ctx, "web-0", metav1.GetOptions{})
		if err != nil {
			return err
		}
		if p.UID == oldPod.UID {
			return errors.New("still the old pod")
		}
		if !isReady(p) {
			return fmt.Errorf("new pod not ready: %s", p.Status.Phase)
		}
		pods["web-0"] = p
		return nil
	})
	if processAlive(oldPID) {
		t.Fatalf("process %d of the deleted pod still runs", oldPID)
	}
	rdb0 = redis.NewClient(&redis.Options{Addr: pods["web-0"].Status.PodIP + ":6379", Password: "s3cret"})
	if v, err := rdb0.Get(ctx, "greeting").Result(); err != nil || v != "hello" {
		t.Fatalf("GET greeting on the new web-0 = %q, %v; want hello from the PVC", v, err)
	}
	rdb0.Close()

	// A process that dies is restarted and the restart counted.
	web1 := pods["web-1"]
	if err := syscall.Kill(pidOf(t, web1), syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, "web-1 restarted", func() error {
		p, err := cs.CoreV1().Pods(ns).Get(ctx, "web-1", metav1.GetOptions{})
		if err != nil {
			return err
		}
		if p.UID != web1.UID {
			return errors.New("a new pod: want the same pod restarted")
		}
		if len(p.Status.ContainerStatuses) == 0 || p.Status.ContainerStatuses[0].RestartCount != 1 || !isReady(p) {
			return fmt.Errorf("restartCount/ready not yet: %+v", p.Status.ContainerStatuses)
		}
		return nil
	})

	testReadinessGate(t, ctx, cs, ns)

	// Stop leaves no process behind.
	var pids []int
	list, err := cs.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range list.Items {
		pids = append(pids, pidOf(t, &list.Items[i]))
	}
	stopped = true
	if err := c.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	for _, pid := range pids {
		if processAlive(pid) {
			t.Errorf("pod process %d survived Stop", pid)
		}
	}
	if kids := children(); len(kids) > 0 {
		t.Errorf("child processes survived Stop: %v", kids)
	}
}

// testReadinessGate: a pod whose container is ready stays unready until its
// gate condition is True.
func testReadinessGate(t *testing.T, ctx context.Context, cs kubernetes.Interface, ns string) {
	const gate = "example.com/gate"
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "gated", Namespace: ns},
		Spec: corev1.PodSpec{
			ReadinessGates: []corev1.PodReadinessGate{{ConditionType: gate}},
			Containers: []corev1.Container{{
				Name: "redis", Image: "redis:7.0",
				Args: []string{"--bind", "$(POD_IP)", "--save", "", "--port", "6379"},
				Env: []corev1.EnvVar{{Name: "POD_IP", ValueFrom: &corev1.EnvVarSource{
					FieldRef: &corev1.ObjectFieldSelector{FieldPath: "status.podIP"}}}},
				ReadinessProbe: &corev1.Probe{
					ProbeHandler:  corev1.ProbeHandler{TCPSocket: &corev1.TCPSocketAction{Port: intstr.FromInt32(6379)}},
					PeriodSeconds: 1,
				},
			}},
		},
	}
	if _, err := cs.CoreV1().Pods(ns).Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, "gated pod's containers ready", func() error {
		p, err := cs.CoreV1().Pods(ns).Get(ctx, "gated", metav1.GetOptions{})
		if err != nil {
			return err
		}
		if c := findCondition(&p.Status, corev1.ContainersReady); c == nil || c.Status != corev1.ConditionTrue {
			return errors.New("containers not ready")
		}
		pod = p
		return nil
	})
	if isReady(pod) {
		t.Fatal("pod Ready while its readiness gate is unset")
	}
	pod.Status.Conditions = append(pod.Status.Conditions, corev1.PodCondition{
		Type: gate, Status: corev1.ConditionTrue, LastTransitionTime: metav1.Now(),
	})
	if _, err := cs.CoreV1().Pods(ns).UpdateStatus(ctx, pod, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "gated pod Ready once its gate is True", func() error {
		p, err := cs.CoreV1().Pods(ns).Get(ctx, "gated", metav1.GetOptions{})
		if err != nil {
			return err
		}
		if !isReady(p) {
			return errors.New("not ready")
		}
		return nil
	})
}

// mustCreate creates the namespace and a StatefulSet shaped like the
// operator's: redis-server with a config file from a ConfigMap that says
// `dir /data`, a password from a Secret, the pod IP from the downward API,
// a PVC per pod, a TCP readiness probe on a named port, and two Services.
func mustCreate(t *testing.T, ctx context.Context, cs kubernetes.Interface, ns string) {
	t.Helper()
	labels := map[string]string{"app": "web"}
	objs := []func() error{
		func() error {
			_, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{})
			return err
		},
		func() error {
			_, err := cs.CoreV1().ConfigMaps(ns).Create(ctx, &corev1.ConfigMap{
				ObjectMeta: metav1.ObjectMeta{Name: "conf"},
				Data:       map[string]string{"redis.conf": "port 6379\ndir /data\nsave \"\"\nappendonly no\n"},
			}, metav1.CreateOptions{})
			return err
		},
		func() error {
			_, err := cs.CoreV1().Secrets(ns).Create(ctx, &corev1.Secret{
				ObjectMeta: metav1.ObjectMeta{Name: "auth"},
				Data:       map[string][]byte{"password": []byte("s3cret")},
			}, metav1.CreateOptions{})
			return err
		},
		func() error {
			_, err := cs.CoreV1().Services(ns).Create(ctx, &corev1.Service{
				ObjectMeta: metav1.ObjectMeta{Name: "web"},
				Spec: corev1.ServiceSpec{ClusterIP: corev1.ClusterIPNone, Selector: labels,
					Ports: []corev1.ServicePort{{Name: "redis", Port: 6379, TargetPort: intstr.FromString("redis")}}},
			}, metav1.CreateOptions{})
			return err
		},
		func() error {
			_, err := cs.CoreV1().Services(ns).Create(ctx, &corev1.Service{
				ObjectMeta: metav1.ObjectMeta{Name: "redis"},
				Spec: corev1.ServiceSpec{Selector: labels,
					Ports: []corev1.ServicePort{{Name: "redis", Port: 6379, TargetPort: intstr.FromString("redis")}}},
			}, metav1.CreateOptions{})
			return err
		},
		func() error {
			_, err := cs.AppsV1().StatefulSets(ns).Create(ctx, redisStatefulSet(labels), metav1.CreateOptions{})
			return err
		},
	}
	for _, create := range objs {
		if err := create(); err != nil {
			t.Fatal(err)
		}
	}
}

func redisStatefulSet(labels map[string]string) *appsv1.StatefulSet {
	return &appsv1.StatefulSet{
		ObjectMeta: metav1.ObjectMeta{Name: "web"},
		Spec: appsv1.StatefulSetSpec{
			Replicas:            ptr.To[int32](3),
			ServiceName:         "web",
			PodManagementPolicy: appsv1.ParallelPodManagement,
			Selector:            &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{
					TerminationGracePeriodSeconds: ptr.To[int64](5),
					Containers: []corev1.Container{{
						Name:    "redis",
						Image:   "redis:7.0.15",
						Command: []string{"redis-server"},
						Args:    []string{"/etc/redis/redis.conf", "--bind", "$(POD_IP)", "--requirepass", "$(PASSWORD)"},
						Ports:   []corev1.ContainerPort{{Name: "redis", ContainerPort: 6379}},
						Env: []corev1.EnvVar{
							{Name: "POD_IP", ValueFrom: &corev1.EnvVarSource{
								FieldRef: &corev1.ObjectFieldSelector{FieldPath: "status.podIP"}}},
							{Name: "PASSWORD", ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{
								LocalObjectReference: corev1.LocalObjectReference{Name: "auth"}, Key: "password"}}},
						},
						VolumeMounts: []corev1.VolumeMount{
							{Name: "data", MountPath: "/data"},
							{Name: "conf", MountPath: "/etc/redis", ReadOnly: true},
						},
						ReadinessProbe: &corev1.Probe{
							ProbeHandler:  corev1.ProbeHandler{TCPSocket: &corev1.TCPSocketAction{Port: intstr.FromString("redis")}},
							PeriodSeconds: 1,
						},
						LivenessProbe: &corev1.Probe{
							ProbeHandler:     corev1.ProbeHandler{TCPSocket: &corev1.TCPSocketAction{Port: intstr.FromString("redis")}},
							PeriodSeconds:    2,
							FailureThreshold: 5,
						},
					}},
					Volumes: []corev1.Volume{{Name: "conf", VolumeSource: corev1.VolumeSource{
						ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: "conf"}}}}},
				},
			},
			VolumeClaimTemplates: []corev1.PersistentVolumeClaim{{
				ObjectMeta: metav1.ObjectMeta{Name: "data"},
				Spec: corev1.PersistentVolumeClaimSpec{
					AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
					Resources: corev1.VolumeResourceRequirements{
						Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("1Gi")}},
				},
			}},
		},
	}
}

// waitReady waits for n Running and Ready pods and returns them by name.
func waitReady(t *testing.T, ctx context.Context, cs kubernetes.Interface, ns string, n int) map[string]*corev1.Pod {
	t.Helper()
	pods := map[string]*corev1.Pod{}
	eventually(t, 90*time.Second, fmt.Sprintf("%d pods ready", n), func() error {
		list, err := cs.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			return err
		}
		clear(pods)
		var state []string
		for i := range list.Items {
			p := &list.Items[i]
			state = append(state, fmt.Sprintf("%s=%s/%v", p.Name, p.Status.Phase, isReady(p)))
			if p.Status.Phase == corev1.PodRunning && isReady(p) {
				pods[p.Name] = p
			}
		}
		if len(pods) != n {
			return fmt.Errorf("pods: %v", state)
		}
		return nil
	})
	return pods
}

func isReady(p *corev1.Pod) bool {
	c := findCondition(&p.Status, corev1.PodReady)
	return c != nil && c.Status == corev1.ConditionTrue
}

// pidOf reads the pid from the runner's container ID (local://<pid>).
func pidOf(t *testing.T, p *corev1.Pod) int {
	t.Helper()
	if len(p.Status.ContainerStatuses) == 0 {
		t.Fatalf("pod %s has no container status", p.Name)
	}
	pid, err := strconv.Atoi(strings.TrimPrefix(p.Status.ContainerStatuses[0].ContainerID, "local://"))
	if err != nil {
		t.Fatalf("pod %s: container ID %q: %v", p.Name, p.Status.ContainerStatuses[0].ContainerID, err)
	}
	return pid
}

// processAlive is true for a running process; a zombie counts as gone.
func processAlive(pid int) bool {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	_, rest, _ := strings.Cut(string(stat), ") ")
	return !strings.HasPrefix(rest, "Z")
}

// children are the live processes whose parent is this test binary.
func children() []string {
	var out []string
	entries, _ := os.ReadDir("/proc")
	me := strconv.Itoa(os.Getpid())
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		_, rest, _ := strings.Cut(string(stat), ") ")
		fields := strings.Fields(rest)
		if len(fields) > 1 && fields[1] == me && processAlive(pid) {
			comm, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "comm"))
			out = append(out, fmt.Sprintf("%d(%s)", pid, strings.TrimSpace(string(comm))))
		}
	}
	return out
}
