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
import io
import keyword
import lzma
import os
import posixpath
import re
import tokenize
import unicodedata
import zlib
from contextlib import contextmanager
from dataclasses import replace, dataclass, field
from pathlib import Path
from typing import Any, Iterable

import libcst as cst

from golfcheck.decompress import DEFAULT_CAP, DecompressionError, decompress
from golfcheck.findings import Finding, Severity

MAX_DEPTH = 6  # nested wrappers
# Limits that keep one pathological file from exhausting an audit's time or memory (each gives a GC002
# naming the limit). The analysis costs ~3 KB of memory and ~35 us per syntax node, so these bound a
# unit to well under 1 GB and 30 s whatever the input:
MAX_SOURCE_CHARS = 2_000_000  # a file or decoded payload bigger than this is not parsed (largest merged record: 158 KB)
MAX_NODES = 150_000  # CPython AST nodes of one source (the 3,753-line largest merged record has 21,534)
MAX_SOURCE_BYTES = 4 * MAX_SOURCE_CHARS  # a file is not even read past this (UTF-8: at most 4 bytes a character)
MAX_UNIT_NODES = 200_000  # all the sources of one unit together (a file, its payloads, siblings, imports)
MAX_NESTING = 150  # depth of the tree libcst builds (a 3,781-line record train_gpt.py measures 18); libcst
# slows superlinearly with depth and its native parser overflows its stack on chains ~8,000 deep
DECODED_CAP = 16 * 1024 * 1024  # no honest train_gpt.py decodes to more than this; also bounds every
# intermediate string or bytes value the static evaluator builds

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
    nodes: int = 0  # CPython syntax nodes, once parsed


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
        self._memo: dict[str, Any] = {}  # each module constant is evaluated once (x1 = x0 + x0 chains)

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
            if len(node.value) > 64:
                raise Opaque("integer literal too large")
            return int(node.value.replace("_", ""), 0)
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
            if not isinstance(node.operator, (cst.BitOr, cst.Add)):
                raise Opaque("operator")  # no *, ** or shifts: nothing an honest wrapper needs, and they amplify
            left, right = self.eval(node.left), self.eval(node.right)
            if isinstance(node.operator, cst.BitOr):
                if not (isinstance(left, int) and isinstance(right, int)):
                    raise Opaque("operator |")
                return left | right
            if type(left) is not type(right) or not isinstance(left, (str, bytes, list, int)):
                raise Opaque("operator +")
            if not isinstance(left, int):
                _bounded(len(left) + len(right))
            return left + right
        if isinstance(node, cst.Name):
            if node.value == "__file__":
                return self.file_name
            if node.value in self._memo:
                return self._memo[node.value]
            if node.value in self.consts:
                value = self.consts.pop(node.value)  # guard against self-reference
                try:
                    result = self._memo[node.value] = self.eval(value)
                    return result
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
                    old, new = vals
                    if type(old) is not type(receiver) or type(new) is not type(receiver):
                        raise Opaque(".replace() arguments")
                    if len(new) > len(old):  # bound the result before building it
                        _bounded(len(receiver) + receiver.count(old) * (len(new) - len(old)))
                    return receiver.replace(old, new)
                if method == "strip" and isinstance(receiver, (str, bytes)):
                    return receiver.strip()
                raise Opaque(f".{method}()")
        qual = self.qualify(func)
        if qual in DECODERS:
            if not args:
                raise Opaque(f"{qual}() without data")
            data = self.eval(args[0].value)
            self.chain.append(qual.rsplit(".", 1)[1])
            try:
                return DECODERS[qual](data)
            except (ValueError, TypeError, binascii.Error) as exc:
                raise Opaque(f"{qual} failed: {exc}") from None
        if qual in DECOMPRESSORS:
            if not args:
                raise Opaque(f"{qual}() without data")
            data = self.eval(args[0].value)
            if not isinstance(data, (bytes, bytearray)):
                raise Opaque(f"{qual} of a value that is not bytes")
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
                try:
                    if enc in ("zlib", "zip"):
                        return decompress(bytes(data), "zlib", cap=DECODED_CAP)
                    if enc == "bz2":
                        return decompress(bytes(data), "bz2", cap=DECODED_CAP)
                    self.chain.append(enc)
                    return codecs.decode(data, enc)
                except (DecompressionError, ValueError, TypeError, binascii.Error) as exc:
                    raise Opaque(f"codecs.decode {enc} failed: {exc}") from None
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


def _bounded(size: int) -> None:
    """Refuse to build a string or bytes value longer than the decompression cap (amplification:
    ``s.replace("A", "AAAA")`` chains, ``x1 = x0 + x0`` doubling)."""
    if size > DECODED_CAP:
        raise Opaque(f"a value would grow to {size:,} characters, past the {DECODED_CAP:,} cap")


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


def source_encoding(data: bytes) -> str:
    """The encoding Python reads a source file with: a UTF-8 BOM, else a PEP 263 ``coding:`` comment in
    the first two lines, else UTF-8 (raises SyntaxError for an unknown or contradictory declaration)."""
    encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    return encoding


def decode_source(data: bytes) -> str:
    """Source text of an exec'd bytes payload as Python decodes it (BOM / PEP 263 / UTF-8; never raises)."""
    try:
        return data.decode(source_encoding(data), errors="replace")
    except (SyntaxError, LookupError):
        return data.decode("utf-8", errors="replace")


def decode_text(data: bytes, path: str) -> tuple[str | None, Finding | None]:
    """The text of a code file as Python reads it, or a GC001 finding saying why it is not Python source."""
    if not data.strip():
        if posixpath.basename(path) == "__init__.py":
            return "", None  # an empty package marker is ordinary Python
        return None, _gc001(path, 1, 0, "file is empty: nothing to run", False)
    if b"\x00" in data[:8192]:
        return None, _gc001(path, 1, 0, "file is binary, not Python source", False)
    nul = data.find(b"\x00")
    if nul >= 0:  # Python refuses any NUL byte in a source file, not only in its first 8 KB
        line = data[:nul].count(b"\n") + 1
        return None, _gc001(path, line, 0, f"file contains a NUL byte (byte {nul:,}): Python refuses to run it", False)
    try:
        encoding = source_encoding(data)
    except SyntaxError as exc:
        if "invalid or missing encoding declaration" not in str(exc):  # unknown or contradictory coding
            return None, _gc001(path, max(1, exc.lineno or 1), 0, f"file does not parse: {exc.msg}", False)
        encoding = "utf-8"  # no declaration and not UTF-8 in its first lines: say where it breaks
    try:
        return data.decode(encoding), None
    except (UnicodeDecodeError, LookupError) as exc:
        start = getattr(exc, "start", 0)
        line = data[:start].count(b"\n") + 1
        name = "UTF-8" if encoding in ("utf-8", "utf-8-sig") else encoding
        return None, _gc001(path, line, 0, f"file is not valid {name} (byte {start})", False)


# ------------------------------------------------------------------------------------ identifiers
_NON_ASCII_WORD = re.compile(r"(?:\w|[^\x00-\x7f])*[^\x00-\x7f](?:\w|[^\x00-\x7f])*")


def _nfkc(name: str) -> str:
    norm = unicodedata.normalize("NFKC", name)
    # a name that normalises to a keyword stays an identifier in Python (`ｉｆ = 1` binds "if"): keep it
    return name if keyword.iskeyword(norm) or not norm.isidentifier() else norm


def normalise_identifiers(text: str) -> str:
    """``text`` with every identifier in the NFKC form Python gives it (PEP 3131): ``ｅｘｅｃ(...)`` and
    ``𝐞𝐱𝐞𝐜(...)`` both call ``exec``. Strings and comments are left alone. Every name comparison of the
    auditor sees what Python sees because the tree is built from this text."""
    if text.isascii():
        return text
    if all(unicodedata.is_normalized("NFKC", m.group()) for m in _NON_ASCII_WORD.finditer(text)):
        return text  # accented letters, CJK, punctuation: nothing Python would rewrite
    # Strings and comments keep their text; everything else of a file CPython accepted is code, where
    # a run of word or non-ASCII characters holding a non-ASCII one is an identifier (tokenize's own
    # NAME pattern misses some, e.g. a full-width low line, which Python accepts).
    starts = [0]
    for line in text.split("\n"):  # the lines tokenize counts (io.StringIO splits at "\n" only)
        starts.append(starts[-1] + len(line) + 1)
    keep: list[tuple[int, int]] = []
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            if tok.type == tokenize.COMMENT or tok.type == tokenize.STRING or (
                    tok.type == getattr(tokenize, "FSTRING_MIDDLE", -1)):
                at = starts[tok.start[0] - 1] + tok.start[1]
                if tok.type == tokenize.STRING and _is_fstring(tok.string):
                    keep.extend((at + a, at + b) for a, b in _fstring_literal_spans(tok.string))
                else:
                    keep.append((at, starts[tok.end[0] - 1] + tok.end[1]))
    except (tokenize.TokenError, SyntaxError, IndentationError, ValueError):
        keep = []  # rough, but never hides a name
    out, pos = [], 0
    for start, end in keep + [(len(text), len(text))]:
        out.append(_NON_ASCII_WORD.sub(lambda m: _nfkc(m.group()), text[pos:start]))
        out.append(text[start:end])
        pos = end
    return "".join(out)


def _fstring_literal_spans(token: str) -> list[tuple[int, int]]:
    """Spans of an f-string token (Python < 3.12: one token) outside its ``{...}`` fields - the text
    to keep - including quoted strings inside the fields."""
    spans, start, depth, i, quote = [], 0, 0, 0, ""
    while i < len(token):
        c = token[i]
        if depth == 0:
            if c in "{}" and token[i + 1:i + 2] == c:
                i += 2
                continue
            if c == "{":
                spans.append((start, i))
                depth = 1
        elif quote:
            if c == quote:
                spans.append((start, i + 1))
                quote = ""
        elif c in "'\"":
            quote, start = c, i
        elif c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                start = i + 1
        i += 1
    if depth == 0:
        spans.append((start, len(token)))
    return spans


def _is_fstring(token: str) -> bool:
    """An f-string token (before Python 3.12 its replacement fields are inside the one STRING token)."""
    prefix = token[: len(token) - len(token.lstrip("rRbBuUfF"))]
    return "f" in prefix.lower()


_AST_CACHE: dict[str, object] = {}
_AST_CACHE_MAX_CHARS = 512 * 1024  # 3x the largest merged record


def python_ast(text: str):
    """CPython's AST of ``text`` (raises as ``ast.parse`` does), shared by the checks that need it:
    the pre-parse guard and the counted-code scan parse the same sources (a few recent texts kept)."""
    import ast

    tree = _AST_CACHE.get(text)
    if tree is None:
        tree = ast.parse(text)
        if len(text) <= _AST_CACHE_MAX_CHARS:  # a big tree is not kept alive for a second reader
            if len(_AST_CACHE) >= 4:
                _AST_CACHE.pop(next(iter(_AST_CACHE)))
            _AST_CACHE[text] = tree
    return tree


def _tree_shape(tree) -> tuple[int, int]:
    """(nodes, depth) of a CPython AST, depth measured as libcst will build the tree.

    CPython keeps some chains flat that libcst nests one level per element: ``a or b or c`` (a
    BoolOp with n values is n - 1 nested BooleanOperations), dotted names in imports (``import
    a.b.c`` is an Attribute chain) and the ``for`` clauses of a comprehension. A chain of 8,000 such
    elements overflows the native parser's stack (a segfault), so they count here before libcst
    sees the text. Iterative (deep trees must not recurse); fields read directly, ~2x faster than
    ``ast.iter_child_nodes``.
    """
    import ast

    best = nodes = 0
    stack = [(tree, 0)]
    pop, push, node_type = stack.pop, stack.append, ast.AST
    bool_op, alias, import_from, comprehension_types = ast.BoolOp, ast.alias, ast.ImportFrom, (
        ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)
    while stack:
        node, depth = pop()
        nodes += 1
        kind = type(node)
        if kind is alias:
            depth += node.name.count(".")
        elif kind is import_from:
            depth += (node.module or "").count(".") + node.level
        if depth > best:
            best = depth
        depth += 1
        if kind is bool_op:
            depth += len(node.values) - 2 if len(node.values) > 2 else 0
        elif kind in comprehension_types:
            for i, gen in enumerate(node.generators):
                push((gen, depth + i))
        for name in node._fields:
            if name == "ctx" or (name == "generators" and kind in comprehension_types):
                continue
            value = getattr(node, name, None)
            if type(value) is list:
                for item in value:
                    if isinstance(item, node_type):
                        push((item, depth))
            elif isinstance(value, node_type):
                push((value, depth))
    return nodes, best


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


def _maybe_newer_syntax(err: SyntaxError) -> bool:
    """A syntax error this Python reports for code a newer Python accepts (PEP 701 f-strings on 3.11)."""
    import sys

    return sys.version_info < (3, 12) and (err.msg or "").startswith("f-string")


def _syntax_finding(source: Source, where: str, err: SyntaxError) -> Finding:
    """GC001 for a syntax error; GC002 when it may be newer syntax than this Python can check."""
    import sys

    line, col = max(1, err.lineno or 1), max(0, (err.offset or 1) - 1)
    if _maybe_newer_syntax(err):
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


def parse(source: Source, max_nodes: int = MAX_NODES) -> tuple[cst.Module | None, Finding | None]:
    """libcst parse; a syntax error becomes GC001, a file too big or deep to analyse GC002 (never an exception).

    CPython's own parser runs first: it is ~5x faster, has guards against pathological nesting that
    libcst's native parser lacks (nested calls 200 deep take libcst seconds, 1,000 deep minutes;
    boolean chains 8,000 long crash it), and it gives the error position a Python user expects. The
    size of its tree bounds what the analysis will cost. Identifiers are then put in Python's NFKC
    form (``source.text`` is replaced by that text) so that every name comparison sees what Python
    sees.
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
        nodes, depth = _tree_shape(tree)
        del tree
        if depth > MAX_NESTING:
            return None, _gc002(source.path, 1, 0, f"{where} nests {depth} levels deep (limit {MAX_NESTING}): "
                                "too deep to analyse statically, a human must read it", source.in_payload)
        if nodes > max_nodes:
            limit = (f"the limit is {max_nodes:,} nodes" if max_nodes >= MAX_NODES else
                     f"the code analysed before it leaves {max_nodes:,} of the {MAX_UNIT_NODES:,} nodes one unit may have")
            return None, _gc002(source.path, 1, 0, f"{where} is too large to analyse ({nodes:,} syntax nodes in "
                                f"{len(text):,} characters; {limit}): a human must read it", source.in_payload)
        source.nodes = nodes
        normalised = normalise_identifiers(text)
        if normalised is not text:
            source.text = text = normalised
    if py_error is not None and not _maybe_newer_syntax(py_error):
        # CPython's verdict stands; libcst would only be asked to read text no pre-check has measured
        return None, _syntax_finding(source, where, py_error)
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
    """Turns the shipped files of one submission into Sources (and GC001/GC002 findings).

    ``analyse(source, module)`` builds what the normaliser needs to follow a source further (its
    exec calls, imports, constants and native calls: :meth:`golfcheck.facts.Facts.build`); it is
    handed in by the caller, so normalising sources does not depend on the facts module.
    """

    def __init__(self, root: Path, read=None, *, analyse):
        self.root = root
        self.analyse = analyse
        self.read = read or self._read_capped
        self.seen: set[str] = set()
        self.facts: list = []  # Facts of every source, in order (one libcst parse and visit each)
        self.native_sites = 0  # calls that build or load native code (compilers, ctypes, load_inline)
        self.nodes = 0  # syntax nodes parsed so far (bounded by MAX_UNIT_NODES)

    def _read_capped(self, rel: str) -> bytes:
        """The file's bytes, at most MAX_SOURCE_BYTES + 1 of them (enough to know it is too large)."""
        with open(self.root / rel, "rb") as fh:
            return fh.read(MAX_SOURCE_BYTES + 1)

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
        if len(data) > MAX_SOURCE_BYTES:
            out.findings.append(_gc002(rel, 1, 0, f"file is too large to analyse (over {MAX_SOURCE_BYTES:,} bytes; "
                                       f"code over {MAX_SOURCE_CHARS:,} characters is not parsed): a human must read it",
                                       False))
            return
        text, bad = decode_text(data, rel)
        if bad:
            out.findings.append(bad)
            return
        self._source(Source(rel, text, False, origin, via), out, depth=0)

    def _source(self, src: Source, out: Normalised, depth: int) -> None:
        module, bad = parse(src, min(MAX_NODES, max(0, MAX_UNIT_NODES - self.nodes)))
        if bad:
            out.findings.append(bad)
            return
        self.nodes += src.nodes
        try:
            with _recursion_limit(FACTS_RECURSION_LIMIT):
                facts = self.analyse(src, module)
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
            except Exception as exc:  # noqa: BLE001 - any failure of the evaluator: this exec is unknown, not the file
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
                value = decode_source(bytes(value))
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
