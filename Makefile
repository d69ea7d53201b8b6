# Replikube: the operator and the Redis-protocol data plane, one binary.
SHELL := /bin/bash
GO ?= go
BIN := bin/replikube
PKGS := ./...

.PHONY: all build test unit bench bench-persistence bench-replication fuzz verify fmt vet tidy clean demo

.DEFAULT_GOAL := build
include hack/operator.mk

all: build

build: ## Build bin/replikube.
	$(GO) build -o $(BIN) .

test: build k8s-binaries ## Run every test: unit, differential against redis-server, clients, operator envtest.
	$(GO) test -count=1 -timeout 25m $(PKGS)
	# Snapshots read keys without the lock while commands run: check that
	# with the race detector too.
	$(GO) test -count=1 -race -run 'TestSnapshot' ./internal/redis/rdb/

demo: build ## Local control plane with pods as local processes; Ctrl-C stops it. DEMO_EXIT=1 exits once it is up.
	hack/demo.sh

bench: build ## redis-benchmark against redis-server and replikube, ratios printed.
	hack/bench.sh

bench-persistence: build ## SAVE, load, file size, GET p99 during BGSAVE: replikube vs redis-server.
	go run ./hack/benchpersist -bin bin/replikube $(BENCH_ARGS)

bench-replication: build ## Full sync time, replication lag, master throughput with replicas: replikube vs redis-server.
	go run ./hack/benchrepl -bin bin/replikube $(BENCH_ARGS)

fuzz: ## Short runs of every fuzz target.
	hack/fuzz.sh

verify: verify-gen ## gofmt, go vet, go mod tidy and generated files are clean.
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo "gofmt needed"; exit 1; }
	$(GO) vet $(PKGS)
	@cp go.mod /tmp/replikube.go.mod.bak; cp go.sum /tmp/replikube.go.sum.bak 2>/dev/null || true; \
	$(GO) mod tidy; \
	if ! git diff --quiet -- go.mod go.sum; then echo "go mod tidy changed go.mod/go.sum"; git --no-pager diff -- go.mod go.sum; exit 1; fi

clean:
	rm -rf bin
