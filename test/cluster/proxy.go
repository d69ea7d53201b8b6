package cluster

import (
	"context"
	"fmt"
	"io"
	"net"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/klog/v2"
)

// proxies give every Service a loopback address with a listener per TCP
// port, forwarding each connection to one of the Service's ready endpoints,
// picked round robin at connect time (connections
// already open stay where they are, as with kube-proxy).
type proxies struct {
	cs       kubernetes.Interface
	ips      *ipPool
	listFile string
	log      logr.Logger
	informer informers.SharedInformerFactory
	svcs     corelisters.ServiceLister
	pods     corelisters.PodLister

	mu       sync.Mutex
	ctx      context.Context
	wg       *sync.WaitGroup
	services map[string]*serviceProxy // namespace/name
}

type serviceProxy struct {
	ip        string
	namespace string
	name      string
	ports     []*portProxy
}

type portProxy struct {
	svc      *serviceProxy
	port     corev1.ServicePort
	listener net.Listener
	next     atomic.Uint64
}

func newProxies(cs kubernetes.Interface, ips *ipPool, listFile string, log logr.Logger) *proxies {
	return &proxies{
		cs: cs, ips: ips, listFile: listFile, log: log,
		informer: informers.NewSharedInformerFactory(cs, 0),
		services: map[string]*serviceProxy{},
	}
}

func (p *proxies) start(ctx context.Context, wg *sync.WaitGroup) error {
	p.ctx, p.wg = ctx, wg
	p.pods = p.informer.Core().V1().Pods().Lister()
	p.svcs = p.informer.Core().V1().Services().Lister()
	svcInf := p.informer.Core().V1().Services().Informer()
	if _, err := svcInf.AddEventHandler(handlers(p.onService, p.onServiceGone)); err != nil {
		return fmt.Errorf("watch services: %w", err)
	}
	if err := startAndSync(ctx, p.informer); err != nil {
		return err
	}
	wg.Go(func() {
		<-ctx.Done()
		p.informer.Shutdown()
		p.mu.Lock()
		defer p.mu.Unlock()
		for key, sp := range p.services {
			sp.close()
			delete(p.services, key)
		}
	})
	return nil
}

func (p *proxies) onService(obj any) {
	svc, ok := obj.(*corev1.Service)
	if !ok || svc.Spec.Type == corev1.ServiceTypeExternalName {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ctx.Err() != nil {
		return
	}
	key := svc.Namespace + "/" + svc.Name
	sp := p.services[key]
	if sp != nil && samePorts(sp, svc.Spec.Ports) {
		return
	}
	ip := ""
	if sp != nil {
		ip = sp.ip
		sp.closeListeners()
	} else {
		var err error
		if ip, err = p.ips.get(); err != nil {
			p.log.Error(err, "No address for Service", "service", klog.KObj(svc))
			return
		}
		sp = &serviceProxy{ip: ip, namespace: svc.Namespace, name: svc.Name}
		p.services[key] = sp
	}
	sp.ports = nil
	for _, port := range svc.Spec.Ports {
		if port.Protocol != "" && port.Protocol != corev1.ProtocolTCP {
			continue
		}
		l, err := net.Listen("tcp", net.JoinHostPort(ip, strconv.Itoa(int(port.Port))))
		if err != nil {
			p.log.Error(err, "Cannot listen for Service", "service", klog.KObj(svc), "port", port.Port)
			continue
		}
		pp := &portProxy{svc: sp, port: port, listener: l}
		sp.ports = append(sp.ports, pp)
		p.wg.Go(func() { p.serve(pp) })
	}
	p.log.V(1).Info("Proxying Service", "service", klog.KObj(svc), "ip", ip)
	p.writeList()
}

func samePorts(sp *serviceProxy, ports []corev1.ServicePort) bool {
	var tcp []corev1.ServicePort
	for _, port := range ports {
		if port.Protocol == "" || port.Protocol == corev1.ProtocolTCP {
			tcp = append(tcp, port)
		}
	}
	if len(tcp) != len(sp.ports) {
		return false
	}
	for i, pp := range sp.ports {
		if pp.port.Name != tcp[i].Name || pp.port.Port != tcp[i].Port || pp.port.TargetPort != tcp[i].TargetPort {
			return false
		}
	}
	return true
}

func (p *proxies) onServiceGone(obj any) {
	if tomb, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = tomb.Obj
	}
	svc, ok := obj.(*corev1.Service)
	if !ok {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	key := svc.Namespace + "/" + svc.Name
	if sp := p.services[key]; sp != nil {
		sp.close()
		p.ips.put(sp.ip)
		delete(p.services, key)
		p.writeList()
	}
}

func (sp *serviceProxy) closeListeners() {
	for _, pp := range sp.ports {
		pp.listener.Close()
	}
}

func (sp *serviceProxy) close() { sp.closeListeners() }

func (p *proxies) addr(ns, name string) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	sp := p.services[ns+"/"+name]
	if sp == nil || len(sp.ports) == 0 {
		return ""
	}
	return sp.ports[0].listener.Addr().String()
}

// writeList keeps <run>/services current for people and scripts: one line
// "namespace/name port address" per proxied port.
func (p *proxies) writeList() {
	var lines []string
	for key, sp := range p.services {
		for _, pp := range sp.ports {
			lines = append(lines, fmt.Sprintf("%s %d %s", key, pp.port.Port, pp.listener.Addr()))
		}
	}
	sort.Strings(lines)
	data := strings.Join(lines, "\n") + "\n"
	if err := writeFileIfChanged(p.listFile, []byte(data)); err != nil {
		p.log.Error(err, "Cannot write the Service list")
	}
}

func (p *proxies) serve(pp *portProxy) {
	for {
		conn, err := pp.listener.Accept()
		if err != nil {
			return // closed
		}
		p.wg.Go(func() { p.forward(pp, conn) })
	}
}

// forward splices conn to an endpoint; with no ready endpoint it closes
// conn at once, as a Service without endpoints rejects connections.
func (p *proxies) forward(pp *portProxy, conn net.Conn) {
	defer conn.Close()
	targets := p.endpoints(pp)
	if len(targets) == 0 {
		return
	}
	start := int(pp.next.Add(1))
	var backend net.Conn
	for i := range targets {
		d := net.Dialer{Timeout: 2 * time.Second}
		c, err := d.DialContext(p.ctx, "tcp", targets[(start+i)%len(targets)])
		if err == nil {
			backend = c
			break
		}
	}
	if backend == nil {
		return
	}
	defer backend.Close()
	// Stop closes both ends: the copies then return.
	stop := context.AfterFunc(p.ctx, func() { conn.Close(); backend.Close() })
	defer stop()
	done := make(chan struct{}, 2)
	pipe := func(dst, src net.Conn) {
		_, _ = io.Copy(dst, src)
		if tc, ok := dst.(*net.TCPConn); ok {
			_ = tc.CloseWrite()
		}
		done <- struct{}{}
	}
	go pipe(backend, conn)
	go pipe(conn, backend)
	<-done
	<-done
}

// endpoints are the ready addresses (ip:port) for a Service port. They
// come from the pods the Service selects, by the EndpointSlice controller's
// rules (Ready, or any pod with an IP when the Service publishes not-ready
// addresses; never a terminating pod), not from EndpointSlices: the API
// refuses loopback addresses in EndpointSlices, so that controller cannot
// write the pods' 127.0.X.y addresses there.
func (p *proxies) endpoints(pp *portProxy) []string {
	svc, err := p.svcs.Services(pp.svc.namespace).Get(pp.svc.name)
	if err != nil || len(svc.Spec.Selector) == 0 {
		return nil
	}
	pods, err := p.pods.Pods(svc.Namespace).List(labels.SelectorFromSet(svc.Spec.Selector))
	if err != nil {
		return nil
	}
	var out []string
	for _, pod := range pods {
		if pod.Status.PodIP == "" || pod.DeletionTimestamp != nil {
			continue
		}
		if c := findCondition(&pod.Status, corev1.PodReady); !svc.Spec.PublishNotReadyAddresses && (c == nil || c.Status != corev1.ConditionTrue) {
			continue
		}
		if port := targetPort(pod, pp.port); port > 0 {
			out = append(out, net.JoinHostPort(pod.Status.PodIP, strconv.Itoa(port)))
		}
	}
	sort.Strings(out)
	return out
}

// targetPort resolves a Service port's targetPort on a pod: a number, or the
// name of a container port.
func targetPort(pod *corev1.Pod, sp corev1.ServicePort) int {
	switch {
	case sp.TargetPort.Type == intstr.String && sp.TargetPort.StrVal != "":
		for _, c := range pod.Spec.Containers {
			for _, cp := range c.Ports {
				if cp.Name == sp.TargetPort.StrVal {
					return int(cp.ContainerPort)
				}
			}
		}
		return 0
	case sp.TargetPort.IntValue() > 0:
		return sp.TargetPort.IntValue()
	}
	return int(sp.Port)
}
