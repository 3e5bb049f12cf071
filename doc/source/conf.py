# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at
#
#      http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied. See the
# License for the specific language governing permissions and limitations
# under the License.

"""Sphinx configuration of the operator documentation.

The labels page includes ``labels-table.rst``, which is written at build
time from the label schema in ``magnum_capi_driver.labels`` so that the
documentation cannot drift from the labels the driver accepts.
"""

import importlib
import os

from sphinx.errors import ExtensionError

extensions = [
    'oslo_config.sphinxext',
    'reno.sphinxext',
]

project = 'magnum-capi-driver'
copyright = '2026, magnum-capi-driver developers'
author = 'magnum-capi-driver developers'

root_doc = 'index'
source_suffix = {'.rst': 'restructuredtext'}
# Included by labels.rst, not a page of its own.
exclude_patterns = ['labels-table.rst']
pygments_style = 'sphinx'

html_theme = 'alabaster'
html_static_path = []
htmlhelp_basename = 'MagnumCapiDriverdoc'

LABELS_TABLE = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                            'labels-table.rst')


def write_labels_table(app):
    """Write labels-table.rst from the driver's label schema.

    A missing schema fails the build: a labels page without its table
    would tell operators nothing.
    """
    try:
        labels = importlib.import_module('magnum_capi_driver.labels')
    except ImportError as exc:
        raise ExtensionError(
            'cannot document labels: importing magnum_capi_driver.labels '
            'failed (%s); the docs build needs the driver, with its labels '
            'module, importable' % exc) from exc
    rst_table = getattr(labels, 'rst_table', None)
    if not callable(rst_table):
        raise ExtensionError(
            'cannot document labels: magnum_capi_driver.labels has no '
            'rst_table() function to generate doc/source/labels-table.rst')
    table = rst_table()
    if not isinstance(table, str) or not table.strip():
        raise ExtensionError(
            'cannot document labels: magnum_capi_driver.labels.rst_table() '
            'returned %r, expected reStructuredText' % type(table).__name__)
    if not table.endswith('\n'):
        table += '\n'
    old = None
    if os.path.exists(LABELS_TABLE):
        with open(LABELS_TABLE, encoding='utf-8') as f:
            old = f.read()
    # Rewrite only on change so that Sphinx does not rebuild needlessly.
    if old != table:
        with open(LABELS_TABLE, 'w', encoding='utf-8') as f:
            f.write(table)


def setup(app):
    app.connect('builder-inited', write_labels_table)
