"""JoeyNMT's side of benchmarks/joeynmt.py, run in JoeyNMT's own interpreter.

`benchmarks/joeynmt.py --worker joeynmt` calls `run_joeynmt`; nothing here
imports TensorFlow or keras_s2s, and JoeyNMT/PyTorch are imported only when
it runs, so the keras_s2s side can import this module without them.

JoeyNMT is driven through its own Python API (`parse_global_args`,
`prepare`, `TrainManager.train_and_validate`, `predict`) with the config a
user would write (`joeynmt_config`); the one change is `TimedTrainManager`,
whose `_validate` (called by JoeyNMT's loop every `validation_freq` steps)
translates the test set with beam 4 for the shared clock instead of
JoeyNMT's greedy validation, and ends training when the clock says so.
"""

import pathlib
import sys
import time

BENCHMARKS = pathlib.Path(__file__).resolve().parent
SPECIALS = {"unk_token": "<unk>", "pad_token": "<pad>", "bos_token": "<s>", "eos_token": "</s>"}


def side(lang, work):
    """The `data.src` / `data.trg` section: lowercased SentencePiece BPE."""
    return {
        "lang": lang,
        "max_length": 100,  # subwords; keeps every Multi30k training pair
        "min_length": 1,
        "lowercase": True,
        "normalize": False,
        "level": "bpe",
        "voc_limit": 100_000,
        "voc_min_freq": 1,
        "voc_file": str(work / f"vocab.{lang}.txt"),
        "tokenizer_type": "sentencepiece",
        "tokenizer_cfg": {"model_file": str(work / f"sp.{lang}.model"), "pretokenizer": "none"},
    }


def joeynmt_config(args, work):
    """The JoeyNMT config of the same model, optimizer and batches as keras_s2s."""
    rnn = {"type": "recurrent", "rnn_type": "gru", "hidden_size": args.units, "num_layers": 1, "dropout": 0.3}
    embeddings = {"embedding_dim": args.embedding_dim}
    return {
        "name": "multi30k_de_en_bahdanau",
        "joeynmt_version": "2.3.0",
        "model_dir": str(work / "model"),
        "use_cuda": False,
        "fp16": False,
        "random_seed": args.seed,
        "data": {
            "train": str(work / "train"),
            "dev": str(work / "test"),  # `_validate` below scores the test set, as keras_s2s does
            "test": str(work / "test"),
            "dataset_type": "plain",
            "src": side("de", work),
            "trg": side("en", work),
            "special_symbols": {**SPECIALS, "unk_id": 0, "pad_id": 1, "bos_id": 2, "eos_id": 3},
        },
        "testing": {
            "n_best": 1,
            "beam_size": 4,
            "beam_alpha": 0.6,  # GNMT length penalty ((5 + |Y|) / 6)^α, as keras_s2s's
            "batch_size": 64,
            "batch_type": "sentence",
            "max_output_length": 100,
            "eval_metrics": ["bleu"],
        },
        "training": {
            "optimizer": "adam",
            "learning_rate": 1e-3,
            "clip_grad_norm": 1.0,
            # constant, as keras_s2s's (JoeyNMT 2.3.0 refuses no scheduler, and its
            # "plateau" passes `verbose`, which PyTorch 2.13 no longer takes)
            "scheduling": "exponential",
            "decrease_factor": 1.0,
            "batch_size": args.batch_size,
            "batch_type": "sentence",
            "normalization": "tokens",
            "epochs": 1000,
            "validation_freq": args.every,
            "logging_freq": min(100, args.every),
            "early_stopping_metric": "bleu",
            "shuffle": True,
            "overwrite": True,
            "keep_best_ckpts": 1,
            "print_valid_sents": [],
        },
        "model": {
            "initializer": "xavier_uniform",
            "bias_initializer": "zeros",
            "embed_initializer": "normal",
            "embed_init_weight": 0.1,
            "encoder": {**rnn, "embeddings": embeddings, "bidirectional": True},
            "decoder": {
                **rnn,
                "embeddings": embeddings,
                "hidden_dropout": 0.3,
                "input_feeding": False,
                "init_hidden": "bridge",
                "attention": "bahdanau",
            },
        },
    }


def write_corpus(splits, work, vocab_size):
    """Plain-text files JoeyNMT reads, and one SentencePiece BPE model per side."""
    import sentencepiece

    for split, texts in splits.items():
        for lang, lines in zip(("de", "en"), texts):
            (work / f"{split}.{lang}").write_text("\n".join(lines) + "\n", encoding="utf-8")
    begin = time.perf_counter()
    for lang, lines in zip(("de", "en"), splits["train"]):
        lowercased = work / f"sp_input.{lang}"
        lowercased.write_text("\n".join(line.lower() for line in lines) + "\n", encoding="utf-8")
        prefix = work / f"sp.{lang}"
        sentencepiece.SentencePieceTrainer.train(
            input=str(lowercased),
            model_prefix=str(prefix),
            vocab_size=vocab_size,
            model_type="bpe",
            character_coverage=1.0,
            minloglevel=2,
        )
        processor = sentencepiece.SentencePieceProcessor(model_file=f"{prefix}.model")
        pieces = [processor.id_to_piece(i) for i in range(processor.get_piece_size())]
        pieces = [p for p in pieces if p not in ("<unk>", "<s>", "</s>")]  # JoeyNMT adds its own
        (work / f"vocab.{lang}.txt").write_text("\n".join(pieces) + "\n", encoding="utf-8")
    return time.perf_counter() - begin


def run_joeynmt(args, splits, time_to_quality, bleu):
    """Trains JoeyNMT until `time_to_quality` stops it; returns the result dict."""
    # benchmarks/joeynmt.py would shadow the joeynmt package
    sys.path[:] = [p for p in sys.path if pathlib.Path(p or ".").resolve() != BENCHMARKS]
    import torch
    from joeynmt.config import parse_global_args
    from joeynmt.prediction import predict, prepare
    from joeynmt.training import TrainManager

    torch.set_num_threads(args.threads)
    torch.set_num_interop_threads(args.threads)
    work = pathlib.Path(args.work_dir) / "joeynmt"
    (work / "model").mkdir(parents=True, exist_ok=True)  # JoeyNMT's `train` command makes it
    vocab_seconds = write_corpus(splits, work, args.vocab_size)
    config = parse_global_args(joeynmt_config(args, work), rank=0, mode="train")
    model, train_data, _, test_data = prepare(config, rank=0, mode="train")
    references = splits["test"][1]

    class TimedTrainManager(TrainManager):
        def train_and_validate(self, train_data, valid_data):
            tracker.start()
            super().train_and_validate(train_data, valid_data)

        def _validate(self, valid_data):
            if tracker.after_step(self.stats.steps):
                self.stats.is_max_update = True  # JoeyNMT's loop ends after this step

        def translate(self):
            hypotheses = predict(
                model=self.model,
                data=test_data,
                device=self.device,
                n_gpu=0,
                compute_loss=False,
                args=self.dev_cfg,
                autocast=self.autocast,
            )[2]
            self.model.train()
            return hypotheses

    trainer = TimedTrainManager(
        model=model,
        model_dir=config.model_dir,
        device=config.device,
        n_gpu=0,
        rank=0,
        num_workers=0,
        autocast=config.autocast,
        seed=config.seed,
        train_args=config.train,
        dev_args=config.test,  # beam 4, not JoeyNMT's greedy validation settings
    )
    tracker = time_to_quality(
        lambda: bleu(trainer.translate(), references), args.every, args.targets, args.max_minutes * 60
    )
    trainer.train_and_validate(train_data=train_data, valid_data=test_data)
    import joeynmt

    return {
        "params": sum(p.numel() for p in model.parameters()),
        "vocab": [len(model.src_vocab), len(model.trg_vocab)],
        "vocab_seconds": vocab_seconds,
        "tokenizer": "SentencePiece BPE, lowercased",
        "versions": {"joeynmt": joeynmt.__version__, "torch": torch.__version__},
        **tracker.result(),
    }
