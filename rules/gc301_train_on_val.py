"""GC301 — training on validation data: a train loader over val files, or val aliased as train."""

import re


from golfcheck import flow
from golfcheck.findings import Severity
from golfcheck.rule import Example, Rule, Ruling
from ._data_bytes import (TRAIN_FILES, TRAIN_LOADER_NAME, VAL_FILES, code_files, evidence_texts, grep,
                               strings_in, text_finding, training_loops)

SYMLINK = re.compile(r"\b(ln\s+-s\w*|cp|mv)\s+\S*fineweb_val_\S*\s+\S*fineweb_train_\S*")
VALONLY = re.compile(r"\b(DATA_PATH|DATA_DIR|DATASET|data_path)\s*[=:]\s*[\"']?[\w./-]*(?<![a-z])val[_-]?only", re.I)


class TrainOnValidation(Rule):
    id = "GC301"
    name = "train-on-validation"
    severity = Severity.ERROR
    summary = "The training loop reads validation data (loader over val files, val aliased as train, val-fed steps)."
    rationale = (
        "The README forbids training on the validation set before evaluating on it: only tokens already scored "
        "may be adapted on. A train loader over fineweb_val_*, a train_files default that names the val shard, or "
        "a README/shell recipe that symlinks the val shard as fineweb_train_* all train on the scored text."
    )
    looks_for = (
        "train loaders built from val files or val tokens; train_files settings naming fineweb_val_; optimiser "
        "steps of the main loop fed by validation tokens; `ln -s ...fineweb_val_... ...fineweb_train_...` and "
        "DATA_PATH=...valonly in the README, run scripts or logs."
    )
    traps = (
        "Periodic validation (eval_val under inference_mode inside the training loop, val_loss_every) reads val "
        "tokens legally: it takes no optimiser step on them.",
        "Score-first TTT trains on already-scored val tokens in its own function; that is GC2xx's question.",
        "PR #44's train_gpt.py is identical to the baseline: the leak is only in the README recipe.",
    )
    rulings = (
        Ruling("README (fc6332a9c, 2026-03-20)", "https://github.com/openai/parameter-golf#faq",
               "you can't train on the validation set before you evaluate on it"),
        Ruling("PR #44 (closed): val-only 10min record", "https://github.com/openai/parameter-golf/pull/44",
               "fineweb_train_000000.bin symlinked to the val shard"),
    )

    def check(self, ctx):
        for facts in code_files(ctx):
            yield from self._code(ctx, facts)
        for rel, line, m in grep(evidence_texts(ctx), SYMLINK):
            yield text_finding(self, rel, line, f"{rel} aliases the validation shard as training data: `{m.group(0)[:120]}`")
        for rel, line, m in grep(evidence_texts(ctx, logs=True), VALONLY):
            yield text_finding(self, rel, line, f"{rel} points the data path at a val-only dataset: `{m.group(0)[:120]}`")

    def _code(self, ctx, facts):
        for f in facts.iter_functions():
            for a in f.assigns:
                if not a.value or a.op:
                    continue
                text = [s for s in strings_in(a.value) if "fineweb_val_" in s]
                if any(TRAIN_FILES.search(t) for t in a.targets) and text:
                    yield ctx.finding(self, facts, a.node or a.line, f"`{a.targets[0]}` names the validation shards ({text[0]!r})")
                elif any(TRAIN_LOADER_NAME.search(t) for t in a.targets):
                    val = sorted(n for n in a.reads if VAL_FILES.search(n)) or text
                    if val:
                        yield ctx.finding(self, facts, a.node or a.line,
                                          f"the training loader `{a.targets[0]}` is built from validation data (`{val[0]}`)")
            yield from self._val_fed_steps(ctx, facts, f)
        s = ctx.config.get("train_files")
        if s is not None and isinstance(s.value, str) and "fineweb_val_" in s.value and s.path == facts.path:
            yield ctx.finding(self, facts, s.line or 1, f"TRAIN_FILES resolves to validation shards ({s.value!r}, from {s.source})")

    def _val_fed_steps(self, ctx, facts, f):
        if re.search(r"ttt|adapt|test_time|eval|score|slot|calib", f.name, re.I) or f.accumulators or facts.on_eval_path(f):
            return
        tainted = facts.val_tainted(f)
        if not tainted:
            return
        for loop in training_loops(facts, f):
            for c in f.calls:
                if c.name != "backward" or not (loop.line <= c.line <= loop.end_line):
                    continue
                if any(w.endswith(("no_grad", "inference_mode")) for w in c.ctx.withs):
                    continue
                if any(re.search(r"ttt|adapt|slot", facts.code(g.test), re.I) for g in c.ctx.guards):
                    continue
                hit = sorted(n for n in c.reads if n in tainted and flow.value_at(facts, f, {n}, (c.line, c.col)))
                if hit:
                    yield ctx.finding(self, facts, c.node,
                                      f"the training loop's backward pass is fed by validation data (`{hit[0]}`)")


    VALID = (
        Example(
            """
            import torch
            def main(args, model, opt, train_loader, val_tokens):
                sizes = [int(x) for x in args.layer_sizes.split(",")]
                for step in range(args.iterations):
                    x, y = train_loader.next_batch()
                    loss = model(x, y)
                    loss.backward()
                    opt.step()
                for i in range(0, val_tokens.numel() - 1025, 1024):
                    x = val_tokens[i:i + 1024]
                    y = val_tokens[i + 1:i + 1025]
                    loss = model(x, y)
                    print(loss.item())
            """,
            trap="names reused: the training loop's x, y, loss come from train batches; a later val pass "
                 "(and a comprehension variable) reuse the same names",
        ),
        Example(
            """
            import torch
            def eval_val(model, val_tokens):
                with torch.inference_mode():
                    return model(val_tokens[:-1], val_tokens[1:]).item()
            def main(args, model, opt, train_loader, val_tokens):
                for step in range(args.iterations):
                    if step % args.val_loss_every == 0:
                        eval_val(model, val_tokens)
                    x, y = train_loader.next_batch()
                    loss = model(x, y)
                    loss.backward()
                    opt.step()
            """,
            trap="periodic eval_val under inference_mode inside the training loop",
        ),
        Example(
            """
            import os
            train_files = os.environ.get("TRAIN_FILES", "./data/fineweb_train_*.bin")
            val_files = os.environ.get("VAL_FILES", "./data/fineweb_val_*.bin")
            """,
            files={"README.md": "Run `DATA_PATH=./data/datasets/fineweb10B_sp1024 torchrun train_gpt.py`\n"},
            trap="canonical data paths",
        ),
    )
    INVALID = (
        Example(
            """
            import os
            class Hyperparameters:
                train_files = os.environ.get("TRAIN_FILES", "./data/fineweb_val_*.bin")
            """,
            trap="train_files default containing the val shards", lines=(3,),
        ),
        Example(
            """
            def main(args, DistributedTokenLoader):
                train_loader = DistributedTokenLoader(args.val_files, 0, 8)
                return train_loader
            """,
            trap="train loader built from val files", lines=(2,),
        ),
        Example(
            """
            def main(args, model, opt, val_tokens):
                for step in range(args.iterations):
                    x = val_tokens[step * 1024:(step + 1) * 1024]
                    loss = model(x[:-1], x[1:])
                    loss.backward()
                    opt.step()
            """,
            trap="training steps fed by val_tokens", lines=(5,),
        ),
        Example(
            "print('baseline')\n",
            files={"README.md": """
                ## Setup
                ln -s /data/fineweb10B_sp1024/fineweb_val_000000.bin /data/valonly/fineweb_train_000000.bin
                """},
            trap="README symlink recipe (PR #44)",
        ),
        Example(
            "print('baseline')\n",
            files={"run.sh": "DATA_PATH=./data/datasets/fineweb10B_sp1024_valonly torchrun train_gpt.py\n"},
            trap="DATA_PATH naming a val-only dataset in a run script",
        ),
    )



