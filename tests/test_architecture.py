"""The import arrows of ../shared/DESIGN.md, checked on the source.

cli → training / export / translator → models → layers, decoding; data →
text. Layers use `keras.ops` only (no TensorFlow), so they run on every
Keras backend. A new module that imports the wrong way fails here.
"""

import ast
import pathlib

import pytest

PACKAGE = pathlib.Path(__file__).resolve().parents[1] / "keras_s2s"

# package -> keras_s2s packages (and third-party roots) it must not import
FORBIDDEN = {
    "layers": {"models", "decoding", "text", "data", "export", "training", "cli", "translator", "tensorflow"},
    "decoding": {"layers", "models", "text", "data", "export", "training", "cli", "translator"},
    "text": {"layers", "models", "decoding", "data", "export", "training", "cli", "translator"},
    "data": {"layers", "models", "decoding", "export", "training", "cli", "translator"},
    "models": {"export", "training", "cli", "translator", "data", "text"},
    "export": {"training", "cli"},
    "translator": {"training", "cli"},
    "training": {"cli"},
    "optimizers": {"layers", "models", "decoding", "text", "data", "export", "training", "cli", "translator"},
}


def _imports(path):
    """The dotted names a module imports (absolute imports only)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
            if node.module == "keras_s2s":  # from keras_s2s import models
                names.update(f"keras_s2s.{alias.name}" for alias in node.names)
    return names


def _violations(package):
    found = []
    for path in sorted((PACKAGE / package).rglob("*.py")):
        for name in _imports(path):
            parts = name.split(".")
            target = parts[1] if parts[0] == "keras_s2s" and len(parts) > 1 else parts[0]
            if target in FORBIDDEN[package]:
                found.append(f"{path.relative_to(PACKAGE).as_posix()} imports {name}")
    return sorted(found)


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_imports_run_one_way(package):
    assert _violations(package) == []


def test_the_check_sees_a_wrong_import(tmp_path, monkeypatch):
    (tmp_path / "layers").mkdir()
    (tmp_path / "layers" / "bad.py").write_text("import tensorflow as tf\nfrom keras_s2s import models\n")
    monkeypatch.setattr(__import__(__name__), "PACKAGE", tmp_path)
    assert _violations("layers") == [
        "layers/bad.py imports keras_s2s.models",
        "layers/bad.py imports tensorflow",
    ]


def test_every_module_opens_with_a_docstring():
    missing = [
        str(p.relative_to(PACKAGE.parent))
        for p in PACKAGE.rglob("*.py")
        if not ast.get_docstring(ast.parse(p.read_text()))
    ]
    assert missing == []
