# Every test gets its own harness home and results database, offline, and sees no other installed plugin.
from harness.testing import harness_isolation  # noqa: F401
