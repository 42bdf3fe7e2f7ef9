"""Where Tuneboard's files live: every folder of the workspace and every file name inside a run folder.

    models/                  the workspace's home by default: beside ``tuneboard/`` (``PROJECT``)
        runs/<run_id>/       one run (``RunFiles`` names what is inside; tuneboard/runs/folder.py draws the map)
        uploads/             uploaded files               datasets/    corrected datasets
        tuneboard.db         the queue and the uploads    cache/tokens the tokenized texts, shared by runs
        classes/ prefs/ deployments/ studies/ feedback/ logs/  optuna.db mlflow.db

The runs folder (``TUNEBOARD_RUNS_DIR``) carries the rest: every folder without a variable of its own sits beside
it. ``workspace()`` reads the settings when called (tuneboard/server_settings.py), so a changed variable counts.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tuneboard.server_settings import server_settings

# The repository (or install) folder: ``models/`` sits beside ``tuneboard/`` unless the environment says otherwise
PROJECT = Path(__file__).resolve().parent.parent
MODELS_HOME = PROJECT / "models"

# The defaults as the environment said when Tuneboard was imported (a later change of the variable still wins)
RUNS_DIR = server_settings().runs_dir or MODELS_HOME / "runs"
MODELS_DIR = server_settings().models_dir or MODELS_HOME


class RunFiles:
    """The names inside a run folder."""

    CONFIG = "config.json"  # the TrainConfig
    STATUS = "status.json"  # a protocol.RunStatus (+ reason, times, pid)
    HISTORY = "history.jsonl"  # one protocol event per line
    METRICS = "metrics.json"  # validation metrics of the kept model
    PREDICTIONS = "predictions.parquet"  # per-example validation predictions
    MODEL = "model"  # the model folder (``ModelFiles``)
    ONNX = "onnx"  # one folder per exported format
    REPORT = "report.html"  # the shareable report
    OWNER = "owner.json"  # who made the run
    HEARTBEAT = "heartbeat"  # the worker's proof of life
    STOP = "stop"  # "stop after the current step", from any process that can write the folder
    LAUNCH_LOG = "launch.log"  # the multi-GPU launcher's and every rank's output
    TOKEN_CACHE_KEYS = "token_cache.txt"  # the token-cache entries the run used
    RECEIPT = "receipt.json"  # what rebuilds the run: data hashes, settings, versions, hardware
    GATE = "gate.json"  # a retrained run's gate: its settings, then the verdict and its numbers


class ModelFiles:
    """The names inside a model folder (a run's ``model/``, an ONNX export's folder, a model to import)."""

    CONFIG = "config.json"  # transformers' own config (Tuneboard's keys start with ``tuneboard_``)
    BASELINE = "baseline.json"  # the TF-IDF baseline's settings: such a folder holds no transformer
    ONNX = "model.onnx"
    PARITY = "parity.json"  # an export's agreement with PyTorch on the validation rows
    EXPORTED_CONFIG = "tuneboard_config.json"  # a run's TrainConfig, as an exported archive carries it
    CARD = "README.md"  # the model card, in the Hugging Face format


@dataclass(frozen=True)
class Workspace:
    """Every folder (and database file) Tuneboard keeps, for the settings of one moment."""

    runs: Path
    models: Path
    uploads: Path
    datasets: Path
    db: Path

    @property
    def home(self) -> Path:
        """The folder that holds the runs folder and the workspace's other places."""
        return self.runs.parent

    @property
    def token_cache(self) -> Path:
        return self.home / "cache" / "tokens"

    @property
    def classes(self) -> Path:
        return self.home / "classes"

    @property
    def prefs(self) -> Path:
        return self.home / "prefs"

    @property
    def deployments(self) -> Path:
        return self.home / "deployments"

    @property
    def studies(self) -> Path:
        return self.home / "studies"

    @property
    def feedback(self) -> Path:
        return self.home / "feedback"

    @property
    def logs(self) -> Path:
        return self.home / "logs"

    @property
    def optuna_db(self) -> Path:
        return self.home / "optuna.db"

    @property
    def mlflow_db(self) -> Path:
        return self.home / "mlflow.db"

    @property
    def served(self) -> Path:
        """What each named model answered: ``served/model.<name>/`` (serve/named.py)."""
        return self.home / "served"

    @property
    def labels_db(self) -> Path:
        """Every label people, models and an LLM gave any table (labeling/store.py)."""
        return self.home / "labels.db"

    @property
    def embeddings(self) -> Path:
        """Sentence embeddings of tables, one file per table and encoder (labeling/embeddings)."""
        return self.home / "cache" / "embeddings"


def workspace() -> Workspace:
    """The workspace as the settings say now."""
    settings = server_settings()
    runs = settings.runs_dir or RUNS_DIR
    return Workspace(runs=runs, models=settings.models_dir or MODELS_DIR,
                     uploads=settings.uploads_dir or MODELS_HOME / "uploads",
                     datasets=settings.datasets_dir or runs.parent / "datasets",
                     db=settings.db or runs.parent / "tuneboard.db")


def runs_root() -> Path:
    return workspace().runs


def embeddings_root() -> Path:
    """Where sentence embeddings of tables are cached (one file per table and encoder)."""
    return workspace().embeddings
