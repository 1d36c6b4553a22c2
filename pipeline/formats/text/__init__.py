"""Plain UTF-8 text drafts and pasted-text leaks; copies are made as PDF: see :mod:`.format`."""
