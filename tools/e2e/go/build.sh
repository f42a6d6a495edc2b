#!/usr/bin/env bash
# Builds the e2e's binaries from the Go module proxy, one wrapper module at a time, and caches them under
# the user cache directory keyed by the wrapper's go.mod, go.sum and sources: a second run only links.
#   tools/e2e/go/build.sh [MODULE...]     (default: pulumi kubernetes random tls command etcd kube kwok)
# Prints nothing but progress on stderr; the bin directory (to put on PATH) on stdout.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cache=${HYBRIDML_E2E_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/hybridml-e2e}
bin="$cache/bin"
mkdir -p "$bin"
export GOFLAGS=-mod=readonly GOTOOLCHAIN=local

# module -> "package=binary ..." and its ldflags
pkgs() {
    case $1 in
    pulumi) echo "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi=pulumi" ;;
    kubernetes) echo ".=pulumi-resource-kubernetes" ;;
    etcd) echo ".=etcd" ;;
    kube) echo "k8s.io/kubernetes/cmd/kube-apiserver=kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager=kube-controller-manager k8s.io/kubernetes/cmd/kube-scheduler=kube-scheduler" ;;
    kwok) echo "sigs.k8s.io/kwok/cmd/kwok=kwok" ;;
    *) [ -f "$here/$1/build.env" ] && sed -n 's/^PKGS=//p' "$here/$1/build.env" ;;
    esac
}
modver() { (cd "$here/$1" && go list -m -f '{{.Version}}' "$2"); }
ldflags() {
    case $1 in
    pulumi) echo "-w -s -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$(modver pulumi github.com/pulumi/pulumi/pkg/v3)" ;;
    kubernetes) echo "-w -s -X github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version.Version=$KUBERNETES_PROVIDER_VERSION" ;;
    kube)
        local v; v=$(modver kube k8s.io/kubernetes); local minor=${v#v*.}; minor=${minor%%.*}
        local p=k8s.io/component-base/version
        # Helm and the provider read the server's version: an unset gitVersion reports v0.0.0.
        echo "-w -s -X $p.gitVersion=$v -X $p.gitMajor=1 -X $p.gitMinor=$minor -X $p.gitTreeState=clean -X $p.buildDate=1970-01-01T00:00:00Z" ;;
    *) echo "-w -s" ;;
    esac
}
tags() { case $1 in pulumi) echo "osusergo,grpcnotrace" ;; *) echo "" ;; esac; }

# The Kubernetes provider's release build embeds generated copies of two files from its own module.
KUBERNETES_PROVIDER_VERSION=4.25.0 # the release whose commit the proxy serves (see kubernetes/go.mod)
prepare() {
    [ "$1" = kubernetes ] || return 0
    local dir; dir=$(cd "$here/kubernetes" && go list -m -f '{{.Dir}}' github.com/pulumi/pulumi-kubernetes/provider/v4)
    [ -n "$dir" ] && [ -d "$dir" ] || (cd "$here/kubernetes" && go mod download github.com/pulumi/pulumi-kubernetes/provider/v4)
    dir=$(cd "$here/kubernetes" && go list -m -f '{{.Dir}}' github.com/pulumi/pulumi-kubernetes/provider/v4)
    node -e '
        const fs = require("fs"), [dir, out, version] = process.argv.slice(1);
        const schema = JSON.parse(fs.readFileSync(dir + "/cmd/pulumi-resource-kubernetes/schema.json", "utf8"));
        schema.version = version;
        fs.writeFileSync(out + "/schema-embed.json", JSON.stringify(schema));
        const mapping = JSON.parse(fs.readFileSync(dir + "/cmd/pulumi-resource-kubernetes/terraform-mapping.json", "utf8"));
        fs.writeFileSync(out + "/terraform-mapping-embed.json", JSON.stringify(mapping));
    ' "$dir" "$here/kubernetes" "$KUBERNETES_PROVIDER_VERSION"
}

# kwok reads its stages (what a fake node and pod go through) from config: the module's own default
# "fast" stages, copied next to the binary (data of the pinned module, never committed).
finish() {
    [ "$1" = kwok ] || return 0
    local dir; dir=$(cd "$here/kwok" && go list -m -f '{{.Dir}}' sigs.k8s.io/kwok)
    for f in node/fast/node-initialize.yaml node/heartbeat/node-heartbeat.yaml pod/fast/pod-ready.yaml pod/fast/pod-complete.yaml pod/fast/pod-delete.yaml; do
        cat "$dir/kustomize/stage/$f"; echo "---"
    done > "$2/kwok-stages.yaml"
}

key() { # hash of what decides the build
    (cd "$here/$1" && cat go.mod go.sum $(ls ./*.go 2>/dev/null) build.env 2>/dev/null; echo "$(go version)"; ldflags "$1") | sha256sum | cut -c1-16
}

# The bridged providers (random, tls) and command have their own script: they need generated files.
providers=()
modules=()
for m in "${@:-pulumi kubernetes random tls command etcd kube kwok}"; do
    for n in $m; do case $n in random|tls|command) providers+=("$n") ;; *) modules+=("$n") ;; esac; done
done
for m in "${modules[@]}"; do
    out="$cache/$m-$(key "$m")"
    if [ ! -f "$out/.done" ]; then
        echo "e2e build: $m (cold: this takes minutes)" >&2
        start=$(date +%s)
        prepare "$m"
        mkdir -p "$out.tmp"
        for spec in $(pkgs "$m"); do
            (cd "$here/$m" && nice -n 5 go build -trimpath -tags "$(tags "$m")" -ldflags "$(ldflags "$m")" \
                -o "$out.tmp/${spec#*=}" "${spec%%=*}")
        done
        finish "$m" "$out.tmp"
        rm -rf "$out" && mv "$out.tmp" "$out" && touch "$out/.done"
        echo "e2e build: $m done in $(( $(date +%s) - start )) s" >&2
    fi
    for f in "$out"/*; do ln -sfn "$f" "$bin/$(basename "$f")"; done
done
if [ ${#providers[@]} -gt 0 ]; then HYBRIDML_E2E_BIN="$bin" HYBRIDML_E2E_CACHE="$cache" "$here/build-providers.sh" "${providers[@]}" >&2; fi
echo "$bin"
