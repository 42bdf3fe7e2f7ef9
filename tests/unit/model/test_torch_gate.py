"""The process's first import of torch never overlaps a page script (scipy, under scikit-learn, looks torch up
in ``sys.modules`` and fails on a half-imported one), and a page never waits once torch is in."""
from __future__ import annotations

import threading
import time

from tuneboard.model import hf


def test_the_import_waits_for_running_pages_and_new_pages_wait_for_the_import():
    gate, events = hf._Gate(), []
    page_started, import_waiting = threading.Event(), threading.Event()

    def page(name: str, hold: threading.Event) -> None:
        with gate.reading():
            events.append(f"{name} in")
            page_started.set()
            hold.wait(5)
            events.append(f"{name} out")

    def importer() -> None:
        import_waiting.set()
        with gate.writing():
            events.append("import")

    first_done = threading.Event()
    first = threading.Thread(target=page, args=("first", first_done))
    first.start()
    assert page_started.wait(5)
    writer = threading.Thread(target=importer)
    writer.start()
    assert import_waiting.wait(5)
    deadline = time.monotonic() + 5
    while not gate._writer and time.monotonic() < deadline:  # the importer has announced itself
        time.sleep(0.01)
    go_on = threading.Event()
    go_on.set()
    second = threading.Thread(target=page, args=("second", go_on))
    second.start()  # arrives while the import waits: it must not start before the import
    first_done.set()
    for thread in (first, writer, second):
        thread.join(10)
    assert events[:3] == ["first in", "first out", "import"] and events[3] == "second in", events


def test_a_page_does_not_touch_the_gate_once_torch_is_in():
    import torch  # noqa: F401

    assert hf.torch_ready()
    gate_before = hf._GATE
    hf._GATE = None  # any use would fail
    try:
        with hf.page_run():
            pass
        hf.import_torch()
    finally:
        hf._GATE = gate_before
