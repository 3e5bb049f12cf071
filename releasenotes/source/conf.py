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

"""Sphinx configuration of the release notes (built from reno notes)."""

extensions = ['reno.sphinxext']

project = 'magnum-capi-driver Release Notes'
copyright = '2026, magnum-capi-driver developers'
author = 'magnum-capi-driver developers'

# Release notes are versioned by git tags, not by this file.
version = ''
release = ''

root_doc = 'index'
source_suffix = {'.rst': 'restructuredtext'}
exclude_patterns = []
pygments_style = 'sphinx'

html_theme = 'alabaster'
html_static_path = []
htmlhelp_basename = 'MagnumCapiDriverReleaseNotesdoc'

# Location of the translations of the release notes, if any.
locale_dirs = ['locale/']
