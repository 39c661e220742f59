"""Work beyond one process: batch stylization on Ray Data, and training on several machines (see docs/scale-out.md)."""
