#!/usr/bin/env bash
# Builds the Pulumi provider plugins the e2e test puts on PATH (pulumi-resource-random, -tls, -command)
# from the wrapper modules next to this script, using only the Go module proxy.
#
#   tools/e2e/go/build-providers.sh [random|tls|command ...]     (default: all three)
#
# Output: $HYBRIDML_E2E_BIN (default ~/.cache/hybridml-e2e/bin)/pulumi-resource-<name>-<hash>, plus a
# symlink pulumi-resource-<name> to it; put that directory on PATH. <hash> covers the wrapper's go.mod,
# go.sum and Go sources (shim included), so a binary is rebuilt only when one of them changes.
# Idempotent: an existing binary for the current hash is reused. Work files go to
# ~/.cache/hybridml-e2e/build, never into the repository.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cache="${HYBRIDML_E2E_CACHE:-$HOME/.cache/hybridml-e2e}"
bin="${HYBRIDML_E2E_BIN:-$cache/bin}"
work="$cache/build"
export GOTOOLCHAIN=local GOFLAGS=-mod=readonly
mkdir -p "$bin" "$work"

# One build at a time, also across concurrent callers.
if command -v flock >/dev/null 2>&1; then
    exec 9>"$work/.lock"
    flock 9
fi

log() { printf 'build-providers: %s\n' "$*" >&2; }

src_hash() { # the wrapper's module files and sources, in a stable order
    (cd "$1" && find . -type f \( -name go.mod -o -name go.sum -o -name '*.go' \) -not -path './gen/*' |
        LC_ALL=C sort | xargs sha256sum) | sha256sum | cut -c1-12
}

# Start the plugin the way the engine does (engine address as the argument) and check that it
# prints its gRPC port on stdout.
smoke() {
    local exe="$1" out pid port=""
    out="$(mktemp)"
    "$exe" 127.0.0.1:1 >"$out" 2>"$out.err" &
    pid=$!
    for _ in $(seq 1 100); do
        port="$(head -n1 "$out" | tr -d '[:space:]')"
        [[ -n "$port" ]] && break
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.2
    done
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    if ! [[ "$port" =~ ^[0-9]+$ ]]; then
        log "$(basename "$exe") did not print a port: stdout='$(cat "$out")' stderr='$(head -c 2000 "$out.err")'"
        rm -f "$out" "$out.err"
        return 1
    fi
    rm -f "$out" "$out.err"
    log "$(basename "$exe") started and printed port $port"
}

build_one() {
    local name="$1" dir="$here/$1"
    [[ -f "$dir/go.mod" ]] || { log "no wrapper module $dir"; return 1; }
    local hash exe link b start
    hash="$(src_hash "$dir")"
    exe="$bin/pulumi-resource-$name-$hash"
    link="$bin/pulumi-resource-$name"
    if [[ -x "$exe" ]]; then
        ln -sfn "$(basename "$exe")" "$link"
        log "pulumi-resource-$name is up to date ($exe)"
        return 0
    fi
    start=$SECONDS
    b="$work/$name"
    rm -rf "$b"
    mkdir -p "$b"
    cp -R "$dir/." "$b/"
    if [[ -d "$b/cmd/tfgen" ]]; then
        # Bridged provider: generate the schema and bridge metadata that the plugin embeds.
        log "$name: building tfgen"
        (cd "$b" && nice -n 10 go build -o "$b/tfgen" ./cmd/tfgen)
        log "$name: generating schema"
        mkdir -p "$b/gen"
        (cd "$b" && PULUMI_SKIP_MISSING_MAPPING_ERROR=true nice -n 10 ./tfgen schema --out "$b/gen" \
            --skip-docs --skip-examples >"$b/tfgen.log" 2>&1) ||
            { log "$name: tfgen failed:"; tail -n 40 "$b/tfgen.log" >&2; return 1; }
        [[ -s "$b/gen/schema.json" && -s "$b/gen/bridge-metadata.json" ]] ||
            { log "$name: tfgen wrote no schema.json/bridge-metadata.json"; return 1; }
    fi
    log "$name: building the plugin"
    (cd "$b" && nice -n 10 go build -ldflags "-s -w" -o "$exe.tmp" .)
    smoke "$exe.tmp"
    mv -f "$exe.tmp" "$exe"
    ln -sfn "$(basename "$exe")" "$link"
    # Keep only the current binary of this provider.
    find "$bin" -maxdepth 1 -name "pulumi-resource-$name-*" ! -name "$(basename "$exe")" -delete
    rm -rf "$b"
    log "built $exe in $((SECONDS - start))s"
}

names=("$@")
[[ ${#names[@]} -gt 0 ]] || names=(random tls command)
for n in "${names[@]}"; do
    build_one "$n"
done
