"""GC508 — a symlink, escaping path, oversized file or unexpected binary in a submission."""

import os
import stat
from pathlib import Path

from golfcheck.checks.examples import TRAIN_GPT, good_files
from golfcheck.findings import Finding, Severity
from golfcheck.gate import HEAD_BYTES, MAX_FILE_BYTES, file_problems, symlink_problem
from golfcheck.rule import Example, Rule, Ruling
from golfcheck.submission import SKIP_DIRS


class UnsafeFile(Rule):
    id = "GC508"
    name = "unsafe-file"
    severity = Severity.ERROR
    kind = "paperwork"
    scope = "folder"
    summary = "Symlinks, paths escaping the folder, oversized files or binary surprises are refused."
    rationale = (
        "CI reads a submission PR as untrusted data. A symlink can point the checks (or a reviewer's "
        "checkout) at files outside the folder, e.g. the validation shards or the CI runner's files; a "
        "file larger than the whole 16,000,000-byte artifact cap has no place in a submission; binary "
        "content under a text name (.py, .log, .json, .md) hides what a reviewer reads; compiled "
        "executables cannot be audited. Symlinks were used to pass validation data off as training data "
        "(PR #44, see GC301)."
    )
    looks_for = ("Gate: git tree modes 120000 (symlink) and 160000 (submodule), unsafe relative paths, blob sizes "
                 "over the limit, NUL bytes in the first 8 KiB of text-named files, ELF/Mach-O/PE headers. "
                 "Folder: the same on disk (symlinks are not followed).")
    traps = ("Model artifacts (.ptz/.pt/.bin), tokenizers (.model) and images are expected binaries.",)
    rulings = (Ruling("golfcheck policy: submissions are untrusted",
                      "https://github.com/openai/parameter-golf#submission-process",
                      "a PR adds a self-contained folder of plain files: code, logs, README, submission.json"),)

    def check(self, ctx):
        sub = getattr(ctx, "submission", None)
        if sub is None or not Path(sub.root).is_dir():
            return []
        root = Path(sub.root)
        out = []
        for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
            dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS)  # as the folder loader skips them
            here = Path(dirpath)
            for name in sorted(filenames) + [d for d in dirnames if (here / d).is_symlink()]:
                p = here / name
                rel = p.relative_to(root).as_posix()
                if p.is_symlink():
                    out.append(self._finding(rel, Severity.ERROR, symlink_problem(rel, os.readlink(p))))
                    continue
                try:
                    st = p.lstat()
                    if not stat.S_ISREG(st.st_mode):  # never opened: a FIFO would block the audit
                        out.append(self._finding(rel, Severity.ERROR, f"{rel} is not a regular file (a FIFO, socket "
                                                 "or device); submission folders must hold regular files only"))
                        continue
                    size = st.st_size
                    with open(p, "rb") as fh:
                        head = fh.read(HEAD_BYTES)
                except OSError:
                    continue
                for sev, msg in file_problems(rel, size, head, MAX_FILE_BYTES):
                    out.append(self._finding(rel, sev, msg))
        return out

    def _finding(self, rel, severity, message):
        return Finding(self.id, severity, rel, 1, 0, message, ruling=self.ruling_text())

    VALID = (
        Example(TRAIN_GPT, files=good_files(), trap="plain text files"),
        Example(TRAIN_GPT, files={**good_files(), "tokenizer/fineweb_8192_bpe.model": "\x0a\x00\x08binary"},
                trap="a tokenizer model (an expected binary)"),
    )
    INVALID = (
        Example(TRAIN_GPT, files={**good_files(), "notes.txt": "looks like text\x00\x01\x02"},
                trap="binary content under a text name", lines=(1,)),
        Example(TRAIN_GPT, files={**good_files(), "helper.so": "\x7fELF\x02\x01\x01\x00"},
                trap="a compiled shared object", severity=Severity.WARNING),
    )
