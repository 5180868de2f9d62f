"""API versions over one stored document.

Every interaction is stored once, in the canonical form of :mod:`.canonical` (the v4
document, plus what only v5 can say under one reserved key); each version reads and
writes it through its own mapping: v4 is the canonical form itself, v5 maps in
:mod:`.v5` (which kept v5 form each element shows after a write: :mod:`.v5match`).
The v5 query schema and the translation of v5 queries into canonical paths are in
:mod:`.v5query`; the v5 contract (the OAS file, shipped in ``spec/``) in
:mod:`.v5contract`; the v5 use cases in :mod:`.v5service`.
"""
