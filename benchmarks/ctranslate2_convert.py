"""A keras_s2s `Transformer` as a CTranslate2 model (benchmark code, not part of the package).

`transformer_spec` fills a `ctranslate2.specs.TransformerSpec` (CTranslate2's
Python model-spec API, as its own OpenNMT-py and fairseq converters do) with
the weights of a trained `keras_s2s.models.Transformer`; `convert` writes it
as a CTranslate2 model directory that `ctranslate2.Translator` loads (with
`compute_type="float32"` or `"int8"`, quantized at load time).

What is mapped, checked against keras_s2s/layers/transformer_*.py:

| keras_s2s | CTranslate2 spec |
|---|---|
| `√d · E[x]` (`embedding`, `√embedding_dim`) | `embeddings.weight`, `scale_embeddings=True` (√depth) |
| `SinusoidalPositionEncoding`: PE(p, 2i) = sin, PE(p, 2i+1) = cos (interleaved), p from 0 | `position_encodings.encodings`: the table itself, computed by our layer |
| pre-LN blocks, `LayerNormalization(epsilon=1e-5)` | `pre_norm=True`, `config.layer_norm_epsilon=1e-5` |
| `self_attention_norm`, `cross_attention_norm`, `feedforward_norm` | `self_attention.layer_norm`, `attention.layer_norm`, `ffn.layer_norm` |
| `query/key/value_kernel` `(d, H, k)`, no bias | fused `linear[0]` `(3·H·k, d)` (self) / `linear[0]` + fused `linear[1]` (cross) |
| `output_kernel` `(H, k, d)` | `linear[-1]` `(d, H·k)` |
| `feedforward_inner` (ReLU) / `feedforward_output` Dense kernels + biases | `ffn.linear_0` / `ffn.linear_1` (weights transposed), `Activation.RELU` |
| encoder / decoder `final_norm` | `encoder.layer_norm` / `decoder.layer_norm` |
| tied logits `LN(x) Eᵀ + logits_bias` | `decoder.projection.weight = E`, `.bias = logits_bias` |
| ids 1 / 2 / 3 `[UNK]` / `[START]` / `[END]` | `unk_token`, `bos_token = decoder_start_token`, `eos_token` |

CTranslate2's own sinusoidal table differs from ours in three ways (its
halves are concatenated `[sin … | cos …]` instead of interleaved, its
frequencies are `10000^(-j / (d/2 - 1))` instead of `10000^(-2j / d)`, and
its positions start at 1), so the table is always given explicitly, with
`max_positions` rows (CTranslate2 refuses longer inputs or outputs).

Source side: keras_s2s tokenizers wrap the source in `[START] … [END]`, and
so does the converted model (`add_source_bos`, `add_source_eos`): a caller
passes the source's word pieces only (`source_tokens` strips the two).
Vocabularies are the tokenizers' token strings, id = index, so a token's
CTranslate2 id equals its keras_s2s id.
"""

import numpy as np

#: Rows of the position table written into the CTranslate2 model.
DEFAULT_MAX_POSITIONS = 1024

PAD_ID, UNK_ID, START_ID, END_ID = 0, 1, 2, 3


def transformer_spec(model, source_vocabulary, target_vocabulary, max_positions=DEFAULT_MAX_POSITIONS):
    """A `ctranslate2.specs.TransformerSpec` holding `model`'s weights.

    Args:
        model: a built `keras_s2s.models.Transformer` (float32 weights are
            read as they are; a mixed-precision model's float32 variables too).
        source_vocabulary: list of str, the source tokenizer's vocabulary
            (`tokenizer.vocabulary`), id = index.
        target_vocabulary: list of str, the target tokenizer's vocabulary.
        max_positions: int, rows of the position-encoding table: the longest
            source (with [START] and [END]) and the longest decode
            CTranslate2 will accept.

    Returns:
        A validated `TransformerSpec` with its vocabularies registered.

    Raises:
        ValueError: not a keras_s2s Transformer, vocabularies that do not
            match the embeddings or do not start with the special tokens.
    """
    from ctranslate2.specs import common_spec
    from ctranslate2.specs import transformer_spec as ct2_transformer

    _check_model(model)
    _check_vocabulary("source", source_vocabulary, model.encoder.vocab_size)
    _check_vocabulary("target", target_vocabulary, model.decoder.vocab_size)
    if not isinstance(max_positions, int) or max_positions < 2:
        raise ValueError(f"`max_positions` must be an int >= 2. Received: max_positions={max_positions!r}")

    spec = ct2_transformer.TransformerSpec.from_config(
        model.num_layers,
        model.num_heads,
        pre_norm=True,
        activation=common_spec.Activation.RELU,
    )
    _set_encoder(spec.encoder, model.encoder, max_positions)
    _set_decoder(spec.decoder, model.decoder, max_positions)

    config = spec.config
    config.unk_token = source_vocabulary[UNK_ID]
    config.bos_token = target_vocabulary[START_ID]
    config.eos_token = target_vocabulary[END_ID]
    config.decoder_start_token = target_vocabulary[START_ID]
    config.add_source_bos = True  # keras_s2s wraps the source in [START] … [END]
    config.add_source_eos = True
    config.layer_norm_epsilon = _layer_norm_epsilon(model)

    spec.register_source_vocabulary(list(source_vocabulary))
    spec.register_target_vocabulary(list(target_vocabulary))
    spec.validate()
    return spec


def convert(
    model,
    source_tokenizer,
    target_tokenizer,
    output_dir,
    max_positions=DEFAULT_MAX_POSITIONS,
    overwrite=False,
):
    """Writes `model` as a float32 CTranslate2 model directory; returns its path.

    Load it with `ctranslate2.Translator(output_dir, compute_type=...)`:
    `"float32"` runs the weights as they are, `"int8"` quantizes the
    weights when loading (per output row, as `ct2-*-converter
    --quantization int8` would).

    Args:
        model: a `keras_s2s.models.Transformer`.
        source_tokenizer, target_tokenizer: its keras_s2s tokenizers.
        output_dir: the directory to write, atomically (a failed
            conversion leaves nothing behind).
        max_positions: see `transformer_spec`.
        overwrite: replace an existing `output_dir`.

    Raises:
        FileExistsError: `output_dir` exists and `overwrite` is False.
    """
    from keras_s2s.files import atomic_path

    spec = transformer_spec(
        model, source_tokenizer.vocabulary, target_tokenizer.vocabulary, max_positions=max_positions
    )
    spec.optimize(quantization=None)  # the converters' step: float32 stays float32
    with atomic_path(output_dir, overwrite=overwrite, is_dir=True) as tmp:
        spec.save(tmp)
    return str(output_dir)


def source_tokens(ids, vocabulary):
    """CTranslate2 source tokens of keras_s2s source ids.

    Args:
        ids: int `(S,)` or `(B, S)`, keras_s2s source ids (`[START] … [END]`,
            0-padded).
        vocabulary: the source vocabulary.

    Returns:
        A list (one per row) of token lists without [START], [END] and
        padding: the converted model adds [START] and [END] itself.
    """
    ids = np.asarray(ids)
    rows = ids[None] if ids.ndim == 1 else ids
    return [[vocabulary[i] for i in row if i not in (PAD_ID, START_ID, END_ID)] for row in rows]


def target_ids(hypotheses, token_to_id, width=None):
    """`(B, L)` int32 keras_s2s target ids of CTranslate2 hypotheses.

    Args:
        hypotheses: list of token lists, translated with
            `return_end_token=True` ([END] kept where the decode ended on
            it; an output cut at the maximum length has none, as in
            `model.generate`).
        token_to_id: dict str → id of the target vocabulary.
        width: int, the columns of the result (default: the longest).

    Returns:
        int32 `(B, width)`, 0-padded, like `model.generate`'s ids.
    """
    width = width or max((len(h) for h in hypotheses), default=0)
    out = np.zeros((len(hypotheses), width), np.int32)
    for row, tokens in enumerate(hypotheses):
        ids = [token_to_id[t] for t in tokens][:width]
        out[row, : len(ids)] = ids
    return out


# --------------------------------------------------------------- internals
def _check_model(model):
    for name in ("encoder", "decoder", "num_layers", "num_heads"):
        if not hasattr(model, name):
            raise ValueError(
                "`model` must be a keras_s2s.models.Transformer. "
                f"Received: {type(model).__name__} without `{name}`"
            )
    if not hasattr(model.encoder, "blocks") or not hasattr(model.decoder, "logits_bias"):
        raise ValueError(
            "`model` must be a built keras_s2s.models.Transformer (encoder blocks, decoder "
            f"logits_bias). Received: {type(model).__name__}"
        )


def _check_vocabulary(side, vocabulary, embedding_rows):
    vocabulary = list(vocabulary)
    if tuple(vocabulary[:4]) != ("[PAD]", "[UNK]", "[START]", "[END]"):
        raise ValueError(
            f"The {side} vocabulary must start with [PAD], [UNK], [START], [END] "
            f"(ids 0-3). Received: {vocabulary[:4]!r}"
        )
    if len(vocabulary) != embedding_rows:
        raise ValueError(
            f"The {side} vocabulary has {len(vocabulary)} tokens but the model's {side} "
            f"embedding has {embedding_rows} rows"
        )
    if len(set(vocabulary)) != len(vocabulary):
        raise ValueError(f"The {side} vocabulary has duplicate tokens: CTranslate2 maps tokens to ids")


def _layer_norm_epsilon(model):
    epsilons = {float(layer.epsilon) for layer in _layer_norms(model.encoder) + _layer_norms(model.decoder)}
    if len(epsilons) != 1:
        raise ValueError(f"CTranslate2 has one layer-norm epsilon per model. Received: {sorted(epsilons)}")
    return epsilons.pop()


def _layer_norms(stack):
    norms = [stack.final_norm]
    for block in stack.blocks:
        norms += [block.self_attention_norm, block.feedforward_norm]
        if hasattr(block, "cross_attention_norm"):
            norms.append(block.cross_attention_norm)
    return norms


def _numpy(variable):
    return np.asarray(variable.numpy() if hasattr(variable, "numpy") else variable, np.float32)


def _position_table(stack, max_positions):
    """`(max_positions, d)` float32: our `SinusoidalPositionEncoding` at positions 0 … N-1."""
    zeros = np.zeros((1, max_positions, stack.embedding_dim), np.float32)  # (1, N, d)
    return _numpy(stack.position_encoding(zeros))[0]  # (N, d)


def _set_embeddings(spec, stack, max_positions):
    embedding = spec.embeddings[0] if isinstance(spec.embeddings, list) else spec.embeddings
    embedding.weight = _numpy(stack.embedding.embeddings)  # (V, d)
    spec.scale_embeddings = True  # × √d, as keras_s2s's math.sqrt(embedding_dim)
    spec.position_encodings.encodings = _position_table(stack, max_positions)  # (N, d)


def _set_layer_norm(spec, layer):
    spec.gamma = _numpy(layer.gamma)  # (d,)
    spec.beta = _numpy(layer.beta)  # (d,)


def _set_dense(spec, layer):
    spec.weight = _numpy(layer.kernel).T  # (in, out) → (out, in)
    if layer.use_bias:
        spec.bias = _numpy(layer.bias)  # (out,)


def _heads_in(kernel):
    """`(d, H, k)` projection → CTranslate2 `(H·k, d)`: head h is rows h·k … (h+1)·k-1."""
    kernel = _numpy(kernel)
    return kernel.reshape(kernel.shape[0], -1).T  # (H*k, d)


def _heads_out(kernel):
    """`(H, k, d)` output projection → CTranslate2 `(d, H·k)`."""
    kernel = _numpy(kernel)
    return kernel.reshape(-1, kernel.shape[-1]).T  # (d, H*k)


def _check_attention(attention, num_heads):
    if not attention.projected or attention.num_heads != num_heads:
        raise ValueError(
            f"{attention.name}: CTranslate2 needs projected multi-head attention with "
            f"{num_heads} heads. Received: num_heads={attention.num_heads}, key_dim={attention.key_dim}"
        )


def _set_self_attention(spec, attention, norm, num_heads):
    _check_attention(attention, num_heads)
    _set_layer_norm(spec.layer_norm, norm)
    spec.linear[0].weight = np.concatenate(
        [
            _heads_in(attention.query_kernel),
            _heads_in(attention.key_kernel),
            _heads_in(attention.value_kernel),
        ]
    )  # (3*H*k, d): queries, keys, values
    spec.linear[1].weight = _heads_out(attention.output_kernel)  # (d, H*k)


def _set_cross_attention(spec, attention, norm, num_heads):
    _check_attention(attention, num_heads)
    _set_layer_norm(spec.layer_norm, norm)
    spec.linear[0].weight = _heads_in(attention.query_kernel)  # (H*k, d)
    spec.linear[1].weight = np.concatenate(
        [_heads_in(attention.key_kernel), _heads_in(attention.value_kernel)]
    )  # (2*H*k, d): keys, values
    spec.linear[2].weight = _heads_out(attention.output_kernel)  # (d, H*k)


def _set_feedforward(spec, block):
    activation = getattr(block.feedforward_inner.activation, "__name__", "")
    if activation != "relu":
        raise ValueError(f"{block.name}: the feed-forward activation must be relu. Received: {activation!r}")
    _set_layer_norm(spec.layer_norm, block.feedforward_norm)
    _set_dense(spec.linear_0, block.feedforward_inner)  # (f, d)
    _set_dense(spec.linear_1, block.feedforward_output)  # (d, f)


def _set_encoder(spec, encoder, max_positions):
    _set_embeddings(spec, encoder, max_positions)
    _set_layer_norm(spec.layer_norm, encoder.final_norm)
    for layer, block in zip(spec.layer, encoder.blocks, strict=True):
        _set_self_attention(
            layer.self_attention, block.self_attention, block.self_attention_norm, block.num_heads
        )
        _set_feedforward(layer.ffn, block)


def _set_decoder(spec, decoder, max_positions):
    _set_embeddings(spec, decoder, max_positions)
    _set_layer_norm(spec.layer_norm, decoder.final_norm)
    for layer, block in zip(spec.layer, decoder.blocks, strict=True):
        _set_self_attention(
            layer.self_attention, block.self_attention, block.self_attention_norm, block.num_heads
        )
        _set_cross_attention(
            layer.attention, block.cross_attention, block.cross_attention_norm, block.num_heads
        )
        _set_feedforward(layer.ffn, block)
    if decoder.output_layer is None:  # tied: logits = LN(x) Eᵀ + b
        spec.projection.weight = spec.embeddings.weight  # (V, d), the same array (CTranslate2 aliases it)
    else:
        spec.projection.weight = _numpy(decoder.output_layer.kernel).T  # (V, d)
    spec.projection.bias = _numpy(decoder.logits_bias)  # (V,)
