"""The status poll benchmark still runs, in smoke and soak modes (ours only).

The benchmark reports numbers and asserts none; this proves it starts the
stand-in and a Magnum conductor, that Magnum's jobs select the clusters it
sets up, that the driver's traffic reaches the stand-in's counts and that
a soak reports the conductor's RSS and descriptors.
"""

import json
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]


def test_status_poll_benchmark_smoke_mode(tmp_path):
    summary_file = tmp_path / 'summary.json'
    result = subprocess.run(
        [sys.executable, '-m', 'benchmarks.status_poll', '--clusters', '2',
         '--workers', '1', '--ticks', '1', '--summary', str(summary_file)],
        cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    data = json.loads(summary_file.read_text())
    for job in ('status', 'health'):
        polled = data['summary']['ours/%s' % job]
        assert polled['clusters'][0] == 2, (job, polled)
        assert polled['errors'][2] == 0, (job, result.stderr[-3000:])
    assert data['totals']['ours']['requests'] > 0
    assert data['totals']['ours']['bytes'] > 0
    assert 'status tick' in result.stdout


def test_status_poll_benchmark_soak_mode(tmp_path):
    summary_file = tmp_path / 'summary.json'
    result = subprocess.run(
        [sys.executable, '-m', 'benchmarks.status_poll', '--clusters', '2',
         '--workers', '1', '--soak', '3', '--soak-warmup', '1',
         '--summary', str(summary_file)],
        cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    soaked = json.loads(summary_file.read_text())['soak']
    assert (soaked['ticks'], soaked['errors']) == (3, 0), \
        result.stderr[-3000:]
    for key in ('rss_mib', 'fds', 'blocks'):
        found = soaked[key]
        assert 0 < found['min'] <= found['end'] <= found['max'], soaked
        assert found['start'] > 0, soaked
        assert found['min'] <= found['last_tenth'] <= found['max'], soaked
    assert sorted(soaked['wall']) == ['health', 'status']
    assert 'open fds' in result.stdout and 'Python blocks' in result.stdout
