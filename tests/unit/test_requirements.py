"""requirements.txt names exactly the distributions the driver imports."""

import ast
from importlib import metadata
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
PACKAGE = 'magnum_capi_driver'


def _name(text):
    return re.sub(r'[-_.]+', '-', text).lower()


def _imported_modules():
    found = set()
    for path in (ROOT / PACKAGE).rglob('*.py'):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                found.update(a.name.split('.')[0] for a in node.names)
            elif isinstance(node, ast.ImportFrom) and not node.level:
                found.add(node.module.split('.')[0])
    return found - set(sys.stdlib_module_names) - {PACKAGE}


def _required():
    lines = (ROOT / 'requirements.txt').read_text().splitlines()
    return {_name(re.split(r'[<>=!~;\[\s]', line.strip())[0])
            for line in lines if line.strip() and not line.startswith('#')}


def test_requirements_are_the_direct_imports():
    providers = metadata.packages_distributions()
    imported = {_name(dist) for module in _imported_modules()
                for dist in providers.get(module, ['not installed: '
                                                   + module])}
    assert imported == _required()
