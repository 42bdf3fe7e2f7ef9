"""The energy a run used, measured by ``codecarbon``'s offline tracker when the operator asks for it.

Off unless ``TUNEBOARD_ENERGY_COUNTRY`` names the country (ISO 3166 alpha-3, e.g. ``FRA``) whose grid
turns the kilowatt-hours into CO2. Off by default because starting the tracker costs about 1.6 s (it
probes the hardware) and stopping it 0.2 s, measured on this 2-core machine: more than a TF-IDF run
takes (python /tmp/cc_test.py in the report). The offline tracker needs no network and no root: without
the CPU's power counters it estimates from the CPU model's rated power. Whatever goes wrong, the run goes
on and its receipt says why there is no figure. A second reason it is opt-in: to find the CPU the tracker
runs short helper programs (``lscpu``) as it starts -- a fork and exec from the server's training thread
(``close_fds``, so no listening socket is inherited), never a pool of workers.
"""
from __future__ import annotations

import time
from contextlib import contextmanager
from typing import Any, Iterator

from tuneboard.server_settings import ENERGY_COUNTRY as COUNTRY_ENV  # noqa: F401 -- named by tests
from tuneboard.server_settings import server_settings


def energy_country() -> str | None:
    """The ISO code the operator set, or None (energy is not measured)."""
    return server_settings().energy_country


@contextmanager
def measured() -> Iterator[dict[str, Any]]:
    """Measure the block's energy into the yielded dict (``kwh``, ``co2_kg``, ``seconds``, ``country``,
    ``tool``, ``overhead_s``), or say why not (``measured: False`` and ``reason``). Never raises."""
    out: dict[str, Any] = {"measured": False}
    country = energy_country()
    tracker = None
    if country is None:
        out["reason"] = "off"
    else:
        t0 = time.perf_counter()
        try:
            from codecarbon import OfflineEmissionsTracker

            tracker = OfflineEmissionsTracker(country_iso_code=country, save_to_file=False, log_level="error",
                                              tracking_mode="process")
            tracker.start()
        except Exception as e:  # noqa: BLE001 -- an estimate must never cost the run
            tracker, out["reason"] = None, type(e).__name__
        out["overhead_s"] = time.perf_counter() - t0
    try:
        yield out
    finally:
        if tracker is not None:
            _stop(tracker, country, out)


def _stop(tracker: Any, country: str | None, out: dict[str, Any]) -> None:
    t0 = time.perf_counter()
    try:
        co2 = tracker.stop()
        data = tracker.final_emissions_data
        out.update(measured=True, kwh=float(data.energy_consumed), co2_kg=float(co2 or 0.0),
                   seconds=float(data.duration), country=country, tool="codecarbon (offline)")
    except Exception as e:  # noqa: BLE001
        out["reason"] = type(e).__name__
    out["overhead_s"] = out.get("overhead_s", 0.0) + time.perf_counter() - t0
