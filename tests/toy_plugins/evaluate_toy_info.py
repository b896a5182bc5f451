"""The MetricInfo texts of the toy evaluate modules, in a module that imports nothing.

Both the evaluate modules' `_info()` and the harness metrics read these constants, so listing
tasks and storing a run's metric descriptions never import `evaluate` (about 5 s).
"""

ACCURACY_DESCRIPTION = (
    "Case-insensitive word accuracy: 1 when the spelled word equals the reference word "
    "ignoring case, else 0, averaged over words."
)
ACCURACY_CITATION = "Kexue Harness test suite: a toy evaluate module (2026)."
ACCURACY_INPUTS = (
    "predictions (list of str): the spelled words; references (list of str): the correct words; "
    "per_item (bool): one value per word instead of their mean"
)

LENGTH_DESCRIPTION = "Mean absolute difference between the predicted and the reference word length, in characters."
LENGTH_CITATION = "Kexue Harness test suite: a toy evaluate metric script (2026)."
LENGTH_INPUTS = "predictions (list of float): predicted word lengths; references (list of float): reference word lengths."

JITTER_DESCRIPTION = "Word accuracy plus a little Gaussian noise from numpy's global generator (a stochastic module)."

F1_DESCRIPTION = (
    "Character F1 pooled over the corpus: true positives, false positives and false negatives of "
    "character counts summed over all words before F1 is taken (a corpus metric, not a mean)."
)
F1_INPUTS = "predictions (list of str); references (list of str); return_counts (bool): per-word tp, fp, fn instead of F1"
