"""The history pool CycleGAN shows its discriminators."""

import numpy as np
import tensorflow as tf

from animegan.training.image_pool import ImagePool


def _tagged(values) -> np.ndarray:
    """A batch of 1x1x1 images whose pixel is its tag."""
    return np.asarray(values, "float32").reshape(-1, 1, 1, 1)


def _tags(images) -> list[float]:
    return [float(v) for v in np.asarray(images).ravel()]


def _replay(pool_size: int, batches, outputs) -> list[float]:
    """Checks ``outputs`` against the pool's rules image by image; returns the pool's expected contents."""
    stored: list[float] = []
    for batch, out in zip(batches, outputs):
        for tag, returned in zip(_tags(batch), out):
            if len(stored) < pool_size:  # filling: stored and returned as it is
                assert returned == tag
                stored.append(tag)
            elif returned != tag:  # swapped for a stored image, which gives up its slot
                stored[stored.index(returned)] = tag
    return stored


def test_first_pool_size_images_are_stored_and_returned_unchanged():
    pool = ImagePool(pool_size=50, image_shape=(1, 1, 1), seed=0)
    for start in range(0, 50, 5):
        tags = list(range(start, start + 5))
        assert _tags(pool(_tagged(tags))) == tags
    assert int(pool.count.numpy()) == 50
    assert sorted(_tags(pool.images.numpy())) == list(range(50))


def test_eager_graph_and_xla_queries_follow_the_same_rules():
    """The pool runs inside the compiled train step, with XLA under --xla. XLA draws other random numbers
    (another generator algorithm), so each mode is checked against the rules rather than against the others."""
    batches = [_tagged(range(t, t + 3)) for t in range(0, 45, 3)]
    results = {}
    for mode in ("eager", "graph", "xla"):
        pool = ImagePool(pool_size=4, image_shape=(1, 1, 1), seed=5)
        query = pool if mode == "eager" else tf.function(pool, jit_compile=mode == "xla")
        outputs = [_tags(query(batch)) for batch in batches]
        assert _tags(pool.images.numpy()) == _replay(4, batches, outputs), mode
        assert sum(o != t for o, t in zip(sum(outputs, []), range(45))) > 5, mode  # it did swap
        results[mode] = outputs
    assert results["eager"] == results["graph"]


def test_full_pool_swaps_half_the_time_and_stores_the_new_image():
    pool = ImagePool(pool_size=50, image_shape=(1, 1, 1), seed=123)
    query = tf.function(pool)
    queries = 600
    batches = [_tagged(range(50))] + [_tagged([1000 + n]) for n in range(queries)]
    outputs = [_tags(query(batch)) for batch in batches]
    assert _tags(pool.images.numpy()) == _replay(50, batches, outputs)
    swapped = sum(out != _tags(batch) for batch, out in zip(batches[1:], outputs[1:]))
    # Binomial(600, 0.5): standard deviation ~12; a 6 sigma bound never fails by chance, but 0.35 or 0.65 would.
    assert abs(swapped - queries / 2) < 6 * np.sqrt(queries / 4)
    assert int(pool.count.numpy()) == 50


def test_a_batch_behaves_like_its_images_queried_one_by_one():
    one, many = (ImagePool(pool_size=4, image_shape=(1, 1, 1), seed=7) for _ in range(2))
    # Same seed, so the same random draws when the per-query sizes match: compare batch-of-1 streams.
    singles = [_tags(one(_tagged([t])))[0] for t in range(12)]
    batched = []
    for t in range(12):
        batched += _tags(many(_tagged([t])))
    assert singles == batched
    # A batch crossing the "full" boundary fills the last free slots first.
    pool = ImagePool(pool_size=3, image_shape=(1, 1, 1), seed=0)
    assert _tags(pool(_tagged([10, 11])))[:2] == [10, 11]
    out = _tags(pool(_tagged([12, 13])))
    assert out[0] == 12 and int(pool.count.numpy()) == 3
    assert out[1] in (13, 10, 11, 12)


def test_pool_state_is_in_its_variables_so_a_restored_pool_continues_identically():
    shape = (2, 2, 3)
    rng = np.random.default_rng(0)
    batches = [rng.uniform(-1, 1, (2, *shape)).astype("float32") for _ in range(40)]
    pool = ImagePool(pool_size=5, image_shape=shape, seed=3)
    for batch in batches[:20]:
        pool(batch)
    state = [v.numpy() for v in pool.variables]
    reference = [np.asarray(pool(batch)) for batch in batches[20:]]

    resumed = ImagePool(pool_size=5, image_shape=shape, seed=99)  # a different seed: the state wins
    for variable, value in zip(resumed.variables, state):
        variable.assign(value)
    assert len(resumed.variables) == 3  # images, count, seed state
    for batch, expected in zip(batches[20:], reference):
        np.testing.assert_array_equal(np.asarray(resumed(batch)), expected)


def test_pool_of_size_zero_passes_images_through():
    pool = ImagePool(pool_size=0, image_shape=(1, 1, 1))
    assert _tags(pool(_tagged([1, 2]))) == [1, 2]


def test_pool_config_round_trips():
    pool = ImagePool(pool_size=7, image_shape=(8, 8, 3), swap_probability=0.25, seed=1, name="pool_a")
    clone = ImagePool.from_config(pool.get_config())
    assert (clone.pool_size, clone.image_shape, clone.swap_probability, clone.seed, clone.name) == (
        7, (8, 8, 3), 0.25, 1, "pool_a"
    )
