"""Each engine's block of aegismatrix.json, one module per engine (docs/payload.md, "Where a section
lives").

The convention: `<engine>_section(signals, records, market, as_of, params, ...)` is a pure function
of that engine's signal frame, its models' payload records (`<engine>.<model>` -> record) and its
inputs; it returns a `payload.fields.Section` (its block and its warnings) and changes nothing it is
given. `payload/assemble.py` owns the envelope and calls them; nothing adds to a section after it is
built.
"""
