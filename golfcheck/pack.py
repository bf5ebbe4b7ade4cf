"""Pack the reference MDLM into the single self-contained ``train_gpt.py`` a competitor submits.

The challenge counts the code of one script, so the package's modules (the metric primitives from
``golfcheck/metric.py`` and ``reference_model/*.py``) are concatenated in dependency order: their
intra-package imports are removed (every top-level name is unique across the modules, which is
checked), third-party imports are hoisted and de-duplicated, and module docstrings become comment
banners. ``compress=True`` wraps the result in a self-extracting lzma + base85 ``exec`` stub.

This module never imports torch: it only reads and rewrites source text.
"""

from __future__ import annotations

import ast
import base64
import importlib.util
import lzma
from pathlib import Path

from golfcheck.errors import GolfcheckError

# Dependency order: each module only uses names defined by the ones before it.
REFERENCE_MODULES = ("data", "model", "diffusion", "bd3", "quant", "optim", "evaluate", "train")
INTERNAL_PREFIXES = ("golfcheck", "reference_model")


def reference_model_dir() -> Path:
    """The reference_model sources: the installed golfcheck.reference_model, else the checkout's."""
    spec = importlib.util.find_spec("golfcheck.reference_model")
    if spec is not None and spec.submodule_search_locations:
        return Path(list(spec.submodule_search_locations)[0])
    return Path(__file__).resolve().parent.parent / "reference_model"


def source_files() -> list[tuple[str, Path]]:
    """(display name, path) of every packed module, in order."""
    metric = Path(__file__).resolve().parent / "metric.py"
    ref = reference_model_dir()
    return [("golfcheck/metric.py", metric)] + [(f"reference_model/{m}.py", ref / f"{m}.py")
                                               for m in REFERENCE_MODULES]


def _is_internal(node: ast.stmt) -> bool:
    if isinstance(node, ast.ImportFrom):
        return node.level > 0 or (node.module or "").split(".")[0] in INTERNAL_PREFIXES
    if isinstance(node, ast.Import):
        internal = [a.name for a in node.names if a.name.split(".")[0] in INTERNAL_PREFIXES]
        if internal:
            raise GolfcheckError(f"'import {internal[0]}' cannot be inlined; use 'from ... import name'")
    return False


def _defined_names(node: ast.stmt) -> list[str]:
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return [node.name]
    if isinstance(node, (ast.Assign, ast.AnnAssign)):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        return [n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)]
    return []


def _is_main_guard(node: ast.stmt) -> bool:
    return (isinstance(node, ast.If) and isinstance(node.test, ast.Compare)
            and isinstance(node.test.left, ast.Name) and node.test.left.id == "__name__")


def _docstring_node(tree: ast.Module):
    first = tree.body[0] if tree.body else None
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
        return first
    return None


def pack_source() -> str:
    """The packed single-file source (plain text)."""
    imports: list[str] = []
    bodies: list[str] = []
    owners: dict[str, str] = {}
    files = source_files()
    for idx, (name, path) in enumerate(files):
        try:
            text = path.read_text(encoding="utf-8")
            tree = ast.parse(text, filename=str(path))
        except (OSError, SyntaxError) as exc:
            raise GolfcheckError(f"cannot read module for packing: {exc}", str(path)) from exc
        lines = text.splitlines()
        drop: set[int] = set()
        doc = _docstring_node(tree)
        banner = [f"# {'-' * 96}", f"# {name}"]
        if doc is not None:
            banner += [("# " + ln).rstrip() for ln in ast.get_docstring(tree).splitlines()]
            drop.update(range(doc.lineno, doc.end_lineno + 1))
        for node in tree.body:
            span = range(node.lineno, node.end_lineno + 1)
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                drop.update(span)
                if _is_internal(node):
                    for alias in node.names if isinstance(node, ast.ImportFrom) else []:
                        if alias.asname and alias.asname != alias.name:
                            imports.append(f"{alias.asname} = {alias.name}")  # rare; kept correct
                    continue
                stmt = ast.get_source_segment(text, node)
                if stmt not in imports:
                    imports.append(stmt)
            elif _is_main_guard(node) and idx != len(files) - 1:
                drop.update(span)
            for defined in _defined_names(node):
                if defined in owners and owners[defined] != name:
                    raise GolfcheckError(f"top-level name {defined!r} is defined in both {owners[defined]} "
                                         f"and {name}; packing needs unique names", str(path))
                owners[defined] = name
        body = [ln for i, ln in enumerate(lines, start=1) if i not in drop]
        while body and not body[0].strip():
            body.pop(0)
        bodies.append("\n".join(banner) + "\n\n" + "\n".join(body).rstrip() + "\n")
    future = [s for s in imports if s.startswith("from __future__")]
    rest = [s for s in imports if not s.startswith("from __future__")]
    # Internal aliases must come after the definitions they name.
    aliases = [s for s in rest if " = " in s]
    rest = [s for s in rest if " = " not in s]
    header = ('"""Parameter Golf submission: a masked diffusion LM (MDLM) scored by the causal left-to-right\n'
              "chain rule. Generated by `golfcheck pack` from golfcheck/metric.py and reference_model/*.py;\n"
              'edit those files, not this one. Run: python train_gpt.py (settings via environment variables)."""\n')
    out = header + "\n".join(future) + "\n\n" + "\n".join(rest) + "\n\n" + "\n\n".join(bodies)
    if aliases:
        out += "\n" + "\n".join(aliases) + "\n"
    compile(out, "train_gpt.py", "exec")  # fail here, not at the competitor's run
    return out


def compress_source(source: str) -> str:
    """A self-extracting stub: the source, lzma-compressed and base85-encoded, run with exec."""
    payload = base64.b85encode(lzma.compress(source.encode("utf-8"), preset=9 | lzma.PRESET_EXTREME)).decode()
    return ("import base64,lzma\n"
            f'exec(compile(lzma.decompress(base64.b85decode("{payload}")),__file__,"exec"))\n')


def pack(out_path: str | Path, compress: bool = False) -> int:
    """Write the packed script to ``out_path``; returns its size in bytes (the counted code bytes)."""
    source = pack_source()
    if compress:
        source = compress_source(source)
    data = source.encode("utf-8")
    Path(out_path).write_bytes(data)
    return len(data)
