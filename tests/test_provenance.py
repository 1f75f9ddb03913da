"""The Monte Carlo cache's code version follows the simulators' imports (no hand list)."""

from __future__ import annotations

from modelcollapse.verify._provenance import module_closure, source_version
from modelcollapse.verify.reproduce._cache import code_version, simulator_modules


def test_every_simulator_and_what_it_imports_is_hashed():
    closure = module_closure(simulator_modules())
    for name in ("modelcollapse.verify.montecarlo", "modelcollapse.verify.montecarlo_rp",
                 "modelcollapse.verify.montecarlo_mixing",
                 "modelcollapse.verify.montecarlo_iterative", "modelcollapse.verify._draws",
                 "modelcollapse.verify.engine", "modelcollapse.verify._result",
                 "modelcollapse.numerics._validate", "modelcollapse.numerics._teacher"):
        assert name in closure, name


def test_editing_a_copy_of_draws_changes_the_version(tmp_path):
    import modelcollapse.verify._draws as draws

    source = open(draws.__file__, encoding="utf-8").read()
    edited = tmp_path / "_draws.py"
    edited.write_text(source.replace("def teacher_sampler(", "def teacher_sampler(  # edited\n",
                                     1), encoding="utf-8")
    same = tmp_path / "_draws_same.py"
    same.write_text(source, encoding="utf-8")
    modules = simulator_modules()
    base = source_version(modules)
    assert source_version(modules, {"modelcollapse.verify._draws": same}) == base
    assert source_version(modules, {"modelcollapse.verify._draws": edited}) != base
    assert code_version().endswith(base)
