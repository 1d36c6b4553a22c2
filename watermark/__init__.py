"""Marks that name a copy: signed codes, visible watermarks and (later) invisible fingerprints.

Nothing here holds keys: callers pass an object with ``mac``/``verify_mac`` (see
:class:`watermark.codes.Signer`). Nothing runs at import.
"""
