"""A restricted formula reader: known symbol names, numbers and arithmetic, nothing else.

``sympy.sympify`` and ``sympy.parsing.sympy_parser.parse_expr`` evaluate Python code, so a string
such as ``"__import__('os').system(...)"`` runs.  This reader parses the string with :mod:`ast`
(which does not execute anything), accepts only numbers, the names it is given, ``+ − * / **``
(``^`` is read as a power), unary signs, parentheses and the calls ``sqrt``, ``exp``, ``log``, and
builds the SymPy expression itself.  Everything else is a :class:`ValueError` naming the parameter.
Private helper of :mod:`modelcollapse.theory.workbench`.
"""

from __future__ import annotations

import ast
import math
import numbers
import re
from collections.abc import Mapping

import sympy as sp

__all__ = ["parse", "as_expr", "as_symbol", "sympy_only", "MAX_LENGTH"]

#: Longest formula string accepted.
MAX_LENGTH = 2000
_MAX_EXPONENT = 1000
_MAX_INT_DIGITS = 40

_FUNCTIONS = {"sqrt": sp.sqrt, "exp": sp.exp, "log": sp.log}
_CONSTANTS = {"oo": sp.oo, "pi": sp.pi}
_BINOPS = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b,
}
_CMP = {ast.Lt: sp.StrictLessThan, ast.Gt: sp.StrictGreaterThan, ast.LtE: sp.LessThan,
        ast.GtE: sp.GreaterThan}


def _names(extra: Mapping[str, sp.Basic] | None) -> dict[str, sp.Basic]:
    from .symbols import BY_NAME

    return dict(BY_NAME) | dict(extra or {})


def _pow(base: sp.Basic, exp: sp.Basic, param: str) -> sp.Basic:
    if exp.is_Number and abs(exp) > _MAX_EXPONENT:
        raise ValueError(f"{param}: exponent {exp} is too large (limit {_MAX_EXPONENT})")
    if base.is_Number and exp.is_Number and base not in (0, 1, -1):
        digits = float(abs(exp)) * max(len(str(abs(sp.numer(base)))), len(str(sp.denom(base))))
        if digits > 20 * _MAX_EXPONENT:
            raise ValueError(f"{param}: the number {base}**{exp} is too large")
    return base**exp


def parse(text: str, param: str = "expr", names: Mapping[str, sp.Basic] | None = None,
          *, relational: bool = False) -> sp.Basic:
    """Read ``text`` as a formula in the known symbol names (never evaluates code).

    Parameters
    ----------
    text : str
        E.g. ``"c**2*p2**2/(1 + lambda)**2"``; ``^`` means ``**``; Greek letters (``φ``) and
        ``lambda`` are accepted.
    param : str
        The parameter name quoted in error messages.
    names : mapping, optional
        Extra ``name → symbol`` entries (added to
        :data:`~modelcollapse.theory.symbols.BY_NAME`).
    relational : bool
        Accept comparisons ``<, >, <=, >=`` (chains become ``And``).

    Examples
    --------
    >>> from modelcollapse.theory._parse import parse
    >>> parse("c^2 * p2**2 / (1 + lambda)**2")
    c**2*p2**2/(lambda + 1)**2
    >>> parse("__import__('os').system('true')")
    Traceback (most recent call last):
    ...
    ValueError: expr: calls other than sqrt, exp, log are not allowed
    """
    if not isinstance(text, str):
        raise ValueError(f"{param}: expected a string, got {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise ValueError(f"{param}: formula longer than {MAX_LENGTH} characters")
    table = _names(names)
    source = re.sub(r"\blambda\b", "lambda_", text.strip()).replace("^", "**")
    try:
        tree = ast.parse(source, mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        raise ValueError(f"{param}: cannot read {text!r} as a formula ({type(exc).__name__})") \
            from None

    def build(node: ast.AST) -> sp.Basic:
        if isinstance(node, ast.Expression):
            return build(node.body)
        if isinstance(node, ast.Constant):
            value = node.value
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ValueError(f"{param}: only numbers, names and arithmetic are allowed")
            if isinstance(value, int):
                if len(str(abs(value))) > _MAX_INT_DIGITS:
                    raise ValueError(f"{param}: integer literal too long")
                return sp.Integer(value)
            if not math.isfinite(value):
                raise ValueError(f"{param}: numbers must be finite")
            return sp.Rational(repr(value))
        if isinstance(node, ast.Name):
            if node.id in table:
                return table[node.id]
            if node.id in _CONSTANTS:
                return _CONSTANTS[node.id]
            name = "lambda" if node.id == "lambda_" else node.id
            raise ValueError(f"{param}: unknown name {name!r}")
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
            value = build(node.operand)
            return -value if isinstance(node.op, ast.USub) else value
        if isinstance(node, ast.BinOp):
            left, right = build(node.left), build(node.right)
            if isinstance(node.op, ast.Pow | ast.BitXor):
                return _pow(left, right, param)
            if type(node.op) in _BINOPS:
                return _BINOPS[type(node.op)](left, right)
            raise ValueError(f"{param}: operator {type(node.op).__name__} is not allowed")
        if isinstance(node, ast.Call):
            func = node.func
            if (not isinstance(func, ast.Name) or func.id not in _FUNCTIONS or node.keywords
                    or len(node.args) != 1 or isinstance(node.args[0], ast.Starred)):
                raise ValueError(f"{param}: calls other than sqrt, exp, log are not allowed")
            return _FUNCTIONS[func.id](build(node.args[0]))
        if isinstance(node, ast.Compare) and relational:
            terms = [build(node.left)] + [build(x) for x in node.comparators]
            rels = []
            for op, a, b in zip(node.ops, terms[:-1], terms[1:], strict=True):
                if type(op) not in _CMP:
                    raise ValueError(f"{param}: only <, >, <=, >= comparisons are allowed")
                rels.append(_CMP[type(op)](a, b))
            return rels[0] if len(rels) == 1 else sp.And(*rels)
        if isinstance(node, ast.Call | ast.Attribute | ast.Subscript | ast.Lambda):
            raise ValueError(f"{param}: calls other than sqrt, exp, log are not allowed")
        raise ValueError(f"{param}: only numbers, names and arithmetic are allowed")

    try:
        return build(tree)
    except RecursionError:
        raise ValueError(f"{param}: formula nested too deeply") from None


def as_expr(value, param: str = "expr", names: Mapping[str, sp.Basic] | None = None,
            *, relational: bool = False) -> sp.Basic:
    """A SymPy object from an expression, a number or a formula string (read by :func:`parse`)."""
    if isinstance(value, str):
        return parse(value, param, names, relational=relational)
    if isinstance(value, sp.Basic):
        return value
    if isinstance(value, numbers.Number) and not isinstance(value, bool):
        return sp.sympify(value, strict=True)
    raise ValueError(f"{param}: expected a SymPy expression, a number or a formula string, "
                     f"got {type(value).__name__}")


def sympy_only(value, param: str = "expr") -> sp.Basic:
    """``value`` if it is a SymPy object (a Python number is converted strictly); a string or
    anything else is a :class:`ValueError` — :func:`sympy.sympify` would evaluate a string.

    Examples
    --------
    >>> from modelcollapse.theory._parse import sympy_only
    >>> sympy_only("__import__('os')")
    Traceback (most recent call last):
    ...
    ValueError: expr: expected a SymPy expression, got str (strings are not evaluated; ...
    """
    if isinstance(value, sp.Basic):
        return value
    if isinstance(value, numbers.Number) and not isinstance(value, bool):
        return sp.sympify(value, strict=True)
    raise ValueError(f"{param}: expected a SymPy expression, got {type(value).__name__} "
                     "(strings are not evaluated; build the expression from the theory's symbols "
                     "or read a formula with modelcollapse.theory.workbench)")


def as_symbol(value, param: str = "var",
              names: Mapping[str, sp.Basic] | None = None) -> sp.Symbol:
    """A SymPy symbol from a symbol or a known name."""
    sym = as_expr(value, param, names)
    if not isinstance(sym, sp.Symbol):
        raise ValueError(f"{param}: expected a symbol, got {sym}")
    return sym
