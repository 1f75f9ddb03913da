"""The Monte Carlo cache never crashes, blocks or lies, whatever is in its folder.

Every bad entry — flipped or truncated bytes, metadata of the wrong JSON shape, a directory, a
FIFO or a device in place of an entry, self-consistent forged entries of the wrong shape — must
make :meth:`MonteCarloCache.load` answer ``None`` (counted in ``repaired``) and
:meth:`get_or_compute` recompute; a good entry must come back bit for bit.  The reference values
are the arrays the tests build themselves.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import stat
import threading
import time
import zipfile

import numpy as np
import pytest

from modelcollapse.verify import MonteCarloResult
from modelcollapse.verify.reproduce import Context, settings_for
from modelcollapse.verify.reproduce._cache import MonteCarloCache, _checksum, canonical
from modelcollapse.verify.reproduce._context import derived_seed

PARAMS = {"d": 5, "grid": np.linspace(0.0, 1.0, 20)}
SEED = 3
SHAPE = (4, 2)  # (n_draws, grid points)
EXPECT = {"test_error": SHAPE, "bias": SHAPE}


def _draws(offset: float = 0.0) -> dict[str, np.ndarray]:
    base = np.arange(8.0).reshape(SHAPE) / 7.0 + offset  # not exactly representable: full bits
    return {"test_error": base, "bias": base / 3.0}


def _coords() -> dict[str, np.ndarray]:
    return {"ridge": np.array([0.1, 1.0]), "n": np.array([20, 40]), "mask": np.array([1, 0]) > 0}


def _result(seed: int = SEED, offset: float = 0.0) -> MonteCarloResult:
    return MonteCarloResult.from_draws(_draws(offset), seed, {"d": 5}, model="ridge",
                                       coords=_coords())


def _same(found: MonteCarloResult | None, offset: float = 0.0, seed: int = SEED) -> bool:
    """Bit for bit the result :func:`_result` builds (arrays by dtype, shape and bytes)."""
    if found is None:
        return False
    want, coords = _draws(offset), _coords()

    def equal(a, b):
        return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()

    return (found.seed == seed and found.params == {"d": 5} and found.model == "ridge"
            and set(found.draws) == set(want) and all(equal(found.draws[k], want[k])
                                                      for k in want)
            and set(found.coords) == set(coords) and all(equal(found.coords[k], coords[k])
                                                         for k in coords))


def _stored(tmp_path):
    cache = MonteCarloCache(tmp_path / "cache", version="v-test")
    key = cache.key(PARAMS, SEED)
    cache.store(key, _result())
    return cache, key, cache.path(key)


def _fresh(tmp_path, name: str) -> MonteCarloCache:
    return MonteCarloCache(tmp_path / name, version="v-test")


# ------------------------------------------------------------------ good entries


def test_roundtrip_is_bit_exact_and_expectation_is_met(tmp_path):
    cache, key, path = _stored(tmp_path)
    assert _same(cache.load(key)) and _same(cache.load(key, EXPECT))
    assert _same(cache.load(key, {"test_error": SHAPE}))  # a subset of the quantities is fine
    assert cache.repaired == 0
    assert [p.name for p in cache.entries()] == [path.name]
    names = zipfile.ZipFile(path).namelist()
    assert sorted(names) == ["__meta__.npy", "coord__mask.npy", "coord__n.npy",
                             "coord__ridge.npy", "draw__bias.npy", "draw__test_error.npy"]
    meta = json.loads(str(np.load(path)["__meta__"]))
    assert meta["format"] == 2 and meta["shapes"] == {"bias": [4, 2], "test_error": [4, 2]}
    assert meta["coords"]["n"] == {"dtype": "<i8", "shape": [2]} and meta["model"] == "ridge"


def test_good_entries_in_other_array_layouts_load_exactly(tmp_path):
    """Fortran order and big-endian float64 are valid .npy: same numbers, so accepted."""
    cache, key, path = _stored(tmp_path)
    for layout in (np.asfortranarray, lambda a: a.astype(">f8")):
        meta = json.loads(str(np.load(path)["__meta__"]))
        arrays = {f"draw__{k}": layout(v) for k, v in _draws().items()}
        arrays |= {f"coord__{k}": v.astype(meta["coords"][k]["dtype"])
                   for k, v in _coords().items()}
        np.savez(path, __meta__=np.array(json.dumps(meta)), **arrays)
        assert _same(cache.load(key, EXPECT))
    assert cache.repaired == 0


# ------------------------------------------------------------------ byte flips and truncation


def _fuzz(tmp_path, variants) -> tuple[int, int]:
    """Load every variant of the entry; each must be None or the exact original.

    ``variants`` yields ``{position: byte}`` edits, or an ``int`` length to truncate to; each is
    written in place and undone after the load (whole-file rewrites would dominate the time).
    """
    cache, key, path = _stored(tmp_path)
    blob = path.read_bytes()
    good = bad = 0
    fd = os.open(path, os.O_RDWR)
    try:
        for edit in variants:
            if isinstance(edit, int):
                os.truncate(fd, edit)
            else:
                for pos, byte in edit.items():
                    os.pwrite(fd, bytes([byte]), pos)
            before = cache.repaired
            found = cache.load(key, EXPECT)
            if found is None:
                assert cache.repaired == before + 1
                bad += 1
            else:
                assert _same(found), f"a corrupted entry loaded with different numbers: {edit}"
                good += 1
            if isinstance(edit, int):
                os.pwrite(fd, blob[edit:], edit)
            else:
                for pos in edit:
                    os.pwrite(fd, blob[pos:pos + 1], pos)
    finally:
        os.close(fd)
    assert path.read_bytes() == blob and _same(cache.load(key, EXPECT))
    return good, bad


def _flips(blob: bytes, masks):
    for pos in range(len(blob)):
        for mask in masks:
            yield {pos: blob[pos] ^ mask}


def _scrambles(blob: bytes, count: int, most: int, seed: int):
    rng = np.random.default_rng(seed)
    for _ in range(count):
        where = rng.choice(len(blob), size=int(rng.integers(2, most + 1)), replace=False)
        yield {int(pos): int(rng.integers(256)) for pos in where}


def test_byte_flip_fuzz_over_the_whole_entry(tmp_path):
    """Every byte of an entry flipped with four bit patterns, plus seeded multi-byte damage."""
    _, _, path = _stored(tmp_path)
    blob = path.read_bytes()
    variants = [*_flips(blob, (0x01, 0x10, 0x80, 0xFF)), *_scrambles(blob, 300, 8, 20250)]
    good, bad = _fuzz(tmp_path / "fuzz", variants)
    assert good + bad == 4 * len(blob) + 300
    # Flips inside the members (data, .npy headers, JSON) are all caught (CRC-32, checksum);
    # only bytes zipfile ignores (timestamps, "made by" fields, ...) load, and then exactly.
    assert bad > 0.8 * (good + bad)


def test_every_truncation_is_rejected(tmp_path):
    _, _, path = _stored(tmp_path)
    good, bad = _fuzz(tmp_path / "cut", range(path.stat().st_size))
    assert (good, bad) == (0, path.stat().st_size)


@pytest.mark.slow
def test_byte_flip_fuzz_every_mask(tmp_path):
    """Every byte with many bit patterns, plus seeded multi-byte corruptions.

    The full sweep (all 255 masks and 20 000 corruptions, ~15 min) runs when
    ``MODELCOLLAPSE_SLOW_BUDGET`` is 60 (its default) or more; CI's bounded run (budget 10) takes
    every 6th mask and 3 300 corruptions.
    """
    budget = int(os.environ.get("MODELCOLLAPSE_SLOW_BUDGET", "60"))
    step = max(1, round(60 / max(budget, 1)))
    masks = range(1, 256, step)
    corruptions = 20_000 * min(budget, 60) // 60
    _, _, path = _stored(tmp_path)
    blob = path.read_bytes()
    good, bad = _fuzz(tmp_path / "fuzz", [*_flips(blob, masks),
                                          *_scrambles(blob, corruptions, 32, 7)])
    assert good + bad == len(masks) * len(blob) + corruptions


# ------------------------------------------------------------------ forged entries


def _forge(path, cache, key, *, meta=None, arrays=None, coords=None, edit=None, raw_meta=None,
           compressed=False, checksum=True):
    """Write an entry by hand: valid metadata for ``arrays`` unless told otherwise."""
    arrays = _draws() if arrays is None else arrays
    coords = {"ridge": np.array([0.1, 1.0])} if coords is None else coords
    if meta is None:
        meta = {"key": key, "seed": SEED, "params": {"d": 5}, "model": "ridge",
                "version": cache.version, "format": 2,
                "shapes": {k: list(np.shape(v)) for k, v in arrays.items()},
                "coords": {k: {"dtype": np.asarray(v).dtype.str, "shape": list(np.shape(v))}
                           for k, v in coords.items()}}
        if edit:
            edit(meta)
        if checksum and isinstance(meta, dict):
            meta["checksum"] = _checksum(meta, arrays, coords)
    blob = np.array(json.dumps(meta)) if raw_meta is None else raw_meta
    members = {f"draw__{k}": v for k, v in arrays.items()}
    members |= {f"coord__{k}": v for k, v in coords.items()}
    (np.savez_compressed if compressed else np.savez)(path, __meta__=blob, **members)


def _set(field, value):
    return lambda meta: meta.__setitem__(field, value)


def _drop(field):
    return lambda meta: meta.pop(field)


FORGED = {
    # metadata of the wrong JSON shape
    "meta is a list": dict(meta=[1, 2, 3]),
    "meta is a number": dict(meta=42),
    "meta is a string": dict(meta="hello"),
    "meta is null": dict(meta=None, raw_meta=np.array("null")),
    "meta is not JSON": dict(raw_meta=np.array("{not json")),
    "meta is a float array": dict(raw_meta=np.arange(3.0)),
    **{f"meta misses {f}": dict(edit=_drop(f))
       for f in ("key", "seed", "params", "model", "version", "format", "shapes", "coords")},
    "meta misses checksum": dict(checksum=False),
    "seed is a string": dict(edit=_set("seed", "3")),
    "seed is negative": dict(edit=_set("seed", -1)),
    "seed is a float": dict(edit=_set("seed", 3.5)),
    "seed is true": dict(edit=_set("seed", True)),
    "params is a list": dict(edit=_set("params", [5])),
    "key of another entry": dict(edit=_set("key", "0" * 64)),
    "other code version": dict(edit=_set("version", "v-old")),
    "format 1": dict(edit=_set("format", 1)),
    "shapes is a list": dict(edit=_set("shapes", [[4, 2]])),
    "shapes is empty": dict(edit=_set("shapes", {})),
    "shapes disagree with arrays": dict(edit=_set("shapes", {"test_error": [4], "bias": [4]})),
    "shape with zero draws": dict(arrays={"test_error": np.zeros((0, 2)),
                                          "bias": np.zeros((0, 2))}),
    "shape of floats": dict(edit=_set("shapes", {"test_error": [4.0, 2], "bias": [4, 2]})),
    "bad quantity name": dict(edit=_set("shapes", {"../x": [4, 2], "bias": [4, 2]})),
    "wrong checksum": dict(edit=_set("checksum", "0" * 64), checksum=False),
    # self-consistent forgeries that only the caller's expectation exposes
    "1-D draws": dict(arrays={"test_error": np.arange(4.0), "bias": np.arange(4.0)}),
    "a missing quantity": dict(arrays={"test_error": _draws()["test_error"]}),
    "wrong number of grid points": dict(arrays={"test_error": np.ones((4, 3)),
                                                "bias": np.ones((4, 3))}),
    "wrong number of draws": dict(arrays={"test_error": np.ones((5, 2)),
                                          "bias": np.ones((5, 2))}),
    "grid of another rank": dict(arrays={"test_error": np.ones((4, 2, 1)),
                                         "bias": np.ones((4, 2, 1))}),
    "model is a number": dict(edit=_set("model", 5)),
    "coords is a list": dict(edit=_set("coords", [])),
    "coords record mismatch": dict(edit=_set("coords", {"ridge": {"dtype": "<f8",
                                                                  "shape": [3]}})),
    "coords member missing": dict(edit=_set("coords", {"ridge": {"dtype": "<f8", "shape": [2]},
                                                       "n": {"dtype": "<i8", "shape": [2]}})),
    "coords of int32": dict(coords={"n": np.array([1, 2], dtype=np.int32)}),
    "coords of complex": dict(coords={"n": np.array([1j, 2])}, checksum=False,
                              edit=_set("checksum", "0" * 64)),
    # arrays that are not float64
    "int64 draws": dict(arrays={k: v.astype(np.int64) for k, v in _draws().items()}),
    "float32 draws": dict(arrays={k: v.astype(np.float32) for k, v in _draws().items()}),
    "complex draws": dict(arrays={k: v.astype(complex) for k, v in _draws().items()},
                          edit=_set("checksum", "0" * 64), checksum=False),
    # an archive form store() never writes
    "compressed members": dict(compressed=True),
}


@pytest.mark.parametrize("case", FORGED, ids=list(FORGED))
def test_forged_entry_is_treated_as_missing_and_recomputed(tmp_path, case):
    cache = _fresh(tmp_path, "c")
    cache.root.mkdir()
    key = cache.key(PARAMS, SEED)
    _forge(cache.path(key), cache, key, **FORGED[case])
    assert cache.load(key, EXPECT) is None
    assert cache.repaired == 1
    fresh = cache.get_or_compute(PARAMS, SEED, lambda: _result(offset=1.0), expect=EXPECT)
    assert _same(fresh, offset=1.0) and cache.misses == 1 and cache.repaired == 2
    assert _same(cache.load(key, EXPECT), offset=1.0)  # the entry was rewritten


def test_forged_valid_entry_is_accepted_exactly(tmp_path):
    """The forging helper itself writes what store() writes (so the table tests one fault)."""
    cache = _fresh(tmp_path, "c")
    cache.root.mkdir()
    key = cache.key(PARAMS, SEED)
    _forge(cache.path(key), cache, key, coords=_coords())
    assert _same(cache.load(key, EXPECT)) and cache.repaired == 0


def test_pickled_object_draws_are_never_unpickled(tmp_path):
    cache = _fresh(tmp_path, "c")
    cache.root.mkdir()
    key = cache.key(PARAMS, SEED)
    arrays = {"test_error": np.array([[{"x": 1}]] * 4, dtype=object), "bias": np.ones(SHAPE)}
    meta = {"key": key, "seed": SEED, "params": {}, "model": "", "version": cache.version,
            "format": 2, "shapes": {"test_error": [4, 1], "bias": [4, 2]}, "coords": {},
            "checksum": "0" * 64}
    np.savez(cache.path(key), __meta__=np.array(json.dumps(meta)),
             **{f"draw__{k}": v for k, v in arrays.items()}, allow_pickle=True)
    assert cache.load(key) is None and cache.repaired == 1


def _edit_stored_meta(path, **fields) -> None:
    """Rewrite a stored entry with some metadata fields changed and nothing else."""
    with np.load(path) as data:
        meta = json.loads(str(data["__meta__"]))
        members = {k: np.array(data[k]) for k in data.files if k != "__meta__"}
    meta.update(fields)
    np.savez(path, __meta__=np.array(json.dumps(meta)), **members)


def test_corrupt_seed_is_recomputed_not_a_user_error(tmp_path):
    """U5: a stored seed that is not a whole number used to raise ValueError (CLI exit 2)."""
    cache, key, path = _stored(tmp_path)
    _edit_stored_meta(path, seed="x")
    result = cache.get_or_compute(PARAMS, SEED, lambda: _result(offset=2.0))
    assert _same(result, offset=2.0) and cache.repaired == 1


def test_entry_with_another_valid_seed_is_recomputed(tmp_path):
    cache, key, path = _stored(tmp_path)
    _edit_stored_meta(path, seed=SEED + 1)
    result = cache.get_or_compute(PARAMS, SEED, lambda: _result(offset=2.0))
    assert _same(result, offset=2.0) and cache.repaired == 1


def test_context_simulate_passes_the_expectation(tmp_path):
    cache = _fresh(tmp_path, "c")
    cache.root.mkdir()
    ctx = Context(settings_for("tiny"), cache, seed=0)
    seed = derived_seed(0, "label")
    key = cache.key(PARAMS, seed)
    _forge(cache.path(key), cache, key, edit=_set("seed", seed),
           arrays={"test_error": np.ones((4, 3)), "bias": np.ones((4, 3))})
    got = ctx.simulate("label", PARAMS, lambda s: _result(seed=s), expect=EXPECT)
    assert _same(got, seed=seed) and cache.repaired == 1


# ------------------------------------------------------------------ not a regular file


def _load_with_deadline(cache, key, fifo=None, seconds=10.0):
    """``cache.load(key)`` in a thread; if it blocks, unblock it via the FIFO and fail."""
    box = {}
    worker = threading.Thread(target=lambda: box.setdefault("r", cache.load(key)), daemon=True)
    worker.start()
    worker.join(seconds)
    blocked = worker.is_alive()
    if blocked and fifo is not None:  # a writer lets the blocked open() return
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        worker.join(seconds)
    assert not blocked, "load() blocked on a non-regular file"
    return box.get("r", "raised")


def test_fifo_in_place_of_an_entry_never_blocks(tmp_path):
    """H1: opening a FIFO with no writer blocked forever."""
    cache = _fresh(tmp_path, "c")
    cache.root.mkdir()
    key = cache.key(PARAMS, SEED)
    os.mkfifo(cache.path(key))
    t0 = time.perf_counter()
    assert _load_with_deadline(cache, key, fifo=cache.path(key)) is None
    assert time.perf_counter() - t0 < 5 and cache.repaired == 1
    result = cache.get_or_compute(PARAMS, SEED, _result)  # store replaces the FIFO
    assert _same(result) and stat.S_ISREG(os.lstat(cache.path(key)).st_mode)
    assert _same(cache.load(key, EXPECT))


def test_directory_in_place_of_an_entry(tmp_path):
    cache = _fresh(tmp_path, "c")
    key = cache.key(PARAMS, SEED)
    (cache.path(key) / "inside").mkdir(parents=True)
    assert cache.load(key) is None and cache.repaired == 1
    result = cache.get_or_compute(PARAMS, SEED, _result)  # cannot be replaced: still served
    assert _same(result) and cache.unstored == 1 and cache.store_error
    assert cache.entries() == []


@pytest.mark.parametrize("target", ["/dev/zero", "/dev/null", "loop", "dangling"])
def test_symbolic_links_to_devices_and_nowhere(tmp_path, target):
    cache = _fresh(tmp_path, "c")
    cache.root.mkdir()
    key = cache.key(PARAMS, SEED)
    path = cache.path(key)
    if target == "loop":
        os.symlink(path.name, path)
    elif target == "dangling":
        os.symlink(tmp_path / "nowhere", path)
    else:
        if not os.path.exists(target):
            pytest.skip(f"no {target}")
        os.symlink(target, path)
    assert _load_with_deadline(cache, key) is None
    assert cache.repaired == (0 if target == "dangling" else 1)  # dangling = missing
    assert _same(cache.get_or_compute(PARAMS, SEED, _result))
    assert _same(cache.load(key, EXPECT))


def test_entries_lists_only_regular_entry_files(tmp_path):
    cache, key, path = _stored(tmp_path)
    os.mkfifo(cache.root / ("a" * 64 + ".npz"))
    (cache.root / ("b" * 64 + ".npz")).mkdir()
    (cache.root / ".tmp-123.npz").write_bytes(b"half")
    (cache.root / "notes.npz").write_bytes(b"x")
    assert cache.entries() == [path]
    assert _fresh(tmp_path, "missing").entries() == []
    (tmp_path / "file").write_bytes(b"")
    assert MonteCarloCache(tmp_path / "file", version="v").entries() == []
    assert MonteCarloCache(tmp_path / "file", version="v").load(key) is None


# ------------------------------------------------------------------ two writers


def _writer(root, key, offset, start, rounds):
    cache = MonteCarloCache(root, version="v-test")
    start.wait()
    for _ in range(rounds):
        cache.store(key, _result(offset=offset))


def test_two_processes_writing_the_same_entry_never_leave_it_corrupt(tmp_path):
    root = tmp_path / "c"
    cache = MonteCarloCache(root, version="v-test")
    key = cache.key(PARAMS, SEED)
    ctx = multiprocessing.get_context("fork")
    start = ctx.Event()
    procs = [ctx.Process(target=_writer, args=(root, key, off, start, 150)) for off in (0.0, 5.0)]
    for p in procs:
        p.start()
    start.set()
    seen = {"a": 0, "b": 0}
    while any(p.is_alive() for p in procs):
        found = cache.load(key, EXPECT)
        if found is not None:
            assert _same(found) or _same(found, offset=5.0)
            seen["a" if _same(found) else "b"] += 1
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    assert cache.repaired == 0, "a reader saw a half-written entry"
    final = cache.load(key, EXPECT)
    assert _same(final) or _same(final, offset=5.0)
    assert cache.entries() == [cache.path(key)]
    assert sorted(os.listdir(root)) == [cache.path(key).name]  # no temporary file left
    assert sum(seen.values()) > 0


# ------------------------------------------------------------------ keys and arguments


def test_key_and_path_refuse_bad_input(tmp_path):
    cache = _fresh(tmp_path, "c")
    for seed in (-1, 1.5, "3", True, None):
        with pytest.raises(ValueError, match="^seed: "):
            cache.key(PARAMS, seed)
    for key in ("../" + "a" * 61, "A" * 64, "a" * 63, 5):
        with pytest.raises(ValueError, match="^key: "):
            cache.path(key)
    assert cache.key(PARAMS, np.uint32(SEED)) == cache.key(PARAMS, SEED)


@pytest.mark.parametrize("expect", [{}, {"test_error": (0, 2)}, {"test_error": (4.0, 2)},
                                    {"a/b": (4, 2)}, {"test_error": 4}, [("test_error", (4,))]])
def test_bad_expectation_is_a_value_error(tmp_path, expect):
    cache, key, _ = _stored(tmp_path)
    with pytest.raises(ValueError, match="^expect"):
        cache.load(key, expect)


def test_computed_result_that_misses_the_expectation_is_refused(tmp_path):
    cache = _fresh(tmp_path, "c")
    with pytest.raises(ValueError, match="^expect: the computed result"):
        cache.get_or_compute(PARAMS, SEED, _result, expect={"zeta": SHAPE})
    assert cache.entries() == []


@pytest.mark.parametrize("draws, name", [
    ({"test_error": np.ones(SHAPE, dtype=complex)}, "test_error"),
    ({"a/b": np.ones(SHAPE)}, "a/b"),
    ({"test_error": np.ones((0, 2))}, "test_error"),
    ({"test_error": np.float64(1.0)}, "test_error"),
])
def test_store_refuses_results_it_cannot_keep_faithfully(tmp_path, draws, name):
    cache = _fresh(tmp_path, "c")
    result = MonteCarloResult(mean={}, stderr={}, draws=draws, seed=1)
    with pytest.raises(ValueError, match="^result.draws"):
        cache.store(cache.key(PARAMS, 1), result)
    assert cache.entries() == []


@pytest.mark.parametrize("coords", [{"n": np.array([1j, 2j])}, {"a/b": np.ones(2)},
                                    {"n": np.array(["x", "y"])}])
def test_store_refuses_coordinates_it_cannot_keep_exactly(tmp_path, coords):
    cache = _fresh(tmp_path, "c")
    result = MonteCarloResult.from_draws(_draws(), 1, coords=coords)
    with pytest.raises(ValueError, match="^result.coords"):
        cache.store(cache.key(PARAMS, 1), result)
    assert cache.entries() == []


def test_canonical_distinguishes_what_floats_would_merge():
    big = np.arange(20, dtype=np.int64) + 2**60
    assert canonical(big) != canonical(big + 1)  # equal as float64, different as integers
    assert canonical(np.arange(20)) != canonical(np.arange(20.0))
    assert canonical(np.arange(20.0)) == canonical(np.arange(20.0, dtype=np.float32))
    ref = hashlib.sha256(np.arange(20.0).astype("<f8").tobytes()).hexdigest()
    assert canonical(np.arange(20.0)) == {"dtype": "<f8", "sha256": ref, "shape": [20]}
    for bad in ({1: "a", "1": "b"}, np.array([object()] * 20), np.ones(20, dtype=complex),
                np.array([2**64 - 1] * 20, dtype=np.uint64), 1j):
        with pytest.raises(TypeError):
            canonical(bad)


# ------------------------------------------------------------------ through the command line


def test_reproduce_survives_a_damaged_cache_and_reports_the_same_numbers(tmp_path, capsys):
    """Figure 3 (tiny) twice; before the second run every entry is damaged a different way."""
    from modelcollapse.verify.cli import main

    out = tmp_path / "figs"
    argv = ["reproduce", "--mode", "tiny", "--figures", "3", "--out", str(out), "--no-progress"]
    assert main(argv) == 0
    table = json.loads((out / "agreement.json").read_text())["points"]
    entries = MonteCarloCache(out / ".mc-cache").entries()
    assert len(entries) >= 4
    damage = [
        lambda p: (p.unlink(), os.mkfifo(p)),
        lambda p: p.write_bytes(p.read_bytes()[: len(p.read_bytes()) // 2]),
        lambda p: _edit_stored_meta(p, seed="x"),
        lambda p: p.write_bytes(bytes(b ^ 0xFF if i == 100 else b
                                      for i, b in enumerate(p.read_bytes()))),
    ]
    for path, hurt in zip(entries, damage, strict=False):
        hurt(path)
    capsys.readouterr()
    assert main(argv) == 0
    assert json.loads((out / "agreement.json").read_text())["points"] == table
    cache = MonteCarloCache(out / ".mc-cache")
    assert all(cache.load(p.stem) is not None for p in cache.entries())
    assert len(cache.entries()) == len(entries)  # the FIFO was replaced by a regular entry
