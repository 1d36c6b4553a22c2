"""mijian (密件): the document pipeline.

Public entry points live in small modules: :mod:`pipeline.readers` (drafts in),
:mod:`pipeline.issuing` (numbered copies out), :mod:`pipeline.tracing` (who leaked it),
:mod:`pipeline.register` (the record of every copy) and :mod:`pipeline.cli` (the command line).
Each file format (PDF, DOCX, text, page images) is a plug-in under :mod:`pipeline.formats`.
Nothing runs at import.
"""
