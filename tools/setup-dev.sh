#!/usr/bin/env bash
# Prepare a fresh machine for development and tests: a virtualenv in .venv with
# the driver (editable) and its test dependencies, the real helm 3, helm 4
# and kubectl binaries in .tools/bin, and Rally (rally-openstack, whose pins
# differ from Magnum's) in a virtualenv of its own, .venv-rally. Safe to run
# again.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -r requirements.txt -r test-requirements.txt
.venv/bin/python -m pip install --quiet --no-deps -e .
PYTHON=.venv/bin/python tools/install-helm.sh .tools/bin
[ -x .venv-rally/bin/python ] || "$PYTHON" -m venv .venv-rally
[ -x .venv-rally/bin/rally ] || {
    .venv-rally/bin/python -m pip install --quiet --upgrade pip
    .venv-rally/bin/python -m pip install --quiet -r rally-jobs/requirements.txt
}
