"""Corpus metrics with sacreBLEU: BLEU and chrF, cased and lowercased."""

DEFAULT_BUCKETS = (10, 20, 30)


def score(hypotheses, references):
    """BLEU and chrF of `hypotheses` against one reference per sentence.

    Args:
        hypotheses: list of str, the system outputs (detokenized text).
        references: list of str, same length.

    Returns:
        dict: `bleu`, `bleu_lowercase`, `chrf`, `chrf_lowercase` (floats on
        sacreBLEU's 0–100 scale), `sentences`, and the sacreBLEU signature
        of the cased BLEU.
    """
    try:
        import sacrebleu
    except ImportError as error:  # pragma: no cover - depends on the extra
        raise ImportError("evaluation needs sacrebleu: pip install 'keras-s2s[eval]'") from error
    if len(hypotheses) != len(references):
        raise ValueError(
            "Each hypothesis needs one reference. Received: "
            f"{len(hypotheses)} hypotheses and {len(references)} references"
        )
    refs = [list(references)]
    bleu = sacrebleu.metrics.BLEU()
    result = {
        "sentences": len(hypotheses),
        "bleu": bleu.corpus_score(hypotheses, refs).score,
        "bleu_lowercase": sacrebleu.metrics.BLEU(lowercase=True).corpus_score(hypotheses, refs).score,
        "chrf": sacrebleu.metrics.CHRF().corpus_score(hypotheses, refs).score,
        "chrf_lowercase": sacrebleu.metrics.CHRF(lowercase=True).corpus_score(hypotheses, refs).score,
        "signature": str(bleu.get_signature()),
    }
    return result


def score_by_length(sources, hypotheses, references, boundaries=DEFAULT_BUCKETS):
    """`score` per bucket of source length (in whitespace-separated words).

    Returns:
        list of `(label, metrics)`, e.g. `("0-9", {...})`, `("30+", {...})`;
        empty buckets are left out.
    """
    edges = [0, *boundaries]
    buckets = []
    for i, low in enumerate(edges):
        high = edges[i + 1] if i + 1 < len(edges) else None
        members = [
            j
            for j, s in enumerate(sources)
            if len(s.split()) >= low and (high is None or len(s.split()) < high)
        ]
        if members:
            label = f"{low}-{high - 1}" if high is not None else f"{low}+"
            buckets.append((label, score([hypotheses[j] for j in members], [references[j] for j in members])))
    return buckets
