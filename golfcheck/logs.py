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

CORPUS_MARKER = "[golfcheck-corpus: embedded source listing removed]"
MAX_LINE_CHARS = 4096  # longer lines are cut before any regex runs (keeps the parser linear)

_TS = re.compile(r"^\d{9,}\.\d+\s+")
_SEPARATOR = re.compile(r"^={20,}\s*$")
_CODE_START = re.compile(r'^(import |from \S+ import |"""|\'\'\'|#!|Source code:)')
# Mid-listing starts (a listing cut by a log rotation): a comment, decorator or definition line.
_CODE_RESTART = re.compile(r"^(#|@\w|def |class |if __name__|\s+(def|class|return|for|while|try:|except|with|elif) )")
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
        if _CODE_START.match(s) or _CODE_RESTART.match(s):
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
                and " = " not in value  # an annotated assignment (`x: int = 5`) left from code
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


# ------------------------------------------------------------------ field regexes (§3.2)
# Applied with .match to cleaned lines (timestamp already stripped) unless named *_S (search).
METRIC = re.compile(
    r"^(?P<label>final_\w+|quantized(?:_\w+)?|diagnostic [\w\- ]+?|DIAGNOSTIC \w+|pre-quantization post-ema"
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
PEAK_MEM = re.compile(r"^peak memory(?: allocated)?: (?P<alloc>\d+) MiB(?: reserved: (?P<res>\d+) MiB)?")
RAW_MODEL = re.compile(r"^Serialized model: (?P<bytes>\d+) bytes\s*$")
MODEL = re.compile(
    r"^Serialized model (?P<fmt>[\w+\-]+): (?P<bytes>\d+) bytes"
    r"(?: \(payload:(?P<payload>\d+) raw_torch:(?P<raw>\d+) payload_ratio:(?P<ratio>[\d.]+)x\))?"
)
CODE = re.compile(r"^Code size(?: \((?P<kind>uncompressed|compressed)\))?: (?P<bytes>\d+) bytes")
TOTAL = re.compile(r"^Total submission size(?: (?P<fmt>[\w+\-]+))?: (?P<bytes>\d+) bytes")
BUDGET_S = re.compile(r"budget:(?P<bytes>\d+)/(?P<cap>\d+) \((?P<mb>[\d.]+)/(?P<capmb>[\d.]+)MB\) (?P<verdict>\w+)")
ARTIFACT_MB_S = re.compile(r"artifact:(?P<mb>[\d.]+)MB .*code:(?P<code>\d+)")
MODEL_TOTAL_S = re.compile(r"(?P<fmt>\S+) model: (?P<model>\d+) bytes \| Total submission: (?P<bytes>\d+) bytes")
MB_TOTAL_S = re.compile(
    r"(?P<fmt>\S+): (?P<model>[\d.]+)MB model \+ (?P<code>[\d.]+)MB code = (?P<total>[\d.]+)/(?P<cap>[\d.]+)MB (?P<verdict>\w+)"
)
SEED = re.compile(r"^\s*seed[:=] ?(?P<seed>\d+)\s*$")
SEED_PARAMS_S = re.compile(r"\bparams:[\d,]+\b.*\bs:(?P<seed>\d+)\b")
SEED_KV_S = re.compile(r"(?:^|\s)seed=(?P<seed>\d+)(?:\s|$)")
RUN_SEED = re.compile(r"^(?:\[[\d:]+\]\s+)?RUN seed=(?P<seed>\d+)")
WORLD = re.compile(r"^\s*world_size: ?(?P<ws>\d+)(?: grad_accum_steps: ?(?P<ga>\d+))?\s*$")
WORLD_S = re.compile(r"\bws:(?P<ws>\d+)\b(?: ga:(?P<ga>\d+))?")
GPU = re.compile(r"^\|\s+(?P<idx>\d+)\s+NVIDIA (?P<name>.+?)\s{2,}(?:On|Off)\s+\|")
SMI_S = re.compile(r"NVIDIA-SMI (?P<smi>\S+)\s+Driver Version: (?P<driver>\S+)\s+CUDA Version: (?P<cuda>\S+)")
TORCH = re.compile(r"^(?:Running )?PyTorch (?P<v>\d\S*)")
# reference-model format: "device:cuda NVIDIA H100 80GB HBM3 torch:2.11.0+cu130" / "device:cpu torch:2.13.0+cpu"
DEVICE = re.compile(r"^device:(?P<kind>cpu|cuda|mps)(?: (?P<name>.*?))?(?: torch:(?P<torch>\S+))?\s*$")
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
        """Evaluation time of the scored path (§4.6)."""
        if self.total_eval_s is not None:
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


def split_runs(lines: list[Line]) -> list[list[Line]]:
    """Cut one file into runs at a repeated run header.

    Headers: ``Hyperparameters:`` blocks when the file has them, else ``RUN seed=``, else
    ``seed:`` lines. A header starts a new run only once the current run has produced output
    (a step or metric line), so a header printed twice at start-up does not split.
    """
    kinds = (
        (lambda t: bool(HEADER_HP.match(t))),
        (lambda t: bool(RUN_SEED.match(t))),
        (lambda t: bool(SEED.match(t))),
    )
    for is_header in kinds:
        if sum(1 for ln in lines if is_header(ln.text)) >= 2:
            break
    else:
        return [lines]
    runs: list[list[Line]] = [[]]
    seen_header = False
    has_output = False
    for ln in lines:
        t = ln.text
        if is_header(t):
            if seen_header and has_output:
                runs.append([])
                has_output = False
            seen_header = True
        elif METRIC.match(t) or STEP_MS.match(t) or STEP_VAL.match(t) or STEP_MIN.match(t) or '"post_ttt_val_bpb"' in t:
            has_output = True
        runs[-1].append(ln)
    return [r for r in runs if r]


def parse_run(lines: list[Line], log: str = "", index: int = 0) -> Run:
    """Every field of §3.2 from one run's cleaned lines."""
    run = Run(log=log, index=index)
    if lines:
        run.start_line, run.end_line = lines[0].no, lines[-1].no
    after_model_line = False
    for ln in lines:
        t, no = ln.text, ln.no
        if ":" not in t and "=" not in t and "|" not in t:
            continue  # every field line carries one of these
        m = METRIC.match(t)
        if m:
            ms, stride = _rest_fields(m.group("rest"))
            label = m.group("label") + (" sliding" if m.group("sliding") else "")
            run.metrics.append(
                Metric(label, _f(m.group("loss")), float(m.group("bpb")), m.group("bpb"), no, ms,
                       int(m.group("stride")) if m.group("stride") else stride)
            )
            continue
        m = TTT_DONE.match(t)
        if m:
            s = m.group("s")
            run.metrics.append(
                Metric("ttt_sliding:done", float(m.group("loss")), float(m.group("bpb")), m.group("bpb"), no,
                       None if s is None else int(float(s) * 1000), None, "ttt_done")
            )
            continue
        m = JSON_BPB_S.search(t)
        if m:
            run.metrics.append(Metric("post_ttt_val_bpb", None, float(m.group("bpb")), m.group("bpb"), no,
                                      None, None, "json"))
            continue
        m = JSON_LOSS_S.search(t)
        if m:
            run.json_loss = Value(float(m.group("loss")), no)
            continue
        m = JSON_EVAL_MS_S.search(t)
        if m:
            run.json_eval_ms = Value(int(m.group("ms")), no)
            continue
        m = STEP_VAL.match(t)
        if m:
            run.step_vals.append(Metric("step_val", float(m.group("loss")), float(m.group("bpb")), m.group("bpb"),
                                        no, None, None, "step_val"))
            if m.group("ms"):
                run.last_step_ms = Value(int(m.group("ms")), no)
                run.last_step = int(m.group("step"))
            run.total_steps = int(m.group("total"))
            continue
        m = STEP_MS.match(t)
        if m:
            run.last_step_ms = Value(int(m.group("ms")), no)
            run.last_step = int(m.group("step"))
            run.total_steps = int(m.group("total"))
            run.step_avg_ms = float(m.group("avg")) if m.group("avg").replace(".", "", 1).isdigit() else None
            continue
        m = STEP_MIN.match(t)
        if m:
            run.last_step_ms = Value(round(float(m.group("min")) * 60_000), no)
            run.last_step = int(m.group("step"))
            run.total_steps = int(m.group("total"))
            continue
        m = STOPPING.match(t)
        if m:
            run.stopping = Value(int(m.group("ms")), no)
            if m.group("step"):
                run.stop_step, run.total_steps = int(m.group("step")), int(m.group("total"))
            continue
        m = GPTQ_RESERVE.match(t)
        if m:
            v = float(m.group("v")) / (1000.0 if m.group("unit") == "ms" else 1.0)
            run.gptq_reserve_s = Value(v, no)
            continue
        m = HESSIAN.match(t)
        if m:
            prev = float(run.hessian_s.value) if run.hessian_s else 0.0
            run.hessian_s = Value(round(prev + float(m.group("s")), 3), no)
            continue
        m = GPTQ_SELFGEN.match(t)
        if m:
            run.selfgen_gptq_s = Value(float(m.group("s") or m.group("s2")), no)
            continue
        for rx, attr in ((SERIALIZE_WALL, "serialize_wall_s"), (ARTIFACT_WALL, "artifact_wall_s"),
                         (POST_GPTQ_WALL, "post_gptq_wall_s"), (TOTAL_EVAL, "total_eval_s")):
            m = rx.match(t)
            if m:
                setattr(run, attr, Value(float(m.group("s")), no))
                break
        if m:
            continue
        m = PEAK_MEM.match(t)
        if m:
            run.peak_mem_mib = int(m.group("alloc"))
            continue
        m = RAW_MODEL.match(t)
        if m:
            run.raw_model_bytes = Value(int(m.group("bytes")), no)
            continue
        m = MODEL.match(t)
        if m:
            run.model_bytes = Value(int(m.group("bytes")), no)
            run.model_format = m.group("fmt")
            after_model_line = True
            continue
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
            continue
        m = TOTAL.match(t)
        if m:
            # The fmt-less total before any compressed-model line is raw state dict + code (§3.2).
            if after_model_line or m.group("fmt"):
                if after_model_line or not run.totals:
                    run.totals.append(Value(int(m.group("bytes")), no))
            continue
        m = MODEL_TOTAL_S.search(t)
        if m:
            run.model_bytes = Value(int(m.group("model")), no)
            run.model_format = m.group("fmt")
            run.totals.append(Value(int(m.group("bytes")), no))
            after_model_line = True
            continue
        m = BUDGET_S.search(t)
        if m:
            run.totals.append(Value(int(m.group("bytes")), no))
            run.budget_verdict = m.group("verdict")
            continue
        m = MB_TOTAL_S.search(t)
        if m:
            run.total_mb = Value(float(m.group("total")), no)
            run.model_format = run.model_format or m.group("fmt")
            run.budget_verdict = m.group("verdict")
            continue
        m = ARTIFACT_MB_S.search(t)
        if m:
            run.total_mb = run.total_mb or Value(float(m.group("mb")), no)
            run.code_bytes = run.code_bytes or Value(int(m.group("code")), no)
            continue
        m = SEED.match(t) or RUN_SEED.match(t) or (JSON_SEED_S.search(t) if t.lstrip().startswith('"seed"') else None)
        if m:
            if run.seed is None:
                run.seed = Value(int(m.group("seed")), no)
            continue
        m = WORLD.match(t)
        if m:
            if run.world_size is None:
                run.world_size = Value(int(m.group("ws")), no)
                run.grad_accum = int(m.group("ga")) if m.group("ga") else None
            continue
        m = GPU.match(t)
        if m:
            run.gpus[int(m.group("idx"))] = m.group("name").strip()
            run.gpu_line = run.gpu_line or no
            continue
        m = TORCH.match(t)
        if m:
            run.torch = run.torch or m.group("v")
            continue
        m = DEVICE.match(t)
        if m:
            run.device = run.device or m.group("kind")
            run.torch = run.torch or m.group("torch")
            if m.group("kind") == "cuda" and m.group("name") and not run.gpus:
                run.gpus[0] = m.group("name").strip()
                run.gpu_line = run.gpu_line or no
            continue
        m = MODEL_PARAMS.match(t)
        if m:
            run.model_params = int(m.group("n"))
            continue
        m = TOKENIZER.match(t)
        if m:
            run.tokenizer_path = run.tokenizer_path or m.group("path")
            continue
        m = TOKENIZER_PATH.match(t)
        if m:
            run.tokenizer_path = run.tokenizer_path or m.group("path")
            continue
        m = VAL_LOADER.match(t)
        if m:
            run.val_pattern = m.group("pat")
            run.val_tokens = Value(int(m.group("n")), no)
            continue
        m = VAL_TOKENS.match(t)
        if m:
            run.val_tokens = run.val_tokens or Value(int(m.group("n")), no)
            continue
        if SIDECAR.match(t):
            run.byte_sidecar = True
            continue
        # Fallbacks for families without the standard lines.
        if run.seed is None:
            m = SEED_PARAMS_S.search(t) or SEED_KV_S.search(t)
            if m:
                run.seed = Value(int(m.group("seed")), no)
        if run.world_size is None:
            m = WORLD_S.search(t)
            if m:
                run.world_size = Value(int(m.group("ws")), no)
                run.grad_accum = int(m.group("ga")) if m.group("ga") else None
    # eval-only JSON blocks: attach loss and eval time to the JSON metric
    for mt in run.metrics:
        if mt.kind == "json":
            mt.loss = None if run.json_loss is None else float(run.json_loss.value)
            mt.eval_ms = int(run.json_eval_ms.value) if run.json_eval_ms else None
    return run


@dataclass
class LogFile:
    """A parsed log file: its runs, content hash and any problem reading it."""

    path: str
    runs: list[Run]
    sha256: str
    lines: int
    problem: str = ""


def parse_log(text: str, path: str = "") -> LogFile:
    """Parse a whole log file. Never raises on content."""
    if not isinstance(text, str):
        text = ""
    problem = ""
    if "\x00" in text[:65536]:
        problem = "binary content (NUL bytes)"
    lines = clean_lines(text)
    runs = [parse_run(chunk, path, i) for i, chunk in enumerate(split_runs(lines))]
    return LogFile(path, runs, sha256(text), len(lines), problem)


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


def select_scored(run: Run, claimed: float | None = None) -> Run:
    """Set ``run.scored`` (and ``scored_how``, ``ambiguous``) by the §3.3 algorithm.

    With a claimed per-seed value (from submission.json) the line whose bpb matches it at the
    printed precision wins, 8-dp lines first; else candidates are ranked TTT > sliding > round-trip,
    ``_exact`` first, a failed TTT line (worse than the sliding score by > 0.01) skipped.
    """
    run.scored, run.scored_how, run.ambiguous = None, "", []
    cands = candidates(run)
    if claimed is not None:
        hits = [m for m in cands if matches(m, claimed)]
        if not hits:
            hits = [m for m in run.step_vals if matches(m, claimed)]
            if hits:
                run.scored, run.scored_how = hits[-1], "matched submission.json (step-val line, pre-quant)"
                return run
        if hits:
            hits.sort(key=lambda m: (m.decimals, _class(m), m.line))
            run.scored, run.scored_how = hits[-1], "matched submission.json"
            return run
    if not cands:
        if run.step_vals:
            run.scored, run.scored_how = run.step_vals[-1], "last step-val line (no final metric line)"
        return run
    best_sliding = min((m.bpb for m in cands if _class(m) == 2), default=None)
    usable = []
    for m in cands:
        if _class(m) == 3 and best_sliding is not None and m.bpb > best_sliding + 0.01:
            continue  # failed TTT run (2026-04-04 seed 42 shape)
        usable.append(m)
    top = max(_class(m) for m in usable)
    tops = [m for m in usable if _class(m) == top]
    tops.sort(key=lambda m: (m.decimals, m.label.endswith("_exact"), m.line))
    run.scored = tops[-1]
    run.scored_how = "priority (no claimed value)" if claimed is None else "priority (no line matches the claimed value)"
    spread = [m for m in tops if abs(m.bpb - run.scored.bpb) > 1e-4]
    if spread:
        run.ambiguous = spread
    return run
