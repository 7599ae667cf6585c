"""qmpnuma: a QMP daemon that emulates QEMU's machine NUMA subsystem."""
