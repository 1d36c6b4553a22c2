"""The fingerprint layers of a copy as plug-ins, each stamped by the formats that carry it.

One module per layer declares a :class:`~pipeline.layers.base.StampLayer`: its name, the
trace reader that reads it back (a name in :data:`pipeline.trace_readers.READERS`) and, per
format and per place in that format's copy (a *surface*), the function that stamps it.
:data:`pipeline.layers.registry.LAYERS` lists them in drawing order; a format's writer asks
:func:`pipeline.layers.registry.stamp` to run every stamper declared for one of its surfaces
and never names a layer.
"""
