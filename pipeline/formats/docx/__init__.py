"""Word (.docx) drafts, copies and leaks (python-docx, msoffcrypto): see :mod:`.format`."""
