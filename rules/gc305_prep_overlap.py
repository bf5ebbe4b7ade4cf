"""GC305 — bundled data-preparation scripts whose train split overlaps the canonical 50k-doc val set."""

import re

from golfcheck.findings import Severity
from golfcheck.rule import Example, Rule, Ruling
from ._data_bytes import CANONICAL_VAL_DOCS, CANONICAL_VAL_TOKENS, code_files, kwarg, literal, log_val_tokens

VAL_DOCS_FLAG = re.compile(r"^--?(num[-_])?val[-_]docs$|^--?n[-_]val[-_]docs$")
VAL_DOCS_CONST = re.compile(r"^(NUM_)?VAL_DOCS$|^N_VAL_DOCS$", re.I)
CHUNK_FLAG = re.compile(r"^--?(skip[-_]docs|start[-_]doc|doc[-_]offset|shard[-_]index|chunk[-_]index)$")


class PrepOverlap(Rule):
    id = "GC305"
    name = "prep-train-val-overlap"
    severity = Severity.ERROR
    ruling_date = "2026-05-02"
    summary = "A bundled data-prep script splits off fewer than the canonical 50,000 val docs, so train overlaps val."
    rationale = (
        "Validation is the fixed first 50,000 FineWeb documents. A prep script that takes only the first N < 50k "
        "documents as val starts the training shards at document N, so 50k-N val documents are trained on "
        "(Issue #2127: --val-docs=10000 put 80% of val in train; cocohearts excluded #2130 and #2018)."
    )
    looks_for = (
        "argparse --val-docs/--num-val-docs defaults and VAL_DOCS constants other than 50000 in bundled scripts; "
        "--skip-docs style chunking where each chunk writes its own first-N val documents."
    )
    traps = (
        "A script whose default is 50000 (or None, deferring to the canonical sidecar) is canonical.",
        "When the logs show the canonical val_tokens count, the scored data did not come from the overlapping "
        "default: reported as a note.",
    )
    rulings = (Ruling("Issue #2127: train/val overlap from --val-docs=10000", "https://github.com/openai/parameter-golf/issues/2127",
                      "15 of 34 CaseOps PRs affected"),
               Ruling("PR #2146: #2130 and #2018 excluded for a train/validation overlap fingerprint",
                      "https://github.com/openai/parameter-golf/pull/2146", ""))

    def check(self, ctx):
        canonical = log_val_tokens(ctx) & CANONICAL_VAL_TOKENS
        sev = Severity.NOTE if canonical else None
        tail = (f"; the logs show the canonical val_tokens {min(canonical)}, so the scored run did not use this "
                "default" if canonical else "")
        for facts in code_files(ctx):
            flags = {}
            compares_val = False
            for f, c in facts.all_calls():
                if c.name == "add_argument" and c.node.args:
                    flag = literal(c.node.args[0].value)
                    if isinstance(flag, str):
                        flags[flag] = c
            for f in facts.iter_functions():
                for a in f.assigns:
                    if any(re.search(r"val_docs", n) for n in a.reads) and a.value is not None and "<" in facts.code(a.value):
                        compares_val = True
                    if f.node is None and len(a.targets) == 1 and VAL_DOCS_CONST.match(a.targets[0]):
                        v = literal(a.value)
                        if isinstance(v, int) and v != CANONICAL_VAL_DOCS:
                            yield ctx.finding(self, facts, a.node or a.line,
                                              f"{a.targets[0]} = {v} instead of {CANONICAL_VAL_DOCS}: training shards start "
                                              f"inside the canonical validation documents{tail}", severity=sev)
            compares_val = compares_val or any("val_docs" in facts.code(n.test) for f in facts.iter_functions()
                                               for n, *_ in f.ifs)
            for flag, c in flags.items():
                if VAL_DOCS_FLAG.match(flag):
                    v = literal(kwarg(c.node, "default"))
                    if isinstance(v, int) and v != CANONICAL_VAL_DOCS:
                        yield ctx.finding(self, facts, c.node,
                                          f"`{flag}` defaults to {v}, not {CANONICAL_VAL_DOCS}: documents {v}..{CANONICAL_VAL_DOCS - 1} "
                                          f"of the validation set land in the training shards{tail}", severity=sev)
            chunk = next((c for flag, c in flags.items() if CHUNK_FLAG.match(flag)), None)
            if chunk is not None and compares_val and any(VAL_DOCS_FLAG.match(fl) for fl in flags):
                yield ctx.finding(self, facts, chunk.node,
                                  "chunked preparation (--skip-docs style) splits val per chunk: every chunk but the first "
                                  f"writes training documents as its own 'first N' val docs{tail}", severity=sev)

    VALID = (
        Example(
            "print('train')\n",
            files={"prepare_data.py": """
                import argparse
                ap = argparse.ArgumentParser()
                ap.add_argument("--val-docs", type=int, default=50_000)
                ap.add_argument("--max-docs", type=int, default=0)
                args = ap.parse_args()
                for i, doc in enumerate(range(10)):
                    split = "val" if i < args.val_docs else "train"
                """},
            trap="canonical 50,000 val documents",
        ),
        Example(
            "print('train')\n",
            files={"download_docs.py": """
                import argparse
                NUM_VAL_DOCS = 50_000
                ap = argparse.ArgumentParser()
                ap.add_argument("--num-val-docs", type=int, default=None)
                """},
            trap="default None deferring to the canonical count",
        ),
    )
    INVALID = (
        Example(
            "print('train')\n",
            files={"prepare_caseops_data.py": """
                import argparse
                ap = argparse.ArgumentParser()
                ap.add_argument("--val-docs", type=int, default=10_000, help="Validation docs count")
                args = ap.parse_args()
                """},
            trap="--val-docs default 10000 (Issue #2127)",
        ),
        Example(
            "print('train')\n",
            files={"prepare_caseops_data.py": """
                import argparse
                ap = argparse.ArgumentParser()
                ap.add_argument("--val-docs", type=int, default=10_000)
                args = ap.parse_args()
                """,
                   "train_seed1.log": "train_shards: 80\nval_tokens: 47851520\nval_bpb: 1.06\n"},
            trap="logs show the canonical val set: note", severity=Severity.NOTE,
        ),
        Example(
            "print('train')\n",
            files={"prepare_data.py": """
                import argparse
                ap = argparse.ArgumentParser()
                ap.add_argument("--val-docs", type=int, default=50_000)
                ap.add_argument("--skip-docs", type=int, default=0)
                args = ap.parse_args()
                n = 0
                for doc in range(args.skip_docs, 100):
                    if n < args.val_docs:
                        n += 1
                """},
            trap="--skip-docs chunking with a per-chunk val split (PR #2109)",
        ),
    )
