"""The built-in executors, registered like a plugin's (`builtin.py`): `local`, `processes`, `ray`.

The interface they implement is public in `harness.executors`.
"""
