"""The office's web app (``mijian serve``): server-rendered pages with htmx and a JSON API
under ``/api/v1``, both over the verbs of :mod:`mijian.pipeline.service`.

Like the command line it is a front end: it parses a request, checks who may do it, calls
one verb and renders the result. Importing this package imports nothing; the web stack
(FastAPI, Jinja2, argon2) is loaded by :func:`mijian.pipeline.web.app.create_app` and by
the users store, so the core command line runs without the ``web`` extra.
"""
