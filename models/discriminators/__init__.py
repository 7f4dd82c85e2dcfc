"""Discriminators: ``forward(x) -> Judgement`` with raw logits."""
