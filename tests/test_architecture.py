"""The import arrows of ../shared/DESIGN.md, checked on the source.

cli → training / export / translator → models → layers, decoding; data →
text. Layers, models and decoding use `keras.ops` (no TensorFlow), so they
run on every Keras backend; the few backend-specific pieces of decoding and
generate, and the backend-specific kernel of the default loss, live in the
modules of `BACKEND_MODULES`, which import a backend only inside the
function that needs it. A new module that imports
the wrong way fails here.
"""

import ast
import pathlib

import pytest

PACKAGE = pathlib.Path(__file__).resolve().parents[1] / "keras_s2s"

BACKENDS = {"tensorflow", "jax", "torch"}

# package -> keras_s2s packages (and third-party roots) it must not import
FORBIDDEN = {
    "layers": {"models", "decoding", "text", "data", "export", "training", "cli", "translator", *BACKENDS},
    "decoding": {"layers", "models", "text", "data", "export", "training", "cli", "translator", *BACKENDS},
    "text": {"layers", "models", "decoding", "data", "export", "training", "cli", "translator"},
    "data": {"layers", "models", "decoding", "export", "training", "cli", "translator"},
    "models": {"export", "training", "cli", "translator", "data", "text", *BACKENDS},
    "export": {"training", "cli"},
    "translator": {"training", "cli"},
    "training": {"cli"},
    "optimizers": {"layers", "models", "decoding", "text", "data", "export", "training", "cli", "translator"},
}


# The modules that may import a backend (lazily, see below).
BACKEND_MODULES = {
    "decoding/backend.py",
    "models/compiled_generate.py",
    "models/masked_cross_entropy.py",
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
        allowed = BACKENDS if path.relative_to(PACKAGE).as_posix() in BACKEND_MODULES else set()
        for name in _imports(path):
            parts = name.split(".")
            target = parts[1] if parts[0] == "keras_s2s" and len(parts) > 1 else parts[0]
            if target in FORBIDDEN[package] - allowed:
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


@pytest.mark.parametrize("module", sorted(BACKEND_MODULES))
def test_backend_modules_import_their_backend_lazily(module):
    """No backend import at module level: importing keras_s2s under JAX or
    PyTorch imports no TensorFlow, and under TensorFlow creates nothing
    before tf.distribute is configured."""
    tree = ast.parse((PACKAGE / module).read_text(encoding="utf-8"))
    top = set()
    for node in tree.body:
        if isinstance(node, ast.Import):
            top.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            top.add(node.module.split(".")[0])
    assert top & BACKENDS == set()


def test_every_module_opens_with_a_docstring():
    missing = [
        str(p.relative_to(PACKAGE.parent))
        for p in PACKAGE.rglob("*.py")
        if not ast.get_docstring(ast.parse(p.read_text()))
    ]
    assert missing == []
