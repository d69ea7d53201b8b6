package resources

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/replikube/replikube/api/v1alpha1"
)

// Paths and keys shared by the ConfigMap and the pod that mounts it.
const (
	RedisPort = 6379
	DataDir   = "/data"
	ConfigDir = "/etc/replikube"
	// ConfigKey holds redis.conf, the same for every member.
	ConfigKey = "redis.conf"
	// MasterKey names the current master and its epoch, for humans and tools.
	MasterKey = "master"
)

// redisDefaultSavePoints are Redis 7's defaults, written out so that both
// data planes snapshot alike when spec.persistence.rdb is absent.
var redisDefaultSavePoints = []string{"3600 1", "300 100", "60 10000"}

// Master says who the master is and where replicas find it. The controller
// fills it from status (Pod, Epoch) and from the master pod (Host: its IP
// once known, else its stable DNS name).
type Master struct {
	Pod   string
	Host  string
	Epoch int64
	// RestartFollows, when set, is the host of a synced replica that the
	// master's own include file points it at. The controller sets it for
	// groups whose members restart without their data: a master whose
	// process restarts then comes back as a replica instead of as an
	// empty master that its replicas would resync from before the
	// operator can step in (a disk-based full sync starts at once).
	RestartFollows string
}

// PodConfigKey is the ConfigMap key of a pod's own include file. Each pod
// starts with `--include ConfigDir/<pod>.conf`: for the master the file holds
// no replicaof line, for every other pod `replicaof <master> <port>`, so a
// pod that restarts never comes back as a second master.
func PodConfigKey(pod string) string { return pod + ".conf" }

// ConfigMap renders the group's redis.conf and one include file per pod.
// Passwords are not in it: they reach the server from the Secret through the
// container's environment.
func ConfigMap(rg *v1alpha1.ReplicationGroup, m Master) *corev1.ConfigMap {
	data := map[string]string{
		ConfigKey: RenderConfig(rg),
		MasterKey: fmt.Sprintf("%s %d\n", m.Pod, m.Epoch),
	}
	pods := rg.PodNames()
	if !slices.Contains(pods, m.Pod) {
		// A master beyond spec.replicas (before a scale-down has
		// promoted another member) still needs its file.
		pods = append(pods, m.Pod)
	}
	for _, pod := range pods {
		data[PodConfigKey(pod)] = renderPodConfig(pod, m)
	}
	return &corev1.ConfigMap{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: objectMeta(rg, rg.ConfigMapName()),
		Data:       data,
	}
}

func renderPodConfig(pod string, m Master) string {
	if pod == m.Pod && m.RestartFollows != "" {
		return fmt.Sprintf("# %s is the master (epoch %d); it restarts without its data, so it restarts\n"+
			"# as a replica of a synced member and the operator promotes the best replica\nreplicaof %s %d\n",
			pod, m.Epoch, m.RestartFollows, RedisPort)
	}
	if pod == m.Pod {
		return fmt.Sprintf("# %s is the master (epoch %d)\n", pod, m.Epoch)
	}
	return fmt.Sprintf("# %s follows the master %s (epoch %d)\nreplicaof %s %d\n",
		pod, m.Pod, m.Epoch, m.Host, RedisPort)
}

// RenderConfig is the redis.conf shared by every member: the directives the
// operator owns from the spec, then spec.config sorted by key. The
// pod-specific directives (bind, replica-announce-ip, replicaof, passwords)
// come from the container's arguments and the pod's include file.
func RenderConfig(rg *v1alpha1.ReplicationGroup) string {
	var b strings.Builder
	line := func(key string, values ...string) {
		b.WriteString(key)
		for _, v := range values {
			b.WriteByte(' ')
			b.WriteString(v)
		}
		b.WriteByte('\n')
	}
	fmt.Fprintf(&b, "# Rendered by replikube for ReplicationGroup %s/%s; the operator rewrites it.\n",
		rg.Namespace, rg.Name)
	line("port", strconv.Itoa(RedisPort))
	line("protected-mode", "no")
	line("daemonize", "no")
	line("logfile", `""`)
	line("dir", DataDir)
	line("dbfilename", "dump.rdb")

	savePoints := redisDefaultSavePoints
	aof, fsync := false, v1alpha1.DefaultAOFFsync
	if p := rg.Spec.Persistence; p != nil {
		if p.RDB != nil {
			savePoints = p.RDB.SavePoints
		}
		if p.AOF != nil {
			aof = p.AOF.Enabled
			if p.AOF.Fsync != "" {
				fsync = p.AOF.Fsync
			}
		}
	}
	if len(savePoints) == 0 {
		line("save", `""`)
	} else {
		line("save", strings.Join(savePoints, " "))
	}
	line("appendonly", yesNo(aof))
	line("appendfsync", fsync)

	r := &rg.Spec.Replication
	line("repl-diskless-sync", yesNo(r.DisklessEnabled()))
	line("repl-diskless-sync-delay", strconv.Itoa(int(r.DisklessDelay())))
	line("repl-backlog-size", strconv.FormatInt(r.Backlog(), 10))
	line("repl-timeout", strconv.Itoa(int(r.Timeout())))
	line("min-replicas-to-write", strconv.Itoa(int(r.MinReplicas())))
	line("min-replicas-max-lag", strconv.Itoa(int(r.MinReplicasMaxLag())))
	line("replica-read-only", "yes")

	keys := make([]string, 0, len(rg.Spec.Config))
	for k := range rg.Spec.Config {
		// The CRD refuses owned keys; skipping them here too keeps a
		// group created before a rule existed from overriding them.
		if !slices.Contains(v1alpha1.OwnedConfigKeys, strings.ToLower(k)) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	if len(keys) > 0 {
		b.WriteString("# spec.config\n")
	}
	for _, k := range keys {
		v := string(rg.Spec.Config[k])
		if strings.ContainsAny(v, "\r\n") {
			continue // the CRD refuses these too: one directive per line
		}
		if v == "" {
			v = `""`
		}
		line(k, v)
	}
	return b.String()
}

// ConfigHash identifies a rendered redis.conf. The pod template carries the
// hash it was built with, so the controller can tell which pods run an older
// configuration. The include files are left out: a failover rewrites them and
// must not look like a configuration change.
func ConfigHash(cm *corev1.ConfigMap) string {
	sum := sha256.Sum256([]byte(cm.Data[ConfigKey]))
	return hex.EncodeToString(sum[:8])
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
