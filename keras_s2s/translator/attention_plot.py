"""Attention heat maps (matplotlib, the optional `plot` extra)."""

import os

import numpy as np

from keras_s2s.files import atomic_path


def plot_attention(result, path, index=0, title=None):
    """Writes the attention weights of one translation as a heat map PNG.

    Rows are the generated target tokens, columns the source tokens; cell
    `(t, j)` is the weight with which target token `t` attended to source
    token `j` (each row sums to 1).

    Args:
        result: the dict returned by `Translator.translate` (lists of
            `source_tokens`, `target_tokens`, `attention`), or a dict with
            those keys for a single sentence (no lists).
        path: the PNG file to write (written atomically: temp file + rename).
        index: which sentence of `result` to plot.
        title: optional figure title (default: the translation).

    Returns:
        `path`.

    Raises:
        ValueError: `path` does not end in `.png`, or the weights do not
            match the tokens.
    """
    path = os.fspath(path)
    if not path.lower().endswith(".png"):
        raise ValueError(f"The heat map is a PNG image: give a path ending in .png. Received: path={path!r}")
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as error:  # pragma: no cover - depends on the extra
        raise ImportError("plot_attention needs matplotlib: pip install 'keras-s2s[plot]'") from error
    source, target, weights, translation = _select(result, index)
    source, target = _visible(source), _visible(target)
    if weights.shape != (len(target), len(source)):
        raise ValueError(
            "`attention` must have shape (len(target_tokens), len(source_tokens)) = "
            f"{(len(target), len(source))}. Received: attention.shape={weights.shape}"
        )
    width = max(4.0, 0.45 * len(source) + 2.0)
    height = max(3.0, 0.4 * len(target) + 1.5)
    fig, ax = plt.subplots(figsize=(width, height))
    image = ax.imshow(
        weights, cmap="viridis", vmin=0.0, vmax=max(float(weights.max(initial=0)), 1e-9), aspect="auto"
    )
    ax.set_xticks(range(len(source)), labels=source, rotation=60, ha="right")
    ax.set_yticks(range(len(target)), labels=target)
    ax.set_xlabel("source")
    ax.set_ylabel("generated")
    ax.set_title(title if title is not None else translation, fontsize=10)
    fig.colorbar(image, ax=ax, fraction=0.04)
    fig.tight_layout()
    try:
        with atomic_path(path, overwrite=True, is_dir=False) as tmp:
            fig.savefig(tmp, dpi=120, format="png")
    finally:
        plt.close(fig)
    return path


def _visible(tokens):
    """Whitespace tokens (character models) shown as '␣'."""
    return [t if t.strip() else "␣" for t in tokens]


def _select(result, index):
    missing = {"source_tokens", "target_tokens", "attention"} - set(result)
    if missing:
        raise ValueError(
            "`result` must be the dict returned by Translator.translate. "
            f"Received: a dict without {sorted(missing)}"
        )
    source, target = result["source_tokens"], result["target_tokens"]
    weights, translation = result["attention"], result.get("translation", "")
    if source and isinstance(source[0], (list, tuple)):
        if not 0 <= index < len(source):
            raise ValueError(f"`index` must be in [0, {len(source)}). Received: index={index}")
        source, target, weights = source[index], target[index], weights[index]
        translation = translation[index] if translation else ""
    if isinstance(translation, list):
        translation = translation[0]
    return list(source), list(target), np.asarray(weights, "float32"), str(translation)
