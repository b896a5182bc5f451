"""`harness publish`: the results database as a static site anyone can open from a folder or host.

It ranks nothing itself: the boards are what `harness leaderboard --json` builds, the runs and
samples what the store holds, and each task's sample view what its renderer's `static_sample`
draws (`harness.views` panels, escaped on the page like any other data).
"""
