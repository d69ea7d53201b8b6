// Package manager runs the operator: `replikube manager` parses its flags
// and starts a controller-runtime manager (leader election, health and
// readiness endpoints, metrics) with the ReplicationGroup controller. It
// owns process wiring only; reconcile logic lives in controllers/. It must
// not import internal/redis.
package manager

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/replikube/replikube/api/v1alpha1"
	"github.com/replikube/replikube/controllers"
)

// DefaultImage runs in the pods of groups that leave spec.image empty,
// unless --redis-image says otherwise: the operator's own image (the name
// config/manager deploys), whose `replikube server` is the data plane, so
// that operator and data plane move together. An upstream image
// (redis:7.0.15) in spec.image or --redis-image runs redis-server instead.
var DefaultImage = "replikube:latest"

// leaderElectionID names the Lease that replicas of the operator compete
// for.
const leaderElectionID = "replikube-manager.redis.replikube.io"

// options are the manager's flags.
type options struct {
	metricsAddr, probeAddr  string
	leaderElect             bool
	leaderElectionNamespace string
	watchNamespace          string
	redisImage              string
	clusterDomain           string
	pollInterval            time.Duration
	podTimeout              time.Duration
	zap                     zap.Options
}

// parseFlags reads the manager's arguments; -h prints the usage to out.
func parseFlags(args []string, out io.Writer) (*options, error) {
	o := &options{zap: zap.Options{Development: false}}
	fs := flag.NewFlagSet("replikube manager", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.StringVar(&o.metricsAddr, "metrics-bind-address", ":8080",
		`address of the Prometheus metrics endpoint; "0" turns it off`)
	fs.StringVar(&o.probeAddr, "health-probe-bind-address", ":8081",
		"address of the /healthz and /readyz endpoints")
	fs.BoolVar(&o.leaderElect, "leader-elect", false,
		"elect a leader through a Lease, so that only one of several operator replicas acts at a time")
	fs.StringVar(&o.leaderElectionNamespace, "leader-election-namespace", "",
		"namespace of the leader election Lease; empty: the namespace the operator runs in")
	fs.StringVar(&o.watchNamespace, "watch-namespace", "",
		"reconcile ReplicationGroups in this namespace only; empty: all namespaces")
	fs.StringVar(&o.redisImage, "redis-image", DefaultImage,
		"image of the pods of groups that leave spec.image empty")
	fs.StringVar(&o.clusterDomain, "cluster-domain", controllers.DefaultClusterDomain,
		"DNS domain of the cluster, for pod names in replicaof lines")
	fs.DurationVar(&o.pollInterval, "poll-interval", controllers.DefaultPollInterval,
		"how often each group's members are polled with INFO replication (failure detection)")
	fs.DurationVar(&o.podTimeout, "pod-timeout", controllers.DefaultPodTimeout,
		"timeout of each call to a member (INFO, REPLICAOF)")
	o.zap.BindFlags(fs)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: replikube manager [flags]\n\n"+
			"Runs the ReplicationGroup operator against the cluster of the current kubeconfig\n"+
			"(--kubeconfig, $KUBECONFIG, in-cluster config, ~/.kube/config).\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	if o.pollInterval <= 0 || o.podTimeout <= 0 {
		return nil, errors.New("--poll-interval and --pod-timeout must be positive")
	}
	return o, nil
}

// Run is `replikube manager`: it returns the process exit code, 0 after ctx
// is cancelled (SIGTERM) and the manager has stopped.
func Run(ctx context.Context, args []string) int {
	o, err := parseFlags(args, os.Stderr)
	switch {
	case errors.Is(err, flag.ErrHelp):
		return 0
	case err != nil:
		fmt.Fprintf(os.Stderr, "replikube manager: %v\n", err)
		return 2
	}
	ctrl.SetLogger(zap.New(zap.UseFlagOptions(&o.zap)))
	log := ctrl.Log.WithName("manager")
	if err := run(ctx, o); err != nil {
		log.Error(err, "Manager stopped")
		return 1
	}
	return 0
}

func run(ctx context.Context, o *options) error {
	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		return fmt.Errorf("register client-go types: %w", err)
	}
	if err := v1alpha1.AddToScheme(scheme); err != nil {
		return fmt.Errorf("register %s: %w", v1alpha1.GroupVersion, err)
	}
	cfg, err := ctrl.GetConfig()
	if err != nil {
		return fmt.Errorf("load kubeconfig: %w", err)
	}
	mgr, err := ctrl.NewManager(cfg, managerOptions(o, scheme))
	if err != nil {
		return fmt.Errorf("create manager: %w", err)
	}
	if err := (&controllers.ReplicationGroupReconciler{
		Client:        mgr.GetClient(),
		Scheme:        scheme,
		Recorder:      mgr.GetEventRecorder("replikube"),
		OperatorImage: o.redisImage,
		ClusterDomain: o.clusterDomain,
		PollInterval:  o.pollInterval,
		PodTimeout:    o.podTimeout,
	}).SetupWithManager(mgr); err != nil {
		return fmt.Errorf("set up the ReplicationGroup controller: %w", err)
	}
	if err := mgr.AddHealthzCheck("healthz", healthz.Ping); err != nil {
		return fmt.Errorf("add health check: %w", err)
	}
	// Ready once the informer caches have synced.
	if err := mgr.AddReadyzCheck("readyz", func(req *http.Request) error {
		if !mgr.GetCache().WaitForCacheSync(req.Context()) {
			return errors.New("informer caches not synced")
		}
		return nil
	}); err != nil {
		return fmt.Errorf("add readiness check: %w", err)
	}
	ctrl.Log.WithName("manager").Info("Starting manager", "watchNamespace", o.watchNamespace,
		"leaderElect", o.leaderElect, "redisImage", o.redisImage, "pollInterval", o.pollInterval.String())
	if err := mgr.Start(ctx); err != nil {
		return fmt.Errorf("run manager: %w", err)
	}
	return nil
}

// managerOptions turns the flags into controller-runtime's options.
func managerOptions(o *options, scheme *runtime.Scheme) ctrl.Options {
	opts := ctrl.Options{
		Scheme:                        scheme,
		Metrics:                       metricsserver.Options{BindAddress: o.metricsAddr},
		HealthProbeBindAddress:        o.probeAddr,
		LeaderElection:                o.leaderElect,
		LeaderElectionID:              leaderElectionID,
		LeaderElectionNamespace:       o.leaderElectionNamespace,
		LeaderElectionReleaseOnCancel: true,
	}
	if o.watchNamespace != "" {
		opts.Cache = cache.Options{DefaultNamespaces: map[string]cache.Config{o.watchNamespace: {}}}
	}
	return opts
}
