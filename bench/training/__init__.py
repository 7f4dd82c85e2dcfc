"""Training: building the components of a configuration, the step, the loop."""
