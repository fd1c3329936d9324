import os, time; os.environ["TF_CPP_MIN_LOG_LEVEL"]="3"
import numpy as np, tensorflow as tf, keras
from keras_s2s import layers
x = np.random.rand(64, 32, 256).astype("float32"); mask = np.ones((64, 32), bool)
def make(cls):
    l = keras.layers.Bidirectional(cls(256, return_sequences=True)); l.build(x.shape); return l
a, b = make(keras.layers.GRU), make(layers.GRU); b.set_weights(a.get_weights())
def fn(l):
    @tf.function
    def f():
        with tf.GradientTape() as t:
            y = l(x, mask=mask); loss = tf.reduce_sum(y)
        return t.gradient(loss, l.trainable_variables)
    return f
fa, fb = fn(a), fn(b); fa(); fb()
ta, tb = [], []
for r in range(8):
    for f, ts in ((fa, ta), (fb, tb)):
        s = time.perf_counter(); [f() for _ in range(3)]; ts.append(time.perf_counter() - s)
print("keras GRU best %.3f s, hoisted best %.3f s, ratio %.2fx (median %.2fx)" % (min(ta), min(tb), min(ta)/min(tb), np.median(ta)/np.median(tb)))
