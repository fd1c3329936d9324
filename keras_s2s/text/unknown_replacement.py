"""Unknown-word replacement: each output [UNK] becomes the most attended source token.

Luong et al. 2015 ("Addressing the Rare Word Problem in Neural Machine
Translation"): where the model wrote [UNK], copy the source token it
attended to most at that step. Pure TensorFlow string ops, so the Python
`Translator` and the exported SavedModel run the very same function. Imports
only `keras_s2s.text`.
"""

import tensorflow as tf

from keras_s2s.text.vocabulary import END_ID, PAD_ID, START_ID, UNK_ID


def replace_unknown(ids, attention, source_ids, source_tokenizer, target_tokenizer):
    """Text of `ids` with each [UNK] replaced by the most attended source token.

        copied_t = source_token[argmax_i attention[t, i]]   where ids_t = [UNK]

    Source word pieces lose their `##` continuation mark; the tokens are then
    joined by the target tokenizer's own rule (`tokens_to_text`).

    Args:
        ids: int32 `(B, L)` or `(B, n, L)` target ids (n hypotheses).
        attention: float32 `(B, L, S)` or `(B, n, L, S)`, their attention.
        source_ids: int32 `(B, S)`, the source ids the attention looked at.
        source_tokenizer, target_tokenizer: the keras_s2s tokenizers.

    Returns:
        string `(B,)` or `(B, n)`.
    """
    shape = tf.shape(ids)[:-1]  # (B,) or (B, n)
    length, width = tf.shape(ids)[-1], tf.shape(attention)[-1]
    flat_ids = tf.reshape(ids, [-1, length])  # (B·n, L)
    flat_attention = tf.reshape(attention, [-1, length, width])  # (B·n, L, S)
    repeats = tf.shape(flat_ids)[0] // tf.maximum(tf.shape(source_ids)[0], 1)
    sources = tf.repeat(source_ids, repeats, axis=0)  # (B·n, S)
    source_tokens = source_tokenizer.ids_to_tokens(sources)  # (B·n, S)
    source_tokens = tf.strings.regex_replace(source_tokens, "^##", "")
    position = tf.argmax(flat_attention, axis=-1, output_type=tf.int32)  # (B·n, L)
    copied = tf.gather(source_tokens, position, batch_dims=1)  # (B·n, L)
    tokens = target_tokenizer.ids_to_tokens(flat_ids)  # (B·n, L)
    tokens = tf.where(tf.equal(flat_ids, UNK_ID), copied, tokens)  # (B·n, L)
    before_end = tf.equal(tf.cumsum(tf.cast(tf.equal(flat_ids, END_ID), tf.int32), axis=1), 0)  # (B·n, L)
    keep = before_end & (flat_ids != PAD_ID) & (flat_ids != START_ID)
    text = target_tokenizer.tokens_to_text(tf.ragged.boolean_mask(tokens, keep))  # (B·n,)
    return tf.reshape(text, shape)
