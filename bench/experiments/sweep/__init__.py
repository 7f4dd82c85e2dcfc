"""Sweeps: a grid of experiments × seeds from one TOML file, run locally or as SLURM job
arrays through submitit, resumable cell by cell (``derain-bench sweep``)."""
