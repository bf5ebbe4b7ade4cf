"""Rule documentation rendered from the rule modules through templates/ (code and docs cannot drift)."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

import jinja2

from golfcheck.rule import Rule


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    """The Jinja environment over the shipped templates (works installed and from the checkout)."""
    root = resources.files("golfcheck.templates")
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(root)),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,
    )


def render_rule(rule: type[Rule], level: int = 2) -> str:
    module = rule.__module__.rsplit(".", 1)[-1]
    return environment().get_template("rule.md.j2").render(rule=rule, level=level, module=module).rstrip() + "\n"


def render_catalogue(rules: list[type[Rule]]) -> str:
    docs = [render_rule(r, level=2) for r in rules]
    return environment().get_template("rules_index.md.j2").render(rules=rules, docs=docs).rstrip() + "\n"
