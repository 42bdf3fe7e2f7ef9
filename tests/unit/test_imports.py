"""The engine's import graph: no cycle, and no module imports another module's ``_private`` name.

Imports inside functions count too: a lazy import still ties the two modules together.
"""
from __future__ import annotations

import ast
from pathlib import Path

ENGINE = Path(__file__).resolve().parents[2] / "tuneboard"


def _module_name(path: Path) -> str:
    parts = path.relative_to(ENGINE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports() -> tuple[dict[str, set[str]], list[str]]:
    """Edges module -> engine module it imports, and 'module: name from target' for private names."""
    files = {_module_name(p): p for p in ENGINE.rglob("*.py")}
    edges: dict[str, set[str]] = {m: set() for m in files}
    private = []
    for mod, path in files.items():
        package = mod if path.name == "__init__.py" else mod.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.ImportFrom):
                continue
            base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1]) if node.level else ""
            target = ".".join(p for p in (base, node.module or "") if p)
            for alias in node.names:
                found = next((t for t in (f"{target}.{alias.name}", target) if t in files and t != mod), None)
                if found:
                    edges[mod].add(found)
                    if alias.name.startswith("_") and not alias.name.endswith("__"):  # a dunder (__version__) is public
                        private.append(f"{mod}: {alias.name} from {target}")
    return edges, private


def _cycle(edges: dict[str, set[str]]) -> list[str]:
    state: dict[str, int] = {}

    def visit(mod: str, path: list[str]) -> list[str]:
        state[mod] = 1
        for nxt in sorted(edges[mod]):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [mod, nxt] if nxt in path else [mod, nxt]
            if nxt not in state and (found := visit(nxt, path + [mod])):
                return found
        state[mod] = 2
        return []

    return next((c for m in sorted(edges) if m not in state and (c := visit(m, []))), [])


def test_the_engine_import_graph_has_no_cycle() -> None:
    edges, _ = _imports()
    assert len(edges) > 20 and edges["tuneboard.data.prepare"] >= {"tuneboard.data.readers"}  # the walk sees the engine
    assert _cycle(edges) == []


def test_no_module_imports_another_modules_private_name() -> None:
    assert _imports()[1] == []


def test_the_engine_reaches_transformers_classes_only_through_its_lock():
    """Two threads resolving transformers' lazy names at once can meet a half-imported module ("cannot import
    name ..."): the app warms transformers in the background while a page loads a model. ``hf.names`` holds
    one lock for that; a direct ``from transformers import`` elsewhere would race again."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    direct = re.compile(r"^\s*(from transformers(\.[\w.]+)? import (?!logging)|import transformers\b)", re.M)
    offenders = [str(p.relative_to(root)) for folder in ("tuneboard", "components", "app_pages")
                 for p in sorted((root / folder).rglob("*.py")) if p.name != "hf.py" and direct.search(p.read_text())]
    assert not offenders, f"use tuneboard.model.hf.names(...) instead of importing transformers directly: {offenders}"
