"""The command line never crashes, hangs or lies: bad paths and input, Ctrl-C, closed streams.

Every bad invocation must exit with status 2 and exactly one line on standard error that names
the option or file (status 1 is reserved for "a Monte Carlo point disagrees" / "a problem did
not converge"); no traceback ever reaches the user.
"""

from __future__ import annotations

import doctest
import importlib.metadata
import importlib.util
import io
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from modelcollapse.verify.cli import MESSAGE_LIMIT, clip, main
from modelcollapse.verify.reproduce import job

ROOT = Path(__file__).resolve().parents[1]
ENTRY = ROOT / "verify" / "_entry" / "__main__.py"  # installed as modelcollapse/__main__.py
PROBLEM = {"model": "ridge", "n": 4, "p2": 0.2, "ridge": 0, "noise_real": 1, "noise_synth": 1,
           "spectrum": [1, 1], "gamma": [0.5, 0.5], "delta": [0.25, 0.25]}


def _entry_path() -> Path:
    """The installed ``modelcollapse/__main__.py`` if packaging provides it, else the source."""
    spec = importlib.util.find_spec("modelcollapse.__main__")
    return Path(spec.origin) if spec is not None and spec.origin else ENTRY


def _env() -> dict[str, str]:
    return {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1",
            "MODELCOLLAPSE_TRACEBACK": ""}


def _one_line(code: int, out: str, err: str, *needles: str, status: int = 2) -> str:
    assert code == status, (code, err)
    assert "Traceback" not in err and "Exception ignored" not in err, err
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("modelcollapse"), lines[0]
    assert len(lines[0]) <= MESSAGE_LIMIT
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
    return lines[0]


@pytest.fixture
def no_compute(monkeypatch):
    """Replace the reproduce job: a test passes only if nothing was computed."""
    calls = []
    monkeypatch.setattr(job, "reproduce", lambda *a, **k: calls.append((a, k)))
    return calls


# ------------------------------------------------------------------ reproduce --out (C1, K2)


def _bad_outs(tmp_path: Path) -> dict[str, tuple[str, str]]:
    afile = tmp_path / "afile"
    afile.write_text("x")
    blocked = tmp_path / "blocked"
    (blocked / ".mc-cache").parent.mkdir()
    (blocked / ".mc-cache").write_text("not a folder")
    cases = {
        "existing file": (str(afile), "exists and is not a folder"),
        "below a file": (str(afile / "sub"), "Not a directory"),
        "empty": ("", "empty path"),
        "device": (os.devnull, "exists and is not a folder"),
        "cache folder is a file": (str(blocked), "Monte Carlo cache"),
    }
    if Path("/proc/self").is_dir():
        cases["in /proc"] = ("/proc/modelcollapse-out", "cannot create the folder")
        cases["/proc itself"] = ("/proc", "cannot write into")
    if os.geteuid() != 0:  # root writes through permission bits
        ro = tmp_path / "read-only"
        ro.mkdir(mode=0o500)
        cases["read-only folder"] = (str(ro), "cannot write into")
        cases["below a read-only folder"] = (str(ro / "new"), "cannot create the folder")
    return cases


def test_bad_out_exits_2_before_any_computation(tmp_path, capsys, no_compute):
    for name, (out, needle) in _bad_outs(tmp_path).items():
        code = main(["reproduce", "--mode", "tiny", "--figures", "3", "--no-progress",
                     "--out", out])
        _one_line(code, *capsys.readouterr(), "--out", needle)
        assert not no_compute, f"{name}: computed before checking --out"
    assert sorted(p.name for p in (tmp_path / "blocked").iterdir()) == [".mc-cache"]


def test_good_out_is_created_and_probed_without_leftovers(tmp_path, capsys, monkeypatch):
    seen = {}

    def fake(out, **kw):
        seen.update(out=out, **kw)
        return job.ReproduceResult(out=Path(out), files=[], points=[], wall_time=0.0)

    monkeypatch.setattr(job, "reproduce", fake)
    out = tmp_path / "a" / "b"
    assert main(["reproduce", "--mode", "tiny", "--no-progress", "--out", str(out)]) == 0
    assert Path(seen["out"]) == out and seen["use_cache"] is True
    assert sorted(p.name for p in out.iterdir()) == [".mc-cache"]  # the probe files are gone
    assert list((out / ".mc-cache").iterdir()) == []
    assert "0 of 0 points agree" in capsys.readouterr().out
    assert main(["reproduce", "--no-cache", "--no-progress", "--out", str(tmp_path / "c")]) == 0
    assert list((tmp_path / "c").iterdir()) == []  # no cache folder without the cache


# ------------------------------------------------------------------ predict input (C2)


def test_predict_with_stdin_closed_in_process(capsys, monkeypatch):
    monkeypatch.setattr(sys, "stdin", None)
    _one_line(main(["predict", "-"]), *capsys.readouterr(), "standard input", "closed")


def _main_with_deadline(argv, fifo: Path | None = None, seconds: float = 20.0) -> int:
    """``main(argv)`` in a thread; if it blocks on the FIFO, unblock it and fail."""
    box = {}
    worker = threading.Thread(target=lambda: box.setdefault("code", main(argv)), daemon=True)
    worker.start()
    worker.join(seconds)
    blocked = worker.is_alive()
    if blocked and fifo is not None:
        fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)  # lets the blocked open() return
        os.close(fd)
        worker.join(seconds)
    assert not blocked, f"{argv} blocked"
    return box["code"]


def test_predict_refuses_non_regular_files_without_blocking(tmp_path, capsys):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    t0 = time.perf_counter()
    code = _main_with_deadline(["predict", str(fifo)], fifo=fifo)
    _one_line(code, *capsys.readouterr(), "FILE", "a FIFO")
    assert time.perf_counter() - t0 < 10
    _one_line(main(["predict", str(tmp_path)]), *capsys.readouterr(), "FILE", "a directory")
    _one_line(main(["predict", os.devnull]), *capsys.readouterr(), "character device")


def test_predict_reads_regular_files_and_stdin_still(tmp_path, capsys, monkeypatch):
    path = tmp_path / "p.json"
    path.write_text(json.dumps(PROBLEM))
    assert main(["predict", "--compact", str(path)]) == 0
    from_file = json.loads(capsys.readouterr().out)
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(json.dumps(PROBLEM).encode())))
    assert main(["predict", "--compact", "-"]) == 0
    assert json.loads(capsys.readouterr().out) == from_file
    assert np.isfinite(from_file["test_error"])


def test_predict_input_size_is_bounded(tmp_path, capsys, monkeypatch):
    from modelcollapse.verify import _cli_predict

    monkeypatch.setattr(_cli_predict, "MAX_INPUT_BYTES", 100)
    path = tmp_path / "big.json"
    path.write_text(json.dumps([PROBLEM] * 3))
    _one_line(main(["predict", str(path)]), *capsys.readouterr(), "FILE", "larger than")


# ------------------------------------------------------------------ long user strings (K1)


@pytest.mark.parametrize("argv", [
    ["derive", "x" * 100_000],
    ["reproduce", "--figures", "1," + "y" * 100_000],
    ["reproduce", "--seed", "9" * 100_000],
    ["predict", "z" * 100_000],
])
def test_long_user_strings_are_clipped(capsys, argv, no_compute):
    line = _one_line(main(argv), *capsys.readouterr())
    assert "characters cut" in line


def test_clip_keeps_both_ends_and_one_line():
    text = "unknown result '" + "x" * 5000 + "'; try 'modelcollapse derive --list'"
    short = clip(text)
    assert len(short) <= MESSAGE_LIMIT
    assert short.startswith("unknown result 'xxx") and short.endswith("derive --list'")
    cut = int(short.split("…[")[1].split(" ")[0])
    assert len(short) - len(f"…[{cut} characters cut]…") + cut == len(text)  # nothing lost
    assert clip("a\nb\r\x1b[2J\udcff") == "a\\nb\\r\\x1b[2J\\udcff"
    assert clip("é ≥ κ") == "é ≥ κ"  # printable text is left alone


# ------------------------------------------------------------------ --version, python -m


def test_version(capsys):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == (
        f"modelcollapse {importlib.metadata.version('modelcollapse')}")


def test_entry_module_docstring_examples_run(capsys):
    """The entry sits outside the packages the doctest sweep walks, so it is run here."""
    spec = importlib.util.spec_from_file_location("modelcollapse_entry_under_test", ENTRY)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted >= 1 and result.failed == 0
    assert module.main(["derive", "nope"]) == 2
    assert "unknown result" in capsys.readouterr().err


@pytest.mark.skipif(importlib.util.find_spec("modelcollapse.__main__") is None,
                    reason="python -m modelcollapse needs the packaging entry for modelcollapse")
def test_python_dash_m_modelcollapse():
    done = subprocess.run([sys.executable, "-m", "modelcollapse", "derive", "nope"],
                          capture_output=True, text=True, timeout=120, env=_env())
    _one_line(done.returncode, done.stdout, done.stderr, "unknown result")


# ------------------------------------------------------------------ Ctrl-C (C4)


def _interrupt_after(delay: float, entry: Path) -> subprocess.CompletedProcess:
    """Start the entry as the console script would, wait ``delay`` s after it starts, SIGINT.

    The child compiles the entry file, says ``ready`` on stderr and then runs it; the delay
    counts from there, so it lands inside the entry (imports or the blocking stdin read) and
    not in the interpreter's own start-up, which no program can guard.
    """
    code = (
        "import signal, sys\n"
        # as a shell starts a foreground job: a suite run in the background (`pytest &`) starts
        # with SIGINT ignored, which every child inherits and would keep
        "signal.signal(signal.SIGINT, signal.default_int_handler)\n"
        f"path = {str(entry)!r}\n"
        "code = compile(open(path, encoding='utf-8').read(), path, 'exec')\n"
        "sys.argv = [path, 'predict', '-']\n"
        "sys.stderr.write('ready\\n'); sys.stderr.flush()\n"
        "exec(code, {'__name__': '__main__', '__file__': path})\n"
    )
    child = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             env=_env())
    try:
        assert child.stderr.readline() == "ready\n"
        time.sleep(delay)
        child.send_signal(signal.SIGINT)
        out, err = child.communicate(timeout=60)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    return subprocess.CompletedProcess(child.args, child.returncode, out, err)


def test_ctrl_c_at_any_moment_exits_130_with_one_line():
    """C4: seeded delays from 0.1 s (inside the imports, which take over a second) to 2.5 s
    (imports done, blocked reading standard input).  0.1 s, not less: the child must have left
    the two statements between saying "ready" and entering the entry, even on a busy machine.
    """
    rng = np.random.default_rng(130)
    delays = [0.1, *sorted(rng.uniform(0.1, 1.2, size=4)), 2.5]
    entry = _entry_path()
    for delay in delays:
        done = _interrupt_after(float(delay), entry)
        assert done.returncode == 130, (delay, done.returncode, done.stderr[-2000:])
        assert done.stderr == "modelcollapse: interrupted\n", (delay, done.stderr[-2000:])
        assert done.stdout == ""


def test_ctrl_c_swallowed_by_a_library_import_still_exits_130():
    """A Ctrl-C inside an import that a library guards with a bare ``except:`` (mpmath's
    ``import gmpy2``) is swallowed there, and the run would go on to read a closed standard input
    ("input: not valid JSON", exit 2).  Here the swallowing import is made certain: a finder sends
    SIGINT to its own process while the command line is imported and ignores what it raises.
    """
    entry = _entry_path()
    code = (
        "import os, signal, sys, time\n"
        "signal.signal(signal.SIGINT, signal.default_int_handler)\n"
        "class Swallow:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'modelcollapse.verify.cli':\n"
        "            try:\n"
        "                os.kill(os.getpid(), signal.SIGINT)\n"
        "                time.sleep(5)\n"
        "            except:  # noqa: E722 -- the library's bare except\n"
        "                pass\n"
        "        return None\n"
        "sys.meta_path.insert(0, Swallow())\n"
        f"path = {str(entry)!r}\n"
        "sys.argv = [path, 'predict', '-']\n"
        "exec(compile(open(path, encoding='utf-8').read(), path, 'exec'),"
        " {'__name__': '__main__', '__file__': path})\n"
    )
    done = subprocess.run([sys.executable, "-c", code], stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=120, env=_env())
    assert (done.returncode, done.stderr, done.stdout) == (130, "modelcollapse: interrupted\n", "")


def test_ctrl_c_inside_a_command_in_process(capsys, monkeypatch):
    from modelcollapse.verify import _cli_derive

    def interrupted(args):
        raise KeyboardInterrupt

    monkeypatch.setattr(_cli_derive, "run", interrupted)
    assert main(["derive", "--list"]) == 130
    assert capsys.readouterr().err == "modelcollapse: interrupted\n"


# ------------------------------------------------------------------ standard output


def test_real_processes_with_closed_or_full_streams_and_a_bad_out(tmp_path):
    """Started concurrently (imports dominate): each exits 2 with one line, no traceback."""
    path = tmp_path / "p.json"
    path.write_text(json.dumps(PROBLEM))
    (tmp_path / "afile").write_text("x")
    entry = [sys.executable, str(_entry_path())]
    shell = ["sh", "-c", 'exec "$0" "$@" ' + "{}"]
    runs = {  # name: (argv, stdout, expected text)
        "stdin closed": ([*shell[:2], shell[2].format("<&-"), *entry, "predict", "-"],
                         subprocess.PIPE, "standard input ('-'): it is closed"),
        "stdout closed": ([*shell[:2], shell[2].format(">&-"), *entry, "predict", str(path)],
                          None, "standard output is closed"),
        "bad --out": ([*entry, "reproduce", "--out", str(tmp_path / "afile")], subprocess.PIPE,
                      "--out: "),
    }
    full = open("/dev/full", "w") if Path("/dev/full").exists() else None  # noqa: SIM115
    if full is not None:
        runs["stdout on a full disk"] = ([*entry, "predict", str(path)], full,
                                         "No space left on device")
    try:
        children = {name: subprocess.Popen(argv, stdout=out, stderr=subprocess.PIPE, text=True,
                                           env=_env(), stdin=subprocess.DEVNULL)
                    for name, (argv, out, _) in runs.items()}
        for name, child in children.items():
            out, err = child.communicate(timeout=180)
            line = _one_line(child.returncode, out or "", err, runs[name][2])
            assert out in (None, ""), (name, out)
            assert line.startswith("modelcollapse"), name
    finally:
        if full is not None:
            full.close()


def test_internal_error_is_one_line_and_status_3(capsys, monkeypatch):
    from modelcollapse.verify import _cli_derive

    def broken(args):
        raise TypeError("a bug")

    monkeypatch.setattr(_cli_derive, "run", broken)
    line = _one_line(main(["derive", "--list"]), *capsys.readouterr(), status=3)
    assert "internal error: TypeError: a bug" in line
    monkeypatch.setenv("MODELCOLLAPSE_TRACEBACK", "1")
    with pytest.raises(TypeError, match="a bug"):
        main(["derive", "--list"])


# ------------------------------------------------------------------ adversarial table


def _adversarial(tmp_path: Path) -> list[tuple[list[str], str]]:
    afile = tmp_path / "afile.json"
    afile.write_text("{not json")
    empty = tmp_path / "empty.json"
    empty.write_bytes(b"")
    binary = tmp_path / "binary.json"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    long_name = tmp_path / "long.json"
    long_name.write_text(json.dumps(dict(PROBLEM, model="m" * 100_000)))
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    blocked = tmp_path / "blocked"
    blocked.mkdir()
    (blocked / ".mc-cache").write_text("")
    return [
        ([], "COMMAND"),
        (["nope"], "invalid choice"),
        (["derive", "--bogus"], "--bogus"),
        (["predict"], "FILE"),
        (["predict", ""], "FILE"),
        (["predict", "a\0b"], "FILE"),
        (["predict", str(tmp_path / "missing.json")], "No such file"),
        (["predict", str(tmp_path)], "a directory"),
        (["predict", str(fifo)], "a FIFO"),
        (["predict", os.devnull], "character device"),
        (["predict", str(afile)], "predict: error"),
        (["predict", str(empty)], "predict: error"),
        (["predict", str(binary)], "predict: error"),
        (["predict", str(long_name)], "model"),
        (["predict", "-", "extra"], "unrecognized"),
        (["predict", "--strict-json=yes", "-"], "--strict-json"),
        (["reproduce", "--seed", "x"], "--seed"),
        (["reproduce", "--seed", "-1"], "--seed"),
        (["reproduce", "--seed", "1e3"], "--seed"),
        (["reproduce", "--mode", "huge"], "--mode"),
        (["reproduce", "--quick", "--mode", "tiny"], "--mode"),
        (["reproduce", "--figures", ""], "--figures"),
        (["reproduce", "--figures", ",,,"], "--figures"),
        (["reproduce", "--figures", "1,x"], "--figures"),
        (["reproduce", "--figures", "7"], "--figures"),
        (["reproduce", "--out", ""], "--out"),
        (["reproduce", "--out", str(afile)], "--out"),
        (["reproduce", "--out", str(afile / "x")], "--out"),
        (["reproduce", "--out", str(blocked)], "--out"),
        (["reproduce", "--out"], "--out"),
        (["derive"], "NAME"),
        (["derive", "nope"], "nope"),
        (["derive", "a\nb\x1b[2J"], "a\\nb\\x1b[2J"),
        (["derive", "\udcff"], "\\udcff"),
        (["derive", "--format", "pdf", "x"], "--format"),
    ]


def test_adversarial_invocations_exit_2_with_one_line(tmp_path, capsys, no_compute):
    table = _adversarial(tmp_path)
    assert len(table) >= 30
    for argv, needle in table:
        code = _main_with_deadline(argv, fifo=tmp_path / "fifo")
        _one_line(code, *capsys.readouterr(), needle)
    assert not no_compute
