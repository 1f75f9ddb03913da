"""``modelcollapse reproduce``: the paper's figures, Monte Carlo points and a report.

The arguments are checked before anything is computed: ``--figures`` and ``--seed`` must parse,
and ``--out`` must be (or become) a folder this process can write into, together with its Monte
Carlo cache folder ``.mc-cache`` unless ``--no-cache``.  Otherwise one line on standard error
names the option and the exit status is 2 (status 1 means a Monte Carlo point disagrees).
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from .cli import UsageError

__all__ = ["register", "run", "check_out"]


def register(sub) -> None:
    p = sub.add_parser(
        "reproduce",
        help="reproduce the paper's figures (theory curves, Monte Carlo points, report)",
        description="Write the paper's fig1..fig5, fig9, fig10, generations and phase, the "
        "scaling law with synthetic data (scaling), the ReLU random-features figures "
        "relu_fig4 and relu_phase, covariate shift (covariate), and the real-data figures "
        "digits, digits_rf, network and "
        "ngram (PNG and PDF), report.md and the agreement table (CSV, JSON) into the output "
        "folder.",
    )
    speed = p.add_mutually_exclusive_group()
    speed.add_argument("--quick", action="store_true",
                       help="CI-sized run (a few minutes on 2 cores)")
    speed.add_argument("--mode", choices=["tiny", "quick", "full"], default=None,
                       help=argparse_help_mode())
    p.add_argument("--out", default="modelcollapse-figures", help="output folder")
    p.add_argument("--no-cache", action="store_true", help="recompute every Monte Carlo run")
    p.add_argument("--figures", default=None,
                   help="comma-separated subset of 1-5, 9, 10, phase, generations, scaling, "
                   "relu_fig4, relu_phase, covariate, digits, digits_rf, network, ngram; "
                   "realdata = the four "
                   "real-data ones (default: all)")
    p.add_argument("--seed", type=int, default=0, help="job seed (default 0)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--workers", type=int, default=None,
                       help="Monte Carlo on a local Dask cluster of N worker processes (1: in "
                       "this process; default: one per core, in process for --mode tiny)")
    where.add_argument("--scheduler", default=None, metavar="ADDRESS",
                       help="Monte Carlo on the existing Dask cluster at ADDRESS "
                       "(e.g. tcp://10.0.0.5:8786); the numbers do not depend on where they run")
    p.set_defaults(func=run)


def argparse_help_mode() -> str:
    return "run size: tiny (tests), quick (= --quick) or full (default)"


def _writable_folder(path: Path, option: str) -> None:
    """Create ``path`` if needed and prove it writable by making and removing a file in it."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise UsageError(f"{option}: {str(path)!r} exists and is not a folder") from None
    except OSError as exc:
        raise UsageError(f"{option}: cannot create the folder {str(path)!r}: "
                         f"{exc.strerror or exc}") from None
    if not path.is_dir():  # e.g. a dangling symbolic link
        raise UsageError(f"{option}: {str(path)!r} is not a folder")
    try:
        fd, probe = tempfile.mkstemp(prefix=".modelcollapse-probe-", dir=path)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise UsageError(f"{option}: cannot write into {str(path)!r}: "
                         f"{exc.strerror or exc}") from None


def check_out(text: str, *, use_cache: bool) -> Path:
    """The ``--out`` folder, created and checked writable (and its cache folder), or UsageError.

    Examples
    --------
    >>> import tempfile
    >>> from modelcollapse.verify._cli_reproduce import check_out
    >>> check_out(tempfile.mkdtemp(), use_cache=True).is_dir()
    True
    >>> check_out("", use_cache=False)
    Traceback (most recent call last):
    ...
    modelcollapse.verify.cli.UsageError: --out: an empty path (give a folder, e.g. '--out figures')
    """
    if not text:
        raise UsageError("--out: an empty path (give a folder, e.g. '--out figures')")
    if "\0" in text:
        raise UsageError("--out: the path contains a NUL character")
    out = Path(text)
    _writable_folder(out, "--out")
    if use_cache:
        _writable_folder(out / ".mc-cache", "--out (its Monte Carlo cache, or use --no-cache)")
    return out


def run(args) -> int:
    from .reproduce.job import parse_figures

    mode = "quick" if args.quick else (args.mode or "full")
    try:
        figures = parse_figures(args.figures)
    except ValueError as exc:
        raise UsageError(f"--figures: {str(exc).removeprefix('figures: ')}") from None
    if args.seed < 0:
        raise UsageError(f"--seed: must be ≥ 0, got {args.seed}")
    if args.workers is not None and args.workers < 1:
        raise UsageError(f"--workers: must be ≥ 1, got {args.workers}")
    out = check_out(args.out, use_cache=not args.no_cache)
    workers = args.workers if args.workers is not None else (1 if mode == "tiny" else None)

    from .reproduce.job import reproduce

    try:
        res = reproduce(out, mode=mode, figures=figures, seed=args.seed,
                        use_cache=not args.no_cache, progress=not args.no_progress,
                        workers=workers, scheduler=args.scheduler)
    except ValueError as exc:
        if str(exc).startswith("scheduler:"):
            raise UsageError(f"--{exc}") from None
        raise
    print(f"wrote {len(res.files)} files to {res.out} in {res.wall_time:.1f} s; {res.summary}")
    bad = [p for p in res.points if not p.agree]
    for p in bad[:10]:
        print(f"  disagrees: {p.figure} {p.series} {p.quantity} {p.x_name}={p.x:g} "
              f"theory {p.theory:.4g} mc {p.mc:.4g} ± {p.se:.2g}", file=sys.stderr)
    return 0 if not bad else 1
