"""Generators: ``forward(rainy) -> Restoration``, RGB in [0, 1] outside the module."""
