"""Regenerate the screenshots of doc/source/dashboard.rst.

Runs the dashboard test (tests/stack/test_dashboard.py: its own local
stack, Horizon and headless Chromium) with its screenshots going to a
temporary directory, then writes them into doc/source/images/dashboard
as small palette PNGs. Runs under .venv-horizon, whose Pillow (a Horizon
dependency) shrinks the images; the test itself runs in .venv::

    .venv-horizon/bin/python -m tools.dashboard_screens
"""

import os
import pathlib
import subprocess
import sys
import tempfile

from PIL import Image

REPO = pathlib.Path(__file__).resolve().parents[1]
TARGET = REPO / 'doc' / 'source' / 'images' / 'dashboard'
COLOURS = 64


def shrink(source, target):
    """The screenshot as an optimised PNG of few colours (UI flat areas)."""
    with Image.open(source) as image:
        image.convert('RGB').quantize(colors=COLOURS).save(
            target, optimize=True)


def main():
    with tempfile.TemporaryDirectory(prefix='dashboard-screens-') as tmp:
        env = dict(os.environ, MAGNUM_CAPI_DASHBOARD_SCREENS=tmp,
                   PYTHONPATH=str(REPO))
        result = subprocess.run(
            [str(REPO / '.venv' / 'bin' / 'python'), '-m', 'pytest', '-q',
             '-p', 'no:cacheprovider', 'tests/stack/test_dashboard.py'],
            cwd=str(REPO), env=env, stdin=subprocess.DEVNULL)
        if result.returncode:
            return result.returncode
        TARGET.mkdir(parents=True, exist_ok=True)
        for old in TARGET.glob('*.png'):
            old.unlink()
        for shot in sorted(pathlib.Path(tmp).glob('*.png')):
            shrink(shot, TARGET / shot.name)
            print('%s %d bytes' % (TARGET / shot.name,
                                   (TARGET / shot.name).stat().st_size))
    return 0


if __name__ == '__main__':
    sys.exit(main())
