"""File formats as plug-ins: one folder per format behind one interface.

:mod:`pipeline.formats.interface` says what a format does; :mod:`pipeline.formats.registry`
finds the format of a path or of some bytes. The folders ``pdf/``, ``docx/``, ``text/`` and
``images/`` hold the readers and writers of each format; nothing outside them knows which
format a file is in.
"""
