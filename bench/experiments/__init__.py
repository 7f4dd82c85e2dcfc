"""Experiments: compose → train → evaluate → record, in one runner; ablations; the demo."""
