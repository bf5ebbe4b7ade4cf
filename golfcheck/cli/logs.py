"""``golfcheck logs FOLDER``: the per-seed table parsed from the logs."""

from __future__ import annotations

import click

from golfcheck.checks.common import profile_of
from golfcheck.checks.folder import folder, logs_of
from golfcheck.checks.render import counts_line, dump_json, findings_text, logs_table, with_verdicts
from golfcheck.cli.common import FAIL_ON_CHOICE, exit_status, fail_on_option, selection_options, settings

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


FAIL_ON = FAIL_ON_CHOICE  # kept for importers
PROFILE = click.Choice(["record", "non-record", "history"])


@click.command()
@click.argument("path", type=click.Path())
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", help="Output format.")
@selection_options
@fail_on_option
@click.option("--profile", type=PROFILE, default=None,
              help="Severity profile (default: from the folder's track; history = merged records).")
@click.option("--history", is_flag=True, help="Judge a merged record: findings become notes (= --profile history).")
def logs(path, fmt, select, ignore, config_path, fail_on, profile, history):
    """Per-seed table parsed from every log of a submission folder."""
    conf = settings(config_path, select, ignore, audited=[path])
    sub = _single_log(path) or folder(path)
    prof = profile_of(sub, "history" if history else profile)
    res = logs_of(sub, prof)
    res.findings[:] = conf.selection.apply(res.findings)
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
    return exit_status(res.findings, conf.fail_on(fail_on))
