"""QEMU's command line: ``qmpnuma`` takes the options ``qemu-system-x86_64`` takes.

* ``options``: the option table (qemu-options.hx, vl.c lookup_opt);
* ``qemu_opts`` / ``keyval`` / ``cutils``: QEMU's two option syntaxes and
  its number parsers (util/qemu-option.c, util/keyval.c, util/cutils.c);
* ``monitors``: ``-qmp``, ``-chardev`` and ``-mon``;
* ``driver``: vl.c's qemu_init() order, from argv to a built machine.
"""
