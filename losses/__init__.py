"""Adversarial objectives and loss terms; each registers itself on import."""
