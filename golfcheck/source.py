"""Source normalisation: what code does a shipped file really run?

Self-extracting wrappers (``exec(lzma.decompress(base64.b85decode("...")), ...)``, raw LZMA2 with
the call's own ``format``/``filters``, zlib, gzip, bz2, brotli, base64/base85 chains, nested) are
decoded statically — nothing is ever executed — with every decompression size-capped.
``exec(open(<sibling>).read())`` stubs and local imports are followed inside the submission folder
only. Code that cannot be decoded, and native helpers (``load_inline``, ``ctypes``, compiler
subprocesses), are reported as opaque (GC002).
"""

from __future__ import annotations

import base64
import binascii
import codecs
import lzma
import os
import posixpath
import zlib
from contextlib import contextmanager
from dataclasses import replace, dataclass, field
from pathlib import Path
from typing import Any, Iterable

import libcst as cst

from golfcheck.decompress import DEFAULT_CAP, DecompressionError, decompress
from golfcheck.findings import Finding, Severity

MAX_DEPTH = 6  # nested wrappers
# Limits that keep one pathological file from hanging an audit (each gives a GC002 naming the limit):
MAX_SOURCE_CHARS = 8_000_000  # a file or decoded payload bigger than this is not parsed (largest real one: 1.6 MB)
MAX_NESTING = 150  # CPython AST depth (a 3,781-line record train_gpt.py measures 18); libcst slows superlinearly
DECODED_CAP = 16 * 1024 * 1024  # no honest train_gpt.py decodes to more than this

NATIVE_CALLS = {
    "load_inline": "torch.utils.cpp_extension.load_inline compiles inline C++/CUDA",
    "cpp_extension.load": "torch.utils.cpp_extension.load compiles a C++/CUDA extension",
    "CDLL": "ctypes.CDLL loads a native library",
    "cdll.LoadLibrary": "ctypes loads a native library",
    "ctypes.PyDLL": "ctypes loads a native library",
}
COMPILERS = ("g++", "gcc", "nvcc", "clang", "clang++", "c++", "cc", "make", "cmake")
NATIVE_SUFFIXES = (".cpp", ".cc", ".cu", ".cuh", ".c", ".h", ".hpp", ".so")


@dataclass
class Source:
    """One unit of code to analyse.

    ``path`` is the shipped file (relative to the audited root); ``text`` is the code to parse —
    the file itself, or the decoded payload of a wrapper (``in_payload``), whose line numbers refer
    to that payload.
    """

    path: str
    text: str
    in_payload: bool = False
    origin: str = "file"  # file | wrapper:<chain> | sibling-exec | local-import
    via: str | None = None  # the file that led here (exec stub, importer)


@dataclass
class Normalised:
    sources: list[Source] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)  # GC001 / GC002 raised while normalising


class Opaque(Exception):
    """An expression golfcheck will not or cannot evaluate statically."""


class _Unknown:
    pass


# ------------------------------------------------------------------------------------ evaluation
DECODERS = {
    "base64.b85decode": base64.b85decode,
    "base64.b64decode": base64.b64decode,
    "base64.standard_b64decode": base64.standard_b64decode,
    "base64.urlsafe_b64decode": base64.urlsafe_b64decode,
    "base64.a85decode": base64.a85decode,
    "base64.b32decode": base64.b32decode,
    "base64.b16decode": base64.b16decode,
    "base64.decodebytes": base64.decodebytes,
    "binascii.a2b_base64": binascii.a2b_base64,
    "binascii.unhexlify": binascii.unhexlify,
    "bytes.fromhex": bytes.fromhex,
}
DECOMPRESSORS = {
    "lzma.decompress": "lzma",
    "zlib.decompress": "zlib",
    "gzip.decompress": "gzip",
    "bz2.decompress": "bz2",
    "brotli.decompress": "brotli",
    "zstandard.decompress": "zstd",
}
CONST_MODULES = {"lzma": lzma, "zlib": zlib}
MODULE_FUNCTIONS = {"codecs.decode", "os.path.join", "posixpath.join", "os.path.dirname", "os.path.abspath",
                    "os.path.realpath", "io.open", "pathlib.Path"}


def string_value(node: cst.SimpleString) -> str | bytes | None:
    """The value of a string literal, as ``evaluated_value`` gives it, without ``literal_eval`` where the
    literal has no escapes (``literal_eval`` compiles: ~100 us a string); None if it cannot be evaluated."""
    text = node.value
    if "\\" not in text and "\r" not in text:
        prefix = node.prefix.lower()
        if prefix in ("", "u", "r"):
            quote = node.quote
            return text[len(prefix) + len(quote):len(text) - len(quote)]
    try:
        return node.evaluated_value
    except Exception:  # noqa: BLE001 - a literal Python rejects (never raised for parsed code)
        return None


def dotted_name(node: cst.CSTNode) -> str | None:
    """``a.b.c`` for Name/Attribute chains, else None."""
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        base = dotted_name(node.value)
        return f"{base}.{node.attr.value}" if base else None
    return None


class StaticEvaluator:
    """Evaluates the decode chain of a wrapper: literals, module constants and an allowlist of calls."""

    def __init__(self, aliases: dict[str, str], consts: dict[str, cst.BaseExpression], file_name: str):
        self.aliases = aliases  # local name -> qualified name ("L" -> "lzma", "b85decode" -> "base64.b85decode")
        self.consts = consts
        self.file_name = file_name
        self.chain: list[str] = []
        self._depth = 0

    def qualify(self, node: cst.CSTNode) -> str | None:
        name = dotted_name(node)
        if not name:
            return None
        head, _, rest = name.partition(".")
        base = self.aliases.get(head, head)
        return f"{base}.{rest}" if rest else base

    def eval(self, node: cst.CSTNode) -> Any:
        self._depth += 1
        try:
            if self._depth > 60:
                raise Opaque("expression too deep")
            return self._eval(node)
        finally:
            self._depth -= 1

    def _eval(self, node: cst.CSTNode) -> Any:
        if isinstance(node, (cst.SimpleString, cst.ConcatenatedString)):
            value = node.evaluated_value
            if value is None:
                raise Opaque("string literal")
            return value
        if isinstance(node, cst.Integer):
            return int(node.value, 0)
        if isinstance(node, (cst.List, cst.Tuple)):
            return [self.eval(el.value) for el in node.elements]
        if isinstance(node, cst.Dict):
            out = {}
            for el in node.elements:
                if not isinstance(el, cst.DictElement):
                    raise Opaque("dict unpacking")
                out[self.eval(el.key)] = self.eval(el.value)
            return out
        if isinstance(node, cst.BinaryOperation):
            left, right = self.eval(node.left), self.eval(node.right)
            if isinstance(node.operator, cst.BitOr):
                return left | right
            if isinstance(node.operator, cst.Add):
                return left + right
            raise Opaque("operator")
        if isinstance(node, cst.Name):
            if node.value == "__file__":
                return self.file_name
            if node.value in self.consts:
                value = self.consts.pop(node.value)  # guard against self-reference
                try:
                    return self.eval(value)
                finally:
                    self.consts[node.value] = value
            qual = self.aliases.get(node.value)
            if qual:
                return self._module_const(qual)
            raise Opaque(f"name {node.value}")
        if isinstance(node, cst.Attribute):
            qual = self.qualify(node)
            if qual:
                return self._module_const(qual)
            raise Opaque("attribute")
        if isinstance(node, cst.Call):
            return self._call(node)
        raise Opaque(type(node).__name__)

    def _module_const(self, qual: str) -> Any:
        mod, _, attr = qual.rpartition(".")
        if mod in CONST_MODULES and attr.isupper():
            value = getattr(CONST_MODULES[mod], attr, _Unknown)
            if value is not _Unknown:
                return value
        raise Opaque(qual)

    def _is_module_function(self, func: cst.Attribute) -> bool:
        """``codecs.decode``/``base64.b64decode``: a function of an imported module, not a method call."""
        qual = self.qualify(func)
        if qual in DECODERS or qual in DECOMPRESSORS or qual in MODULE_FUNCTIONS:
            return True
        head = dotted_name(func.value)
        return head is not None and head.split(".", 1)[0] in self.aliases and head.split(".", 1)[0] not in self.consts

    def _call(self, node: cst.Call) -> Any:
        args = [a for a in node.args if a.keyword is None and not a.star]
        kwargs = {a.keyword.value: a.value for a in node.args if a.keyword is not None}
        func = node.func
        # Method calls on evaluated values: x.decode(), x.encode(), s.replace(a, b), open(p).read()
        if isinstance(func, cst.Attribute) and not self._is_module_function(func):
            method = func.attr.value
            if method in ("decode", "encode", "replace", "read", "read_text", "strip"):
                receiver = self.eval(func.value)
                if isinstance(receiver, _FileRef):
                    if method in ("read", "read_text"):
                        return receiver
                    raise Opaque("file method")
                vals = [self.eval(a.value) for a in args]
                if method == "decode" and isinstance(receiver, (bytes, bytearray)):
                    encoding = next((v for v in vals if isinstance(v, str)), "utf-8")
                    return bytes(receiver).decode(encoding, errors="replace")
                if method == "encode" and isinstance(receiver, str):
                    return receiver.encode("utf-8")
                if method == "replace" and isinstance(receiver, (str, bytes)) and len(vals) == 2:
                    return receiver.replace(vals[0], vals[1])
                if method == "strip" and isinstance(receiver, (str, bytes)):
                    return receiver.strip()
                raise Opaque(f".{method}()")
        qual = self.qualify(func)
        if qual in DECODERS:
            data = self.eval(args[0].value)
            self.chain.append(qual.rsplit(".", 1)[1])
            try:
                return DECODERS[qual](data)
            except (ValueError, TypeError, binascii.Error) as exc:
                raise Opaque(f"{qual} failed: {exc}") from None
        if qual in DECOMPRESSORS:
            data = self.eval(args[0].value)
            method = DECOMPRESSORS[qual]
            kw = {}
            if method == "lzma":
                if "format" in kwargs:
                    kw["format"] = self.eval(kwargs["format"])
                if "filters" in kwargs:
                    kw["filters"] = self.eval(kwargs["filters"])
                if kw.get("format") == lzma.FORMAT_RAW:
                    method = "lzma-raw"
            self.chain.append(method)
            try:
                return decompress(bytes(data), method, cap=DECODED_CAP, **kw)
            except DecompressionError as exc:
                raise Opaque(f"{method}: {exc}") from None
        if qual == "codecs.decode" and len(args) >= 2:
            data, enc = self.eval(args[0].value), self.eval(args[1].value)
            if enc in ("base64", "base_64", "hex", "zlib", "zip", "bz2", "rot13", "rot_13", "utf-8", "utf8"):
                if enc in ("zlib", "zip"):
                    return decompress(bytes(data), "zlib", cap=DECODED_CAP)
                if enc == "bz2":
                    return decompress(bytes(data), "bz2", cap=DECODED_CAP)
                self.chain.append(enc)
                return codecs.decode(data, enc)
            raise Opaque(f"codecs.decode {enc}")
        if qual == "str" and len(args) >= 1:
            value = self.eval(args[0].value)
            if isinstance(value, (bytes, bytearray)):
                return bytes(value).decode("utf-8", errors="replace")
            if isinstance(value, str):
                return value
            raise Opaque("str()")
        if qual == "compile" and args:
            return self.eval(args[0].value)
        if qual in ("open", "io.open", "pathlib.Path", "Path") and args:
            target = self.eval(args[0].value)
            if isinstance(target, str):
                return _FileRef(target)
            raise Opaque("open()")
        if qual in ("os.path.join", "posixpath.join"):
            parts = [self.eval(a.value) for a in args]
            if all(isinstance(p, str) for p in parts):
                return posixpath.join(*parts)
        if qual in ("os.path.dirname", "os.path.abspath", "os.path.realpath") and args:
            value = self.eval(args[0].value)
            if isinstance(value, str):
                return posixpath.dirname(value) if qual.endswith("dirname") else value
        raise Opaque(f"call {qual or '<expr>'}")


@dataclass(frozen=True)
class _FileRef:
    path: str


# ------------------------------------------------------------------------------------ collection
def native_calls(facts) -> list[tuple[str, int, int]]:
    """Calls that load or build native code: (why, line, col)."""
    out = []
    for _f, c in facts.all_calls():
        name = c.func or ""
        for key, why in NATIVE_CALLS.items():
            if name == key or name.endswith("." + key):
                out.append((why, c.line, c.col))
                break
        else:
            if c.name in ("run", "call", "check_call", "check_output", "Popen", "system"):
                text = facts.code(c.node)
                for comp in COMPILERS:
                    if any(q + comp + e in text for q in "\"'" for e in ("\"", "'", " ")):
                        out.append((f"subprocess runs the compiler {comp}", c.line, c.col))
                        break
    return out


def exec_calls(facts) -> list[tuple[cst.Call, int, int]]:
    return [(c.node, c.line, c.col) for _f, c in facts.all_calls() if c.func in ("exec", "eval", "builtins.exec") and c.node.args]


def _gc001(path: str, line: int, col: int, message: str, in_payload: bool) -> Finding:
    return Finding("GC001", Severity.ERROR, path, line, col, message, in_payload=in_payload,
                   ruling="README: train_gpt.py must compile and run from the records folder")


def _gc002(path: str, line: int, col: int, message: str, in_payload: bool) -> Finding:
    return Finding("GC002", Severity.WARNING, path, line, col, message, in_payload=in_payload,
                   ruling="RULES.md §3.1: code golfcheck cannot read needs a human reviewer")


def decode_text(data: bytes, path: str) -> tuple[str | None, Finding | None]:
    """UTF-8 text of a code file, or a GC001 finding saying why it is not Python source."""
    if not data.strip():
        if posixpath.basename(path) == "__init__.py":
            return "", None  # an empty package marker is ordinary Python
        return None, _gc001(path, 1, 0, "file is empty: nothing to run", False)
    if b"\x00" in data[:8192]:
        return None, _gc001(path, 1, 0, "file is binary, not Python source", False)
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return None, _gc001(path, line, 0, f"file is not valid UTF-8 (byte {exc.start})", False)


_AST_CACHE: dict[str, object] = {}


def python_ast(text: str):
    """CPython's AST of ``text`` (raises as ``ast.parse`` does), shared by the checks that need it:
    the pre-parse guard and the counted-code scan parse the same sources (a few recent texts kept)."""
    import ast

    tree = _AST_CACHE.get(text)
    if tree is None:
        tree = ast.parse(text)
        if len(_AST_CACHE) >= 4:
            _AST_CACHE.pop(next(iter(_AST_CACHE)))
        _AST_CACHE[text] = tree
    return tree


def _nesting_depth(tree) -> int:
    """Deepest path in a CPython AST (iterative: deep trees must not recurse; fields read directly,
    which is ~2x faster than ``ast.iter_child_nodes``)."""
    import ast

    best = 0
    stack = [(tree, 0)]
    pop, push, node_type = stack.pop, stack.append, ast.AST
    while stack:
        node, depth = pop()
        if depth > best:
            best = depth
        depth += 1
        for name in node._fields:
            if name == "ctx":
                continue
            value = getattr(node, name, None)
            if type(value) is list:
                for item in value:
                    if isinstance(item, node_type):
                        push((item, depth))
            elif isinstance(value, node_type):
                push((value, depth))
    return best


def _bracket_depth(text: str) -> int:
    """Rough bracket nesting of raw text (strings not excluded): a guard for files CPython rejects."""
    depth = best = 0
    for ch in text:
        if ch in "([{":
            depth += 1
            if depth > best:
                best = depth
        elif ch in ")]}" and depth:
            depth -= 1
    return best


def _syntax_finding(source: Source, where: str, err: SyntaxError) -> Finding:
    """GC001 for a syntax error; GC002 when it may be newer syntax than this Python can check."""
    import sys

    line, col = max(1, err.lineno or 1), max(0, (err.offset or 1) - 1)
    if sys.version_info < (3, 12) and (err.msg or "").startswith("f-string"):
        # PEP 701 (Python 3.12) allows quotes and backslashes inside f-string braces; 3.11 cannot tell
        return _gc002(source.path, line, col, f"{where} does not parse on Python "
                      f"{sys.version_info.major}.{sys.version_info.minor} ({err.msg}); it may be Python 3.12+ "
                      "f-string syntax: run golfcheck on Python 3.12+ or have a human read it", source.in_payload)
    return _gc001(source.path, line, col, f"{where} does not parse: {err.msg}", source.in_payload)


@contextmanager
def _unvalidated_nodes():
    """libcst validates every node as it is built (``CSTNode.__post_init__``); switch that off for one
    parse of code CPython has already accepted. Restored on exit; golfcheck parses on one thread."""
    base = cst.CSTNode
    saved = base.__dict__["__post_init__"]
    base.__post_init__ = _no_validation
    try:
        yield
    finally:
        base.__post_init__ = saved


def _no_validation(self) -> None:
    pass


def parse(source: Source) -> tuple[cst.Module | None, Finding | None]:
    """libcst parse; a syntax error becomes GC001, a file too big or deep to analyse GC002 (never an exception).

    CPython's own parser runs first: it is ~5x faster, has guards against pathological nesting that
    libcst's native parser lacks (nested calls 200 deep take libcst seconds, 1,000 deep minutes),
    and it gives the error position a Python user expects.
    """
    where = "decoded payload" if source.in_payload else "file"
    text = source.text
    if len(text) > MAX_SOURCE_CHARS:
        return None, _gc002(source.path, 1, 0, f"{where} is too large to analyse ({len(text):,} characters; "
                            f"the limit is {MAX_SOURCE_CHARS:,}): a human must read it", source.in_payload)
    py_error: SyntaxError | None = None
    try:
        tree = python_ast(text)
    except SyntaxError as err:
        py_error = err
        if _bracket_depth(text) > MAX_NESTING:
            return None, _gc001(source.path, max(1, err.lineno or 1), max(0, (err.offset or 1) - 1),
                                f"{where} does not parse: {err.msg}", source.in_payload)
    except (RecursionError, MemoryError, ValueError, OverflowError) as exc:
        return None, _gc002(source.path, 1, 0, f"{where} is too deeply nested or too large for Python's own parser "
                            f"({type(exc).__name__}): a human must read it", source.in_payload)
    else:
        depth = _nesting_depth(tree)
        del tree
        if depth > MAX_NESTING:
            return None, _gc002(source.path, 1, 0, f"{where} nests {depth} levels deep (limit {MAX_NESTING}): "
                                "too deep to analyse statically, a human must read it", source.in_payload)
    try:
        return cst.parse_module(text), None
    except cst.ParserSyntaxError as exc:
        if py_error is None:
            # Python accepts it, libcst does not (e.g. a string literal concatenated over thousands of lines)
            return None, _gc002(source.path, max(1, exc.raw_line), max(0, exc.raw_column),
                                f"{where} is valid Python but golfcheck's parser cannot read it "
                                f"({exc.message.splitlines()[0] if exc.message else 'parser error'}): a human must read it",
                                source.in_payload)
        return None, _syntax_finding(source, where, py_error)
    except Exception as exc:  # noqa: BLE001 - CSTValidationError, RecursionError, MemoryError: never a crash
        # libcst builds nodes with validation; minified code CPython accepts can fail it
        # (e.g. "Must have at least one space before 'for' keyword" in a decoded payload)
        if py_error is not None:
            return None, _syntax_finding(source, where, py_error)
        if isinstance(exc, cst.CSTValidationError):
            # CPython accepted it, so the grammar is fine; libcst's node checks are stricter about
            # whitespace than Python (`else(x)`, `a or(b)` in minified code). Build the tree unchecked.
            try:
                with _unvalidated_nodes():
                    return cst.parse_module(text), None
            except Exception:  # noqa: BLE001 - fall through to the GC002 below
                pass
        detail = " ".join(str(exc).split())[:160]
        return None, _gc002(source.path, 1, 0, f"{where} is valid Python but golfcheck's parser cannot read it "
                            f"({type(exc).__name__}: {detail}): a human must read it", source.in_payload)


FACTS_RECURSION_LIMIT = 8000  # the facts pass recurses with the tree (libcst's code generation); real
# code passing the CPython depth guard needed up to ~3,000 frames. Python-to-Python calls do not grow
# the C stack on 3.11+, so a higher limit is safe.


@contextmanager
def _recursion_limit(limit: int):
    import sys

    previous = sys.getrecursionlimit()
    sys.setrecursionlimit(max(previous, limit))
    try:
        yield
    finally:
        sys.setrecursionlimit(previous)


class Normaliser:
    """Turns the shipped files of one submission into Sources (and GC001/GC002 findings)."""

    def __init__(self, root: Path, read=None):
        self.root = root
        self.read = read or (lambda rel: (root / rel).read_bytes())
        self.seen: set[str] = set()
        self.facts: list = []  # Facts of every source, in order (one libcst parse and visit each)
        self.native_sites = 0  # calls that build or load native code (compilers, ctypes, load_inline)

    def _inside(self, rel: str) -> str | None:
        norm = posixpath.normpath(rel)
        if norm.startswith("..") or posixpath.isabs(norm):
            return None
        try:
            target = (self.root / norm).resolve()
            target.relative_to(self.root.resolve())
        except (ValueError, OSError):
            return None
        return norm if target.is_file() else None

    def run(self, rels: Iterable[str]) -> Normalised:
        out = Normalised()
        for rel in rels:
            self._file(rel, out, origin="file", via=None)
        return out

    def _file(self, rel: str, out: Normalised, origin: str, via: str | None) -> None:
        if rel in self.seen:
            return
        self.seen.add(rel)
        if rel.lower().endswith(NATIVE_SUFFIXES):  # given by name: C/C++/CUDA is opaque, not broken Python
            out.findings.append(_gc002(rel, 1, 0, "native source, not Python: golfcheck cannot audit it", False))
            return
        try:
            data = self.read(rel)
        except OSError as exc:
            out.findings.append(_gc001(rel, 1, 0, f"cannot read file: {exc.strerror or exc}", False))
            return
        text, bad = decode_text(data, rel)
        if bad:
            out.findings.append(bad)
            return
        self._source(Source(rel, text, False, origin, via), out, depth=0)

    def _source(self, src: Source, out: Normalised, depth: int) -> None:
        from golfcheck.facts import Facts

        module, bad = parse(src)
        if bad:
            out.findings.append(bad)
            return
        try:
            with _recursion_limit(FACTS_RECURSION_LIMIT):
                facts = Facts.build(src, module)
        except RecursionError:
            out.findings.append(_gc002(src.path, 1, 0, "code nests too deeply to analyse", src.in_payload))
            return
        out.sources.append(src)
        self.facts.append(facts)
        for why, line, col in native_calls(facts):
            self.native_sites += 1
            out.findings.append(_gc002(src.path, line, col, f"opaque native code: {why}; golfcheck cannot audit it", src.in_payload))
        file_name = posixpath.basename(src.path)
        aliases = {k: v for k, v in facts.imports.items()}
        for call, line, col in exec_calls(facts):
            ev = StaticEvaluator(aliases, dict(facts.consts), file_name)
            try:
                value = ev.eval(call.args[0].value)
            except Opaque as exc:
                out.findings.append(_gc002(src.path, line, col, f"exec/eval of code that cannot be decoded statically ({exc})", src.in_payload))
                continue
            except (RecursionError, MemoryError, OverflowError, ValueError, TypeError) as exc:
                out.findings.append(_gc002(src.path, line, col, f"exec/eval argument could not be evaluated ({type(exc).__name__})", src.in_payload))
                continue
            if isinstance(value, _FileRef):
                sibling = self._inside(posixpath.join(posixpath.dirname(src.path), value.path))
                if sibling is None:
                    out.findings.append(_gc002(src.path, line, col, f"exec of a file outside the submission folder or missing: {value.path!r}", src.in_payload))
                else:
                    self._file(sibling, out, origin="sibling-exec", via=src.path)
                continue
            if isinstance(value, (bytes, bytearray)):
                value = bytes(value).decode("utf-8", errors="replace")
            if not isinstance(value, str):
                out.findings.append(_gc002(src.path, line, col, "exec of a value that is not source text", src.in_payload))
                continue
            if depth >= MAX_DEPTH:
                out.findings.append(_gc002(src.path, line, col, "wrappers nested too deeply", src.in_payload))
                continue
            chain = ">".join(ev.chain) or "literal"
            self._source(Source(src.path, value, True, f"wrapper:{chain}", src.path), out, depth + 1)
        base_dir = posixpath.dirname(src.path)
        for name, _line in facts.import_lines:
            rel = self._local_module(base_dir, name)
            if rel:
                self._file(rel, out, origin="local-import", via=src.path)

    def _local_module(self, base_dir: str, name: str) -> str | None:
        dots = len(name) - len(name.lstrip("."))
        parts = [p for p in name.lstrip(".").split(".") if p]
        if not parts:
            return None
        here = base_dir
        for _ in range(max(0, dots - 1)):
            here = posixpath.dirname(here)
        for n in range(len(parts), 0, -1):
            stem = posixpath.join(here, *parts[:n])
            for cand in (stem + ".py", posixpath.join(stem, "__init__.py")):
                found = self._inside(cand)
                if found:
                    return found
        return None


def native_files(rels: Iterable[str]) -> list[str]:
    """C/C++/CUDA sources and shared objects shipped in the folder."""
    return [r for r in rels if r.lower().endswith(NATIVE_SUFFIXES)]


def native_file_findings(rels: Iterable[str], loaded: bool = True) -> list[Finding]:
    """GC002 for native files in the folder: a warning when the code builds or loads native code
    (``loaded``), a note when nothing in it does (the file cannot run, so it cannot change the score)."""
    out = []
    for r in native_files(rels):
        if loaded:
            out.append(_gc002(r, 1, 0, "native code shipped in the folder (C/C++/CUDA or a shared object) and the "
                                       "code builds or loads native code: golfcheck cannot audit it", False))
        else:
            out.append(replace(_gc002(r, 1, 0, "native code shipped in the folder (C/C++/CUDA or a shared object); "
                                               "nothing in the Python code builds or loads native code", False),
                               severity=Severity.NOTE))
    return out


__all__ = ["Source", "Normalised", "Normaliser", "parse", "decode_text", "dotted_name", "native_file_findings", "DEFAULT_CAP", "os"]
