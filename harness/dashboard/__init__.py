"""The Streamlit dashboard: `streamlit run app.py` or `harness dashboard`.

It knows no task: plugins draw their samples and runs through `Renderer`s, which return
`harness.views.Panel`s that `draw.py` turns into widgets. It only reads the database, with short
read-only connections that retry while a `harness run` is writing.
"""
