"""Folder-level log analysis: per-seed table, scored-line selection against submission.json,
duplicate logs and seed identity (GC506), JSON-vs-log agreement (GC603), val coverage (GC601).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from golfcheck.checks import evidence
from golfcheck.checks.common import RULING_1017, finding, json_line, json_rel
from golfcheck.errors import reading
from golfcheck.findings import Finding, Severity
from golfcheck.logs import (CANONICAL_VAL_TOKENS, SEED_FORMS, LogFile, Run, Value, candidates, matches, parse_log,
                           pass_name, select_pass, select_scored)
from golfcheck.submission import Submission

_FILE_SEED = re.compile(r"(?:seed[_-]?|_s)(\d+)(?=[._]|$)", re.I)
_FILE_SEED_TAIL = re.compile(r"_(\d+)\.(?:log|txt)$")


def seed_from_name(rel: str) -> int | None:
    """Seed a log's file name claims: ``train_seed42.log``, ``seed_0.log``, ``..._s42.txt``,
    ``ternary_log_1337.txt``, ``log_10mins_seed-7.txt``."""
    name = rel.rsplit("/", 1)[-1]
    m = _FILE_SEED.search(name) or _FILE_SEED_TAIL.search(name)
    return int(m.group(1)) if m else None


@dataclass(eq=False)  # identity: membership tests must not compare whole parsed runs field by field
class RunRow:
    run: Run
    duplicate_of: str | None = None
    name_seed: int | None = None
    claimed: float | None = None
    agrees: bool | None = None
    counted: bool = False  # the run whose value stands for its seed
    seed_source: str | None = None  # "log line N" or "file name"
    claim_from: str | None = None  # the submission.json entry the claim came from

    def why(self) -> str:
        """Why this line is the score, in words (the logs table prints it under the table)."""
        r = self.run
        how = r.scored_how
        if r.scored is None:
            return "no score line"
        if how.startswith("matched") and self.claimed is not None and matches(r.scored, self.claimed):
            return f"matches {self.claim_from or 'submission.json'}: {self.claimed}"
        return how

    def to_dict(self) -> dict:
        r = self.run
        s = r.scored
        loss = None if s is None else s.loss
        return {
            "log": r.log,
            "run": r.index,
            "seed": None if r.seed is None else int(r.seed.value),
            "val_bpb": None if s is None else s.bpb,
            "val_loss": loss,
            "train_seconds": r.train_seconds,
            "eval_seconds": r.eval_seconds(),
            "total_bytes": None if r.total_bytes is None else int(r.total_bytes.value),
            "scored_label": None if s is None else s.label,
            "scored_line": None if s is None else s.line,
            "scored_how": r.scored_how,
            "scored_why": self.why(),
            "skipped_lines": [{"label": m.label, "line": m.line, "val_bpb": m.bpb, "reason": why}
                              for m, why in r.skipped],
            "seed_source": self.seed_source,
            "train_data_seconds": r.train_data_seconds,
            "hessian_seconds": None if r.hessian_s is None else float(r.hessian_s.value),
            "eval_upper_seconds": r.eval_upper_seconds,
            "model_bytes": None if r.model_bytes is None else int(r.model_bytes.value),
            "model_format": r.model_format,
            "code_bytes": _code_bytes(r),
            "world_size": None if r.world_size is None else int(r.world_size.value),
            "gpus": r.gpu_names,
            "gpu_count": r.gpu_count or None,
            "val_tokens": None if r.val_tokens is None else int(r.val_tokens.value),
            "steps": r.stop_step or r.last_step,
            "pre_quant_val_bpb": None if r.pre_quant is None else r.pre_quant.bpb,
            "roundtrip_val_bpb": None if r.roundtrip is None else r.roundtrip.bpb,
            "ambiguous_lines": [{"label": m.label, "val_bpb": m.bpb, "line": m.line} for m in r.ambiguous],
            "start_line": r.start_line,
            "seed_in_file_name": self.name_seed,
            "duplicate_of": self.duplicate_of,
            "claimed_val_bpb": self.claimed,
            "agrees_with_json": self.agrees,
            "counted": self.counted,
        }


def _code_bytes(r: Run) -> int | None:
    for v in (r.code_bytes_compressed, r.code_bytes, r.code_bytes_uncompressed):
        if v is not None:
            return int(v.value)
    return None


@dataclass
class LogsResult:
    rows: list[RunRow] = field(default_factory=list)
    files: list[LogFile] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    by_claim: dict[int, RunRow] = field(default_factory=dict)  # JSON seed -> the run whose value it is
    rerun_agree: int = 0  # compliance_rerun per-seed values found in the logs

    def claimed_values(self, seeds: list[int]) -> dict[int, float]:
        """Values standing for the given (JSON-declared) seeds: the run matching each seed's claim,
        else the counted run of that in-log seed."""
        counted = self.seeds()
        out = {}
        for s in seeds:
            row = self.by_claim.get(s) or counted.get(s)
            if row is not None and row.run.scored is not None:
                out[s] = row.run.scored.bpb
        return out

    def seeds(self) -> dict[int, RunRow]:
        """The counted run of each distinct in-log seed."""
        return {int(r.run.seed.value): r for r in self.rows if r.counted and r.run.seed is not None}

    def scored_values(self) -> dict[int, float]:
        return {s: r.run.scored.bpb for s, r in self.seeds().items() if r.run.scored is not None}

    def to_dict(self) -> dict:
        return {
            "runs": [r.to_dict() for r in self.rows],
            "seeds": {str(s): {"val_bpb": r.run.scored.bpb if r.run.scored else None, "log": r.run.log}
                      for s, r in sorted(self.seeds().items())},
            "findings": [f.to_dict() for f in self.findings],
        }


def analyse_logs(sub: Submission, profile: str = "record") -> LogsResult:
    """Parse every log of the folder and check seeds and claimed values against submission.json."""
    res = LogsResult()
    data = sub.submission_json
    claims = evidence.per_seed(data)
    headline, _ = evidence.headline(data)
    by_hash: dict[str, str] = {}
    for lf in sub.logs:
        try:
            with reading(lf.path):
                parsed = parse_log(lf.path, lf.rel)  # streamed from disk
        except OSError as exc:
            res.findings.append(finding("GC605", Severity.WARNING, sub, lf.rel, 1,
                                        f"log {lf.rel} cannot be read: {exc.strerror or exc}", profile=profile))
            continue
        res.files.append(parsed)
        if parsed.skipped:
            res.findings.append(finding("GC605", Severity.WARNING, sub, lf.rel, 1,
                                        f"log {lf.rel} {parsed.skipped}: it was not parsed; a reviewer must read it",
                                        profile=profile))
            continue
        if parsed.problem:
            res.findings.append(finding("GC605", Severity.WARNING, sub, lf.rel, 1,
                                        f"log {lf.rel} is not readable as text: {parsed.problem}", profile=profile))
        dup = by_hash.get(parsed.sha256)
        if dup is None:
            by_hash[parsed.sha256] = lf.rel
        else:
            res.findings.append(finding(
                "GC506", Severity.NOTE, sub, lf.rel, 1,
                f"duplicate log: {lf.rel} is byte-identical to {dup}; counted once", profile=profile, kind="paperwork"))
        name_seed = seed_from_name(lf.rel)
        for run in parsed.runs:
            row = RunRow(run, duplicate_of=dup, name_seed=name_seed)
            if run.seed is not None:
                row.seed_source = f"log line {run.seed.line}"
            elif name_seed is not None and len(parsed.runs) == 1:
                run.seed = Value(name_seed, run.start_line)  # the file name is the only seed evidence
                row.seed_source = "file name"
            res.rows.append(row)
    _select(res, sub, claims, headline, profile)
    _reruns(res, sub, profile)
    _seed_identity(res, sub, claims, profile)
    _coverage(res, sub, profile)
    for row in res.rows:
        r = row.run
        if row.duplicate_of is None and r.seed is None and r.scored is not None:
            res.findings.append(finding(
                "GC602", Severity.WARNING, sub, r.log, r.start_line,
                f"no seed found in {r.log}" + (f" (run {r.index + 1})" if r.index else "")
                + f": its score cannot count toward the distinct seeds; print {SEED_FORMS} in the log, "
                  "or name a one-run log after its seed (train_seed42.log)", profile=profile, kind="paperwork"))
    if not any(r.run.scored for r in res.rows if r.duplicate_of is None) and sub.logs:
        res.findings.append(finding("GC602", Severity.WARNING, sub, sub.logs[0].rel, 1,
                                    "no log carries a final val_bpb line", profile=profile))
    return res


def _select(res: LogsResult, sub: Submission, claims: dict[int, dict], headline: float | None, profile: str) -> None:
    rows = [r for r in res.rows if r.duplicate_of is None]
    # 1. per-run selection with the claim of the run's in-log seed (or the file name's seed)
    for row in rows:
        seed = None if row.run.seed is None else int(row.run.seed.value)
        claim = claims.get(seed) if seed in claims else claims.get(row.name_seed) if row.name_seed in claims else None
        val = evidence.number(claim, "val_bpb") if claim else None
        if val is None and not claims and headline is not None:
            val = headline  # single-value JSON: try the headline, fall back silently
        select_scored(row.run, val)
        if claim and val is not None:
            row.claimed = val
            row.claim_from = f"submission.json {claim.get(evidence.FROM, 'seed entry')}"
            row.agrees = row.run.scored is not None and matches(row.run.scored, val)
    # 1a. only a headline mean: the pass whose per-seed values average to it is the claimed one
    if not claims and headline is not None and not any(r.run.scored_how.startswith("matched") for r in rows):
        _select_by_mean(rows, headline)
    # 1b. runs with no matching claim follow the family of the lines that matched (§3.3: the
    # scored label is a property of the script, e.g. a plain round-trip line next to a sliding one)
    matched_labels = {r.run.scored.label for r in rows if r.run.scored and r.run.scored_how.startswith("matched")}
    for row in rows:
        run = row.run
        if run.scored is None or run.scored_how.startswith("matched") or not matched_labels:
            continue
        same = [m for m in run.metrics if m.label in matched_labels]
        if same and run.scored.label not in matched_labels:
            same.sort(key=lambda m: (m.decimals, m.line))
            select_pass(run, pass_name(same[-1]), "same label as the lines matching submission.json",
                        "not the pass whose lines match submission.json")
    # 2. one counted run per in-log seed: the one agreeing with the claim, else the first
    groups: dict[int, list[RunRow]] = {}
    for row in rows:
        if row.run.seed is not None and row.run.scored is not None:
            groups.setdefault(int(row.run.seed.value), []).append(row)
    for seed, group in groups.items():
        agreeing = sorted((r for r in group if r.agrees), key=lambda r: abs(r.run.scored.bpb - r.claimed))
        headline = [r for r in group if r.run.scored_how == "matched submission.json"] if not claims else []
        best = (agreeing[0] if agreeing else None) or (headline[-1] if headline else None) or next(
            (r for r in group if r.run.scored and r.run.scored.kind != "json"), group[0])
        best.counted = True
        distinct = {round(r.run.scored.bpb, 4) for r in group if r.run.scored}
        if len(group) > 1 and len(distinct) > 1 and not agreeing:
            where = f"{best.run.log}" + (f" run {best.run.index + 1}" if best.run.index else "")
            res.findings.append(finding(
                "GC506", Severity.NOTE if headline else Severity.WARNING, sub, best.run.log,
                best.run.seed.line if best.run.seed else 1,
                f"seed {seed} has {len(group)} runs with different results "
                f"({', '.join(f'{r.run.log}: {r.run.scored.bpb}' for r in group)}); counting {where}"
                + (" (it matches submission.json)" if headline else ""), profile=profile, kind="paperwork"))
    # 3. every per-seed claim must be found in some log
    jrel = json_rel(sub)
    for seed, claim in sorted(claims.items()):
        val = evidence.number(claim, "val_bpb")
        if val is None:
            continue
        same = [r for r in rows if r.run.seed is not None and int(r.run.seed.value) == seed]
        same_ids = {id(r) for r in same}
        named = [r for r in rows if r.name_seed == seed and id(r) not in same_ids]
        agreeing = sorted((r for r in same if r.agrees), key=lambda r: abs(r.run.scored.bpb - val))
        if agreeing:
            res.by_claim[seed] = agreeing[0]
            continue
        hit = next((r for r in named if r.agrees), None)
        if hit is not None:
            res.by_claim[seed] = hit
            continue  # reported as a seed mismatch by _seed_identity
        elsewhere = [r for r in rows if r.run.scored and any(matches(m, val) for m in candidates(r.run))]
        if elsewhere:
            r = elsewhere[0]
            m = next(m for m in candidates(r.run) if matches(m, val))
            if not matches(r.run.scored, val):
                r.run.scored, r.run.scored_how = m, "matched submission.json (claimed under another seed)"
            res.by_claim[seed] = r
            res.findings.append(finding(
                "GC506", Severity.WARNING, sub, r.run.log, r.run.seed.line if r.run.seed else 1,
                f"submission.json seed {seed} val_bpb {val} is the result of {r.run.log}, which ran seed "
                f"{r.run.seed.value if r.run.seed else 'unknown'}", profile=profile, kind="paperwork"))
            continue
        if same or named:
            r = (same or named)[0]
            got = r.run.scored
            res.findings.append(finding(
                "GC603", Severity.ERROR, sub, r.run.log, got.line if got else 1,
                f"seed {seed}: submission.json val_bpb {val} but {r.run.log} says "
                f"{got.bpb if got else 'nothing'}" + (f" ({got.label})" if got else ""),
                profile=profile, evidence=f"{jrel}:{json_line(sub, str(seed), 'seed_results')}"))
        else:
            res.findings.append(finding(
                "GC603", Severity.ERROR, sub, jrel, json_line(sub, str(seed)),
                f"seed {seed}: submission.json val_bpb {val} has no log", profile=profile))


def _select_by_mean(rows: list[RunRow], headline: float) -> None:
    """With only a headline val_bpb (no per-seed values), score every seeded run on the pass whose
    per-seed values average to the headline at its printed precision (PR #1376: 0.7094 is the mean of
    the `final_slot_exact` lines, not of the sliding-window lines printed before them)."""
    from golfcheck.logs import decimals_of

    runs = [r.run for r in rows if r.run.seed is not None and candidates(r.run)]
    if len(runs) < 2:
        return
    names = set.intersection(*({pass_name(m) for m in candidates(r)} for r in runs))
    d = max(decimals_of(headline), 1)
    fits = []
    for name in names:
        best = [max((m for m in candidates(r) if pass_name(m) == name), key=lambda m: (m.decimals, m.line)) for r in runs]
        mean = sum(m.bpb for m in best) / len(best)
        if abs(mean - headline) <= 10 ** (-d) + 1e-9:
            fits.append((max(m.line for m in best), name))
    if len(fits) != 1:
        return  # none, or several passes fit: keep the priority choice
    name = fits[0][1]
    for r in runs:
        select_pass(r, name, "matched submission.json (the mean of this pass over the seeds is its val_bpb)",
                    "not the pass whose mean over the seeds is submission.json's val_bpb")


def _reruns(res: LogsResult, sub: Submission, profile: str) -> None:
    """``compliance_rerun.seed_results`` (2026-04-29): each value must be a line of a log of that seed."""
    reruns = evidence.rerun_per_seed(sub.submission_json)
    for seed, claim in sorted(reruns.items()):
        val = evidence.number(claim, "val_bpb")
        if val is None:
            continue
        same = [r for r in res.rows if r.duplicate_of is None and r.run.seed is not None
                and int(r.run.seed.value) == seed]
        if any(matches(m, val) for r in same for m in candidates(r.run)):
            res.rerun_agree += 1
            continue
        res.findings.append(finding(
            "GC603", Severity.ERROR, sub, json_rel(sub), json_line(sub, str(seed), "compliance_rerun"),
            f"compliance_rerun seed {seed}: submission.json val_bpb {val} is in no log of seed {seed} "
            f"({', '.join(f'{r.run.log}: {r.run.scored.bpb}' for r in same if r.run.scored) or 'no log'})",
            profile=profile))


def _seed_identity(res: LogsResult, sub: Submission, claims: dict[int, dict], profile: str) -> None:
    rows = [r for r in res.rows if r.duplicate_of is None and r.run.index == 0]
    for row in rows:
        seed = None if row.run.seed is None else int(row.run.seed.value)
        if seed is not None and row.name_seed is not None and seed != row.name_seed:
            res.findings.append(finding(
                "GC506", Severity.WARNING, sub, row.run.log, row.run.seed.line,
                f"{row.run.log}: file name says seed {row.name_seed} but the log ran seed {seed}",
                profile=profile, kind="paperwork"))
    declared = evidence.declared_seeds(sub.submission_json)
    logged = set(res.seeds())
    if declared and res.rows:
        missing = [s for s in declared if s not in logged]
        # a claim found under another seed or file name is reported above; list the rest once
        if missing:
            res.findings.append(finding(
                "GC506", Severity.WARNING, sub, json_rel(sub), json_line(sub, "seeds"),
                f"submission.json declares seed(s) {', '.join(map(str, missing))} that no log ran "
                f"(logs ran: {', '.join(map(str, sorted(logged))) or 'none'})", profile=profile, kind="paperwork"))
    data = sub.submission_json
    if isinstance(data, dict):
        for key in data:
            if "all_runs" in key or "disclosure" in key:
                res.findings.append(finding(
                    "GC506", Severity.WARNING, sub, json_rel(sub), json_line(sub, key),
                    f"submission.json reports a subset of its runs ({key}); the headline must be "
                    f"the mean of seeds chosen in advance", profile=profile, kind="paperwork"))


def _coverage(res: LogsResult, sub: Submission, profile: str) -> None:
    canon = {n for ns in CANONICAL_VAL_TOKENS.values() for n in ns}
    for row in res.rows:
        r = row.run
        if row.duplicate_of or r.val_tokens is None or not row.counted:
            continue
        n = int(r.val_tokens.value)
        if n in canon:
            continue
        if (r.val_pattern or "").startswith("embedded:"):
            # golfcheck's own demo corpus (reference_model): a complete split, but not FineWeb
            res.findings.append(finding(
                "GC601", Severity.NOTE, sub, r.log, r.val_tokens.line,
                f"{r.log}: scored on golfcheck's embedded demo corpus ({n:,} validation tokens, the whole split), "
                "not on FineWeb: the number is not comparable with the leaderboard",
                ruling=RULING_1017, profile=profile))
            continue
        nearest = min(canon, key=lambda c: abs(c - n))
        if n < nearest and (nearest - n) <= 65536:
            continue  # tail truncation to a multiple of seq_len
        subset = n < 0.9 * nearest
        res.findings.append(finding(
            "GC601", Severity.ERROR if subset else Severity.WARNING, sub, r.log, r.val_tokens.line,
            f"{r.log}: validation covers {n:,} tokens; the canonical split nearest to it has {nearest:,}"
            + (" (a subset of the validation split)" if subset else " (new tokenizer or export? prove it)"),
            ruling=RULING_1017, profile=profile))
