"""The content-hash cache of audit results (golfcheck.cache)."""

from __future__ import annotations

from golfcheck import api, cache
from golfcheck.engine import Options


def audit(path, **opts):
    return api.audit_paths([str(path)], Options(**opts))


def test_an_unchanged_file_is_answered_from_the_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("GOLFCHECK_CACHE_DIR", str(tmp_path / "cache"))
    f = tmp_path / "sub" / "train_gpt.py"
    f.parent.mkdir()
    f.write_text("import requests\nrequests.get('http://example.com')\n")
    first = audit(f)
    assert first.findings and list((tmp_path / "cache").rglob("*.json"))
    calls = []
    monkeypatch.setattr(api, "_run_unit", lambda args: calls.append(args) or ([], []))
    again = audit(f)
    assert calls == [] and [x.to_dict() for x in again.findings] == [x.to_dict() for x in first.findings]
    assert again.files == first.files


def test_any_change_is_a_miss(tmp_path, monkeypatch):
    monkeypatch.setenv("GOLFCHECK_CACHE_DIR", str(tmp_path / "cache"))
    f = tmp_path / "train_gpt.py"
    f.write_text("import requests\nrequests.get('http://example.com')\n")
    audit(f)
    (tmp_path / "helper.py").write_text("x = 1\n")  # a sibling it could import changes the unit
    calls = []
    real = api._run_unit
    monkeypatch.setattr(api, "_run_unit", lambda args: calls.append(args) or real(args))
    audit(f)
    assert len(calls) == 1
    audit(f, select=("GC304",))  # other options, another key
    assert len(calls) == 2


def test_the_cache_can_be_turned_off(tmp_path, monkeypatch):
    monkeypatch.setenv("GOLFCHECK_CACHE_DIR", str(tmp_path / "cache"))
    f = tmp_path / "train_gpt.py"
    f.write_text("x = 1\n")
    audit(f, cache=False)
    assert not (tmp_path / "cache").exists()
    monkeypatch.setenv("GOLFCHECK_NO_CACHE", "1")
    audit(f)
    assert cache.directory() is None and not (tmp_path / "cache").exists()


def test_a_corrupt_entry_is_ignored(tmp_path, monkeypatch):
    monkeypatch.setenv("GOLFCHECK_CACHE_DIR", str(tmp_path / "cache"))
    f = tmp_path / "train_gpt.py"
    f.write_text("import requests\nrequests.get('http://example.com')\n")
    first = audit(f)
    for p in (tmp_path / "cache").rglob("*.json"):
        p.write_text("{not json")
    assert [x.to_dict() for x in audit(f).findings] == [x.to_dict() for x in first.findings]
