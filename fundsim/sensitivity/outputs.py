"""Named scalar outputs of a study: one number per evaluated point, read from its per-point results.

=========================  =====================================================================================
name                       re-optimise mode (the best plan at each point) / stress mode (a fixed plan)
=========================  =====================================================================================
``objective``              the optimal objective / the plan's objective under the point's numbers
``cofin``                  co-financing mobilised (re-optimise only)
``decommitted``            EU money lost to decommitment (not paid, or not contracted, by n + k). Stress: the
                           plan's losses as payments queue for the point's absorption capacity. Re-optimise: each
                           point's own plan run through the same payment flows; the LP keeps payments within
                           capacity, so this is zero unless the two models disagree (alias ``lost_to_decommitment``)
``lapsed``                 commitment appropriations that lapse (budget instruments whose usable money is all for
                           this policy). Re-optimise: what the point's own plan leaves unused. Stress: what the
                           plan's fixed commitments leave of the point's usable money
``pillar:<id>``            EU commitments to a pillar / EU money finally spent in it
``region:<id>``            EU commitments to a region / EU money finally spent there
``group:<id>``             the same for a group of regions
``instrument:<id>``        EU commitments of an instrument / its money finally spent
``payment_backlog``,       stress only: payments waiting for absorption capacity, co-financing the match sources
``cofin_shortfall``        cannot raise
=========================  =====================================================================================
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import xarray as xr

from fundsim.errors import ArgumentError
from fundsim.model import Scenario
from fundsim.montecarlo import Evaluation, run_values
from fundsim.montecarlo.executors import executor_for
from fundsim.rules.fields import suggest
from fundsim.solvers import Capability
from fundsim.solvers.backends import solver_choice
from fundsim.solving import check_options, solve

__all__ = ["Output", "evaluate", "output_matrix", "output_values", "parse_outputs", "valid_outputs"]

MONEY = "EUR m"
# name: (re-optimise variable, stress variable, long name); None = not recorded in that mode
SCALARS: dict[str, tuple[str | None, str | None, str]] = {
    "objective": ("objective", "realised_objective", "objective"),
    "cofin": ("cofin", None, "co-financing mobilised"),
    "decommitted": ("lost_to_decommitment", "lost_to_decommitment", "EU money lost to decommitment"),
    "lapsed": ("lapsed", "lapsed", "commitment appropriations lapsed"),
    "payment_backlog": (None, "payment_backlog", "payments waiting for absorption capacity"),
    "cofin_shortfall": (None, "cofin_shortfall", "co-financing the match sources cannot raise"),
}
ALIASES = {"lost_to_decommitment": "decommitted", "realised_objective": "objective"}
LABELLED = ("pillar", "region", "group", "instrument")


@dataclass(frozen=True)
class Output:
    """A scalar output: ``name`` as asked for, its ``kind`` (``objective``, ``pillar`` …) and ``label``.

    Examples
    --------
    >>> import fundsim as fs
    >>> sc = fs.load_scenario("scenarios/tutorial.yaml")
    >>> objective, north_africa = parse_outputs(sc, ["objective", "region:north_africa"])
    >>> north_africa.kind, north_africa.label, north_africa.units, north_africa.long_name("reoptimise")
    ('region', 'north_africa', 'EUR m', 'EU commitments: region north_africa')
    >>> objective.units, objective.long_name("stress")
    ('objective units', "objective of the plan under the point's numbers")
    """

    name: str
    kind: str
    label: str | None = None

    @property
    def units(self) -> str:
        return "objective units" if self.kind == "objective" else MONEY

    def long_name(self, mode: str) -> str:
        """What the number is, in words."""
        if self.kind == "objective":
            return "optimal objective" if mode == "reoptimise" else "objective of the plan under the point's numbers"
        if self.label is None:
            return SCALARS[self.kind][2]
        money = "EU commitments" if mode == "reoptimise" else "EU money finally spent"
        return f"{money}: {self.kind} {self.label}"


def _labels(sc: Scenario) -> dict[str, tuple[str, ...]]:
    return {"pillar": sc.pillar_ids, "region": sc.area_ids, "group": tuple(dict.fromkeys(sc.region_groups)),
            "instrument": sc.instrument_ids}


def valid_outputs(sc: Scenario, mode: str = "reoptimise") -> list[str]:
    """Every output name a study of ``sc`` in ``mode`` can return.

    Examples
    --------
    >>> import fundsim as fs
    >>> valid_outputs(fs.load_scenario("scenarios/tutorial.yaml"))[:5]
    ['objective', 'cofin', 'decommitted', 'lapsed', 'pillar:legal']
    """
    column = 0 if mode == "reoptimise" else 1
    names = [n for n, spec in SCALARS.items() if spec[column] is not None]
    return names + [f"{kind}:{label}" for kind, labels in _labels(sc).items() for label in labels]


def _parse_one(sc: Scenario, name: object, mode: str) -> Output | str:
    """The output, or the message saying what is wrong with ``name``."""
    if not isinstance(name, str):
        return f"an output is named by a string, not {type(name).__name__} {name!r}"
    kind, sep, label = name.partition(":")
    if sep:
        labels = _labels(sc).get(kind)
        if labels is None:
            return f"unknown output {name!r}: write {', '.join(k + ':<id>' for k in LABELLED)}"
        if label not in labels:
            return f"in output {name!r}: " + suggest(label, labels, kind)
        return Output(name, kind, label)
    kind = ALIASES.get(name, name)
    if kind in SCALARS and SCALARS[kind][0 if mode == "reoptimise" else 1] is None:
        other = "stress" if mode == "reoptimise" else "reoptimise"
        return f"output {name!r} is recorded in {other} mode only, not in {mode} mode"
    if kind not in SCALARS:
        forms = [n for n in valid_outputs(sc, mode) if ":" not in n] + [f"{k}:<id>" for k in LABELLED]
        return suggest(name, forms, "output")
    return Output(name, kind)


def parse_outputs(sc: Scenario, names: str | list[str] | tuple[str, ...],
                  mode: str = "reoptimise") -> tuple[Output, ...]:
    """Check output names against the scenario; every problem is reported at once.

    Raises
    ------
    ValueError
        naming each unknown output or label, with the valid ones (and the closest one first)

    Examples
    --------
    >>> import fundsim as fs
    >>> sc = fs.load_scenario("scenarios/tutorial.yaml")
    >>> [o.kind for o in parse_outputs(sc, ["objective", "region:north_africa"])]
    ['objective', 'region']
    >>> parse_outputs(sc, "region:north_afrika")
    Traceback (most recent call last):
    ...
    fundsim.errors.ArgumentError: in output 'region:north_afrika': unknown region 'north_afrika' ...
    """
    names = [names] if isinstance(names, str) else list(names)
    if not names:
        raise ArgumentError(f"name at least one output; the outputs are: {', '.join(valid_outputs(sc, mode))}")
    found = [_parse_one(sc, n, mode) for n in names]
    problems = [f for f in found if isinstance(f, str)]
    if problems:
        raise ArgumentError("; ".join(problems))
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise ArgumentError(f"output(s) named twice: {', '.join(repeated)}")
    return tuple(f for f in found if isinstance(f, Output))


def _labelled(run: xr.Dataset, sc: Scenario, out: Output, mode: str) -> xr.DataArray:
    prefix = "spent_by" if mode == "stress" else "eu_by"
    if out.kind == "group" and mode == "stress":
        regions = [r for r, g in zip(sc.region_ids, sc.region_groups, strict=True) if g == out.label]
        return run["spent_by_region"].sel(region=regions).sum("region", skipna=False)
    if out.kind == "region" and out.label is not None and out.label not in sc.region_ids:
        # a region planned in parts: all of its units
        units = [sc.region_ids[u] for u in sc.units_of(out.label)]
        return run[f"{prefix}_region"].sel(region=units).sum("region", skipna=False)
    return run[f"{prefix}_{out.kind}"].sel({out.kind: out.label}, drop=True)


def output_values(run: xr.Dataset, sc: Scenario, outputs: tuple[Output, ...]) -> xr.Dataset:
    """The outputs over the run's points: one variable per output, named as asked, with units and long name.

    ``run`` holds per-point results from :func:`fundsim.montecarlo.run_values` (or ``fs.simulate``).

    Examples
    --------
    >>> import fundsim as fs
    >>> risky = fs.load_scenario("scenarios/tutorial-uncertain.yaml")
    >>> outputs = parse_outputs(risky, ["objective", "region:north_africa"])
    >>> values = output_values(fs.simulate(risky, draws=4, seed=7), risky, outputs)
    >>> list(values.data_vars), values["region:north_africa"].dims, values["region:north_africa"].attrs["units"]
    (['objective', 'region:north_africa'], ('draw',), 'EUR m')
    """
    mode = "stress" if "realised_objective" in run else "reoptimise"
    data = {}
    for out in outputs:
        if out.label is None:
            name = SCALARS[out.kind][0 if mode == "reoptimise" else 1]
            if name not in run:
                raise ArgumentError(f"output {out.name!r}: the run holds no {name!r} (run it with decommitment=True)")
            da = run[name]
        else:
            da = _labelled(run, sc, out, mode)
        data[out.name] = da.astype(float).assign_attrs(units=out.units, long_name=out.long_name(mode))
    return xr.Dataset(data)


def output_matrix(values: xr.Dataset, outputs: tuple[Output, ...]) -> np.ndarray:
    """``(point, output)`` matrix of the outputs' values.

    Examples
    --------
    >>> import fundsim as fs
    >>> risky = fs.load_scenario("scenarios/tutorial-uncertain.yaml")
    >>> outputs = parse_outputs(risky, ["objective", "region:north_africa"])
    >>> values = output_values(fs.simulate(risky, draws=4, seed=7), risky, outputs)
    >>> output_matrix(values, outputs).shape  # (point, output)
    (4, 2)
    """
    return np.stack([values[o.name].values for o in outputs], axis=1)


def evaluate(sc: Scenario, values: np.ndarray, outputs: tuple[Output, ...], evaluation: Evaluation, *,
             progress: Callable[[int], None] | None = None) -> xr.Dataset:
    """Run the points ``values`` (point × uncertain parameter of ``sc``) and add the named outputs.

    ``evaluation`` (:class:`~fundsim.montecarlo.Evaluation`) holds the mode, plan, solver and executor; stress
    mode without a ``plan`` stress-tests the scenario's own optimal plan (``fs.solve(sc)``). The points run in
    order in this process unless its ``executor`` says otherwise. ``progress`` is called with the number of
    points of each chunk as it is finished (on any executor), ``len(values)`` in all.

    Examples
    --------
    >>> import numpy as np
    >>> import fundsim as fs
    >>> from fundsim.montecarlo import Evaluation
    >>> sc = fs.load_scenario("scenarios/tutorial-uncertain.yaml")
    >>> points = np.ones((1, 4))  # the plan's own numbers
    >>> out = evaluate(sc, points, parse_outputs(sc, ["objective"]), Evaluation())
    >>> out["objective"].values.tolist()  # the optimum, 130, worked by hand
    [130.0]
    >>> done = []
    >>> _ = evaluate(sc, np.ones((5, 4)), parse_outputs(sc, ["objective"]), Evaluation(chunk_size=2),
    ...              progress=done.append)
    >>> done
    [2, 2, 1]
    """
    how = evaluation
    choice = solver_choice(how.solver, check_options(how.options), needs=[Capability.DUALS])
    how = how.using(choice, None)
    if how.mode == "stress" and how.plan is None:
        how = dataclasses.replace(how, plan=solve(sc, solver=choice))
    if progress is not None:  # run_values runs given points in order unless the evaluation names an executor
        where = "sequential" if how.executor is None else how.executor
        how = dataclasses.replace(how, executor=_Counted(executor_for(where), progress))
    decommitment = how.mode == "reoptimise" and any(o.kind == "decommitted" for o in outputs)
    run = run_values(sc, values, how, decommitment=decommitment)
    return run.assign(output_values(run, sc, outputs).data_vars)


@dataclass(frozen=True, eq=False)
class _Counted:
    """An executor (:mod:`fundsim.montecarlo.executors`) that tells ``progress`` the points of each chunk as
    ``executor`` finishes it; where and how the chunks run is ``executor``'s alone."""

    executor: Any
    progress: Callable[[int], None]

    @property
    def name(self) -> str:
        return str(self.executor.name)

    @property
    def workers(self) -> int:
        return int(self.executor.workers)

    def __enter__(self) -> _Counted:
        return _Counted(self.executor.__enter__(), self.progress)

    def __exit__(self, *exc: object) -> None:
        self.executor.__exit__(*exc)

    def run(self, fn: Callable[[Any], xr.Dataset], tasks: Iterable[Any]) -> Iterator[tuple[int, xr.Dataset]]:
        for index, part in self.executor.run(fn, tasks):
            self.progress(part.sizes["draw"])
            yield index, part
