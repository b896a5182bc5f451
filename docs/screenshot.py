"""Regenerate the dashboard screenshots of the documentation (docs/site/dashboard.md) from a results database.

    python docs/screenshot.py [--db PATH] [--board NAME] [--out docs]

Serves the database with `harness dashboard` and photographs the leaderboard page (and the run
detail of its top run) in headless Chromium, as the browser tests do.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from harness.store import default_db_path
from harness.testing import CHROMIUM_FLAGS, serve_dashboard


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", type=Path, default=None)
    parser.add_argument("--board", default="kexue-2019")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent)
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    env = {**os.environ, "HARNESS_DB": str((args.db or default_db_path()).resolve())}
    with serve_dashboard(env) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=args.chromium, args=CHROMIUM_FLAGS)
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.goto(f"{url}/?board={args.board}")
        page.locator('[data-testid="stDataFrame"]').first.wait_for(timeout=60_000)
        if page.locator(".vega-embed").count() or args.board != "kexue-2019":
            page.locator(".vega-embed").first.wait_for(timeout=60_000)
        path = args.out / f"leaderboard-{args.board}.png" if args.board != "kexue-2019" else args.out / "leaderboard.png"
        page.screenshot(path=str(path), full_page=True)
        print(path)
        browser.close()


if __name__ == "__main__":
    main()
