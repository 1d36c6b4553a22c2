"""Page images (PNG, JPEG, TIFF) of leaked copies: see :mod:`.format`."""
