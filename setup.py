"""keras-s2s: sequence-to-sequence models with attention for Keras 3."""

import pathlib
import re

from setuptools import find_packages, setup

HERE = pathlib.Path(__file__).parent
VERSION = re.search(r'__version__ = "([^"]+)"', (HERE / "keras_s2s" / "__init__.py").read_text()).group(1)

setup(
    name="keras-s2s",
    version=VERSION,
    description=(
        "Sequence-to-sequence models with attention for Keras 3: Bahdanau, "
        "Luong and scaled dot-product attention, beam search, TF Serving and "
        "LiteRT export."
    ),
    long_description=(HERE / "README.md").read_text(),
    long_description_content_type="text/markdown",
    packages=find_packages(include=["keras_s2s", "keras_s2s.*"]),
    py_modules=["keras_s2s_cli"],
    python_requires=">=3.10",
    install_requires=[
        "tensorflow>=2.21,<2.22",
        "tensorflow-text>=2.21,<2.22",
        "keras>=3.15,<3.16",
        "tensorboard>=2.21,<2.22",
        "numpy",
    ],
    extras_require={
        # make test also runs the backend-independent tests on JAX and PyTorch
        # (CPU builds: the torch 2.13.0 wheel the package index serves here is
        # the +cpu one).
        "test": [
            "pytest>=8",
            "pytest-xdist>=3.8,<4",
            "hypothesis>=6",
            "ruff==0.17.5",
            "jax[cpu]==0.10.2",
            "torch==2.13.0",
        ],
        "litert": ["ai-edge-litert>=2.0"],
        "eval": ["sacrebleu>=2.4"],
        "plot": ["matplotlib>=3.8"],
        "onnx": ["tf2onnx==1.17.0", "onnx==1.23.2", "onnxruntime==1.32.0"],
        "serving": ["tensorflow-serving-api>=2.21,<2.22"],
        "bench": ["keras-hub>=0.32,<0.33", "ctranslate2>=4.8,<4.9"],
    },
    entry_points={"console_scripts": ["keras-s2s=keras_s2s_cli:main"]},
    license="Apache-2.0",
)
