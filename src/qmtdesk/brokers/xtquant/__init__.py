"""The MiniQMT broker adapter over the ``xtquant`` SDK (Windows; tested on Linux over a fake native module)."""
