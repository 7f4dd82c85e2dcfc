"""The original networks (pix2pix, DeblurGAN, DeRaindrop) written in their authors' module
layout, key names and semantics: the reference for the parity tests, the weight importers'
tests, and the speed and memory comparisons of ``derain-bench profile``.

Written from shared/reference/architectures.md and the public structure of the authors'
repositories; none of their code is copied. Run eagerly in float32, as the originals do.
"""
