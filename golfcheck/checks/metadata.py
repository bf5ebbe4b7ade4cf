"""submission.json and folder layout: schema validation (GC604), cross-checks with the logs
(GC603: headline mean, per-seed values, std, bytes), and the folder's required files (GC605).
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from statistics import fmean, pstdev, stdev

from golfcheck.checks import evidence
from golfcheck.checks.common import README_RULES, finding, json_line, json_rel
from golfcheck.checks.runs import LogsResult, analyse_logs
from golfcheck.findings import Finding, Severity
from golfcheck.logs import decimals_of
from golfcheck.submission import Submission, parse_json

README_HEADLINE = re.compile(r"\*\*val[_ ]bpb[:=]?\s*\*{0,2}\s*([0-9]+\.[0-9]+)", re.I)
FOLDER_NAME = re.compile(r"^\d{4}-\d{2}-\d{2}_[A-Za-z0-9._+-]+$")
PROFILE_DEF = {"record": "strictRecord", "non-record": "strictNonRecord", "history": None}
MAX_JSON_BYTES = 4 * 1024 * 1024


@lru_cache(maxsize=1)
def schema() -> dict:
    text = resources.files("golfcheck.schemas").joinpath("submission.schema.json").read_text(encoding="utf-8")
    return json.loads(text)


@lru_cache(maxsize=4)
def _validator(profile: str):
    from jsonschema import Draft202012Validator
    from referencing import Registry, Resource

    s = schema()
    registry = Registry().with_resource(s["$id"], Resource.from_contents(s))
    target = PROFILE_DEF.get(profile)
    root = {"$ref": s["$id"] + (f"#/$defs/{target}" if target else "")}
    return Draft202012Validator(root, registry=registry)


def schema_errors(data, profile: str = "history") -> list[tuple[str, list]]:
    """(message, path) of every schema violation for the profile (history = permissive schema)."""
    validator = _validator(profile if profile in PROFILE_DEF else "history")
    out = []
    try:
        errors = sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.absolute_path)))
    except RecursionError:
        return [("submission.json nests too deeply to validate", [])]
    for e in errors:
        out.append((_describe(e), list(e.absolute_path)))
    return out


def _describe(e) -> str:
    where = "/".join(map(str, e.absolute_path)) or "(top level)"
    msg = e.message
    if len(msg) > 160:
        msg = msg[:157] + "..."
    return f"{where}: {msg}"


@dataclass
class LoadedJson:
    data: object | None
    problem: str = ""
    line: int = 1


def load_json(sub: Submission) -> LoadedJson:
    f = sub.submission_json_file
    if f is None:
        return LoadedJson(None, "missing")
    try:
        size = Path(f.path).stat().st_size
    except OSError as exc:
        return LoadedJson(None, f"unreadable: {exc.strerror or exc}")
    if size > MAX_JSON_BYTES:
        return LoadedJson(None, f"too large to be a submission.json ({size:,} bytes)")
    text = f.text
    if "\x00" in text:
        return LoadedJson(None, "binary content (NUL bytes)")
    loaded = parse_json(text)  # depth-limited; NaN/Infinity and unconvertible numbers refused
    return LoadedJson(loaded.data, loaded.problem, loaded.line)


@dataclass
class MetadataResult:
    findings: list[Finding] = field(default_factory=list)
    json_file: str | None = None
    schema_profile: str | None = None
    schema_errors: list[str] = field(default_factory=list)
    checks: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"submission_json": self.json_file, "schema_profile": self.schema_profile,
                "schema_errors": self.schema_errors, "checks": self.checks,
                "findings": [f.to_dict() for f in self.findings]}


# What the challenge README asks submission.json to hold: "your name, GitHub ID, `val_bpb`, and
# related metadata". Only these are required; everything else the strict profile lists is a note.
GITHUB_LOGIN = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$")
BPB_ALIASES = ("mean_val_bpb", "mean_bpb", "val_bpb_mean")
SAFE_INT = 2 ** 53  # integers beyond this lose precision in JavaScript and most JSON consumers
# Keys whose values are measurements: a non-finite or negative value is a wrong claim, not a style issue.
MEASURED = re.compile(r"(^|_)(bpb|loss|nats|bytes|seconds|time|ms|std|steps?)($|_)", re.I)


def check_metadata(sub: Submission, profile: str = "record", logs: LogsResult | None = None,
                   size=None) -> MetadataResult:
    """``size``: the folder's SizeResult; its recomputed per-seed totals are accepted as artifact bytes
    beside the logs' own totals."""
    res = MetadataResult(json_file=json_rel(sub))
    res.findings.extend(check_layout(sub, profile))
    loaded = load_json(sub)
    jrel = json_rel(sub)
    if loaded.problem and loaded.problem != "missing":
        res.findings.append(finding("GC604", Severity.ERROR, sub, jrel, loaded.line,
                                    f"{jrel}: {loaded.problem}", README_RULES, profile))
        return res
    if loaded.data is None:
        return res
    data = loaded.data
    if not isinstance(data, dict):
        res.findings.append(finding("GC604", Severity.ERROR, sub, jrel, 1,
                                    f"{jrel} must be a JSON object (it is a {type(data).__name__})",
                                    README_RULES, profile))
        return res
    res.findings.extend(_required(sub, data, profile))
    res.findings.extend(_values(sub, data, profile))
    # ---- the permissive schema (accepts every merged file): a wrong type of a known key
    required = {"author", "name", "github_id", "val_bpb"}
    errs = [(m, path) for m, path in schema_errors(data, "history") if not (path and str(path[0]) in required)]
    for msg, path in errs[:25]:
        key = str(path[0]) if path else None
        res.findings.append(finding("GC604", Severity.WARNING, sub, jrel, json_line(sub, key) if key else 1,
                                    f"submission.json: {msg}", README_RULES, profile))
    # ---- the strict profile: what modern record PRs carry; notes with the fix, never errors
    if profile != "history":
        strict = schema_errors(data, profile)
        res.schema_profile = PROFILE_DEF.get(profile) or "permissive"
        res.schema_errors = [m for m, _ in strict]
        known = {m for m, _ in errs}
        missing = sorted({m.split("'")[1] for m, _ in strict if "is a required property" in m and "'" in m}
                         - required)
        if missing:
            res.findings.append(finding(
                "GC604", Severity.NOTE, sub, jrel, 1,
                f"submission.json could also carry {', '.join(missing)} (most record PRs do; "
                f"`golfcheck writeup` fills them in from the logs)", README_RULES, profile))
        for msg, path in strict:
            if "is a required property" in msg or msg in known or (path and str(path[0]) in required):
                continue
            key = str(path[0]) if path else None
            res.findings.append(finding("GC604", Severity.NOTE, sub, jrel, json_line(sub, key) if key else 1,
                                        f"submission.json, {res.schema_profile} profile: {msg}", README_RULES, profile))
    logs = logs or analyse_logs(sub, profile)
    res.findings.extend(_cross_check(sub, data, logs, profile, res.checks, size))
    return res


def _required(sub: Submission, data: dict, profile: str) -> list[Finding]:
    """The README's three: your name, your GitHub ID, val_bpb (errors: the folder is INCOMPLETE)."""
    out: list[Finding] = []
    jrel = json_rel(sub)

    def text(key):
        v = data.get(key)
        return v.strip() if isinstance(v, str) and v.strip() else None

    if text("author") is None:
        if text("name") is None:
            out.append(finding("GC604", Severity.ERROR, sub, jrel, json_line(sub, "author"),
                               "submission.json has no author (your name, which the challenge README asks for)",
                               README_RULES, profile))
        else:
            out.append(finding("GC604", Severity.NOTE, sub, jrel, json_line(sub, "name"),
                               "submission.json has no author; `name` is usually the run's title: add "
                               "`\"author\": \"Your Name\"`", README_RULES, profile))
    gid = data.get("github_id")
    if text("github_id") is None:
        out.append(finding("GC604", Severity.ERROR, sub, jrel, json_line(sub, "github_id"),
                           "submission.json has no github_id (your GitHub login, which the challenge README asks for)",
                           README_RULES, profile))
    elif not GITHUB_LOGIN.match(gid.strip().lstrip("@")):
        out.append(finding("GC604", Severity.WARNING, sub, jrel, json_line(sub, "github_id"),
                           f"submission.json github_id {gid!r} is not a GitHub login (letters, digits and '-')",
                           README_RULES, profile))
    if "val_bpb" not in data:
        alt = next((k for k in BPB_ALIASES if evidence.number(data, k) is not None), None)
        out.append(finding("GC604", Severity.ERROR, sub, jrel, json_line(sub, alt) if alt else 1,
                           "submission.json has no val_bpb, the score the challenge README asks for"
                           + (f" (it has {alt}: name it val_bpb)" if alt else ""), README_RULES, profile))
    else:
        v = data["val_bpb"]
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            out.append(finding("GC604", Severity.ERROR, sub, jrel, json_line(sub, "val_bpb"),
                               f"submission.json val_bpb must be a number, not {type(v).__name__} {_short(v)}",
                               README_RULES, profile))
        elif not math.isfinite(v) or v <= 0:
            out.append(finding("GC604", Severity.ERROR, sub, jrel, json_line(sub, "val_bpb"),
                               f"submission.json val_bpb {v!r} is not a positive finite number", README_RULES, profile))
    return out


def _short(v) -> str:
    t = json.dumps(v) if not isinstance(v, str) else repr(v)
    return t if len(t) <= 40 else t[:37] + "..."


def _values(sub: Submission, data: dict, profile: str) -> list[Finding]:
    """Numbers that no measurement can be: NaN, infinities, negative sizes/times/losses, and integers
    too large for JSON readers (every key at any depth, named by its path)."""
    out: list[Finding] = []
    jrel = json_rel(sub)
    stack = [((str(k),), v) for k, v in data.items() if k != "val_bpb"]  # val_bpb: see _required
    seen = 0
    while stack and seen < 10_000:
        path, v = stack.pop()
        seen += 1
        if isinstance(v, dict):
            stack.extend((path + (str(k),), x) for k, x in v.items())
            continue
        if isinstance(v, list):
            stack.extend((path + (str(i),), x) for i, x in enumerate(v))
            continue
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            continue
        where = "/".join(path)
        problem = None
        if isinstance(v, float) and not math.isfinite(v):
            problem = f"is {v!r}, not a number a run can produce"
        elif isinstance(v, int) and abs(v) > SAFE_INT:
            problem = f"is an integer beyond 2^53 ({len(str(abs(v)))} digits) that JSON readers cannot hold exactly"
        elif v < 0 and MEASURED.search(path[-1]) and "delta" not in where.lower() and "gain" not in where.lower():
            problem = f"is negative ({v!r}); a size, time or loss cannot be"
        if problem:
            out.append(finding("GC604", Severity.WARNING, sub, jrel, json_line(sub, path[0]),
                               f"submission.json {where} {problem}", README_RULES, profile))
    return out


def check_layout(sub: Submission, profile: str = "record") -> list[Finding]:
    out: list[Finding] = []
    root = Path(sub.root)
    if not root.is_dir():
        return out
    name = root.resolve().name
    # The name matters where records are filed (records/track_*/NAME): it sorts them by date.
    if sub.track is not None and not FOLDER_NAME.match(name):
        out.append(finding("GC605", Severity.WARNING, sub, None, 1,
                           f"folder name {name!r} does not match YYYY-MM-DD_Name (letters, digits, ._+- only)",
                           README_RULES, profile))
    anchor = sub.counted_file.rel if sub.counted_file else (sub.readme.rel if sub.readme else None)
    if sub.readme is None:
        out.append(finding("GC605", Severity.ERROR, sub, anchor, 1, "missing README.md", README_RULES, profile))
    jf = sub.submission_json_file
    if jf is None:
        out.append(finding("GC605", Severity.ERROR, sub, anchor, 1, "missing submission.json", README_RULES, profile))
    elif jf.rel != "submission.json":
        out.append(finding("GC605", Severity.WARNING, sub, jf.rel, 1,
                           f"metadata is in {jf.rel}; the file must be named submission.json", README_RULES, profile))
    rels = {f.rel for f in sub.code_files}
    if "train_gpt.py" not in rels:
        other = sub.counted_file.rel if sub.counted_file else None
        msg = "missing train_gpt.py" + (f" (the script is {other})" if other else "")
        out.append(finding("GC605", Severity.ERROR, sub, other or anchor, 1, msg, README_RULES, profile))
    else:
        p = root / "train_gpt.py"
        try:
            if p.stat().st_size == 0:
                out.append(finding("GC605", Severity.ERROR, sub, "train_gpt.py", 1, "train_gpt.py is empty",
                                   README_RULES, profile))
        except OSError:
            pass
    if not sub.logs:
        out.append(finding("GC605", Severity.ERROR, sub, anchor, 1,
                           "no train log: the logs your script produced must be included", README_RULES, profile))
    return out


def _close(a: float, b: float, decimals: int) -> bool:
    """Equal at the printed precision, allowing one unit in the last digit (means of rounded values)."""
    return abs(a - b) <= 10 ** (-decimals) + 1e-9


def _cross_check(sub: Submission, data: dict, logs: LogsResult, profile: str, checks: dict, size=None) -> list[Finding]:
    out: list[Finding] = []
    jrel = json_rel(sub)
    claims = evidence.per_seed(data)
    declared = evidence.declared_seeds(data)
    logged = logs.scored_values()
    headline = evidence.number(data, "val_bpb")
    # per-seed values the headline should average: the declared seeds' log values
    if declared:
        logged = logs.claimed_values(declared)
    use = [s for s in (declared or sorted(logged)) if s in logged]
    if headline is None and "val_bpb" not in data:  # reported by _required; compare the alias meanwhile
        alt = next((k for k in BPB_ALIASES if evidence.number(data, k) is not None), None)
        if alt:
            headline = evidence.number(data, alt)
    if headline is not None and use:
        mean = fmean(logged[s] for s in use)
        d = decimals_of(headline)
        single = {r.run.scored.bpb for r in logs.rows if r.run.scored and r.duplicate_of is None}
        ok = _close(mean, headline, d) or (not claims and any(_close(v, headline, min(d, 8)) for v in single))
        checks["val_bpb"] = {"json": headline, "logs_mean": mean, "seeds": use, "agrees": ok}
        if not ok:
            out.append(finding(
                "GC603", Severity.ERROR, sub, jrel, json_line(sub, "val_bpb"),
                f"submission.json val_bpb {headline} but the logs' scored values average {mean:.8f} "
                f"over seed(s) {', '.join(map(str, use))}", README_RULES, profile))
    # JSON-internal: the declared seeds are the per-seed entries
    seeds_list = data.get("seeds")
    results = data.get("seed_results")
    if isinstance(seeds_list, list) and isinstance(results, dict):
        a = {evidence._seed_key(x) for x in seeds_list}
        b = {evidence._seed_key(x) for x in results}
        if a != b:
            out.append(finding(
                "GC604", Severity.WARNING, sub, jrel, json_line(sub, "seeds"),
                f"submission.json seeds {sorted(x for x in a if x is not None)} but seed_results has "
                f"{sorted(x for x in b if x is not None)}", README_RULES, profile))
    # JSON-internal: headline = mean of its own per-seed values
    jvals = {s: evidence.number(c, "val_bpb") for s, c in claims.items()}
    jvals = {s: v for s, v in jvals.items() if v is not None}
    if headline is not None and len(jvals) >= 2:
        jm = fmean(jvals.values())
        if not _close(jm, headline, decimals_of(headline)) and not _close(jm, headline, 4):
            out.append(finding(
                "GC603", Severity.WARNING, sub, jrel, json_line(sub, "val_bpb"),
                f"submission.json val_bpb {headline} is not the mean of its own per-seed values ({jm:.8f})",
                README_RULES, profile))
    # std: sample (ddof=1) over the per-seed values
    std = evidence.number(data, "val_bpb_std")
    vals = [logged[s] for s in use] if len(use) >= 2 else list(jvals.values())
    if std is not None and len(vals) >= 2:
        s1, s0 = stdev(vals), pstdev(vals)
        d = max(decimals_of(std), 1)
        checks["val_bpb_std"] = {"json": std, "sample": s1, "population": s0}
        if not _close(s1, std, d) and not math.isclose(s1, std, rel_tol=0.02):
            kind = " (that is the population std, ddof=0)" if (_close(s0, std, d) or math.isclose(s0, std, rel_tol=0.02)) else ""
            out.append(finding(
                "GC603", Severity.WARNING, sub, jrel, json_line(sub, "val_bpb_std"),
                f"submission.json val_bpb_std {std} but the sample std (ddof=1) of the per-seed values is "
                f"{s1:.8f}{kind}", README_RULES, profile))
    # val_loss holding a bpb value (ratio sanity)
    loss = evidence.number(data, "val_loss")
    if loss is not None and headline is not None and loss > 0:
        ratio = headline / loss
        if not (0.3 <= ratio <= 1.5):
            out.append(finding("GC603", Severity.WARNING, sub, jrel, json_line(sub, "val_loss"),
                               f"submission.json val_bpb/val_loss = {ratio:.4f} is outside any tokenizer's range",
                               README_RULES, profile))
    elif loss is not None and headline is None and logged:
        m = fmean(logged.values())
        if abs(loss - m) < 5e-4:
            out.append(finding("GC603", Severity.WARNING, sub, jrel, json_line(sub, "val_loss"),
                               f"submission.json val_loss {loss} equals the logs' val_bpb ({m:.5f}): a bpb value "
                               f"in the nats field", README_RULES, profile))
    # bytes: per-seed artifact bytes vs the log's total (or golfcheck's recomputed total, which also
    # counts the helpers the script runs), and bytes_total vs the max
    recomputed: dict[str, set[int]] = {}
    for e in (size.per_seed if size is not None else []):
        if e.get("total_bytes") is not None:
            recomputed.setdefault(e["log"], set()).add(int(e["total_bytes"]))
    totals = {}
    for s, row in logs.seeds().items():
        if row.run.total_bytes is not None:
            totals[s] = (int(row.run.total_bytes.value), row.run.log, row.run.total_bytes.line)
    for s, claim in sorted(claims.items()):
        ab = evidence.number(claim, "artifact_bytes", "bytes_total")
        if ab is None or s not in totals:
            continue
        got, log, line = totals[s]
        if int(ab) != got and int(ab) not in recomputed.get(log, ()):
            out.append(finding(
                "GC603", Severity.WARNING, sub, log, line,
                f"seed {s}: submission.json artifact bytes {int(ab):,} but {log} says total submission size "
                f"{got:,}", README_RULES, profile, evidence=f"{jrel}:{json_line(sub, str(s))}"))
    # per-seed val_loss against the scored line's loss
    for s, claim in sorted(claims.items()):
        vl = evidence.number(claim, "val_loss")
        row = logs.by_claim.get(s)
        if vl is None or row is None or row.run.scored is None or row.run.scored.loss is None:
            continue
        got = row.run.scored.loss
        k = min(decimals_of(vl), 8)
        if not _close(round(got, k), vl, k):
            out.append(finding(
                "GC603", Severity.WARNING, sub, row.run.log, row.run.scored.line,
                f"seed {s}: submission.json val_loss {vl} but {row.run.log} says {got}", README_RULES, profile,
                evidence=f"{jrel}:{json_line(sub, str(s))}"))
    bt = evidence.number(data, "bytes_total")
    all_totals = [int(r.run.total_bytes.value) for r in logs.rows
                  if r.duplicate_of is None and r.run.total_bytes is not None]
    if bt is not None and all_totals:
        mx = max(all_totals)
        checks["bytes_total"] = {"json": int(bt), "logs_max": mx, "logs": sorted(set(all_totals))}
        accepted = set(all_totals) | {v for vs in recomputed.values() for v in vs}
        if size is not None and size.total_bytes is not None:
            accepted.add(int(size.total_bytes))
        if int(bt) not in accepted:
            how = ""
            if int(bt) % 10000 == 0:
                how = " (a rounded number)"
            elif int(bt) < min(all_totals):
                how = " (smaller than every log total: code bytes left out?)"
            out.append(finding(
                "GC603", Severity.WARNING, sub, jrel, json_line(sub, "bytes_total"),
                f"submission.json bytes_total {int(bt):,} but the logs' total submission sizes are "
                f"{', '.join(f'{v:,}' for v in sorted(set(all_totals)))} (max {mx:,}){how}",
                README_RULES, profile))
    # README headline (the bold `**val_bpb: X**` of the PR template) vs submission.json
    if headline is not None and sub.readme is not None:
        text = sub.readme.text
        m = README_HEADLINE.search(text)
        if m:
            v = m.group(1)
            k = min(decimals_of(v), decimals_of(headline))
            if not _close(float(v), headline, k):
                out.append(finding(
                    "GC603", Severity.WARNING, sub, sub.readme.rel, text.count("\n", 0, m.start()) + 1,
                    f"README.md headline val_bpb {v} but submission.json val_bpb {headline}", README_RULES, profile))
    # track spelling vs folder
    track = data.get("track")
    if isinstance(track, str) and sub.track:
        non = "non" in track.lower()
        if non != (sub.track == "track_non_record_16mb"):
            out.append(finding("GC605", Severity.WARNING, sub, jrel, json_line(sub, "track"),
                               f"submission.json track {track!r} disagrees with the folder's track {sub.track}",
                               README_RULES, profile))
    return out
