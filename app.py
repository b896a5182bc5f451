"""Kexue Harness dashboard: `streamlit run app.py [-- --db PATH]` (or `harness dashboard`)."""

from harness.dashboard.app import main

main()
