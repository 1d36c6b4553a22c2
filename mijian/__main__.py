"""``python -m mijian``: the command line (see :mod:`mijian.pipeline.cli`)."""

from mijian.pipeline.cli import main

if __name__ == "__main__":
    main()
