"""OFD (GB/T 33190) drafts, copies and leaks: see :mod:`.format`."""
