"""``python -m derainbench.cli`` runs the command line."""

from derainbench.cli import main

main()
