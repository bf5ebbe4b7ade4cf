"""`golfcheck audit` on folders: nothing to audit is said (exit 2), folders without code are named,
and a multi-folder audit ends with a per-folder verdict table."""

import json

from golfcheck.cli import main

CLEAN = "import os\nprint(os.environ.get('SEED', '1337'))\n"
