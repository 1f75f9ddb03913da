"""Regimes: conjunctions of strict inequalities between symbols and numbers, parametrised.

A regime such as ``psi<phi<1`` (read ``0 < ψ < φ < 1``: every symbol of the theory is positive)
is turned into one or more *cells*.  A cell orders its symbols so that each lies between two
bounds already fixed (numbers or earlier symbols) and substitutes it by a rational function of a
fresh positive variable ``ε_k`` that sweeps exactly that open interval:

* ``L < x``                ``x = L + ε``
* ``0 < x < U``            ``x = U/(1 + ε)``
* ``L < x < U``            ``x = (L ε + U)/(1 + ε)``

so a statement proved for all positive ``ε_k`` holds on the whole region, and the substitution is
reversible (``ε = (U − x)/(x − L)`` …).  When a symbol's bounds are not comparable (``p2 < 1`` and
``p2 < φ`` with φ free) the regime is split into cells (``φ < 1`` and ``1 < φ``).  The fraction
``p2`` always carries ``0 < p2 < 1``.  Private helper of :mod:`modelcollapse.theory.workbench`.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import sympy as sp

from ._parse import as_expr
from .symbols import BY_NAME, p2

__all__ = ["Regime", "Cell", "as_regime", "relations_name", "UNIT_SYMBOLS"]

#: Symbols that always lie in (0, 1) (fractions).
UNIT_SYMBOLS: tuple[sp.Symbol, ...] = (p2,)

_SPLIT = re.compile(r"\s*(?:,|&|\band\b)\s*")
_ATOM = re.compile(r"^(?:\d+(?:\.\d+)?(?:/\d+)?|[^\W\d]\w*)$")


def _number(text: str) -> sp.Rational:
    return sp.Rational(text)


@dataclass(frozen=True)
class Cell:
    """One parametrised piece of a regime (a consistent ordering of its symbols).

    Attributes
    ----------
    name : str
        The ordering, e.g. ``"psi<phi<1"``.
    relations : tuple of (lower, upper)
        The strict inequalities ``lower < upper`` that hold in the cell.
    subs : dict
        ``symbol → expression`` in the positive parameters :attr:`params`.
    inverse : dict
        ``parameter → expression`` in the symbols (undoes :attr:`subs`).
    params : tuple of sympy.Symbol
        The positive parameters ``ε_k``.
    """

    name: str
    relations: tuple[tuple[sp.Expr, sp.Expr], ...]
    subs: dict
    inverse: dict
    params: tuple
    bounds: tuple = (sp.S.Zero, sp.oo)
    last: sp.Symbol | None = None
    offsets: dict | None = None

    def offset_subs(self) -> tuple[dict, dict]:
        """A lighter substitution for limits and series: ``x = U − ε`` below an upper bound.

        It drops ``x > 0`` (true for a superset of the cell, so every result stays valid) and
        keeps SymPy's expressions small; :attr:`subs` is the exact parametrisation.
        """
        if self.offsets is None:
            return self.subs, self.inverse
        return self.offsets["subs"], self.offsets["inverse"]

    def condition(self) -> sp.Basic:
        """The cell as a SymPy boolean (``And`` of strict inequalities)."""
        return sp.And(*(sp.StrictLessThan(a, b) for a, b in self.relations))

    def symbols(self) -> set:
        """The symbols the cell constrains."""
        return set(self.subs)

    def sample(self, rng: np.random.Generator, extra: Iterable[sp.Symbol] = ()) -> dict:
        """A random point of the cell (float values), plus log-uniform values for ``extra``."""
        vals = {e: float(np.exp(rng.uniform(-4.0, 4.0))) for e in self.params}
        point = {s: float(expr.subs(vals)) for s, expr in self.subs.items()}
        for s in extra:
            if s not in point:
                if s in UNIT_SYMBOLS:
                    point[s] = float(rng.uniform(0.02, 0.98))
                elif _signed(s):
                    point[s] = float(np.exp(rng.uniform(-3.0, 3.0)))
                else:
                    point[s] = float(rng.normal(0.0, 3.0))
        return point


@dataclass(frozen=True)
class Regime:
    """A conjunction of strict inequalities ``a < b`` between positive symbols and numbers.

    Build one with :func:`as_regime` (from a string such as ``"psi<phi<1"``, ``"phi<1<psi"``,
    ``"0<p2<phi"``, ``"psi<1, psi<phi"``) or from relations.

    Attributes
    ----------
    name : str
    relations : tuple of (lower, upper)
    description : str

    Examples
    --------
    ``ψ < 1`` and ``ψ < φ`` leave φ against 1 open: two cells, each parametrised exactly.

    >>> from modelcollapse.theory._regime import as_regime
    >>> reg = as_regime("psi<1, psi<phi")
    >>> [(cell.name, cell.subs) for cell in reg.cells]  # doctest: +NORMALIZE_WHITESPACE
    [('psi<1<phi', {phi: epsilon_1 + 1, psi: 1/(epsilon_2 + 1)}),
     ('psi<phi<1', {phi: 1/(epsilon_1 + 1), psi: 1/((epsilon_1 + 1)*(epsilon_2 + 1))})]
    """

    name: str
    relations: tuple[tuple[sp.Expr, sp.Expr], ...]
    description: str = ""

    # -- legacy single-symbol view -----------------------------------------------------------
    @property
    def symbol(self) -> sp.Symbol:
        """The constrained symbol when there is exactly one (e.g. φ in ``phi<1``)."""
        syms = self.free_symbols
        if len(syms) != 1:
            raise ValueError(f"regime {self.name!r} constrains {len(syms)} symbols, not one")
        return next(iter(syms))

    @property
    def value(self) -> sp.Expr:
        """The symbol's substitution in the single cell (legacy view)."""
        cell = self.cells[0]
        return cell.subs[self.symbol]

    @property
    def inverse(self) -> sp.Expr:
        """The cell parameter in terms of the symbol (legacy view)."""
        cell = self.cells[0]
        return next(iter(cell.inverse.values()))

    # -- structure ---------------------------------------------------------------------------
    @property
    def free_symbols(self) -> set:
        """Symbols the regime constrains (explicitly or through ``0 < p2 < 1``)."""
        out = set()
        for a, b in self.relations:
            out |= a.free_symbols | b.free_symbols
        return out

    def condition(self) -> sp.Basic:
        """The regime as a SymPy boolean."""
        return sp.And(*(sp.StrictLessThan(a, b) for a, b in self.relations))

    def including(self, symbols: Iterable[sp.Symbol]) -> Regime:
        """This regime with ``0 < s < 1`` added for every unit symbol in ``symbols`` (p2)."""
        extra = [(sp.S.Zero, s) for s in symbols if s in UNIT_SYMBOLS
                 and s not in self.free_symbols]
        extra += [(s, sp.S.One) for s in symbols if s in UNIT_SYMBOLS
                  and s not in self.free_symbols]
        if not extra:
            return self
        return Regime(self.name, self.relations + tuple(extra), self.description)

    def refine(self, lower: sp.Expr, upper: sp.Expr) -> Regime:
        """This regime with ``lower < upper`` added."""
        name = f"{self.name}, {_show(lower)}<{_show(upper)}" if self.name else \
            f"{_show(lower)}<{_show(upper)}"
        return Regime(name, self.relations + ((lower, upper),), self.description)

    @cached_property
    def cells(self) -> list[Cell]:
        """The parametrised cells (one unless the regime leaves some bounds unordered)."""
        return _cells(self, None)

    def cells_for(self, var: sp.Symbol) -> list[Cell]:
        """Cells in which ``var`` is parametrised last, so its bounds involve only the others.

        Each cell's :attr:`Cell.bounds` gives ``var``'s interval ``(lower, upper)`` in terms of the
        other symbols (``upper`` is ``oo`` when unbounded).
        """
        return _cells(self, var)

    def contains(self, values: Mapping) -> bool:
        """Whether a numeric point (``{symbol: value}``) satisfies every relation."""
        def val(x):
            return float(as_expr(x, "regime").subs(values))

        return all(val(a) < val(b) for a, b in self.relations)

    def __str__(self) -> str:
        return self.name


def _show(x: sp.Expr) -> str:
    return str(x)


def _key(x: sp.Expr) -> str:
    return sp.default_sort_key(x).__repr__()


def _parse_chain(text: str, names: Mapping[str, sp.Expr]) -> list[tuple[sp.Expr, sp.Expr]]:
    parts = re.split(r"\s*(<|>)\s*", text.strip())
    if len(parts) < 3 or len(parts) % 2 == 0:
        raise ValueError(f"regime: cannot read {text!r}; write e.g. 'psi<phi<1'")
    items = []
    for tok in parts[0::2]:
        if not _ATOM.match(tok):
            raise ValueError(f"regime: {tok!r} is neither a number nor a symbol name")
        if tok[0].isdigit():
            items.append(_number(tok))
        elif tok in names and isinstance(names[tok], sp.Symbol):
            items.append(names[tok])
        else:
            raise ValueError(f"regime: unknown symbol {tok!r}")
    out = []
    for (a, op, b) in zip(items[:-1], parts[1::2], items[1:], strict=True):
        out.append((a, b) if op == "<" else (b, a))
    return out


def as_regime(spec, names: Mapping[str, sp.Expr] | None = None,
              known: Mapping[str, Regime] | None = None) -> Regime | None:
    """A :class:`Regime` from a string, a relational, a list of relationals, or ``None``.

    Strings: chains ``a<b<c`` (or ``>``) joined by ``,``, ``&`` or ``and``; each term is a
    number or a symbol name of :data:`~modelcollapse.theory.symbols.BY_NAME` (or ``names``).
    A name in ``known`` (the predefined regimes) is returned as is.
    """
    if spec is None or isinstance(spec, Regime):
        return spec
    names = dict(BY_NAME) | dict(names or {})
    if isinstance(spec, str):
        if known and spec in known:
            return known[spec]
        rels = []
        for chain in _SPLIT.split(spec.strip()):
            if chain:
                rels += _parse_chain(chain, names)
        if not rels:
            raise ValueError(f"regime: empty specification {spec!r}")
        return Regime(spec.strip(), tuple(rels))
    items = [spec] if isinstance(spec, sp.Basic) else list(spec)
    rels = []
    for rel in items:
        if isinstance(rel, sp.And):
            rels += [(_lhs_rhs(a)) for a in rel.args]
        else:
            rels.append(_lhs_rhs(rel))
    name = ", ".join(f"{_show(a)}<{_show(b)}" for a, b in rels)
    return Regime(name, tuple(rels))


def _lhs_rhs(rel) -> tuple[sp.Expr, sp.Expr]:
    if isinstance(rel, sp.StrictLessThan | sp.LessThan):
        a, b = rel.lhs, rel.rhs
    elif isinstance(rel, sp.StrictGreaterThan | sp.GreaterThan):
        a, b = rel.rhs, rel.lhs
    else:
        raise ValueError(f"regime: expected inequalities, got {rel!r}")
    for x in (a, b):
        if not (x.is_Symbol or x.is_number):
            raise ValueError(f"regime: terms must be symbols or numbers, got {x}")
    return as_expr(a, "regime"), as_expr(b, "regime")


# -- parametrisation ------------------------------------------------------------------------
def _signed(s: sp.Symbol) -> bool:
    """Whether ``s`` is declared non-negative (the regime then takes it > 0)."""
    return bool(s.is_positive or s.is_nonnegative)


class _Order:
    """Transitive closure of a strict order on symbols and numbers."""

    def __init__(self, relations):
        self.items = set()
        self.less = set()
        for a, b in relations:
            self.items |= {a, b}
            self.less.add((a, b))
        for s in [x for x in self.items if x.is_Symbol and _signed(x)]:
            self.items.add(sp.S.Zero)
            self.less.add((sp.S.Zero, s))
        nums = sorted((x for x in self.items if x.is_number), key=float)
        for a, b in itertools.combinations(nums, 2):
            if a != b:
                self.less.add((a, b))
        changed = True
        while changed:
            changed = False
            for (a, b), (c, e) in itertools.product(list(self.less), list(self.less)):
                if b == c and (a, e) not in self.less:
                    self.less.add((a, e))
                    changed = True
        for a, b in self.less:
            if a == b or (b, a) in self.less:
                raise ValueError("the inequalities are contradictory (no point satisfies all)")

    def lt(self, a, b) -> bool:
        return (a, b) in self.less


def relations_name(relations) -> str:
    """A readable name for a set of strict inequalities, as chains (``psi<phi<1, p2<1``)."""
    rels = list(relations)
    if not rels:
        return ""
    order = _Order(rels)
    syms = sorted({x for ab in rels for x in ab if x.is_Symbol}, key=_key)
    return _chain_name(order, syms)


def _cells(regime: Regime, last: sp.Symbol | None) -> list[Cell]:
    rels = list(regime.relations)
    syms = set()
    for a, b in rels:
        syms |= {x for x in (a, b) if x.is_Symbol}
    for s in syms:
        if s in UNIT_SYMBOLS:
            rels += [(sp.S.Zero, s), (s, sp.S.One)]
    if last is not None:
        syms.add(last)
    try:
        return sorted(_split(rels, sorted(syms, key=_key), last), key=lambda c: c.name)
    except ValueError as exc:
        raise ValueError(f"regime {regime.name!r}: {exc}") from None


def _extreme(order: _Order, cands: list, lowest: bool):
    """The unique greatest (lowest=False) or least element of ``cands``, or an unordered pair."""
    best = []
    for x in cands:
        dominated = any(order.lt(x, y) if not lowest else order.lt(y, x) for y in cands if y != x)
        if not dominated:
            best.append(x)
    if len(best) == 1:
        return best[0], None
    return None, (best[0], best[1])


def _split(rels: list, syms: list, last) -> list[Cell]:
    order = _Order(rels)
    done: list = []
    todo = list(syms)
    while todo:
        progress = False
        for s in [x for x in todo if x != last] or todo:
            fixed = [x for x in order.items if x.is_number or x in done]
            below = [x for x in fixed if order.lt(x, s)]
            above = [x for x in fixed if order.lt(s, x)]
            lo, pair_lo = _extreme(order, below, lowest=False) if below else (None, None)
            hi, pair_hi = _extreme(order, above, lowest=True) if above else (None, None)
            if pair_lo is None and pair_hi is None:
                done.append(s)
                todo.remove(s)
                progress = True
                break
        if not progress:
            s = next(x for x in todo if x != last) if len(todo) > 1 else todo[0]
            fixed = [x for x in order.items if x.is_number or x in done]
            below = [x for x in fixed if order.lt(x, s)]
            above = [x for x in fixed if order.lt(s, x)]
            _, pair = _extreme(order, below, lowest=False)
            if pair is None:
                _, pair = _extreme(order, above, lowest=True)
            a, b = pair
            cells = []
            for lo_hi in ((a, b), (b, a)):
                try:
                    cells += _split(rels + [lo_hi], syms, last)
                except ValueError:
                    continue
            return cells
    return [_build(order, done, last)]


def _build(order: _Order, seq: list, last) -> Cell:
    subs, inverse, params = {}, {}, []
    off_subs, off_inverse = {}, {}
    bounds = (sp.S.Zero, sp.oo)
    for k, s in enumerate(seq, 1):
        fixed = [x for x in order.items if x.is_number or x in seq[: k - 1]]
        below = [x for x in fixed if order.lt(x, s)]
        above = [x for x in fixed if order.lt(s, x)]
        lo = _extreme(order, below, lowest=False)[0] if below else (
            sp.S.Zero if _signed(s) else None)
        hi = _extreme(order, above, lowest=True)[0] if above else None
        if s == last:
            bounds = (-sp.oo if lo is None else lo, sp.oo if hi is None else hi)
            continue
        if lo is None and hi is None:
            continue  # a real symbol without bounds stays as it is
        e = sp.Symbol(f"epsilon_{k}", positive=True)
        params.append(e)
        if lo is None:
            hi_v = hi.subs(subs)
            subs[s], inverse[e] = hi_v - e, hi - s
            off_subs[s], off_inverse[e] = hi.subs(off_subs) - e, hi - s
            continue
        lo_v = lo.subs(subs) if not lo.is_number else lo
        hi_v = None if hi is None else (hi.subs(subs) if not hi.is_number else hi)
        lo_o, hi_o = lo.subs(off_subs), None if hi is None else hi.subs(off_subs)
        if hi is None:
            subs[s] = lo_v + e
            inverse[e] = s - lo
            off_subs[s], off_inverse[e] = lo_o + e, s - lo
        elif lo == 0:
            subs[s] = hi_v / (1 + e)
            inverse[e] = hi / s - 1
            off_subs[s], off_inverse[e] = hi_o - e, hi - s
        else:
            subs[s] = (lo_v * e + hi_v) / (1 + e)
            inverse[e] = (hi - s) / (s - lo)
            off_subs[s], off_inverse[e] = (lo_o * e + hi_o) / (1 + e), inverse[e]
    name = _chain_name(order, seq)
    kept = tuple(sorted({(a, b) for a, b in order.less if not (a.is_number and b.is_number)
                         and (a != 0 or b in UNIT_SYMBOLS)},
                        key=lambda ab: (_key(ab[0]), _key(ab[1]))))
    hasse = tuple((a, b) for a, b in kept if not any(
        order.lt(a, x) and order.lt(x, b) for x in order.items))
    offsets = {"subs": off_subs, "inverse": off_inverse}
    return Cell(name, hasse, subs, inverse, tuple(params), bounds, last, offsets)


def _chain_name(order: _Order, seq: list) -> str:
    """A readable name: the cell's symbols as chains with their numeric bounds (``psi<phi<1``)."""
    nums = sorted((x for x in order.items if x.is_number and x != 0), key=float)
    rest = list(seq)
    chains = []
    while rest:
        start = min(rest, key=lambda x: (sum(order.lt(y, x) for y in rest), _key(x)))
        chain = [start]
        rest.remove(start)
        while True:
            nxt = [y for y in rest if order.lt(chain[-1], y)]
            if not nxt:
                break
            y = min(nxt, key=lambda z: (sum(order.lt(w, z) for w in nxt), _key(z)))
            chain.append(y)
            rest.remove(y)
        words = []
        below = [x for x in nums if order.lt(x, chain[0])]
        if below:
            words.append(below[-1])
        for a, b in zip(chain, chain[1:] + [None], strict=True):
            words.append(a)
            if b is None:
                above = [x for x in nums if order.lt(a, x)]
                if above:
                    words.append(above[0])
            else:
                words += [x for x in nums if order.lt(a, x) and order.lt(x, b)]
        chains.append(words)
    return ", ".join("<".join(str(x) for x in c) for c in chains)
