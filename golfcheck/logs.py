"""Parse Parameter Golf train/eval logs (every family of SUBMISSION_FORMAT §3).

The parser is line based and never raises on content: malformed, truncated, binary or huge input
gives fewer facts, not a traceback. Pipeline per file:

1. :func:`clean_lines` drops embedded source listings (and the corpus marker that replaces them),
   strips unix-time prefixes, and keeps the original 1-based line numbers.
2. :func:`split_runs` cuts a file that holds several runs at repeated ``Hyperparameters:``/``seed:``
   headers.
3. :func:`parse_run` extracts every field (metric lines, wallclock, sizes, seed, world size, GPUs,
   val tokens, hyperparameter echoes).
4. :func:`select_scored` picks the scored metric line by §3.3 (never "last line wins").
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import Iterable

CORPUS_MARKER = "[golfcheck-corpus: embedded source listing removed]"
MAX_LINE_CHARS = 4096  # longer lines are cut before any regex runs (keeps the parser linear)

_TS = re.compile(r"^\d{9,}\.\d+\s+")
_SEPARATOR = re.compile(r"^={20,}\s*$")
_CODE_START = re.compile(r'^(import |from \S+ import |"""|\'\'\'|#!|Source code:)')
_CODE_LINE = re.compile(r"^\s*(def |class |import |from \S+ import |@torch|@triton|@dataclass|if __name__)")
# Lines a script prints about itself right after a listing: they end a code region even without a
# ``====`` separator (ternary/binary/JEPA/XNOR logs go straight from source to log).
_LOG_RESUME = re.compile(
    r"^(Python \d|PyTorch \d|Running Python|Running PyTorch|--- ?Hyperparameters|Hyperparameters:\s*$|"
    r"world_size[:=]|seed[:=]\d|step:\d+/\d+|warmup_step|val_bpb:enabled|model_params:|logs/\S+\.txt$|"
    r"W\d{4} |\[rank\d|NVIDIA-SMI|\+-{10,}|\*{20,}|nvidia-smi)"
)


@dataclass(frozen=True)
class Line:
    """One log line after cleaning: original 1-based line number and text."""

    no: int
    text: str


def _raw_lines(text: str) -> list[str]:
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def clean_lines(text: str) -> list[Line]:
    """Lines of a log without source listings, the corpus marker or timestamp prefixes.

    Source listing: a region that starts at an ``import``/``from``/docstring/shebang/``Source code:``
    line followed by real code (≥ 3 code-looking lines within the next 40) and runs to the next
    ``====`` separator or to the first line that looks like the script's own log output.
    """
    raw = _raw_lines(text)
    out: list[Line] = []
    in_code = False
    i = 0
    n = len(raw)
    while i < n:
        s = raw[i]
        if len(s) > MAX_LINE_CHARS:
            s = s[:MAX_LINE_CHARS]
        s = s.replace("\x00", "")
        if in_code:
            if _SEPARATOR.match(s) or _LOG_RESUME.match(_TS.sub("", s, count=1)) or s.strip() == CORPUS_MARKER:
                in_code = False
            else:
                i += 1
                continue
        if s.strip() == CORPUS_MARKER:
            i += 1
            continue
        if _CODE_START.match(s):
            window = raw[i : i + 40]
            if sum(1 for w in window if _CODE_LINE.match(w[:MAX_LINE_CHARS])) >= 3:
                in_code = True
                i += 1
                continue
        out.append(Line(i + 1, _TS.sub("", s, count=1)))
        i += 1
    return out


# ------------------------------------------------------------------ hyperparameter echoes
_ECHO_SPACED = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_.]*):[ \t]+(\S.*?)\s*$")
_ECHO_EMPTY = re.compile(r"^\s+([A-Za-z_][A-Za-z0-9_.]*):\s*$")
_ECHO_COMPACT_TOKEN = re.compile(r"^([A-Za-z_][A-Za-z0-9_.]*)[:=](\S+)$")
# Keys that are measurements or progress, not configuration.
_NOT_CONFIG = {
    "step", "warmup_step", "val_loss", "val_bpb", "train_loss", "loss", "train_time", "step_avg",
    "eval_time", "time", "bpb", "avg", "t", "tok/s", "elapsed", "peak", "lr_mul", "running_bpb",
    "stopping_early", "selective_prune", "ttp", "ttpp", "tttg", "loop_warmup_step", "warmup",
    "total_eval_time",
}
_KV_TOKEN = re.compile(r"(?:^|\s)[A-Za-z_]\w*[:=]\S")
_NOT_CONFIG_PREFIX = ("final_", "quantized", "diagnostic", "legal_ttt", "ttt_chunk", "ttt_progress", "ttpr")


def hyperparameter_echoes(text: str) -> dict[str, str]:
    """Configuration a log echoes, as ``{key: value}`` strings (first occurrence wins).

    Recognises the ``Hyperparameters:`` block (``  key: value``), single ``key: value`` lines
    (``seed: 42``) and compact lines made only of ``key:value``/``key=value`` tokens
    (``world_size:8 grad_accum_steps:1``). Source listings are stripped first so that annotated
    assignments in code are not mistaken for echoes; metric and progress lines are skipped.
    Never raises; returns ``{}`` for text without echoes.
    """
    if not isinstance(text, str):
        return {}
    out: dict[str, str] = {}
    for line in clean_lines(text):
        s = line.text
        m = _ECHO_SPACED.match(s)
        if m:
            key, value = m.group(1), m.group(2)
            # `key: value` lines with more fields after the value are progress lines
            # (`4500/20000 train_loss: 2.81 train_time: 8.7m`) - skip keys that are measurements.
            if (
                key not in _NOT_CONFIG
                and not key.startswith(_NOT_CONFIG_PREFIX)
                and not _KV_TOKEN.search(value)  # `stopping_early: wallclock_cap train_time:...`
            ):
                out.setdefault(key, value)
            continue
        m = _ECHO_EMPTY.match(s)
        if m:
            out.setdefault(m.group(1), "")
            continue
        tokens = s.split()
        if not tokens or len(tokens) > 64:
            continue
        pairs = [_ECHO_COMPACT_TOKEN.match(t) for t in tokens]
        if not all(pairs):
            continue
        keys = [p.group(1) for p in pairs]  # type: ignore[union-attr]
        if any(k in _NOT_CONFIG or k.startswith(_NOT_CONFIG_PREFIX) for k in keys):
            continue
        for p in pairs:
            out.setdefault(p.group(1), p.group(2))  # type: ignore[union-attr]
    return out


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", errors="surrogatepass")).hexdigest()
