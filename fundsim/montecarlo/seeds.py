"""The seed contract for many draws at once: ``SeedSequence(seed, spawn_key=(k,))`` for a whole range of k.

numpy's :class:`~numpy.random.SeedSequence` hashes its entropy (the seed's 32-bit words, then the spawn key)
into a pool of four 32-bit words and hashes the pool into output words (O'Neill's ``seed_seq`` design). Its
arithmetic is plain 32-bit multiply, xor and shift, so the same steps run on numpy arrays give the states
of all draws of a chunk in a few vector operations, instead of one Python object per draw (8 µs each).
``tests/test_montecarlo.py`` checks the result against numpy's own ``SeedSequence`` word for word.
"""

from __future__ import annotations

import numpy as np

from fundsim.errors import ArgumentError

__all__ = ["spawned_states", "spawned_uniforms"]

_POOL = 4
_MASK = 0xFFFF_FFFF
_INIT_A, _MULT_A = 0x43B0D7E5, 0x931E8875
_INIT_B, _MULT_B = 0x8B51F9DD, 0x58F38DED
_MIX_L, _MIX_R = 0xCA01F9DD, 0x4973F715
_SHIFT = 16


def _words(n: int) -> list[int]:
    """A non-negative integer as little-endian 32-bit words (``[0]`` for 0), as SeedSequence reads it."""
    if n < 0:
        raise ArgumentError(f"a seed must be a non-negative integer, got {n}")
    words = [0] if n == 0 else []
    while n > 0:
        words.append(n & _MASK)
        n >>= 32
    return words


class _Hash:
    """The running hash constant: each use multiplies it by ``mult`` (mod 2³²); values do not depend on data."""

    def __init__(self, start: int, mult: int) -> None:
        self.value, self.mult = start, mult

    def mix_in(self, value: np.ndarray) -> np.ndarray:
        out = np.bitwise_xor(value, np.uint32(self.value), dtype=np.uint32)
        self.value = (self.value * self.mult) & _MASK
        out = np.multiply(out, np.uint32(self.value), dtype=np.uint32)
        return out ^ (out >> np.uint32(_SHIFT))


def _mix(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    out = np.subtract(np.multiply(x, np.uint32(_MIX_L), dtype=np.uint32),
                      np.multiply(y, np.uint32(_MIX_R), dtype=np.uint32), dtype=np.uint32)
    return out ^ (out >> np.uint32(_SHIFT))


def _pool(entropy: list[np.ndarray]) -> list[np.ndarray]:
    """``SeedSequence.mix_entropy``: the four pool words from the entropy words."""
    h = _Hash(_INIT_A, _MULT_A)
    zero = np.zeros(1, np.uint32)
    pool = [h.mix_in(entropy[i] if i < len(entropy) else zero) for i in range(_POOL)]
    for src in range(_POOL):
        for dst in range(_POOL):
            if src != dst:
                pool[dst] = _mix(pool[dst], h.mix_in(pool[src]))
    for word in entropy[_POOL:]:
        for dst in range(_POOL):
            pool[dst] = _mix(pool[dst], h.mix_in(word))
    return pool


def spawned_states(seed: int, keys: np.ndarray, n_words: int) -> np.ndarray:
    """``SeedSequence(seed, spawn_key=(k,)).generate_state(n_words, np.uint64)`` for every ``k`` in ``keys``,
    as a ``(len(keys), n_words)`` uint64 array.

    Examples
    --------
    >>> import numpy as np
    >>> ours = spawned_states(7, np.array([0, 5]), 3)
    >>> numpy_s = np.random.SeedSequence(7, spawn_key=(5,)).generate_state(3, np.uint64)
    >>> bool((ours[1] == numpy_s).all())
    True
    """
    keys = np.asarray(keys, dtype=np.int64)
    if keys.size and (keys.min() < 0 or keys.max() > _MASK):
        raise ArgumentError(f"draw numbers must lie in 0 … {_MASK}")
    run = _words(int(seed))
    run += [0] * (_POOL - len(run))  # SeedSequence pads the seed to the pool size when there is a spawn key
    entropy = [np.full(1, w, np.uint32) for w in run] + [keys.astype(np.uint32)]
    pool = _pool(entropy)
    h = _Hash(_INIT_B, _MULT_B)
    out = np.empty((len(keys), 2 * n_words), np.uint32)
    for j in range(2 * n_words):
        out[:, j] = h.mix_in(pool[j % _POOL])
    return out.astype("<u4").view("<u8").astype(np.uint64)


def spawned_uniforms(seed: int, start: int, stop: int, dim: int) -> np.ndarray:
    """Draws ``start:stop`` of ``dim`` uniforms in ``[0, 1)``: draw k's are the top 53 bits of the 64-bit
    words of ``SeedSequence(seed, spawn_key=(k,)).generate_state(dim, np.uint64)``, times 2⁻⁵³.

    Examples
    --------
    >>> u = spawned_uniforms(7, 0, 4, 2)
    >>> u.shape, bool(((0 <= u) & (u < 1)).all())
    ((4, 2), True)
    >>> bool((spawned_uniforms(7, 2, 4, 2) == u[2:4]).all())  # draw k's numbers depend on (seed, k) alone
    True
    """
    states = spawned_states(seed, np.arange(start, stop), dim)
    return (states >> np.uint64(11)).astype(np.float64) * 2.0**-53
