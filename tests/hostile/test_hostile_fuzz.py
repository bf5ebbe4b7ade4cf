"""Hypothesis fuzzes of the streaming log reader and of the identifier normaliser (bounded examples)."""

from __future__ import annotations

import ast
import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from golfcheck import logs
from golfcheck.source import normalise_identifiers

FUZZ = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

PIECES = st.sampled_from([
    "\n", "\r", "\r\n", " ", "  ", "\t", ":", "=", "|", "\x00", "é", "ｅ",
    "seed:1", "seed: 7", "RUN seed=3", "Hyperparameters:", "  use_x: 1", "import os", "from a import b",
    "def f():", "class C:", "@dataclass", "#!", '"""', "====================", "Python 3.11.7",
    "step:1/10 train_loss:2.0 train_time:5ms step_avg:5.00ms",
    "step:10/10 val_loss:2.0 val_bpb:1.2000 train_time:10ms step_avg:1.00ms",
    "final_int8_zlib_roundtrip_exact val_loss:2.00000000 val_bpb:1.20000000",
    "diagnostic quantized val_loss:2.1 val_bpb:1.3", "1776143501.933 ", "x" * 5000,
    logs.CORPUS_MARKER,
])
log_text = st.lists(PIECES, max_size=80).map("".join)


def _reference_lines(text: str) -> list[str]:
    """What the reader must give: \\r\\n, \\r and \\n end lines; each line cut to MAX_LINE_CHARS."""
    lines = re.split(r"\r\n|\r|\n", text)
    if lines and lines[-1] == "":
        lines.pop()
    return [ln[: logs.MAX_LINE_CHARS] for ln in lines]


def _reference_clean(text: str) -> list[tuple[int, str]]:
    """The whole-text listing stripper (the algorithm before streaming), as a reference."""
    raw = _reference_lines(text)
    out, in_code = [], False
    for i, s in enumerate(raw):
        s = s.replace("\x00", "")
        if in_code:
            if logs._SEPARATOR.match(s) or logs._LOG_RESUME.match(logs._TS.sub("", s, count=1)) or (
                    s.strip() == logs.CORPUS_MARKER):
                in_code = False
            else:
                continue
        if s.strip() == logs.CORPUS_MARKER:
            continue
        if logs._CODE_START.match(s) or logs._CODE_RESTART.match(s):
            if sum(1 for w in raw[i:i + 40] if logs._CODE_LINE.match(w)) >= 3:
                in_code = True
                continue
        out.append((i + 1, logs._TS.sub("", s, count=1)))
    return out


def _summary(lf: logs.LogFile):
    return [(r.start_line, r.end_line, r.seed and r.seed.value, [m.bpb for m in r.metrics], r.last_step)
            for r in lf.runs]


@FUZZ
@given(log_text)
def test_streamed_lines_match_the_reference_split(text):
    assert list(logs.raw_lines(text)) == _reference_lines(text)
    assert list(logs.raw_lines(text.encode("utf-8"))) == _reference_lines(text)


@FUZZ
@given(log_text)
def test_streamed_cleaning_matches_the_whole_text_algorithm(text):
    assert [(ln.no, ln.text) for ln in logs.clean_lines(text)] == _reference_clean(text)


@FUZZ
@given(log_text)
def test_text_bytes_and_file_give_the_same_parse(tmp_path_factory, text):
    path = tmp_path_factory.mktemp("log") / "x.log"
    path.write_bytes(text.encode("utf-8"))
    from_text, from_bytes, from_file = logs.parse_log(text), logs.parse_log(text.encode()), logs.parse_log(path)
    assert _summary(from_text) == _summary(from_bytes) == _summary(from_file)
    assert from_text.lines == from_file.lines and from_bytes.sha256 == from_file.sha256
    for run in from_file.runs:
        logs.select_scored(run, 1.2)


# ------------------------------------------------------------------ identifiers
# letters Python folds under NFKC (full-width, math bold/italic, ligatures, a full-width low line)
# next to ASCII and letters NFKC keeps (accented, Greek)
LETTERS = st.sampled_from(list("abxyz_") + ["ｅ", "ｘ", "ｃ", "Ｌ", "＿", "𝐞", "𝑥", "ﬁ", "é", "λ", "ª"])
DIGITS = st.sampled_from(list("019") + ["９", "²"])
ident = st.tuples(LETTERS, st.lists(st.one_of(LETTERS, DIGITS), max_size=5)).map(lambda t: t[0] + "".join(t[1]))
TEXTS = st.sampled_from(['"ｅｘｅｃ"', "'ﬁ²'", 'f"{x}ｅ"', '"""λ\nｘ"""'])


def statement(draw_ident, draw_text):
    return st.one_of(
        st.tuples(ident, ident).map(lambda t: f"{t[0]} = {t[1]}"),
        st.tuples(ident, ident, TEXTS).map(lambda t: f"{t[0]}({t[1]}, {t[2]})"),
        st.tuples(ident, ident).map(lambda t: f"import {t[0]} as {t[1]}"),
        st.tuples(ident, TEXTS).map(lambda t: f"{t[0]} = {t[1]}  # {t[1]} ｅｘｅｃ"),
        st.tuples(ident, ident).map(lambda t: f"def {t[0]}({t[1]}):\n    return {t[1]}.ｄ"),
    )


programs = st.lists(statement(ident, TEXTS), min_size=1, max_size=8).map(lambda xs: "\n".join(xs) + "\n")


@FUZZ
@given(programs)
def test_normalised_text_is_the_program_python_sees(text):
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return
    normalised = normalise_identifiers(text)
    assert ast.dump(ast.parse(normalised)) == ast.dump(tree)  # CPython folds the names itself
    assert normalised.count("\n") == text.count("\n")  # line numbers of findings are kept
