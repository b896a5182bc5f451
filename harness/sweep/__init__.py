"""Sweeps: many runs from one spec (a grid of tasks, models, model arguments and seeds), computed by
an executor (`local`, `processes`, `ray`, or a plugin's) and stored by a single writer, the driver.
"""
