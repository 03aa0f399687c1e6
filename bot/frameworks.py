"""Keep torch and TensorFlow out of a process that does not use them.

spaCy's thinc imports torch and TensorFlow whenever they are installed (to offer its wrappers), and
each costs a process about 0.4-0.7 GB of memory and seconds of start-up. With the embedding model on
ONNX Runtime the action server uses neither, the Rasa server needs only TensorFlow (DIET), and the gateway
runs no model at all.
Python's documented switch does it: a ``None`` entry in ``sys.modules`` makes ``import`` raise
ImportError, which thinc treats as "not installed".
"""

from __future__ import annotations

import sys

#: Per role, the frameworks it never touches, by embedding runtime.
UNUSED: dict[tuple[str, str], tuple[str, ...]] = {
    ("actions", "onnx"): ("torch", "tensorflow"),
    ("actions", "torch"): ("tensorflow",),
    ("rasa", "onnx"): ("torch",),
    # The gateway runs no model and should not import spaCy at all; if an import slips in, thinc's two stay out.
    ("gateway", "onnx"): ("torch", "tensorflow"),
    ("gateway", "torch"): ("torch", "tensorflow"),
}


def keep_out(role: str, runtime: str) -> tuple[str, ...]:
    """Block the frameworks ``role`` does not need; a framework already imported stays. Returns those blocked."""
    blocked = tuple(name for name in UNUSED.get((role, runtime), ()) if name not in sys.modules)
    for name in blocked:
        sys.modules[name] = None  # type: ignore[assignment]
    return blocked
