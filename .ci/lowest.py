"""Print pip constraints pinning every dependency of the auditor (and the `progress` extra) to the
lowest version pyproject.toml allows: `.ci/run` installs golfcheck with them in a venv of its own
(no torch) and runs the command-line tests there, so a lower bound that does not work fails CI."""

import re
import sys
import tomllib
from pathlib import Path

project = tomllib.loads((Path(__file__).resolve().parents[1] / "pyproject.toml").read_text())["project"]
for requirement in [*project["dependencies"], *project["optional-dependencies"]["progress"]]:
    m = re.fullmatch(r"\s*([A-Za-z0-9_.-]+)\s*>=\s*([0-9][0-9A-Za-z.]*)\s*(,.*)?", requirement)
    if not m:
        sys.exit(f"pyproject.toml: {requirement!r} has no lower bound (name>=version) to test")
    print(f"{m.group(1)}=={m.group(2)}")
