"""What a rule family declares, once, and the registry every consumer of rules reads.

A :class:`RuleFamily` states everything fundsim needs to know about one kind of rule: the ``define`` function
that writes its rows (equation in its docstring), and, per row block it writes (:class:`Rows`), the block's
dims, the meaning of its shadow price in policy words, its role (a user's rule, a definition, or a link that
prices money), the base of its share if it is a share rule, and how diagnosis makes it give way
(:class:`Repair`, as data). The family also gives its violation check (used by :mod:`fundsim.testing` and by
compare) and, for a family registered from outside fundsim, its part of the scenario format.

Labelling, ranging, Monte Carlo binding summaries, the frontier, diagnosis, compare and the report read these
declarations through :func:`row_spec` and :func:`families`; none of them names a family. A new family is one
module that calls :func:`register`.

Examples
--------
>>> from fundsim.rules import families, row_spec
>>> row_spec("envelope").dual
"objective gained per EUR m more of the instrument's usable envelope in that year"
>>> row_spec("total_eu_definition").role
'internal'
>>> "pillar_balance" in [f.name for f in families()]
True
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from fundsim.model import Rules, Scenario
from fundsim.rules.entries import Section
from fundsim.rules.program import Block, ProgramBuilder
from fundsim.rules.rows import MONEY, Cells

if TYPE_CHECKING:
    from fundsim.rules.checking import Plan, Violation

__all__ = [
    "Assembly",
    "Columns",
    "Repair",
    "Role",
    "Rows",
    "RuleFamily",
    "Target",
    "column_spec",
    "families",
    "register",
    "registered",
    "reported",
    "row_spec",
    "unregister",
    "user_rule",
]

Role = Literal["rule", "internal", "link"]
"""``rule``: a user's number (reported, ranged, relaxed in diagnosis); ``internal``: a definition (no shadow
price to report); ``link``: ties helper columns to the money (its price is the marginal value of money in a
cell; its bound 0 is no user's number, so it is not ranged or relaxed)."""

Target = Literal["usable_envelope", "match_source_capacity", "absorption_capacity", "payment_budget",
                 "outstanding_limit", "rule"]


@dataclass(frozen=True)
class Repair:
    """How diagnosis makes a row of the family give way, as data.

    Attributes
    ----------
    subject : the rule in words, a format string over the row's labels and ``{bound}`` ("minimum" or
        "maximum"), e.g. ``"the usable envelope of {instrument!r} in {year}"``
    target : which number of the scenario moves: ``usable_envelope`` (an instrument's usable envelope, the
        envelope in proportion), ``match_source_capacity`` (a match source's capacity), ``absorption_capacity``
        (a region's absorption capacity), ``payment_budget`` (an instrument's payment appropriations in a
        year), ``outstanding_limit`` (an instrument's limit on commitments outstanding at the horizon), or
        ``rule`` (a bound of one of the rules in ``sc.rules``)
    section : for ``rule``: the rules' field of :class:`~fundsim.model.Rules` (``"caps"``), or the name of a
        registered family whose entries are in ``sc.rules.registered``
    key, dim : for ``rule``: the entry whose attribute ``key`` equals the row's label on ``dim``; ``key`` may
        name a function of the scenario giving each entry's label (see :data:`Repair.labels`)
    lower, upper : the entry's fields that move when the lower or the upper side gives way
    labels : for ``rule``: the labels of the entries in order, when they are not an attribute

    Examples
    --------
    >>> row_spec("envelope").repair.words({"instrument": "enpi", "year": 2010}, "upper")
    "the usable envelope of 'enpi' in 2010"
    >>> row_spec("region_limits").repair.words({"region": "north_africa"}, "lower")
    "the minimum for the region 'north_africa'"
    """

    subject: str
    target: Target = "rule"
    section: str = ""
    key: str = "id"
    dim: str = ""
    lower: str = "min"
    upper: str = "max"
    labels: Callable[[Scenario], tuple[Any, ...]] | None = None

    def words(self, where: Mapping[str, Any], side: str) -> str:
        """The rule in words for the row labelled ``where``, relaxed on ``side`` (``lower`` or ``upper``)."""
        return self.subject.format(**where, bound="minimum" if side == "lower" else "maximum")


@dataclass(frozen=True)
class Rows:
    """One row block a family writes, as the rest of fundsim reads it.

    Attributes
    ----------
    name : the block's name in the :class:`~fundsim.lp.LinearProgram`
    dims : its dims
    dual : the meaning of its shadow price in policy words, per unit of relaxation of the rule (objective gained
        per EUR m more of a maximum, or less of a minimum; per percentage point for share rules)
    role : see :data:`Role`
    long_name : the rule in a few words (the block's ``long_name``)
    share_of : for a share rule, the money its share is taken of, in words (``"all EU commitments"``); the base
        of each row is in the block (:func:`fundsim.rules.program.share_base`)
    repair : how diagnosis relaxes it; ``None`` keeps it hard
    row_unit : the unit of one unit of relaxation of a row (``"objective per EUR m"`` for rows written in money)

    Examples
    --------
    >>> rows = Rows("east_share", ("region",), "objective gained per point", share_of="the region's EU money")
    >>> rows.unit, rows.ranged, rows.reported
    ('objective per percentage point', True, True)
    >>> row_spec("total_eu_definition").reported  # a definition, not a rule
    False
    """

    name: str
    dims: tuple[str, ...]
    dual: str
    role: Role = "rule"
    long_name: str = ""
    share_of: str | None = None
    repair: Repair | None = None
    row_unit: str = MONEY

    @property
    def unit(self) -> str:
        """The unit of the shadow price as fundsim reports it (share rules: per percentage point)."""
        return "objective per percentage point" if self.share_of else self.row_unit

    @property
    def ranged(self) -> bool:
        """Whether ranging reports an interval for its bound (a user's number)."""
        return self.role == "rule"

    @property
    def reported(self) -> bool:
        """Whether its shadow prices are reported (every block but definitions)."""
        return self.role != "internal"


@dataclass(frozen=True)
class Columns:
    """Columns a family adds beside the money, as compare reads them.

    Attributes
    ----------
    name : the variable block's name in the :class:`~fundsim.lp.LinearProgram`
    words : what its reduced cost means, for the attribution of a gap
    point : ``point(sc, eu, block, upper)``, the values the columns take for an allocation's EU money ``eu``
        (the cube over instrument × priority × region × year, eligible cells only), at their best given that
        money; ``upper`` holds the block's column bounds
    slack : the columns take up what their rows leave (appropriations left unused, payments made later): a
        restricted programme (sifting's working set) always keeps them, or a change of right-hand side could make
        it infeasible
    headroom : the columns are their rows' headroom, not the rule's subject (appropriations carried over and
        left unused): a rule's status measures its rows without them — what enters with a positive coefficient
        is what the row leaves, what enters with a negative one (carried in) adds to its bound
    canonical : the programme leaves these columns free wherever nothing binds (payments made later than due
        cost nothing): reports read them at their ``point`` values given the plan's money, a schedule that does
        not depend on which optimal vertex the solver returned

    Examples
    --------
    The column ``E`` is all EU money, whatever the allocation (here 15 + 35):

    >>> import numpy as np
    >>> import fundsim as fs
    >>> sc = fs.load_scenario("scenarios/tutorial.yaml")
    >>> eu = np.zeros((2, 3, 2, 2))
    >>> eu[0, 2, 0, 0], eu[1, 1, 0, 1] = 15.0, 35.0
    >>> column_spec("total_eu").point(sc, eu, None, np.array([np.inf]))
    array([50.])
    """

    name: str
    words: str
    point: Callable[[Scenario, np.ndarray, Block, np.ndarray], np.ndarray]
    slack: bool = False
    headroom: bool = False
    canonical: bool = False


@dataclass(eq=False)
class Assembly:
    """What a family's ``define`` gets: the builder, the scenario, the eligible cells and the EU cells' costs.

    ``cost`` is the objective coefficient of each cell's ``eu`` (objective terms add to it in place). The
    aggregate column ``E`` and the integer rules' shared pieces are made on first use, so the first family that
    needs one creates it.

    Examples
    --------
    >>> import numpy as np
    >>> import fundsim as fs
    >>> from fundsim.lp.assembly import define_eu
    >>> from fundsim.rules.program import ProgramBuilder
    >>> sc = fs.load_scenario("scenarios/tutorial.yaml")
    >>> b = ProgramBuilder()
    >>> a = Assembly(b, sc, define_eu(b, sc), np.zeros(20))
    >>> a.cells.n, a.once("answer", lambda a: [42]) is a.once("answer", lambda a: [0])
    (20, True)
    """

    b: ProgramBuilder
    sc: Scenario
    cells: Cells
    cost: np.ndarray
    shared: dict[str, Any] = field(default_factory=dict)

    def once(self, key: str, make: Callable[[Assembly], Any]) -> Any:
        """``make(self)`` the first time ``key`` is asked for, the same value after (e.g. the column ``E``)."""
        if key not in self.shared:
            self.shared[key] = make(self)
        return self.shared[key]


@dataclass(frozen=True)
class RuleFamily:
    """One rule family, declared once (see the module docstring).

    Attributes
    ----------
    name : the family's name (for a registered family, also its key under ``rules:`` in a scenario)
    rows : the row blocks it writes
    define : writes its rows (and any columns) into an :class:`Assembly`, the equation in its docstring
        (``None`` for a rule that needs no rows of its own, such as co-financing at the cells' rate)
    check : its violation check on an allocation's numbers, independent of the LP (``None``: nothing to check,
        e.g. an objective term)
    order : its place in the programme (rows are written in this order; 0–199 are fundsim's own)
    columns : the columns it adds beside the money, and how an allocation's money sets them
    sections : its part of the scenario format, for fundsim's own families: each a key under ``rules:`` that is a
        field of :class:`fundsim.model.Rules` (:class:`fundsim.rules.entries.Section`)
    entry : for a family registered from outside fundsim, the pydantic model of one entry of its list under
        ``rules:``; the loader validates it with located errors and keeps the entries in
        ``Scenario.rules.registered[name]``
    build : turns the validated entries into domain objects, frozen dataclasses (default: the validated entries
        themselves, frozen pydantic models)
    doc : its section of the scenario format, in Markdown

    Examples
    --------
    >>> from fundsim.rules.envelope import FAMILY
    >>> FAMILY.order, [r.name for r in FAMILY.rows], FAMILY.check.__name__
    (30, ['envelope'], 'check_envelope')
    >>> RuleFamily("toy_rule", (), None).order  # a family from outside fundsim comes after fundsim's own
    1000
    """

    name: str
    rows: tuple[Rows, ...]
    define: Callable[[Assembly], None] | None
    check: Callable[[Plan], list[Violation]] | None = None
    order: int = 1000
    columns: tuple[Columns, ...] = ()
    sections: tuple[Section, ...] = ()
    entry: type | None = None
    build: Callable[[tuple[Any, ...]], tuple[Any, ...]] | None = None
    doc: str = ""


_FAMILIES: dict[str, RuleFamily] = {}


def register(family: RuleFamily) -> RuleFamily:
    """Add a family to the registry (a module's ``FAMILY = register(RuleFamily(...))``); returns it.

    Raises ``ValueError`` when a family of that name, or a row block of the same name, is already registered.

    Examples
    --------
    >>> toy = RuleFamily("toy_rule", (Rows("toy_rows", ("region",), "objective gained per EUR m"),), None)
    >>> register(toy) is toy, row_spec("toy_rows").dims
    (True, ('region',))
    >>> unregister("toy_rule")
    >>> try:
    ...     register(RuleFamily("envelope", (), None))
    ... except ValueError as exc:
    ...     print(exc)
    a rule family named 'envelope' is already registered
    """
    if family.name in _FAMILIES:
        raise ValueError(f"a rule family named {family.name!r} is already registered")
    own = {f.name for f in dataclasses.fields(Rules)} - {"registered"}
    strange = sorted(s.key for s in family.sections if s.key not in own)
    if strange:
        raise ValueError(f"the rule family {family.name!r} declares sections {', '.join(strange)}, which are not "
                         f"fields of fundsim.model.Rules; a family from outside fundsim declares its entries with "
                         f"entry= (they are kept in Scenario.rules.of({family.name!r}))")

    taken = {r.name for f in _FAMILIES.values() for r in f.rows}
    clash = sorted(taken & {r.name for r in family.rows})
    if clash:
        raise ValueError(f"the rule family {family.name!r} writes row blocks already written by another family: "
                         f"{', '.join(clash)}")
    _FAMILIES[family.name] = family
    _row_specs.cache_clear()
    _column_specs.cache_clear()
    return family


def unregister(name: str) -> None:
    """Remove a registered family (for tests that register one of their own).

    Examples
    --------
    >>> toy = RuleFamily("toy_rule", (Rows("toy_rows", ("region",), "objective gained per EUR m"),), None)
    >>> _ = register(toy)
    >>> unregister("toy_rule")
    >>> row_spec("toy_rows") is None, "toy_rule" in [f.name for f in families()]
    (True, False)
    """
    _FAMILIES.pop(name, None)
    _row_specs.cache_clear()
    _column_specs.cache_clear()


@contextmanager
def registered(family: RuleFamily) -> Iterator[RuleFamily]:
    """``with registered(family):`` the family is in the registry for the block, and removed after.

    Examples
    --------
    >>> toy = RuleFamily("toy_rule", (Rows("toy_rows", ("region",), "objective gained per EUR m"),), None)
    >>> with registered(toy):
    ...     print(row_spec("toy_rows").dual)
    objective gained per EUR m
    >>> row_spec("toy_rows") is None
    True
    """
    register(family)
    try:
        yield family
    finally:
        unregister(family.name)


def families() -> tuple[RuleFamily, ...]:
    """Every registered family, in the order its rows are written (fundsim's own are registered when
    :mod:`fundsim.rules` is first imported, which importing any of its modules does).

    Examples
    --------
    >>> [f.name for f in families()][:5]  # the impact term's columns first, then the envelopes (order 10, 20, 30 …)
    ['impact', 'leverage', 'envelope', 'cutoff', 'cofinancing']
    """
    return tuple(sorted(_FAMILIES.values(), key=lambda f: (f.order, f.name)))


@functools.cache
def _row_specs() -> dict[str, Rows]:
    return {r.name: r for f in families() for r in f.rows}


@functools.cache
def _column_specs() -> dict[str, Columns]:
    return {c.name: c for f in families() for c in f.columns}


def column_spec(name: str) -> Columns | None:
    """The declaration of the variable block ``name`` a family adds (``None``: no family declares it).

    Examples
    --------
    >>> column_spec("shortfall").words
    'reduced cost of the shortfall against a goal'
    >>> column_spec("eu") is None  # the money itself is no family's
    True
    """
    return _column_specs().get(name)


def row_spec(name: str) -> Rows | None:
    """The declaration of the row block ``name`` (``None`` for a block no family declares).

    Examples
    --------
    >>> row_spec("absorption").dims, row_spec("absorption").role
    (('region', 'year'), 'rule')
    >>> row_spec("no_such_block") is None
    True
    """
    return _row_specs().get(name)



def reported(name: str) -> bool:
    """Whether the shadow prices of row block ``name`` are reported (every block but definitions; a block no
    family declares, such as one a study adds, is reported).

    Examples
    --------
    >>> reported("envelope"), reported("total_eu_definition"), reported("a_study_block")
    (True, False, True)
    """
    spec = row_spec(name)
    return spec is None or spec.reported


def user_rule(name: str) -> bool:
    """Whether row block ``name`` states a user's rule (not a definition or a link): it is ranged, counted in
    binding summaries and the frontier; a block no family declares counts as one.

    Examples
    --------
    >>> user_rule("envelope"), user_rule("impact_link"), user_rule("total_eu_definition")
    (True, False, False)
    """
    spec = row_spec(name)
    return spec is None or spec.ranged
