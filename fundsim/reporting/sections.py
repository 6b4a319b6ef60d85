"""The report's sections: the scenario, its allocation, binding rules and shadow prices, a comparison
with other allocations, and Monte Carlo summaries. Each function returns one :class:`Section`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from fundsim import plots
from fundsim.comparison import Comparison
from fundsim.formats import Kind, number
from fundsim.model import Scenario
from fundsim.montecarlo import binding_frequency, summary, target_probabilities
from fundsim.reporting.pages import Section, render
from fundsim.results import Allocation
from fundsim.results.names import shadow_prices_of
from fundsim.rules import families, user_rule

__all__ = ["allocation_section", "comparison_section", "ledger_section", "overview_section", "rules_section",
           "simulation_section"]


def overview_section(sc: Scenario) -> Section:
    """What the scenario holds: its horizon, instruments with their money, and its rules.

    Examples
    --------
    >>> import fundsim as fs
    >>> section = overview_section(fs.load_scenario("scenarios/tutorial.yaml"))
    >>> section.title, section.parts[1].split(";")[0]
    ('Scenario: tutorial', '<p>2 years (2009–2010), 2 instruments, 3 priorities in 3 pillars, 2 regions')
    """
    s = Section("scenario", f"Scenario: {sc.name}")
    if sc.description:
        s.text(sc.description)
    s.text(f"{len(sc.years)} years ({sc.years[0]}–{sc.years[-1]}), {len(sc.instruments)} instruments, "
           f"{len(sc.priorities)} priorities in {len(sc.pillars)} pillars, {len(sc.regions)} regions; "
           f"objective: {'maximise' if sc.objective.sense == 'max' else 'minimise'}.")
    rows = [{"instrument": i.id, "name": i.name, "envelope (EUR m)": float(np.sum(i.envelope)),
             "usable (EUR m)": float(np.sum(i.usable)), "regions": len(i.regions), "priorities": len(i.priorities),
             "max EU rate (co-financing)": i.cofinancing.max_eu_share,
             "payment profile": ", ".join(map(str, i.payment_profile)),
             "budget": _nature(i), "deadline": i.budget.deadline.words()} for i in sc.instruments]
    s.table(pd.DataFrame(rows), "Instruments over the whole horizon", index=False,
            kinds={"envelope (EUR m)": "money", "usable (EUR m)": "money", "regions": "count", "priorities": "count",
                   "max EU rate (co-financing)": "share"})
    s.table(pd.Series(rule_counts(sc), name="rules").to_frame(), "Rules by family", kinds="count")
    return s


_SUMMARY: dict[str, Kind] = {"eu": "money", "cofin": "money", "total": "money", "share_of_eu": "share",
                             "share_of_region": "share"}
"""The kinds of the columns of the allocation's summaries."""


def _nature(ins: Any) -> str:
    """``general budget, lapses`` / ``fund, cut-off 2013``: an instrument's budget nature in words."""
    b = ins.budget
    if b.nature == "fund":
        return "fund" + (f", cut-off {b.cutoff}" if b.cutoff is not None else "")
    unused = "unused money lapses" if b.unused == "lapses" else "unused money returns"
    carry = f", carries over up to {b.carry_share:.0%}" if b.carry_share else ""
    return f"general budget, {unused}{carry}"


def ledger_section(alloc: Allocation) -> Section:
    """The money ledger: what the plan leaves of its commitment appropriations (lapsed, not used for this policy,
    lost at a fund's cut-off, still available), and what becomes of the commitments (paid, decommitted,
    outstanding at the horizon), by instrument.

    Examples
    --------
    >>> import fundsim as fs
    >>> section = ledger_section(fs.solve("scenarios/gam-2008.yaml"))
    >>> section.title, "141.9" in section.parts[0]
    ('Money ledger: where every euro goes', True)
    """
    s = Section("ledger", "Money ledger: where every euro goes")
    book = alloc.ledger()
    left = alloc.unused_money()
    total = float(left.to_numpy().sum())
    worst = left.sum(axis=1).sort_values(ascending=False)
    named = ", ".join(f"{i} EUR {v:,.1f} m" for i, v in worst.items() if v > 5e-4)
    voted = float((book["available"] - book["carried_in"]).sum() + book["carried_in"].isel(year=0).sum())
    s.text(f"Of EUR {voted:,.1f} m of commitment appropriations for this policy (each year's, and what was carried "
           f"into the first) the plan commits EUR {float(book['committed'].sum()):,.1f} m and leaves EUR {total:,.1f} m"
           + (f": {named}." if named else "."))
    heads = {"lapsed": "lapsed", "not_used": "not used for this policy", "lost_at_cutoff": "lost at the cut-off",
             "still_available": "still available"}
    s.table(left.rename(columns=heads), "Money not committed over the horizon, by instrument (EUR m): lapsed "
            "at year end, not used for this policy (returns to the instrument's other objectives), lost at a fund's "
            "cut-off, still available after the last year", kinds="money")
    cohorts = pd.DataFrame({
        "committed": book["cohort_committed"].sum("cohort").to_pandas(),
        "paid before the first year": book["cohort_paid_before"].sum("cohort").to_pandas(),
        "paid in the horizon": book["cohort_paid"].sum(("cohort", "year")).to_pandas(),
        "decommitted": book["cohort_decommitted"].sum("cohort").to_pandas(),
        "outstanding at the end (RAL)": book["cohort_outstanding"].sum("cohort").to_pandas(),
    })
    s.table(cohorts, "Commitments (the opening position's included) and what becomes of them, by instrument (EUR m)",
            kinds="money")
    limited = np.isfinite(book["payment_appropriations"].values).any(axis=1)
    if limited.any():
        pay = book[["payments_due", "payments_made", "payment_appropriations"]].isel(
            instrument=np.flatnonzero(limited)).to_dataframe()
        pay["waiting"] = (book["payments_due"] - book["payments_made"]).isel(
            instrument=np.flatnonzero(limited)).cumsum("year").to_dataframe(name="w")["w"]
        words = {"payments_due": "falling due", "payments_made": "paid",
                 "payment_appropriations": "payment appropriations", "waiting": "due, not yet paid"}
        s.table(pay.rename(columns=words),
                "Payments against payment appropriations (EUR m): what falls due, what is paid (later than due where "
                "the appropriations are short), and what has fallen due and waits", kinds="money")
    return s


def rule_counts(sc: Scenario) -> dict[str, int]:
    """How many rules of each section of the scenario's ``rules:`` (read from the rule families' declarations):
    the entries of a list, 1 for a single rule that is set; sections with none are left out.

    Examples
    --------
    >>> import fundsim as fs
    >>> rule_counts(fs.load_scenario("scenarios/tutorial.yaml"))
    {'pillar balance': 1}
    """
    counts = {}
    for f in families():
        for section in f.sections:
            value = getattr(sc.rules, section.key)
            n = len(value) if isinstance(value, tuple) else int(value is not None)
            if n:
                counts[section.key.replace("_", " ")] = n
        if f.entry is not None and sc.rules.of(f.name):
            counts[f.name.replace("_", " ")] = len(sc.rules.of(f.name))
    return counts


def allocation_section(alloc: Allocation) -> Section:
    """The allocation's headline numbers, its totals by pillar, region group, instrument and year, and
    its figures (stacked bars, flows instrument → pillar → region group).

    Examples
    --------
    >>> import re, matplotlib
    >>> matplotlib.use("Agg")
    >>> import fundsim as fs
    >>> section = allocation_section(fs.solve("scenarios/tutorial.yaml"))
    >>> re.findall(r'<figure id="([^"]+)"', section.html())
    ['fig-allocation-pillar', 'fig-allocation-group', 'fig-allocation-flow']
    """
    s = Section("allocation", "Allocation")
    a = alloc.data.attrs
    eu, cofin = float(alloc.data["eu"].sum()), float(alloc.data["cofin"].sum())
    s.text(f"Status {a.get('status')}, objective {number(a['objective'], 2)} ({a.get('sense', '')}), solved by "
           f"{a.get('solver')} {a.get('solver_version')}: EU commitments EUR {eu:,.1f} m, co-financing "
           f"mobilised EUR {cofin:,.1f} m.")
    for by, title in (("pillar", "By pillar"), ("group", "By region group"), ("instrument", "By instrument"),
                      ("year", "By year")):
        s.table(alloc.summary(by), f"{title} (EUR m; share_of_eu is the share of all EU money)", kinds=_SUMMARY)
    countries = alloc.by_country()
    if len(countries):
        s.table(countries, "Countries planned on their own (EUR m; share_of_region is the share of the region's "
                "EU money)", kinds=_SUMMARY)
        s.table(alloc.by_region(), "By region, countries included (EUR m; share_of_eu is the share of all EU "
                "money)", kinds=_SUMMARY)
    s.figure(render("fig-allocation-pillar", "EU money by pillar", lambda: plots.stacked_bars(alloc, by="pillar")))
    s.figure(render("fig-allocation-group", "EU money by region group",
                    lambda: plots.stacked_bars(alloc, by="group")))
    s.figure(render("fig-allocation-flow", "Flows of EU money: instrument → pillar → region group",
                    lambda: plots.flow_chart(alloc)))
    return s


def rules_section(alloc: Allocation, top: int = 30) -> Section:
    """The binding rules, largest shadow price first, with a bar chart of the largest.

    Examples
    --------
    >>> import re, matplotlib
    >>> matplotlib.use("Agg")
    >>> import fundsim as fs
    >>> section = rules_section(fs.solve("scenarios/tutorial.yaml"), top=3)
    >>> "The 3 largest of 7 binding rules" in section.html()
    True
    """
    s = Section("binding-rules", "Binding rules and shadow prices")
    s.text("A shadow price is the change of the objective per unit of relaxation of a rule (per EUR m, or per "
           "percentage point for share rules) at the optimum; rules with no price do not bind. "
           f"Shadow prices here are {alloc.data.attrs.get('shadow_prices', 'exact')}.")
    table = alloc.binding_rules()
    s.table(table.head(top), f"The {min(top, len(table))} largest of {len(table)} binding rules", index=False,
            kinds={"shadow_price": "number"}, decimals={"shadow_price": 4})
    if len(table):
        s.figure(render("fig-shadow-prices", "Largest shadow prices", lambda: plots.shadow_price_bars(alloc)))
    return s


def comparison_section(comparison: Comparison) -> Section:
    """Objectives and gaps, metrics, rule violations and the attribution of each allocation's gap to the
    optimum, with bars by pillar and a heatmap of differences for each allocation against the first.

    Examples
    --------
    >>> import re, matplotlib
    >>> matplotlib.use("Agg")
    >>> import fundsim as fs
    >>> section = comparison_section(fs.compare(fs.solve("scenarios/tutorial.yaml")))
    >>> section.id, re.findall(r'<figure id="(fig-[^"]+)"', section.html())
    ('comparison', ['fig-comparison-pillar', 'fig-comparison-group'])
    """
    s = Section("comparison", "Comparison of allocations")
    s.table(comparison.gap, "Objective and gap to the optimum",
            kinds={"objective": "number", "optimum": "number", "gap": "number", "gap_percent": "percent"},
            decimals={"objective": 2, "optimum": 2, "gap": 2})
    s.table(comparison.metrics, "Metrics (see fundsim.comparison.metrics for definitions; each row in its units)",
            kinds="number")
    s.table(comparison.compliance, "Rules each allocation breaks, with the size of the breach", index=False,
            kinds={"size": "number"}, decimals={"size": 2})
    for name in comparison.names:
        attribution = comparison.attribution(name)
        s.table(attribution.by_rule.head(15), f"Why the optimum scores {number(attribution.gap, 2)} more than "
                f"{name}: contributions of rules and cells", index=False,
                kinds={"contribution": "number", "share_of_gap": "share"}, decimals={"contribution": 2})
    s.figure(render("fig-comparison-pillar", "EU money by pillar, each allocation",
                    lambda: plots.stacked_bars(comparison, by="pillar")))
    s.figure(render("fig-comparison-group", "EU money by region group, each allocation",
                    lambda: plots.stacked_bars(comparison, by="group")))
    first = comparison.names[0]
    for n, name in enumerate(comparison.names[1:], start=1):
        s.figure(render(f"fig-difference-{n}", f"{name} minus {first}: EU money by region and priority",
                        lambda name=name: plots.difference_heatmap(comparison, first, name)))
    return s


def simulation_section(run: xr.Dataset, sc: Scenario | None = None) -> Section:
    """A Monte Carlo run's provenance, summary statistics, how often rules bind, the probability of meeting
    targets, and its figures.

    Examples
    --------
    >>> import re, matplotlib
    >>> matplotlib.use("Agg")
    >>> import fundsim as fs
    >>> run = fs.simulate(fs.load_scenario("scenarios/tutorial-uncertain.yaml"), draws=8, seed=7)
    >>> re.findall(r'<figure id="([^"]+)"', simulation_section(run).html())
    ['fig-mc-distribution', 'fig-mc-fan', 'fig-mc-binding', 'fig-mc-shadow']
    """
    s = Section("monte-carlo", "Monte Carlo")
    a = run.attrs
    keys = ("mode", "draws", "design", "seed", "scenario", "scenario_hash", "wall_seconds", "fundsim_version")
    s.table(pd.Series({k: str(a[k]) for k in keys if k in a}, name="value").to_frame(), "Run")
    s.table(summary(run), "Outputs over the draws: mean, standard deviation and quantiles (each row in its units)",
            kinds={"draws": "count", **dict.fromkeys(("mean", "sd", "q05", "q25", "q50", "q75", "q95"), "number")})
    if "status" in run:
        s.table(pd.Series(run["status"].values).value_counts().rename("draws").to_frame(), "Draws by status",
                kinds="count")
    frequency = binding_frequency(run) if any(map(user_rule, shadow_prices_of(run))) else None
    if frequency is not None:
        s.table(frequency.head(20), "How often each rule binds among the optimal draws (top 20); infeasible_share is "
                "the share of all draws, with no optimal allocation, left out", index=False,
                kinds={"binds_in": "share", "mean_price_when_binding": "number", "infeasible_share": "share"})
    if sc is not None:
        s.table(target_probabilities(run, sc), "Probability of meeting each target", index=False,
                kinds={"probability": "share"})
    name = "objective" if "objective" in run else "realised_objective"
    s.figure(render("fig-mc-distribution", f"Distribution of {name} over the draws",
                    lambda: plots.distribution(run, name)))
    if "eu_by_year" in run:
        s.figure(render("fig-mc-fan", "EU commitments by year: median and bands", lambda: plots.fan_chart(run)))
    if frequency is not None:
        s.figure(render("fig-mc-binding", "Share of the optimal draws in which each rule binds",
                        lambda: plots.binding_bars(run)))
        top = frequency["rule"].iloc[0] if len(frequency) else None
        if top is not None:
            s.figure(render("fig-mc-shadow", f"Shadow prices of {top} over the draws",
                            lambda: plots.shadow_price_box(run, top)))
    if "lost_to_decommitment" in run:
        s.figure(render("fig-mc-lost", "EU money lost to decommitment over the draws",
                        lambda: plots.distribution(run, "lost_to_decommitment")))
    return s


def comparison_of(alloc: Allocation, others: Sequence[Allocation], sc: Scenario) -> Comparison:
    """The optimum first, then the other allocations."""
    from fundsim.comparison import compare

    return compare(alloc, *others, scenario=sc)
