"""The house's floors: each engine room imports only the rooms ``tuneboard.ROOMS`` allows, the shared words
import no room, and the UI enters a room only through its front door.

Imports inside functions count too: a lazy import still ties two rooms together.
"""
from __future__ import annotations

import ast
from pathlib import Path

import tuneboard

ROOT = Path(__file__).resolve().parents[2]
ENGINE = ROOT / "tuneboard"
UI = [ROOT / "app.py", *sorted((ROOT / "app_pages").rglob("*.py")), *sorted((ROOT / "components").rglob("*.py"))]
SHARED = "shared"


def room_of(module: str) -> str | None:
    """``tuneboard.serve.api`` -> 'serve'; ``tuneboard.errors`` -> 'shared'; outside the engine -> None."""
    parts = module.split(".")
    if parts[0] != "tuneboard":
        return None
    return parts[1] if len(parts) > 1 and parts[1] in tuneboard.ROOMS else SHARED


def imported_modules(source: str) -> list[tuple[int, str]]:
    """(line, module) for every absolute import in ``source`` (the engine imports absolutely)."""
    out = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out += [(node.lineno, node.module)] + [(node.lineno, f"{node.module}.{a.name}") for a in node.names
                                                   if room_of(node.module) == SHARED and node.module == "tuneboard"]
        elif isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names]
    return out


def violations(files: dict[str, str]) -> list[str]:
    """The forbidden imports of engine ``files`` ({path relative to the repo: source})."""
    found = []
    for path, source in files.items():
        me = room_of(".".join(Path(path).with_suffix("").parts))
        allowed = {SHARED, me, *tuneboard.ROOMS.get(me, ())} if me != SHARED else {SHARED}
        if path == "tuneboard/__main__.py":
            allowed.add("cli")  # ``python -m tuneboard`` enters the CLI
        for line, module in imported_modules(source):
            room = room_of(module)
            if room is not None and room not in allowed:
                found.append(f"{path}:{line} ({me}) imports {module} ({room})")
    return found


def test_every_room_imports_only_the_rooms_its_row_allows():
    files = {str(p.relative_to(ROOT)): p.read_text(encoding="utf-8") for p in ENGINE.rglob("*.py")}
    assert len(files) > 60 and {room_of(m) for m in ("tuneboard.serve.api", "tuneboard.errors")} == {"serve", SHARED}
    assert violations(files) == []


def test_a_forbidden_import_is_caught():
    """The rule bites: serving a model must never pull in training, nor a shared word a room."""
    assert violations({"tuneboard/serve/api.py": "def f():\n    from tuneboard.train.pipeline import execute\n"}) == [
        "tuneboard/serve/api.py:2 (serve) imports tuneboard.train.pipeline (train)"]
    assert violations({"tuneboard/config.py": "from tuneboard.runs import RunDir\n"}) == [
        "tuneboard/config.py:1 (shared) imports tuneboard.runs (runs)"]


def test_the_table_names_every_room_and_only_rooms_below():
    folders = {p.name for p in ENGINE.iterdir() if (p / "__init__.py").is_file()}
    assert folders == set(tuneboard.ROOMS)
    order = list(tuneboard.ROOMS)
    for room, below in tuneboard.ROOMS.items():
        assert all(order.index(other) < order.index(room) for other in below), room


def test_the_ui_enters_a_room_only_through_its_front_door():
    deep = []
    for path in UI:
        for line, module in imported_modules(path.read_text(encoding="utf-8")):
            parts = module.split(".")
            if parts[0] == "tuneboard" and len(parts) > 2 and parts[1] in tuneboard.ROOMS:
                deep.append(f"{path.relative_to(ROOT)}:{line} {module}")
    assert deep == []


def test_each_front_door_names_what_it_lends_and_lends_it():
    import importlib

    for room in tuneboard.ROOMS:
        door = importlib.import_module(f"tuneboard.{room}")
        assert door.__doc__ and door.__doc__.strip(), room
        modules = {p.stem for p in (ENGINE / room).glob("*.py")} | {p.name for p in (ENGINE / room).iterdir()}
        for name in getattr(door, "__all__", ()):
            # a name that is also a module's would turn into that module once the module is imported
            assert name not in modules, f"tuneboard.{room}.{name} is a name and a module"
            assert getattr(door, name) is not None, f"tuneboard.{room}.{name}"
