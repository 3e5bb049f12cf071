#!/usr/bin/env bash
# Prepare a fresh machine for development and tests: a virtualenv in .venv with
# the driver (editable) and its test dependencies, the real helm 3, helm 4
# and kubectl binaries in .tools/bin, Rally (rally-openstack, whose pins
# differ from Magnum's) in a virtualenv of its own, .venv-rally, Horizon with
# magnum-ui (pins of their own too) in .venv-horizon, and Debian's Chromium
# and chromedriver for the dashboard test. Safe to run again.
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
[ -x .venv-horizon/bin/python ] || "$PYTHON" -m venv .venv-horizon
.venv-horizon/bin/python -m pip install --quiet --upgrade pip
.venv-horizon/bin/python -m pip install --quiet -r tools/horizon-requirements.txt
# magnum-ui's panels are enabled the documented way: its enabled files are
# copied into Horizon's openstack_dashboard/local/enabled.
.venv-horizon/bin/python - <<'PY'
import os, shutil, magnum_ui.enabled as ui, openstack_dashboard.local.enabled as local
for name in sorted(os.listdir(os.path.dirname(ui.__file__))):
    if name.startswith('_') and name[1].isdigit() and name.endswith('.py'):
        shutil.copy(os.path.join(os.path.dirname(ui.__file__), name),
                    os.path.dirname(local.__file__))
PY
if ! { [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; }; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver
fi
