"""The README's functional-API example runs as written and trains."""

import re

import numpy as np
from conftest import REPO
from seq2seq_data import reverse_task


def _example():
    readme = (REPO / "README.md").read_text()
    marker = readme.index("<!-- readme-example")
    return re.search(r"```python\n(.*?)```", readme[marker:], re.S).group(1)


def test_readme_functional_example_runs_and_learns():
    scope = {}
    exec(compile(_example(), "README.md", "exec"), scope)
    model = scope["model"]
    x, y = reverse_task(512, vocab_size=20, seed=0)
    history = model.fit(x, y, batch_size=64, epochs=3, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    logits = model.predict(x, verbose=0)
    assert logits.shape == (512, 13, 100)
    assert not np.isnan(logits).any()
