"""On-disk cache of Monte Carlo results for ``modelcollapse reproduce``.

An entry is one :class:`~modelcollapse.verify.MonteCarloResult`, stored as a ``.npz`` file named
by the SHA-256 of its *key*: the simulation parameters (arrays by content hash), the seed, the
code version (package version plus a hash of the simulator sources, so editing a simulator
invalidates its entries) and the entry format.

Entry format 2 (``_FORMAT``) is a ZIP archive of uncompressed ``.npy`` members, as
:func:`numpy.savez` writes it:

* ``__meta__.npy``: a 0-d unicode array holding a JSON object with ``key`` (the file's key),
  ``seed`` (a whole number ≥ 0), ``params`` (the result's parameters, :func:`canonical` form),
  ``model`` (the result's model name), ``version``, ``format``, ``shapes`` (quantity → shape
  ``[n_draws, *grid]`` of its draws), ``coords`` (coordinate name → ``{"dtype", "shape"}``) and
  ``checksum`` (SHA-256 of the other fields and of every array);
* ``draw__<quantity>.npy``: the per-draw values, float64, of the shape recorded in ``shapes``;
* ``coord__<name>.npy``: the result's coordinates over the grid, stored exactly as bool,
  int64, uint64 or float64 (so a loaded coordinate may have a wider dtype than the computed
  one, never other values).

Reading trusts nothing in the folder.  :meth:`MonteCarloCache.load` opens regular files only (a
FIFO, device or directory in place of an entry is never read, so it cannot block), reads only
uncompressed, unencrypted members no larger than the file, parses the ``.npy`` headers itself
(no pickles, no allocation beyond the bytes present) and checks every field above.  The caller
may also state what it *expects* — each quantity it will use and the shape ``(n_draws, *grid)``
of its draws (``expect``) — which catches a well-formed entry of the wrong shape.  An entry that
fails any check is treated as missing: it is recomputed, rewritten and counted in ``repaired``.

Writes are atomic (temporary file in the same folder, then :func:`os.replace`), so an
interrupted run never leaves a half-written entry behind, and two processes that write the same
entry at once each write a whole file: the last replace wins and readers see one or the other.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import operator
import os
import re
import stat
import tempfile
import threading
import zipfile
from collections.abc import Callable, Iterable, Mapping
from functools import cache
from pathlib import Path
from typing import IO, Any

import numpy as np

from .._result import MonteCarloResult

__all__ = ["MonteCarloCache", "code_version", "canonical", "simulator_modules"]

#: Entry layout version (part of every key): 2 added ``shapes``, ``format``, ``model`` and the
#: coordinates, and extended the checksum to the metadata.
_FORMAT = 2


def simulator_modules() -> tuple[str, ...]:
    """The modules of every public simulator of :mod:`modelcollapse.verify` (``simulate_*``)."""
    from modelcollapse import verify

    names = [n for n in verify.__all__ if n.startswith("simulate")]
    return tuple(sorted({getattr(verify, n).__module__ for n in names}))


@cache
def code_version(modules: tuple[str, ...] | None = None) -> str:
    """Package version and a hash of the sources of the simulators and of every module they
    import (:mod:`modelcollapse.verify._provenance`): editing any of them changes the version.

    Examples
    --------
    >>> from modelcollapse.verify.reproduce._cache import code_version
    >>> code_version().count("+")
    1
    """
    from importlib.metadata import PackageNotFoundError, version

    from .._provenance import source_version

    try:
        pkg = version("modelcollapse")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        pkg = "0+unknown"
    return f"{pkg}+{source_version(simulator_modules() if modules is None else modules)}"


def canonical(value: Any) -> Any:
    """A JSON-able, order-independent form of ``value``; arrays longer than 16 by content hash.

    Mapping keys become strings (two keys with the same string are refused); arrays of more than
    16 elements become ``{"dtype", "sha256", "shape"}`` with the dtype normalised per kind
    (bool, 64-bit integer, 64-bit float) so that equal values give equal keys; shorter arrays
    become lists.  Anything else that JSON cannot hold exactly raises :class:`TypeError`.

    Examples
    --------
    >>> import numpy as np
    >>> from modelcollapse.verify.reproduce._cache import canonical
    >>> canonical({"b": np.float64(0.5), "a": [1, 2]})
    {'a': [1, 2], 'b': 0.5}
    >>> sorted(canonical(np.arange(20)))
    ['dtype', 'sha256', 'shape']
    """
    if isinstance(value, Mapping):
        out = {str(k): canonical(value[k]) for k in sorted(value, key=str)}
        if len(out) != len(value):
            raise TypeError("cannot put a mapping with two keys of the same string into a key")
        return out
    if isinstance(value, np.ndarray) and value.size > 16:
        arr = _hashable_array(value)
        return {"dtype": arr.dtype.str, "sha256": hashlib.sha256(arr.tobytes()).hexdigest(),
                "shape": list(arr.shape)}
    if isinstance(value, np.ndarray):
        return canonical(value.tolist())
    if isinstance(value, list | tuple):
        return [canonical(v) for v in value]
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return float(value)
    if value is None or isinstance(value, str):
        return value
    raise TypeError(f"cannot put a {type(value).__name__} into a cache key")


def _hashable_array(value: np.ndarray) -> np.ndarray:
    """``value`` as C-ordered little-endian bool, int64 or float64 (exactly), else TypeError."""
    kind = value.dtype.kind
    if kind == "b":
        return np.ascontiguousarray(value, dtype="|b1")
    if kind in "iu":
        info = np.iinfo(np.int64)
        if value.size and (int(value.min()) < info.min or int(value.max()) > info.max):
            raise TypeError("cannot put integers beyond 64 bits into a cache key")
        return np.ascontiguousarray(value, dtype="<i8")
    if kind == "f" and value.dtype.itemsize <= 8:
        return np.ascontiguousarray(value, dtype="<f8")
    raise TypeError(f"cannot put an array of dtype {value.dtype} into a cache key")


_KEY = re.compile(r"[0-9a-f]{64}")
_ENTRY_NAME = re.compile(r"[0-9a-f]{64}\.npz")
_QUANTITY = re.compile(r"[A-Za-z0-9_]{1,100}")
_META_MEMBER = "__meta__.npy"
_DRAW_PREFIX = "draw__"
_COORD_PREFIX = "coord__"
#: Metadata fields and their JSON types (``bool`` is refused where ``int`` is asked).
_META_FIELDS = {"key": str, "seed": int, "params": dict, "model": str, "version": str,
                "format": int, "shapes": dict, "coords": dict, "checksum": str}
#: How coordinates are stored, per dtype kind: exactly, in one dtype per kind.
_COORD_DTYPES = {"b": "|b1", "i": "<i8", "u": "<u8", "f": "<f8"}


class _BadEntry(Exception):
    """An entry that is present but is not what :meth:`MonteCarloCache.store` writes."""


def _checksum(meta: Mapping[str, Any], draws: Mapping[str, np.ndarray],
              coords: Mapping[str, np.ndarray]) -> str:
    """SHA-256 of the metadata (without its checksum) and of every array's dtype, shape, bytes."""
    h = hashlib.sha256()
    fields = {k: v for k, v in meta.items() if k != "checksum"}
    h.update(json.dumps(fields, sort_keys=True, separators=(",", ":")).encode())
    arrays = [(_DRAW_PREFIX + k, np.ascontiguousarray(v, dtype="<f8")) for k, v in draws.items()]
    arrays += [(_COORD_PREFIX + k, np.ascontiguousarray(v, dtype=_COORD_DTYPES[v.dtype.kind]))
               for k, v in coords.items()]
    for name, arr in sorted(arrays, key=lambda item: item[0]):
        h.update(f"{name} {arr.dtype.str} {arr.shape}".encode())
        h.update(arr.tobytes())
    return h.hexdigest()


def _shape(value: Any, what: str) -> tuple[int, ...]:
    """A draws shape ``(n_draws ≥ 1, *grid)`` of whole numbers ≥ 0, else ValueError."""
    try:
        items = list(value)
        dims = tuple(operator.index(d) for d in items)
    except TypeError:
        dims = ()
    if (not dims or dims[0] < 1 or any(d < 0 for d in dims)
            or any(isinstance(d, bool | np.bool_) for d in items)):
        raise ValueError(f"{what}: a shape (n_draws ≥ 1, *grid ≥ 0) of whole numbers, "
                         f"got {value!r}")
    return dims


def _expectation(expect: Mapping[str, Any] | None) -> dict[str, tuple[int, ...]] | None:
    """Check the caller's ``expect`` (quantity → draws shape) and normalise it."""
    if expect is None:
        return None
    if not isinstance(expect, Mapping) or not expect:
        raise ValueError("expect: a non-empty mapping quantity → (n_draws, *grid)")
    out = {}
    for name, shape in expect.items():
        if not isinstance(name, str) or not _QUANTITY.fullmatch(name):
            raise ValueError(f"expect: quantity names are letters, digits and '_', got {name!r}")
        out[name] = _shape(shape, f"expect[{name!r}]")
    return out


def _meets(shapes: Mapping[str, tuple[int, ...]], expect: Mapping[str, tuple[int, ...]]) -> bool:
    return all(shapes.get(name) == shape for name, shape in expect.items())


def _open_regular(path: Path) -> tuple[IO[bytes], int] | None:
    """``(file, size)`` of a regular file; ``None`` if absent; :class:`_BadEntry` otherwise.

    The type is checked before opening (nothing else is ever opened) and again on the open
    descriptor; ``O_NONBLOCK`` keeps even a FIFO swapped in between from blocking the open.
    """
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            raise _BadEntry("not a regular file")
        flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
        fd = os.open(path, flags)
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as exc:
        raise _BadEntry(str(exc)) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise _BadEntry("not a regular file")
        return os.fdopen(fd, "rb"), info.st_size
    except BaseException:
        os.close(fd)
        raise


def _read_npy(blob: bytes, kind: str) -> np.ndarray:
    """Parse one ``.npy`` member: ``"meta"`` (0-d unicode), ``"draws"`` or ``"coords"``."""
    fp = io.BytesIO(blob)
    version = np.lib.format.read_magic(fp)
    if version == (1, 0):
        shape, fortran, dtype = np.lib.format.read_array_header_1_0(fp)
    elif version == (2, 0):
        shape, fortran, dtype = np.lib.format.read_array_header_2_0(fp)
    else:
        raise _BadEntry(f".npy version {version}")
    if kind == "meta" and not (dtype.kind == "U" and shape == ()):
        raise _BadEntry("metadata is not a unicode scalar")
    if kind == "draws" and not (dtype.kind == "f" and dtype.itemsize == 8):
        raise _BadEntry(f"draws of dtype {dtype}")
    if kind == "coords" and dtype.str != _COORD_DTYPES.get(dtype.kind):
        raise _BadEntry(f"coordinates of dtype {dtype}")
    if any(not isinstance(d, int) or d < 0 for d in shape):
        raise _BadEntry(f"shape {shape}")
    count = math.prod(shape)
    data = blob[fp.tell():]
    if len(data) != count * dtype.itemsize:  # exact: nothing allocated beyond the bytes present
        raise _BadEntry("array size differs from its header")
    arr = np.frombuffer(data, dtype=dtype, count=count)
    return arr.reshape(shape, order="F" if fortran else "C")


def _names(table: Any, what: str) -> dict:
    """A metadata table keyed by quantity-style names, else :class:`_BadEntry`."""
    if not isinstance(table, dict) or not all(_QUANTITY.fullmatch(k) for k in table):
        raise _BadEntry(f"metadata field {what!r}")
    return table


def _decode(fh: IO[bytes], size: int):
    """``(meta, draws, coords)`` of an entry file, checked for form (not yet against its key)."""
    with zipfile.ZipFile(fh) as zf:
        infos = zf.infolist()
        names = [i.filename for i in infos]
        if len(set(names)) != len(names) or _META_MEMBER not in names:
            raise _BadEntry("members")
        if sum(i.file_size for i in infos) > size:
            raise _BadEntry("members larger than the file")
        for i in infos:
            if (i.compress_type != zipfile.ZIP_STORED or i.flag_bits & 0x1
                    or i.file_size != i.compress_size):
                raise _BadEntry(f"member {i.filename!r} is compressed or encrypted")
        meta = json.loads(str(_read_npy(zf.read(_META_MEMBER), "meta")[()]))
        if not isinstance(meta, dict):
            raise _BadEntry("metadata is not a JSON object")
        for name, kind in _META_FIELDS.items():
            if not isinstance(meta.get(name), kind) or isinstance(meta.get(name), bool):
                raise _BadEntry(f"metadata field {name!r}")
        shapes = {q: _shape(s, "shapes") for q, s in _names(meta["shapes"], "shapes").items()}
        coord_info = _names(meta["coords"], "coords")
        if not shapes or not all(isinstance(c, dict) and set(c) == {"dtype", "shape"}
                                 for c in coord_info.values()):
            raise _BadEntry("metadata fields 'shapes' or 'coords'")
        members = ({_META_MEMBER} | {f"{_DRAW_PREFIX}{q}.npy" for q in shapes}
                   | {f"{_COORD_PREFIX}{c}.npy" for c in coord_info})
        if set(names) != members:
            raise _BadEntry("members differ from the recorded quantities and coordinates")
        draws = {}
        for q, shape in shapes.items():
            arr = _read_npy(zf.read(f"{_DRAW_PREFIX}{q}.npy"), "draws")
            if arr.shape != shape:
                raise _BadEntry(f"draws of {q!r} have shape {arr.shape}, recorded {shape}")
            draws[q] = np.array(arr, dtype=np.float64, order="C")  # native, owned, writable
        coords = {}
        for c, info in coord_info.items():
            arr = _read_npy(zf.read(f"{_COORD_PREFIX}{c}.npy"), "coords")
            if [arr.dtype.str, list(arr.shape)] != [info["dtype"], info["shape"]]:
                raise _BadEntry(f"coordinate {c!r} differs from its record")
            coords[c] = np.array(arr, dtype=arr.dtype.newbyteorder("="), order="C")
    meta["shapes"] = shapes
    return meta, draws, coords


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
    hits, misses, repaired, unstored : int
        Counters: entries served, entries computed, bad entries (unreadable, corrupt, stale,
        forged or not as expected) that were treated as missing, and computed results that could
        not be written (the result is still returned; the reason is in ``store_error``).
    store_error : str or None
        Why the last failed write failed.

    Examples
    --------
    >>> import tempfile, numpy as np
    >>> from modelcollapse.verify import MonteCarloResult
    >>> from modelcollapse.verify.reproduce._cache import MonteCarloCache
    >>> c = MonteCarloCache(tempfile.mkdtemp())
    >>> make = lambda: MonteCarloResult.from_draws({"test_error": np.ones((3, 2))}, 7, {"d": 5})
    >>> r1 = c.get_or_compute({"d": 5}, 7, make, expect={"test_error": (3, 2)})
    >>> r2 = c.get_or_compute({"d": 5}, 7, make, expect={"test_error": (3, 2)})
    >>> (c.misses, c.hits, r2.mean["test_error"].tolist())
    (1, 1, [1.0, 1.0])
    >>> c.get_or_compute({"d": 5}, 7, make, expect={"test_error": (3, 4)})
    Traceback (most recent call last):
    ...
    ValueError: expect: the computed result does not have the expected draws ...
    """

    def __init__(self, root: str | os.PathLike | None, version: str | None = None):
        self.root = None if root is None else Path(root)
        self.version = code_version() if version is None else version
        self.hits = 0
        self.misses = 0
        self.repaired = 0
        self.unstored = 0
        self.store_error: str | None = None
        self._lock = threading.Lock()  # the counters, when runs overlap in threads

    def _count(self, name: str) -> None:
        with self._lock:
            setattr(self, name, getattr(self, name) + 1)

    @property
    def enabled(self) -> bool:
        return self.root is not None

    def key(self, params: Mapping[str, Any], seed: int) -> str:
        """Hex SHA-256 of the canonical JSON of ``(params, seed, version, format)``."""
        blob = json.dumps(
            {"params": canonical(params), "seed": _seed(seed), "version": self.version,
             "format": _FORMAT},
            sort_keys=True,
            separators=(",", ":"),
        )
        return hashlib.sha256(blob.encode()).hexdigest()

    def path(self, key: str) -> Path:
        """The entry file of ``key`` (64 lowercase hex digits, as :meth:`key` returns)."""
        if self.root is None:
            raise ValueError("cache: disabled (no folder)")
        if not isinstance(key, str) or not _KEY.fullmatch(key):
            raise ValueError(f"key: 64 lowercase hex digits, got {str(key)[:80]!r}")
        return self.root / f"{key}.npz"

    def load(self, key: str, expect: Mapping[str, Any] | None = None) -> MonteCarloResult | None:
        """The stored result, or ``None`` if missing, unreadable, stale, corrupted or unexpected.

        Parameters
        ----------
        key : str
            From :meth:`key`.
        expect : mapping, optional
            Quantity → shape ``(n_draws, *grid)`` of its draws that the caller will use; the
            entry must hold each of them with exactly that shape.  Without it, only the
            entry's own consistency is checked.

        Returns
        -------
        MonteCarloResult or None
            ``None`` for a missing entry, and for a bad one (also counted in ``repaired``).
            Nothing in the folder makes this raise or block.

        Raises
        ------
        ValueError
            For a ``key`` that is not 64 lowercase hex digits or a malformed ``expect`` (the
            caller's mistakes, not the folder's).
        """
        return self._load(key, _expectation(expect), None)

    def _load(self, key: str, expect: dict | None, seed: int | None) -> MonteCarloResult | None:
        if self.root is None:
            return None
        path = self.path(key)
        try:
            opened = _open_regular(path)
            if opened is None:
                return None
            fh, size = opened
            with fh:
                meta, draws, coords = _decode(fh, size)
        # The bytes are untrusted: whatever zipfile, the .npy header parser or JSON raise on
        # them (BadZipFile, NotImplementedError for an unknown zip version, RuntimeError for an
        # "encrypted" member, struct/zlib errors, ...) means the same thing, a bad entry.
        except Exception:
            self._count("repaired")
            return None
        if (meta["key"] != key or meta["version"] != self.version or meta["format"] != _FORMAT
                or meta["seed"] < 0 or (seed is not None and meta["seed"] != seed)
                or meta["checksum"] != _checksum(meta, draws, coords)
                or (expect is not None and not _meets(meta["shapes"], expect))):
            self._count("repaired")
            return None
        return MonteCarloResult.from_draws(draws, meta["seed"], meta["params"],
                                           model=meta["model"], coords=coords)

    def store(self, key: str, result: MonteCarloResult) -> Path | None:
        """Write ``result`` atomically; returns the entry's path (``None`` if disabled).

        Raises
        ------
        ValueError
            If ``result`` cannot be stored faithfully (draws that are not real numbers of shape
            ``(n_draws ≥ 1, *grid)``, quantity names other than letters, digits and ``_``).
        OSError
            If the folder cannot be written.
        """
        if self.root is None:
            return None
        path = self.path(key)
        draws = _storable_draws(result)
        coords = _storable_coords(result)
        if not isinstance(result.model, str):
            raise ValueError(f"result.model: a string, got {type(result.model).__name__}")
        meta: dict[str, Any] = {
            "key": key,
            "seed": _seed(result.seed),
            "params": canonical(result.params),
            "model": result.model,
            "version": self.version,
            "format": _FORMAT,
            "shapes": {k: list(v.shape) for k, v in draws.items()},
            "coords": {k: {"dtype": v.dtype.str, "shape": list(v.shape)}
                       for k, v in coords.items()},
        }
        meta["checksum"] = _checksum(meta, draws, coords)
        arrays = {f"{_DRAW_PREFIX}{k}": v for k, v in draws.items()}
        arrays |= {f"{_COORD_PREFIX}{k}": v for k, v in coords.items()}
        self.root.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".npz", dir=self.root)
        try:
            with os.fdopen(fd, "wb") as fh:
                np.savez(fh, __meta__=np.array(json.dumps(meta)), **arrays)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
        _sync_folder(self.root)
        return path

    def get_or_compute(
        self,
        params: Mapping[str, Any],
        seed: int,
        compute: Callable[[], MonteCarloResult],
        expect: Mapping[str, Any] | None = None,
    ) -> MonteCarloResult:
        """The cached result for ``(params, seed)``, computing and storing it if needed.

        ``expect`` is as in :meth:`load`; a computed result that does not meet it raises
        :class:`ValueError` (the caller's expectation or the simulator is wrong).  A stored
        entry must also carry ``seed``.  A result that cannot be written is still returned
        (counted in ``unstored``).
        """
        wanted = _expectation(expect)
        key = self.key(params, seed)
        found = self._load(key, wanted, _seed(seed))
        if found is not None:
            self._count("hits")
            return found
        self._count("misses")
        result = compute()
        if wanted is not None and not _meets({k: np.shape(v) for k, v in result.draws.items()},
                                             wanted):
            got = {k: np.shape(v) for k, v in result.draws.items()}
            raise ValueError(f"expect: the computed result does not have the expected draws "
                             f"(expected {wanted}, computed {got})")
        if self.enabled:
            try:
                self.store(key, result)
            except OSError as exc:
                self._count("unstored")
                self.store_error = f"{exc.strerror or exc}: {exc.filename or self.root}"
        return result

    def entries(self) -> Iterable[Path]:
        """The entry files currently in the folder (regular files named like an entry)."""
        if self.root is None:
            return []
        try:
            with os.scandir(self.root) as it:
                found = [Path(e.path) for e in it
                         if _ENTRY_NAME.fullmatch(e.name) and e.is_file(follow_symlinks=False)]
        except OSError:
            return []
        return sorted(found)


def _seed(seed: Any) -> int:
    """A seed as a whole number ≥ 0, else ValueError."""
    if isinstance(seed, bool | np.bool_):
        raise ValueError(f"seed: a whole number ≥ 0, got {seed!r}")
    try:
        value = operator.index(seed)
    except TypeError:
        raise ValueError(f"seed: a whole number ≥ 0, got {seed!r}") from None
    if value < 0:
        raise ValueError(f"seed: a whole number ≥ 0, got {value}")
    return value


def _storable_draws(result: MonteCarloResult) -> dict[str, np.ndarray]:
    """The result's draws as float64 arrays of shape ``(n_draws ≥ 1, *grid)``, else ValueError."""
    draws = {}
    if not result.draws:
        raise ValueError("result.draws: no quantity to store")
    for name, value in result.draws.items():
        if not isinstance(name, str) or not _QUANTITY.fullmatch(name):
            raise ValueError(f"result.draws: quantity names are letters, digits and '_', got "
                             f"{name!r}")
        arr = np.asarray(value)
        if arr.dtype.kind not in "biuf":
            raise ValueError(f"result.draws[{name!r}]: real numbers, got dtype {arr.dtype}")
        arr = np.asarray(arr, dtype=np.float64)
        _shape(arr.shape, f"result.draws[{name!r}]")
        draws[name] = arr
    return draws


def _storable_coords(result: MonteCarloResult) -> dict[str, np.ndarray]:
    """The result's coordinates in their exact storage dtype (bool, int64, uint64, float64)."""
    coords = {}
    for name, value in result.coords.items():
        if not isinstance(name, str) or not _QUANTITY.fullmatch(name):
            raise ValueError(f"result.coords: names are letters, digits and '_', got {name!r}")
        arr = np.asarray(value)
        dtype = _COORD_DTYPES.get(arr.dtype.kind)
        if dtype is None or (arr.dtype.kind == "f" and arr.dtype.itemsize > 8):
            raise ValueError(f"result.coords[{name!r}]: numbers of at most 64 bits, got dtype "
                             f"{arr.dtype}")
        coords[name] = np.ascontiguousarray(arr, dtype=dtype)
    return coords


def _sync_folder(folder: Path) -> None:
    """Best-effort fsync of a folder so a finished replace survives a power cut."""
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
