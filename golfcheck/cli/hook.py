"""``golfcheck hook audit|check [OPTIONS] FILE...``: what the pre-commit hooks run.

pre-commit passes the hook's ``args:`` and then the changed file names. A submission's verdict
depends on its whole folder (the README's run command, run.sh and the logs set the run
configuration, so a file alone and its folder can get different verdicts), so both hooks judge the
submission folder that holds each changed file, once per folder, with the options given:

- a file under ``records/<track>/<name>/`` belongs to that folder;
- elsewhere, a file whose own folder looks like a submission (README.md, submission.json or a
  ``train*.py`` beside it) belongs to that folder, unless it is the folder the hook runs in (the
  repository root, whose train_gpt.py is the challenge's baseline, not a submission);
- any other Python file is audited alone; other files are skipped.
"""

from __future__ import annotations

import re
from pathlib import Path

import click

from golfcheck.api import _is_submission_folder
from golfcheck.cli.audit import audit as audit_command
from golfcheck.cli.check import check as check_command

RECORD = re.compile(r"^(records/track_[^/]+/[^/]+)/.+")


def targets(files, here: Path | None = None) -> tuple[list[str], list[str]]:
    """(submission folders, lone Python files) for the changed ``files``, each once, in order."""
    here = (here or Path.cwd()).resolve()
    folders: dict[str, None] = {}
    lone: dict[str, None] = {}
    for name in files:
        rel = name.replace("\\", "/")
        m = RECORD.match(rel)
        if m:
            if Path(m.group(1)).is_dir():
                folders.setdefault(m.group(1))
            continue
        p = Path(name)
        parent = p.parent
        if parent.resolve() != here and parent.is_dir() and _is_submission_folder(parent):
            folders.setdefault(str(parent))
        elif p.suffix == ".py" and p.is_file():
            lone.setdefault(name)
    return list(folders), list(lone)


def _params(command: click.Command, drop: str) -> list[click.Parameter]:
    files = click.Argument(["files"], nargs=-1, type=click.Path())
    return [p for p in command.params if p.name != drop] + [files]


def _audit(files, **options):
    folders, lone = targets(files)
    if not folders and not lone:
        return 0
    return audit_command.callback(paths=tuple(folders + lone), **options)


def _check(files, **options):
    folders, _ = targets(files)
    worst = 0
    for folder in folders:
        rc = check_command.callback(path=folder, **options)
        worst = max(worst, rc or 0)  # 2 (golfcheck failed) outranks 1 (findings)
    return worst


hook_audit = click.Command(
    "audit", callback=_audit, params=_params(audit_command, "paths"),
    help="`golfcheck audit` of the submission folder that holds each FILE (the golfcheck-audit hook).")
hook_check = click.Command(
    "check", callback=_check, params=_params(check_command, "path"),
    help="`golfcheck check` of each records/<track>/<name>/ folder that holds a FILE (the golfcheck-check hook).")


@click.group()
def hook():
    """What the pre-commit hooks run: the submission folder of each changed file, with the hook's args."""


hook.add_command(hook_audit)
hook.add_command(hook_check)
