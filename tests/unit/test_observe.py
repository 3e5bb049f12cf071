"""The pure parts of the shared view: Helm's state and the watch length."""

import datetime

import pytest

from magnum_capi_driver import observe

UTC = datetime.timezone.utc


def revision(version, state, created='2026-01-01T00:00:00Z'):
    return {'metadata': {
        'name': 'sh.helm.release.v1.r.v%s' % version,
        'creationTimestamp': created,
        'labels': {'owner': 'helm', 'name': 'r', 'status': state,
                   'version': str(version)}}}


@pytest.mark.parametrize('revisions, exists, pending, started', [
    ([], False, False, None),
    ([revision(1, 'deployed')], True, False,
     datetime.datetime(2026, 1, 1, tzinfo=UTC)),
    ([revision(1, 'pending-install')], True, True,
     datetime.datetime(2026, 1, 1, tzinfo=UTC)),
    # The newest revision decides, compared as numbers (10 after 9).
    ([revision(9, 'superseded', '2026-01-01T00:00:00Z'),
      revision(10, 'pending-upgrade', '2026-01-02T03:04:05Z')], True, True,
     datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)),
    ([revision(2, 'deployed', '2026-01-02T00:00:00Z'),
      revision(1, 'superseded')], True, False,
     datetime.datetime(2026, 1, 2, tzinfo=UTC)),
    ([revision(3, 'pending-rollback')], True, True,
     datetime.datetime(2026, 1, 1, tzinfo=UTC)),
    ([revision(2, 'failed')], True, False,
     datetime.datetime(2026, 1, 1, tzinfo=UTC)),
    ([revision(2, 'uninstalling')], True, False,
     datetime.datetime(2026, 1, 1, tzinfo=UTC)),
    # Kept history of an uninstalled release: no release.
    ([revision(2, 'uninstalled')], False, False,
     datetime.datetime(2026, 1, 1, tzinfo=UTC)),
])
def test_release_state_from_revision_labels(revisions, exists, pending,
                                            started):
    assert observe.release_state(revisions) == dict(
        release_exists=exists, release_pending=pending,
        release_started_at=started)


@pytest.mark.parametrize('max_age, seconds', [
    (30, 20), (60, 40), (9, 6), (6, 5), (1, 5)])
def test_watches_end_well_within_the_bound(max_age, seconds):
    assert observe.watch_seconds(max_age) == seconds
