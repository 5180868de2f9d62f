"""PATCH formats (TMF630 Part 5): merge patch, JSON Patch and JSON Patch Query.

Version-free: each format works on a JSON view of a document and, for JSON Patch
Query, a :class:`~tmf683.Schema` of that view; the service puts its rules
(immutable attributes, validation, ``statusChangeDate``) around
:func:`tmf683.patch.apply.apply_patch` once for every format.
"""
