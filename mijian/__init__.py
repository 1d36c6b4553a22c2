"""mijian 密件: classify sensitive office drafts, issue numbered, marked, fingerprinted and
encrypted copies, keep the register of who holds them, and trace leaks.

Installed, the whole toolkit lives under this one import name:

- :mod:`mijian.pipeline`: the document model, formats, marking, issuing, the register,
  tracing, and the command line;
- :mod:`mijian.classifiers`: detection of sensitive content and the grade suggestion;
- :mod:`mijian.watermark`: visible and invisible marks and their decoders;
- :mod:`mijian.keywords`: the lexicons and the catalogue of secrecy scopes.

Nothing is imported here beyond the version: each part is imported when it is first used.
"""

from __future__ import annotations

from pathlib import Path

_HERE = Path(__file__).resolve().parent
if not (_HERE / "pipeline").is_dir() and (_HERE.parent / "pipeline" / "__init__.py").is_file():
    # run from a source checkout, where the parts sit beside this folder: find them there
    __path__.append(str(_HERE.parent))


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("mijian")
    except PackageNotFoundError:
        return "0+source"


def __getattr__(name: str) -> str:
    """``mijian.__version__``, read from the installed distribution on first use."""
    if name == "__version__":
        return _version()
    raise AttributeError(f"module 'mijian' has no attribute {name!r}")
