"""explain and why_not give the same trace in any process: witnesses and aggregate inputs by a total order."""

import json
import os
import subprocess
import sys

#: A program with many witnesses per fact: several high values per patient (which day proves has_high?), the
#: same reading from two sources (which source is shown?), aggregates, negation and a recursive closure whose
#: tuples have no recorded height (proofs searched with a cycle check).
SCRIPT = r'''
import json, random
from neurosym.logic import Program
from neurosym.trace import to_dict

rng = random.Random(0)
patients = [f"p{i:02d}" for i in range(12)]
lab = []
for p in patients:
    for day in rng.sample(range(100), 6):
        value = rng.choice([5.9, 6.5, 7.0, 7.0])
        lab += [(p, "a1c", value, day, f"{p}/lab/{day}/b"), (p, "a1c", value, day, f"{p}/lab/{day}/a")]
edges = [(rng.randrange(15), rng.randrange(15)) for _ in range(40)]
facts = {"lab": {"c0": [r[0] for r in lab], "c1": [r[1] for r in lab], "c2": [r[2] for r in lab], "c3": [r[3] for r in lab],
                 "_source": [r[4] for r in lab]},
         "patient": [(p,) for p in patients], "edge": edges}
import pandas as pd
facts["lab"] = pd.DataFrame(facts["lab"])
program = Program.from_text("""
has_high(P) :- lab(P, "a1c", V, _), V >= 6.5.
latest(P, D) :- patient(P), D = max Dl : { lab(P, "a1c", _, Dl) }.
latest_value(P, V) :- latest(P, D), lab(P, "a1c", V, D).
high_days(P, N) :- patient(P), N = count : { lab(P, "a1c", V, D), V >= 6.5 }.
risk(P) :- has_high(P), high_days(P, N), N >= 2, not low(P).
low(P) :- latest_value(P, V), V < 6.
reach(X, Y) :- edge(X, Y).
reach(X, Z) :- reach(X, Y), edge(Y, Z).
""")
model = program.evaluate(facts)
con = model.connect()
atoms = [f'{rel}("{p}")' for rel in ("has_high", "risk") for (p,) in con.execute(f"SELECT DISTINCT c0 FROM rel_{rel} ORDER BY c0 LIMIT 8").fetchall()]
atoms += [f"reach({x}, {y})" for x, y in con.execute("SELECT DISTINCT c0, c1 FROM rel_reach ORDER BY c0, c1 LIMIT 14").fetchall()]
traces = [to_dict(model.explain(a, max_depth=None)) for a in atoms[:30]]
traces += [to_dict(model.why_not(f'risk("{p}")')) for p in patients if f'risk("{p}")' not in atoms][:5]
print(json.dumps({"atoms": atoms[:30], "traces": traces}, sort_keys=True, default=str))
'''


def _traces(seed: str) -> dict:
    env = {**os.environ, "PYTHONHASHSEED": seed}
    done = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


def test_thirty_traces_are_the_same_in_two_processes():
    first, second = _traces("1"), _traces("2")
    assert len(first["atoms"]) == 30 and len(first["traces"]) > 30
    assert first == second
    sources = {node.get("source", {}).get("text") for trace in first["traces"] for node in trace["nodes"]
               if node["kind"] == "fact" and node.get("source")}
    assert sources and all(text.endswith("/a") for text in sources)  # of two sources of a reading, the first by order
