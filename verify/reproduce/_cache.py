"""On-disk cache of Monte Carlo results for ``modelcollapse reproduce``.

An entry is one :class:`~modelcollapse.verify.MonteCarloResult`, stored as a ``.npz`` file named
by the SHA-256 of its *key*: the simulation parameters (arrays by content hash), the seed and the
code version (package version plus a hash of the simulator sources, so editing a simulator
invalidates its entries).  The file also holds a SHA-256 checksum of the stored draws; an entry
that cannot be read, whose key differs, or whose checksum does not match is treated as missing
and recomputed.  Writes are atomic (temporary file in the same folder, then :func:`os.replace`),
so an interrupted run never leaves a half-written entry behind.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import os
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from .._result import MonteCarloResult

__all__ = ["MonteCarloCache", "code_version", "canonical"]

#: Modules whose source text enters :func:`code_version`.
SIMULATOR_MODULES = (
    "modelcollapse.verify._result",
    "modelcollapse.verify.montecarlo",
    "modelcollapse.verify.montecarlo_rp",
)

_FORMAT = 1


@cache
def code_version(modules: tuple[str, ...] = SIMULATOR_MODULES) -> str:
    """Package version and a hash of the simulators' source text (missing modules are skipped).

    Examples
    --------
    >>> from modelcollapse.verify.reproduce._cache import code_version
    >>> code_version().count("+")
    1
    """
    from importlib.metadata import PackageNotFoundError, version

    try:
        pkg = version("modelcollapse")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        pkg = "0+unknown"
    h = hashlib.sha256()
    for name in modules:
        try:
            mod = importlib.import_module(name)
        except ImportError:
            continue
        path = getattr(mod, "__file__", None)
        if path:
            h.update(name.encode())
            h.update(Path(path).read_bytes())
    return f"{pkg}+{h.hexdigest()[:16]}"


def canonical(value: Any) -> Any:
    """A JSON-able, order-independent form of ``value``; arrays longer than 16 by content hash.

    Examples
    --------
    >>> import numpy as np
    >>> from modelcollapse.verify.reproduce._cache import canonical
    >>> canonical({"b": np.float64(0.5), "a": [1, 2]})
    {'a': [1, 2], 'b': 0.5}
    """
    if isinstance(value, Mapping):
        return {str(k): canonical(value[k]) for k in sorted(value, key=str)}
    if isinstance(value, np.ndarray) and value.size > 16:
        arr = np.ascontiguousarray(value, dtype=float)
        return {"sha256": hashlib.sha256(arr.tobytes()).hexdigest(), "shape": list(arr.shape)}
    if isinstance(value, np.ndarray):
        return canonical(value.tolist())
    if isinstance(value, (list, tuple)):
        return [canonical(v) for v in value]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value)
    if value is None or isinstance(value, str):
        return value
    raise TypeError(f"cannot put a {type(value).__name__} into a cache key")


def _checksum(draws: Mapping[str, np.ndarray]) -> str:
    h = hashlib.sha256()
    for name in sorted(draws):
        arr = np.ascontiguousarray(draws[name], dtype=float)
        h.update(name.encode())
        h.update(repr(arr.shape).encode())
        h.update(arr.tobytes())
    return h.hexdigest()


class MonteCarloCache:
    """Content-addressed store of Monte Carlo results in a folder.

    Parameters
    ----------
    root : path or None
        Folder of the entries (created on first write).  ``None`` disables the cache.
    version : str, optional
        Code version entering every key (default :func:`code_version`).

    Attributes
    ----------
    hits, misses, repaired : int
        Counters: entries served, entries computed, and bad entries (corrupt or stale) that were
        recomputed.

    Examples
    --------
    >>> import tempfile, numpy as np
    >>> from modelcollapse.verify import MonteCarloResult
    >>> from modelcollapse.verify.reproduce._cache import MonteCarloCache
    >>> c = MonteCarloCache(tempfile.mkdtemp())
    >>> make = lambda: MonteCarloResult.from_draws({"test_error": np.ones((3, 2))}, 7, {"d": 5})
    >>> r1 = c.get_or_compute({"d": 5}, 7, make)
    >>> r2 = c.get_or_compute({"d": 5}, 7, make)
    >>> (c.misses, c.hits, r2.mean["test_error"].tolist())
    (1, 1, [1.0, 1.0])
    """

    def __init__(self, root: str | os.PathLike | None, version: str | None = None):
        self.root = None if root is None else Path(root)
        self.version = code_version() if version is None else version
        self.hits = 0
        self.misses = 0
        self.repaired = 0

    @property
    def enabled(self) -> bool:
        return self.root is not None

    def key(self, params: Mapping[str, Any], seed: int) -> str:
        """Hex SHA-256 of the canonical JSON of ``(params, seed, version)``."""
        blob = json.dumps(
            {"params": canonical(params), "seed": int(seed), "version": self.version,
             "format": _FORMAT},
            sort_keys=True,
            separators=(",", ":"),
        )
        return hashlib.sha256(blob.encode()).hexdigest()

    def path(self, key: str) -> Path:
        if self.root is None:
            raise ValueError("cache: disabled (no folder)")
        return self.root / f"{key}.npz"

    def load(self, key: str) -> MonteCarloResult | None:
        """The stored result, or ``None`` if missing, unreadable, stale or corrupted."""
        if self.root is None:
            return None
        path = self.path(key)
        if not path.exists():
            return None
        try:
            with np.load(path, allow_pickle=False) as data:
                meta = json.loads(str(data["__meta__"]))
                draws = {k[len("draw__"):]: np.array(data[k]) for k in data.files
                         if k.startswith("draw__")}
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile, json.JSONDecodeError):
            self.repaired += 1
            return None
        if meta.get("key") != key or meta.get("checksum") != _checksum(draws) or not draws:
            self.repaired += 1
            return None
        return MonteCarloResult.from_draws(draws, int(meta["seed"]), meta.get("params", {}))

    def store(self, key: str, result: MonteCarloResult) -> Path | None:
        """Write ``result`` atomically; returns the entry's path (``None`` if disabled)."""
        if self.root is None:
            return None
        self.root.mkdir(parents=True, exist_ok=True)
        draws = {k: np.asarray(v, dtype=float) for k, v in result.draws.items()}
        meta = {
            "key": key,
            "seed": int(result.seed),
            "params": canonical(result.params),
            "checksum": _checksum(draws),
            "version": self.version,
        }
        arrays = {f"draw__{k}": v for k, v in draws.items()}
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".npz", dir=self.root)
        try:
            with os.fdopen(fd, "wb") as fh:
                np.savez(fh, __meta__=np.array(json.dumps(meta)), **arrays)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.path(key))
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
        return self.path(key)

    def get_or_compute(
        self,
        params: Mapping[str, Any],
        seed: int,
        compute: Callable[[], MonteCarloResult],
    ) -> MonteCarloResult:
        """The cached result for ``(params, seed)``, computing and storing it if needed."""
        key = self.key(params, seed)
        found = self.load(key)
        if found is not None:
            self.hits += 1
            return found
        self.misses += 1
        result = compute()
        self.store(key, result)
        return result

    def entries(self) -> Iterable[Path]:
        """The entry files currently in the folder."""
        if self.root is None or not self.root.exists():
            return []
        return sorted(self.root.glob("*.npz"))
