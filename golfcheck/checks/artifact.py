"""Artifact bytes (GC501): counted code as shipped + compressed model file(s), compressor
identified by content, decompression proved with a streamed, size-capped read, and a comparison
with the sizes every log prints per seed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from golfcheck.checks.common import LIMIT_BYTES, README_RULES, finding, json_line, json_rel
from golfcheck.checks.counted_code import CountedCode, check_counted_code
from golfcheck.checks.runs import LogsResult, analyse_logs
from golfcheck.checks import evidence
from golfcheck.decompress import stream_size
from golfcheck.findings import Finding, Severity
from golfcheck.submission import Submission



COUNTING_RULE = (
    "artifact = counted code + compressed model; counted code = the counted script as shipped (a "
    "self-extracting wrapper counts compressed; a script that measures its own minified, compressed form counts "
    "that) + every file of the folder it runs (imported or executed Python, native code it builds or loads); "
    "model = the shipped model file, else per seed the log's total minus the code bytes that log counted")


def sniff(head: bytes) -> str | None:
    """Compressor by magic bytes: zlib, zstd, xz, lzma (alone), gzip, lrzip; None if unknown."""
    try:
        from golfcheck.decompress import sniff as _sniff

        name = _sniff(head)
    except Exception:  # noqa: BLE001
        name = None
    return {"lzma-alone": "lzma"}.get(name, name) if name else None


@dataclass
class ModelFile:
    rel: str
    bytes: int
    compressor: str | None
    decompressed_bytes: int | None
    problem: str = ""

    def to_dict(self) -> dict:
        return {"path": self.rel, "bytes": self.bytes, "compressor": self.compressor,
                "decompressed_bytes": self.decompressed_bytes, "readable": self.decompressed_bytes is not None,
                "problem": self.problem}


@dataclass
class SizeResult:
    code_bytes: int | None
    model_bytes: int | None
    total_bytes: int | None
    compressor: str | None
    code_bytes_compressed: int | None = None  # the log's `Code size (compressed)` (runtime wrapper)
    code_files: list[dict] = field(default_factory=list)  # every counted code file, with why
    not_counted: list[dict] = field(default_factory=list)  # code files of the folder left out, with why
    model_files: list[ModelFile] = field(default_factory=list)
    per_seed: list[dict] = field(default_factory=list)
    source: str = ""
    findings: list[Finding] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {
            "counting_rule": COUNTING_RULE,
            "code_bytes": self.code_bytes,
            "code_bytes_compressed": self.code_bytes_compressed,
            "model_bytes": self.model_bytes,
            "total_bytes": self.total_bytes,
            "limit": LIMIT_BYTES,
            "compressor": self.compressor,
            "source": self.source,
            "code_files": self.code_files,
            "not_counted": self.not_counted,
            "model_files": [m.to_dict() for m in self.model_files],
            "per_seed": self.per_seed,
            "findings": [f.to_dict() for f in self.findings],
        }


def _rel(sub: Submission, p: Path) -> str:
    try:
        return p.relative_to(sub.root).as_posix()
    except ValueError:
        return p.name


def find_model_files(sub: Submission) -> list[tuple[str, Path, str | None]]:
    """Compressed model artifacts the loader found (magic bytes or model-like names), sniffed."""
    out = []
    for p in getattr(sub, "model_files", []):
        try:
            with open(p, "rb") as fh:
                head = fh.read(16)
        except OSError:
            continue
        out.append((_rel(sub, p), p, sniff(head)))
    return out


def _fmt_compressor(fmt: str | None) -> str | None:
    if not fmt:
        return None
    low = fmt.lower()
    for name in ("zstd", "zlib", "lzma", "brotli", "pergroup", "lrzip"):
        if name in low:
            return {"pergroup": "lrzip+brotli (per-group)"}.get(name, name)
    return None


def check_size(
    sub: Submission,
    profile: str = "record",
    logs: LogsResult | None = None,
    code: CountedCode | None = None,
) -> SizeResult:
    """GC501 with one counting rule (:data:`COUNTING_RULE`) and one sum, shared by every output."""
    logs = logs or analyse_logs(sub, profile)
    code = code or check_counted_code(sub, profile)
    res = SizeResult(None, None, None, None)
    res.findings.extend(code.findings)
    counted = sub.counted_file
    # ---- code bytes: the counted file as shipped plus every file it runs, each with its reason
    extra_bytes = 0
    main_bytes: int | None = None
    if counted is not None:
        for rel in [counted.rel, *code.extra]:
            try:
                size = (Path(sub.root) / rel).stat().st_size
            except OSError:
                continue
            res.code_files.append({"path": rel, "bytes": size, "counted": True, "reason": code.reasons.get(rel, "")})
            if rel == counted.rel:
                main_bytes = size
            else:
                extra_bytes += size
        if counted.rel != "train_gpt.py" and Path(sub.root).is_dir():
            res.code_files[0]["note"] = "counted file is not named train_gpt.py"
        listed = {c["path"] for c in res.code_files}
        for f in sub.code_files:
            if f.rel not in listed:
                res.not_counted.append({"path": f.rel, "bytes": _size(Path(f.path)),
                                        "reason": f"not imported or executed by {counted.rel} or a file it runs"})
    # ---- model files shipped in the folder
    for rel, p, kind in find_model_files(sub):
        size = p.stat().st_size
        methods = [kind] if kind else ["brotli"]  # brotli has no magic: try it last
        dec, problem = None, ""
        if kind == "lrzip":
            problem = "lrzip container: not decompressed (needs the lrzip binary); size counted as shipped"
        else:
            for method in methods:
                dec, problem = stream_size(p, method)
                if dec is not None:
                    kind = method
                    break
        mf = ModelFile(rel, size, kind, dec, problem)
        res.model_files.append(mf)
        if dec is None and kind != "lrzip":
            res.findings.append(finding(
                "GC501", Severity.WARNING, sub, rel, 1,
                f"model file {rel} ({size:,} bytes) could not be decompressed: {problem or 'unknown format'}; "
                f"the artifact must be readable by the submitted code", README_RULES, profile))
    counted_names = ", ".join(c["path"] for c in res.code_files)
    # Runtime-compressed code (§5.1 convention 3): the script counts its minified+compressed wrapper
    compressed = [int(r.run.code_bytes_compressed.value) for r in logs.rows
                  if not r.duplicate_of and r.run.code_bytes_compressed is not None]
    if compressed:
        res.code_bytes_compressed = max(compressed)
    # ---- per seed: the model of the export that produced the score + the counted code
    for row in logs.rows:
        r = row.run
        if row.duplicate_of or r.total_bytes is None and r.model_bytes is None:
            continue
        log_code = _log_code(r)
        main = main_bytes
        if r.code_bytes_compressed is not None and not code.wrapper:
            main = int(r.code_bytes_compressed.value)
        code_i = None if main is None else main + extra_bytes
        log_total = None if r.total_bytes is None else int(r.total_bytes.value)
        if log_total is not None:
            model_i = log_total - (log_code if log_code is not None else (main_bytes or 0))
        else:
            model_i = int(r.model_bytes.value)
        total_i = log_total if code_i is None else model_i + code_i
        entry = {
            "log": r.log, "run": r.index, "seed": None if r.seed is None else int(r.seed.value),
            "model_bytes": model_i, "code_bytes": code_i if code_i is not None else log_code,
            "total_bytes": total_i, "log_total_bytes": log_total, "log_code_bytes": log_code,
            "line": r.total_bytes.line if r.total_bytes else r.model_bytes.line,
            "format": r.model_format, "counted_run": row.counted or r.scored is None,
        }
        res.per_seed.append(entry)
        if total_i is not None and total_i > LIMIT_BYTES:
            differs = log_total is not None and log_total != total_i
            res.findings.append(finding(
                "GC501", Severity.ERROR, sub, r.log, entry["line"],
                f"{r.log}: artifact {total_i:,} bytes exceeds the {LIMIT_BYTES:,}-byte cap by "
                f"{total_i - LIMIT_BYTES:,} (model {model_i:,} + counted code {entry['code_bytes']:,}: "
                f"{counted_names or 'code size from the log'})"
                + (f"; the log prints {log_total:,} because it counts {log_code:,} code bytes"
                   if differs and log_code is not None else ""), README_RULES, profile))
        _code_gap(res, sub, row, code, profile)
    # ---- the sum: shipped model file(s), else the largest seed
    log_models = [e["model_bytes"] for e in res.per_seed if e["model_bytes"] is not None]
    fmt = next((r.run.model_format for r in logs.rows if r.run.model_format), None)
    counted_code = None if main_bytes is None else main_bytes + extra_bytes
    if res.code_bytes_compressed is not None and not code.wrapper and main_bytes is not None:
        counted_code = res.code_bytes_compressed + extra_bytes
    res.code_bytes = counted_code
    if res.model_files:
        res.model_bytes = sum(m.bytes for m in res.model_files)
        res.compressor = ",".join(sorted({m.compressor or "unknown" for m in res.model_files}))
        res.source = "shipped files"
        if log_models and res.model_bytes not in log_models:
            mf = res.model_files[0]
            res.findings.append(finding(
                "GC501", Severity.NOTE, sub, mf.rel, 1,
                f"shipped model bytes {res.model_bytes:,} match no log's model size "
                f"({', '.join(f'{v:,}' for v in sorted(set(log_models)))})", README_RULES, profile))
        if counted_code is not None:
            res.total_bytes = counted_code + res.model_bytes
    else:
        seeds = [e for e in res.per_seed if e["total_bytes"] is not None]
        if seeds:
            top = max(seeds, key=lambda e: e["total_bytes"])
            res.source = f"logs: model of the largest seed ({top['log']}) + counted code"
            res.model_bytes, res.total_bytes = top["model_bytes"], top["total_bytes"]
            res.code_bytes = top["code_bytes"]
            res.compressor = _fmt_compressor(top["format"] or fmt)
    if res.total_bytes is not None and res.total_bytes > LIMIT_BYTES and res.source == "shipped files":
        anchor = res.model_files[0].rel
        res.findings.append(finding(
            "GC501", Severity.ERROR, sub, anchor, 1,
            f"artifact {res.total_bytes:,} bytes (code {counted_code:,}: {counted_names}; + model "
            f"{res.model_bytes:,}) exceeds the {LIMIT_BYTES:,}-byte cap", README_RULES, profile))
    # submission.json's own claim over the cap
    data = sub.submission_json
    bt = evidence.number(data, "bytes_total")
    if bt is not None and bt > LIMIT_BYTES:
        res.findings.append(finding(
            "GC501", Severity.ERROR, sub, json_rel(sub), json_line(sub, "bytes_total"),
            f"submission.json bytes_total {int(bt):,} exceeds the {LIMIT_BYTES:,}-byte cap", README_RULES, profile))
    for seed, claim in evidence.per_seed(data).items():
        ab = evidence.number(claim, "artifact_bytes", "bytes_total")
        if ab is not None and ab > LIMIT_BYTES:
            res.findings.append(finding(
                "GC501", Severity.ERROR, sub, json_rel(sub), json_line(sub, str(seed)),
                f"submission.json seed {seed}: artifact {int(ab):,} bytes exceeds the cap", README_RULES, profile))
    if res.total_bytes is None and Path(sub.root).is_dir():
        res.findings.append(finding(
            "GC501", Severity.WARNING, sub, counted.rel if counted else None, 1,
            "artifact size unknown: no compressed model file shipped and no log prints its size; "
            "include the log line `Total submission size ...: N bytes` (or the model file) so the 16,000,000-byte "
            "cap can be checked", README_RULES, profile, kind="paperwork"))
    return res


def _size(p: Path) -> int | None:
    try:
        return p.stat().st_size
    except OSError:
        return None


def _code_gap(res: SizeResult, sub: Submission, row, code: CountedCode, profile: str) -> None:
    """A log that measured other code than the shipped files: the logged run was not the shipped code."""
    r = row.run
    raw = r.code_bytes_uncompressed or r.code_bytes
    if raw is None or not res.code_files or not (row.counted or r.scored is None):
        return
    sizes = [c["bytes"] for c in res.code_files]
    measured = int(raw.value)
    if measured in sizes or measured == sum(sizes):
        return
    main = res.code_files[0]
    gap = measured - main["bytes"]
    res.findings.append(finding(
        "GC501", Severity.WARNING, sub, r.log, raw.line,
        f"the logged run was not the shipped code: {r.log} measured {measured:,} code bytes, the shipped "
        f"{main['path']} has {main['bytes']:,} ({abs(gap):,} bytes {'fewer' if gap > 0 else 'more'}); "
        f"ship the code that produced the logs, or rerun it", README_RULES, profile, kind="paperwork"))


def _log_code(r) -> int | None:
    for v in (r.code_bytes_compressed, r.code_bytes, r.code_bytes_uncompressed):
        if v is not None:
            return int(v.value)
    return None
