"""GC502: code that runs but is not counted (a simple static check; nothing is executed).

Looks in the counted file (and in the decoded payload of a self-extracting wrapper) for local
``import X`` / ``from X import`` resolving to a ``.py`` in the folder, ``exec(open(<sibling>))``
stubs, ``runpy``/``importlib`` of a sibling, and native build/load calls (``load_inline``,
``cpp_extension.load``, ``ctypes``, compiler subprocesses).
"""

from __future__ import annotations

import ast
import posixpath
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from golfcheck.checks.common import README_RULES, finding
from golfcheck.findings import Finding, Severity
from golfcheck.source import MAX_SOURCE_CHARS, python_ast
from golfcheck.submission import Submission

COMPILERS = ("g++", "gcc", "nvcc", "clang++", "clang", "c++")
NATIVE_SUFFIXES = (".cpp", ".cc", ".cu", ".cuh", ".c", ".so")


@dataclass
class CodeRef:
    kind: str  # import | exec | native
    target: str | None  # relative path of the sibling, when there is one
    line: int
    text: str
    in_payload: bool = False


@dataclass
class CountedCode:
    counted: str | None
    extra: list[str] = field(default_factory=list)  # siblings that run and must be counted
    refs: list[CodeRef] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    reasons: dict[str, str] = field(default_factory=dict)  # counted path -> why it is counted
    wrapper: bool = False  # the counted file is a self-extracting wrapper (counted as shipped)


def cite(rel: str, line: int, in_payload: bool) -> str:
    """``train_gpt.py (payload line 527)`` for a line of a decoded wrapper, else ``ngram_tilt.py:50``."""
    return f"{rel} (payload line {line})" if in_payload else f"{rel}:{line}"


# exec(...) whose argument chain decodes something: the self-extracting wrapper shape
_WRAPPER = re.compile(r"\bexec\s*\([^\n]{0,200}?(b85decode|b64decode|a85decode|decompress|unhexlify)")
_DECODE_CALL = re.compile(r"(?:b85decode|b64decode|a85decode)\s*\(\s*")
_LITERAL = re.compile(r"""\s*[bB]?(['"])([^'"\\\n]*)\1\s*""")
_BLOB = re.compile(r"""[bB]?(['"])([^'"\\\n]{64,})\1""")


def _fast_decode(text: str) -> list[str]:
    """Decode the common self-extracting wrappers (base85/base64 + raw LZMA2/xz/zlib/brotli) quickly."""
    import base64
    import binascii
    import lzma

    try:
        from golfcheck.decompress import DecompressionError, decompress
    except Exception:  # noqa: BLE001
        return []
    out = []
    blobs = [m.group(2) for m in _BLOB.finditer(text)]
    # implicit concatenation: b85decode("..." "..." ...) split over lines
    for m in _DECODE_CALL.finditer(text):
        parts, pos = [], m.end()
        while True:
            lit = _LITERAL.match(text, pos)
            if not lit:
                break
            parts.append(lit.group(2))
            pos = lit.end()
        if len(parts) > 1:
            blobs.insert(0, "".join(parts))
    for blob in blobs:
        for decode in (base64.b85decode, base64.b64decode, base64.a85decode):
            try:
                raw = decode(blob)
            except (ValueError, binascii.Error):
                continue
            for method, kw in (("lzma-raw", {"format": lzma.FORMAT_RAW, "filters": [{"id": lzma.FILTER_LZMA2}]}),
                               ("lzma", {}), ("zlib", {}), ("brotli", {})):
                try:
                    data = decompress(raw, method, 16 * 1024 * 1024, **kw)
                except (DecompressionError, Exception):  # noqa: BLE001 - wrong guess, try the next
                    continue
                try:
                    code = data.decode("utf-8")
                except UnicodeDecodeError:
                    continue
                if "import" in code or "def " in code:
                    out.append(code)
                    break
            if out:
                break
    return out


def _payloads(sub: Submission, rel: str) -> list[tuple[str, bool]]:
    """The counted file's text, plus decoded wrapper payloads (fast path, else the source normaliser)."""
    texts: list[tuple[str, bool]] = []
    cf = next((f for f in sub.code_files if f.rel == rel), None)
    if cf is None:
        return texts
    texts.append((cf.text, False))
    if not _WRAPPER.search(cf.text) and (cf.text.isascii() or not _WRAPPER.search(unicodedata.normalize("NFKC", cf.text))):
        return texts  # (NFKC: Python reads the identifier ｅｘｅｃ as exec)
    fast = _fast_decode(cf.text)
    if fast:
        return texts + [(t, True) for t in fast]
    try:  # the engine's static wrapper decoder (nested or unusual wrappers); best effort
        from golfcheck.facts import Facts
        from golfcheck.source import Normaliser

        norm = Normaliser(Path(sub.root), analyse=Facts.build).run([rel])
        for src in norm.sources:
            if src.in_payload and src.path == rel:
                texts.append((src.text, True))
    except Exception:  # noqa: BLE001
        pass
    return texts


_IMPORT_ANYWHERE = re.compile(r"(?:^|[;:]\s*)(?:from\s+(\.*[\w.]+)\s+import\b|import\s+([\w.]+(?:\s*,\s*[\w.]+)*))")


def _sibling(sub: Submission, base: str, name: str) -> str | None:
    rels = {f.rel for f in sub.code_files}
    parts = [p for p in name.lstrip(".").split(".") if p]
    for n in range(len(parts), 0, -1):
        stem = posixpath.normpath(posixpath.join(base, *parts[:n]))
        for cand in (stem + ".py", stem + "/__init__.py"):
            if cand in rels:
                return cand
    return None


_EXEC_CALLS = frozenset({
    "exec", "eval", "compile", "runpy.run_path", "run_path", "importlib.import_module", "import_module",
    "__import__", "importlib.util.spec_from_file_location", "spec_from_file_location", "open",
})


def _dotted(node: ast.AST) -> str:
    """``a.b.c`` for a Name/Attribute chain, else the source of the expression (only names matter here)."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return ast.unparse(node) + ("." + ".".join(reversed(parts)) if parts else "")


def _str_consts(node: ast.AST) -> list[str]:
    return [n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)]


def scan(text: str, sub: Submission, rel: str, in_payload: bool = False) -> list[CodeRef]:
    base = posixpath.dirname(rel)
    me = posixpath.basename(rel)
    siblings = {posixpath.basename(f.rel): f.rel for f in sub.code_files if f.rel != rel}
    refs: list[CodeRef] = []
    lines = text.splitlines()

    def src(n: int) -> str:
        return lines[n - 1].strip()[:120] if 0 < n <= len(lines) else ""

    try:
        # code too large to analyse (GC002 from the audit) is scanned line by line, not parsed
        tree = python_ast(text) if len(text) <= MAX_SOURCE_CHARS else None
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        tree = None
    if tree is None:
        for i, line in enumerate(lines, 1):  # regex fallback for code this Python cannot parse
            for m in _IMPORT_ANYWHERE.finditer(line.strip()):
                names = [m.group(1)] if m.group(1) else [n.strip() for n in m.group(2).split(",")]
                for name in names:
                    if name and (t := _sibling(sub, base, name)):
                        refs.append(CodeRef("import", t, i, line.strip()[:120], in_payload))
            for b, r in siblings.items():
                if b in line and ("open(" in line or "exec" in line):
                    refs.append(CodeRef("exec", r, i, line.strip()[:120], in_payload))
        return refs
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                t = _sibling(sub, base, a.name)
                if t:
                    refs.append(CodeRef("import", t, node.lineno, src(node.lineno), in_payload))
        elif isinstance(node, ast.ImportFrom):
            name = "." * node.level + (node.module or "")
            targets = [_sibling(sub, base, name)] if node.module else []
            if not node.module:  # from . import x
                targets = [_sibling(sub, base, a.name) for a in node.names]
            for t in filter(None, targets):
                refs.append(CodeRef("import", t, node.lineno, src(node.lineno), in_payload))
        elif isinstance(node, ast.Call):
            fn = _dotted(node.func)
            low = fn.lower()
            last = low.rsplit(".", 1)[-1]
            # exec(open("x.py").read()), runpy.run_path("x.py"), importlib / spec_from_file_location
            if fn in _EXEC_CALLS:
                consts = _str_consts(node)
                for c in consts:
                    b = posixpath.basename(c)
                    if b in siblings:
                        refs.append(CodeRef("exec" if fn != "open" else "open", siblings[b], node.lineno,
                                            src(node.lineno), in_payload))
                    elif fn in ("importlib.import_module", "import_module", "__import__") and (t := _sibling(sub, base, c)):
                        refs.append(CodeRef("import", t, node.lineno, src(node.lineno), in_payload))
                # __file__.replace("a", "b") naming a sibling
                for sub_node in ast.walk(node):
                    if (isinstance(sub_node, ast.Call) and isinstance(sub_node.func, ast.Attribute)
                            and sub_node.func.attr == "replace" and len(sub_node.args) == 2
                            and all(isinstance(a, ast.Constant) and isinstance(a.value, str) for a in sub_node.args)):
                        cand = me.replace(sub_node.args[0].value, sub_node.args[1].value)
                        if cand in siblings:
                            refs.append(CodeRef("exec", siblings[cand], node.lineno, src(node.lineno), in_payload))
            if last in ("load_inline", "cdll", "pydll", "windll", "loadlibrary") or low.endswith("cpp_extension.load"):
                refs.append(CodeRef("native", None, node.lineno, src(node.lineno), in_payload))
            elif last in ("run", "call", "check_call", "check_output", "popen", "system") and \
                    any(c.split()[0] in COMPILERS for c in _str_consts(node) if c.strip()):
                refs.append(CodeRef("native", None, node.lineno, src(node.lineno), in_payload))
    # `open` of a sibling only counts when its content is executed somewhere in the file
    if not any(r.kind == "exec" for r in refs) and "exec(" in text:
        refs = [CodeRef("exec", r.target, r.line, r.text, r.in_payload) if r.kind == "open" else r for r in refs]
    refs = [r for r in refs if r.kind != "open"]
    uniq: dict[tuple, CodeRef] = {}
    for r in refs:
        uniq.setdefault((r.kind, r.target, r.line, r.in_payload), r)
    return sorted(uniq.values(), key=lambda r: (r.line, r.kind))


def check_counted_code(sub: Submission, profile: str = "record") -> CountedCode:
    """What counts toward the artifact's code bytes, and why: the counted file as shipped (a
    self-extracting wrapper counts compressed, as shipped), every Python file of the folder it runs
    (imports, exec stubs; followed transitively), and every native source or library of the folder
    that a counted file compiles or loads (named in a file that builds or loads native code)."""
    counted = sub.counted_file
    out = CountedCode(counted.rel if counted else None)
    if counted is None:
        return out
    payloads = _payloads(sub, counted.rel)
    out.wrapper = any(in_payload for _, in_payload in payloads)
    out.reasons[counted.rel] = ("the counted script, as shipped (a self-extracting wrapper: its compressed bytes)"
                                if out.wrapper else "the counted script, as shipped")
    natives = [p for p in sub.other_files if p.suffix.lower() in NATIVE_SUFFIXES]
    native_rels = {(str(p.relative_to(sub.root)).replace("\\", "/") if p.is_relative_to(sub.root) else p.name): p
                   for p in natives}
    todo = [counted.rel]
    seen = {counted.rel}
    while todo:  # follow imports of imported siblings too
        rel = todo.pop(0)
        texts = payloads if rel == counted.rel else [(next(f.text for f in sub.code_files if f.rel == rel), False)]
        for text, in_payload in texts:
            refs = scan(text, sub, rel, in_payload)
            builds = [r for r in refs if r.kind == "native"]
            for nrel in native_rels:
                if builds and nrel not in seen and posixpath.basename(nrel) in text:
                    b = builds[0]
                    seen.add(nrel)
                    out.extra.append(nrel)
                    out.reasons[nrel] = (f"native code built or loaded by {cite(rel, b.line, b.in_payload)} "
                                         f"(`{b.text[:60]}`), which names it")
            for ref in refs:
                out.refs.append(ref)
                where = " (in the decoded payload)" if ref.in_payload else ""
                if ref.kind == "native":
                    out.findings.append(finding(
                        "GC502", Severity.WARNING, sub, rel, ref.line,
                        f"native code built or loaded at run time{where}: `{ref.text}`; its source must be "
                        f"counted in {counted.rel}", README_RULES, profile, in_payload=ref.in_payload))
                    continue
                if ref.target and ref.target not in seen:
                    seen.add(ref.target)
                    out.extra.append(ref.target)
                    todo.append(ref.target)
                    verb = "imported" if ref.kind == "import" else "executed"
                    out.reasons[ref.target] = f"{verb} by {cite(rel, ref.line, ref.in_payload)}"
                    out.findings.append(finding(
                        "GC502", Severity.WARNING, sub, rel, ref.line,
                        f"{ref.target} is {verb} by {rel}{where} "
                        f"(`{ref.text}`) but lives outside the counted file; all counted code should live in "
                        f"{counted.rel}", README_RULES, profile, in_payload=ref.in_payload))
    for nrel in native_rels:
        if nrel in seen:
            continue
        out.findings.append(finding(
            "GC502", Severity.NOTE, sub, nrel, 1,
            f"native source or library shipped beside {counted.rel}: not counted (no counted file names it and "
            f"builds or loads native code); count it if the script builds or loads it", README_RULES, profile))
    return out
