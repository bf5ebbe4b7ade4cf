"""The ``golfcheck`` command line: a thin click shell over the library.

Each command lives in its own module of this package. Every command takes ``--format json``.
Exit codes: 0 no finding at or above ``--fail-on``, 1 findings, 2 usage or internal error.
"""

from __future__ import annotations

import sys

import click

from golfcheck import __version__
from golfcheck.errors import GolfcheckError

COMMANDS = {
    # name: (module, attribute)
    "audit": ("golfcheck.cli.audit", "audit"),
    "rules": ("golfcheck.cli.rules", "rules"),
    "size": ("golfcheck.cli.size", "size"),
    "logs": ("golfcheck.cli.logs", "logs"),
    "validate": ("golfcheck.cli.validate", "validate"),
    "check": ("golfcheck.cli.check", "check"),
    "writeup": ("golfcheck.cli.writeup", "writeup"),
    "gate": ("golfcheck.cli.gate", "gate"),
    "pack": ("golfcheck.cli.pack", "pack"),
    "decode": ("golfcheck.cli.decode", "decode"),
    "hook": ("golfcheck.cli.hook", "hook"),
}


class LazyGroup(click.Group):
    """Imports a command's module only when that command runs (keeps `golfcheck audit` light)."""

    def list_commands(self, ctx):
        return list(COMMANDS)

    def get_command(self, ctx, name):
        if name not in COMMANDS:
            return None
        import importlib

        module_name, attr = COMMANDS[name]
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name == module_name:
                return None  # command not built yet
            raise
        return getattr(module, attr)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="golfcheck")
def cli():
    """golfcheck: would this Parameter Golf submission be accepted?"""


def main(argv: list[str] | None = None) -> int:
    """Console entry point: never shows a traceback; bad input exits 2 with one line."""
    try:
        rv = cli.main(args=argv, prog_name="golfcheck", standalone_mode=False)
    except GolfcheckError as exc:
        click.echo(f"golfcheck: {exc}", err=True)
        return 2
    except click.exceptions.Abort:
        click.echo("golfcheck: aborted", err=True)
        return 2
    except click.ClickException as exc:
        exc.show()
        return 2 if exc.exit_code not in (0, 1) else exc.exit_code
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except KeyboardInterrupt:
        click.echo("golfcheck: interrupted", err=True)
        return 2
    except Exception as exc:  # noqa: BLE001 - last line of defence: one line, exit 2
        where = getattr(exc, "golfcheck_path", None)
        click.echo(f"golfcheck: {where + ': ' if where else ''}internal error: {type(exc).__name__}: {exc}", err=True)
        return 2
    return rv if isinstance(rv, int) else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
