"""Family names, importable without numpy so that `harness tasks` stays fast.

`families.py` holds the generators and checks that it defines exactly these families.
"""

DEPENDENT = (
    "linear",
    "exponential",
    "cubic",
    "joint-normal",
    "step",
    "quadratic",
    "w-shaped",
    "spiral",
    "logarithmic",
    "fourth-root",
    "sine-4pi",
    "sine-16pi",
    "square",
    "two-parabolas",
    "circle",
    "ellipse",
    "diamond",
    "multiplicative-noise",
    "checkerboard",
)
INDEPENDENT = (
    "independent-normal",
    "independent-heavy-tailed",
    "multimodal-independence",
    "independent-skewed",
    "independent-discrete",
)
#: The post's own example (n = 1000, sigma = 1): x ~ N(0,1) with y = x + 0.1 N(0,1), or y ~ N(0,1) independent.
POST_FAMILIES = {"post-example-dependent": True, "post-example-independent": False}
