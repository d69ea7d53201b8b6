# Operator targets (CRD and code generation, Kubernetes test binaries).
# Included by the Makefile; verify-gen is part of `make verify`.
# Variables are prefixed OP_ so that they cannot clash with the Makefile's.

OP_CONTROLLER_TOOLS_VERSION := v0.23.0
OP_CONTROLLER_GEN := $(GO) run sigs.k8s.io/controller-tools/cmd/controller-gen@$(OP_CONTROLLER_TOOLS_VERSION)
OP_API_PATHS := ./api/...
OP_RBAC_PATHS := ./controllers/...
OP_CRD_DIR := config/crd/bases
OP_RBAC_DIR := config/rbac
OP_CHART_CRD_DIR := charts/replikube/crds
# The chart's copy of the manager's RBAC rules (hack/chartrbac writes it).
OP_CHART_RULES := charts/replikube/templates/_manager_rules.tpl
# Everything that manifests and generate write; verify-gen compares these.
OP_GENERATED := $(OP_CRD_DIR) $(OP_RBAC_DIR)/role.yaml $(OP_CHART_CRD_DIR) $(OP_CHART_RULES) api/v1alpha1/zz_generated.deepcopy.go
OP_TEST_PKGS := ./api/... ./controllers/... ./internal/resources/... ./internal/manager/...

.PHONY: manifests generate verify-gen k8s-binaries test-operator

manifests: ## Write the CRD (config/crd/bases, chart copy) and RBAC role (chart copy too) from kubebuilder markers.
	$(OP_CONTROLLER_GEN) crd paths="$(OP_API_PATHS)" output:crd:artifacts:config=$(OP_CRD_DIR)
	$(OP_CONTROLLER_GEN) rbac:roleName=replikube-manager paths="$(OP_RBAC_PATHS)" output:rbac:artifacts:config=$(OP_RBAC_DIR)
	@mkdir -p $(OP_CHART_CRD_DIR)
	cp $(OP_CRD_DIR)/*.yaml $(OP_CHART_CRD_DIR)/
	$(GO) run ./hack/chartrbac -in $(OP_RBAC_DIR)/role.yaml -out $(OP_CHART_RULES)

generate: ## Write the deepcopy functions of the API types.
	$(OP_CONTROLLER_GEN) object paths="$(OP_API_PATHS)"

# Regenerates in place and fails when that changed anything, leaving the fresh
# files behind to review. Works without git and with uncommitted changes.
verify-gen: ## Fail when generated files (CRD, RBAC, deepcopy) are stale.
	@set -e; op_before=$$(mktemp -d); trap 'rm -rf "$$op_before"' EXIT; \
	for p in $(OP_GENERATED); do \
		if [ -e "$$p" ]; then mkdir -p "$$op_before/$$(dirname $$p)"; cp -R "$$p" "$$op_before/$$p"; fi; \
	done; \
	$(MAKE) --no-print-directory -s manifests generate >/dev/null; \
	stale=0; \
	for p in $(OP_GENERATED); do \
		if ! diff -r -u "$$op_before/$$p" "$$p"; then stale=1; fi; \
	done; \
	if [ $$stale = 1 ]; then echo "verify-gen: generated files were stale; regenerated them: run 'make manifests generate' and commit"; exit 1; fi; \
	echo "verify-gen: generated files are up to date"

k8s-binaries: ## Build kube-apiserver, kube-controller-manager and etcd into the cache (slow the first time).
	@hack/k8s-binaries.sh

test-operator: k8s-binaries ## Unit tests and envtest specs of the operator.
	KUBEBUILDER_ASSETS="$$(hack/k8s-binaries.sh)" $(GO) test -count=1 -timeout 20m $(OP_TEST_PKGS)
