"""Evaluation: a generator restores full-size test images and is scored under a protocol."""
