"""The on-disk cache of compiled SQL statements (neurosym/logic/_sqlcache.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from neurosym.logic import Program
from neurosym.logic import _sqlcache
from neurosym.logic._sqlcache import Statements, cache_path

PROGRAM = "path(X, Y) :- edge(X, Y).\npath(X, Z) :- edge(X, Y), path(Y, Z).\n"
EDGES = {"edge": [(1, 2), (2, 3), (3, 4)]}


def _plan():
    return Program.from_text(PROGRAM).evaluate(EDGES).plan


def test_round_trip_restores_tuple_keys_and_values(tmp_path):
    plan = _plan()
    stored = Statements.load(plan, {"path"}, {"path"}, directory=tmp_path)
    stored["recursive", "path"] = "INSERT INTO rel_path SELECT 1"
    stored["next", ("a", "b"), 0] = {"a": "SELECT 1", "b": "SELECT 2"}
    stored["projected", "p"] = ([("proj_0_0", "CREATE VIEW v AS SELECT 1")], None)
    stored.save()
    assert [p.name for p in tmp_path.iterdir()] == [cache_path(stored.key_text, tmp_path).name]
    loaded = Statements.load(plan, {"path"}, {"path"}, directory=tmp_path)
    assert dict(loaded) == {("recursive", "path"): "INSERT INTO rel_path SELECT 1",
                            ("next", ("a", "b"), 0): {"a": "SELECT 1", "b": "SELECT 2"},
                            ("projected", "p"): [[["proj_0_0", "CREATE VIEW v AS SELECT 1"]], None]}


def test_key_depends_on_sets_empty_and_rules(tmp_path):
    plan = _plan()
    stored = Statements.load(plan, {"path"}, {"path"}, directory=tmp_path)
    stored["recursive", "path"] = "SELECT 1"
    stored.save()
    assert dict(Statements.load(plan, {"path", "edge"}, {"path"}, directory=tmp_path)) == {}
    assert dict(Statements.load(plan, {"path"}, set(), directory=tmp_path)) == {}
    other = Program.from_text(PROGRAM.replace("edge(X, Y), path", "edge(X, Y),  path")).evaluate(EDGES).plan  # a column moved
    assert dict(Statements.load(other, {"path"}, {"path"}, directory=tmp_path)) == {}
    assert dict(Statements.load(plan, {"path"}, {"path"}, directory=tmp_path)) == {("recursive", "path"): "SELECT 1"}


@pytest.mark.parametrize("content", [
    "not json",
    json.dumps({"key": "another program", "statements": [[["first", "p"], "SELECT 1"]]}),
    json.dumps({"key": None, "statements": [[["first", "p"], 1]]}),
    json.dumps([1, 2]),
])
def test_invalid_or_foreign_file_is_a_miss_and_is_replaced(tmp_path, content):
    plan = _plan()
    empty = Statements.load(plan, {"path"}, {"path"}, directory=tmp_path)
    path = cache_path(empty.key_text, tmp_path)
    path.write_text(content.replace("null", json.dumps(empty.key_text)))
    os.chmod(path, 0o600)
    loaded = Statements.load(plan, {"path"}, {"path"}, directory=tmp_path)
    assert dict(loaded) == {}
    loaded["first", "p"] = "SELECT 1"
    loaded.save()
    assert json.loads(path.read_text())["statements"] == [[["first", "p"], "SELECT 1"]]


def test_file_others_may_write_is_not_read(tmp_path):
    plan = _plan()
    stored = Statements.load(plan, {"path"}, {"path"}, directory=tmp_path)
    stored["first", "p"] = "SELECT 1"
    stored.save()
    os.chmod(stored.path, 0o666)
    assert dict(Statements.load(plan, {"path"}, {"path"}, directory=tmp_path)) == {}
    os.chmod(stored.path, 0o600)
    assert dict(Statements.load(plan, {"path"}, {"path"}, directory=tmp_path)) == {("first", "p"): "SELECT 1"}


def test_least_recently_used_files_are_evicted(tmp_path, monkeypatch):
    monkeypatch.setattr(_sqlcache, "MAX_FILES", 2)
    plan = _plan()
    paths = []
    for k, sets in enumerate([{"a"}, {"b"}, {"c"}]):
        stored = Statements.load(plan, sets, set(), directory=tmp_path)
        stored["first", "p"] = "SELECT 1"
        stored.save()
        os.utime(stored.path, ns=(k * 10**9, k * 10**9))  # distinct ages whatever the file system's clock resolution
        paths.append(stored.path)
    last = Statements.load(plan, {"d"}, set(), directory=tmp_path)
    last["first", "p"] = "SELECT 1"
    last.save()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([paths[2].name, last.path.name])


def test_unwritable_directory_is_ignored(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    stored = Statements.load(_plan(), {"path"}, {"path"}, directory=blocker / "sql")
    stored["first", "p"] = "SELECT 1"
    stored.save()  # the directory cannot be made: nothing written, no error
    assert not (blocker / "sql").exists()


_CHILD = """
import sys
from neurosym.logic import Program
model = Program.from_text(sys.argv[1]).evaluate({"edge": [(1, 2), (2, 3), (3, 4)]})
print(sorted(map(tuple, model.query("path").values.tolist())), "sqlglot" in sys.modules)
"""


def test_second_process_reads_the_statements_without_sqlglot(tmp_path):
    env = {**os.environ, "NEUROSYM_CACHE": str(tmp_path)}
    runs = [subprocess.run([sys.executable, "-c", _CHILD, PROGRAM], env=env, capture_output=True, text=True, check=True).stdout
            for _ in range(2)]
    paths = "[(1, 2), (1, 3), (1, 4), (2, 3), (2, 4), (3, 4)]"
    assert runs == [f"{paths} True\n", f"{paths} False\n"]
    assert len(list((tmp_path / "sql").glob("*.json"))) == 1
