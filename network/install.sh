#!/usr/bin/env bash
# Installs what the local network needs, skipping what is already there:
#   - Debian packages (SoftHSM2, OpenSC's pkcs11-tool, jq, curl, iproute2's ss; shellcheck for linting),
#   - Fabric and fabric-ca binaries built with `go install -tags pkcs11` into network/bin/.
# The binaries are rebuilt only when the pinned versions below change (see network/bin/VERSIONS).
set -euo pipefail

usage() {
  cat <<'USAGE'
Usage: network/install.sh [--force] [--help]

Installs the local network's prerequisites, idempotently:
  apt packages   softhsm2 opensc jq curl iproute2 shellcheck postgresql-15 fonts-ocr-b chromium  (skipped when already installed)
  Fabric v3.1.1  peer orderer configtxgen configtxlator osnadmin   (go install -tags pkcs11)
  fabric-ca 1.5.22 fabric-ca-server fabric-ca-client   (go install -tags pkcs11)

Binaries go to network/bin/ (git-ignored); the build is skipped when
network/bin/VERSIONS matches the pins in this script.

  --force   rebuild the binaries even if the pins match
USAGE
}

force=false
for arg in "$@"; do
  case "$arg" in
    --force) force=true ;;
    -h|--help) usage; exit 0 ;;
    *) echo "install.sh: unknown argument '$arg' (try --help)" >&2; exit 2 ;;
  esac
done

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
bin_dir="$here/bin"

# Fabric v3 has no /v3 module path, so `@v3.x.y` is refused: pin the pseudo-version of the tag's commit.
# This is tag v3.1.1 (commit 435a7f1a780a). The Go module proxy reachable here answers 403 "This module
# version is not available" for v3.1.2 .. v3.1.5 (v3.1.5 = v1.4.0-rc1.0.20260618074816-86c1172bec37);
# see docs/decisions.md. v3.1.1 ignores CORE_PEER_BCCSP_* env vars, so BCCSP goes in per-node config files.
FABRIC_VERSION=v1.4.0-rc1.0.20250510200036-435a7f1a780a
FABRIC_TAG=v3.1.1
FABRIC_CA_VERSION=v1.5.22
pins="fabric=$FABRIC_TAG($FABRIC_VERSION) fabric-ca=$FABRIC_CA_VERSION tags=pkcs11 tools=configtxlator"

step() { printf '==> %s\n' "$*"; }

install_apt_packages() {
  local wanted=(softhsm2 opensc jq curl iproute2 shellcheck postgresql-15 fonts-ocr-b chromium) missing=() pkg
  for pkg in "${wanted[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done
  if ((${#missing[@]} == 0)); then
    step "apt packages present (${wanted[*]})"
    return
  fi
  step "installing apt packages: ${missing[*]}"
  local sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo)
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
}

# `go install pkg@version` also asks the proxy for the module's version list (deprecation check), which the
# proxy here refuses (403). A generated wrapper module that requires the pinned version builds the same
# packages, with the dependency versions of that module's own go.mod, and never asks for the list.
go_install_pinned() { # <wrapper-name> <module> <version> <package>...
  local name=$1 module=$2 version=$3
  shift 3
  local dir="$bin_dir/build/$name" pkg
  mkdir -p "$dir"
  printf 'module kyc-ledger/build/%s\n\ngo 1.24\n\nrequire %s %s\n' "$name" "$module" "$version" >"$dir/go.mod"
  {
    printf '//go:build tools\n\npackage tools\n\nimport (\n'
    for pkg in "$@"; do printf '\t_ "%s"\n' "$pkg"; done
    printf ')\n'
  } >"$dir/tools.go"
  (cd "$dir" && GOFLAGS=-mod=mod go mod tidy && go install -tags pkcs11 "$@")
}

build_fabric_binaries() {
  if ! $force && [ -f "$bin_dir/VERSIONS" ] && [ "$(cat "$bin_dir/VERSIONS")" = "$pins" ]; then
    step "Fabric binaries up to date in network/bin ($pins)"
    return
  fi
  command -v go >/dev/null || { echo "install.sh: Go is required to build Fabric (not found on PATH)" >&2; exit 1; }
  mkdir -p "$bin_dir"
  rm -f "$bin_dir/VERSIONS"
  local log="$bin_dir/build.log" start=$SECONDS
  export GOBIN="$bin_dir" GOTOOLCHAIN=local CGO_ENABLED=1
  step "building Fabric $FABRIC_TAG (peer, orderer, configtxgen, configtxlator, osnadmin) with -tags pkcs11 (a few minutes cold); log: network/bin/build.log"
  if ! go_install_pinned fabric github.com/hyperledger/fabric "$FABRIC_VERSION" \
      github.com/hyperledger/fabric/cmd/peer github.com/hyperledger/fabric/cmd/orderer \
      github.com/hyperledger/fabric/cmd/configtxgen github.com/hyperledger/fabric/cmd/configtxlator \
      github.com/hyperledger/fabric/cmd/osnadmin >"$log" 2>&1; then
    echo "install.sh: building Fabric failed; last lines of network/bin/build.log:" >&2
    tail -n 30 "$log" >&2
    exit 1
  fi
  step "building fabric-ca $FABRIC_CA_VERSION (fabric-ca-server, fabric-ca-client) with -tags pkcs11"
  if ! go_install_pinned fabric-ca github.com/hyperledger/fabric-ca "$FABRIC_CA_VERSION" \
      github.com/hyperledger/fabric-ca/cmd/fabric-ca-server github.com/hyperledger/fabric-ca/cmd/fabric-ca-client >>"$log" 2>&1; then
    echo "install.sh: building fabric-ca failed; last lines of network/bin/build.log:" >&2
    tail -n 30 "$log" >&2
    exit 1
  fi
  printf '%s' "$pins" >"$bin_dir/VERSIONS"
  step "Fabric binaries built in $((SECONDS - start)) s"
}

# Fabric's sample core.yaml / orderer.yaml are the base every node's env overrides apply to.
copy_sample_config() {
  local src dst="$bin_dir/sampleconfig"
  src="$(go env GOMODCACHE)/github.com/hyperledger/fabric@$FABRIC_VERSION/sampleconfig"
  if [ -f "$dst/core.yaml" ] && [ -f "$dst/orderer.yaml" ]; then return; fi
  [ -d "$src" ] || GOFLAGS=-mod=mod go mod download "github.com/hyperledger/fabric@$FABRIC_VERSION"
  mkdir -p "$dst"
  cp "$src/core.yaml" "$src/orderer.yaml" "$src/configtx.yaml" "$dst/"
  chmod u+w "$dst"/*.yaml
  step "copied Fabric sample configuration to network/bin/sampleconfig"
}

install_apt_packages
build_fabric_binaries
copy_sample_config
