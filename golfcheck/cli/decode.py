"""``golfcheck decode FILE [--lines A-B]``: a shipped file's decoded source, with line numbers.

Findings inside a self-extracting wrapper cite ``train_gpt.py (payload line 527)``: a line of the
decoded payload, which the two-line shipped file does not have. This prints that payload, decoded
statically (size-capped; nothing is executed), numbered as the findings number it.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from golfcheck.errors import GolfcheckError


def parse_range(text: str | None) -> tuple[int, int | None]:
    """``527`` / ``520-530`` / ``520-`` / ``-30`` -> (first, last) 1-based, last None = to the end."""
    if not text:
        return 1, None
    try:
        if "-" not in text:
            n = int(text)
            return n, n
        a, b = text.split("-", 1)
        first, last = int(a) if a.strip() else 1, int(b) if b.strip() else None
    except ValueError:
        raise GolfcheckError(f"--lines expects N, A-B, A- or -B, got {text!r}") from None
    if first < 1 or (last is not None and last < first):
        raise GolfcheckError(f"--lines {text!r} is not a range of lines")
    return first, last


def payloads(path: Path) -> tuple[list[tuple[str, str]], list[str]]:
    """[(origin, decoded text)] of every wrapper layer of ``path``, and the problems met decoding it."""
    from golfcheck.facts import Facts
    from golfcheck.source import Normaliser

    norm = Normaliser(path.parent, analyse=Facts.build).run([path.name])
    layers = [(s.origin, s.text) for s in norm.sources if s.path == path.name and s.in_payload]
    problems = [f"{f.location}: {f.message}" for f in norm.findings
                if f.path == path.name and f.rule in ("GC001", "GC002") and "native" not in f.message]
    return layers, problems


@click.command()
@click.argument("file", type=click.Path())
@click.option("--lines", "line_range", default=None, help="Only these lines: N, A-B, A- or -B (1-based).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", help="Output format.")
def decode(file, line_range, fmt):
    """Print a shipped file's decoded source with line numbers (the lines that payload findings cite).

    A self-extracting wrapper (exec of lzma/zlib/brotli/base85/base64 chains) is decoded statically,
    with a size cap, and never run. A file that is not a wrapper is printed as it is.
    """
    path = Path(file)
    if not path.is_file():
        raise GolfcheckError("no such file" if not path.exists() else "not a file", file)
    first, last = parse_range(line_range)
    layers, problems = payloads(path)
    if not layers and problems:
        raise GolfcheckError("cannot decode statically: " + problems[0].split(": ", 1)[-1], file)
    wrapper = bool(layers)
    if not layers:
        from golfcheck.submission import read_text

        layers = [("file", read_text(path))]
    out = []
    for origin, text in layers:
        lines = text.splitlines()
        stop = len(lines) if last is None else min(last, len(lines))
        out.append({"origin": origin, "line_count": len(lines),
                    "lines": [{"no": n, "text": lines[n - 1]} for n in range(first, stop + 1)]})
    if fmt == "json":
        click.echo(json.dumps({"path": str(path), "wrapper": wrapper, "payloads": out}, indent=2))
        return 0
    for layer in out:
        what = (f"decoded payload ({layer['origin'].removeprefix('wrapper:')})" if wrapper
                else "not a self-extracting wrapper: the file as shipped")
        click.echo(f"# {path}: {what}, {layer['line_count']} lines")
        width = len(str(layer["line_count"]))
        for ln in layer["lines"]:
            click.echo(f"{ln['no']:>{width}}  {ln['text']}")
        if not layer["lines"]:
            click.echo(f"(no line in {first}-{'' if last is None else last}: the payload has {layer['line_count']})")
    return 0
