"""The rule catalogue: one module per rule, ``gcNNN_<name>.py``, each defining one Rule subclass.

Shipped as ``golfcheck.rules`` (see pyproject's package-dir mapping).
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from functools import lru_cache

from golfcheck.rule import Rule

_MODULE = re.compile(r"^gc\d{3}_\w+$")


@lru_cache(maxsize=None)
def all_rules() -> tuple[type[Rule], ...]:
    """Every rule class, sorted by id."""
    found: dict[str, type[Rule]] = {}
    for info in pkgutil.iter_modules(__path__):
        if not _MODULE.match(info.name):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, Rule) and value is not Rule and getattr(value, "id", None):
                if value.__module__ != module.__name__:
                    continue
                if value.id in found and found[value.id] is not value:
                    raise RuntimeError(f"duplicate rule id {value.id}")
                found[value.id] = value
    return tuple(found[k] for k in sorted(found))


@lru_cache(maxsize=4)
def _index(rules: tuple[type[Rule], ...]) -> dict[str, type[Rule]]:
    out: dict[str, type[Rule]] = {}
    for rule in rules:
        out[rule.id] = rule
        out.setdefault(rule.name, rule)
    return out


def get_rule(rule_id: str) -> type[Rule] | None:
    """The rule with this id (any case) or kebab-case name, or None."""
    index = _index(all_rules())  # keyed by the catalogue, so a test that swaps all_rules sees its own
    return index.get(rule_id.upper()) or index.get(rule_id.lower())
