"""The :class:`Allocation`: a solved scenario as a labelled xarray Dataset, with its shadow prices and ranging."""

from __future__ import annotations

import dataclasses
import datetime as _dt
import html
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from fundsim._version import __version__
from fundsim.errors import ArgumentError, SolverError
from fundsim.model import Scenario
from fundsim.outputs import atomic_file, write_csv, write_excel
from fundsim.results.label import (
    block_array,
    decision_arrays,
    in_reported_units,
    ranging_dataset,
    relaxation_duals,
    shadow_prices,
)
from fundsim.results.ledger import APPROPRIATION_TERMS, LEDGER_VARIABLES, ledger_dataset, unused_money
from fundsim.results.names import RANGING, SHADOW_PRICE, placed, ranging_name, shadow_price_name, unplaced
from fundsim.results.status import rule_status
from fundsim.rules import column_spec, user_rule
from fundsim.rules.program import LinearProgram
from fundsim.solvers.base import SolveResult

__all__ = ["Allocation", "allocation_dataset", "open_allocation"]

CUBE = ("instrument", "priority", "region", "year")
_VARS = {
    "eu": "EU commitment",
    "cofin": "co-financing mobilised",
    "total": "total eligible cost (EU + co-financing)",
    "payments": "EU payments falling due",
}


def _payments(sc: Scenario, eu: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """EU payments per (i, p, r, year) following each instrument's profile, and what falls due later."""
    pay = np.zeros_like(eu)
    later = np.zeros(eu.shape[:3])
    ny = len(sc.years)
    for n, ins in enumerate(sc.instruments):  # one pass per instrument and lag: vectorised over cells
        for lag, share in enumerate(ins.payment_profile):
            if lag < ny:
                pay[n, :, :, lag:] += share * eu[n, :, :, : ny - lag]
            later[n] += share * eu[n, :, :, max(ny - lag, 0):].sum(axis=-1)
    return pay, later


def allocation_dataset(sc: Scenario, eu: np.ndarray, carried: np.ndarray | None = None,
                       unused: np.ndarray | None = None) -> xr.Dataset:
    """The allocation variables of a scenario from a dense ``eu`` cube (zeros outside eligibility), and its money
    ledger (:mod:`fundsim.results.ledger`; ``carried`` and ``unused`` are a solved plan's columns).

    Co-financing follows the rules (``cofin = eu·(1 - s)/s``) and payments the profiles. Cells
    outside eligibility hold 0; the boolean ``eligible`` variable tells them apart.

    Examples
    --------
    >>> import fundsim as fs
    >>> sc = fs.load_scenario("scenarios/tutorial.yaml")
    >>> ds = allocation_dataset(sc, fs.solve(sc).data["eu"].values)
    >>> list(ds.data_vars)[:6]
    ['eu', 'cofin', 'total', 'payments', 'payments_after_horizon', 'eligible']
    >>> list(ds.data_vars)[6:9]  # the ledger follows
    ['available', 'carried_in', 'committed']
    >>> round(float(ds["cofin"].sum()), 6)  # the 20 of TPMA at 80 % EU share mobilise 5
    5.0
    """
    cofin = eu * sc.match_ratio[..., None]
    pay, later = _payments(sc, eu)
    coords: dict[str, Any] = sc.cube_coords()
    money = {"units": "EUR m"}
    data_vars: dict[str, Any] = {
        name: (CUBE, values, {**money, "long_name": _VARS[name]})
        for name, values in (("eu", eu), ("cofin", cofin), ("total", eu + cofin), ("payments", pay))
    }
    data_vars["payments_after_horizon"] = (CUBE[:3], later, {**money, "long_name": "EU payments due after the "
                                                             "last year"})
    data_vars["eligible"] = (CUBE, sc.eligible, {"long_name": "cell may receive EU money"})
    ledger = ledger_dataset(sc, eu, carried, unused)
    return xr.Dataset(data_vars, coords=coords).assign_coords(cohort=ledger["cohort"]).assign(ledger.data_vars)


class Allocation:
    """A solved scenario.

    Attributes
    ----------
    data : xarray.Dataset with ``eu``, ``cofin``, ``total``, ``payments`` over
        (instrument, priority, region, year), EUR m, 0 outside eligibility (see ``eligible``), and the
        run metadata in ``attrs``
    duals : xarray.Dataset of shadow prices, one variable per rule family, labelled by the rule's dims.
        A shadow price is the marginal value of relaxing the rule at the optimal basis: per EUR m, or per
        percentage point for share rules; ≥ 0 for binding rules of a maximisation. Where the optimum is
        degenerate (several rules binding at one point) it is the value of relaxing the rule together with
        those it is tied to; relaxing it alone may gain less.
    ranging() : xarray.Dataset of the intervals over which the shadow prices and the allocation hold

    Examples
    --------
    >>> import fundsim as fs
    >>> alloc = fs.solve(fs.load_scenario("scenarios/tutorial.yaml"))
    >>> float(alloc.data["eu"].sum())
    60.0
    >>> alloc.duals["absorption"].sel(region="north_africa").values.tolist()
    [0.5, 0.5]
    """

    def __init__(self, data: xr.Dataset, duals: xr.Dataset, scenario: Scenario | None = None,
                 lp: LinearProgram | None = None, result: SolveResult | None = None,
                 ranging: xr.Dataset | None = None) -> None:
        self.data = data
        self.duals = duals
        self.scenario = scenario
        self.lp = lp
        self.result = result
        self._ranging: dict[str, xr.Dataset] = {} if ranging is None else {ranging.attrs.get("ranging", "basis"):
                                                                          ranging}

    @classmethod
    def from_solution(cls, sc: Scenario, lp: LinearProgram, result: SolveResult) -> Allocation:
        """Label a raw solve result (the one place where flat vectors become labelled arrays)."""
        eu = block_array(lp.variables["eu"], result.x, fill=0.0).values
        eu = np.where(np.abs(eu) < 1e-9, 0.0, eu)
        data = allocation_dataset(sc, eu, *(_columns(lp, result, name) for name in ("carried", "unused")))
        data = data.assign({k: v for k, v in decision_arrays(lp, result).items() if k not in data})
        duals = shadow_prices(lp, result)
        data.attrs.update(_metadata(sc, result))
        duals.attrs.update(data.attrs)
        return cls(data, duals, sc, lp, result)

    # headline numbers ------------------------------------------------------------------------------
    @property
    def objective(self) -> float:
        return float(self.data.attrs["objective"])

    @property
    def status(self) -> str:
        return str(self.data.attrs["status"])

    def ledger(self) -> xr.Dataset:
        """The money ledger (:mod:`fundsim.results.ledger`): commitment appropriations per instrument and year
        (available = committed + carried out + lapsed + not used + lost at the cut-off) and commitments per
        instrument and commitment year (committed = paid before + paid by year + decommitted + outstanding),
        with payments due against payment appropriations. Computed from the money for an allocation read from
        a file that holds none.

        Examples
        --------
        >>> import fundsim as fs
        >>> ledger = fs.solve(fs.load_scenario("scenarios/tutorial.yaml")).ledger()
        >>> ledger["lapsed"].dims, float(ledger["cohort_outstanding"].sum())
        (('instrument', 'year'), 0.0)
        """
        if all(name in self.data for name in LEDGER_VARIABLES):
            return self.data[list(LEDGER_VARIABLES)]
        if self.scenario is None:
            raise ArgumentError("this allocation holds no ledger and no scenario to compute it from")
        eu = self.data["eu"].transpose(*CUBE).values
        return ledger_dataset(self.scenario, eu)

    def rule_status(self) -> pd.DataFrame:
        """Every user's rule, binding or slack, with its distance to binding in its own units (EUR m, or
        percentage points for share rules) and its shadow price (:func:`fundsim.results.status.rule_status`).

        Examples
        --------
        >>> import fundsim as fs
        >>> table = fs.solve(fs.load_scenario("scenarios/tutorial.yaml")).rule_status()
        >>> sorted(set(table["status"]))
        ['binding', 'slack']
        """
        if self.lp is None or self.result is None:
            raise ArgumentError("this allocation holds no solve (an allocation read from a file): solve its "
                                "scenario to see which rules bind")
        lp, result = self.lp, self.result
        flat = in_reported_units(lp, relaxation_duals(lp, result), result.x)
        prices = {name: flat[b.start:b.stop] for name, b in lp.constraints.items()}
        x = np.array(result.x, float)
        if self.scenario is not None:  # columns the plan leaves free where nothing binds, at their canonical values
            eu = self.data["eu"].transpose(*CUBE).values
            for name, block in lp.variables.items():
                spec = column_spec(name)
                if spec is not None and spec.canonical:
                    part = slice(block.start, block.stop)
                    x[part] = spec.point(self.scenario, eu, block, lp.col_upper[part])
        shown = dataclasses.replace(result, x=x, row_activity=np.asarray(lp.A @ x).ravel())
        return rule_status(lp, shown, prices)

    def unused_money(self) -> pd.DataFrame:
        """The commitment appropriations the plan leaves, by instrument over the horizon (EUR m): ``lapsed``,
        ``not_used`` (for this policy: it returns to the instrument's other objectives), ``lost_at_cutoff`` and
        ``still_available`` after the last year (:func:`fundsim.results.ledger.unused_money`).

        Examples
        --------
        >>> import fundsim as fs
        >>> table = fs.solve(fs.load_scenario("scenarios/gam-2008.yaml")).unused_money()
        >>> round(float(table.loc["ipa", "not_used"]), 1)
        141.9
        """
        return unused_money(self.ledger()).to_dataframe()

    def ranging(self, *, exact: bool = False) -> xr.Dataset:
        """LP ranging, labelled like :attr:`duals`: over which interval each number holds.

        One variable per rule family, over the rule's dims and ``interval`` = (``low``, ``value``,
        ``high``): the interval of the rule's bound (EUR m; percent of the total EU commitment for share
        rules) over which its shadow price holds, the objective changing linearly at that price. One
        variable per objective parameter — ``impact_weight`` (priority × region), ``leverage_weight``,
        ``goal_weight`` (target) — with the interval of the weight over which the allocation stays
        optimal. Unlimited ends are ``±inf``; NaN where there is no such rule or weight.

        Parameters
        ----------
        exact : by default the intervals of the optimal basis (HiGHS's ranging): the number holds at least
            over them, and on a degenerate optimum often further. ``exact=True`` finds the whole interval,
            at the price of two LPs per number (see :func:`fundsim.results.label.ranging_dataset`).

        Computed on first use from the kept LP and basis, not at every solve (on the reference scenario
        0.14 s, about half of assembling and solving it; exact 12 s), then kept; written to NetCDF with
        the allocation (the exact intervals if computed, else the basis's).

        Raises
        ------
        SolverError
            for a scenario with integer rules (no ranging for a MILP), an allocation solved by a backend
            that keeps no basis, or one read from a file written without ranging.

        Examples
        --------
        >>> import fundsim as fs
        >>> alloc = fs.solve(fs.load_scenario("scenarios/tutorial.yaml"))
        >>> alloc.ranging()["absorption"].sel(region="north_africa", year=2009).values.tolist()
        [10.0, 25.0, 30.0]
        >>> alloc.ranging()["impact_weight"].sel(priority="remittances", region="north_africa").values.tolist()
        [2.0, 3.0, inf]
        >>> alloc.ranging(exact=True)["envelope"].sel(instrument="tpma", year=2009).values.tolist()
        [5.0, 10.0, 90.0]
        """
        key = "exact" if exact else "basis"
        if key not in self._ranging:
            if self.scenario is None or self.lp is None or self.result is None:
                if "exact" in self._ranging:  # read from a file: the exact intervals contain the basis's
                    return self._ranging["exact"]
                raise SolverError(f"this allocation has no {key} ranging: it was read from a file written without "
                                  "it; solve the scenario again to range it", "unavailable")
            self._ranging[key] = ranging_dataset(self.scenario, self.lp, self.result, exact=exact)
        return self._ranging[key]

    def explain(self, top: int = 10, *, exact: bool | None = None) -> list[str]:
        """The binding rules, what relaxing each is worth and over which interval, and the weights carrying
        the objective, in sentences (see :func:`fundsim.results.explain.explain`).

        Examples
        --------
        >>> import fundsim as fs
        >>> alloc = fs.solve(fs.load_scenario("scenarios/tutorial.yaml"))
        >>> print(alloc.explain(top=1)[1])  # doctest: +NORMALIZE_WHITESPACE
        - usable envelope (tpma, 2009): relaxing it by 1 EUR m is worth 1.75; this holds while the bound is
          between 5 and 90 EUR m (now 10).
        """
        from fundsim.results.explain import explain  # explain builds on this module

        return explain(self, top, exact=exact)

    # summaries ---------------------------------------------------------------------------------------
    def summary(self, by: str) -> pd.DataFrame:
        """Totals of eu, cofin and total by ``pillar``, ``group`` (region group), ``instrument``, ``year``,
        ``priority``, ``region`` (planning unit: a region, a country planned on its own or a region's rest) or
        ``in_region`` (whole regions, their countries summed in), with ``share_of_eu``, each one's share of all EU
        money (0 to 1)."""
        money = self.data[["eu", "cofin", "total"]]
        if by == "in_region" and "in_region" not in money.coords:  # an allocation read from an older file
            money = money.assign_coords(in_region=money["region"])
        dims = [d for d in CUBE if d not in money[by].dims]
        table = money.sum(dims).groupby(by).sum().to_dataframe() if by in ("pillar", "group", "in_region") \
            else money.sum(dims).to_dataframe()
        table = table[["eu", "cofin", "total"]]
        grand = table["eu"].sum()
        table["share_of_eu"] = table["eu"] / grand if grand > 0 else 0.0
        return table

    def outputs(self) -> pd.DataFrame:
        """The results framework's outputs next to the money that buys them: one row per indicator, with its
        ``name``, ``unit``, ``basis`` (``eu`` or ``total``), ``money`` (EUR m in its slice, on that basis),
        ``outputs`` (money / unit cost), ``target`` (NaN without one) and ``share_of_target`` (outputs / target).
        Empty when the scenario has no indicators.

        Examples
        --------
        >>> import pathlib
        >>> import yaml
        >>> import fundsim as fs
        >>> raw = yaml.safe_load(pathlib.Path("scenarios/tutorial.yaml").read_text())
        >>> raw["objective"] = {"results": {"indicators": [
        ...     {"id": "returnees", "unit": "persons", "priorities": ["return"], "regions": ["north_africa"],
        ...      "unit_cost": 0.004, "basis": "eu", "target": 5000, "value": 0.002, "beyond_target": 0.0005},
        ...     {"id": "trained", "unit": "persons", "priorities": ["mobility"], "regions": ["eastern_partnership"],
        ...      "unit_cost": 0.01, "value": 0.003}]}}
        >>> table = fs.solve(fs.scenario_from_dict(raw)).outputs()
        >>> table.index.tolist(), table["money"].round(6).tolist(), table["outputs"].round(6).tolist()
        (['returnees', 'trained'], [20.0, 45.0], [5000.0, 4500.0])
        >>> table["share_of_target"].round(6).tolist()  # the target binds; 'trained' has none
        [1.0, nan]
        """
        from fundsim.results.objective import indicator_outputs

        columns = ["name", "unit", "basis", "money", "outputs", "target", "share_of_target"]
        sc = self.scenario
        term = None if sc is None else sc.objective.results
        if sc is None or term is None:
            return pd.DataFrame(columns=columns, index=pd.Index([], name="indicator"))
        money, outputs = indicator_outputs(sc, self.data["eu"].transpose(*CUBE).values)
        target = np.array([np.nan if i.target is None else i.target for i in term.indicators])
        return pd.DataFrame({"name": [i.name for i in term.indicators], "unit": [i.unit for i in term.indicators],
                             "basis": [i.basis for i in term.indicators], "money": money, "outputs": outputs,
                             "target": target, "share_of_target": outputs / target},
                            index=pd.Index([i.id for i in term.indicators], name="indicator"))

    def by_pillar(self) -> pd.DataFrame:
        return self.summary("pillar")

    def by_group(self) -> pd.DataFrame:
        """Totals by region group (:meth:`summary` ``("group")``)."""
        return self.summary("group")

    def by_region_group(self) -> pd.DataFrame:
        """Deprecated name of :meth:`by_group` (one name per concept: the dim and ``summary(by=...)`` say
        ``group``)."""
        warnings.warn("Allocation.by_region_group() is now Allocation.by_group()", FutureWarning, stacklevel=2)
        return self.by_group()

    def by_instrument(self) -> pd.DataFrame:
        return self.summary("instrument")

    def by_region(self, level: str = "region") -> pd.DataFrame:
        """Totals by whole region (``level="region"``: a region planned in parts sums its countries and its rest)
        or by planning unit (``level="unit"``: each country planned on its own, each rest, each other region),
        with the region each row belongs to (``in_region``) and what it is (``level``: region, country or rest).

        Examples
        --------
        >>> import pathlib
        >>> import yaml
        >>> import fundsim as fs
        >>> raw = yaml.safe_load(pathlib.Path("scenarios/tutorial.yaml").read_text())
        >>> raw["regions"][0]["countries"] = [{"id": "morocco", "name": "Morocco"}, "Tunisia"]
        >>> alloc = fs.solve(fs.scenario_from_dict(raw))
        >>> alloc.by_region("unit")[["in_region", "level"]].to_dict("index")["morocco"]
        {'in_region': 'north_africa', 'level': 'country'}
        >>> whole = alloc.by_region()
        >>> whole.index.tolist(), bool(abs(whole["eu"].sum() - alloc.data["eu"].sum()) < 1e-9)
        (['north_africa', 'eastern_partnership'], True)
        """
        if level not in ("region", "unit"):
            raise ValueError(f"level must be 'region' (whole regions) or 'unit' (planning units), got {level!r}")
        sc = self.scenario
        if level == "unit":
            table = self.summary("region")
            units = {r.id: r for r in sc.regions} if sc is not None else {}
            table.insert(0, "level", [units[r].level if r in units else "region" for r in table.index])
            table.insert(0, "in_region", [units[r].within or r if r in units else r for r in table.index])
            return table
        table = self.summary("in_region")
        order = list(dict.fromkeys(sc.region_of)) if sc is not None else list(table.index)
        table = table.reindex([r for r in order if r in table.index])
        table.index.name = "region"
        return table

    def by_year(self) -> pd.DataFrame:
        return self.summary("year")

    def by_country(self) -> pd.DataFrame:
        """The countries planned on their own: their region (``in_region``), ``eu``, ``cofin``, ``total`` and
        ``share_of_region``, each one's share of its region's EU money (0 to 1). Empty when no country is
        planned on its own.

        Examples
        --------
        >>> import pathlib
        >>> import yaml
        >>> import fundsim as fs
        >>> raw = yaml.safe_load(pathlib.Path("scenarios/tutorial.yaml").read_text())
        >>> raw["regions"][0]["countries"] = [{"id": "morocco", "name": "Morocco"}, "Tunisia"]
        >>> table = fs.solve(fs.scenario_from_dict(raw)).by_country()
        >>> table.index.tolist(), table.columns.tolist()
        (['morocco'], ['in_region', 'eu', 'cofin', 'total', 'share_of_region'])
        """
        units = self.by_region("unit")
        countries = units[units["level"] == "country"].drop(columns=["level", "share_of_eu"])
        whole = self.by_region()["eu"]
        region_eu = whole.reindex(countries["in_region"]).to_numpy()
        countries["share_of_region"] = np.divide(countries["eu"].to_numpy(), region_eu,
                                                 out=np.zeros(len(countries)), where=region_eu > 0)
        countries.index.name = "country"
        return countries

    def binding_rules(self, tol: float = 1e-7, *, marginal_impact: bool = False) -> pd.DataFrame:
        """Rules that bind (nonzero shadow price), largest first.

        Links that price money rather than state a rule (``impact_link``, the marginal impact of money in each
        priority × region cell) are left out unless ``marginal_impact`` is true.
        """
        rows = []
        for name, da in self.duals.data_vars.items():
            if not (user_rule(str(name)) or marginal_impact):
                continue
            s = da.to_series().dropna()
            s = s[s.abs() > tol]
            for label, value in s.items():
                text = ", ".join(map(str, label)) if isinstance(label, tuple) else str(label)
                rows.append({"rule": name, "where": text, "shadow_price": float(value), "units": da.attrs["units"],
                             "rule_description": da.attrs["long_name"].removeprefix("shadow price: ")})
        table = pd.DataFrame(rows, columns=["rule", "where", "shadow_price", "units", "rule_description"])
        return table.reindex(table["shadow_price"].abs().sort_values(ascending=False).index).reset_index(drop=True)

    def ledger_frame(self) -> pd.DataFrame:
        """The appropriations account in long format: one row per instrument and year, its terms as columns
        (EUR m): available, carried_in, committed, carried_out, lapsed, not_used, lost_at_cutoff, payments_due,
        payments_made and payment_appropriations (empty where not limited).

        Examples
        --------
        >>> import fundsim as fs
        >>> frame = fs.solve(fs.load_scenario("scenarios/tutorial.yaml")).ledger_frame()
        >>> [str(v) for v in frame.loc[0, ["instrument", "year", "available", "committed", "lapsed"]]]
        ['tpma', '2009', '10.0', '10.0', '0.0']
        """
        book = self.ledger()
        names = ["available", "carried_in", "committed", "carried_out", *APPROPRIATION_TERMS[2:], "payments_due",
                 "payments_made", "payment_appropriations"]
        frame = book[names].to_dataframe().reset_index()
        frame["payment_appropriations"] = frame["payment_appropriations"].where(
            np.isfinite(frame["payment_appropriations"]))
        return frame

    def to_frame(self) -> pd.DataFrame:
        """Long format: one row per eligible cell, columns eu, cofin, total, payments (EUR m)."""
        frame = self.data[["eu", "cofin", "total", "payments", "eligible"]].to_dataframe()
        frame = frame[frame["eligible"]].drop(columns=["eligible", "pillar", "group"], errors="ignore")
        return frame.reset_index()

    # export ------------------------------------------------------------------------------------------
    def save(self, path: str | Path) -> Path:
        """Write to NetCDF (``.nc``: everything, shadow prices and ranging included), CSV (``.csv``: the
        allocation in long format) or Excel (``.xlsx``: allocation, summaries, shadow prices, metadata),
        chosen by the suffix.

        Every file is written atomically (to a temporary name beside ``path``, renamed into place when
        complete) and text cells of CSV and Excel files that a spreadsheet would read as formulas are
        neutralised (see :mod:`fundsim.outputs`). Nothing but ``path`` is written: the shadow prices of a
        CSV go to a file of their own, :meth:`save_shadow_prices`.
        """
        path = Path(path)
        writers = {".nc": self.to_netcdf, ".csv": self.to_csv, ".xlsx": self.to_excel}
        if path.suffix not in writers:
            raise ArgumentError(f"cannot write {path.name!r}: use a .nc, .csv or .xlsx file")
        writers[path.suffix](path)
        return path

    def to_netcdf(self, path: str | Path) -> None:
        ds = self.data.copy()
        ds["eligible"] = ds["eligible"].astype("int8")
        for name, da in self.duals.data_vars.items():
            ds[shadow_price_name(str(name))] = placed(ds, str(name), da)
        ranging = self._ranging_if_any()
        for name, da in ranging.data_vars.items():
            ds[ranging_name(str(name))] = placed(ds, str(name), da)
        if ranging.data_vars:
            ds.attrs["ranging"] = ranging.attrs["ranging"]
        ds.attrs = {k: (str(v) if isinstance(v, bool) else v) for k, v in ds.attrs.items()}
        with atomic_file(path) as tmp:
            ds.to_netcdf(tmp)

    def _ranging_if_any(self) -> xr.Dataset:
        """The exact ranging if computed, else the basis's; an empty Dataset where there is none (MILP,
        another backend, an old file)."""
        try:
            return self._ranging["exact"] if "exact" in self._ranging else self.ranging()
        except SolverError:
            return xr.Dataset()

    def to_csv(self, path: str | Path) -> None:
        """Write the allocation in long format (:meth:`to_frame`) to the CSV file ``path``, and nothing else."""
        write_csv(self.to_frame(), path, index=False)

    def save_shadow_prices(self, path: str | Path) -> Path:
        """Write the binding rules and their shadow prices (:meth:`binding_rules`) to the CSV file ``path``."""
        return write_csv(self.binding_rules(), path, index=False)

    def to_excel(self, path: str | Path) -> None:
        metadata = pd.Series(self.data.attrs, name="value", dtype=object).to_frame()
        write_excel(path, [("allocation", self.to_frame(), False),
                           *((f"by_{by}", self.summary(by), True) for by in ("pillar", "group", "instrument", "year")),
                           ("unused_money", self.unused_money(), True), ("ledger", self.ledger_frame(), False),
                           ("shadow_prices", self.binding_rules(), False), ("metadata", metadata, True)])

    # display -----------------------------------------------------------------------------------------
    def __repr__(self) -> str:
        a = self.data.attrs
        return (f"<Allocation {a.get('scenario')!r}: {a.get('status')}, objective {a.get('objective'):.6g}, "
                f"EU {float(self.data['eu'].sum()):.1f} EUR m, co-financing {float(self.data['cofin'].sum()):.1f}>")

    def _repr_html_(self) -> str:
        a = self.data.attrs
        head = (f"<h4>Allocation of {html.escape(str(a.get('scenario')))}</h4><p>status <b>{a.get('status')}</b>, "
                f"objective <b>{a.get('objective'):.6g}</b>, solver {a.get('solver')} {a.get('solver_version')}</p>")
        fmt = {"float_format": lambda v: f"{v:,.2f}"}
        return (head + "<h5>By pillar (EUR m)</h5>" + self.by_pillar().to_html(**fmt)
                + "<h5>By region group (EUR m)</h5>" + self.by_group().to_html(**fmt)
                + "<h5>Binding rules</h5>" + self.binding_rules().head(15).to_html(index=False, **fmt))


def _columns(lp: LinearProgram, result: SolveResult, name: str) -> np.ndarray:
    """A ledger block of the LP as an (instrument, year) array, 0 where the block has no column."""
    if name not in lp.variables:
        return np.zeros((len(lp.variables["eu"].coords[0]), len(lp.variables["eu"].coords[3])))
    values = block_array(lp.variables[name], result.x, fill=0.0).values
    return np.where(np.abs(values) < 1e-9, 0.0, values)


#: a mixed-integer solve's figures kept in the attrs: the relative gap and time limit it was asked for, the relative
#: gap it proved (``|objective − bound| / |objective|`` of the MILP's incumbent) and the bound on the optimum
MIP_ATTRS = ("mip_rel_gap", "time_limit", "mip_gap", "mip_bound")


def _metadata(sc: Scenario, result: SolveResult) -> dict[str, Any]:
    return {
        "scenario": sc.name,
        "scenario_hash": sc.digest,
        "scenario_file": sc.source_file or "",
        "solver": result.solver,
        "solver_version": result.solver_version,
        "status": result.status.value,
        "objective": float(result.objective),
        "sense": "maximise" if sc.objective.sense == "max" else "minimise",
        "solve_seconds": float(result.seconds),
        "shadow_prices": str(result.info.get("shadow_prices", "exact")),
        "fundsim_version": __version__,
        "created": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        **{key: float(result.info[key]) for key in MIP_ATTRS if key in result.info},
    }


def open_allocation(path: str | Path) -> Allocation:
    """Read an allocation written with :meth:`Allocation.save` to NetCDF.

    Raises
    ------
    TypeError
        when ``path`` is not a ``str`` or ``os.PathLike``
    AllocationFileError
        for a missing file, one that is not a regular file (a named pipe), one above the limit ``file_bytes``,
        or a file that is not an allocation: it says what the file is instead (a Monte Carlo run, a
        sensitivity study, a CSV or Excel file for :func:`fundsim.read_allocation`, another program's NetCDF).

    Examples
    --------
    >>> import pathlib, tempfile, fundsim as fs
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "tutorial.nc"
    >>> _ = fs.solve("scenarios/tutorial.yaml").save(path)
    >>> alloc = open_allocation(path)
    >>> alloc.objective, alloc.duals["absorption"].sel(region="north_africa").values.tolist()
    (130.0, [0.5, 0.5])
    """
    from fundsim.results.inputs import as_path, open_stored

    ds = open_stored(as_path(path))
    names = [str(k) for k in ds.data_vars]

    def part(prefix: str) -> xr.Dataset:
        return xr.Dataset({k.removeprefix(prefix): unplaced(k.removeprefix(prefix), ds[k])
                           for k in names if k.startswith(prefix)})

    data = ds[[k for k in names if not k.startswith((SHADOW_PRICE, RANGING))]].drop_vars("interval", errors="ignore")
    data["eligible"] = data["eligible"].astype(bool)
    ranging = part(RANGING)
    ranging.attrs["ranging"] = data.attrs.pop("ranging", "basis")
    return Allocation(data, part(SHADOW_PRICE), ranging=ranging if ranging.data_vars else None)

