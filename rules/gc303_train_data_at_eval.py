"""GC303 — training data read at eval, or after the training window (GPTQ Hessians with no reserve)."""

import re

import libcst as cst

from golfcheck import flow
from golfcheck.facts import iter_descendants, names_read
from golfcheck.findings import Severity
from golfcheck.source import dotted_name
from golfcheck.rule import Example, Rule, Ruling
from ._data_bytes import (HESSIAN_CALL, LOADER_CLASS, TRAIN_FILES, code_files, main_training_loop,
                               reserved_seconds, strings_in, train_data_names)

READERS = re.compile(r"(fromfile|memmap|load_data_shard|load_shard|read_shard|np\.load|torch\.load|open|read_bytes)$")
FEEDS = re.compile(r"^(update|add|add_tokens|ingest|prefill|fit|observe|extend|index_add_|scatter_add_|add_at)$")
MIN_RESERVE_SECONDS = 1.0
# Calls that put the artifact's weights into the model that is evaluated; and what reads a file.
LOADS_ARTIFACT = {"deserialize", "load_artifact", "dequantize_state_dict", "load_quantized"}
FILE_READS = {"load", "decompress", "read", "read_bytes", "fromfile", "frombuffer", "dequantize", "BytesIO"}


def _artifact_loads(facts, f):
    """Calls that load the model back from the artifact on disk: ``deserialize(...)``, or
    ``load_state_dict`` of a state read from a file (not an in-memory copy, as a warmup restore is)."""
    out = []
    for c in f.calls:
        if c.name in LOADS_ARTIFACT:
            out.append(c)
        elif c.name == "load_state_dict" and c.node.args and (
                any(isinstance(d, cst.Call) and _reads_file(d) for d in iter_descendants(c.node.args[0].value))
                or _from_file(facts, f, {n for n in names_read(c.node.args[0].value) if "." not in n}, (c.line, c.col))):
            out.append(c)
    return out


def _is_data(facts, f, name: str, pos, depth: int = 0) -> bool:
    """``name`` holds training data, not a statistic already fitted on it: no definition on its way
    back to the source is a call of a local helper that fits or calibrates (``t = calibrate(model,
    files); temp = t.item()`` is a number computed before the load, not data read after it)."""
    d = flow.definition(facts, f, name, pos)
    if d is None or depth > 5:
        return True
    value = getattr(d.node, "value", None)
    if value is not None:
        calls = {id(c.node): c for c in f.calls}
        for node in iter_descendants(value):
            c = calls.get(id(node))
            if c is not None and any(_fits(g) or HESSIAN_CALL.search(g.name) for g in facts.resolve_call(f, c)):
                return False
    return all(_is_data(facts, f, r, d.pos, depth + 1) for r in d.reads if r != name and "." not in r) if d.reads else True


def _from_file(facts, f, names, pos, depth: int = 0) -> bool:
    """A value read from a file: its definition (followed back through what it reads) calls a file
    reader (torch.load, decompress, open(...).read(), ...)."""
    if depth > 5:
        return False
    for n in names:
        d = flow.definition(facts, f, n, pos)
        if d is None:
            continue
        value = getattr(d.node, "value", None)
        if value is not None and any(isinstance(x, cst.Call) and _reads_file(x) for x in iter_descendants(value)):
            return True
        if _from_file(facts, f, {r for r in d.reads if "." not in r and r != n}, d.pos, depth + 1):
            return True
    return False


def _reads_file(call: cst.Call) -> bool:
    name = (dotted_name(call.func) or "").rsplit(".", 1)[-1]
    if not name and isinstance(call.func, cst.Attribute):
        name = call.func.attr.value
    return name in FILE_READS


def _fits(g) -> bool:
    """A function that fits parameters: it backpropagates and steps an optimizer."""
    names = {c.name for c in g.calls}
    return "backward" in names and "step" in names


def hessian_from_train(facts, f):
    """Calls in ``f`` that collect Hessians/calibration statistics from training batches."""
    names = train_data_names(facts, f)
    for c in f.calls:
        if HESSIAN_CALL.search(c.name) and c.reads & names:
            yield c, sorted(c.reads & names)[0]


class TrainDataAtEval(Rule):
    id = "GC303"
    name = "train-data-at-eval"
    severity = Severity.ERROR
    summary = "Training data is read at evaluation, or after the 600 s training window (e.g. GPTQ Hessians)."
    rationale = (
        "After the training budget ends the evaluation may use only the artifact: the README forbids training-"
        "data access during evaluation unless those bits are paid for in the 16 MB. GPTQ calibration on training "
        "batches after the wallclock cap was ruled illegal (#593, #609), and n-gram tables prefilled from all "
        "training shards but never serialised (#925) give eval data that is not in the artifact."
    )
    looks_for = (
        "Hessian/calibration collectors fed by train_loader or a loader over train_files when the training loop "
        "reserves no wallclock for them (gptq_reserve_seconds); loops over glob(train_files) that read shards "
        "into an object outside the training loader, especially one handed to the evaluation."
    )
    traps = (
        "Hessians from training data collected inside the reserved budget (max_wallclock_ms -= "
        "gptq_reserve_seconds*1e3, the #1413 pattern, or a cap set below 600 s) are legal.",
        "AR self-generated calibration (#1019) touches no data.",
        "Loader classes glob train_files legally, and counting shards for a log line reads no tokens.",
    )
    rulings = (
        Ruling("README: no training data access during evaluation", "https://github.com/openai/parameter-golf#faq",
               "unless you pay for those bits in the <16MB limit"),
        Ruling("#1019 README: GPTQ on training data after the 600s window ruled illegal (#593, #609)",
               "https://github.com/openai/parameter-golf/pull/1019", ""),
        Ruling("PR #925: n-gram tables prefilled from all training shards",
               "https://github.com/openai/parameter-golf/pull/925", ""),
    )

    def check(self, ctx):
        for facts in code_files(ctx):
            yield from self._hessians(ctx, facts)
            yield from self._train_reads(ctx, facts)
            yield from self._after_load(ctx, facts)

    def _after_load(self, ctx, facts):
        """After the model is loaded back from the artifact for evaluation, training data handed to a
        helper that fits something (takes gradient steps or collects calibration statistics)."""
        for f in facts.iter_functions():
            loads = _artifact_loads(facts, f)
            if not loads:
                continue
            first = min((c.line, c.col) for c in loads)
            train = flow.names(facts, f, flow.TRAIN)
            if not train:
                continue
            for c in f.calls:
                if (c.line, c.col) <= first or not (c.reads & train):
                    continue
                data = {n for n in c.reads & train if _is_data(facts, f, n, (c.line, c.col))}
                if not data or not flow.value_at(facts, f, data, (c.line, c.col), flow.TRAIN):
                    continue
                fits = [g for g in facts.resolve_call(f, c) if _fits(g)]
                if not fits and not HESSIAN_CALL.search(c.name):
                    continue
                what = f"`{fits[0].name}` takes optimizer steps on it" if fits else f"`{c.name}` collects statistics from it"
                yield ctx.finding(self, facts, c.node, (
                    f"training data reaches `{facts.code(c.node.func)}` after the model was loaded back for evaluation "
                    f"(line {first[0]}); {what}: evaluation may use only the artifact (README: no training data "
                    f"at evaluation unless its bits are paid for)"))
                break

    def _hessians(self, ctx, facts):
        main = main_training_loop(facts)
        reserve = reserved_seconds(ctx, facts)
        for f in facts.iter_functions():
            for c, name in hessian_from_train(facts, f):
                if main and main[0] is f and main[1].line <= c.line <= main[1].end_line:
                    continue  # inside the training loop: on the clock
                if reserve is not None and reserve >= MIN_RESERVE_SECONDS:
                    continue
                if reserve is None:
                    yield ctx.finding(self, facts, c.node,
                                      f"`{c.name}` reads training data (`{name}`) after the training loop and no "
                                      "wallclock is reserved for it: it runs past the 600 s training window")
                else:
                    yield ctx.finding(self, facts, c.node,
                                      f"`{c.name}` reads training data (`{name}`) after the loop with only a {reserve:g} s "
                                      "wallclock reserve (#1868 raised 0.5 s to 8 s for compliance): the logs must show "
                                      "train time + Hessian collection <= 600 s", severity=Severity.WARNING)

    def _train_reads(self, ctx, facts):
        for f in facts.iter_functions():
            if f.class_name and LOADER_CLASS.search(f.class_name) or LOADER_CLASS.search(f.name):
                continue
            for c in f.calls:
                if c.name not in ("glob", "iglob") or not (
                        any(TRAIN_FILES.search(n) for n in c.reads)
                        or any("fineweb_train_" in s for s in strings_in(c.node))):
                    continue
                held = {t for a in f.assigns if a.line == c.line for t in a.targets}
                scope = [lp for lp in f.loops.values()
                         if lp.line <= c.line <= lp.end_line or (lp.line > c.line and lp.iter_reads & held)]
                if not scope:
                    continue  # counted or handed to a loader, not read here
                lp = min(scope, key=lambda x: x.end_line - x.line)
                reads = [x for x in f.calls if lp.line <= x.line <= lp.end_line and READERS.search(x.func or x.name)]
                fed = [x for x in f.calls if lp.line <= x.line <= lp.end_line and FEEDS.match(x.name) and x.func and "." in x.func]
                if not reads or not fed:
                    continue
                sink = fed[0].func.rsplit(".", 1)[0]
                # used by the evaluation: read inside a scoring function, or handed to one; a function that
                # merely also calls the evaluation (main) does not make a training-only table an eval input
                on_eval = bool(f.accumulators) or self._reaches_eval(facts, f, sink)
                sev = None if on_eval else Severity.WARNING
                where = "and the object is used by the evaluation" if on_eval else "outside the training loader"
                yield ctx.finding(self, facts, c.node,
                                  f"training shards (`{facts.code(c.node)[:80]}`) are read into `{sink}` {where}; "
                                  "eval may use only what is in the artifact", severity=sev)

    @staticmethod
    def _reaches_eval(facts, f, sink):
        names = {sink}
        for _ in range(3):
            for a in f.assigns:
                if a.reads & names and not a.op:
                    names.update(a.targets)
        for c in f.calls:
            if c.reads & names and any(facts.on_eval_path(g) for g in facts.resolve_call(f, c)):
                return True
        return False

    VALID = (
        Example(
            """
            import os, time
            max_wallclock_seconds = float(os.environ.get("MAX_WALLCLOCK_SECONDS", 588.0))
            def main(args, model, opt, train_loader, collect_hessians):
                t0 = time.perf_counter()
                while (time.perf_counter() - t0) < max_wallclock_seconds:
                    x, y = train_loader.next_batch()
                    model(x, y).backward()
                    opt.step()
                hessians = collect_hessians(model, train_loader, 64)
                return hessians
            """,
            trap='a reserve written as a lower cap: MAX_WALLCLOCK_SECONDS 588 leaves 12 s for GPTQ on training data',
        ),
        Example(
            """
            import time
            def main(h, model, opt, train_loader, collect_hessians):
                max_wallclock_ms = 1e3 * h.max_wallclock_seconds
                max_wallclock_ms -= h.gptq_reserve_seconds * 1e3
                t0 = time.perf_counter()
                while (time.perf_counter() - t0) * 1e3 < max_wallclock_ms:
                    x, y = train_loader.next_batch()
                    model(x, y).backward()
                    opt.step()
                hessians = collect_hessians(model, train_loader, h)
                return hessians
            class H:
                import os
                gptq_reserve_seconds = float(os.environ.get("GPTQ_RESERVE_SECONDS", "10"))
            """,
            trap="Hessians from training data inside the reserved budget (#1413 pattern)",
        ),
        Example(
            """
            import glob
            class TokenStream:
                def __init__(self, pattern):
                    self.files = sorted(glob.glob(pattern))
            def main(args, generate_autoregressive_calib, collect_hessians_from_tokens, model):
                n_shards = len(glob.glob(args.train_files))
                tokens = generate_autoregressive_calib(model, 64, 2048)
                return collect_hessians_from_tokens(model, tokens), n_shards
            """,
            trap="AR self-generated calibration; shard counting; a loader class",
        ),
        Example(
            """
            import glob
            import numpy as np
            import torch
            import torch.nn.functional as F


            class Hyperparameters:
                train_files = "./data/fineweb_train_*.bin"
                val_files = "./data/fineweb_val_*.bin"


            def shard(path):
                return torch.from_numpy(np.fromfile(path, dtype=np.uint16).astype(np.int64))


            def fit_temperature(model, tokens, steps=50):
                t = torch.ones((), requires_grad=True)
                opt = torch.optim.Adam([t], lr=0.01)
                for _ in range(steps):
                    logits = model(tokens[:-1][None])[0] / t
                    loss = F.cross_entropy(logits, tokens[1:])
                    opt.zero_grad()
                    loss.backward()
                    opt.step()
                return t.detach()


            def eval_val(model, val_tokens, temperature):
                loss_sum = torch.zeros((), dtype=torch.float64)
                with torch.inference_mode():
                    for s in range(0, val_tokens.numel() - 1024, 1024):
                        piece = val_tokens[s:s + 1025]
                        loss_sum += F.cross_entropy(model(piece[:-1][None])[0] / temperature, piece[1:], reduction="sum").double()
                return loss_sum


            def main(args, build_model):
                model = build_model()
                calib = shard(sorted(glob.glob(args.train_files))[0])[:65536]
                temperature = fit_temperature(model, calib)
                torch.save({"sd": model.state_dict(), "t": temperature}, "final_model.pt")
                model.load_state_dict(torch.load("final_model.pt")["sd"])
                val_tokens = shard(sorted(glob.glob(args.val_files))[0])
                print(eval_val(model, val_tokens, temperature))
            """,
            trap='a temperature fitted on training data before the artifact is written and loaded back (it is in the artifact)',
        ),
        Example(
            """
            import copy
            import torch


            def train(model, opt, loader, steps):
                for _ in range(steps):
                    x, y = loader.next_batch()
                    model(x, y).backward()
                    opt.step()


            def main(args, model, opt, make_loader):
                initial = copy.deepcopy(model.state_dict())
                warm_loader = make_loader(args.train_files)
                train(model, opt, warm_loader, 20)
                model.load_state_dict(initial)
                train(model, opt, make_loader(args.train_files), args.iterations)
            """,
            trap="the baseline's warmup restores the initial weights from memory, then the timed training runs: not a load for evaluation",
        ),
    )
    INVALID = (
        Example(
            """
            import os, time
            max_wallclock_seconds = float(os.environ.get("MAX_WALLCLOCK_SECONDS", 600.0))
            def main(args, model, opt, train_loader, collect_hessians):
                t0 = time.perf_counter()
                while (time.perf_counter() - t0) < max_wallclock_seconds:
                    x, y = train_loader.next_batch()
                    model(x, y).backward()
                    opt.step()
                hessians = collect_hessians(model, train_loader, 64)
                return hessians
            """,
            trap='the same GPTQ on training data after a loop that uses the whole 600 s', lines=(9,),
        ),
        Example(
            """
            def main(args, model, opt, DistributedTokenLoader, collect_hessians):
                train_loader = DistributedTokenLoader(args.train_files)
                for step in range(args.iterations):
                    x, y = train_loader.next_batch()
                    model(x, y).backward()
                    opt.step()
                calib_loader = DistributedTokenLoader(args.train_files)
                return collect_hessians(model, calib_loader, args)
            """,
            trap="GPTQ Hessians on training data after the loop with no reserve (#593, #609)", lines=(8,),
        ),
        Example(
            """
            import os, time
            gptq_reserve_seconds = float(os.environ.get("GPTQ_RESERVE_SECONDS", "0.5"))
            def main(h, model, opt, train_loader, ShuffledSequenceLoader, collect_hessians):
                max_wallclock_ms = 1e3 * h.max_wallclock_seconds - gptq_reserve_seconds * 1e3
                t0 = time.perf_counter()
                while (time.perf_counter() - t0) * 1e3 < max_wallclock_ms:
                    x, y = train_loader.next_batch()
                    model(x, y).backward()
                    opt.step()
                calib_loader = ShuffledSequenceLoader(h)
                return collect_hessians(model, calib_loader, h)
            """,
            trap="a 0.5 s reserve: HOLD until the logs show train + Hessians <= 600 s (#1868)",
            severity=Severity.WARNING, lines=(11,),
        ),
        Example(
            """
            import glob
            import numpy as np
            def eval_val_ngram(model, val_tokens, mixer):
                loss_sum = 0.0
                for t in val_tokens:
                    loss_sum += mixer.score(t)
                return loss_sum
            def main(args, model, val_tokens, Mixer):
                mixer = Mixer()
                for shard in sorted(glob.glob(args.train_files)):
                    mixer.update(np.fromfile(shard, dtype=np.uint16))
                return eval_val_ngram(model, val_tokens, mixer)
            """,
            trap="n-gram tables prefilled from all training shards and handed to eval (#925)", lines=(10,),
        ),
        Example(
            """
            import glob
            import numpy as np
            import torch
            import torch.nn.functional as F


            class Hyperparameters:
                train_files = "./data/fineweb_train_*.bin"
                val_files = "./data/fineweb_val_*.bin"


            def shard(path):
                return torch.from_numpy(np.fromfile(path, dtype=np.uint16).astype(np.int64))


            def fit_temperature(model, tokens, steps=50):
                t = torch.ones((), requires_grad=True)
                opt = torch.optim.Adam([t], lr=0.01)
                for _ in range(steps):
                    logits = model(tokens[:-1][None])[0] / t
                    loss = F.cross_entropy(logits, tokens[1:])
                    opt.zero_grad()
                    loss.backward()
                    opt.step()
                return t.detach()


            def eval_val(model, val_tokens, temperature):
                loss_sum = torch.zeros((), dtype=torch.float64)
                with torch.inference_mode():
                    for s in range(0, val_tokens.numel() - 1024, 1024):
                        piece = val_tokens[s:s + 1025]
                        loss_sum += F.cross_entropy(model(piece[:-1][None])[0] / temperature, piece[1:], reduction="sum").double()
                return loss_sum


            def main(args, build_model):
                model = build_model()
                model.load_state_dict(torch.load("final_model.pt"))
                calib = shard(sorted(glob.glob(args.train_files))[0])[:65536]
                temperature = fit_temperature(model, calib)
                val_tokens = shard(sorted(glob.glob(args.val_files))[0])
                print(eval_val(model, val_tokens, temperature))
            """,
            trap='after the model is loaded back from the artifact, a helper fits a temperature on a training shard', lines=(41,),
        ),
    )
