"""Shared helpers of the data-access (GC3xx), byte-accounting (GC4xx) and budget (GC5xx) rules.

Small pure functions over the engine's Facts: literal values, the main training loop, the
wallclock reservation for GPTQ, names that hold training data, and findings on evidence files
(README, run scripts, logs) that are not Python sources.
"""

from __future__ import annotations

import re
from typing import Iterable, Iterator

import libcst as cst

from golfcheck import flow
from golfcheck.facts import Facts, Function, Loop, find, string_value
from golfcheck.findings import Finding, Severity
from golfcheck.source import dotted_name

# Canonical validation-token counts seen in accepted logs (RULES.md GC601): SP1024 (seq 1024),
# SP4096, SP8192, SP8192-CaseOps and its target-token variant.
CANONICAL_VAL_TOKENS = {63779840, 45508608, 40540160, 47851520, 47853343}
CANONICAL_VAL_DOCS = 50_000
CANONICAL_TOKENIZERS = re.compile(r"fineweb_(1024|4096|8192)_bpe\.model$")

TRAIN_FILES = re.compile(r"(^|[._])(train_files|train_pattern|train_glob|train_path|train_shards?_pattern)$")
VAL_FILES = re.compile(r"(^|[._])(val_files|val_pattern|val_glob|val_path|val_tokens|val_data|val_np|val_ids|val_seq|validation_tokens)$")
TRAIN_LOADER_NAME = re.compile(r"(^|[._])train_(loader|stream|iter|data_loader|dl)$")
TRAIN_LOADER_CLASS = re.compile(r"^(Distributed|Shuffled|Sequential)?\w*(Token|Sequence|Shard|Batch)\w*(Loader|Stream)$")
LOADER_CLASS = re.compile(r"(Loader|Stream|Dataset|Shard|Sampler|Batcher)", re.I)
WALLCLOCK_NAME = re.compile(r"wallclock|time_budget|budget_ms|deadline|train_budget|time_limit", re.I)
HESSIAN_CALL = re.compile(r"(collect|gather|compute|accum\w*|estimate|build|get)_\w*hessian|hessians?_(collect|calib|from)|gptq_calib|calibrat|collect_(stats|acts|activations)|awq_\w*(calib|collect|stats)", re.I)
TIMER_CALLS = {"time.perf_counter", "time.time", "time.monotonic", "perf_counter", "time.perf_counter_ns"}


# ---------------------------------------------------------------------------------------------
# literals


def literal(node: cst.CSTNode | None):
    """The value of a simple literal (numbers, strings, unary minus, ``10_000``), else None."""
    if isinstance(node, cst.Integer):
        return int(node.value.replace("_", ""), 0)
    if isinstance(node, cst.Float):
        return float(node.value.replace("_", ""))
    if isinstance(node, cst.SimpleString):
        v = string_value(node)
        return v if isinstance(v, str) else None
    if isinstance(node, cst.ConcatenatedString):
        v = node.evaluated_value
        return v if isinstance(v, str) else None
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Minus):
        v = literal(node.expression)
        return -v if isinstance(v, (int, float)) else None
    if isinstance(node, cst.Call) and dotted_name(node.func) in ("int", "float", "str") and node.args:
        v = literal(node.args[0].value)
        try:
            return {"int": int, "float": float, "str": str}[dotted_name(node.func)](v) if v is not None else None
        except (TypeError, ValueError):
            return None
    return None


def strings_in(node: cst.CSTNode) -> list[str]:
    out: list[str] = []
    for n in find(node, cst.SimpleString):
        v = string_value(n)
        if isinstance(v, str):
            out.append(v)
    return out


def kwarg(call: cst.Call, name: str) -> cst.BaseExpression | None:
    for a in call.args:
        if a.keyword is not None and a.keyword.value == name:
            return a.value
    return None


def last(dotted: str) -> str:
    return dotted.rsplit(".", 1)[-1]


# ---------------------------------------------------------------------------------------------
# training loops and budgets


def _is_train_step(facts: Facts, c) -> bool:
    if c.name == "backward":
        return True
    return c.name == "step" and bool(c.func) and re.search(r"opt|optim|muon|adam|sgd", c.func, re.I) is not None


def training_loops(facts: Facts, f: Function) -> list[Loop]:
    """Outermost loops of ``f`` that take optimiser steps (``.backward()`` / ``opt.step()``)."""
    stepping = {i for c in f.calls if _is_train_step(facts, c) for i in c.ctx.loops[:1]}
    return [f.loops[i] for i in sorted(stepping) if i in f.loops]


def main_training_loop(facts: Facts) -> tuple[Function, Loop] | None:
    """The loop that reads ``train_loader``-style batches and steps an optimiser (largest wins)."""
    best = None
    for f in facts.iter_functions():
        for loop in training_loops(facts, f):
            reads_train = any(c.name in ("next_batch", "next", "get_batch", "__next__") and c.line >= loop.line
                              and c.line <= loop.end_line for c in f.calls)
            if not reads_train:
                continue
            size = loop.end_line - loop.line
            if best is None or size > best[1].end_line - best[1].line:
                best = (f, loop)
    return best


def reserve_names(facts: Facts) -> list[tuple[str, int]]:
    """Names read where a wallclock budget is reduced (``max_wallclock_ms -= gptq_reserve_seconds*1e3``)."""
    out = []
    for f in facts.iter_functions():
        for a in f.assigns:
            if not any(WALLCLOCK_NAME.search(t) for t in a.targets):
                continue
            res = [n for n in a.reads if re.search(r"reserve", last(n), re.I)]
            if res and (a.op == "-=" or (a.value is not None and "-" in facts.code(a.value))):
                out.extend((n, a.line) for n in res)
    return out


def reserved_seconds(ctx, facts: Facts) -> float | None:
    """Seconds reserved from the training budget for post-loop work, or None if nothing is reserved."""
    best = None
    for name, _ in reserve_names(facts):
        v = ctx.config.value(last(name))
        try:
            v = float(v)
        except (TypeError, ValueError):
            v = 1.0e9 if v is None else None  # reserved, amount unknown (not an env setting)
        if v is not None:
            best = v if best is None else max(best, v)
    # a reserve written as a lower cap: MAX_WALLCLOCK_SECONDS = 588 leaves 12 s of the 600 s for GPTQ
    for key, setting in ctx.config.settings.items():
        if not WALLCLOCK_NAME.search(key) or setting.path != facts.path:
            continue
        try:
            cap = float(setting.value)
        except (TypeError, ValueError):
            continue
        if key.endswith("_ms"):
            cap /= 1000.0
        if 0 < cap < 600:
            best = 600 - cap if best is None else max(best, 600 - cap)
    return best


def train_data_names(facts: Facts, f: Function) -> set[str]:
    """Names in ``f`` that hold training batches or a loader over the training files."""
    names = {n for a in f.assigns for n in a.targets if TRAIN_LOADER_NAME.search(n)}
    names |= {p for p in f.params if TRAIN_LOADER_NAME.search(p)}
    for a in f.assigns:
        if isinstance(a.value, cst.Call) and TRAIN_LOADER_CLASS.search(last(dotted_name(a.value.func) or "")) \
                and not any(VAL_FILES.search(n) for n in a.reads):
            names.update(a.targets)  # loaders read the training shards unless handed val files
        if any(TRAIN_FILES.search(n) for n in a.reads) or any(
                isinstance(s, str) and "fineweb_train_" in s for s in (strings_in(a.value) if a.value is not None else [])):
            names.update(a.targets)
    return flow.derived(f, names)


def timer_starts(f: Function) -> list:
    return [a for a in f.assigns if isinstance(a.value, cst.Call) and dotted_name(a.value.func) in TIMER_CALLS]


# ---------------------------------------------------------------------------------------------
# evidence files


def text_finding(rule, rel: str, line: int, message: str, severity: Severity | None = None, evidence: str = "") -> Finding:
    """A finding on a file that is not a Python source (README, run script, log)."""
    return Finding(rule.id, severity or rule.severity, rel, max(1, line), 0, message,
                   ruling=rule.ruling_text(), evidence=evidence or rel)


def evidence_texts(ctx, logs: bool = False) -> list[tuple[str, str]]:
    """README and run scripts (and logs on request), as (relative path, text)."""
    out = []
    if ctx.readme:
        out.append(ctx.readme)
    out.extend(ctx.run_scripts)
    sub = ctx.submission
    for p in getattr(sub, "other_files", []) if sub else []:
        if p.suffix in (".sh", ".bash"):
            rel = str(p.relative_to(sub.root)) if p.is_relative_to(sub.root) else p.name
            if rel not in {r for r, _ in out}:
                try:
                    out.append((rel, p.read_text(encoding="utf-8", errors="replace")[:1_000_000]))
                except OSError:
                    pass
    if logs:
        out.extend(ctx.logs)
    return out


def grep(texts: Iterable[tuple[str, str]], pattern: re.Pattern) -> Iterator[tuple[str, int, re.Match]]:
    for rel, text in texts:
        for i, line in enumerate(text.splitlines(), 1):
            m = pattern.search(line)
            if m:
                yield rel, i, m


def log_val_tokens(ctx) -> set[int]:
    """``val_tokens: N`` / ``val_tokens:N`` counts echoed by the logs."""
    out = set()
    for _, text in ctx.logs:
        for m in re.finditer(r"\bval_tokens\s*[:=]\s*(\d+)", text):
            out.add(int(m.group(1)))
    return out


def is_non_record(ctx) -> bool:
    sub = ctx.submission
    if sub is None:
        return False
    if getattr(sub, "track", None) == "track_non_record_16mb":
        return True
    data = getattr(sub, "submission_json", None)
    track = data.get("track") if isinstance(data, dict) else None
    return isinstance(track, str) and "non" in track.lower()


def code_files(ctx) -> Iterator[Facts]:
    """Analysed sources, the decoded payload of a wrapper in place of the wrapper itself."""
    wrapped = {f.path for f in ctx.facts if f.source.in_payload}
    for facts in ctx.facts:
        if facts.path in wrapped and not facts.source.in_payload:
            continue
        yield facts


# ---------------------------------------------------------------------------------------------
# byte lookup tables (canonical definition: golfcheck.metric.build_luts)

BYTES_LUT = re.compile(r"^(base_bytes\w*|\w*bytes_lut|token_bytes\w*|\w*byte_len\w*|piece_bytes\w*|byte_counts?|bytes_per_piece|tok_bytes\w*|nbytes)$")
SPACE_LUT = re.compile(r"(has_leading_space|has_space|leading_space|space_lut|starts_with_space)", re.I)
PIECE_CALLS = {"id_to_piece", "IdToPiece", "decode", "decode_ids", "DecodeIds", "decode_pieces", "id2piece", "convert_ids_to_tokens"}


def lut_builders(facts: Facts):
    """Functions that fill a per-token byte table in a loop: (function, its subscript stores to the table)."""
    for f in facts.iter_functions():
        stores = [a for a in f.assigns if a.subscript_store and a.ctx.loops and a.value is not None
                  and any(BYTES_LUT.match(last(t)) for t in a.targets)]
        if stores:
            yield f, stores


METRIC_NAME = re.compile(r"(bpb|loss|nll|ppl|score|time|ms|elapsed|bytes|count|n_tokens|numel|len|size|step)$", re.I)


def data_taint(facts: Facts, f: Function, _depth: int = 0) -> set[str]:
    """Validation taint of ``f`` that flows through data, not through metric scalars (val_bpb, val_loss)
    nor through local calls whose results are not val-derived (``base_model = train_model(h, val_data)``).

    The dataflow layer's val taint also reaches a checkpoint dict that merely records val_bpb; saving
    that is reporting.
    Memoised per function and depth (callers and callees ask again and again).
    """
    memo = facts.__dict__.setdefault("_data_taint_memo", {})
    key = (f.qualname, _depth)
    hit = memo.get(key)
    if hit is not None:
        return set(hit)
    memo[key] = frozenset()  # a recursive cycle sees no taint rather than looping
    result = _data_taint(facts, f, _depth)
    memo[key] = frozenset(result)
    return result


def _data_taint(facts: Facts, f: Function, _depth: int) -> set[str]:
    tainted = facts.val_tainted(f)
    if not tainted:
        return set()
    assigned = {t for a in f.assigns for t in a.targets} | {t for lp in f.loops.values() for t in lp.targets}
    clean = {n for n in tainted if n not in assigned and n not in f.params and not METRIC_NAME.search(last(n))}
    clean |= {p for p in f.params if p in tainted and _param_carries_data(facts, f, p, _depth)}
    for _, targets in flow.source_targets(facts, f, flow.VAL):  # read straight from the shards or their loader
        clean.update(targets)
    calls = {id(c.node): c for c in f.calls}
    for _ in range(6):
        before = len(clean)
        for a in f.assigns:
            if a.reads & clean and _returns_data(facts, f, calls.get(id(a.value)), _depth):
                clean.update(t for t in a.targets if not METRIC_NAME.search(last(t)))
        for loop in f.loops.values():
            if loop.iter_reads & clean:
                clean.update(loop.targets)
        if len(clean) == before:
            break
    return clean


def _param_carries_data(facts: Facts, f: Function, param: str, depth: int) -> bool:
    if METRIC_NAME.search(param):
        return False
    if not facts.callers.get(f.qualname):
        return True  # no local caller: the parameter's name was the only evidence, and it said data
    if depth >= 3:
        return True
    params = [p for p in f.params if p not in ("self", "cls")]
    idx = params.index(param) if param in params else -1
    for g, c in facts.callers.get(f.qualname, []):
        reads = c.arg_reads[idx] if 0 <= idx < len(c.arg_reads) else frozenset()
        reads = reads | frozenset().union(*(r for k, r in c.kw_reads if k == param))
        if reads and reads & data_taint(facts, g, depth + 1):
            return True
    return False


def _returns_data(facts: Facts, f: Function, call, depth: int = 0) -> bool:
    """False when ``call`` is a local function whose return values are not derived from its val inputs
    (``base_model = train_model(h, val_data)`` returns a model trained on train data, not val data)."""
    if call is None:
        return True
    targets = [g for g in facts.resolve_call(f, call) if g is not f]
    if not targets:
        return True
    if depth >= 3:
        return True
    for g in targets:
        tainted = data_taint(facts, g, depth + 1)
        if any(r & tainted for r in g.returns):
            return True
    return False
