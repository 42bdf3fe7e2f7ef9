"""Judging a run: evaluation on a file, mislabels and corrections, coaching, comparison, the report, footprints.

The front door: other folders and the UI import these names from here (each is loaded when first used, so importing
the folder costs nothing). Modules: ``coaching``, ``compare``, ``corrections``, ``decision``, ``evaluation``,
``footprint``, ``mislabels``, ``report``, ``report_details``, ``report_figures``.
"""
from __future__ import annotations

from tuneboard.doors import lend

__getattr__, __all__ = lend(__name__, {
    "BASELINE_TIPS": "coaching",
    "DRAWN": "report_figures",
    "coach": "coaching",
    "compare_formats": "footprint",
    "compare_runs": "compare",
    "datasets_dir": "corrections",
    "evaluate_file": "evaluation",
    "plain_label": "report_figures",
    "plain_values": "report_figures",
    "report_for": "report",
    "save_corrected_copy": "corrections",
    "set_threshold": "evaluation",
    "suspects_in_run_data": "mislabels",
    "write_report": "report",
})
