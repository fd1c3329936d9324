"""`keras-s2s train --architecture transformer`, and every other command on its run directory."""

import json

import numpy as np
import pytest
import tensorflow as tf

from keras_s2s import cli, data

TRANSFORMER = [
    "--architecture",
    "transformer",
    "--tokenizer",
    "word",
    "--embedding-dim",
    "32",
    "--layers",
    "2",
    "--heads",
    "2",
    "--feedforward-dim",
    "64",
    "--warmup-steps",
    "40",
    "--learning-rate",
    "0.003",
    "--label-smoothing",
    "0.1",
    "--epochs",
    "4",
    "--keep-checkpoints",
    "3",
    "--batch-size",
    "32",
    "--quiet",
]


def _files(tmp_path, n=800, seed=0):
    sources, targets = data.reverse(n, seed=seed)
    src, tgt = tmp_path / "train.src", tmp_path / "train.tgt"
    src.write_text("\n".join(sources) + "\n")
    tgt.write_text("\n".join(targets) + "\n")
    return str(src), str(tgt)


@pytest.fixture(scope="module")
def transformer_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("cli_transformer")
    src, tgt = _files(tmp)
    out = tmp / "run"
    assert cli.main(["train", "--source", src, "--target", tgt, "--output-dir", str(out), *TRANSFORMER]) == 0
    return tmp, out, src, tgt


def test_the_run_directory_says_it_holds_a_transformer(transformer_run):
    _, out, _, _ = transformer_run
    settings = json.loads((out / "settings.json").read_text())
    assert settings["architecture"] == "transformer"
    assert settings["model"] == {
        "embedding_dim": 32,
        "num_layers": 2,
        "num_heads": 2,
        "feedforward_dim": 64,
        "dropout": 0.1,
        "tie_embeddings": True,
    }
    assert settings["warmup_steps"] == 40 and settings["label_smoothing"] == 0.1
    history = (out / "history.csv").read_text().splitlines()
    header = history[0].split(",")
    losses = [float(row.split(",")[header.index("loss")]) for row in history[1:]]
    assert losses[-1] < losses[0]  # it learns


def test_translate_evaluate_export_and_attention_work_unchanged(transformer_run, tmp_path, capsys):
    _, out, _, _ = transformer_run
    sentences = data.reverse(3, seed=9)[0]
    assert cli.main(["translate", "--model", str(out), "--strategy", "greedy", *sentences]) == 0
    translated = capsys.readouterr().out.strip().splitlines()
    assert len(translated) == 3
    saved = tmp_path / "serving" / "1"
    assert cli.main(["export", "--model", str(out), "--output", str(saved), "--strategy", "greedy"]) == 0
    capsys.readouterr()
    served = tf.saved_model.load(str(saved)).signatures["serving_default"](text=tf.constant(sentences))
    assert [t.decode() for t in served["translation"].numpy()] == translated
    png = tmp_path / "attention.png"
    assert cli.main(["attention", "--model", str(out), "--output", str(png), sentences[0]]) == 0
    assert png.stat().st_size > 0


def test_resume_refuses_rnn_flags_and_a_changed_architecture(transformer_run, capsys):
    _, out, src, tgt = transformer_run
    common = ["train", "--source", src, "--target", tgt, "--output-dir", str(out), "--resume", "--quiet"]
    assert cli.main([*common, "--units", "64"]) == 1
    assert "--units do(es) not apply to --architecture transformer" in capsys.readouterr().err
    assert cli.main([*common, "--architecture", "rnn"]) == 1
    assert "--architecture: 'transformer' in the run, 'rnn' now" in capsys.readouterr().err
    assert cli.main([*common, "--learning-rate", "0.01"]) == 1
    assert "the schedule's peak" in capsys.readouterr().err


def test_the_schedule_peaks_at_the_given_learning_rate():
    from keras_s2s.training.model_factory import learning_rate as _learning_rate
    from keras_s2s.training.settings import TrainSettings

    settings = TrainSettings(
        architecture="transformer", model={"embedding_dim": 32}, warmup_steps=40, learning_rate=0.003
    )
    schedule = _learning_rate(settings)
    np.testing.assert_allclose(float(schedule(39)), 0.003, rtol=1e-6)  # step s = iterations + 1 = 40
    assert float(schedule(9)) < 0.003 and float(schedule(399)) < 0.003
    constant = TrainSettings(learning_rate=0.002)
    assert _learning_rate(constant) == 0.002


def test_average_the_last_checkpoints_into_a_run_every_command_reads(transformer_run, tmp_path, capsys):
    import keras

    from keras_s2s.training.epoch_checkpoints import checkpoint_paths
    from keras_s2s.training.run_directory import load_run

    _, out, _, _ = transformer_run
    paths = checkpoint_paths(out)
    assert [p.rsplit("/", 1)[1] for p in paths] == [f"epoch-000{e}.weights.h5" for e in (2, 3, 4)]
    averaged = tmp_path / "averaged"
    assert cli.main(["average", "--model", str(out), "--last", "2", "--output-dir", str(averaged)]) == 0
    assert "the mean of epoch-0003, epoch-0004" in capsys.readouterr().out
    model, *_ = load_run(averaged)
    reference, *_ = load_run(out)
    expected = []
    for path in paths[-2:]:
        reference.load_weights(path)
        expected.append([np.asarray(w) for w in reference.weights])
    for got, a, b in zip(model.weights, *expected):
        if keras.backend.standardize_dtype(got.dtype).startswith("float"):
            np.testing.assert_allclose(np.asarray(got), (a + b) / 2, rtol=1e-5, atol=1e-7)
    assert cli.main(["translate", "--model", str(averaged), "--strategy", "greedy", "a b c"]) == 0
    assert capsys.readouterr().out.strip()
    assert cli.main(["average", "--model", str(out), "--last", "4", "--output-dir", str(tmp_path / "x")]) == 1
    assert "keeps 3 epoch checkpoint(s)" in capsys.readouterr().err
    assert cli.main(["average", "--model", str(out), "--last", "2", "--output-dir", str(averaged)]) == 1
    assert "already exists; pass --overwrite" in capsys.readouterr().err


def test_mixed_precision_trains_in_bfloat16_and_saves_a_float32_model(tmp_path, capsys):
    import keras

    from keras_s2s.text import WordTokenizer
    from keras_s2s.training.model_factory import build_model
    from keras_s2s.training.run_directory import load_run
    from keras_s2s.training.settings import TrainSettings

    settings = TrainSettings(
        architecture="transformer", model={"embedding_dim": 16}, mixed_precision="bfloat16"
    )
    tokenizer = WordTokenizer(vocabulary=["a", "b"])
    model = build_model(settings, tokenizer, tokenizer, strategy=None)
    assert model.decoder.compute_dtype == "bfloat16" and model.decoder.variable_dtype == "float32"
    assert keras.mixed_precision.global_policy().name == "float32"  # restored
    with pytest.raises(
        ValueError, match=r"--mixed-precision must be one of .*Received: mixed_precision='int8'"
    ):
        TrainSettings(mixed_precision="int8")
    changed = TrainSettings(mixed_precision="float16").differences(TrainSettings(mixed_precision="bfloat16"))
    assert changed == ["--mixed-precision: 'bfloat16' in the run, 'float16' now"]  # a resume refuses it

    src, tgt = _files(tmp_path, n=200)
    out = tmp_path / "run"
    flags = [*TRANSFORMER[: TRANSFORMER.index("--epochs")], "--epochs", "1", "--batch-size", "32", "--quiet"]
    argv = ["train", "--source", src, "--target", tgt, "--output-dir", str(out), *flags]
    assert cli.main([*argv, "--mixed-precision", "bfloat16"]) == 0
    assert json.loads((out / "settings.json").read_text())["mixed_precision"] == "bfloat16"
    saved, *_ = load_run(out)
    assert saved.decoder.compute_dtype == "float32"  # translate / export run float32
    assert keras.mixed_precision.global_policy().name == "float32"
    assert cli.main(["translate", "--model", str(out), "--strategy", "greedy", "a b c"]) == 0
    assert capsys.readouterr().out.strip()
