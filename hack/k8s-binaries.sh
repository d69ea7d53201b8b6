#!/usr/bin/env bash
# Builds the Kubernetes control-plane binaries that envtest and the local
# cluster harness need (kube-apiserver, kube-controller-manager, etcd) from the
# Go module proxy, since no prebuilt binary can be downloaded here.
#
# Each binary is built with `go build` in a throwaway module under a temp dir:
#   - k8s.io/kubernetes at KUBE_VERSION, every k8s.io/* staging module that its
#     go.mod requires as v0.0.0 replaced by its STAGING_VERSION release;
#   - go.etcd.io/etcd/server/v3 at ETCD_VERSION, its sibling modules (api,
#     client, pkg) replaced by the same version.
# The binaries land in ${REPLIKUBE_CACHE:-$HOME/.cache/replikube}/k8s/KUBE_VERSION
# and are only rebuilt when missing. Progress goes to stderr; the directory (the
# KUBEBUILDER_ASSETS value) is the only thing printed on stdout:
#   export KUBEBUILDER_ASSETS="$(hack/k8s-binaries.sh)"
# With --check it builds nothing: it prints the directory and exits 1, naming
# what is missing, unless every binary is there (tests use this, so that they
# fail with a hint instead of starting a long build or downloading anything).
set -euo pipefail

check_only=false
case ${1:-} in
--check) check_only=true ;;
"") ;;
*) echo "usage: $0 [--check]" >&2; exit 2 ;;
esac

KUBE_VERSION=v1.37.2
STAGING_VERSION=v0.37.2
ETCD_VERSION=v3.6.16

GO=${GO:-go}
CACHE=${REPLIKUBE_CACHE:-$HOME/.cache/replikube}
DEST=$CACHE/k8s/$KUBE_VERSION

log() { printf 'k8s-binaries: %s\n' "$*" >&2; }

# The script builds for this machine with its own Go: a toolchain line or a
# GOFLAGS from the caller's environment must not change what gets built.
export GOTOOLCHAIN=${GOTOOLCHAIN:-local}
export GOFLAGS=-mod=mod
export CGO_ENABLED=0
export GOWORK=off

missing=()
for bin in kube-apiserver kube-controller-manager etcd; do
	[[ -x $DEST/$bin ]] || missing+=("$bin")
done
if ((${#missing[@]} == 0)); then
	echo "$DEST"
	exit 0
fi
if $check_only; then
	echo "$DEST"
	log "missing in $DEST: ${missing[*]}; build them with: make k8s-binaries"
	exit 1
fi

mkdir -p "$DEST"
work=$(mktemp -d "${TMPDIR:-/tmp}/replikube-k8s.XXXXXX")
trap 'rm -rf "$work"' EXIT

# new_module DIR: an empty main module that nothing in this repo influences.
new_module() {
	mkdir -p "$1"
	(cd "$1" && "$GO" mod init replikube.local/k8s-binaries >/dev/null 2>&1)
}

# install SRC_BIN NAME: move a freshly built binary into the cache atomically,
# so an interrupted build never leaves a half-written file that looks present.
install_bin() {
	mv -f "$1" "$DEST/.$2.tmp"
	mv -f "$DEST/.$2.tmp" "$DEST/$2"
}

build_kubernetes() {
	local mod=$work/kubernetes start gomod staging
	start=$SECONDS
	new_module "$mod"
	cd "$mod"
	log "downloading k8s.io/kubernetes@$KUBE_VERSION (first run: large download)"
	gomod=$("$GO" mod download -json "k8s.io/kubernetes@$KUBE_VERSION" |
		sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p')
	[[ -f $gomod ]] || { log "cannot find the go.mod of k8s.io/kubernetes@$KUBE_VERSION"; exit 1; }
	# The staging modules are the k8s.io/* entries of the require blocks pinned
	# at v0.0.0 (kubernetes resolves them to ./staging with its own replaces,
	# which do not apply to a module that depends on it).
	staging=$(awk '
		/^require \(/ { inreq = 1; next }
		inreq && /^\)/ { inreq = 0; next }
		inreq && $1 ~ /^k8s\.io\// && $2 == "v0.0.0" { print $1 }
	' "$gomod" | sort -u)
	[[ -n $staging ]] || { log "no staging modules found in $gomod"; exit 1; }
	log "replacing $(wc -w <<<"$staging") staging modules by their $STAGING_VERSION releases"
	local args=(-require "k8s.io/kubernetes@$KUBE_VERSION")
	for m in $staging; do
		args+=(-replace "$m=$m@$STAGING_VERSION")
	done
	"$GO" mod edit "${args[@]}"

	# Version stamps as kubernetes' hack/lib/version.sh writes them, so the
	# API server reports v1.37.x instead of v0.0.0-master.
	local minor=${KUBE_VERSION#v1.}
	minor=${minor%%.*}
	local ldflags="-s -w"
	for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
		ldflags+=" -X $pkg.gitVersion=$KUBE_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
		ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
	done

	for bin in kube-apiserver kube-controller-manager; do
		[[ -x $DEST/$bin ]] && continue
		log "building $bin $KUBE_VERSION (several minutes on 2 cores)"
		"$GO" build -trimpath -ldflags "$ldflags" -o "$mod/$bin" "k8s.io/kubernetes/cmd/$bin"
		install_bin "$mod/$bin" "$bin"
		log "built $bin ($((SECONDS - start))s so far)"
	done
}

build_etcd() {
	local mod=$work/etcd start=$SECONDS
	new_module "$mod"
	cd "$mod"
	local args=(-require "go.etcd.io/etcd/server/v3@$ETCD_VERSION")
	for m in go.etcd.io/etcd/api/v3 go.etcd.io/etcd/client/pkg/v3 \
		go.etcd.io/etcd/client/v3 go.etcd.io/etcd/pkg/v3; do
		args+=(-replace "$m=$m@$ETCD_VERSION")
	done
	"$GO" mod edit "${args[@]}"
	log "building etcd $ETCD_VERSION"
	"$GO" build -trimpath -ldflags "-s -w -X go.etcd.io/etcd/api/v3/version.GitSHA=$ETCD_VERSION" \
		-o "$mod/etcd" go.etcd.io/etcd/server/v3
	install_bin "$mod/etcd" etcd
	log "built etcd ($((SECONDS - start))s)"
}

total=$SECONDS
log "building ${missing[*]} into $DEST"
if [[ ! -x $DEST/kube-apiserver || ! -x $DEST/kube-controller-manager ]]; then
	build_kubernetes
fi
if [[ ! -x $DEST/etcd ]]; then
	build_etcd
fi
log "done in $((SECONDS - total))s"
echo "$DEST"
