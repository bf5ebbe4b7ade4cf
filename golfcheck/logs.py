"""Parse Parameter Golf train/eval logs (every family of SUBMISSION_FORMAT §3).

The parser is line based and never raises on content: malformed, truncated, binary or huge input
gives fewer facts, not a traceback. It streams: a log (text, bytes or a file on disk) is read line by
line, any of ``\n``, ``\r\n`` and ``\r`` ending a line, each line cut to ``MAX_LINE_CHARS`` before a
regex sees it, and only the facts are kept, so time is linear in the size and memory bounded whatever
the shape of the input. Every pattern is anchored or starts at a literal, with no two adjacent
quantifiers that can match the same characters (no backtracking blow-up). A file over
``MAX_LOG_BYTES`` is not parsed at all (the folder checks report it). Pipeline per file:

1. :func:`clean_lines` drops embedded source listings (and the corpus marker that replaces them),
   strips unix-time prefixes, and keeps the original 1-based line numbers.
2. :func:`split_runs` cuts a file that holds several runs at repeated ``Hyperparameters:``/``seed:``
   headers.
3. :func:`parse_run` extracts every field (metric lines, wallclock, sizes, seed, world size, GPUs,
   val tokens, hyperparameter echoes).
4. :func:`select_scored` picks the scored metric line by §3.3 (never "last line wins").
"""

from __future__ import annotations

import collections
import hashlib
import io
import os
import re
from dataclasses import dataclass, field
from typing import Iterable, Iterator, Union

CORPUS_MARKER = "[golfcheck-corpus: embedded source listing removed]"
MAX_LINE_CHARS = 4096  # longer lines are cut before any regex runs (keeps the parser linear)
MAX_LOG_BYTES = 4 * 1024 * 1024  # a log bigger than this is reported, not parsed (largest merged record log: 205 KB)
MAX_RUNS = 256  # runs split out of one file; later headers do not split again
MAX_ITEMS = 1000  # metric lines, step-val lines or GPUs kept per run (the newest replaces the last)
MAX_ECHOES = 5000  # distinct hyperparameter keys kept per log
_READ = 1 << 16

LogSource = Union[str, bytes, "os.PathLike[str]"]

_TS = re.compile(r"^\d{9,}\.\d+\s+")
_SEPARATOR = re.compile(r"^={20,}\s*$")
_CODE_START = re.compile(r'^(import |from \S+ import |"""|\'\'\'|#!|Source code:)')
# Mid-listing starts (a listing cut by a log rotation): a comment, decorator or definition line.
_CODE_RESTART = re.compile(r"^(#|@\w|def |class |if __name__|\s+(def|class|return|for|while|try:|except|with|elif) )")
_CODE_BEGIN = re.compile(_CODE_START.pattern + "|" + _CODE_RESTART.pattern)
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


def _text_stream(source: LogSource) -> io.TextIOBase:
    """A text stream over ``source`` with universal newlines (``\r\n`` and ``\r`` read as ``\n``)."""
    if isinstance(source, str):
        return io.StringIO(source, newline=None)
    raw = io.BytesIO(source) if isinstance(source, (bytes, bytearray)) else open(source, "rb")  # noqa: SIM115
    return io.TextIOWrapper(raw, encoding="utf-8", errors="replace", newline=None)


def raw_lines(source: LogSource) -> Iterator[str]:
    """The lines of a log without their ends, each cut to ``MAX_LINE_CHARS`` (the rest is skipped
    unread into memory). ``source``: the text, its bytes, or the path of the file."""
    with _text_stream(source) as stream:
        readline = stream.readline
        while True:
            line = readline(MAX_LINE_CHARS + 1)
            if not line:
                return
            if line.endswith("\n"):
                yield line[:-1]
                continue
            if len(line) > MAX_LINE_CHARS:  # an over-long line: drop the rest of it
                while True:
                    rest = readline(_READ)
                    if not rest or rest.endswith("\n"):
                        break
                line = line[:MAX_LINE_CHARS]
            yield line


def _raw_lines(text: str) -> list[str]:
    return list(raw_lines(text))


def clean_lines(source: LogSource) -> Iterator[Line]:
    """Lines of a log without source listings, the corpus marker or timestamp prefixes (a generator).

    Source listing: a region that starts at an ``import``/``from``/docstring/shebang/``Source code:``
    line followed by real code (≥ 3 code-looking lines within the next 40) and runs to the next
    ``====`` separator or to the first line that looks like the script's own log output.
    """
    ahead: collections.deque[tuple[str, bool]] = collections.deque()  # lines i..i+39, is-code flag
    append, popleft = ahead.append, ahead.popleft
    code_line, code_begin, ts, marker = _CODE_LINE.match, _CODE_BEGIN.match, _TS.match, CORPUS_MARKER
    code_ahead = 0
    source_lines = iter(raw_lines(source))
    in_code = False
    i = 0
    for nxt in source_lines:  # fill the window: lines i..i+39
        flag = code_line(nxt) is not None
        append((nxt, flag))
        code_ahead += flag
        if len(ahead) == 40:
            break
    while ahead:
        s, flag = popleft()
        window_code = code_ahead
        code_ahead -= flag
        nxt = next(source_lines, None)
        if nxt is not None:
            flag = code_line(nxt) is not None
            append((nxt, flag))
            code_ahead += flag
        i += 1
        if "\x00" in s:
            s = s.replace("\x00", "")
        is_marker = "[golfcheck-corpus" in s and s.strip() == marker
        if in_code:
            if _SEPARATOR.match(s) or is_marker or _LOG_RESUME.match(_strip_ts(s) if ts(s) else s):
                in_code = False
            else:
                continue
        if is_marker:
            continue
        if window_code >= 3 and code_begin(s):
            in_code = True
            continue
        yield Line(i, _strip_ts(s) if ts(s) else s)


def _strip_ts(s: str) -> str:
    return _TS.sub("", s, count=1)


# ------------------------------------------------------------------ hyperparameter echoes
# `key: value` with the value's trailing blanks stripped in code (a lazy value followed by `\s*$` is
# quadratic on a line of blanks); a key of dotted words.
_ECHO_SPACED = re.compile(r"^\s*+([A-Za-z_][A-Za-z0-9_.]*+):[ \t]++(\S.*)$")
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


def hyperparameter_echo_lines(source: LogSource) -> dict[str, tuple[str, int]]:
    """Configuration a log echoes, as ``{key: (value, line)}`` (first occurrence wins; at most
    ``MAX_ECHOES`` keys). See :func:`hyperparameter_echoes`."""
    if not isinstance(source, (str, bytes, bytearray, os.PathLike)):
        return {}
    out: dict[str, tuple[str, int]] = {}

    def keep(key: str, value: str, no: int) -> None:
        if key not in out and len(out) < MAX_ECHOES:
            out[key] = (value, no)

    for line in clean_lines(source):
        s = line.text
        m = _ECHO_SPACED.match(s)
        if m:
            key, value = m.group(1), m.group(2).rstrip()
            # `key: value` lines with more fields after the value are progress lines
            # (`4500/20000 train_loss: 2.81 train_time: 8.7m`) - skip keys that are measurements.
            if (
                key not in _NOT_CONFIG
                and not key.startswith(_NOT_CONFIG_PREFIX)
                and not _KV_TOKEN.search(value)  # `stopping_early: wallclock_cap train_time:...`
                and " = " not in value  # an annotated assignment (`x: int = 5`) left from code
            ):
                keep(key, value, line.no)
            continue
        m = _ECHO_EMPTY.match(s)
        if m:
            keep(m.group(1), "", line.no)
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
            keep(p.group(1), p.group(2), line.no)  # type: ignore[union-attr]
    return out


def hyperparameter_echoes(source: LogSource) -> dict[str, str]:
    """Configuration a log echoes, as ``{key: value}`` strings (first occurrence wins).

    Recognises the ``Hyperparameters:`` block (``  key: value``), single ``key: value`` lines
    (``seed: 42``) and compact lines made only of ``key:value``/``key=value`` tokens
    (``world_size:8 grad_accum_steps:1``). Source listings are stripped first so that annotated
    assignments in code are not mistaken for echoes; metric and progress lines are skipped.
    Never raises; returns ``{}`` for text without echoes. ``source``: the text, bytes or a path.
    """
    return {k: v for k, (v, _line) in hyperparameter_echo_lines(source).items()}


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", errors="surrogatepass")).hexdigest()


# ------------------------------------------------------------------ field regexes (§3.2)
# Applied with .match to cleaned lines (timestamp already stripped) unless named *_S (search).
METRIC = re.compile(
    r"^(?P<label>final_\w+|quantized(?:_\w+)?|diagnostic(?: [\w\-]+)+?|DIAGNOSTIC \w+|pre-quantization post-ema"
    r"|legal_ttt(?:_exact)?)(?: stride:(?P<stride>\d+))?\s+(?P<sliding>sliding )?val_loss:\s?(?P<loss>\d+\.\d+)"
    r"\s+(?:sliding )?val_bpb:\s?(?P<bpb>\d+\.\d+)(?P<rest>.*)$"
)
TTT_DONE = re.compile(
    r"^ttt_sliding:done val_loss=(?P<loss>\d+\.\d+) val_bpb=(?P<bpb>\d+\.\d+)(?: elapsed=(?P<s>[\d.]+)s)?"
)
JSON_BPB_S = re.compile(r'"post_ttt_val_bpb":\s*(?P<bpb>\d+\.\d+)')
JSON_LOSS_S = re.compile(r'"post_ttt_val_loss":\s*(?P<loss>\d+\.\d+)')
JSON_EVAL_MS_S = re.compile(r'"post_ttt_eval_time_ms":\s*(?P<ms>\d+)')
JSON_SEED_S = re.compile(r'"seed":\s*(?P<seed>\d+)')
STEP_VAL = re.compile(
    r"^(?:step:)?(?P<step>\d+)/(?P<total>\d+) val_loss:\s?(?P<loss>\d+\.\d+) val_bpb:\s?(?P<bpb>\d+\.\d+)"
    r"(?: train_time:\s?(?P<ms>\d+)ms)?(?: step_avg:\s?(?P<avg>[\d.]+)ms)?"
)
STEP_MS = re.compile(
    r"^step:(?P<step>\d+)/(?P<total>\d+)\s+(?:\[[^\]]+\]\s+)?(?:train_)?loss:(?P<loss>[\d.]+).*?"
    r"\b(?:train_time|t):(?P<ms>\d+)ms\s+(?:step_avg|avg):(?P<avg>[\d.]+)ms"
)
STEP_MIN = re.compile(
    r"^(?P<step>\d+)/(?P<total>\d+) train_loss: (?P<loss>[\d.]+) train_time: (?P<min>[\d.]+)m tok/s: (?P<tps>\d+)"
)
STOPPING = re.compile(
    r"^stopping_early: wallclock_cap train_time: ?(?P<ms>\d+)ms(?: step: ?(?P<step>\d+)/(?P<total>\d+))?"
)
GPTQ_RESERVE = re.compile(
    r"^gptq:reserving (?P<v>[\d.]+)(?P<unit>ms|s)(?: from training budget)?, effective=(?P<eff_ms>\d+)ms"
)
# Calibration that reads training data counts toward the training budget (§4.5) ...
HESSIAN = re.compile(
    r"^(?:GPTQ:collected (?P<n>\d+) Hessians in|gptq:collected hessians for (?P<n2>\d+) layers in) (?P<s>[\d.]+)s"
)
# ... self-generated calibration does not.
GPTQ_SELFGEN = re.compile(r"^(?:gptq:done in (?P<s>[\d.]+)s|gptq:generated (?P<n>\d+) seq\w* in (?P<s2>[\d.]+)s)")
SERIALIZE_WALL = re.compile(r"^serialize_wallclock: (?P<s>[\d.]+)s")
ARTIFACT_WALL = re.compile(r"^artifact_production_wallclock: (?P<s>[\d.]+)s(?: \(must be < (?P<cap>[\d.]+)\))?")
POST_GPTQ_WALL = re.compile(r"^wallclock:post_gptq total_elapsed:(?P<s>[\d.]+)s(?: train_budget:(?P<b>[\d.]+)s)?")
TOTAL_EVAL = re.compile(r"^total_eval_time:\s?(?P<s>[\d.]+)s")
# The reference model's projection of its legal evaluation over the whole split (reference_model/train.py)
EVAL_BUDGET = re.compile(r"^(?:error: )?eval_budget: mode:(?P<mode>\w+) .*?projected_eval_seconds:(?P<s>[\d.]+) "
                         r"max_eval_seconds:(?P<cap>[\d.]+) scope:(?P<scope>\S+) fits:(?P<fits>yes|no)")
PEAK_MEM = re.compile(r"^peak memory(?: allocated)?: (?P<alloc>\d+) MiB(?: reserved: (?P<res>\d+) MiB)?")
RAW_MODEL = re.compile(r"^Serialized model: (?P<bytes>\d+) bytes\s*$")
MODEL = re.compile(
    r"^Serialized model (?P<fmt>[\w+\-]+): (?P<bytes>\d+) bytes"
    r"(?: \(payload:(?P<payload>\d+) raw_torch:(?P<raw>\d+) payload_ratio:(?P<ratio>[\d.]+)x\))?"
)
CODE = re.compile(r"^Code size(?: \((?P<kind>uncompressed|compressed)\))?: (?P<bytes>\d+) bytes")
TOTAL = re.compile(r"^Total submission size(?: (?P<fmt>[\w+\-]+))?: (?P<bytes>\d+) bytes")
BUDGET_S = re.compile(r"budget:(?P<bytes>\d+)/(?P<cap>\d+) \((?P<mb>[\d.]+)/(?P<capmb>[\d.]+)MB\) (?P<verdict>\w+)")
ARTIFACT_MB_S = re.compile(r"artifact:(?P<mb>[\d.]+)MB ")  # ... then the line's last code:N (_artifact_mb)
_CODE_FIELD = re.compile(r"code:(\d+)")
# A token starts after a blank (lookbehind): a search never rescans one long token from every offset.
MODEL_TOTAL_S = re.compile(
    r"(?:^|(?<=\s))(?P<fmt>\S+) model: (?P<model>\d+) bytes \| Total submission: (?P<bytes>\d+) bytes")
MB_TOTAL_S = re.compile(
    r"(?:^|(?<=\s))(?P<fmt>\S+): (?P<model>[\d.]+)MB model \+ (?P<code>[\d.]+)MB code = (?P<total>[\d.]+)/"
    r"(?P<cap>[\d.]+)MB (?P<verdict>\w+)"
)
SEED = re.compile(r"^\s*seed[:=] ?(?P<seed>\d+)\s*$")
SEED_PARAMS_S = re.compile(r"\bparams:[\d,]+\b")  # ... then the line's last s:N (_params_seed)
_SEED_FIELD = re.compile(r"\bs:(\d+)\b")
# A `seed:N` / `seed=N` token inside a longer line (`... wall:600s seed:1337`, `SEED=42`, `(seed=7)`).
SEED_KV_S = re.compile(r"(?:^|(?<=[\s(\[,;|]))seed[:=] ?(?P<seed>\d+)(?=$|[\s)\],;|])", re.I)
# A banner naming the seed: `=== Seed 42 ===`, `SEED 42 - starting training run`.
SEED_BANNER = re.compile(r"^[=#*\- ]*seed (?P<seed>\d+)\b", re.I)
# What a log must print for its seed to be read (said when none is found).
SEED_FORMS = "`seed: 42` (or `seed=42`, `RUN seed=42`, a `seed:42` token on a config line)"
RUN_SEED = re.compile(r"^(?:\[[\d:]+\]\s+)?RUN seed=(?P<seed>\d+)")
WORLD = re.compile(r"^\s*world_size: ?(?P<ws>\d+)(?: grad_accum_steps: ?(?P<ga>\d+))?\s*$")
WORLD_S = re.compile(r"\bws:(?P<ws>\d+)\b(?: ga:(?P<ga>\d+))?")
GPU = re.compile(r"^\|\s+(?P<idx>\d+)\s+NVIDIA (?P<name>.*?\S)\s{2,}(?:On|Off)\s+\|")
SMI_S = re.compile(r"NVIDIA-SMI (?P<smi>\S+)\s+Driver Version: (?P<driver>\S+)\s+CUDA Version: (?P<cuda>\S+)")
TORCH = re.compile(r"^(?:Running )?PyTorch (?P<v>\d\S*)")
# reference-model format: "device:cuda NVIDIA H100 80GB HBM3 torch:2.11.0+cu130" / "device:cpu torch:2.13.0+cpu"
DEVICE = re.compile(r"^device:(?P<kind>cpu|cuda|mps)(?P<rest>(?: .*)?)$")  # name and torch: _device_fields
PYTHON = re.compile(r"^(?:Running )?Python (?P<v>3\.\d+\.\d+)")
MODEL_PARAMS = re.compile(r"^model_params:(?P<n>\d+)")
TOKENIZER = re.compile(
    r"^val_bpb:enabled tokenizer_kind=(?P<kind>\w+)(?: tokenizer_path=(?P<path>\S+))?(?: vocab_size=(?P<v>\d+))?"
)
TOKENIZER_PATH = re.compile(r"^\s*tokenizer_path: (?P<path>\S+)")
VAL_LOADER = re.compile(r"^val_loader:shards pattern=(?P<pat>\S+) tokens:(?P<n>\d+)")
VAL_TOKENS = re.compile(r"^\s*val_tokens: ?(?P<n>\d+)")
SIDECAR = re.compile(r"^(?:val_bpb:byte_sidecar:enabled|\s*val_bytes_files: \S*val_bytes)")
HEADER_HP = re.compile(r"^(?:Hyperparameters:\s*$|--- ?Hyperparameters ?---)")

# Canonical validation token counts by tokenizer family (§3.2 Tokenizer row).
CANONICAL_VAL_TOKENS = {
    "sp1024": (62_021_632, 63_779_840),
    "sp4096": (45_508_608, 45_514_752),
    "sp8192": (40_540_160,),
    "sp8192_caseops": (47_851_520,),
    "byte260": (151_130_112,),
}


@dataclass
class Metric:
    """A final/diagnostic eval metric line (or a TTT-done line, or an eval-only JSON value)."""

    label: str
    loss: float | None
    bpb: float
    bpb_text: str
    line: int
    eval_ms: int | None = None
    stride: int | None = None
    kind: str = "final"  # final | ttt_done | json | step_val

    @property
    def decimals(self) -> int:
        return len(self.bpb_text.split(".", 1)[1]) if "." in self.bpb_text else 0

    @property
    def is_diagnostic(self) -> bool:
        low = self.label.lower()
        return "diagnostic" in low or "pre-quantization" in low or "post_ema" in low or "pre_quant" in low


@dataclass
class Value:
    """A number a log states, with the line it is on."""

    value: float | int | str
    line: int


@dataclass
class Run:
    """One training/eval run inside a log file."""

    log: str
    index: int = 0
    start_line: int = 1
    end_line: int = 1
    seed: Value | None = None
    world_size: Value | None = None
    grad_accum: int | None = None
    gpus: dict[int, str] = field(default_factory=dict)
    gpu_line: int | None = None
    torch: str | None = None
    metrics: list[Metric] = field(default_factory=list)
    step_vals: list[Metric] = field(default_factory=list)
    stopping: Value | None = None  # train ms at the wallclock stop
    stop_step: int | None = None
    total_steps: int | None = None
    last_step_ms: Value | None = None
    last_step: int | None = None
    step_avg_ms: float | None = None
    gptq_reserve_s: Value | None = None
    hessian_s: Value | None = None
    selfgen_gptq_s: Value | None = None
    serialize_wall_s: Value | None = None
    artifact_wall_s: Value | None = None
    post_gptq_wall_s: Value | None = None
    total_eval_s: Value | None = None
    # (projected seconds, cap, scope, fits) from an ``eval_budget:`` line
    eval_projection: tuple[float, float, str, bool] | None = None
    eval_projection_line: int = 0
    json_eval_ms: Value | None = None  # eval-only JSON summaries (2026-04-23 ttt_pr1767/summary.log)
    json_loss: Value | None = None
    raw_model_bytes: Value | None = None
    model_bytes: Value | None = None
    model_format: str | None = None
    code_bytes: Value | None = None
    code_bytes_uncompressed: Value | None = None
    code_bytes_compressed: Value | None = None
    # every `Total submission size` the run printed, in order: a script may export more than once
    totals: list[Value] = field(default_factory=list)
    total_mb: Value | None = None  # families that print only MB
    budget_verdict: str | None = None
    val_tokens: Value | None = None
    val_pattern: str | None = None
    device: str | None = None  # "cpu" / "cuda" where the log names its device
    tokenizer_path: str | None = None
    byte_sidecar: bool = False
    model_params: int | None = None
    peak_mem_mib: int | None = None
    scored: Metric | None = None
    scored_how: str = ""
    # score lines printed after the scored one that were not chosen, each with the reason
    skipped: list[tuple[Metric, str]] = field(default_factory=list)

    @property
    def total_bytes(self) -> Value | None:
        """The artifact size of the export that produced the reported score: the last size line
        before the scored line (a later export, e.g. a diagnostic re-quantisation, is not the
        artifact that was scored); without a scored line, the last size line."""
        if not self.totals:
            return None
        if self.scored is not None:
            before = [v for v in self.totals if v.line < self.scored.line]
            if before:
                return before[-1]
        return self.totals[-1]
    ambiguous: list[Metric] = field(default_factory=list)

    # ---- derived
    @property
    def train_ms(self) -> Value | None:
        """Authoritative training wallclock: the ``stopping_early`` line, else the last step line."""
        return self.stopping or self.last_step_ms

    @property
    def train_seconds(self) -> float | None:
        t = self.train_ms
        return None if t is None else round(float(t.value) / 1000.0, 3)

    @property
    def train_data_seconds(self) -> float | None:
        """Training time plus calibration that reads training data (§4.5)."""
        t = self.train_seconds
        if t is None:
            return None
        return round(t + (float(self.hessian_s.value) if self.hessian_s else 0.0), 3)

    def eval_seconds(self) -> float | None:
        """Evaluation time of the scored path (§4.6): ``total_eval_time`` when it times the scored
        pass (printed after it, with no other pass's score line between), else the scored pass plus
        the passes it depends on."""
        if self.total_eval_s is not None and self._total_eval_times_scored():
            return float(self.total_eval_s.value)
        s = self.scored
        if s is None:
            return None
        if s.kind == "json":
            return None if s.eval_ms is None else s.eval_ms / 1000.0
        # The scored pass plus the passes it depends on: the post-quant, non-diagnostic eval lines
        # up to and including it, each pass once (plain/_exact twins and `ttt_sliding:done` /
        # `legal_ttt` print the same pass twice).
        passes: dict[str, int] = {}
        for m in self.metrics:
            if m.line > s.line and not (m is s):
                break
            if m.is_diagnostic or m.kind == "json":
                continue
            base = _pass_name(m)
            if m.eval_ms is not None:
                passes[base] = max(passes.get(base, 0), m.eval_ms)
            else:
                passes.setdefault(base, 0)
        # the _exact twin of the scored line may carry no time: look one line further for it
        base = _pass_name(s)
        if not passes.get(base):
            for m in self.metrics:
                if _pass_name(m) == base and m.eval_ms is not None:
                    passes[base] = m.eval_ms
                    break
        if not passes.get(base):
            return None
        return round(sum(passes.values()) / 1000.0, 3)

    def _total_eval_times_scored(self) -> bool:
        s, t = self.scored, self.total_eval_s
        if s is None or t is None:
            return s is None
        if t.line < s.line:
            return False  # it timed an earlier pass
        name = _pass_name(s)
        return not any(s.line < m.line < t.line and not m.is_diagnostic and _pass_name(m) != name
                       for m in self.metrics)

    @property
    def eval_upper_seconds(self) -> float | None:
        """Sum of every non-diagnostic eval pass in the run (an upper bound, §4.6)."""
        passes: dict[str, int] = {}
        for m in self.metrics:
            if not m.is_diagnostic and m.eval_ms is not None and m.kind != "json":
                base = _pass_name(m)
                passes[base] = max(passes.get(base, 0), m.eval_ms)
        return round(sum(passes.values()) / 1000.0, 3) if passes else None

    @property
    def pre_quant(self) -> Metric | None:
        """Pre-quantization value (§3.3 step 4): the post-EMA diagnostic, else the last step-val line."""
        pre = [m for m in self.metrics if "pre-quantization" in m.label.lower() or "post_ema" in m.label.lower()]
        if pre:
            pre.sort(key=lambda m: (m.decimals, m.line))
            return pre[-1]
        return self.step_vals[-1] if self.step_vals else None

    @property
    def roundtrip(self) -> Metric | None:
        """Quantized round-trip value (no sliding window, no TTT), the `_exact` twin preferred."""
        rt = [m for m in self.metrics if not m.is_diagnostic and "sliding" not in m.label.lower()
              and "ttt" not in m.label.lower() and ("roundtrip" in m.label.lower() or m.label.lower() == "quantized")]
        if not rt:
            rt = [m for m in self.metrics if m.label.lower() == "diagnostic quantized"]
        if not rt:
            return None
        rt.sort(key=lambda m: (m.decimals, m.line))
        return rt[-1]

    @property
    def gpu_count(self) -> int:
        return len(self.gpus)

    @property
    def gpu_names(self) -> list[str]:
        return sorted(set(self.gpus.values()))

    def line_of(self, attr: str) -> int:
        v = getattr(self, attr, None)
        return v.line if isinstance(v, Value) else self.start_line


def _pass_name(m: Metric) -> str:
    low = m.label.lower().removesuffix("_exact")
    if m.kind == "ttt_done" or low.startswith("legal_ttt"):
        return "legal_ttt"
    return low


def _f(s: str | None) -> float | None:
    return None if s is None else float(s)


def _rest_fields(rest: str) -> tuple[int | None, int | None]:
    m = re.search(r"(?:eval_)?time:(\d+)ms", rest)
    ms = int(m.group(1)) if m else None
    m = re.search(r"stride[:=](\d+)", rest)
    return ms, int(m.group(1)) if m else None


_HEADER_KINDS = (
    (lambda t: bool(HEADER_HP.match(t))),
    (lambda t: bool(RUN_SEED.match(t))),
    (lambda t: bool(SEED.match(t))),
)


def _output_line(t: str) -> bool:
    return bool(METRIC.match(t) or STEP_MS.match(t) or STEP_VAL.match(t) or STEP_MIN.match(t)) or '"post_ttt_val_bpb"' in t


def _header_kind(lines: Iterable[Line]):
    """The run header of a file: ``Hyperparameters:`` blocks when the file has two, else ``RUN seed=``,
    else ``seed:`` lines (None: the file is one run)."""
    counts = [0, 0, 0]
    for ln in lines:
        t = ln.text
        for k, is_header in enumerate(_HEADER_KINDS):
            if counts[k] < 2 and is_header(t):
                counts[k] += 1
        if counts[0] >= 2:
            break
    return next((_HEADER_KINDS[k] for k in range(3) if counts[k] >= 2), None)


def split_runs(lines: list[Line]) -> list[list[Line]]:
    """Cut one file into runs at a repeated run header.

    Headers: ``Hyperparameters:`` blocks when the file has them, else ``RUN seed=``, else
    ``seed:`` lines. A header starts a new run only once the current run has produced output
    (a step or metric line), so a header printed twice at start-up does not split.
    """
    is_header = _header_kind(lines)
    if is_header is None:
        return [lines]
    runs: list[list[Line]] = [[]]
    seen_header = False
    has_output = False
    for ln in lines:
        t = ln.text
        if is_header(t):
            if seen_header and has_output and len(runs) < MAX_RUNS:
                runs.append([])
                has_output = False
            seen_header = True
        elif _output_line(t):
            has_output = True
        runs[-1].append(ln)
    return [r for r in runs if r]


def _keep(items: list, item) -> None:
    """Append, keeping at most MAX_ITEMS (the newest replaces the last kept): memory stays bounded."""
    if len(items) < MAX_ITEMS:
        items.append(item)
    else:
        items[-1] = item


def _device_fields(rest: str) -> tuple[str | None, str | None]:
    """``" NVIDIA H100 80GB HBM3 torch:2.11.0+cu130"`` -> (name, torch version)."""
    rest = rest.strip()
    torch = None
    head, sep, tail = (" " + rest).rpartition(" torch:")
    if sep and tail and not any(c.isspace() for c in tail):
        torch, rest = tail, head.strip()
    return (rest or None), torch


class _RunParser:
    """Fills one :class:`Run` from its cleaned lines, one line at a time."""

    def __init__(self, log: str, index: int):
        self.run = Run(log=log, index=index)
        self.first: int | None = None
        self.last = 1
        self.after_model_line = False

    def feed(self, ln: Line) -> None:
        """Every field of §3.2 that the line states."""
        run = self.run
        t, no = ln.text, ln.no
        if self.first is None:
            self.first = no
        self.last = no
        if ":" not in t and "=" not in t and "|" not in t:
            return  # every field line carries one of these
        m = METRIC.match(t)
        if m:
            ms, stride = _rest_fields(m.group("rest"))
            label = m.group("label") + (" sliding" if m.group("sliding") else "")
            _keep(run.metrics, Metric(label, _f(m.group("loss")), float(m.group("bpb")), m.group("bpb"), no, ms,
                                      int(m.group("stride")) if m.group("stride") else stride))
            return
        m = TTT_DONE.match(t)
        if m:
            s = m.group("s")
            _keep(run.metrics, Metric("ttt_sliding:done", float(m.group("loss")), float(m.group("bpb")), m.group("bpb"),
                                      no, None if s is None else int(float(s) * 1000), None, "ttt_done"))
            return
        m = JSON_BPB_S.search(t)
        if m:
            _keep(run.metrics, Metric("post_ttt_val_bpb", None, float(m.group("bpb")), m.group("bpb"), no,
                                      None, None, "json"))
            return
        m = JSON_LOSS_S.search(t)
        if m:
            run.json_loss = Value(float(m.group("loss")), no)
            return
        m = JSON_EVAL_MS_S.search(t)
        if m:
            run.json_eval_ms = Value(int(m.group("ms")), no)
            return
        m = STEP_VAL.match(t)
        if m:
            _keep(run.step_vals, Metric("step_val", float(m.group("loss")), float(m.group("bpb")), m.group("bpb"),
                                        no, None, None, "step_val"))
            if m.group("ms"):
                run.last_step_ms = Value(int(m.group("ms")), no)
                run.last_step = int(m.group("step"))
            run.total_steps = int(m.group("total"))
            return
        m = STEP_MS.match(t)
        if m:
            run.last_step_ms = Value(int(m.group("ms")), no)
            run.last_step = int(m.group("step"))
            run.total_steps = int(m.group("total"))
            run.step_avg_ms = float(m.group("avg")) if m.group("avg").replace(".", "", 1).isdigit() else None
            return
        m = STEP_MIN.match(t)
        if m:
            run.last_step_ms = Value(round(float(m.group("min")) * 60_000), no)
            run.last_step = int(m.group("step"))
            run.total_steps = int(m.group("total"))
            return
        m = STOPPING.match(t)
        if m:
            run.stopping = Value(int(m.group("ms")), no)
            if m.group("step"):
                run.stop_step, run.total_steps = int(m.group("step")), int(m.group("total"))
            return
        m = GPTQ_RESERVE.match(t)
        if m:
            v = float(m.group("v")) / (1000.0 if m.group("unit") == "ms" else 1.0)
            run.gptq_reserve_s = Value(v, no)
            return
        m = HESSIAN.match(t)
        if m:
            prev = float(run.hessian_s.value) if run.hessian_s else 0.0
            run.hessian_s = Value(round(prev + float(m.group("s")), 3), no)
            return
        m = GPTQ_SELFGEN.match(t)
        if m:
            run.selfgen_gptq_s = Value(float(m.group("s") or m.group("s2")), no)
            return
        for rx, attr in ((SERIALIZE_WALL, "serialize_wall_s"), (ARTIFACT_WALL, "artifact_wall_s"),
                         (POST_GPTQ_WALL, "post_gptq_wall_s"), (TOTAL_EVAL, "total_eval_s")):
            m = rx.match(t)
            if m:
                setattr(run, attr, Value(float(m.group("s")), no))
                return
        m = PEAK_MEM.match(t)
        if m:
            run.peak_mem_mib = int(m.group("alloc"))
            return
        m = EVAL_BUDGET.match(t)
        if m:
            run.eval_projection = (float(m.group("s")), float(m.group("cap")), m.group("scope"), m.group("fits") == "yes")
            run.eval_projection_line = no
            return
        m = RAW_MODEL.match(t)
        if m:
            run.raw_model_bytes = Value(int(m.group("bytes")), no)
            return
        m = MODEL.match(t)
        if m:
            run.model_bytes = Value(int(m.group("bytes")), no)
            run.model_format = m.group("fmt")
            self.after_model_line = True
            return
        m = CODE.match(t)
        if m:
            v = Value(int(m.group("bytes")), no)
            kind = m.group("kind")
            if kind == "compressed":
                run.code_bytes_compressed = v
            elif kind == "uncompressed":
                run.code_bytes_uncompressed = v
            else:
                run.code_bytes = v
            return
        m = TOTAL.match(t)
        if m:
            # The fmt-less total before any compressed-model line is raw state dict + code (§3.2).
            if self.after_model_line or m.group("fmt"):
                if self.after_model_line or not run.totals:
                    _keep(run.totals, Value(int(m.group("bytes")), no))
            return
        m = MODEL_TOTAL_S.search(t)
        if m:
            run.model_bytes = Value(int(m.group("model")), no)
            run.model_format = m.group("fmt")
            _keep(run.totals, Value(int(m.group("bytes")), no))
            self.after_model_line = True
            return
        m = BUDGET_S.search(t)
        if m:
            _keep(run.totals, Value(int(m.group("bytes")), no))
            run.budget_verdict = m.group("verdict")
            return
        m = MB_TOTAL_S.search(t)
        if m:
            run.total_mb = Value(float(m.group("total")), no)
            run.model_format = run.model_format or m.group("fmt")
            run.budget_verdict = m.group("verdict")
            return
        m = ARTIFACT_MB_S.search(t)
        if m:
            code = _last(_CODE_FIELD, t, m.end())
            if code is not None:
                run.total_mb = run.total_mb or Value(float(m.group("mb")), no)
                run.code_bytes = run.code_bytes or Value(int(code), no)
                return
        m = SEED.match(t) or RUN_SEED.match(t) or (JSON_SEED_S.search(t) if t.lstrip().startswith('"seed"') else None)
        if m:
            if run.seed is None:
                run.seed = Value(int(m.group("seed")), no)
            return
        m = WORLD.match(t)
        if m:
            if run.world_size is None:
                run.world_size = Value(int(m.group("ws")), no)
                run.grad_accum = int(m.group("ga")) if m.group("ga") else None
            return
        m = GPU.match(t)
        if m:
            idx = int(m.group("idx"))
            if idx in run.gpus or len(run.gpus) < 64:
                run.gpus[idx] = m.group("name").strip()
            run.gpu_line = run.gpu_line or no
            return
        m = TORCH.match(t)
        if m:
            run.torch = run.torch or m.group("v")
            return
        m = DEVICE.match(t)
        if m:
            name, torch = _device_fields(m.group("rest"))
            run.device = run.device or m.group("kind")
            run.torch = run.torch or torch
            if m.group("kind") == "cuda" and name and not run.gpus:
                run.gpus[0] = name
                run.gpu_line = run.gpu_line or no
            return
        m = MODEL_PARAMS.match(t)
        if m:
            run.model_params = int(m.group("n"))
            return
        m = TOKENIZER.match(t)
        if m:
            run.tokenizer_path = run.tokenizer_path or m.group("path")
            return
        m = TOKENIZER_PATH.match(t)
        if m:
            run.tokenizer_path = run.tokenizer_path or m.group("path")
            return
        m = VAL_LOADER.match(t)
        if m:
            run.val_pattern = m.group("pat")
            run.val_tokens = Value(int(m.group("n")), no)
            return
        m = VAL_TOKENS.match(t)
        if m:
            run.val_tokens = run.val_tokens or Value(int(m.group("n")), no)
            return
        if SIDECAR.match(t):
            run.byte_sidecar = True
            return
        # Fallbacks for families without the standard lines.
        if run.seed is None:
            m = SEED_PARAMS_S.search(t)
            seed = _last(_SEED_FIELD, t, m.end()) if m else None
            if seed is None:
                m = SEED_KV_S.search(t) or SEED_BANNER.match(t)
                seed = m.group("seed") if m else None
            if seed is not None:
                run.seed = Value(int(seed), no)
        if run.world_size is None:
            m = WORLD_S.search(t)
            if m:
                run.world_size = Value(int(m.group("ws")), no)
                run.grad_accum = int(m.group("ga")) if m.group("ga") else None

    def finish(self) -> Run:
        run = self.run
        if self.first is not None:
            run.start_line, run.end_line = self.first, self.last
        # eval-only JSON blocks: attach loss and eval time to the JSON metric
        for mt in run.metrics:
            if mt.kind == "json":
                mt.loss = None if run.json_loss is None else float(run.json_loss.value)
                mt.eval_ms = int(run.json_eval_ms.value) if run.json_eval_ms else None
        return run


def _last(rx: re.Pattern, text: str, start: int) -> str | None:
    """Group 1 of the last match of ``rx`` in ``text`` from ``start`` (what a greedy ``.*rx`` finds)."""
    found = None
    for found in rx.finditer(text, start):
        pass
    return None if found is None else found.group(1)


def parse_run(lines: Iterable[Line], log: str = "", index: int = 0) -> Run:
    """Every field of §3.2 from one run's cleaned lines."""
    parser = _RunParser(log, index)
    for ln in lines:
        parser.feed(ln)
    return parser.finish()


@dataclass
class LogFile:
    """A parsed log file: its runs, content hash and any problem reading it.

    ``skipped`` says why the file was not parsed at all (too large); ``problem`` what is wrong with
    content that was parsed (binary bytes)."""

    path: str
    runs: list[Run]
    sha256: str
    lines: int
    problem: str = ""
    skipped: str = ""
    size: int = 0


def _digest(source: LogSource) -> tuple[str, int, bool]:
    """(sha256, size in bytes, NUL bytes in the first 64 KiB) of a log, read in chunks."""
    if isinstance(source, str):
        return sha256(source), len(source.encode("utf-8", errors="surrogatepass")), "\x00" in source[:65536]
    if isinstance(source, (bytes, bytearray)):
        return hashlib.sha256(source).hexdigest(), len(source), b"\x00" in source[:65536]
    h, size, nul = hashlib.sha256(), 0, False
    with open(source, "rb") as fh:
        for chunk in iter(lambda: fh.read(_READ), b""):
            if size < 65536:
                nul = nul or b"\x00" in chunk[: 65536 - size]
            size += len(chunk)
            h.update(chunk)
    return h.hexdigest(), size, nul


def _size(source: LogSource) -> int:
    if isinstance(source, str):
        return len(source)  # characters: a bound on bytes/4 .. bytes
    if isinstance(source, (bytes, bytearray)):
        return len(source)
    return os.stat(source).st_size


def parse_log(source: LogSource, path: str = "") -> LogFile:
    """Parse a whole log file (its text, its bytes, or its path: then it is streamed from disk).

    Never raises on content; a file over ``MAX_LOG_BYTES`` is not parsed (``skipped`` says so). Time
    is linear in the size of the file and memory bounded by what the runs state, not by its lines.
    An unreadable path raises OSError.
    """
    if not isinstance(source, (str, bytes, bytearray, os.PathLike)):
        source = ""
    size = _size(source)
    if size > MAX_LOG_BYTES:
        digest, size, _nul = _digest(source)
        return LogFile(path, [], digest, 0, "", skipped=f"is {size:,} bytes, over the {MAX_LOG_BYTES:,} bytes "
                       "golfcheck parses (the largest merged record's log has 205 KB)", size=size)
    digest, size, nul = _digest(source)
    problem = "binary content (NUL bytes)" if nul else ""
    # the header kind needs a count over the cleaned lines: a cheap pass over the raw lines first
    # (a superset of them) settles most files, where no kind occurs twice
    is_header = _header_kind(clean_lines(source)) if _header_kind(
        Line(0, _strip_ts(t)) for t in raw_lines(source) if "yperparam" in t or "seed" in t) else None
    runs: list[Run] = []
    parser = _RunParser(path, 0)
    seen_header = has_output = False
    count = 0
    for ln in clean_lines(source):
        count += 1
        if is_header is not None:
            t = ln.text
            if is_header(t):
                if seen_header and has_output and len(runs) + 1 < MAX_RUNS:
                    runs.append(parser.finish())
                    parser = _RunParser(path, len(runs))
                    has_output = False
                seen_header = True
            elif not has_output and _output_line(t):
                has_output = True
        parser.feed(ln)
    runs.append(parser.finish())
    return LogFile(path, runs, digest, count, problem, size=size)


# ------------------------------------------------------------------ scored-line selection (§3.3)
def _class(m: Metric) -> int:
    """Priority class of a candidate: 3 TTT, 2 sliding, 1 round-trip/quantized, 0 other."""
    low = m.label.lower()
    if m.kind in ("ttt_done", "json") or "ttt" in low:
        return 3
    if "sliding" in low:
        return 2
    if "roundtrip" in low or low == "quantized" or low.startswith("final_"):
        return 1
    return 0


def decimals_of(value: float | str) -> int:
    """Printed decimals of a JSON number (``1.064`` -> 3; trailing zeros count as dropped)."""
    text = value if isinstance(value, str) else repr(float(value))
    if "e" in text.lower():
        return 8
    return len(text.split(".", 1)[1].rstrip("0")) if "." in text else 0


def matches(m: Metric, value: float) -> bool:
    """Does the line's bpb equal ``value`` at the coarser of the two printed precisions?"""
    k = min(decimals_of(value), m.decimals)
    return abs(round(m.bpb, k) - round(float(value), k)) < 0.5 * 10 ** (-k) + 1e-12


def candidates(run: Run) -> list[Metric]:
    return [m for m in run.metrics if not m.is_diagnostic]


CLASS_NAMES = {3: "TTT", 2: "sliding window", 1: "round-trip", 0: "other"}


def pass_name(m: Metric) -> str:
    """The eval pass a score line belongs to (``final_slot`` for ``final_slot_exact``; TTT lines
    of one pass share a name)."""
    return _pass_name(m)


def note_skipped(run: Run, reason) -> None:
    """Record the score lines printed after the scored one, with ``reason(line)`` for each (the same
    pass printed again, e.g. the 4-dp twin of an ``_exact`` line, is not listed)."""
    s = run.scored
    run.skipped = []
    if s is None:
        return
    for m in candidates(run):
        if m.line <= s.line or (pass_name(m) == pass_name(s) and matches(m, s.bpb)):
            continue
        run.skipped.append((m, reason(m)))


def select_pass(run: Run, name: str, how: str, reason: str) -> bool:
    """Score the run on its best-printed line of pass ``name`` (False if it has none)."""
    same = sorted((m for m in candidates(run) if pass_name(m) == name), key=lambda m: (m.decimals, m.line))
    if not same:
        return False
    run.scored, run.scored_how, run.ambiguous = same[-1], how, []
    note_skipped(run, lambda m: reason)
    return True


def select_scored(run: Run, claimed: float | None = None) -> Run:
    """Set ``run.scored`` (and ``scored_how``, ``ambiguous``, ``skipped``) by the §3.3 algorithm.

    With a claimed per-seed value (from submission.json) the line whose bpb matches it at the
    printed precision wins, 8-dp lines first; else candidates are ranked TTT > sliding > round-trip,
    ``_exact`` first, a failed TTT line (worse than the sliding score by > 0.01) skipped. Later score
    lines that were not chosen are listed in ``run.skipped`` with the reason.
    """
    run.scored, run.scored_how, run.ambiguous, run.skipped = None, "", [], []
    cands = candidates(run)
    if claimed is not None:
        hits = [m for m in cands if matches(m, claimed)]
        if not hits:
            hits = [m for m in run.step_vals if matches(m, claimed)]
            if hits:
                run.scored, run.scored_how = hits[-1], "matched submission.json (step-val line, pre-quant)"
                note_skipped(run, lambda m: f"does not match the claimed {claimed}")
                return run
        if hits:
            hits.sort(key=lambda m: (m.decimals, _class(m), m.line))
            run.scored, run.scored_how = hits[-1], "matched submission.json"
            note_skipped(run, lambda m: f"does not match the claimed {claimed}")
            return run
    if not cands:
        if run.step_vals:
            run.scored, run.scored_how = run.step_vals[-1], "last step-val line (no final metric line)"
        return run
    best_sliding = min((m.bpb for m in cands if _class(m) == 2), default=None)
    usable, failed = [], []
    for m in cands:
        if _class(m) == 3 and best_sliding is not None and m.bpb > best_sliding + 0.01:
            failed.append(m)  # failed TTT run (2026-04-04 seed 42 shape)
            continue
        usable.append(m)
    top = max(_class(m) for m in usable)
    tops = [m for m in usable if _class(m) == top]
    tops.sort(key=lambda m: (m.decimals, m.label.endswith("_exact"), m.line))
    run.scored = tops[-1]
    run.scored_how = "priority (no claimed value)" if claimed is None else "priority (no line matches the claimed value)"
    spread = [m for m in tops if abs(m.bpb - run.scored.bpb) > 1e-4]
    if spread:
        run.ambiguous = spread

    def why(m: Metric) -> str:
        if m in failed:
            return f"failed TTT: worse than the sliding-window score {best_sliding} by more than 0.01"
        if _class(m) < top:
            return f"lower priority ({CLASS_NAMES[_class(m)]} < {CLASS_NAMES[top]})"
        if m in spread:
            return "same priority, different value (ambiguous)"
        return "fewer printed decimals"

    note_skipped(run, why)
    return run
