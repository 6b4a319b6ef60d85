"""Structural mutations of shipped inputs for the fuzz tests (tests/test_fuzz.py).

A mutation picks one place in a parsed file (a mapping key, a list entry or a leaf, reached by a random walk)
and drops, duplicates, retypes, nests or enlarges it. The mutated data is written back as YAML (scenarios) or
CSV (allocations) so that the whole reading path — parser, schema, validation, assembly, solve — sees it.
"""

from __future__ import annotations

import contextlib
import copy
import signal
from collections.abc import Iterator
from typing import Any

from hypothesis import strategies as st

# the per-case limit that detects a hang; it is far above any case's normal time and is not a speed check
HANG_SECONDS = 60

ODD_LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.integers(min_value=10**30, max_value=10**400),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.sampled_from(["", "=1+2", "[/x]", "[bold]x", "\x00", "2009", "-1", "1e400", "nan", "inf", "1.5",
                     "north_africa", "tpma", "..", "../../etc/passwd", "<script>x</script>"]),
    st.just([]),
    st.just({}),
)


class Hang(Exception):
    """A case ran past :data:`HANG_SECONDS`."""


@contextlib.contextmanager
def hang_guard(seconds: int = HANG_SECONDS) -> Iterator[None]:
    """Raise :class:`Hang` in the main thread when the block runs longer than ``seconds``."""

    def _alarm(signum: int, frame: Any) -> None:
        raise Hang(f"the case ran for more than {seconds} s")

    old = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def _children(node: Any) -> list[Any]:
    if isinstance(node, dict):
        return list(node)
    if isinstance(node, list):
        return list(range(len(node)))
    return []


@st.composite
def places(draw: st.DrawFn, tree: Any) -> tuple[Any, ...]:
    """A path of keys/indices from the root of ``tree`` to one of its nodes (never the root itself)."""
    path: list[Any] = []
    node = tree
    while True:
        keys = _children(node)
        if not keys:
            break
        key = draw(st.sampled_from(keys))
        path.append(key)
        node = node[key]
        if not _children(node) or draw(st.booleans()):
            break
    return tuple(path)


def _parent(tree: Any, path: tuple[Any, ...]) -> Any:
    node = tree
    for key in path[:-1]:
        node = node[key]
    return node


@st.composite
def mutated(draw: st.DrawFn, tree: Any, max_mutations: int = 3) -> tuple[Any, list[str]]:
    """A deep copy of ``tree`` with 1 to ``max_mutations`` structural mutations, and what was done."""
    out = copy.deepcopy(tree)
    done: list[str] = []
    for _ in range(draw(st.integers(1, max_mutations))):
        if not _children(out):
            break
        path = draw(places(out))
        parent, key = _parent(out, path), path[-1]
        kind = draw(st.sampled_from(["drop", "duplicate", "retype", "nest", "enlarge", "rename"]))
        done.append(f"{kind} {'.'.join(map(str, path))}")
        _apply(draw, kind, parent, key)
    return out, done


def _apply(draw: st.DrawFn, kind: str, parent: Any, key: Any) -> None:
    value = parent[key]
    if kind == "drop":
        del parent[key]
    elif kind == "duplicate":
        if isinstance(parent, list):
            parent.insert(key, copy.deepcopy(value))
        else:
            parent[f"{key}_copy" if draw(st.booleans()) else key] = copy.deepcopy(value)
    elif kind == "retype":
        parent[key] = draw(ODD_LEAVES)
    elif kind == "nest":
        depth = draw(st.sampled_from([1, 2, 5, 50, 600]))
        for _ in range(depth):
            value = [value] if draw(st.booleans()) else {"x": value}
        parent[key] = value
    elif kind == "enlarge":
        parent[key] = _enlarged(draw, value)
    elif isinstance(parent, dict):  # rename a key
        parent[draw(st.sampled_from(["id", "extends", "name", "years", "value", "x", str(key).upper()]))] = value
        del parent[key]


# an enlarged text or list stays below these, so that a case is one large input, not a test machine out of memory
MAX_TEXT, MAX_ITEMS = 300_000, 20_000


def _enlarged(draw: st.DrawFn, value: Any) -> Any:
    if isinstance(value, list) and value:
        return (value * draw(st.sampled_from([2, 10, 1000])))[:MAX_ITEMS]
    if isinstance(value, dict):
        grown = dict(value)
        for n in range(draw(st.sampled_from([1, 10, 500]))):
            grown[f"extra_{n}"] = copy.deepcopy(next(iter(value.values()), 1))
        return grown
    if isinstance(value, str):
        return (value * draw(st.sampled_from([10, 1000, 20_000])))[:MAX_TEXT]
    if isinstance(value, bool):
        return not value
    if isinstance(value, int | float):
        return value * draw(st.sampled_from([-1, 1000, 10**12, 10**300]))
    return value
