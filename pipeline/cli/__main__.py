"""``python -m mijian.pipeline.cli``: the command line, as ``python -m mijian``."""

from mijian.pipeline.cli import main

if __name__ == "__main__":
    main()
