"""``python -m derainbench`` (and ``torchrun ... -m derainbench train ...``): the command line."""

from derainbench.cli import main

if __name__ == "__main__":
    main()
