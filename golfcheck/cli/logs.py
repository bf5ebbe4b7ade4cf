"""``golfcheck logs FOLDER``: the per-seed table parsed from the logs."""

from __future__ import annotations

import click

from golfcheck.checks.common import profile_of
from golfcheck.checks.folder import folder, logs_of
from golfcheck.checks.render import counts_line, dump_json, with_verdicts, exit_code, findings_text, logs_table

def _single_log(path):
    """``golfcheck logs train.log`` works on one file too."""
    from pathlib import Path

    from golfcheck.submission import Submission, TextFile

    from golfcheck.errors import GolfcheckError
    from golfcheck.submission import NOT_LOG_SUFFIXES

    p = Path(path)
    if not p.is_file():
        return None
    if p.name.lower().endswith(NOT_LOG_SUFFIXES):
        what = "Python code" if p.suffix.lower() == ".py" else f"a {p.suffix} file"
        raise GolfcheckError(f"is {what}, not a training log: give a log file or a submission folder", path)
    return Submission(root=p.parent, logs=[TextFile(p.name, p)])


FAIL_ON = click.Choice(["error", "warning", "note", "never"])
PROFILE = click.Choice(["record", "non-record", "history"])


@click.command()
@click.argument("path", type=click.Path())
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", help="Output format.")
@click.option("--fail-on", type=FAIL_ON, default="error", help="Exit 1 at or above this severity.")
@click.option("--profile", type=PROFILE, default=None,
              help="Severity profile (default: from the folder's track; history = merged records).")
@click.option("--history", is_flag=True, help="Judge a merged record: findings become notes (= --profile history).")
def logs(path, fmt, fail_on, profile, history):
    """Per-seed table parsed from every log of a submission folder."""
    sub = _single_log(path) or folder(path)
    prof = profile_of(sub, "history" if history else profile)
    res = logs_of(sub, prof)
    d = res.to_dict()
    if fmt == "json":
        click.echo(dump_json(with_verdicts(d, res.findings)), nl=False)
    else:
        if d["runs"]:
            click.echo(logs_table(d), nl=False)
        else:
            click.echo("no logs found")
        click.echo(findings_text(res.findings), nl=False)
        click.echo(counts_line(res.findings), err=True)
    return exit_code(res.findings, fail_on)
