package cluster

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os/exec"
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// probeResult is a probe's verdict after its thresholds: sent when a
// readiness probe flips, and each time a liveness probe reaches its failure
// threshold.
type probeResult struct {
	liveness bool
	ok       bool
	err      error
}

// startProbes runs the container's readiness and liveness probes until the
// process ends.
func (p *process) startProbes(c *corev1.Container, ip string, env []string) {
	if c.ReadinessProbe != nil {
		go p.probeLoop(c.ReadinessProbe, false, c, ip, env)
	}
	if c.LivenessProbe != nil {
		go p.probeLoop(c.LivenessProbe, true, c, ip, env)
	}
}

func (p *process) probeLoop(pr *corev1.Probe, liveness bool, c *corev1.Container, ip string, env []string) {
	period := time.Duration(max(pr.PeriodSeconds, 1)) * time.Second
	timeout := time.Duration(max(pr.TimeoutSeconds, 1)) * time.Second
	success, failure := max(pr.SuccessThreshold, 1), max(pr.FailureThreshold, 1)
	select {
	case <-time.After(time.Duration(pr.InitialDelaySeconds) * time.Second):
	case <-p.ctx.Done():
		return
	}
	// Readiness starts as not ready; liveness as alive.
	state := liveness
	var okRun, failRun int32
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		ctx, cancel := context.WithTimeout(p.ctx, timeout)
		err := runProbe(ctx, pr, c, ip, env, p.mounts)
		cancel()
		if p.ctx.Err() != nil {
			return
		}
		if err == nil {
			okRun, failRun = okRun+1, 0
		} else {
			okRun, failRun = 0, failRun+1
		}
		var res *probeResult
		switch {
		case okRun >= success && !state:
			state = true
			res = &probeResult{liveness: liveness, ok: true}
		case failRun >= failure && (state || liveness):
			state = false
			res = &probeResult{liveness: liveness, ok: false, err: err}
			failRun = 0
		}
		if res != nil {
			select {
			case p.results <- *res:
			case <-p.ctx.Done():
				return
			}
		}
		select {
		case <-t.C:
		case <-p.ctx.Done():
			return
		}
	}
}

func runProbe(ctx context.Context, pr *corev1.Probe, c *corev1.Container, ip string, env []string, ms []mount) error {
	switch h := pr.ProbeHandler; {
	case h.TCPSocket != nil:
		port, err := probePort(h.TCPSocket.Port, c)
		if err != nil {
			return err
		}
		var d net.Dialer
		conn, err := d.DialContext(ctx, "tcp", net.JoinHostPort(ip, strconv.Itoa(port)))
		if err != nil {
			return err
		}
		return conn.Close()
	case h.HTTPGet != nil:
		port, err := probePort(h.HTTPGet.Port, c)
		if err != nil {
			return err
		}
		host := h.HTTPGet.Host
		if host == "" {
			host = ip
		}
		scheme := "http"
		if h.HTTPGet.Scheme == corev1.URISchemeHTTPS {
			scheme = "https"
		}
		u := scheme + "://" + net.JoinHostPort(host, strconv.Itoa(port)) + h.HTTPGet.Path
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			return err
		}
		for _, hd := range h.HTTPGet.HTTPHeaders {
			req.Header.Add(hd.Name, hd.Value)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode < 200 || resp.StatusCode >= 400 {
			return fmt.Errorf("http probe: status %d", resp.StatusCode)
		}
		return nil
	case h.Exec != nil && len(h.Exec.Command) > 0:
		argv := make([]string, len(h.Exec.Command))
		for i, a := range h.Exec.Command {
			argv[i] = rewritePaths(a, ms)
		}
		cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
		cmd.Env = env
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("exec probe: %w: %s", err, out)
		}
		return nil
	case h.GRPC != nil:
		// Without a gRPC health client, the port being open has to do.
		var d net.Dialer
		conn, err := d.DialContext(ctx, "tcp", net.JoinHostPort(ip, strconv.Itoa(int(h.GRPC.Port))))
		if err != nil {
			return err
		}
		return conn.Close()
	}
	return fmt.Errorf("probe has no handler")
}

// probePort resolves a numeric or named container port.
func probePort(p intstr.IntOrString, c *corev1.Container) (int, error) {
	if p.Type == intstr.Int {
		return p.IntValue(), nil
	}
	for _, cp := range c.Ports {
		if cp.Name == p.StrVal {
			return int(cp.ContainerPort), nil
		}
	}
	if n, err := strconv.Atoi(p.StrVal); err == nil {
		return n, nil
	}
	return 0, fmt.Errorf("probe port %s: no such container port", p.StrVal)
}
