"""What would change the risk: the smallest changes to modifiable facts that take a patient below a threshold.

:func:`counterfactuals` is model-agnostic: it only calls
``model.predict_proba(cohort, landmarks)``, on copies of the patient whose
modifiable facts were edited with :func:`neurosym.data.edit_facts`.  Every
candidate (single interventions, pairs, ... up to ``max_changes``) and the
unchanged patient are copies in one cohort, scored by one call: a model's
cost per call (grounding rules, loading ontologies) outweighs its cost per
copy.

The search grid (:data:`CHANGE_GRID`) has, per intervention, a few clinically
plausible steps, level 1 (smallest) upwards:

==============  ===========================================  ==========================================
intervention    levels 1, 2, 3, 4                            edits
==============  ===========================================  ==========================================
``steps``       +1,000, +2,000, +3,000, +4,000 steps/day     mean steps of the worn days of the window
``sleep_hours`` 7, 7.5, 8 h a night (only above the current)  mean sleep of the recorded nights
``weight``      -3, -5, -7, -10 %                            latest weight, BMI with it (or BMI alone)
``sbp``         -5, -10, -15, -20 mmHg                       latest systolic BP; diastolic by half as much
``hba1c``       -0.25, -0.5, -0.75, -1.0 percentage points     latest HbA1c
``smoking``     level 4: stop (current -> former smoker)      latest smoking status
==============  ===========================================  ==========================================

A lowering is offered only from a clinical cut-off (:data:`FROM`: HbA1c
5.7 %, BMI 25 kg/m², SBP 120 mmHg, LDL 100 mg/dL), no step goes below a floor
(:data:`FLOORS`: HbA1c 4.5 %, BMI 18.5 kg/m², SBP 100 and DBP 60 mmHg), and
only facts the patient has a record of are changed.  **Effort order**: fewer interventions first, then the lower sum of
levels, then the lower risk, then the grid's order of interventions.  A
result never contains another crossing result (e.g. +2,000 steps hides
+3,000 steps, and +2,000 steps with -3 % weight).  Weight sets BMI (and BMI
weight), and a blood-pressure step sets diastolic BP, so such an intervention
lists two :class:`~neurosym.trace.Change` records.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
import pandas as pd

from neurosym._errors import InputError, NeurosymError
from neurosym.data import Cohort, clone_patients, edit_facts, modifiable_facts
from neurosym.evaluation import RiskPredictor
from neurosym.trace import Change, Counterfactual

__all__ = ["CHANGE_GRID", "FLOORS", "FROM", "counterfactuals"]

#: Steps per intervention, level 1 first: differences (``steps``, ``sbp``, ``hba1c``), percentages (``weight``),
#: targets (``sleep_hours``) or the new status (``smoking``).
CHANGE_GRID: dict[str, tuple[float | str, ...]] = {
    "steps": (1000.0, 2000.0, 3000.0, 4000.0),
    "sleep_hours": (7.0, 7.5, 8.0),
    "weight": (-3.0, -5.0, -7.0, -10.0),
    "sbp": (-5.0, -10.0, -15.0, -20.0),
    "hba1c": (-0.25, -0.5, -0.75, -1.0),
    "smoking": ("former",),
}
#: Level of each smoking step (stopping smoking is hard).
_SMOKING_LEVEL = 4
#: Lowest value a step may reach.
FLOORS: dict[str, float] = {"hba1c": 4.5, "bmi": 18.5, "sbp": 100.0, "dbp": 60.0}
#: Value from which a lowering is offered: prediabetes (ADA 2025), overweight, elevated BP (ACC/AHA 2017),
#: LDL above optimal (NCEP ATP III).
FROM: dict[str, float] = {"hba1c": 5.7, "bmi": 25.0, "sbp": 120.0, "ldl": 100.0}


@dataclass(frozen=True)
class _Step:
    """One intervention at one level: the facts it sets (the others follow in :func:`~neurosym.data.edit_facts`)."""

    name: str
    level: int
    values: tuple[tuple[str, float | str], ...]


def counterfactuals(model: RiskPredictor, cohort: Cohort, patient_id: str, landmark: str | pd.Timestamp, *,
                    threshold: float, max_changes: int = 2, max_results: int = 3, weeks: int = 13,
                    grid: Mapping[str, Sequence[float | str]] | None = None) -> list[Counterfactual]:
    """The smallest changes to a patient's modifiable facts that would bring the risk below ``threshold``.

    Parameters
    ----------
    model : object with ``predict_proba(cohort, landmarks)``
        A fitted model (``RiskModel``, ``NeuroSymbolicModel``, ...).
    cohort : Cohort
    patient_id : str
    landmark : str or Timestamp
        The prediction's landmark; facts are read from what was recorded before it.
    threshold : float
        The risk to get below, in (0, 1).
    max_changes : int, default 2
        Most interventions combined (single ones rank first).
    max_results : int, default 3
    weeks : int, default 13
        Lifelog window of the steps and sleep changes.
    grid : mapping, optional
        Interventions and their steps, as :data:`CHANGE_GRID` (the default);
        keys may also be ``ldl`` (differences in mg/dL) or ``dbp``.

    Returns
    -------
    list of Counterfactual
        Those that cross the threshold, by effort order, none containing
        another; if none crosses, the ``max_results`` lowest risks (the best
        one per set of interventions) with ``below_threshold=False``.  Empty when the risk is already below the
        threshold or the patient has no modifiable fact on record.

    Raises
    ------
    InputError
        For a threshold outside (0, 1), ``max_changes < 1``, an unknown
        intervention in ``grid`` or a landmark before the patient's records.
    UnknownIdError
        For a patient not in the cohort.

    Examples
    --------
    >>> import pandas as pd
    >>> from neurosym.data import synthetic_cohort
    >>> class BySteps:  # a toy model: risk falls with the mean steps of the last 13 weeks
    ...     def predict_proba(self, cohort, landmarks):
    ...         from neurosym.data import modifiable_facts
    ...         facts = modifiable_facts(cohort, landmarks).query("fact == 'steps'")
    ...         risk = 1 - facts["value"].astype(float) / 10_000
    ...         return pd.DataFrame({"patient_id": facts["patient_id"], "landmark": landmarks["landmark"].iloc[0],
    ...                              "risk": risk.clip(0, 1).to_numpy()})
    >>> found = counterfactuals(BySteps(), synthetic_cohort(3, seed=0), "S000002", "2024-01-01", threshold=0.15)
    >>> [([c.text for c in f.changes], round(f.risk, 3), f.below_threshold) for f in found]
    [(['walk 2,000 more steps a day (7,118 -> 9,118)'], 0.088, True)]
    """
    if not 0 < threshold < 1:
        raise InputError(f"threshold must be a risk in (0, 1); got {threshold}")
    if max_changes < 1 or max_results < 1:
        raise InputError(f"max_changes and max_results must be >= 1; got {max_changes} and {max_results}")
    grid = dict(CHANGE_GRID if grid is None else grid)
    unknown = sorted(set(grid) - {*CHANGE_GRID, "ldl", "dbp"})
    if unknown:
        raise InputError(f"unknown intervention {unknown[0]!r} in grid; known: {[*CHANGE_GRID, 'ldl', 'dbp']}")
    stamp = pd.Timestamp(landmark).normalize()
    facts = modifiable_facts(cohort, pd.DataFrame({"patient_id": [patient_id], "landmark": [stamp]}), weeks=weeks)
    now = dict(zip(facts["fact"], facts["value"]))
    steps = _steps(now, grid)
    combos = [c for size in range(1, max_changes + 1) for c in _combinations(steps, size)]
    baseline, results = _score(model, cohort, patient_id, stamp, combos, weeks)
    if baseline < threshold:
        return []
    scored = [(c, risk, after) for c, (risk, after) in zip(combos, results)]
    crossing = [c for c, risk, _ in scored if risk < threshold]
    found = [s for s in scored if s[1] < threshold]
    order = list(grid)
    if found:  # the least effort first, none containing another crossing set
        chosen = [s for s in sorted(found, key=lambda s: _effort(s[0], s[1], order))
                  if not any(_contains(s[0], other) for other in crossing if other != s[0])]
    else:  # the lowest risks, one per set of interventions, none containing a set of steps that does as well
        best: dict[frozenset, tuple] = {}
        for s in sorted(scored, key=lambda s: (s[1], _effort(s[0], s[1], order))):
            if not any(_contains(s[0], o[0]) and o[1] <= s[1] for o in scored if o[0] != s[0]):
                best.setdefault(frozenset(step.name for step in s[0]), s)
        chosen = list(best.values())
    return [Counterfactual(changes=_changes(combo, now, after), risk=risk, below_threshold=risk < threshold)
            for combo, risk, after in chosen[:max_results]]


def _steps(now: dict[str, float | str], grid: Mapping[str, Sequence[float | str]]) -> list[_Step]:
    """Every step of the grid that applies to a patient with the facts ``now``."""
    out = []
    for name, amounts in grid.items():
        for level, amount in enumerate(amounts, start=1):
            step = _step(name, level, amount, now)
            if step is not None:
                out.append(step)
    return out


def _step(name: str, level: int, amount: float | str, now: dict[str, float | str]) -> _Step | None:
    """The step, or None where it does not apply: a fact not on record, a floor crossed, no gain."""
    if name == "smoking":
        return _Step(name, _SMOKING_LEVEL, (("smoking", amount),)) if now.get("smoking") == "current" else None
    if name == "sleep_hours":
        return _Step(name, level, ((name, float(amount)),)) if float(now.get(name, amount)) < float(amount) else None
    if name == "weight":
        fact = "weight" if "weight" in now else "bmi"
        ratio = 1 + float(amount) / 100
        bmi = float(now.get("bmi", FROM["bmi"]))
        if fact not in now or bmi < FROM["bmi"] or bmi * ratio < FLOORS["bmi"]:
            return None
        return _Step(name, level, ((fact, float(now[fact]) * ratio),))
    if name not in now or float(now[name]) < FROM.get(name, 0.0) or float(now[name]) + float(amount) < FLOORS.get(name, 0.0):
        return None
    values: list[tuple[str, float | str]] = [(name, float(now[name]) + float(amount))]
    if name == "sbp" and "dbp" in now:
        dbp = float(now["dbp"])
        values.append(("dbp", max(dbp + float(amount) / 2, min(dbp, FLOORS["dbp"]))))
    return _Step(name, level, tuple(values))


#: The fact that follows one a step sets (in :func:`~neurosym.data.edit_facts`, or by the step itself).
_FOLLOWS = {"weight": "bmi", "bmi": "weight", "sbp": "dbp"}

#: Unit and phrase of a change, from the values before and after.
_SAY = {
    "steps": ("steps/day", lambda b, a: f"walk {a - b:,.0f} more steps a day ({b:,.0f} -> {a:,.0f})"),
    "sleep_hours": ("h", lambda b, a: f"sleep {a:.1f} h a night on average (now {b:.1f} h)"),
    "weight": ("kg", lambda b, a: f"lose {100 * (b - a) / b:.0f} % of body weight ({b:.1f} -> {a:.1f} kg)"),
    "bmi": ("kg/m2", lambda b, a: f"BMI from {b:.1f} to {a:.1f} kg/m2"),
    "sbp": ("mmHg", lambda b, a: f"lower systolic blood pressure by {b - a:.0f} mmHg ({b:.0f} -> {a:.0f} mmHg)"),
    "dbp": ("mmHg", lambda b, a: f"lower diastolic blood pressure by {round(b - a, 1):g} mmHg ({b:.0f} -> {a:.0f} mmHg)"),
    "hba1c": ("%", lambda b, a: f"lower HbA1c by {b - a:.2g} percentage point{'' if abs(b - a - 1) < 1e-9 else 's'} ({b:.1f} -> {a:.2f} %)"),
    "ldl": ("mg/dL", lambda b, a: f"lower LDL cholesterol by {b - a:.0f} mg/dL ({b:.0f} -> {a:.0f} mg/dL)"),
    "smoking": (None, lambda b, a: "stop smoking"),
}


def _changes(combo: tuple[_Step, ...], now: dict[str, float | str], after: dict[str, float | str]) -> list[Change]:
    """One :class:`Change` per fact whose value moved, as read back from the edited copy: the facts each step
    sets, then those that followed them."""
    order = [f for step in combo for fact, _ in step.values for f in (fact, _FOLLOWS.get(fact))]
    out = []
    for fact in sorted(after, key=lambda f: order.index(f) if f in order else len(order)):
        value = after[fact]
        before = now.get(fact)
        if before == value or (isinstance(value, float) and isinstance(before, float) and abs(value - before) < 1e-9):
            continue
        unit, say = _SAY[fact]
        out.append(Change(fact, before, value, unit, say(before, value)))
    return out


def _combinations(steps: list[_Step], size: int) -> list[tuple[_Step, ...]]:
    """Every set of ``size`` steps of different interventions, in grid order."""
    by_name: dict[str, list[_Step]] = {}
    for step in steps:
        by_name.setdefault(step.name, []).append(step)
    return [combo for names in itertools.combinations(by_name, size) for combo in itertools.product(*(by_name[n] for n in names))]


def _contains(combo: tuple[_Step, ...], smaller: tuple[_Step, ...]) -> bool:
    """Whether ``combo`` does at least what ``smaller`` does: each of its interventions, at a level as high."""
    levels = {s.name: s.level for s in combo}
    return all(s.name in levels and levels[s.name] >= s.level for s in smaller)


def _effort(combo: tuple[_Step, ...], risk: float, order: list[str]) -> tuple:
    """The documented effort order: interventions, sum of levels, risk, grid order."""
    return len(combo), sum(s.level for s in combo), risk, [order.index(s.name) for s in combo]


def _score(model: RiskPredictor, cohort: Cohort, patient_id: str, landmark: pd.Timestamp,
           combos: list[tuple[_Step, ...]], weeks: int) -> tuple[float, list[tuple[float, dict]]]:
    """The unchanged patient's risk and, per set of steps, the risk and the facts after it: one ``predict_proba``."""
    ids = [f"{patient_id}~what-if-{k}" for k in range(len(combos) + 1)]
    copies = clone_patients(cohort, [patient_id] * len(ids), ids)
    edits = pd.DataFrame([(ids[k], landmark, fact, value) for k, combo in enumerate(combos, start=1)
                          for step in combo for fact, value in step.values],
                         columns=["patient_id", "landmark", "fact", "value"])
    edited = edit_facts(copies, edits, weeks=weeks) if len(edits) else copies
    landmarks = pd.DataFrame({"patient_id": ids, "landmark": landmark})
    risks = model.predict_proba(edited, landmarks)
    by_id = dict(zip(risks["patient_id"].astype(str), risks["risk"].astype(float)))
    missing = [i for i in ids if i not in by_id]
    if missing:
        raise NeurosymError(f"{type(model).__name__}.predict_proba returned no risk for {missing[0]!r}; "
                            "counterfactuals need a risk for every patient with a landmark")
    facts = modifiable_facts(edited, landmarks.iloc[1:], weeks=weeks)
    after = {pid: dict(zip(group["fact"], group["value"])) for pid, group in facts.groupby("patient_id", sort=False)}
    return by_id[ids[0]], [(by_id[i], after.get(i, {})) for i in ids[1:]]
