"""Thin adapter over pyhelm3: the chart, and the three release operations.

Driver calls arrive on ordinary threads (Magnum runs oslo.service's
threading backend), so each call runs pyhelm3's coroutines in its own event
loop. Callers serialise the commands of one release with locks.cluster_lock.
"""

import asyncio
import os
import threading

from oslo_log import log as logging
import pyhelm3
from pyhelm3 import errors as helm_errors
from pyhelm3 import models as helm_models

from magnum_capi_driver import conf
from magnum_capi_driver import exceptions

LOG = logging.getLogger(__name__)
RevisionStatus = helm_models.ReleaseRevisionStatus
PENDING = (RevisionStatus.PENDING_INSTALL, RevisionStatus.PENDING_UPGRADE,
           RevisionStatus.PENDING_ROLLBACK, RevisionStatus.UNINSTALLING)
CONF = conf.CONF


def _is_local_or_oci(chart_name):
    return chart_name.startswith('oci://') or os.path.exists(chart_name)


class Helm(object):
    """Releases of the configured chart on the management cluster."""

    def __init__(self, executable, kubeconfig_file='', kubeconfig_context='',
                 chart_name='', chart_repository='', chart_version='',
                 timeout=300):
        self._client = pyhelm3.Client(
            executable=executable,
            kubeconfig=kubeconfig_file or None,
            kubecontext=kubeconfig_context or None,
            default_timeout='%ds' % timeout)
        self._chart_ref = chart_name
        self._repo = None if _is_local_or_oci(chart_name) else \
            chart_repository
        self._default_version = chart_version or None
        self._charts = {}
        self._chart_lock = threading.Lock()

    @classmethod
    def from_config(cls):
        opts = CONF.capi_driver
        return cls(opts.helm_executable, opts.kubeconfig_file,
                   opts.kubeconfig_context, opts.chart_name,
                   opts.chart_repository, opts.chart_version,
                   opts.helm_timeout)

    @property
    def version(self):
        return str(self._client.version)

    def _run(self, action, release, coroutine_factory):
        try:
            return asyncio.run(coroutine_factory())
        except helm_errors.Error as exc:
            raise exceptions.HelmError(
                action=action, release=release,
                error=exc.stderr.decode('utf-8', 'replace').strip())

    def _get_chart(self, version=None):
        """Resolve a chart version once: each resolution runs helm."""
        version = version or self._default_version
        with self._chart_lock:
            if version not in self._charts:
                self._charts[version] = self._run(
                    'find version %s of chart %s for' % (
                        version or '(latest)', self._chart_ref),
                    '-', lambda: self._client.get_chart(
                        self._chart_ref, repo=self._repo, version=version))
            return self._charts[version]

    def apply_if_changed(self, namespace, release, values, chart_version=None,
                         install=True):
        """Apply values unless the release already renders exactly them.

        The whole values document is sent each time (never --reuse-values):
        the release is always rendered from Magnum's database.
        chart_version overrides the configured version (a template's
        capi_helm_chart_version label).

        A release left pending by a helm killed mid-operation (its conductor
        crashed; the caller holds the cluster's lock, so no live helm is
        working on it) is first made proceedable: an install that never
        completed is uninstalled, a pending upgrade or rollback is rolled
        back to the last deployed revision. Returns whether helm upgraded.
        Without install, a release that does not exist is an error (the
        cluster is being deleted); one uninstalled here is installed again.
        """
        chart = self._get_chart(chart_version)
        recovered = []

        async def converge():
            try:
                current = await self._client.get_current_revision(
                    release, namespace=namespace)
            except helm_errors.ReleaseNotFoundError:
                if not install:
                    raise exceptions.ReleaseMissing(release=release)
                current = None
            else:
                if current.status in PENDING:
                    recovered.append(current.status)
                current = await self._proceedable(namespace, release,
                                                  current)
            if not await self._client.should_install_or_upgrade_release(
                    current, chart, values):
                return False
            LOG.info('Applying Helm release %s in namespace %s',
                     release, namespace)
            await self._client.install_or_upgrade_release(
                release, chart, values, namespace=namespace,
                create_namespace=True, reset_values=True)
            return True
        try:
            return self._run('install or upgrade', release, converge)
        except exceptions.HelmError:
            if not recovered:
                raise
            # The helm that left the release pending may have finished its
            # own step meanwhile (its conductor stalled rather than died):
            # look again, once.
            LOG.warning('Helm release %s in %s: applying again after '
                        'recovering it from %s.', release, namespace,
                        recovered[0].value)
            return self._run('install or upgrade', release, converge)

    async def _proceedable(self, namespace, release, current):
        status = current.status
        if status in (RevisionStatus.PENDING_INSTALL,
                      RevisionStatus.UNINSTALLING):
            LOG.warning('Helm release %s in %s was left %s by a helm that '
                        'did not finish; uninstalling it to install again.',
                        release, namespace, status.value)
            await current.release.uninstall(wait=True)
            return None
        if status in (RevisionStatus.PENDING_UPGRADE,
                      RevisionStatus.PENDING_ROLLBACK):
            LOG.warning('Helm release %s in %s was left %s by a helm that '
                        'did not finish; rolling back to its last deployed '
                        'revision.', release, namespace, status.value)
            return await current.release.rollback(cleanup_on_fail=True)
        return current

    def uninstall(self, namespace, release):
        """Remove the release; CAPI finalizers then tear the cluster down."""
        LOG.info('Uninstalling Helm release %s in namespace %s',
                 release, namespace)
        self._run('uninstall', release,
                  lambda: self._client.uninstall_release(
                      release, namespace=namespace, wait=False))

    def values(self, namespace, release):
        """The user-supplied values of the current revision, or None."""
        async def current():
            try:
                revision = await self._client.get_current_revision(
                    release, namespace=namespace)
            except helm_errors.ReleaseNotFoundError:
                return None
            return await revision.values()
        return self._run('read the values of', release, current)
