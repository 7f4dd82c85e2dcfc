"""Generators and discriminators, one file per family; each registers itself on import."""
