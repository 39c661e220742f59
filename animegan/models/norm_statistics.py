"""A generator run with the statistics of its instance and layer norms handed in and measured out.

``statistics_function(model)`` re-runs the model's functional graph with every normalization site
(``norm_sites``) replaced by: measure the site's input statistics weighted by a per-pixel ``mask``,
then normalize with ``own * measured + given_mean`` and ``(own * measured + 1 - own) * given_variance``.
So ``own = 1`` with zeros and ones given is the model itself (statistics over the masked pixels), ``own = 0``
normalizes with the given (whole-image) statistics, and ``own = 1`` with other values shifts and scales
each site's own statistics on the fly (the correction pass of ``inference.whole_statistics``). The
function returns the stylized batch and each site's measured mean and variance: (N, groups) each.
The graph is the same Keras layers and weights (nothing is copied), so exports trace it as they trace the model.
"""

from __future__ import annotations

import keras
from keras import ops

from animegan.errors import AnimeGANError
from animegan.layers.norm_sites import NormSite
from animegan.layers.norms import needs_statistics, normalize_with, weighted_moments

_PROBE = 16  # probe photo side, in strides: large enough for every site to keep a few pixels


def _run(model, photo, operation):
    # Functional._run_through_graph is how Functional.call itself runs the graph; operation_fn swaps layers.
    out = model._run_through_graph(photo, operation_fn=operation)
    return out[0] if isinstance(out, (list, tuple)) else out


def norm_sites(model) -> tuple[NormSite, ...]:
    """Every layer of ``model`` that normalizes with its input's statistics, in the order the graph runs them."""
    size = _PROBE * int(getattr(model, "stride", 4))
    seen: list[NormSite] = []

    def operation(op):
        if not needs_statistics(op):
            return op

        def call(x, *args, **kwargs):
            if x.shape[1] is None or size % x.shape[1]:
                raise AnimeGANError(f"normalization {op.name} sees a {x.shape[1]}-pixel side of a {size}-pixel photo")
            if any(site.name == op.name for site in seen):
                raise AnimeGANError(f"normalization {op.name} runs twice in the graph; whole-image statistics need one")
            seen.append(NormSite(op.name, int(op.groups), size // int(x.shape[1])))
            return op(x, *args, **kwargs)

        return call

    _run(model, keras.KerasTensor((1, size, size, 3)), operation)
    return tuple(seen)


def statistics_function(model, sites: tuple[NormSite, ...] | None = None):
    """``run(photo, mask, own, means, variances) -> (stylized, moment_means, moment_variances)``.

    photo (N, H, W, 3), mask (N, H, W, 1), own (N, 1); means and variances: one (N, groups) per site.
    """
    sites = norm_sites(model) if sites is None else sites
    index = {site.name: i for i, site in enumerate(sites)}

    def run(photo, mask, own, means, variances):
        pooled = {1: mask}
        measured: list = [None] * len(sites)

        def operation(op):
            if op.name not in index or not needs_statistics(op):
                return op
            i = index[op.name]
            site = sites[i]

            def call(x, *args, **kwargs):
                if site.scale not in pooled:
                    pooled[site.scale] = ops.average_pool(mask, site.scale, strides=site.scale, padding="valid")
                mean, variance = weighted_moments(x, pooled[site.scale], site.groups)
                measured[i] = (mean, variance)
                used_mean = own * mean + means[i]
                used_variance = (own * variance + (1.0 - own)) * variances[i]
                return normalize_with(op, x, used_mean, used_variance)

            return call

        stylized = _run(model, photo, operation)
        return stylized, [m for m, _ in measured], [v for _, v in measured]

    return run
