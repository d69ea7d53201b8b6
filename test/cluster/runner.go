package cluster

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/klog/v2"
)

// runner plays kubelet (and scheduler) for one Node.
type runner struct {
	cs       kubernetes.Interface
	runDir   string
	ips      *ipPool
	opts     *Options
	log      logr.Logger
	pods     corelisters.PodLister
	cms      corelisters.ConfigMapLister
	secrets  corelisters.SecretLister
	informer informers.SharedInformerFactory

	mu      sync.Mutex
	ctx     context.Context
	wg      *sync.WaitGroup
	workers map[types.UID]*podWorker
	errs    []error
}

func newRunner(cs kubernetes.Interface, runDir string, ips *ipPool, opts *Options) *runner {
	return &runner{
		cs: cs, runDir: runDir, ips: ips, opts: opts,
		log:      opts.Log.WithName("pods"),
		informer: informers.NewSharedInformerFactory(cs, 0),
		workers:  map[types.UID]*podWorker{},
	}
}

func (r *runner) start(ctx context.Context, wg *sync.WaitGroup) error {
	r.ctx, r.wg = ctx, wg
	podInf := r.informer.Core().V1().Pods()
	r.pods = podInf.Lister()
	r.cms = r.informer.Core().V1().ConfigMaps().Lister()
	r.secrets = r.informer.Core().V1().Secrets().Lister()
	if _, err := podInf.Informer().AddEventHandler(handlers(r.onPod, r.onPodGone)); err != nil {
		return fmt.Errorf("watch pods: %w", err)
	}
	if err := startAndSync(ctx, r.informer); err != nil {
		return err
	}
	// Informers stop with ctx; Stop waits for the pod workers.
	wg.Go(func() {
		<-ctx.Done()
		r.informer.Shutdown()
	})
	return nil
}

// ConfigMap and Secret read the informer caches: volumes are refreshed
// from them while a pod runs.
func (r *runner) ConfigMap(ns, name string) (*corev1.ConfigMap, error) {
	return r.cms.ConfigMaps(ns).Get(name)
}

func (r *runner) Secret(ns, name string) (*corev1.Secret, error) {
	return r.secrets.Secrets(ns).Get(name)
}

func (r *runner) onPod(obj any) {
	pod, ok := obj.(*corev1.Pod)
	if !ok {
		return
	}
	switch {
	case pod.Spec.NodeName == "" && pod.DeletionTimestamp == nil:
		go r.bind(pod)
	case pod.Spec.NodeName == r.opts.NodeName:
		r.dispatch(pod)
	}
}

func (r *runner) onPodGone(obj any) {
	if tomb, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = tomb.Obj
	}
	pod, ok := obj.(*corev1.Pod)
	if !ok {
		return
	}
	r.mu.Lock()
	w := r.workers[pod.UID]
	r.mu.Unlock()
	if w != nil {
		w.gone()
	}
}

// bind is the scheduler: every pod fits the one Node.
func (r *runner) bind(pod *corev1.Pod) {
	if pod.Spec.SchedulerName != "" && pod.Spec.SchedulerName != corev1.DefaultSchedulerName {
		return
	}
	ctx, cancel := context.WithTimeout(r.ctx, 10*time.Second)
	defer cancel()
	err := r.cs.CoreV1().Pods(pod.Namespace).Bind(ctx, &corev1.Binding{
		ObjectMeta: metav1.ObjectMeta{Name: pod.Name, Namespace: pod.Namespace, UID: pod.UID},
		Target:     corev1.ObjectReference{Kind: "Node", Name: r.opts.NodeName},
	}, metav1.CreateOptions{})
	// A conflict means someone bound it first, NotFound that it is gone.
	if err != nil && !apierrors.IsConflict(err) && !apierrors.IsNotFound(err) && r.ctx.Err() == nil {
		r.log.Error(err, "Bind failed", "pod", klog.KObj(pod))
	}
}

// dispatch hands the pod to its worker, starting one for a new pod.
func (r *runner) dispatch(pod *corev1.Pod) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ctx.Err() != nil {
		return
	}
	if w, ok := r.workers[pod.UID]; ok {
		w.update(pod)
		return
	}
	if pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed {
		return
	}
	w := newPodWorker(r, pod)
	r.workers[pod.UID] = w
	r.wg.Go(func() {
		err := w.run(r.ctx)
		r.mu.Lock()
		defer r.mu.Unlock()
		delete(r.workers, pod.UID)
		if err != nil && !errors.Is(err, context.Canceled) {
			r.errs = append(r.errs, err)
		}
	})
}

// podDir is the directory of the current instance of namespace/name.
func (r *runner) podDir(ns, name string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, w := range r.workers {
		if w.namespace == ns && w.name == name {
			return w.dir
		}
	}
	return ""
}

// err reports what went wrong in workers that have ended.
func (r *runner) err() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return errors.Join(r.errs...)
}

func pvcDir(runDir, ns, claim string) string {
	return filepath.Join(runDir, "pvc", ns, claim)
}

// handlers calls onChange for adds and updates, onGone for deletions.
func handlers(onChange, onGone func(obj any)) cache.ResourceEventHandlerFuncs {
	return cache.ResourceEventHandlerFuncs{
		AddFunc:    onChange,
		UpdateFunc: func(_, obj any) { onChange(obj) },
		DeleteFunc: onGone,
	}
}

// startAndSync starts f's informers and waits, bounded, for their caches.
func startAndSync(ctx context.Context, f informers.SharedInformerFactory) error {
	f.Start(ctx.Done())
	syncCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for typ, ok := range f.WaitForCacheSync(syncCtx.Done()) {
		if !ok {
			return fmt.Errorf("sync informer of %v: %w", typ, syncCtx.Err())
		}
	}
	return nil
}
