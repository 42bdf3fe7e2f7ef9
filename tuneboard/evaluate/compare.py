"""Compare runs side by side: headline metrics (with their baselines), curves, and a config diff."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tuneboard.errors import RunError
from tuneboard.i18n import t
from tuneboard.protocol import HEADLINE_METRICS
from tuneboard.runs.folder import open_run

CONFIG_IGNORED = {"output_dir", "extra", "trainer", "distill", "search"}


def compare_runs(paths: list[str | Path]) -> dict[str, Any]:
    """``rows`` (one per run), ``config_diff`` (only settings that differ) and ``histories``."""
    if len(paths) < 2:
        raise RunError(t("engine.err.compare.two"))
    rows, configs, histories = [], {}, {}
    for p in paths:
        run = open_run(p)
        m = run.metrics() or {}
        cfg = run.config().to_dict()
        name = m.get("main_metric")
        base = m.get("baseline") or {}
        rows.append({"run_id": run.run_id, "status": run.status().get("status"), "model": cfg.get("model"),
                     "preset": cfg.get("preset"), "task": m.get("task"), "main_metric": name,
                     "value": m.get(name), "baseline_value": base.get(name),
                     **{k: m.get(k) for k in (*HEADLINE_METRICS, "eval_loss") if k in m},
                     "samples_per_second": m.get("train_samples_per_second"), "wall_time_s": m.get("wall_time_s")})
        configs[run.run_id] = cfg
        histories[run.run_id] = run.history()
    return {"rows": rows, "config_diff": config_diff(configs), "histories": histories}


def config_diff(configs: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """setting -> {run_id: value}, for settings whose values are not all equal."""
    keys = sorted({k for c in configs.values() for k in c} - CONFIG_IGNORED)
    diff = {}
    for k in keys:
        values = {rid: c.get(k) for rid, c in configs.items()}
        if len({json.dumps(v, sort_keys=True, default=str) for v in values.values()}) > 1:
            diff[k] = values
    return diff
