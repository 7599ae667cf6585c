"""The QAPI floor: ``schema/*.json`` and everything derived from it.

schema.py loads the schema; validate.py checks QMP arguments with QEMU's
texts; introspect.py answers query-qmp-schema and query-commands;
dispatch.py finds, gates and calls command handlers; opts_visitor.py reads
``-numa`` and ``-object`` options.
"""

__all__: list[str] = []
