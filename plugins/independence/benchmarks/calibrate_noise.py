"""How the embedded grid's noise scales were chosen (run once; the results live in families.py).

For each dependent family, bisect (on a log scale) the noise s at which the reference test
(HSIC, sigma = median, gamma null) has power 1/2 at n = 200 in 1-D, with common random numbers
across candidate s. The grid then uses (s/2, s) as its (low, high) noise levels, so every family
has a power curve that starts low at n = 50 and rises, instead of sitting at 0 or 1 throughout.
"""

from __future__ import annotations

import math
import sys

from harness_independence.families import DEPENDENT, FAMILIES, generate
from harness_independence.hsic import hsic_test


def power(family: str, noise: float, n: int = 200, reps: int = 100) -> float:
    rejected = 0
    for rep in range(reps):
        x, y = generate(family, n, 1, noise, seed=10_000 + rep)
        rejected += hsic_test(x, y).p_value <= 0.05
    return rejected / reps


def calibrate(family: str, steps: int = 9) -> float:
    lo, hi = math.log(FAMILIES[family].noise[1]) - 3, math.log(FAMILIES[family].noise[1]) + 3
    for _ in range(steps):
        mid = (lo + hi) / 2
        if power(family, math.exp(mid)) > 0.5:
            lo = mid
        else:
            hi = mid
    return math.exp((lo + hi) / 2)


if __name__ == "__main__":
    for name in sys.argv[1:] or DEPENDENT:
        s = calibrate(name)
        print(f"{name:22s} high={s:.3g} low={s / 2:.3g}  power(n=200, high)={power(name, s):.2f}", flush=True)
