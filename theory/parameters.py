"""The parameters models share, declared once (docs/mathematics.md §0 conventions).

A model declaration (:class:`~modelcollapse.theory.model.ModelSpec`) lists its parameters; most
models use these.  Each carries its symbol, bounds, role and the range strategies draw from.

Examples
--------
>>> from modelcollapse.theory.parameters import RIDGE
>>> RIDGE.name, RIDGE.symbol, RIDGE.lower
('ridge', lambda, 0.0)
"""

from __future__ import annotations

from .model import Parameter
from .symbols import lam, m, n, p2, sigma1, sigma2

__all__ = [
    "SPECTRUM",
    "N_ROWS",
    "WIDTH",
    "P2",
    "RIDGE",
    "NOISE_REAL",
    "NOISE_SYNTH",
    "GAMMA",
    "DELTA",
    "W_REAL",
    "W_SYNTH",
    "LABEL_SHIFT_TEACHERS",
]

SPECTRUM = Parameter("spectrum", "eigenvalues of Σ (> 0); leading axes give one spectrum per "
                     "grid point", role="spectrum")
N_ROWS = Parameter("n", "total training rows n = n1 + n2 (> 0; need not be whole)", symbol=n,
                   lower=0.0, strict=True, typical=(0.3, 3.0), log=True, scale="d")
WIDTH = Parameter("m", "width m of the random projection (> 0)", symbol=m, lower=0.0,
                  strict=True, typical=(0.1, 5.0), log=True, scale="d")
P2 = Parameter("p2", "fraction of synthetic rows p2 = n2/n, in [0, 1]", symbol=p2, lower=0.0,
               upper=1.0, typical=(0.0, 1.0))
RIDGE = Parameter("ridge", "ridge penalty λ ≥ 0 (0: the ridgeless limit λ → 0⁺)", symbol=lam,
                  lower=0.0, typical=(1e-3, 3.0), log=True, scale="spectrum")
NOISE_REAL = Parameter("noise_real", "label-noise standard deviation σ1 of the real rows",
                       symbol=sigma1, lower=0.0, default=0.0, typical=(0.0, 1.5))
NOISE_SYNTH = Parameter("noise_synth", "label-noise standard deviation σ2 of the synthetic rows",
                        symbol=sigma2, lower=0.0, default=0.0, typical=(0.0, 1.5))
GAMMA = Parameter("gamma", "random effects: diagonal of Γ = cov(w1) in Σ's eigenbasis (≥ 0)",
                  role="teacher", lower=0.0)
DELTA = Parameter("delta", "random effects: diagonal of Δ = cov(w2 − w1) in Σ's eigenbasis "
                  "(≥ 0)", role="teacher", lower=0.0)
W_REAL = Parameter("w_real", "fixed real teacher w1 in Σ's eigenbasis", role="teacher")
W_SYNTH = Parameter("w_synth", "fixed synthetic teacher w2 in Σ's eigenbasis", role="teacher")

#: The two teacher descriptions of the label-shift models (docs/mathematics.md §0).
LABEL_SHIFT_TEACHERS = {"random": ("gamma", "delta"), "fixed": ("w_real", "w_synth")}
