"""``python -m golfcheck``.

``python -m`` puts the working directory first on ``sys.path``, and golfcheck is often run inside a
submission folder: a submitted ``click.py`` would then be imported in place of the real library (and
run). Drop the working directory before importing anything else. This cannot protect the import of
``golfcheck`` itself (Python resolves it before this file runs): inside an untrusted folder use the
``golfcheck`` console script, or ``python -P -m golfcheck`` / ``python -I -m golfcheck``.
"""

import os
import sys


def _drop_working_directory() -> None:
    cwd = os.getcwd()
    sys.path[:] = [p for p in sys.path if p not in ("", ".") and os.path.abspath(p) != cwd]


_drop_working_directory()

from golfcheck.cli import main  # noqa: E402 - after the sys.path cleanup, on purpose

sys.exit(main())
