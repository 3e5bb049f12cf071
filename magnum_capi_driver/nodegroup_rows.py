"""The status poll's read of a cluster's nodegroups, from Magnum's table.

Every status and health poll needs the same few columns of every
nodegroup of its cluster, at every tick. ``NodeGroup.list`` costs about
four times as much as this read: Magnum's JSON column types are not
cacheable, so SQLAlchemy compiles its query afresh each time, and it
builds a versioned object per row. At 200 clusters that was three
quarters of the driver's share of a status tick. So the poll reads plain
rows through Magnum's own database facade, with a statement SQLAlchemy
compiles once, and loads a ``NodeGroup`` object only for a row it has to
change (``loader``).

Only reads come here: every write still goes through Magnum's objects.
The read goes where Magnum's own reads go (oslo.db's reader): to the
primary database, not to a replica that may lag behind a status just
written, unless ``[database] synchronous_reader`` is turned off.
"""

import collections
import json
import threading

from magnum.common import exception
from magnum import objects
from oslo_db.sqlalchemy import enginefacade
import sqlalchemy as sa

Row = collections.namedtuple(
    'Row', 'uuid name role status status_reason node_count node_addresses')

# Column names and plain types only: Magnum's model would bring its
# uncacheable JSON types with it. node_addresses is Magnum's JSON text.
_TABLE = sa.table('nodegroup', *(sa.column(name, kind) for name, kind in (
    ('id', sa.Integer()), ('cluster_id', sa.String()),
    ('uuid', sa.String()), ('name', sa.String()), ('role', sa.String()),
    ('status', sa.String()), ('status_reason', sa.Text()),
    ('node_count', sa.Integer()), ('node_addresses', sa.Text()))))

QUERY = sa.select(*(_TABLE.c[name] for name in Row._fields)).where(
    _TABLE.c.cluster_id == sa.bindparam('cluster_id')).order_by(_TABLE.c.id)


# oslo.db keeps a transaction's state on this object, per thread.
_TRANSACTIONS = threading.local()


def of_cluster(cluster_uuid, reader=enginefacade.reader):
    """The cluster's nodegroups as Rows, in Magnum's order (by id)."""
    with reader.connection.using(_TRANSACTIONS) as connection:
        found = connection.execute(QUERY, {'cluster_id': cluster_uuid})
        return tuple(Row(*row[:-1], node_addresses=tuple(
            json.loads(row[-1]) if row[-1] else ())) for row in found)


def loader(context, cluster_uuid):
    """A function giving the NodeGroup object of a row, None once gone."""
    def load(uuid):
        try:
            return objects.NodeGroup.get_by_uuid(context, cluster_uuid, uuid)
        except exception.NodeGroupNotFound:
            return None
    return load
