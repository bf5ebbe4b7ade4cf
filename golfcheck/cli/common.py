"""What every command shares: the configuration, the rule selection and the exit status.

Every command reads the same ``[tool.golfcheck]`` table (:func:`settings`) and ends the same way
(:func:`exit_status`): 0 when no unsuppressed finding is at or above ``fail-on``, 1 when one is, and
2 when golfcheck itself failed, which includes a rule or the engine crashing on some file (an
internal error, :data:`golfcheck.selection.INTERNAL`), whatever ``--fail-on`` or ``--exit-zero`` say.
"""

from __future__ import annotations

from dataclasses import dataclass

import click

from golfcheck.config import FAIL_ON, Config, load_config
from golfcheck.escape import one_line
from golfcheck.findings import fails
from golfcheck.selection import Selection, check_codes, is_internal

FAIL_ON_CHOICE = click.Choice(list(FAIL_ON))


def split_codes(values) -> tuple[str, ...]:
    out = []
    for v in values or ():
        out.extend(x.strip().upper() for x in v.split(",") if x.strip())
    return tuple(out)


def selection_options(f):
    """``--select``/``--ignore``/``--config``, in this order on every command that reports findings."""
    f = click.option("--config", "config_path", type=click.Path(),
                     help="pyproject.toml to read [tool.golfcheck] from (default: the nearest one).")(f)
    f = click.option("--ignore", multiple=True,
                     help="Also skip these rule ids or prefixes (adds to the configured ignore).")(f)
    f = click.option("--select", multiple=True,
                     help="Only these rule ids or prefixes, comma-separated or repeated (replaces the configured select).")(f)
    return f


def fail_on_option(f):
    return click.option("--fail-on", type=FAIL_ON_CHOICE, default=None,
                        help="Exit 1 when an unsuppressed finding at or above this severity remains "
                             "(default: fail-on from [tool.golfcheck], else error).")(f)


@dataclass
class Settings:
    config: Config
    selection: Selection

    def fail_on(self, flag: str | None) -> str:
        return flag or self.config.fail_on


def settings(config_path: str | None, select=(), ignore=(), config: Config | None = None, audited=()) -> Settings:
    """The configuration (``config`` when the caller read it elsewhere) merged with the flags; an
    unknown rule id or prefix in either is a usage error (exit 2) naming it. ``audited``: the paths
    the command reads (a pyproject.toml inside them is never read: see golfcheck.config)."""
    cfg = config if config is not None else load_config(config_path, audited=audited)
    sel = check_codes(split_codes(select), "--select", "--select")
    ign = check_codes(split_codes(ignore), "--ignore", "--ignore")
    return Settings(cfg, cfg.selection(sel, ign))


def internal_errors(findings) -> list:
    return [f for f in findings if is_internal(f)]


def exit_status(findings, fail_on: str, exit_zero: bool = False) -> int:
    """2 with one stderr line per internal error; else 1 if a finding fails ``fail_on``; else 0."""
    crashed = internal_errors(findings)
    if crashed:
        for f in crashed:
            click.echo(f"golfcheck: {one_line(f.path)}: {one_line(f.message)}", err=True)  # names from the submission
        click.echo(f"golfcheck: {len(crashed)} internal error(s): the report is incomplete (exit 2)", err=True)
        return 2
    if exit_zero:
        return 0
    return 1 if fails(findings, fail_on) else 0
