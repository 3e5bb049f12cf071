"""Label and field selectors, parsed the way the API server reads them."""

import re

from tests.kubeapi import errors

_SET_TERM = re.compile(r'^\s*(\S+)\s+(in|notin)\s+\((.*)\)\s*$')
_EQ_TERM = re.compile(r'^\s*([^!=\s]+)\s*(==|!=|=)\s*(\S*)\s*$')


def _split_terms(text):
    """Split on commas that are not inside a parenthesised value set."""
    terms, depth, current = [], 0, ''
    for char in text:
        if char == '(':
            depth += 1
        elif char == ')':
            depth -= 1
        if char == ',' and depth == 0:
            terms.append(current)
            current = ''
        else:
            current += char
    terms.append(current)
    return [term.strip() for term in terms if term.strip()]


def parse_labels(text):
    """Return a list of (key, operator, values) for a label selector."""
    requirements = []
    for term in _split_terms(text or ''):
        match = _SET_TERM.match(term)
        if match:
            values = {v.strip() for v in match.group(3).split(',')
                      if v.strip()}
            requirements.append((match.group(1), match.group(2), values))
            continue
        match = _EQ_TERM.match(term)
        if match:
            op = '!=' if match.group(2) == '!=' else '='
            requirements.append((match.group(1), op, {match.group(3)}))
            continue
        if term.startswith('!') and ' ' not in term:
            requirements.append((term[1:], '!exists', set()))
        elif ' ' not in term:
            requirements.append((term, 'exists', set()))
        else:
            raise errors.BadRequest(
                'unable to parse requirement %r in labelSelector' % term)
    return requirements


def match_labels(requirements, labels):
    labels = labels or {}
    for key, op, values in requirements:
        present = key in labels
        if op == 'exists' and not present:
            return False
        if op == '!exists' and present:
            return False
        if op in ('=', 'in') and labels.get(key) not in values:
            return False
        if op in ('!=', 'notin') and present and labels[key] in values:
            return False
    return True


def parse_fields(text):
    """Return a list of (path tuple, negate, value) for a field selector."""
    requirements = []
    for term in _split_terms(text or ''):
        match = _EQ_TERM.match(term)
        if not match:
            raise errors.BadRequest(
                'invalid field selector %r: only =, == and != are accepted'
                % term)
        path = tuple(match.group(1).split('.'))
        requirements.append((path, match.group(2) == '!=', match.group(3)))
    return requirements


def _lookup(obj, path):
    for part in path:
        if not isinstance(obj, dict):
            return ''
        obj = obj.get(part)
    if obj is None:
        return ''
    if isinstance(obj, bool):
        return 'true' if obj else 'false'
    return str(obj)


def match_fields(requirements, obj):
    for path, negate, value in requirements:
        if (_lookup(obj, path) == value) == negate:
            return False
    return True
