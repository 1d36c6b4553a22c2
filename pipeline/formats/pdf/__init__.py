"""PDF drafts, copies and leaks (PyMuPDF; pypdf reads the copies back): see :mod:`.format`."""
