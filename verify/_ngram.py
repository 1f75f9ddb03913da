"""Character n-gram language models with add-k smoothing, in NumPy (for :mod:`.realdata`).

Text is folded onto a 28-symbol alphabet (``a``–``z`` after lower-casing, the space, and one
symbol for everything else) and handled as integer codes.  An order-``k`` model estimates

    P(c | h) = (count(h, c) + α) / (count(h) + α V),      V = 28,

from the counts of the ``k``-grams ``(h, c)`` of its training streams (``h`` the ``k − 1``
preceding symbols); α > 0 is the add-k pseudo-count.  Streams are counted separately, so no
``k``-gram spans two of them.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["ALPHABET", "VOCABULARY", "encode", "decode", "CharNGram"]

#: The symbols, by code; code 27 (shown as ``#``) stands for every other character.
ALPHABET = "abcdefghijklmnopqrstuvwxyz #"
VOCABULARY = len(ALPHABET)
_OTHER = VOCABULARY - 1
_SPACE = 26


def encode(text: str) -> np.ndarray:
    """Codes (``int64``) of ``text`` on :data:`ALPHABET`; whitespace runs become one space.

    Examples
    --------
    >>> from modelcollapse.verify._ngram import encode
    >>> encode("Ab  c!").tolist()
    [0, 1, 26, 2, 27]
    """
    folded = " ".join(str(text).lower().split())
    raw = np.frombuffer(folded.encode("utf-32-le"), dtype=np.uint32).astype(np.int64)
    codes = np.full(raw.shape, _OTHER, dtype=np.int64)
    letter = (raw >= ord("a")) & (raw <= ord("z"))
    codes[letter] = raw[letter] - ord("a")
    codes[raw == ord(" ")] = _SPACE
    return codes


def decode(codes) -> str:
    """The text of a code array (``#`` for the catch-all symbol).

    Examples
    --------
    >>> from modelcollapse.verify._ngram import decode, encode
    >>> decode(encode("Hello, World"))
    'hello# world'
    """
    return "".join(ALPHABET[int(c)] for c in np.asarray(codes).ravel())


def _keys(stream: np.ndarray, order: int) -> np.ndarray:
    """Base-V numbers of every ``order``-gram of ``stream`` (``len − order + 1`` of them)."""
    m = stream.size - order + 1
    if m <= 0:
        return np.empty(0, dtype=np.int64)
    key = np.zeros(m, dtype=np.int64)
    for j in range(order):
        key = key * VOCABULARY + stream[j:j + m]
    return key


def _lookup(table: np.ndarray, counts: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """``counts`` of ``keys`` in the sorted unique ``table`` (0 where absent)."""
    if table.size == 0:
        return np.zeros(keys.shape, dtype=np.int64)
    i = np.minimum(np.searchsorted(table, keys), table.size - 1)
    return np.where(table[i] == keys, counts[i], 0)


class CharNGram:
    """Order-``k`` character model with add-k smoothing, fitted on code streams.

    Parameters
    ----------
    streams : sequence of 1-D int arrays
        Training text as codes (:func:`encode`); each stream is counted on its own.
    order : int
        ``k`` ≥ 1 (1 = unigram, 2 = bigram, ...).
    smoothing : float
        The add-k pseudo-count α > 0.

    Examples
    --------
    A bigram model of "abab…" (50 "a", each followed by "b") puts (50 + α)/(50 + αV) on "b"
    after "a":

    >>> import numpy as np
    >>> from modelcollapse.verify._ngram import CharNGram, encode
    >>> m = CharNGram([encode("ab" * 50)], order=2, smoothing=0.5)
    >>> p = m.probabilities(encode("a"))
    >>> bool(np.isclose(p[1], (50 + 0.5) / (50 + 0.5 * 28)))
    True
    >>> q = [50.5 / 64, 49.5 / 63, 50.5 / 64]  # "ab", "ba", "ab"
    >>> bool(np.isclose(m.cross_entropy(encode("abab")), -np.mean(np.log2(q))))
    True
    """

    def __init__(self, streams: Sequence[np.ndarray], *, order: int, smoothing: float):
        if isinstance(order, bool) or not isinstance(order, int | np.integer) or order < 1:
            raise ValueError(f"order: expected a whole number ≥ 1, got {order!r}")
        try:
            alpha = float(smoothing)
        except (TypeError, ValueError):
            alpha = float("nan")
        if not np.isfinite(alpha) or alpha <= 0:
            raise ValueError(f"smoothing: expected α > 0, got {smoothing!r}")
        self.order = int(order)
        self.smoothing = alpha
        keys = [_keys(np.asarray(s, dtype=np.int64), self.order) for s in streams]
        allk = np.concatenate(keys) if keys else np.empty(0, dtype=np.int64)
        self._grams, self._gram_counts = np.unique(allk, return_counts=True)
        self._ctx, self._ctx_counts = np.unique(allk // VOCABULARY, return_counts=True)
        self.size = int(allk.size)

    def _conditional(self, keys: np.ndarray) -> np.ndarray:
        num = _lookup(self._grams, self._gram_counts, keys) + self.smoothing
        den = _lookup(self._ctx, self._ctx_counts, keys // VOCABULARY) \
            + self.smoothing * VOCABULARY
        return num / den

    def probabilities(self, history: np.ndarray) -> np.ndarray:
        """``P(· | h)`` over the vocabulary, for the last ``k − 1`` codes of ``history``."""
        h = np.asarray(history, dtype=np.int64)[len(history) - (self.order - 1):] \
            if self.order > 1 else np.empty(0, dtype=np.int64)
        if h.size != self.order - 1:
            raise ValueError(f"history: needs {self.order - 1} codes, got {h.size}")
        ctx = 0
        for c in h:
            ctx = ctx * VOCABULARY + int(c)
        return self._conditional(ctx * VOCABULARY + np.arange(VOCABULARY))

    def cross_entropy(self, stream: np.ndarray) -> float:
        """Mean ``−log2 P(c_i | h_i)`` in bits per character over every position with a full
        history (the first ``k − 1`` symbols are context only)."""
        keys = _keys(np.asarray(stream, dtype=np.int64), self.order)
        if keys.size == 0:
            raise ValueError(f"stream: needs more than {self.order - 1} codes")
        return float(-np.mean(np.log2(self._conditional(keys))))

    def sample(self, rng: np.random.Generator, *, chains: int, length: int,
               starts: np.ndarray) -> np.ndarray:
        """``chains`` independent texts of ``length`` codes each, shape ``(chains, length)``.

        Each chain begins with its row of ``starts`` (shape ``(chains, k − 1)``, the seed
        history, kept as the first ``k − 1`` codes) and continues by drawing from ``P(· | h)``;
        the chains advance together, one vectorised step per position.
        """
        k = self.order
        starts = np.asarray(starts, dtype=np.int64).reshape(chains, k - 1)
        out = np.empty((chains, length), dtype=np.int64)
        out[:, :k - 1] = starts
        ctx = np.zeros(chains, dtype=np.int64)
        for j in range(k - 1):
            ctx = ctx * VOCABULARY + starts[:, j]
        modulus = VOCABULARY ** (k - 1)
        symbols = np.arange(VOCABULARY)
        for t in range(k - 1, length):
            cdf = np.cumsum(self._conditional(ctx[:, None] * VOCABULARY + symbols), axis=1)
            u = rng.random(chains) * cdf[:, -1]
            nxt = np.minimum((cdf <= u[:, None]).sum(axis=1), VOCABULARY - 1)
            out[:, t] = nxt
            ctx = (ctx * VOCABULARY + nxt) % modulus
        return out
