"""One owner of places: every ``TUNEBOARD_*`` variable is read by ``server_settings``, every folder comes from
``paths.workspace()`` and every run-folder file name from ``paths.RunFiles``/``ModelFiles``."""
from __future__ import annotations

import ast
import re
from pathlib import Path

from tuneboard import paths, server_settings
from tuneboard.paths import ModelFiles, RunFiles, workspace

ROOT = Path(__file__).resolve().parents[3]
SOURCES = [ROOT / "app.py", *sorted((ROOT / "tuneboard").rglob("*.py")), *sorted((ROOT / "app_pages").rglob("*.py")),
           *sorted((ROOT / "components").rglob("*.py"))]
VARIABLE = re.compile(r"TUNEBOARD_[A-Z]")


def strings(source: str) -> list[tuple[int, str]]:
    """(line, text) of every string in ``source`` that is not a docstring (f-strings: their literal parts)."""
    tree = ast.parse(source)
    docs = {id(node.body[0].value) for node in ast.walk(tree)
            if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body
            and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)}
    return [(n.lineno, n.value) for n in ast.walk(tree)
            if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in docs]


def spelled(owner: Path, wanted) -> list[str]:
    found = []
    for path in SOURCES:
        if path == owner:
            continue
        for line, text in strings(path.read_text(encoding="utf-8")):
            if wanted(text):
                found.append(f"{path.relative_to(ROOT)}:{line} {text!r}")
    return found


def test_every_tuneboard_variable_is_named_only_by_the_server_settings():
    assert spelled(ROOT / "tuneboard" / "server_settings.py", lambda text: VARIABLE.search(text)) == []


def test_the_server_settings_list_every_variable_they_read():
    names = {v for k, v in vars(server_settings).items() if k.isupper() and isinstance(v, str) and VARIABLE.match(v)}
    assert len(names) == 17 and all(name in server_settings.__doc__ for name in names)


def test_no_run_folder_file_name_is_spelled_outside_paths():
    names = {v for cls in (RunFiles, ModelFiles) for k, v in vars(cls).items() if k.isupper() and "." in v}
    assert {"predictions.parquet", "status.json", "history.jsonl", "baseline.json"} <= names
    assert spelled(ROOT / "tuneboard" / "paths.py", lambda text: text in names) == []


def test_no_folder_is_built_beside_the_runs_folder_by_hand():
    hand = [f"{p.relative_to(ROOT)}" for p in SOURCES if p != ROOT / "tuneboard" / "paths.py"
            and re.search(r"runs_root\(\)\.parent|RUNS_DIR\.parent", p.read_text(encoding="utf-8"))]
    assert hand == []


def test_settings_are_read_when_asked_not_at_import(monkeypatch):
    monkeypatch.setenv("TUNEBOARD_MAX_QUEUED", "7")
    assert server_settings.server_settings().max_queued == 7
    monkeypatch.delenv("TUNEBOARD_MAX_QUEUED")
    assert server_settings.server_settings().max_queued == 3
    monkeypatch.setenv("TUNEBOARD_STALE_S", "not a number")  # breaks only what reads it
    assert server_settings.server_settings().heartbeat_s == 2.0


def test_the_team_flag_comes_from_the_environment_or_the_secrets_table(monkeypatch):
    monkeypatch.delenv("TUNEBOARD_TEAM", raising=False)
    monkeypatch.setenv("TUNEBOARD_ADMINS", "a@x.com, b@x.com")
    table = {"tuneboard": {"team": True, "admins": ["c@x.com"]}}
    assert not server_settings.server_settings().team and server_settings.server_settings(table).team
    assert server_settings.server_settings(table).secret_admins == ["c@x.com"]
    assert server_settings.server_settings().admins == ["a@x.com", "b@x.com"]


def test_the_workspace_keeps_the_old_layout_beside_the_runs_folder(tmp_path, monkeypatch):
    """Folders made by an older Tuneboard are found where they were."""
    for name in ("TUNEBOARD_MODELS_DIR", "TUNEBOARD_UPLOADS_DIR", "TUNEBOARD_DATASETS_DIR", "TUNEBOARD_DB"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TUNEBOARD_RUNS_DIR", str(tmp_path / "home" / "runs"))
    home = tmp_path / "home"
    place = workspace()
    assert (place.runs, place.datasets, place.db, place.token_cache) == (
        home / "runs", home / "datasets", home / "tuneboard.db", home / "cache" / "tokens")
    assert [place.classes, place.prefs, place.deployments, place.studies, place.feedback, place.logs] == [
        home / n for n in ("classes", "prefs", "deployments", "studies", "feedback", "logs")]
    assert (place.optuna_db, place.mlflow_db) == (home / "optuna.db", home / "mlflow.db")
    assert (place.models, place.uploads) == (paths.MODELS_DIR, paths.PROJECT / "models" / "uploads")
    monkeypatch.setenv("TUNEBOARD_DB", str(tmp_path / "q.db"))
    monkeypatch.setenv("TUNEBOARD_UPLOADS_DIR", str(tmp_path / "up"))
    assert (workspace().db, workspace().uploads) == (tmp_path / "q.db", tmp_path / "up")
