"""The same names and aliases in MLflow's model registry, for teams that read MLflow.

On only when MLflow tracking is configured (``MLFLOW_TRACKING_URI``, as for run tracking). Tuneboard's tables stay
the truth: each mirror copies a whole name (every version not yet in MLflow, then the aliases), so a mirror that
failed once catches up at the next change. A failure is one line on stderr, never a failed promotion.
"""
from __future__ import annotations

import os
import sys
from typing import Any

from tuneboard.errors import first_line
from tuneboard.i18n import t

TAG = "tuneboard.version"  # the Tuneboard version number of an MLflow model version (MLflow numbers its own)


def enabled() -> bool:
    return bool(os.environ.get("MLFLOW_TRACKING_URI"))


def mirror(model: Any) -> bool:
    """Copy ``model`` (a ``book.Model``) to MLflow; False when off or when MLflow failed (reported, not raised)."""
    if not enabled():
        return False
    try:
        _copy(model)
        return True
    except Exception as e:  # noqa: BLE001 -- any MLflow failure: the registry change already happened
        print(t("registry.mlflow_failed", name=model.name, reason=first_line(e)), file=sys.stderr, flush=True)
        return False


def _copy(model: Any) -> None:
    from mlflow.exceptions import MlflowException
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=os.environ["MLFLOW_TRACKING_URI"])
    try:
        client.get_registered_model(model.name)
    except MlflowException:
        client.create_registered_model(model.name, tags={"tuneboard.owner": model.owner})
    known = {mv.tags.get(TAG): mv.version for mv in client.search_model_versions(f"name='{model.name}'")}
    for v in model.versions:
        if str(v.version) in known:
            continue
        made = client.create_model_version(model.name, source=f"{v.run_path}/model",
                                           tags={TAG: str(v.version), "tuneboard.run_id": v.run_id,
                                                 "tuneboard.promoted_by": v.created_by},
                                           description=v.note or None)
        known[str(v.version)] = made.version
    for alias in ("production", "candidate"):
        number = model.aliases.get(alias)
        if number is not None:
            client.set_registered_model_alias(model.name, alias, known[str(number)])
        else:
            try:
                client.delete_registered_model_alias(model.name, alias)
            except MlflowException:
                pass  # it had none
