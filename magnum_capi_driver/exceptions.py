"""Errors the driver raises, as Magnum exception types.

Magnum turns str(exception) into the cluster's status_reason and the API's
error message, so every message names what failed and never carries a
secret, a token or a request body.
"""

from magnum.common import exception


class ManagementClusterError(exception.MagnumException):
    """The management cluster could not be reached or refused a request."""
    message = 'Could not %(action)s on the management cluster: %(error)s.'
    code = 503


class HelmError(exception.MagnumException):
    """A helm command failed; the message carries helm's own error text."""
    message = 'Helm could not %(action)s release %(release)s: %(error)s'
    code = 500


class NodesNotFound(exception.InvalidParameterValue):
    """nodes_to_remove named nodes that are not in the nodegroup."""
    message = ('nodes_to_remove %(nodes)s are not nodes of nodegroup '
               '%(nodegroup)s; accepted are server ids, node names or '
               'machine names of that nodegroup.')


class InvalidClusterInput(exception.InvalidParameterValue):
    """A label, attribute or cloud fact that cannot make a cluster.

    Raised before anything is created; the message names the field, the
    value given and what would be accepted.
    """
    message = '%(field)s: %(value)r is not accepted; expected %(accepted)s.'


class ClusterBusy(exception.Conflict):
    """Another operation kept the cluster's lock for too long."""
    message = ('Another operation on cluster %(cluster)s is still running; '
               'try again when it has finished.')


class ReleaseMissing(exception.MagnumException):
    """A change found no release to change (it is being deleted)."""
    message = 'Helm release %(release)s does not exist.'
    code = 409


class UpgradeRefused(exception.NotSupported):
    """An upgrade the cluster cannot take; nothing was changed.

    Of Magnum's NotSupported family, so the conductor records no failure and
    the cluster stays usable.
    """
    message = 'Upgrade refused, the cluster is unchanged: %(reason)s'


class ChangeFailed(exception.MagnumException):
    """A change the management cluster did not take, in the user's terms.

    The details (helm's output, the management cluster's answer) are in
    the conductor log under the cluster's uuid.
    """
    message = ('Could not %(action)s cluster %(cluster)s: the cluster '
               'management service did not accept the change. Try again '
               'later; if it keeps failing, your cloud operator can find '
               'the details under the cluster id %(uuid)s.')
    code = 503


class LockLost(exception.MagnumException):
    """The cluster's lock was taken over while this operation held it.

    Its holder stalled past the lease; whatever it applied is not recorded,
    and the change is applied again from the database.
    """
    message = 'The lock of cluster %(cluster)s was taken over.'
    code = 409
