"""GC405 — val_bpb not computed as Σnats / ln 2 / Σbytes over exactly the scored tokens."""

import re

import libcst as cst

from golfcheck.facts import find
from golfcheck.findings import Severity
from golfcheck.rule import Example, Rule, Ruling
from ._data_bytes import code_files, last

BPB_NAME = re.compile(r"(^|_)bpb($|_)|bits_per_byte", re.I)
CONST_BPT = re.compile(r"^(bytes_per_token|bytes_per_tok|tokens_per_byte|avg_bytes(_per_token)?|mean_bytes(_per_token)?|"
                       r"avg_token_bytes|bpt)$", re.I)
LOG2 = re.compile(r"log\(\s*2|log2|ln2|ln_2|LN2|LOG2|0\.6931|1\.4426|1\.4427|M_LN2|log_2|INV_LN", re.I)
LOSS = re.compile(r"loss|nll|nats|ce_sum|xent", re.I)
BYTES = re.compile(r"byte", re.I)
MASK = re.compile(r"mask|(^|_)(valid|keep)$", re.I)
# literals that are not a bytes/token constant: ln 2 and its inverse, unit conversions
NEUTRAL = (0.6931, 1.4426, 1.4427, 1000.0, 1e3, 1e6, 100.0, 0.5, 2.0)


def _float_literals(node):
    return [float(n.value.replace("_", "")) for n in find(node, cst.Float)]


def names_in(code: str) -> list[str]:
    return re.findall(r"[A-Za-z_][A-Za-z0-9_.]*", code)


def canonical() -> str:
    return "canonical: val_bpb = Σnats / (ln 2 · Σbytes) over the scored tokens (golfcheck.metric.BpbMeter.bpb)"


class BpbFormula(Rule):
    id = "GC405"
    name = "bpb-formula"
    severity = Severity.ERROR
    summary = "val_bpb deviates from Σnats / ln 2 / Σbytes (constant bytes/token, averaged per-batch bpb, nats as bits, mismatched masks)."
    rationale = (
        "val_bpb = (Σ nll_nats / ln 2) / Σ bytes summed over exactly the scored tokens (baseline eval_val). A "
        "constant or average bytes-per-token, a mean of per-batch bpb values, nats reported as bits, or token and "
        "byte counts taken under different masks all change the metric."
    )
    looks_for = (
        "bytes_per_token = <float> or bpb divided by a float literal; += into a bpb name or mean() of bpb lists in "
        "scoring code; a bpb computed from a loss sum and a byte count with no ln 2; token and byte counters of the "
        "same loop where only one reads the mask."
    )
    traps = (
        "The baseline form loss/ln2 × tokens/bytes (bits_per_token * tokens_per_byte) is exact.",
        "ln 2 may sit in an intermediate (bits_per_token = val_loss / math.log(2)).",
        "Averaging per-seed val_bpb in a README or across runs is reporting, not the metric.",
    )
    rulings = (Ruling("Baseline eval_val: the canonical bpb definition", "https://github.com/openai/parameter-golf/blob/main/train_gpt.py",
                      "val_bpb = loss/ln2 * tokens/bytes"),
               Ruling("Issue #1017 field guide", "https://github.com/openai/parameter-golf/issues/1017", ""))

    def check(self, ctx):
        for facts in code_files(ctx):
            for f in facts.iter_functions():
                yield from self._constants(ctx, facts, f)
                yield from self._averaged(ctx, facts, f)
                yield from self._units(ctx, facts, f)
                yield from self._masks(ctx, facts, f)

    def _constants(self, ctx, facts, f):
        for a in f.assigns:
            if a.value is None or a.op:
                continue
            name = last(a.targets[0]) if a.targets else ""
            if CONST_BPT.match(name) and isinstance(a.value, (cst.Float, cst.Integer)):
                yield ctx.finding(self, facts, a.node or a.line, f"`{name}` is a constant ({facts.code(a.value)}): bytes "
                                  f"must be counted per scored token; {canonical()}")
            elif BPB_NAME.search(name):
                consts = [v for v in _float_literals(a.value) if 2.0 < v < 8.0 and not any(abs(v - n) < 1e-3 for n in NEUTRAL)]
                if consts and re.search(r"/\s*\d+\.\d+|\*\s*\d+\.\d+", facts.code(a.value)):
                    yield ctx.finding(self, facts, a.node or a.line, f"`{name}` uses a constant bytes-per-token "
                                      f"({consts[0]}); {canonical()}")

    def _averaged(self, ctx, facts, f):
        if not facts.on_eval_path(f):
            return
        for a in f.assigns:
            if a.op == "+=" and any(BPB_NAME.search(last(t)) for t in a.targets) and a.ctx.loops:
                yield ctx.finding(self, facts, a.node or a.line, f"per-batch bpb values are summed into "
                                  f"`{a.targets[0]}` and averaged; {canonical()}")
        for c in f.calls:
            if c.name in ("mean", "fmean", "average") and any(BPB_NAME.search(last(n)) for n in c.reads) \
                    and not any(re.search(r"seed", n, re.I) for n in c.reads):
                yield ctx.finding(self, facts, c.node, f"`{facts.code(c.node)[:60]}` averages bpb values; {canonical()}")

    def _units(self, ctx, facts, f):
        defs = {}
        for a in f.assigns:
            if a.value is not None and not a.op:
                for t in a.targets:
                    defs.setdefault(t, []).append(facts.code(a.value))
        for a in f.assigns:
            if a.value is None or a.op or not any(BPB_NAME.search(last(t)) for t in a.targets):
                continue
            code = facts.code(a.value)
            if not isinstance(a.value, cst.BinaryOperation) or not isinstance(a.value.operator, cst.Divide):
                continue
            reads = a.reads
            if not (any(LOSS.search(last(n)) for n in reads) and any(BYTES.search(last(n)) for n in reads)):
                continue
            context = code + " ".join(d for n in reads for d in defs.get(n, ()))
            context += " ".join(d for n in reads for d2 in defs.get(n, ()) for m in names_in(d2) for d in defs.get(m, ()))
            if not LOG2.search(context):
                yield ctx.finding(self, facts, a.node or a.line, f"`{a.targets[0]} = {code[:60]}` divides nats by bytes "
                                  f"with no ln 2: nats per byte reported as bits per byte; {canonical()}")

    def _masks(self, ctx, facts, f):
        counters = [a for a in f.counters if a.ctx.loops]
        tokens = [a for a in counters if re.search(r"tok|target", last(a.targets[0]), re.I)]
        nbytes = [a for a in counters if re.search(r"byte", last(a.targets[0]), re.I)]
        if not tokens or not nbytes:
            return
        derived = {}
        for a in f.assigns:
            if a.value is not None:
                for t in a.targets:
                    derived.setdefault(t, set()).update(a.reads)

        def closure(names):
            out = set(names)
            for _ in range(4):
                for n in list(out):
                    out |= derived.get(n, set())
            return out

        for t in tokens:
            for b in nbytes:
                if t.ctx.loops[-1:] != b.ctx.loops[-1:]:
                    continue
                mt = {n for n in closure(t.reads - set(t.targets)) if MASK.search(last(n))}
                mb = {n for n in closure(b.reads - set(b.targets)) if MASK.search(last(n))}
                if mt != mb and (mt or mb):
                    only = sorted((mt - mb) or (mb - mt))[0]
                    yield ctx.finding(self, facts, b.node or b.line,
                                      f"`{t.targets[0]}` and `{b.targets[0]}` are counted under different masks (`{only}` "
                                      f"applies to one only): bytes and NLL must cover the same tokens; {canonical()}")

    VALID = (
        Example(
            """
            import math
            def eval_val(model, batches, base_bytes_lut):
                loss_sum = token_count = byte_count = 0.0
                for x, y in batches:
                    loss = model(x, y)
                    loss_sum += loss.item() * y.numel()
                    token_count += y.numel()
                    byte_count += base_bytes_lut[y].sum().item()
                val_loss = loss_sum / token_count
                bits_per_token = val_loss / math.log(2.0)
                tokens_per_byte = token_count / byte_count
                val_bpb = bits_per_token * tokens_per_byte
                return val_bpb
            """,
            trap="the baseline formula with ln 2 in an intermediate",
        ),
        Example(
            """
            import math
            def eval_val(nll, y, mask, base_bytes_lut):
                loss_sum = token_count = byte_count = 0.0
                for i in range(10):
                    m = mask[i]
                    loss_sum += nll[i][m].sum()
                    token_count += m.sum()
                    byte_count += base_bytes_lut[y[i][m]].sum()
                return loss_sum / (math.log(2) * byte_count)
            """,
            trap="token and byte counts under the same mask",
        ),
        Example(
            """
            def eval_val_sliding(per_token_loss, x, y, windows, stride, base_bytes_lut):
                val_loss_sum = val_token_count = val_byte_count = 0.0
                for i, w in enumerate(windows):
                    score_start = 0 if w == 0 else y.shape[1] - stride
                    losses = per_token_loss[i, score_start:]
                    n_scored = losses.numel()
                    val_loss_sum += losses.sum()
                    val_token_count += n_scored
                    val_byte_count += base_bytes_lut[y[i, score_start:]].sum()
                return val_loss_sum, val_token_count, val_byte_count
            """,
            trap="sliding window: token count from n_scored, bytes over the same slice",
        ),
    )
    INVALID = (
        Example(
            """
            import math
            def eval_val(loss_sum, token_count):
                bytes_per_token = 4.3
                val_bpb = loss_sum / token_count / math.log(2) / bytes_per_token
                return val_bpb
            """,
            trap="constant bytes per token", lines=(3,),
        ),
        Example(
            """
            import math
            def eval_val(model, batches, base_bytes_lut):
                bpb_total = 0.0
                loss_sum = 0.0
                for x, y in batches:
                    nll = model(x, y)
                    loss_sum += nll.sum()
                    bpb_total += nll.sum().item() / math.log(2) / base_bytes_lut[y].sum().item()
                return bpb_total / len(batches)
            """,
            trap="averaged per-batch bpb", lines=(8,),
        ),
        Example(
            """
            def eval_val(model, batches, base_bytes_lut):
                loss_sum = byte_count = 0.0
                for x, y in batches:
                    loss_sum += model(x, y).sum()
                    byte_count += base_bytes_lut[y].sum()
                val_bpb = loss_sum / byte_count
                return val_bpb
            """,
            trap="nats per byte reported as bpb", lines=(6,),
        ),
        Example(
            """
            import math
            def eval_val(nll, y, mask, base_bytes_lut):
                loss_sum = token_count = byte_count = 0.0
                for i in range(10):
                    m = mask[i]
                    loss_sum += nll[i][m].sum()
                    token_count += m.sum()
                    byte_count += base_bytes_lut[y[i]].sum()
                return loss_sum / (math.log(2) * byte_count)
            """,
            trap="byte count without the token mask", lines=(8,),
        ),
    )
