"""The CI gate: a PR's diff -> packaging findings -> every folder check on a copy made from git objects.

The PR is read with git plumbing only (``git diff --name-status -z``, ``git ls-tree``, ``git
cat-file``); the head is never checked out and nothing submitted is ever executed. The new folder's
regular files are copied from git objects into a temporary ``records/<track>/<name>/`` tree (so the
folder checks see the track and the folder name), refusing symlinks, submodules and oversized files.

Findings of its own:
- GC507: the PR changes something other than one new folder under ``records/<track>/``.
- GC508: a symlink, submodule, escaping path, oversized or unexpected binary file in the PR, and
  hostile layouts: an empty path component, a file and a folder of the same name, pathspec magic or
  control characters in a name, trees git itself refuses to read. The gate still writes its report.

Paths are always passed to git literally (``GIT_LITERAL_PATHSPECS``), and the folder checks run in
a forked child (golfcheck.isolation): a crash there is a GC002 finding, not a lost report.
"""

from __future__ import annotations

import os
import posixpath
import subprocess
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath

from golfcheck.checks.common import README_RULES
from golfcheck.errors import GolfcheckError
from golfcheck.findings import Finding, Report, Severity, sort_key

TRACKS = {"track_10min_16mb": "record", "track_non_record_16mb": "non-record"}
MAX_FILE_BYTES = 16_000_000  # nothing in a submission folder can legitimately exceed the artifact cap
MAX_TOTAL_BYTES = 64_000_000
GIT_TIMEOUT_S = 120
HEAD_BYTES = 8192  # how much of a file the binary sniffing looks at

# Files a reviewer reads as text; binary content in them hides something.
TEXT_SUFFIXES = {".py", ".md", ".json", ".txt", ".log", ".sh", ".yaml", ".yml", ".toml", ".cfg", ".ini",
                 ".csv", ".tsv", ".j2", ".rst"}
# Binary files that merged folders ship: images, tokenizers, model artifacts, compressed blobs.
BINARY_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".webp", ".svg", ".pdf", ".model", ".vocab", ".ptz", ".pt",
                   ".pth", ".bin", ".npz", ".npy", ".safetensors", ".ckpt", ".zst", ".xz", ".lzma", ".br",
                   ".gz", ".bz2", ".lrz", ".zip", ".tar"}
NATIVE_MAGIC = (b"\x7fELF", b"\xfe\xed\xfa\xce", b"\xfe\xed\xfa\xcf", b"\xce\xfa\xed\xfe",
                b"\xcf\xfa\xed\xfe", b"\xca\xfe\xba\xbe")
GC507_RULING = README_RULES + ': a PR "only adds a new folder to the appropriate /records subfolder"'
GC508_RULING = "golfcheck policy: submitted files are untrusted; CI reads them as plain files only"
GC002_RULING = "golfcheck policy: what golfcheck cannot read is left to a human, never passed silently"


# ------------------------------------------------------------------ file inspection (shared with GC508)
def file_problems(rel: str, size: int, head: bytes, max_bytes: int = MAX_FILE_BYTES) -> list[tuple[Severity, str]]:
    """Why a regular file of a submission folder is refused: oversized, binary where text belongs,
    native executable, or binary of an unexpected type. ``head`` is the file's first bytes."""
    if size > max_bytes:
        return [(Severity.ERROR, f"{rel} is {size:,} bytes, over the {max_bytes:,}-byte limit for one file "
                                 f"in a submission PR (the whole artifact is capped at 16,000,000)")]
    if is_native(head):
        return [(Severity.WARNING, f"{rel} is a compiled executable or shared object: a reviewer cannot audit it "
                                   f"and CI never runs it; ship its source")]
    if b"\x00" not in head:
        return []
    suffix = PurePosixPath(rel).suffix.lower()
    if suffix in TEXT_SUFFIXES and head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return [(Severity.WARNING, f"{rel} is UTF-16 text; save it as UTF-8 so that reviewers and golfcheck read it")]
    if suffix in TEXT_SUFFIXES:
        return [(Severity.ERROR, f"{rel} has binary content (NUL bytes) under a text file name")]
    if suffix in BINARY_SUFFIXES:
        return []
    return [(Severity.WARNING, f"{rel} is a binary file of an unexpected type ({suffix or 'no suffix'}); "
                               f"say in the README what it is")]


def is_native(head: bytes) -> bool:
    """ELF, Mach-O or a Windows PE (``MZ`` with binary bytes after it)."""
    return head.startswith(NATIVE_MAGIC) or (head.startswith(b"MZ") and b"\x00" in head[:64])


def symlink_problem(rel: str, target: str) -> str:
    """``rel`` is the link's path relative to the folder it must stay in."""
    resolved = posixpath.normpath(posixpath.join(posixpath.dirname(rel), target))
    escapes = target.startswith("/") or resolved == ".." or resolved.startswith("../")
    where = "outside the folder" if escapes else "inside the folder"
    return f"{rel} is a symlink to {target!r} ({where}); submission folders must hold regular files only"


def unsafe_rel(rel: str) -> bool:
    """A relative path that could leave the folder (or mean something else) once written to disk."""
    return rel.startswith("/") or "\\" in rel or any(part in ("", ".", "..") for part in rel.split("/"))


def hostile_name(path: str) -> str | None:
    """Why a path in a PR is a hostile layout (None: it is not): an empty component, pathspec magic,
    control characters."""
    parts = path.split("/")
    if any(part == "" for part in parts):
        return "has an empty path component"
    if any(part.startswith(":") for part in parts):
        return "has a name starting with ':' (git pathspec magic)"
    if any(ord(c) < 32 or ord(c) == 127 for c in path):
        return "has a control character in its name"
    return None


# ------------------------------------------------------------------ git plumbing
class TreeError(GolfcheckError):
    """git refused to read the PR's objects (a malformed tree): a GC508 finding, not a usage error."""


def git(repo: str | Path, *args: str, text: bool = True) -> str | bytes:
    """Run one git command (argument list, no shell) and return its stdout; failures exit 2.

    Paths are literal: a file named ``:(exclude)x`` is that file, not pathspec magic."""
    env = {**os.environ, "GIT_LITERAL_PATHSPECS": "1"}
    try:
        proc = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, timeout=GIT_TIMEOUT_S,
                              check=False, env=env)
    except FileNotFoundError:
        raise GolfcheckError("git is not installed") from None
    except subprocess.TimeoutExpired:
        raise GolfcheckError(f"git {args[0]} timed out", str(repo)) from None
    if proc.returncode != 0:
        msg = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        error = TreeError if args and args[0] in ("diff", "ls-tree", "cat-file") else GolfcheckError
        raise error(f"git {' '.join(args[:2])} failed: {msg[-1] if msg else proc.returncode}", str(repo))
    return proc.stdout.decode("utf-8", "surrogateescape") if text else proc.stdout


def resolve(repo, ref: str) -> str:
    if not ref or ref.startswith("-"):
        raise GolfcheckError(f"not a git revision: {ref!r}")
    try:
        return git(repo, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}").strip()
    except GolfcheckError:
        raise GolfcheckError(f"no commit {ref!r} in this repository (fetch it; CI needs fetch-depth: 0)",
                             str(repo)) from None


@dataclass(frozen=True)
class Change:
    status: str  # A, M, D, T, ...
    path: str


def changes(repo, base: str, head: str) -> list[Change]:
    """Files the PR changes relative to its merge base (renames split into delete + add)."""
    out = git(repo, "diff", "--name-status", "-z", "--no-renames", "--no-ext-diff", f"{base}...{head}", "--")
    parts = out.split("\0")
    res = []
    for i in range(0, len(parts) - 1, 2):
        if parts[i]:
            res.append(Change(parts[i][0], parts[i + 1]))
    return res


@dataclass(frozen=True)
class Entry:
    mode: str
    kind: str  # blob | commit | tree
    sha: str
    size: int | None
    path: str
    missing: bool = False  # a blob listed in the tree whose object this repository lacks (partial clone)


def tree(repo, rev: str, prefix: str) -> list[Entry]:
    """Every entry under ``prefix/`` at ``rev`` (recursive, with sizes)."""
    return entries(repo, rev, [prefix.rstrip("/") + "/"])


def entries(repo, rev: str, paths: list[str]) -> list[Entry]:
    """The tree entries of ``paths`` (files, or folders ending in ``/``) at ``rev``."""
    if not paths:
        return []
    out = git(repo, "ls-tree", "-r", "-z", "-l", "--full-tree", rev, "--", *paths)
    res = []
    for item in out.split("\0"):
        if not item:
            continue
        meta, path = item.split("\t", 1)
        mode, kind, sha, size = meta.split()
        # git prints "-" for trees and commits, and "BAD" for a blob whose object is not here
        res.append(Entry(mode, kind, sha, int(size) if size.isdigit() else None, path,
                         missing=kind == "blob" and not size.isdigit()))
    return res


def blob(repo, sha: str) -> bytes:
    return git(repo, "cat-file", "blob", sha, text=False)


# ------------------------------------------------------------------ the gate
@dataclass
class GateResult:
    report: Report
    folder: str | None = None  # records/<track>/<name>
    track: str | None = None
    profile: str | None = None
    info: dict = field(default_factory=dict)


def _f(rule: str, severity: Severity, path: str, message: str, ruling: str) -> Finding:
    return Finding(rule, severity, path, 1, 0, message, ruling=ruling)


def new_folders(chs: list[Change]) -> tuple[dict[str, list[Change]], list[Change]]:
    """Group changes by ``records/<track>/<name>``; the rest are outside any submission folder."""
    groups: dict[str, list[Change]] = {}
    outside: list[Change] = []
    for c in chs:
        parts = c.path.split("/")
        if len(parts) >= 4 and parts[0] == "records" and parts[1] in TRACKS:
            groups.setdefault("/".join(parts[:3]), []).append(c)
        else:
            outside.append(c)
    return groups, outside


def layout_findings(repo, base: str, groups: dict[str, list[Change]], outside: list[Change]) -> tuple[list[Finding], str | None]:
    """GC507 for everything but one new folder; returns the folder to check (or None)."""
    out: list[Finding] = []
    for c in outside:
        out.append(_f("GC507", Severity.ERROR, c.path,
                      f"the PR {_verb(c.status)} {c.path}, outside a new records/<track>/<name>/ folder "
                      f"(tracks: {', '.join(TRACKS)})", GC507_RULING))
    fresh = []
    for folder, chs in sorted(groups.items()):
        if tree(repo, base, folder):
            for c in chs:
                out.append(_f("GC507", Severity.ERROR, c.path,
                              f"the PR {_verb(c.status)} {c.path} in {folder}, which already exists on the base "
                              f"branch; a submission adds a new folder and leaves merged ones alone", GC507_RULING))
        elif any(c.status != "A" for c in chs):
            for c in chs:
                if c.status != "A":
                    out.append(_f("GC507", Severity.ERROR, c.path, f"the PR {_verb(c.status)} {c.path}", GC507_RULING))
        else:
            fresh.append(folder)
    if len(fresh) > 1:
        for folder in fresh:
            out.append(_f("GC507", Severity.ERROR, folder,
                          f"the PR adds {len(fresh)} submission folders ({', '.join(fresh)}); open one PR per "
                          f"submission", GC507_RULING))
        return out, None
    if not fresh and not out:
        out.append(_f("GC507", Severity.ERROR, "records",
                      "the PR adds no folder under records/track_10min_16mb/ or records/track_non_record_16mb/",
                      GC507_RULING))
    chosen = fresh[0] if len(fresh) == 1 else None
    for c in [*outside, *(c for chs in groups.values() for c in chs)]:
        why = hostile_name(c.path)
        if why and not (chosen and c.path.startswith(chosen + "/")):  # the chosen folder: see materialise
            out.append(_f("GC508", Severity.ERROR, c.path, f"{c.path!r} {why}: a hostile layout", GC508_RULING))
    return out, chosen


def link_findings(repo, head: str, paths: list[str]) -> list[Finding]:
    """GC508 for symlinks and submodules among changed paths that are not materialised."""
    out = []
    for e in entries(repo, head, paths):
        if e.mode == "120000":
            target = blob(repo, e.sha)[:4096].decode("utf-8", "replace")
            out.append(_f("GC508", Severity.ERROR, e.path, symlink_problem(e.path, target), GC508_RULING))
        elif e.kind == "commit":
            out.append(_f("GC508", Severity.ERROR, e.path, f"{e.path} is a git submodule", GC508_RULING))
    return out


def _verb(status: str) -> str:
    return {"A": "adds", "M": "modifies", "D": "deletes", "T": "changes the type of"}.get(status, "changes")


def materialise(repo, head: str, folder: str, dest_root: Path, max_file: int = MAX_FILE_BYTES,
                max_total: int = MAX_TOTAL_BYTES) -> tuple[Path, list[Finding], list[dict]]:
    """Write the folder's regular files at ``head`` under ``dest_root/folder`` from git objects.

    Symlinks (mode 120000), submodules (160000), unsafe paths and files over the limits are refused
    (GC508) and not written; binary sniffing runs on what is written.
    """
    dest = dest_root / folder
    dest.mkdir(parents=True, exist_ok=True)
    findings: list[Finding] = []
    listing: list[dict] = []
    total = 0
    written: set[str] = set()  # files written, and (as "dir/") the folders they need
    for e in tree(repo, head, folder):
        rel = e.path[len(folder) + 1:]
        row = {"path": e.path, "mode": e.mode, "bytes": e.size, "copied": False}
        listing.append(row)
        why = hostile_name(rel)
        if why:
            findings.append(_f("GC508", Severity.ERROR, e.path, f"{rel!r} {why}: a hostile layout; not read",
                               GC508_RULING))
            continue
        parents = {"/".join(rel.split("/")[:i]) for i in range(1, rel.count("/") + 1)}
        if rel in written or f"{rel}/" in written or parents & written:
            findings.append(_f("GC508", Severity.ERROR, e.path,
                               f"{rel!r} clashes with another entry of the same name (a file and a folder, or a "
                               "duplicate): a malformed tree; not read", GC508_RULING))
            continue
        if e.mode == "120000":
            target = blob(repo, e.sha)[:4096].decode("utf-8", "replace")
            findings.append(_f("GC508", Severity.ERROR, e.path, symlink_problem(rel, target), GC508_RULING))
            continue
        if e.kind != "blob":
            findings.append(_f("GC508", Severity.ERROR, e.path,
                               f"{rel} is a git submodule ({e.kind} {e.sha[:12]}); a submission folder must "
                               f"hold its files", GC508_RULING))
            continue
        if unsafe_rel(rel):
            findings.append(_f("GC508", Severity.ERROR, e.path, f"{rel!r} is not a safe relative path", GC508_RULING))
            continue
        if e.missing:
            findings.append(_f("GC002", Severity.WARNING, e.path,
                               f"{rel} could not be read: its git object ({e.sha[:12]}) is not in this repository "
                               "(a partial or shallow clone? fetch with fetch-depth: 0 and no blob filter); "
                               "it was not checked", GC002_RULING))
            continue
        size = e.size or 0
        if size > max_file:
            sev, msg = file_problems(rel, size, b"", max_file)[0]
            findings.append(_f("GC508", sev, e.path, msg, GC508_RULING))
            continue
        if total + size > max_total:
            findings.append(_f("GC508", Severity.ERROR, e.path,
                               f"{rel}: the folder's files exceed {max_total:,} bytes in total; not read further",
                               GC508_RULING))
            continue
        data = blob(repo, e.sha)
        total += len(data)
        for sev, msg in file_problems(rel, len(data), data[:HEAD_BYTES], max_file):
            findings.append(_f("GC508", sev, e.path, msg, GC508_RULING))
        target = dest / rel
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        except OSError as exc:
            findings.append(_f("GC508", Severity.ERROR, e.path, f"{rel!r} cannot be written as a plain file "
                               f"({exc.strerror or exc}): a hostile layout; not read", GC508_RULING))
            continue
        written.add(rel)
        written.update(f"{p}/" for p in parents)
        row["copied"] = True
    return dest, findings, listing


def _repo_relative(findings: list[Finding], tmp_root: Path) -> list[Finding]:
    """Temporary-copy paths back to repository paths (what annotations and SARIF need)."""
    prefixes = {str(tmp_root) + os.sep, str(tmp_root.resolve()) + os.sep}
    out = []
    for f in findings:
        path, msg, ev = f.path, f.message, f.evidence
        for pre in prefixes:
            if path.startswith(pre):
                path = path[len(pre):]
            msg = msg.replace(pre, "")
            ev = ev.replace(pre, "")
        out.append(replace(f, path=path.replace(os.sep, "/"), message=msg, evidence=ev))
    return out


def dedupe(findings: list[Finding]) -> list[Finding]:
    seen, out = set(), []
    for f in findings:
        key = (f.rule, f.path, f.line, f.message)
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out


GATE_CHECK_TIMEOUT_S = 900  # the folder checks together (the audit inside has its own per-unit limit)
GATE_CHECK_MEMORY_MB = 2048  # the folder checks besides the audit (which has its own per-unit cap)


def base_config(repo: str | Path, base: str):
    """``[tool.golfcheck]`` of the base revision's pyproject.toml (defaults when it has none).

    Never the working tree's: on a pull_request run the checkout is the PR's merge commit, and a PR
    that edits pyproject.toml (``fail-on = "never"``) must not configure the gate that judges it."""
    from golfcheck.config import Config, parse_config

    sha = resolve(repo, base)
    if not entries(repo, sha, ["pyproject.toml"]):
        return Config()
    text = git(repo, "show", f"{sha}:pyproject.toml")
    return parse_config(text, Path(repo) / "pyproject.toml", label=f"pyproject.toml at {base}")


def run_gate(repo: str | Path, base: str, head: str, max_file: int = MAX_FILE_BYTES,
             max_total: int = MAX_TOTAL_BYTES, options=None) -> GateResult:
    """Gate one PR: layout of the diff, then all folder checks on the new folder's copy.
    ``options``: the audit's golfcheck.engine.Options (selection, time limit); suppressions in the PR
    are never obeyed, whatever they say.

    Bad arguments (not a repository, an unknown revision) raise GolfcheckError; everything the PR
    itself contains - trees git refuses to read included - becomes a finding.
    """
    repo = Path(repo)
    git(repo, "rev-parse", "--git-dir")  # a clear error when DIR is not a repository
    base_sha, head_sha = resolve(repo, base), resolve(repo, head)
    result = GateResult(Report())
    info = {"base": base_sha, "head": head_sha, "folder": None, "track": None, "profile": None,
            "changes": [], "files": []}
    try:
        findings = _gate_findings(repo, base_sha, head_sha, max_file, max_total, result, info, options)
    except TreeError as exc:
        findings = [_f("GC508", Severity.ERROR, result.folder or "records",
                       f"git cannot read the PR's trees ({exc.problem}): a malformed or hostile layout",
                       GC508_RULING)]
    result.report.findings = sorted(dedupe(findings), key=sort_key)
    result.report.sections = {"gate": info, **result.report.sections}
    result.info = info
    return result


def _gate_findings(repo: Path, base_sha: str, head_sha: str, max_file: int, max_total: int,
                   result: GateResult, info: dict, options=None) -> list[Finding]:
    chs = changes(repo, base_sha, head_sha)
    info["changes"] = [{"status": c.status, "path": c.path} for c in chs]
    groups, outside = new_folders(chs)
    findings, folder = layout_findings(repo, base_sha, groups, outside)
    findings.extend(link_findings(repo, head_sha, [c.path for c in chs if c.status != "D" and not (
        folder and c.path.startswith(folder + "/"))]))
    if folder is None:
        return findings
    track = folder.split("/")[1]
    profile = TRACKS[track]
    info.update(folder=folder, track=track, profile=profile)
    result.folder, result.track, result.profile = folder, track, profile
    with tempfile.TemporaryDirectory(prefix="golfcheck-gate-") as tmp:
        tmp_root = Path(tmp)
        dest, refused, listing = materialise(repo, head_sha, folder, tmp_root, max_file, max_total)
        findings.extend(refused)
        info["files"] = listing
        result.report.files = [p["path"] for p in listing if p["copied"]]
        folder_report = _check_isolated(dest, profile, folder, options)
        # a file GC508 refused as binary under a text name is not reported again by the log check
        binary = {f.path for f in refused if f.rule == "GC508" and "binary content" in f.message}
        findings.extend(f for f in _repo_relative(folder_report.findings, tmp_root)
                        if not (f.rule == "GC605" and f.path in binary))
        result.report.sections.update(_strip_tmp(folder_report.sections, tmp_root))
    return findings


def _check_isolated(dest: Path, profile: str, folder: str, options=None) -> Report:
    """Every folder check on the materialised copy, in a forked child: whatever the submission does to
    golfcheck there, the gate's report (SARIF, summary) is still written. The PR's suppression
    comments are never obeyed."""
    from golfcheck import isolation
    from golfcheck.checks.folder import check_folder
    from golfcheck.engine import Options

    options = replace(options or Options(), respect_suppressions=False)
    outcome = isolation.run(check_folder, dest, profile, 3, None, True, options, timeout=GATE_CHECK_TIMEOUT_S,
                            memory_mb=GATE_CHECK_MEMORY_MB)
    if outcome.ok:
        return outcome.value
    report = Report()
    report.findings.append(_f("GC002", Severity.WARNING, folder,
                              f"golfcheck's checks of this folder {outcome.failure}: a human must review it",
                              GC002_RULING))
    return report


def _strip_tmp(obj, tmp_root: Path):
    """Sections are JSON-ready; replace temporary paths inside them with repository paths."""
    pre = [str(tmp_root.resolve()) + os.sep, str(tmp_root) + os.sep]
    if isinstance(obj, str):
        for p in pre:
            obj = obj.replace(p, "")
        return obj
    if isinstance(obj, dict):
        return {k: _strip_tmp(v, tmp_root) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_strip_tmp(v, tmp_root) for v in obj]
    return obj


# ------------------------------------------------------------------ the markdown summary
SUMMARY_ROWS = 50
VERDICT_ICON = {"CLEAN": "✅", "COMPLETE": "✅", "HOLD": "⚠️", "ILLEGAL": "❌", "INCOMPLETE": "📝"}
SEVERITY_ICON = {"error": "❌", "warning": "⚠️", "note": "ℹ️"}


def summary_markdown(result: GateResult, fail_on: str = "error") -> str:
    """The step summary / PR comment: verdict, key measurements, findings worst first."""
    from golfcheck import __version__
    from golfcheck.findings import fails
    from golfcheck.selection import is_internal
    from golfcheck.writeup import environment

    rep = result.report
    live = [f for f in rep.findings if not f.suppressed]
    counts = {s: sum(1 for f in live if f.severity.value == s) for s in ("error", "warning", "note")}
    paper_counts = {s: sum(1 for f in live if f.severity.value == s and f.is_paperwork) for s in counts}
    ordered = sorted(live, key=sort_key)
    paper = rep.paperwork_verdict
    logs = rep.sections.get("logs", {})
    val = rep.sections.get("validate", {})
    size = rep.sections.get("size", {})
    wall = rep.sections.get("wallclock", {})
    seeds = sorted(int(s) for s in logs.get("seeds", {}))
    failed = fails(rep.findings, fail_on)
    crashed = sum(1 for f in rep.findings if is_internal(f))
    ctx = {
        "verdict": rep.verdict.value, "icon": VERDICT_ICON[rep.verdict.value], "folder": result.folder,
        "rule_verdict": rep.rule_verdict.value, "rule_icon": VERDICT_ICON[rep.rule_verdict.value],
        "paperwork_verdict": paper.value if paper else "not checked",
        "paperwork_icon": VERDICT_ICON[paper.value] if paper else "",
        "paper_counts": paper_counts,
        "profile": result.profile, "base": result.info.get("base", ""), "head": result.info.get("head", ""),
        "counts": counts,
        "outcome": (f"The gate fails: golfcheck hit {crashed} internal error(s) (`GC000`), so the report is "
                    "incomplete." if crashed else
                    f"The gate fails (a finding at or above `{fail_on}`)." if failed else
                    "The gate passes" + ("; warnings need a reviewer." if counts["warning"] else ".")),
        "n": len(seeds), "seeds": seeds, "mean": val.get("mean"),
        "max_total": size.get("total_bytes"),
        "max_train": wall.get("max_train_data_seconds") or wall.get("max_train_seconds"),
        "max_eval": wall.get("max_eval_seconds"),
        "strict_p": (val.get("strict") or {}).get("p") if val.get("sota") else None,
        "progression_p": (val.get("progression") or {}).get("p"),
        "sota": (val.get("sota") or {}).get("name"),
        "findings": [{"icon": SEVERITY_ICON[f.severity.value], "severity": f.severity.value, "rule": f.rule,
                      "kind": f.kind,
                      "where": f.short_location, "message": f.message} for f in ordered[:SUMMARY_ROWS]],
        "hidden": max(0, len(ordered) - SUMMARY_ROWS),
        "suppressions": sum(1 for f in live if f.rule == "GC003"),
        "version": __version__,
    }
    return environment().get_template("gate_summary.md.j2").render(**ctx)
