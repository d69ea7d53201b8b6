package manager

import (
	"context"
	"errors"
	"flag"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/runtime"
)

func TestParseFlags(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		check   func(*options) bool
		wantErr string
	}{
		{"defaults", nil, func(o *options) bool {
			return o.metricsAddr == ":8080" && o.probeAddr == ":8081" && !o.leaderElect &&
				o.pollInterval == 2*time.Second && o.redisImage == DefaultImage && o.watchNamespace == ""
		}, ""},
		{"everything set", []string{"--leader-elect", "--leader-election-namespace=ops", "--watch-namespace=apps",
			"--redis-image=redis:7.0", "--poll-interval=1s", "--metrics-bind-address=0", "--zap-log-level=debug"},
			func(o *options) bool {
				return o.leaderElect && o.leaderElectionNamespace == "ops" && o.watchNamespace == "apps" &&
					o.redisImage == "redis:7.0" && o.pollInterval == time.Second && o.metricsAddr == "0" && o.zap.Level != nil
			}, ""},
		{"unknown flag", []string{"--nope"}, nil, "flag provided but not defined"},
		{"stray argument", []string{"extra"}, nil, "unexpected arguments"},
		{"zero poll interval", []string{"--poll-interval=0s"}, nil, "must be positive"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out strings.Builder
			o, err := parseFlags(tt.args, &out)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !tt.check(o) {
				t.Errorf("options %+v", o)
			}
		})
	}
}

func TestHelpListsEveryFlag(t *testing.T) {
	var out strings.Builder
	if _, err := parseFlags([]string{"-h"}, &out); !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("err = %v", err)
	}
	for _, f := range []string{"metrics-bind-address", "health-probe-bind-address", "leader-elect",
		"leader-election-namespace", "watch-namespace", "redis-image", "poll-interval", "zap-log-level", "Usage: replikube manager"} {
		if !strings.Contains(out.String(), f) {
			t.Errorf("usage lacks %s:\n%s", f, out.String())
		}
	}
	if code := Run(context.Background(), []string{"-h"}); code != 0 {
		t.Errorf("Run -h = %d", code)
	}
	if code := Run(context.Background(), []string{"--nope"}); code != 2 {
		t.Errorf("Run --nope = %d", code)
	}
}

func TestManagerOptions(t *testing.T) {
	o, err := parseFlags([]string{"--leader-elect", "--watch-namespace=apps"}, &strings.Builder{})
	if err != nil {
		t.Fatal(err)
	}
	opts := managerOptions(o, runtime.NewScheme())
	if !opts.LeaderElection || opts.LeaderElectionID != leaderElectionID || !opts.LeaderElectionReleaseOnCancel {
		t.Errorf("leader election options %+v", opts)
	}
	if _, ok := opts.Cache.DefaultNamespaces["apps"]; !ok || len(opts.Cache.DefaultNamespaces) != 1 {
		t.Errorf("cache namespaces %v", opts.Cache.DefaultNamespaces)
	}
	o.watchNamespace = ""
	if opts := managerOptions(o, runtime.NewScheme()); opts.Cache.DefaultNamespaces != nil {
		t.Errorf("all namespaces: %v", opts.Cache.DefaultNamespaces)
	}
}
