"""Source normalisation: every wrapper form decodes statically; bombs, escapes and junk are findings."""

from __future__ import annotations

import base64
import bz2
import gzip
import lzma
import os
import zlib

import brotli
import pytest

from engine_helpers import audit_folder, write_tree
from golfcheck.facts import Facts
from golfcheck.source import DECODED_CAP, Normaliser

PAYLOAD = b"import os\nx = 1\ndanger()\n"  # danger() on line 3 of the payload
RAW_FILTERS = [{"id": lzma.FILTER_LZMA2, "preset": 6}]


def b85(data: bytes) -> str:
    return base64.b85encode(data).decode()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


WRAPPERS = {
    "raw-lzma2-explicit-filters": (
        "import lzma, base64\n"
        f'exec(lzma.decompress(base64.b85decode("{b85(lzma.compress(PAYLOAD, format=lzma.FORMAT_RAW, filters=RAW_FILTERS))}"), '
        'format=lzma.FORMAT_RAW, filters=[{"id": lzma.FILTER_LZMA2, "preset": 6}]))\n'
    ),
    "raw-lzma2-aliased-module": (
        "import lzma as L, base64 as B\n"
        f'exec(L.decompress(B.b85decode("{b85(lzma.compress(PAYLOAD, format=lzma.FORMAT_RAW, filters=[{"id": lzma.FILTER_LZMA2}]))}"),'
        " format=L.FORMAT_RAW, filters=[{'id': L.FILTER_LZMA2}]).decode())\n"
    ),
    "xz": f'import lzma, base64\nexec(lzma.decompress(base64.b64decode("{b64(lzma.compress(PAYLOAD))}")))\n',
    "lzma-alone": (
        "import lzma, base64\n"
        f'exec(lzma.decompress(base64.b64decode("{b64(lzma.compress(PAYLOAD, format=lzma.FORMAT_ALONE))}")))\n'
    ),
    "zlib-base64": f'import zlib, base64\nexec(zlib.decompress(base64.b64decode("{b64(zlib.compress(PAYLOAD))}")))\n',
    "gzip": f'import gzip, base64\nexec(gzip.decompress(base64.b64decode("{b64(gzip.compress(PAYLOAD))}")).decode("utf-8"))\n',
    "bz2": f'import bz2, base64\nexec(bz2.decompress(base64.b85decode("{b85(bz2.compress(PAYLOAD))}")))\n',
    "brotli": f'import brotli, base64\nexec(brotli.decompress(base64.b85decode("{b85(brotli.compress(PAYLOAD))}")))\n',
    "base64-only": f'import base64\nexec(base64.b64decode("{b64(PAYLOAD)}").decode())\n',
    "base85-only": f'import base64\nexec(base64.b85decode("{b85(PAYLOAD)}"))\n',
    "a85": f'import base64\nexec(base64.a85decode("{base64.a85encode(PAYLOAD).decode()}"))\n',
    "hex": f'exec(bytes.fromhex("{PAYLOAD.hex()}"))\n',
    "from-import-alias": f'from base64 import b85decode as d\nfrom zlib import decompress\nexec(decompress(d("{b85(zlib.compress(PAYLOAD))}")))\n',
    "codecs-base64": f'import codecs\nexec(codecs.decode("{b64(PAYLOAD)}".encode(), "base64"))\n',
    "codecs-hex": f'import codecs\nexec(codecs.decode("{PAYLOAD.hex()}", "hex"))\n',
    "module-constant": f'import zlib, base64\nBLOB = "{b64(zlib.compress(PAYLOAD))}"\nexec(zlib.decompress(base64.b64decode(BLOB)))\n',
    "concatenated-literal": (
        f'import base64\nexec(base64.b64decode("{b64(PAYLOAD)[:8]}"\n    "{b64(PAYLOAD)[8:]}"))\n'
    ),
    "compile": f'import base64\nexec(compile(base64.b64decode("{b64(PAYLOAD)}"), "x", "exec"))\n',
}


@pytest.mark.parametrize("form", sorted(WRAPPERS))
def test_every_wrapper_form_is_decoded_and_audited(tmp_path, form):
    write_tree(tmp_path, {"train_gpt.py": WRAPPERS[form]})
    ctx, findings = audit_folder(tmp_path)
    payloads = [f for f in ctx.facts if f.source.in_payload]
    assert len(payloads) == 1, [t.message for t in ctx.tool_findings]
    assert payloads[0].source.text.startswith("import os")
    assert payloads[0].source.origin.startswith("wrapper:")
    hits = [f for f in findings if f.rule == "GC990"]
    assert [(h.path, h.line, h.in_payload) for h in hits] == [("train_gpt.py", 3, True)]
    assert not [f for f in findings if f.rule in ("GC001", "GC002")], findings


def test_nested_wrappers_are_followed(tmp_path):
    inner = f'import zlib, base64\nexec(zlib.decompress(base64.b64decode("{b64(zlib.compress(PAYLOAD))}")))\n'.encode()
    outer = (
        "import lzma, base64\n"
        f'exec(lzma.decompress(base64.b85decode("{b85(lzma.compress(inner, format=lzma.FORMAT_RAW, filters=RAW_FILTERS))}"),'
        " format=lzma.FORMAT_RAW, filters=[{'id': lzma.FILTER_LZMA2}]))\n"
    )
    write_tree(tmp_path, {"train_gpt.py": outer})
    ctx, findings = audit_folder(tmp_path)
    assert [f.source.origin for f in ctx.facts] == ["file", "wrapper:b85decode>lzma-raw", "wrapper:b64decode>zlib"]
    assert any(f.rule == "GC990" and f.in_payload and f.line == 3 for f in findings)


def test_wrapper_nesting_is_bounded(tmp_path):
    code = PAYLOAD
    for _ in range(12):
        code = f'import base64\nexec(base64.b64decode("{b64(code)}"))\n'.encode()
    write_tree(tmp_path, {"train_gpt.py": code.decode()})
    ctx, findings = audit_folder(tmp_path)
    assert any(f.rule == "GC002" and "nested too deeply" in f.message for f in ctx.tool_findings)


def test_decompression_bomb_is_opaque_not_a_crash(tmp_path):
    bomb = lzma.compress(b"\0" * (DECODED_CAP + 1024 * 1024), preset=9)
    assert len(bomb) < 10_000
    write_tree(tmp_path, {"train_gpt.py": f'import lzma, base64\nexec(lzma.decompress(base64.b85decode("{b85(bomb)}")))\n'})
    ctx, _ = audit_folder(tmp_path)
    opaque = [f for f in ctx.tool_findings if f.rule == "GC002"]
    assert opaque and "exceeds the cap" in opaque[0].message
    assert not [f for f in ctx.facts if f.source.in_payload]


def test_zlib_bomb_via_codecs_is_opaque(tmp_path):
    bomb = zlib.compress(b"\0" * (DECODED_CAP + 1), 9)
    write_tree(tmp_path, {"train_gpt.py": f'import codecs, base64\nexec(codecs.decode(base64.b64decode("{b64(bomb)}"), "zlib"))\n'})
    ctx, _ = audit_folder(tmp_path)
    assert any(f.rule == "GC002" for f in ctx.tool_findings)


@pytest.mark.parametrize("code, why", [
    ("import os\nexec(os.environ['PAYLOAD'])\n", "cannot be decoded"),
    ('import zlib, base64\nexec(zlib.decompress(base64.b64decode("bm90IHpsaWI=")))\n', "zlib"),
    ('import base64\nexec(base64.b64decode("!!!not base64!!!"))\n', "b64decode"),
    ('import lzma\nexec(lzma.decompress(b"garbage", format=lzma.FORMAT_RAW, filters=[{"id": lzma.FILTER_LZMA2}]))\n', "lzma"),
    ("exec(42)\n", "not source text"),
    ("X = X\nexec(X)\n", "cannot be decoded"),
])
def test_undecodable_exec_is_gc002(tmp_path, code, why):
    write_tree(tmp_path, {"train_gpt.py": code})
    ctx, _ = audit_folder(tmp_path)
    msgs = [f.message for f in ctx.tool_findings if f.rule == "GC002"]
    assert msgs and why in msgs[0], msgs


def test_decoded_payload_that_does_not_parse_is_gc001(tmp_path):
    write_tree(tmp_path, {"train_gpt.py": f'import base64\nexec(base64.b64decode("{b64(b"def f(:")}"))\n'})
    ctx, _ = audit_folder(tmp_path)
    bad = [f for f in ctx.tool_findings if f.rule == "GC001"]
    assert bad and bad[0].in_payload and "decoded payload does not parse" in bad[0].message


@pytest.mark.parametrize("stub", [
    "exec(open('helper.py').read())\n",
    "import os\nexec(open(os.path.join(os.path.dirname(__file__), 'helper.py')).read())\n",
    "exec(open(__file__.replace('train_gpt.py', 'helper.py')).read())\n",
    "from pathlib import Path\nexec(Path('helper.py').read_text())\n",
])
def test_exec_of_a_sibling_is_followed(tmp_path, stub):
    write_tree(tmp_path, {"train_gpt.py": stub, "helper.py": "danger()\n"})
    ctx = audit_folder(tmp_path)[0]
    # only train_gpt.py is a unit root here: the sibling must be reached through the stub
    from golfcheck.engine import Options, build_context, run_rules
    from engine_helpers import INLINE_RULES

    ctx = build_context(tmp_path, ["train_gpt.py"], None, Options())
    findings = run_rules(ctx, INLINE_RULES)
    helper = [f for f in ctx.facts if f.path == "helper.py"]
    assert helper and helper[0].source.origin == "sibling-exec" and helper[0].source.via == "train_gpt.py"
    assert any(f.rule == "GC990" and f.path == "helper.py" and f.line == 1 for f in findings)


def test_local_import_is_followed_but_not_stdlib(tmp_path):
    write_tree(tmp_path, {
        "train_gpt.py": "import os\nimport helpers\nfrom pkg.mod import thing\nfrom . import rel\n",
        "helpers.py": "danger()\n",
        "pkg/__init__.py": "",
        "pkg/mod.py": "thing = 1\n",
        "rel.py": "risky()\n",
    })
    from golfcheck.engine import Options, build_context

    ctx = build_context(tmp_path, ["train_gpt.py"], None, Options())
    got = {f.path: f.source.origin for f in ctx.facts}
    assert got == {"train_gpt.py": "file", "helpers.py": "local-import", "pkg/mod.py": "local-import", "rel.py": "local-import"}


def test_exec_of_a_path_outside_the_folder_is_refused(tmp_path):
    sub = tmp_path / "sub"
    write_tree(tmp_path, {"evil.py": "danger()\n", "sub/train_gpt.py": "exec(open('../evil.py').read())\nimport os\n"})
    from golfcheck.engine import Options, build_context

    ctx = build_context(sub, ["train_gpt.py"], None, Options())
    assert [f.path for f in ctx.facts] == ["train_gpt.py"]
    assert any(f.rule == "GC002" and "outside the submission folder" in f.message for f in ctx.tool_findings)


def test_symlink_escaping_the_folder_is_refused(tmp_path):
    write_tree(tmp_path, {"outside/evil.py": "danger()\n", "sub/train_gpt.py": "exec(open('link.py').read())\n"})
    os.symlink(tmp_path / "outside" / "evil.py", tmp_path / "sub" / "link.py")
    from golfcheck.engine import Options, build_context

    ctx = build_context(tmp_path / "sub", ["train_gpt.py"], None, Options())
    assert [f.path for f in ctx.facts] == ["train_gpt.py"]
    assert any("outside the submission folder" in f.message for f in ctx.tool_findings)


def test_absolute_path_exec_is_refused(tmp_path):
    write_tree(tmp_path, {"train_gpt.py": "exec(open('/etc/hostname').read())\n"})
    ctx, _ = audit_folder(tmp_path)
    assert [f.path for f in ctx.facts] == ["train_gpt.py"]
    assert any(f.rule == "GC002" for f in ctx.tool_findings)


def test_sibling_exec_cycle_terminates(tmp_path):
    write_tree(tmp_path, {"train_gpt.py": "exec(open('b.py').read())\n", "b.py": "exec(open('train_gpt.py').read())\n"})
    ctx, _ = audit_folder(tmp_path)
    assert sorted(f.path for f in ctx.facts) == ["b.py", "train_gpt.py"]


@pytest.mark.parametrize("name, data, why", [
    ("empty", b"", "empty"),
    ("blank", b"   \n\n", "empty"),
    ("binary", b"\x00\x01\x02ELF\x00", "binary"),
    ("latin1", "x = 'caf\u00e9'\n".encode("latin-1"), "not valid UTF-8"),
    ("syntax", b"def f(:\n    pass\n", "does not parse"),
])
def test_unparseable_files_are_gc001(tmp_path, name, data, why):
    write_tree(tmp_path, {"train_gpt.py": data})
    norm = Normaliser(tmp_path, analyse=Facts.build).run(["train_gpt.py"])
    assert not norm.sources
    assert len(norm.findings) == 1 and norm.findings[0].rule == "GC001" and why in norm.findings[0].message


def test_syntax_error_position_comes_from_cpython(tmp_path):
    write_tree(tmp_path, {"train_gpt.py": b"x = 1\ny = (2\nz = 3\n"})
    f = Normaliser(tmp_path, analyse=Facts.build).run(["train_gpt.py"]).findings[0]
    assert f.rule == "GC001" and f.line >= 2


def test_utf8_bom_is_accepted(tmp_path):
    write_tree(tmp_path, {"train_gpt.py": b"\xef\xbb\xbfdanger()\n"})
    ctx, findings = audit_folder(tmp_path)
    assert [f.rule for f in findings] == ["GC990"]


def test_native_helpers_are_opaque(tmp_path):
    write_tree(tmp_path, {
        "train_gpt.py": (
            "import ctypes, subprocess\n"
            "from torch.utils.cpp_extension import load_inline\n"
            "m = load_inline(name='k', cpp_sources=[''])\n"
            "subprocess.run(['nvcc', '-O3', 'k.cu'])\n"
            "lib = ctypes.CDLL('./k.so')\n"
        ),
        "k.cu": "__global__ void k() {}\n",
    })
    ctx, _ = audit_folder(tmp_path)
    opaque = sorted((f.path, f.line) for f in ctx.tool_findings if f.rule == "GC002")
    assert opaque == [("k.cu", 1), ("train_gpt.py", 3), ("train_gpt.py", 4), ("train_gpt.py", 5)]


def test_libcst_validation_error_is_gc002_not_a_crash(tmp_path, monkeypatch):
    # found in the PR population: a decoded payload of minified code that CPython accepts but libcst's
    # node validation rejects ("Must have at least one space before 'for' keyword")
    import libcst as cst

    import golfcheck.source as source_mod

    def reject(text):
        raise cst.CSTValidationError("Must have at least one space before 'for' keyword.")

    monkeypatch.setattr(source_mod.cst, "parse_module", reject)
    module, bad = source_mod.parse(source_mod.Source("train_gpt.py", "x = [i for i in y]\n", True))
    assert module is None and bad.rule == "GC002" and bad.in_payload
    assert "CSTValidationError" in bad.message and "valid Python" in bad.message


def test_libcst_only_failure_on_valid_python_is_gc002(tmp_path):
    # Python accepts it, libcst does not: an implicit concatenation thousands of strings long
    text = "X = (\n" + "".join(f'"{i:04d}abcdefgh"\n' for i in range(12000)) + ")\n"
    module, bad = parse_source(text)
    assert module is not None or bad.rule == "GC002"


def parse_source(text: str):
    from golfcheck.source import Source, parse

    return parse(Source("train_gpt.py", text))


def test_pep701_fstring_on_older_python_is_not_an_error(monkeypatch):
    """Python 3.12 f-strings that this Python rejects are never GC001 (libcst may still read them)."""
    import sys

    import libcst as cst

    import golfcheck.source as source_mod

    text = "x = f\"{'a' + \"b\"}\"\n"
    module, bad = parse_source(text)
    assert bad is None or bad.rule == "GC002"
    if sys.version_info < (3, 12):  # and when libcst rejects it too (as in one PR's decoded payload)
        monkeypatch.setattr(source_mod.cst, "parse_module", lambda t: (_ for _ in ()).throw(cst.CSTValidationError("x")))
        module, bad = parse_source(text)
        assert module is None and bad.rule == "GC002" and "3.12" in bad.message


def test_minified_code_libcst_validation_rejects_is_still_analysed():
    """Found in four PRs: `a or(b if c else True)` is valid Python, but libcst's node checks want a
    space after `or`. CPython accepted it, so the tree is built unchecked and analysed."""
    import libcst as cst

    text = "import os\np = a<0 or(bool(x[a])if 0<=a<len(x)else True)\nq = os.environ.get('Q', '1')\n"
    with pytest.raises(cst.CSTValidationError):
        cst.parse_module(text)
    module, bad = parse_source(text)
    assert bad is None and module.code == text
    # validation is back on afterwards
    with pytest.raises(cst.CSTValidationError):
        cst.BooleanOperation(cst.Name("a"), cst.Or(whitespace_after=cst.SimpleWhitespace("")), cst.Name("b"))


def test_long_implicit_string_concatenation_is_analysed_not_too_deep(tmp_path):
    """Found in a PR: hundreds of adjacent string literals (CPython folds them into one constant;
    libcst nests them one level per literal, past Python's default recursion limit in the facts
    pass). 1,000 fail without the raised limit."""
    import sys

    body = "".join(f'    "part {i:03d} of a long prompt "\n' for i in range(1000))
    write_tree(tmp_path, {"train_gpt.py": f"PROMPT = (\n{body})\nval_loss_sum = 0.0\n"})
    limit = sys.getrecursionlimit()
    norm = Normaliser(tmp_path, analyse=Facts.build)
    out = norm.run(["train_gpt.py"])
    assert [f.rule for f in out.findings] == []
    assert len(norm.facts) == 1 and norm.facts[0].consts["PROMPT"] is not None
    assert sys.getrecursionlimit() == limit
