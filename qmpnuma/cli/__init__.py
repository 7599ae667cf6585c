"""QEMU's command line: ``qmpnuma`` takes the options ``qemu-system-x86_64`` takes.

* ``options``: the option table (qemu-options.hx, vl.c lookup_opt);
* ``qemu_opts`` / ``keyval``: QEMU's two option syntaxes (util/qemu-option.c,
  util/keyval.c); their number parsers are ``qmpnuma.cutils`` (util/cutils.c),
  shared with the OptsVisitor;
* ``monitors``: ``-qmp``, ``-chardev`` and ``-mon``;
* ``driver``: vl.c's qemu_init() order, from argv to a built machine.
"""
