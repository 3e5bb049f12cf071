"""Conditions as CAPI writes them, and status writes that change something.

v1beta1 conditions carry a severity when False; v1beta2 conditions (under
``status.v1beta2``) always carry a reason and never a severity. A
condition keeps its lastTransitionTime until its status changes.
"""

INFO = 'Info'
WARNING = 'Warning'
ERROR = 'Error'


def v1beta1(type_, ok, reason=None, message=None, severity=INFO):
    """A v1beta1 condition: only False ones carry reason and severity."""
    cond = {'type': type_, 'status': 'True' if ok else 'False'}
    if not ok:
        cond['severity'] = severity
        cond['reason'] = reason or 'NotReady'
    if message and not ok:
        cond['message'] = message
    return cond


def v1beta2(type_, ok, reason, message=None, generation=None):
    cond = {'type': type_, 'status': 'True' if ok else 'False',
            'reason': reason}
    if message:
        cond['message'] = message
    if generation is not None:
        cond['observedGeneration'] = generation
    return cond


def scaling(live, desired, deleting):
    """The ScalingUp, ScalingDown and Deleting v1beta2 conditions."""
    return [
        v1beta2('ScalingUp', live < desired,
                'ScalingUp' if live < desired else 'NotScalingUp'),
        v1beta2('ScalingDown', live > desired,
                'ScalingDown' if live > desired else 'NotScalingDown'),
        v1beta2('Deleting', deleting,
                'Deleting' if deleting else 'NotDeleting'),
    ]


def unknown(type_, reason, message=None):
    cond = {'type': type_, 'status': 'Unknown', 'reason': reason}
    if message:
        cond['message'] = message
    return cond


def stamped(current, desired, now):
    """``desired`` conditions with transition times kept or set to now."""
    before = {c.get('type'): c for c in current or []}
    result = []
    for cond in desired:
        old = before.get(cond['type'])
        cond = dict(cond)
        if old and old.get('status') == cond['status']:
            cond['lastTransitionTime'] = old.get('lastTransitionTime', now)
        else:
            cond['lastTransitionTime'] = now
        result.append(cond)
    return result


def summary(type_, parts):
    """A v1beta1 summary condition: True if all parts are, else the first
    False part's reason, message and severity (most severe first)."""
    rank = {ERROR: 0, WARNING: 1, INFO: 2}
    failing = [c for c in parts if c['status'] != 'True']
    if not failing:
        return v1beta1(type_, True)
    worst = min(failing, key=lambda c: rank.get(c.get('severity'), 3))
    return v1beta1(type_, False, worst.get('reason'), worst.get('message'),
                   worst.get('severity', INFO))


def status_changes(current, desired, now):
    """The part of ``desired`` status that differs from ``current``.

    ``conditions`` lists (also under ``v1beta2``) are stamped first; a
    None value removes the field. Returns None when nothing changes.
    """
    changes = {}
    for field, value in desired.items():
        old = current.get(field)
        if field == 'conditions':
            value = stamped(old, value, now)
        elif field == 'v1beta2' and isinstance(value, dict):
            value = status_changes(old or {}, value, now)
            if value is None:
                continue
        if value is None and field not in current:
            continue
        if old != value:
            changes[field] = value
    return changes or None


def replace(current, changed):
    """``current`` conditions with those of ``changed`` swapped in."""
    types = {c['type'] for c in changed}
    kept = [c for c in current or [] if c.get('type') not in types]
    return list(changed) + kept
