"""``report.md`` with the figures embedded, and the agreement table as CSV and JSON."""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Sequence
from pathlib import Path

from ._agreement import MIN_DRAWS, NSE, AgreementPoint, z_histogram
from ._context import FigureOutput
from ._settings import Settings

__all__ = ["write_report", "write_table", "summary_line", "z_table", "RULE"]

_COLUMNS = ("figure", "series", "quantity", "x_name", "x", "d", "sizes", "draws", "theory", "mc",
            "se", "method", "intercept", "intercept_se", "dof", "t", "z", "atol", "agree")

#: The agreement rule in one sentence (docs/mathematics.md §5).
RULE = (f"each point simulated at two sizes d and d/2 with the same ratios (or at one size where "
        f"the exact finite-size expectation is known); mc − theory at each size fitted by "
        f"a + b/d (a + b·ln(d)/d for ReLU features, their measured finite-size form; weighted "
        f"least squares) and the extrapolated difference a tested at |z| ≤ "
        f"{NSE:g}, z the normal equivalent of a/se(a) (Student t, Welch–Satterthwaite degrees "
        f"of freedom); no relative allowance; absolute floor 1e-12 × the run's largest theory "
        f"value for exact zeros only; at least {MIN_DRAWS} draws per size")

#: Probabilities of |z| in [0, 1), [1, 2), [2, 3), ≥ 3 for a standard normal z.
_NORMAL = (0.682689, 0.271810, 0.042800, 0.002700)


def summary_line(points: Sequence[AgreementPoint]) -> str:
    """``"N of M points agree"``.

    Examples
    --------
    >>> from modelcollapse.verify.reproduce.report import summary_line
    >>> summary_line([])
    '0 of 0 points agree'
    """
    return f"{sum(p.agree for p in points)} of {len(points)} points agree"


def write_table(points: Sequence[AgreementPoint], out: Path) -> tuple[Path, Path]:
    """Write ``agreement.csv`` and ``agreement.json`` into ``out``."""
    rows = [p.as_row() for p in points]
    csv_path, json_path = out / "agreement.csv", out / "agreement.json"
    with open(csv_path, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=_COLUMNS, extrasaction="ignore")
        w.writeheader()
        for row in rows:
            flat = dict(row)
            flat["sizes"] = " ".join(str(v) for v in row["sizes"])
            flat["draws"] = " ".join(str(v) for v in row["draws"])
            w.writerow(flat)
    with open(json_path, "w", encoding="utf-8") as fh:
        json.dump({"summary": summary_line(points), "rule": RULE, "points": rows}, fh,
                  indent=1, allow_nan=True)
    return csv_path, json_path


def _fmt(v: float) -> str:
    return f"{v:.4g}"


def z_table(groups: Sequence[tuple[str, Sequence[AgreementPoint]]]) -> list[str]:
    """Markdown rows: per group the counts of ``|z|`` in [0,1), [1,2), [2,3), ≥ 3 and the
    number of ``|z| ≥ 3`` a standard normal z would give.

    Examples
    --------
    >>> from modelcollapse.verify.reproduce.report import z_table
    >>> z_table([])[0].startswith("| figure | points |")
    True
    """
    lines = [
        "| figure | points | \\|z\\| < 1 | 1 ≤ \\|z\\| < 2 | 2 ≤ \\|z\\| < 3 | \\|z\\| ≥ 3 | "
        "expected \\|z\\| ≥ 3 if exact |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, pts in groups:
        if not pts:
            continue
        counts = z_histogram([p.z for p in pts])
        n = len(pts)
        cells = [f"{c} ({100 * c / n:.0f} %)" for c in counts]
        lines.append(f"| {name} | {n} | " + " | ".join(cells) + f" | {_NORMAL[3] * n:.2f} |")
    lines.append("| standard normal | | 68.3 % | 27.2 % | 4.3 % | 0.27 % | |")
    return lines


def _point_line(p: AgreementPoint) -> str:
    return (f"{p.figure}, {p.series}, {p.quantity} at {p.x_name} = {p.x:g}: theory "
            f"{_fmt(p.theory)}, Monte Carlo {_fmt(p.mc)} ± {p.se:.2g} (d = {p.d}); "
            f"extrapolated difference {p.intercept:+.3g} ± {p.intercept_se:.2g}, "
            f"z = {p.z:+.2f}")


def write_report(
    out: Path,
    figures: Sequence[FigureOutput],
    settings: Settings,
    *,
    seed: int,
    wall_time: float,
    cache_note: str,
) -> Path:
    """Write ``report.md`` (z distribution per figure, disagreements, figures with captions and
    notes, the full agreement table)."""
    points = [p for f in figures for p in f.points]
    bad = [p for p in points if not p.agree]
    lines = [
        "# Strong Model Collapse — reproduced figures",
        "",
        f"Mode `{settings.mode}`, seed {seed}, wall time {wall_time:.1f} s. {cache_note}",
        "",
        f"**Agreement: {summary_line(points)}** (docs/mathematics.md §5).",
        "",
        f"Rule: {RULE}. The Monte Carlo at d differs from the deterministic equivalent by its "
        "sampling error and a finite-size bias of relative size O(1/d); the two sizes remove "
        "the bias instead of allowing for it, so a formula that is wrong by a few per cent "
        "fails even where it is within the finite-size bias at one size. With N points and an "
        f"exact theory about 0.27 % of them (N × 0.0027) are expected at |z| ≥ {NSE:g} by "
        "chance; more than that, or a sign of z shared by a whole series, is a real gap.",
        "",
        "## Distribution of z per figure",
        "",
        *z_table([(f.name, f.points) for f in figures if f.points]),
        "",
    ]
    if bad:
        lines += ["## Points that disagree", ""]
        lines += [f"- **{_point_line(p)}**" for p in bad]
        lines.append("")
    for f in figures:
        lines += [f"## {f.title}", "", f"![{f.name}]({f.name}.png)", "", f.caption, ""]
        if f.points:
            counts = z_histogram([p.z for p in f.points])
            lines.append(f"Monte Carlo: {summary_line(f.points)}; |z| in [0, 1), [1, 2), "
                         f"[2, 3), ≥ 3: {', '.join(str(c) for c in counts)}.")
            lines.append("")
            lines += [f"- disagrees: **{_point_line(p)}**" for p in f.points if not p.agree]
            if any(not p.agree for p in f.points):
                lines.append("")
        # a note that starts with "|" is a row of a markdown table (the real-data figures)
        table = False
        for note in f.notes:
            row = note.startswith("|")
            if row != table:
                lines.append("")
                table = row
            lines.append(note if row else f"- {note}")
        if f.notes:
            lines.append("")
    lines += [
        "## Agreement table",
        "",
        "Theory, Monte Carlo mean and se at the largest size d; a = the difference mc − theory "
        "extrapolated to d → ∞ over the sizes listed (`exact`: mc − the exact finite-size "
        "expectation at one size), its standard error and z.",
        "",
        "| figure | series | quantity | x | sizes | draws | theory | MC mean ± se | "
        "a ± se(a) | z | agree |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for p in points:
        sizes = ", ".join(str(d) for d in p.sizes) + (" (exact)" if p.method == "exact" else "")
        z = f"{p.z:+.2f}" if math.isfinite(p.z) else str(p.z)
        lines.append(
            f"| {p.figure} | {p.series} | {p.quantity} | {p.x_name} = {p.x:g} | {sizes} | "
            f"{', '.join(str(k) for k in p.draws_at)} | {_fmt(p.theory)} | {_fmt(p.mc)} ± "
            f"{p.se:.2g} | {p.intercept:+.3g} ± {p.intercept_se:.2g} | {z} | "
            f"{'yes' if p.agree else '**NO**'} |"
        )
    lines += ["", f"{summary_line(points)}.", ""]
    path = out / "report.md"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path
