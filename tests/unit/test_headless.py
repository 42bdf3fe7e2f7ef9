import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_engine_never_imports_the_ui_layer():
    code = ("import sys, pkgutil, importlib, tuneboard\n"
            "for m in pkgutil.iter_modules(tuneboard.__path__):\n"
            "    if m.name != '__main__': importlib.import_module('tuneboard.' + m.name)\n"
            "bad = [m for m in sys.modules if m.split('.')[0] in ('streamlit', 'plotly')]\n"
            "print(bad); sys.exit(1 if bad else 0)\n")
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr


def test_importing_the_package_is_cheap():
    r = subprocess.run([sys.executable, "-c", "import sys, tuneboard, tuneboard.config, tuneboard.errors; "
                        "print('torch' in sys.modules)"], cwd=ROOT, capture_output=True, text=True)
    assert r.stdout.strip() == "False"
