"""``golfcheck size FOLDER``: artifact bytes (code + compressed model) and the decompression check."""

from __future__ import annotations

import click

from golfcheck.checks.common import profile_of
from golfcheck.checks.folder import folder, size_of
from golfcheck.checks.render import counts_line, dump_json, findings_text, size_text, with_verdicts
from golfcheck.cli.common import exit_status, fail_on_option, selection_options, settings
from golfcheck.cli.logs import PROFILE


@click.command()
@click.argument("path", type=click.Path())
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", help="Output format.")
@selection_options
@fail_on_option
@click.option("--profile", type=PROFILE, default=None, help="Severity profile (default: from the folder's track).")
@click.option("--history", is_flag=True, help="Judge a merged record: findings become notes (= --profile history).")
def size(path, fmt, select, ignore, config_path, fail_on, profile, history):
    """Artifact bytes: counted code as shipped + compressed model file(s), checked against 16,000,000."""
    conf = settings(config_path, select, ignore, audited=[path])
    sub = folder(path)
    prof = profile_of(sub, "history" if history else profile)
    res = size_of(sub, prof)
    res.findings[:] = conf.selection.apply(res.findings)
    if fmt == "json":
        click.echo(dump_json(with_verdicts(res.to_dict(), res.findings)), nl=False)
    else:
        click.echo(size_text(res.to_dict()), nl=False)
        click.echo(findings_text(res.findings), nl=False)
        click.echo(counts_line(res.findings), err=True)
    return exit_status(res.findings, conf.fail_on(fail_on))
