"""What several AppTest files do the same way: open a page of the app on a run, and write a served-predictions log."""
from __future__ import annotations

import time
from pathlib import Path

import numpy as np
from streamlit.testing.v1 import AppTest

from components import nav

ROOT = Path(__file__).resolve().parents[2]


def open_page(name: str, run_id: str, lang: str | None = None, timeout: float = 120) -> AppTest:
    """The app on page ``name`` (a key of ``nav.PAGES``) with ``?run=run_id`` (and ``?lang=``), after its first run."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=timeout)
    if lang:
        at.query_params["lang"] = lang
    at.query_params["run"] = run_id
    at.run()
    at.switch_page(nav.PAGES[name].file).run()
    assert not at.exception, at.exception
    return at


def drifting_log(run_path: Path, rows: int, prefix: str = "text") -> None:
    """``rows`` served predictions over the last minutes, all "negative" and unsure: a log that drifts."""
    from tuneboard.serve import monitor

    rng = np.random.default_rng(0)
    log = monitor.PredictionLog(monitor.log_path(run_path), store_texts=True, flush_s=60)
    now = time.time()
    log.record({"ts": now - 2 * rows + i, "latency_ms": 4.0 + i % 5, "label": "negative",
                "confidence": float(rng.uniform(0.5, 0.62)), "text": f"{prefix} {i}"} for i in range(rows))
    log.close()
