"""Magnum's status and health ticks through our driver, side by side with
magnum-capi-helm.

N clusters in P projects, each with a control plane, a default worker
nodegroup and W extra worker nodegroups, are put in two places: Magnum's
database (one MariaDB database per driver, rows as a create leaves them:
CREATE_IN_PROGRESS with a release name) and the Kubernetes API stand-in,
which runs in a process of its own (``benchmarks.standin``) so serving
requests is not counted against a driver. The CAPI objects are rendered as
the chart renders them, each driver's with the names and labels that
driver derives, plus three Helm release revisions per cluster, and brought
to a steady "still creating" state by the CAPI simulator (one worker
nodegroup's servers never come up), which is then stopped.

Each driver runs in its own Magnum conductor process
(``benchmarks/tick_runner.py``; magnum-capi-helm under the Python of its own
virtualenv, with its own Magnum). Rounds alternate the drivers (and which
goes first); a round runs, per driver, a status tick (Magnum's
``ClusterUpdateJob`` over the clusters it selects, which are all in
progress) and a health tick (``ClusterHealthUpdateJob`` over all), each
once for real and once with the driver's poll as a no-op, which is
Magnum's own share. Per tick: the driver's requests and response bytes
counted by the stand-in (including any background traffic since its
previous tick), wall time, the CPU time the conductor used during the
tick (all its threads; less disturbed than wall time by other work on the
machine), the time it spent in garbage collection, the conductor's RSS and
open file descriptors, read from /proc. A report, not a test: nothing is
asserted.

    .venv/bin/python -m benchmarks.status_poll --clusters 2 --ticks 1
    .venv/bin/python -m benchmarks.status_poll --compare magnum-capi-helm \\
        --clusters 50 --projects 1 --workers 3 --ticks 5

``--compare magnum-capi-helm`` installs magnum-capi-helm 1.4.0 from the
package index into ``.bench-venv/`` on first use.

``--soak TICKS`` runs our driver alone for that many ticks (each runs
every job once for real) after ``--soak-warmup`` ticks, and reports the
conductor's RSS, open file descriptors and Python's allocated memory
blocks at the start and the end, their drift and the smallest and largest
value sampled after each tick, and the medians of the first and last
tenth of the samples (steadier than two single samples): a leak per poll
or per watch reconnection shows as a drift of all three; RSS that grows
while the blocks stay flat is the C allocator keeping freed memory.

    .venv/bin/python -m benchmarks.status_poll --clusters 10 --workers 3 \\
        --soak 1000
"""

import argparse
import base64
from concurrent import futures
import hashlib
import json
import os
import pathlib
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid

from magnum_capi_driver import names
from tests.kubeapi.capi import client as kube_client
from tests.kubeapi.capi import kinds
from tests.kubeapi.capi import samples
from tests.kubeapi.capi import simulator as simulator_mod

ROOT = pathlib.Path(__file__).resolve().parents[1]
RUNNER = ROOT / 'benchmarks' / 'tick_runner.py'
THEIRS_VERSION = '1.4.0'
SETUP_AGENT = 'bench-setup'
HELM_REVISIONS = 3
HELM_PAYLOAD = 23 * 1024  # gzip-like bytes: a 42 KB field, base64 twice
CLOCK_TICKS = os.sysconf('SC_CLK_TCK')


# -- the scenario: plain data, the same clusters for every driver -----------

def _hex(seed, *parts):
    return hashlib.sha256('/'.join((seed,) + parts).encode()).hexdigest()


def _uuid(seed, *parts):
    return str(uuid.UUID(_hex(seed, *parts)[:32]))


def sanitized(name):
    """magnum-capi-helm's name slug: lower case, runs of others to '-'."""
    return re.sub('[^a-z0-9]+', '-', name.lower()).strip('-')


class Ours:
    label = 'ours'
    entry_point = 'k8s_capi_driver'
    prefix = 'bench-ours'

    @staticmethod
    def release(name, cluster_uuid, seed):
        return names.release_name(name, cluster_uuid)

    @staticmethod
    def group(ng):
        return names.node_group_name(ng['name'], ng['uuid'])

    @classmethod
    def options(cls, kubeconfig):
        return ['capi_driver.kubeconfig_file=%s' % kubeconfig,
                'capi_driver.namespace_prefix=%s' % cls.prefix]


class Theirs:
    label = 'magnum-capi-helm'
    entry_point = 'k8s_capi_helm_v1'
    prefix = 'bench-mch'

    @staticmethod
    def release(name, cluster_uuid, seed):
        """<name slug, 30 at most>-<12 random characters>, as it names."""
        return '%s-%s' % (sanitized(name)[:30],
                          _hex(seed, 'release', cluster_uuid)[:12])

    @staticmethod
    def group(ng):
        return sanitized(ng['name'])

    @classmethod
    def options(cls, kubeconfig):
        return ['capi_helm.kubeconfig_file=%s' % kubeconfig,
                'capi_helm.namespace_prefix=%s' % cls.prefix]


def scenario(drv, clusters, projects, workers, seed='bench'):
    """Template fields and clusters (with nodegroups) for one driver."""
    items = []
    for i in range(clusters):
        project = _hex(seed, 'project', str(i % projects))[:32]
        cluster_uuid = _uuid(seed, drv.label, 'cluster', str(i))
        name = 'bench-%03d' % i
        groups = [('default-master', 'master', 1, True),
                  ('default-worker', 'worker', 2, True)]
        groups += [('extra-%d' % w, 'worker', 1, False)
                   for w in range(workers)]
        items.append({
            'uuid': cluster_uuid, 'name': name, 'project_id': project,
            'user_id': _hex(seed, 'user')[:32],
            'stack_id': drv.release(name, cluster_uuid, seed),
            'nodegroups': [
                {'uuid': _uuid(seed, cluster_uuid, ng_name),
                 'name': ng_name, 'role': role, 'node_count': count,
                 'is_default': default}
                for ng_name, role, count, default in groups]})
    template = {
        'name': 'bench-template', 'coe': 'kubernetes', 'server_type': 'vm',
        'cluster_distro': 'ubuntu', 'image_id': 'ubuntu-jammy-kube-v1.31.4',
        'flavor_id': 'm1.medium', 'master_flavor_id': 'm1.large',
        'keypair_id': 'default-key', 'external_network_id': 'public',
        'network_driver': 'calico', 'volume_driver': 'cinder',
        'master_lb_enabled': True, 'floating_ip_enabled': False,
        'tls_disabled': False, 'public': False, 'hidden': False,
        'labels': {'kube_tag': 'v1.31.4'}, 'driver': drv.entry_point}
    return {'template': template, 'clusters': items}


def namespace_of(drv, cluster):
    return '%s-%s' % (drv.prefix, cluster['project_id'])


def stuck_deployment(drv, cluster):
    """The MachineDeployment whose servers never come up (the last one)."""
    last = cluster['nodegroups'][-1]
    return '%s-%s' % (cluster['stack_id'], drv.group(last))


def manifests(drv, cluster):
    """(Kind, object) the chart and CAPI would leave for one cluster."""
    namespace = namespace_of(drv, cluster)
    release = cluster['stack_id']
    groups = [(drv.group(ng), ng['node_count'])
              for ng in cluster['nodegroups'] if ng['role'] != 'master']
    items = samples.whole_cluster(namespace, release, groups=groups)
    for _, obj in items:
        meta = obj['metadata']
        meta['labels'].update({
            'capi.stackhpc.com/cluster': release,
            'app.kubernetes.io/managed-by': 'Helm',
            kinds.CLUSTER_NAME_LABEL: release})
        meta.setdefault('annotations', {}).update({
            'meta.helm.sh/release-name': release,
            'meta.helm.sh/release-namespace': namespace})
    return items


def helm_secrets(drv, cluster):
    """The Helm release's stored revisions (a cluster upgraded twice)."""
    namespace = namespace_of(drv, cluster)
    return [helm_secret(namespace, cluster['stack_id'], revision,
                        revision == HELM_REVISIONS)
            for revision in range(1, HELM_REVISIONS + 1)]


def helm_secret(namespace, release, revision, latest):
    """A Helm release revision Secret, with a payload of a real one's size."""
    payload = base64.b64encode(os.urandom(HELM_PAYLOAD)).decode()
    return {
        'apiVersion': 'v1', 'kind': 'Secret', 'type': 'helm.sh/release.v1',
        'metadata': {
            'name': 'sh.helm.release.v1.%s.v%d' % (release, revision),
            'namespace': namespace,
            'labels': {'name': release, 'owner': 'helm',
                       'status': 'deployed' if latest else 'superseded',
                       'version': str(revision)}},
        'data': {'release': base64.b64encode(payload.encode()).decode()}}


# -- the stand-in and the objects on it --------------------------------------

class StandIn:
    """``benchmarks.standin`` in its own process."""

    def __init__(self, workdir):
        self.process = subprocess.Popen(
            [sys.executable, '-m', 'benchmarks.standin', '--kubeconfig',
             str(workdir / 'kubeconfig')],
            cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=open(workdir / 'standin.log', 'w'), text=True)
        info = json.loads(self.process.stdout.readline())
        self.url, self.kubeconfig = info['url'], info['kubeconfig']
        self._stats = info['stats']

    def stats(self):
        with urllib.request.urlopen(self._stats, timeout=30) as answer:
            return json.loads(answer.read())

    def stop(self):
        self.process.stdin.close()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def populate(url, plans, speed=20000.0, timeout=600, threads=4):
    """Put every driver's clusters on the stand-in, settled, then stop.

    The CAPI simulator settles one prototype cluster per driver (every
    Machine that can come up is Running); then the stuck MachineDeployment
    is given the phase CAPI reports while replicas are not all ready
    (ScalingUp), which the simulator does not model. Every other cluster is
    a copy of its driver's prototype, renamed (release, nodegroups,
    namespace) and written with its status, which is much faster than
    simulating hundreds of clusters. Helm release Secrets come last.
    """
    api = kube_client.Client(url, timeout=300, user_agent=SETUP_AGENT)
    namespaces = sorted({namespace_of(drv, cluster) for drv, plan in plans
                         for cluster in plan['clusters']})
    for namespace in namespaces:
        api.request('POST', '/api/v1/namespaces', {
            'apiVersion': 'v1', 'kind': 'Namespace',
            'metadata': {'name': namespace}})
    prototypes = [(drv, plan['clusters'][0]) for drv, plan in plans]
    settle(api, url, prototypes, speed, timeout)
    copies = []
    for drv, proto in prototypes:
        objects = prototype_objects(api, drv, proto)
        plan = next(p for d, p in plans if d is drv)
        copies += [(drv, proto, objects, cluster)
                   for cluster in plan['clusters'][1:]]
    secrets = [(drv, cluster) for drv, plan in plans
               for cluster in plan['clusters']]

    def work(share):
        client = kube_client.Client(url, timeout=300,
                                    user_agent=SETUP_AGENT)
        for drv, proto, objects, cluster in copies[share::threads]:
            write_copy(client, renamer(drv, proto, cluster), objects)
        for drv, cluster in secrets[share::threads]:
            for secret in helm_secrets(drv, cluster):
                client.create(kinds.SECRET, namespace_of(drv, cluster),
                              secret)
        client.close()

    with futures.ThreadPoolExecutor(threads) as pool:
        for done in [pool.submit(work, share) for share in range(threads)]:
            done.result()
    api.close()


def settle(api, url, prototypes, speed, timeout):
    sim = simulator_mod.Simulator(url, speed=speed, tick=0.2, timeout=300)
    expected = 0
    for drv, cluster in prototypes:
        namespace = namespace_of(drv, cluster)
        for kind, obj in manifests(drv, cluster):
            api.create(kind, namespace, obj)
        sim.machines_never_ready(namespace, cluster['stack_id'],
                                 stuck_deployment(drv, cluster))
        expected += sum(ng['node_count'] for ng in cluster['nodegroups']
                        ) - cluster['nodegroups'][-1]['node_count']
    sim.start()
    deadline = time.monotonic() + timeout
    try:
        while sum(1 for m in api.list(kinds.MACHINE)
                  if (m.get('status') or {}).get('phase')
                  == 'Running') < expected:
            if time.monotonic() > deadline:
                raise SystemExit('the prototype clusters did not settle')
            time.sleep(0.5)
        passes = sim.ticks
        while sim.ticks < passes + 3:  # aggregate statuses catch up
            time.sleep(0.2)
    finally:
        sim.stop()
    for drv, cluster in prototypes:
        api.patch(kinds.MACHINE_DEPLOYMENT, namespace_of(drv, cluster),
                  stuck_deployment(drv, cluster),
                  {'status': {'phase': 'ScalingUp'}}, status=True)


COPIED = (kinds.CLUSTER, kinds.OPENSTACK_CLUSTER, kinds.CONTROL_PLANE,
          kinds.MACHINE_TEMPLATE, kinds.CONFIG_TEMPLATE,
          kinds.MACHINE_DEPLOYMENT, kinds.MACHINE, kinds.SECRET)
SERVER_SET = ('uid', 'resourceVersion', 'creationTimestamp', 'generation',
              'managedFields')


def prototype_objects(api, drv, cluster):
    """(Kind, object) of the prototype's release, owners first."""
    namespace = namespace_of(drv, cluster)
    release = cluster['stack_id']
    found = []
    for kind in COPIED:
        for obj in api.list(kind):
            meta = obj['metadata']
            if meta.get('namespace') == namespace and \
                    meta['name'].startswith(release):
                found.append((kind, obj))
    return found


def renamer(drv, proto, cluster):
    """A function renaming the prototype's names into the cluster's."""
    pairs = [(namespace_of(drv, proto), namespace_of(drv, cluster)),
             (proto['stack_id'], cluster['stack_id'])]
    pairs += [(drv.group(old), drv.group(new)) for old, new in
              zip(proto['nodegroups'], cluster['nodegroups'])
              if old['role'] != 'master']
    pairs.sort(key=lambda pair: -len(pair[0]))

    def rename(obj):
        text = json.dumps(obj)
        for old, new in pairs:
            text = text.replace(old, new)
        return json.loads(text)
    return rename


def write_copy(client, rename, objects):
    """Create renamed copies, owners' uids remapped, then their status."""
    uids = {}
    for kind, original in objects:
        obj = rename(original)
        meta = obj['metadata']
        for key in SERVER_SET:
            meta.pop(key, None)
        refs = [dict(ref, uid=uids[ref['uid']])
                for ref in meta.pop('ownerReferences', [])
                if ref.get('uid') in uids]
        if refs:
            meta['ownerReferences'] = refs
        status = obj.pop('status', None)
        created = client.create(kind, meta['namespace'], obj)
        uids[original['metadata'].get('uid')] = created['metadata']['uid']
        if status and kind is not kinds.SECRET:
            client.patch(kind, meta['namespace'], meta['name'],
                         {'status': status}, status=True)


# -- the conductors -----------------------------------------------------------

def theirs_python():
    """magnum-capi-helm's virtualenv, installed from the index if needed."""
    venv = ROOT / '.bench-venv'
    python = venv / 'bin' / 'python'
    check = [str(python), '-c', 'from importlib import metadata; '
             'print(metadata.version("magnum-capi-helm"))']
    if python.exists():
        found = subprocess.run(check, capture_output=True, text=True)
        if found.stdout.strip() == THEIRS_VERSION:
            return python
    if not python.exists():
        subprocess.run([sys.executable, '-m', 'venv', str(venv)], check=True)
    subprocess.run([str(python), '-m', 'pip', 'install', '-q',
                    'magnum-capi-helm==%s' % THEIRS_VERSION, 'PyMySQL'],
                   check=True)
    return python


class Conductor:
    """One tick runner process, configured for one driver."""

    def __init__(self, drv, python, plan, standin, workdir, env=None):
        self.drv = drv
        scenario_file = workdir / ('%s.json' % drv.prefix)
        scenario_file.write_text(json.dumps(plan))
        database = 'bench_%s_%d' % (drv.prefix.replace('-', '_'),
                                    os.getpid())
        command = [str(python), str(RUNNER), '--scenario', str(scenario_file),
                   '--driver', drv.entry_point, '--client-name', drv.label,
                   '--db', 'mysql+pymysql://root@127.0.0.1/%s' % database]
        for option in drv.options(standin.kubeconfig):
            command += ['--set', option]
        self.process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=open(workdir / ('%s.log' % drv.prefix), 'w'), text=True)
        self._answer()

    def _answer(self):
        line = self.process.stdout.readline()
        if not line:
            raise SystemExit('%s conductor exited (%s); see its log' % (
                self.drv.label, self.process.wait()))
        return json.loads(line)

    def tick(self, job, noop):
        self.process.stdin.write(json.dumps({'job': job, 'noop': noop})
                                 + '\n')
        self.process.stdin.flush()
        return self._answer()

    def resources(self):
        """RSS (MiB) and open file descriptors, read from outside."""
        pid = self.process.pid
        with open('/proc/%d/status' % pid) as stream:
            rss = next(int(line.split()[1]) for line in stream
                       if line.startswith('VmRSS:'))
        return rss / 1024.0, len(os.listdir('/proc/%d/fd' % pid))

    def cpu(self):
        """CPU seconds (user and system) the process has used so far.

        Less disturbed than wall time by other work on the machine.
        """
        with open('/proc/%d/stat' % self.process.pid) as stream:
            fields = stream.read().rpartition(')')[2].split()
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS

    def stop(self):
        try:
            self.process.stdin.write(json.dumps({'quit': True}) + '\n')
            self.process.stdin.close()
            self.process.wait(timeout=60)
        except (OSError, subprocess.TimeoutExpired):
            self.process.kill()
            self.process.wait()


def run_ticks(conductors, standin, rounds, jobs=('status', 'health'),
              warmup=True, out=None):
    """Interleaved rounds; one record per tick."""
    records = []
    seen = {c.drv.label: standin.stats().get(c.drv.label, {})
            for c in conductors}
    for c in conductors if warmup else ():
        for job in jobs:  # first connections, one-off writes
            c.tick(job, False)
        seen[c.drv.label] = standin.stats().get(c.drv.label, {})
    for number in range(rounds):
        order = conductors if number % 2 == 0 else conductors[::-1]
        for job in jobs:
            for c in order:
                for noop in ((False, True) if number % 2 == 0
                             else (True, False)):
                    cpu = c.cpu()
                    answer = c.tick(job, noop)
                    cpu = c.cpu() - cpu
                    now = standin.stats().get(c.drv.label, {})
                    before = seen[c.drv.label]
                    seen[c.drv.label] = now
                    rss, fds = c.resources()
                    record = dict(
                        answer, driver=c.drv.label, job=job, noop=noop,
                        round=number, rss_mib=rss, fds=fds, cpu=cpu,
                        requests=now.get('requests', 0)
                        - before.get('requests', 0),
                        bytes=now.get('bytes', 0) - before.get('bytes', 0))
                    records.append(record)
                    if out:
                        out.write(json.dumps(record) + '\n')
                        out.flush()
    return records


def soak(conductor, standin, ticks, jobs, warmup, out=None):
    """Run many ticks of one driver; RSS and descriptors along the way.

    Every tick runs each job once for real. The starting point is taken
    after ``warmup`` such ticks (first connections, caches filling); a
    sample follows every tick (also written to ``out`` as JSON lines).
    Python's allocated blocks are sampled too: a leak of Python objects
    grows them, while RSS that grows alone is the allocator's doing.
    """
    label = conductor.drv.label
    for _ in range(warmup):
        for job in jobs:
            answer = conductor.tick(job, False)
    before = standin.stats().get(label, {})
    start = conductor.resources() + (answer['blocks'],)
    samples, walls, errors, warnings = [], {job: [] for job in jobs}, 0, 0
    for _ in range(ticks):
        for job in jobs:
            answer = conductor.tick(job, False)
            walls[job].append(answer['wall'])
            errors += answer['errors']
            warnings += answer.get('warnings', 0)
        samples.append(conductor.resources() + (answer['blocks'],))
        if out:
            out.write(json.dumps({'tick': len(samples),
                                  'rss_mib': samples[-1][0],
                                  'fds': samples[-1][1],
                                  'blocks': samples[-1][2]}) + '\n')
            out.flush()
    after = standin.stats().get(label, {})
    result = {'ticks': ticks, 'warmup': warmup, 'errors': errors,
              'warnings': warnings,
              'requests_per_tick': (after.get('requests', 0)
                                    - before.get('requests', 0)) / ticks,
              'wall': {job: _stat(values) for job, values in walls.items()}}
    tenth = max(1, ticks // 10)
    for index, key in enumerate(('rss_mib', 'fds', 'blocks')):
        values = [sample[index] for sample in samples]
        first = statistics.median(values[:tenth])
        last = statistics.median(values[-tenth:])
        result[key] = {'start': start[index], 'end': values[-1],
                       'drift_pct': 100.0 * (values[-1] - start[index])
                       / start[index],
                       'min': min(values), 'max': max(values),
                       'first_tenth': first, 'last_tenth': last,
                       'tenths_drift_pct': 100.0 * (last - first) / first}
    return result


def soak_report(result, args, label):
    lines = ['%s, %d clusters in %d project(s), %d extra worker nodegroups:'
             ' %d ticks (each: %s) after %d warm-up ticks' % (
                 label, args.clusters, args.projects, args.workers,
                 result['ticks'], ' + '.join(args.jobs), result['warmup'])]
    for key, title, fmt in (('rss_mib', 'RSS, MiB', '%.1f'),
                            ('fds', 'open fds', '%g'),
                            ('blocks', 'Python blocks', '%g')):
        found = result[key]
        lines.append('%-10s start %s, end %s, drift %+.1f %%, sampled '
                     'min %s max %s; median of the first tenth %s, of the '
                     'last %s, drift %+.1f %%' % (
                         title, fmt % found['start'], fmt % found['end'],
                         found['drift_pct'], fmt % found['min'],
                         fmt % found['max'], fmt % found['first_tenth'],
                         fmt % found['last_tenth'],
                         found['tenths_drift_pct']))
    for job, (med, low, high) in result['wall'].items():
        lines.append('%s tick: median %.3f s [%.3f-%.3f]' % (
            job, med, low, high))
    lines.append('requests per tick: %.2f' % result['requests_per_tick'])
    if result['errors'] or result['warnings']:
        lines.append('!! %d poll(s) raised, %d warning(s) logged; see its '
                     'log' % (result['errors'], result['warnings']))
    return '\n'.join(lines)


# -- the report ---------------------------------------------------------

def _stat(values):
    return (statistics.median(values), min(values), max(values))


def summarise(records):
    """{(driver, job): {metric: (median, min, max)}} from the tick records."""
    summary = {}
    keys = sorted({(r['driver'], r['job']) for r in records})
    for key in keys:
        real = [r for r in records
                if (r['driver'], r['job']) == key and not r['noop']]
        noop = [r for r in records
                if (r['driver'], r['job']) == key and r['noop']]
        share = [r['wall'] - n['wall'] for r in real for n in noop
                 if n['round'] == r['round']]
        cpu_share = [r['cpu'] - n['cpu'] for r in real for n in noop
                     if n['round'] == r['round']]
        summary[key] = {
            'clusters': _stat([r['clusters'] for r in real]),
            'errors': _stat([r['errors'] for r in real]),
            'warnings': _stat([r.get('warnings', 0) for r in real]),
            'wall': _stat([r['wall'] for r in real]),
            'magnum': _stat([n['wall'] for n in noop]),
            'driver': _stat(share),
            'cpu': _stat([r['cpu'] for r in real]),
            'magnum_cpu': _stat([n['cpu'] for n in noop]),
            'gc': _stat([r['gc'] for r in real]),
            'magnum_gc': _stat([n['gc'] for n in noop]),
            'driver_cpu': _stat(cpu_share),
            'requests': _stat([r['requests'] for r in real]),
            'kib': _stat([r['bytes'] / 1024.0 for r in real]),
            'rss_mib': _stat([r['rss_mib'] for r in real + noop]),
            'fds': _stat([r['fds'] for r in real + noop]),
        }
    return summary


METRICS = (('wall', 'tick, s', '%.3f'),
           ('magnum', "Magnum's share, s", '%.3f'),
           ('driver', "driver's share, s", '%.3f'),
           ('cpu', 'tick CPU, s', '%.3f'),
           ('magnum_cpu', "Magnum's CPU, s", '%.3f'),
           ('driver_cpu', "driver's CPU, s", '%.3f'),
           ('gc', 'tick GC, s', '%.3f'),
           ('magnum_gc', "Magnum's GC, s", '%.3f'),
           ('requests', 'requests', '%.0f'), ('kib', 'KiB received', '%.0f'),
           ('rss_mib', 'RSS, MiB', '%.1f'), ('fds', 'open fds', '%.0f'))


def report(summary, args, labels):
    lines = ['%d clusters in %d project(s), %d extra worker nodegroups, '
             '%d round(s); median [min-max]' % (
                 args.clusters, args.projects, args.workers, args.ticks)]
    for job in args.jobs:
        lines.append('')
        header = '%-18s' % ('%s tick' % job)
        for label in labels:
            header += ' %-26s' % label
        if len(labels) == 2:
            header += ' ratio ours/theirs'
        lines.append(header)
        for key, title, fmt in METRICS:
            row = '%-18s' % title
            medians = []
            for label in labels:
                med, low, high = summary[(label, job)][key]
                medians.append(med)
                row += ' %-26s' % ('%s [%s-%s]' % (fmt % med, fmt % low,
                                                   fmt % high))
            if len(labels) == 2:
                row += ' %s' % (('%.2f' % (medians[0] / medians[1]))
                                if medians[1] else '-')
            lines.append(row)
        for label in labels:
            selected = summary[(label, job)]['clusters'][0]
            errors = summary[(label, job)]['errors'][2]
            if errors:
                lines.append('!! %s: %d poll(s) raised in a %s tick; see '
                             'its log' % (label, errors, job))
            warned = summary[(label, job)]['warnings'][2]
            if warned:
                lines.append('!! %s: up to %d warning(s) logged in a %s '
                             'tick (polls given up?)' % (label, warned, job))
            lines.append('   %s: %d clusters selected' % (label, selected))
    return '\n'.join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--clusters', type=int, default=10)
    parser.add_argument('--projects', type=int, default=1)
    parser.add_argument('--workers', type=int, default=3,
                        help='extra worker nodegroups per cluster')
    parser.add_argument('--ticks', type=int, default=5,
                        help='rounds (each: every driver, both jobs, real '
                             'and no-op)')
    parser.add_argument('--jobs', nargs='+', choices=['status', 'health'],
                        default=['status', 'health'])
    parser.add_argument('--no-warmup', action='store_true',
                        help='measure from the first tick (for large runs)')
    parser.add_argument('--compare', choices=['magnum-capi-helm'])
    parser.add_argument('--soak', type=int, metavar='TICKS',
                        help='instead of rounds: this many ticks of our '
                             'driver alone, reporting RSS and open file '
                             'descriptors at the start and end')
    parser.add_argument('--soak-warmup', type=int, default=50,
                        metavar='TICKS',
                        help='ticks run before the soak\'s starting point')
    parser.add_argument('--records', help='also write every tick as JSON '
                                          'lines to this file (and keep '
                                          'the processes\' logs next to '
                                          'it)')
    parser.add_argument('--summary', help='write the summary as JSON here')
    args = parser.parse_args(argv)
    if args.clusters < 1 or args.projects < 1 or args.workers < 0 \
            or args.ticks < 1:
        parser.error('--clusters, --projects and --ticks must be at least 1'
                     ' and --workers at least 0')
    if args.soak is not None and (args.compare or args.soak < 1
                                  or args.soak_warmup < 1):
        parser.error('--soak runs our driver alone (no --compare), at least '
                     'one tick, after one or more --soak-warmup ticks')
    drivers = [(Ours, pathlib.Path(sys.executable))]
    if args.compare:
        drivers.append((Theirs, theirs_python()))
    plans = [(drv, scenario(drv, args.clusters, args.projects, args.workers))
             for drv, _ in drivers]
    ours_env = dict(os.environ, PYTHONPATH=str(ROOT))
    with tempfile.TemporaryDirectory(prefix='bench-') as tmp:
        workdir = pathlib.Path(tmp)
        standin = StandIn(workdir)
        conductors = []
        try:
            started = time.monotonic()
            populate(standin.url, plans)
            for (drv, python), (_, plan) in zip(drivers, plans):
                conductors.append(Conductor(
                    drv, python, plan, standin, workdir,
                    env=ours_env if drv is Ours else None))
            print('set up in %.0f s' % (time.monotonic() - started),
                  file=sys.stderr)
            out = open(args.records, 'w') if args.records else None
            try:
                if args.soak:
                    soaked = soak(conductors[0], standin, args.soak,
                                  args.jobs, args.soak_warmup, out)
                else:
                    records = run_ticks(conductors, standin, args.ticks,
                                        args.jobs, not args.no_warmup, out)
            finally:
                if out:
                    out.close()
            totals = standin.stats()
            if args.records:
                for log in workdir.glob('*.log'):
                    shutil.copy(log, '%s.%s' % (args.records, log.name))
        except BaseException:
            for name in sorted(os.listdir(workdir)):
                if name.endswith('.log'):
                    sys.stderr.write('--- %s (tail)\n' % name)
                    sys.stderr.write(
                        (workdir / name).read_text()[-3000:] + '\n')
            raise
        finally:
            for c in conductors:
                c.stop()
            standin.stop()
    if args.soak:
        print(soak_report(soaked, args, Ours.label))
        if args.summary:
            with open(args.summary, 'w') as stream:
                json.dump({'args': vars(args), 'soak': soaked}, stream,
                          indent=1)
        return 0
    summary = summarise(records)
    labels = [drv.label for drv, _ in drivers]
    totals = {label: totals.get(label, {}) for label in labels}
    print(report(summary, args, labels))
    print('\nwhole run, warm-up included: %s' % ', '.join(
        '%s %d requests, %.0f KiB' % (
            label, total.get('requests', 0), total.get('bytes', 0) / 1024.0)
        for label, total in totals.items()))
    if args.summary:
        with open(args.summary, 'w') as stream:
            json.dump({'args': vars(args), 'totals': totals, 'summary': {
                '%s/%s' % key: value for key, value in summary.items()}},
                stream, indent=1)
    return 0


if __name__ == '__main__':
    sys.exit(main())
