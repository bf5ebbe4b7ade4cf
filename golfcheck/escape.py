"""Attacker-controlled text made safe for each output.

Folder names, file names, log lines and submission.json values come from untrusted submissions.
Printed raw, a newline followed by ``::error ...`` becomes a GitHub workflow command (GitHub reads
them from stdout and stderr), a CR or an ANSI escape rewrites what a terminal shows, and backticks,
pipes or raw HTML break out of the markdown step summary. Every formatter passes such strings
through one of these functions; GitHub annotation data and SARIF (JSON) have their own encodings.
"""

from __future__ import annotations

import html
import re

# C0 and C1 control characters (but not tab), DEL, and the bidirectional overrides and isolates that
# can make text display in another order than it is read (CVE-2021-42574, "Trojan Source").
_UNSAFE = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u2028\u2029]")


def _visible(ch: str) -> str:
    return {"\n": "\\n", "\r": "\\r"}.get(ch, f"\\u{ord(ch):04x}")


def one_line(text: object) -> str:
    """``text`` on one line with every control or direction character shown as an escape."""
    return _UNSAFE.sub(lambda m: _visible(m.group()), str(text))


def md(text: object) -> str:
    """Plain text for a markdown table cell or paragraph: one line, HTML escaped, no pipes, no code
    spans, no emphasis or links started by the submission."""
    s = html.escape(one_line(text), quote=False)
    return re.sub(r"([|`*_\[\]\\])", r"\\\1", s)


def md_code(text: object) -> str:
    """Text for inside a single-backtick code span of a table cell: one line, no backtick (which
    would end the span), no pipe (which would end the cell)."""
    return one_line(text).replace("`", "'").replace("|", "\\|")
