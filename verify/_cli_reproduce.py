"""``modelcollapse reproduce``: the paper's figures, Monte Carlo points and a report."""

from __future__ import annotations

import sys

__all__ = ["register", "run"]


def register(sub) -> None:
    p = sub.add_parser(
        "reproduce",
        help="reproduce the paper's figures (theory curves, Monte Carlo points, report)",
        description="Write fig1..fig5 and phase (PNG and PDF), report.md and the agreement "
        "table (CSV, JSON) into the output folder.",
    )
    speed = p.add_mutually_exclusive_group()
    speed.add_argument("--quick", action="store_true",
                       help="CI-sized run (a few minutes on 2 cores)")
    speed.add_argument("--mode", choices=["tiny", "quick", "full"], default=None,
                       help=argparse_help_mode())
    p.add_argument("--out", default="modelcollapse-figures", help="output folder")
    p.add_argument("--no-cache", action="store_true", help="recompute every Monte Carlo run")
    p.add_argument("--figures", default=None,
                   help="comma-separated subset of 1-5, 9, 10, phase, generations (default: all)")
    p.add_argument("--seed", type=int, default=0, help="job seed (default 0)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def argparse_help_mode() -> str:
    return "run size: tiny (tests), quick (= --quick) or full (default)"


def run(args) -> int:
    from .reproduce.job import parse_figures, reproduce

    mode = "quick" if args.quick else (args.mode or "full")
    figures = parse_figures(args.figures)
    if args.seed < 0:
        raise ValueError(f"seed: must be ≥ 0, got {args.seed}")
    res = reproduce(args.out, mode=mode, figures=figures, seed=args.seed,
                    use_cache=not args.no_cache, progress=not args.no_progress)
    print(f"wrote {len(res.files)} files to {res.out} in {res.wall_time:.1f} s; {res.summary}")
    bad = [p for p in res.points if not p.agree]
    for p in bad[:10]:
        print(f"  disagrees: {p.figure} {p.series} {p.quantity} {p.x_name}={p.x:g} "
              f"theory {p.theory:.4g} mc {p.mc:.4g} ± {p.se:.2g}", file=sys.stderr)
    return 0 if not bad else 1
