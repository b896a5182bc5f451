"""The plugin registry: discovering plugins through the `harness` entry-point group, isolating
them (a broken plugin is reported, never fatal), the built-in metrics, and `harness new-plugin`'s
scaffold.
"""
