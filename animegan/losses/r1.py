"""The R1 gradient penalty (Mescheder et al. 2018), as StyleGAN2 applies it lazily to real images."""

from __future__ import annotations

import tensorflow as tf


def r1_penalty(discriminator, real_images, training=True):
    """Mean over the batch of ||dD(x)/dx||^2 on real images x; returns (penalty, logits of x).

    Uses a ``tf.GradientTape`` (an input gradient is what ``keras.ops`` lacks); differentiate the
    penalty with an outer tape to get the discriminator's weight gradients.
    """
    real_images = tf.convert_to_tensor(real_images)
    with tf.GradientTape() as tape:
        tape.watch(real_images)
        logits = discriminator(real_images, training=training)
        total = tf.reduce_sum(tf.cast(logits, tf.float32))
    gradients = tf.cast(tape.gradient(total, real_images), tf.float32)
    return tf.reduce_mean(tf.reduce_sum(tf.square(gradients), axis=[1, 2, 3])), logits
