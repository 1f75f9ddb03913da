"""Iterative mixing and recursive retraining: closed forms by SymPy against simulation.

Tolerance (THEORY.md §5): 3·se + 2 %·|mc|; the finite-n bias of ridgeless least squares is
d/(n−d−1) against d/(n−d), i.e. 1/(n−d−1) relative (≤ 1 % here).
"""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

from modelcollapse.theory import iterative as it
from modelcollapse.theory.symbols import p2, phi, sigma1, sigma2
from modelcollapse.verify.montecarlo_iterative import (
    simulate_iterative_mixing,
    simulate_recursive_retraining,
)


def test_exact_recursion_reduces_to_corollary3_at_first_order():
    full, cor3 = it.mixing_recursion(), it.corollary3()
    # contraction factors agree at φ → 0 and differ at O(φ): p1 p2 φ
    diff = sp.series(full["b"] - cor3["b"], phi, 0, 2).removeO()
    assert sp.simplify(diff - (1 - p2) * p2 * phi) == 0


def test_iterative_mixing_against_simulation():
    d, n, p2v, steps = 100, 333, 0.5, 5
    mc = simulate_iterative_mixing(d=d, n=n, p2=p2v, c0_sq=1.0, noise_real=1.0, noise_synth=1.0,
                                   steps=steps, draws=150, seed=1)
    p2_eff = round(p2v * n) / n
    vals = {phi: d / n, p2: p2_eff, sigma1: 1, sigma2: 1, it.c0: 1}
    exact = [float(it.mixing_recursion()["E_t"].subs(vals).subs(it.step, k))
             for k in range(steps + 1)]
    cor3 = [float(it.corollary3()["E_t"].subs(vals).subs(it.step, k)) for k in range(steps + 1)]
    mean, se = mc.mean["test_error"], mc.stderr["test_error"]
    assert (np.abs(np.array(exact) - mean) <= 3 * se + 0.02 * mean).all()
    # Corollary 3 (leading order in φ) is off by ~15 % at φ = 0.3 — far outside tolerance
    assert (np.abs(np.array(cor3) - mean)[2:] > 5 * se[2:] + 0.02 * mean[2:]).all()
    # it never beats "Clean", the same n rows all real: σ² d/(n − d) (it does beat the n1 real
    # rows alone, σ² d/(n1 − d) = 1.52 here, since its limit is σ²u/(1 − b) = 0.667)
    clean = 1.0 * d / (n - d)
    assert (mean[1:] > clean + 3 * se[1:]).all()
    assert mean[-1] < d / (n - round(p2v * n) - d)


def test_recursive_retraining_grows_linearly():
    d, t0, t = 50, 200, 150
    mc = simulate_recursive_retraining(d=d, t0=t0, t=t, noise_generator=1.0, noise=0.5,
                                       generations=4, draws=150, seed=2)
    e_n = it.recursive_retraining()["E_N"]
    theory = np.array([float(e_n.subs({phi: d / t, it.phi0: d / t0, it.sigma0: 1, sigma1: 0.5,
                                       it.generations: k})) for k in range(5)])
    mean, se = mc.mean["test_error"], mc.stderr["test_error"]
    assert (np.abs(theory - mean) <= 3 * se + 0.02 * mean).all()
    slope = np.polyfit(np.arange(5), mean, 1)[0]
    assert slope == pytest.approx(d / (t0 - d), rel=0.05)  # σ0² φ0/(1 − φ0) per generation


def test_bad_input():
    with pytest.raises(ValueError, match="d"):
        simulate_iterative_mixing(d=300, n=200, p2=0.5, c0_sq=1, noise_real=1, noise_synth=1,
                                  steps=1)
    with pytest.raises(ValueError, match="t0"):
        simulate_recursive_retraining(d=10, t0=20.5, t=50, noise_generator=1, noise=1,
                                      generations=1)
