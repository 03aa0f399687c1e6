"""Thread pools sized by one setting (``JENABOT_THREADS``) in every process of the bot.

torch, TensorFlow and OpenMP/MKL each start a pool as large as the machine by default. With the Rasa
server and the action server on the same cores the pools oversubscribe them: on 2 cores, 16
concurrent chats were slower than one (``docs/benchmarks.md``). The environment variables below reach
the libraries when they first load (``bot/serve.py`` puts them in every child's environment);
``apply`` also sizes torch's pool at run time in a process that already imported it.
"""

from __future__ import annotations

import os
import sys

#: The variables the libraries read once, at import or at their first operation.
THREAD_VARIABLES = (
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "TF_NUM_INTRAOP_THREADS",
    "TF_NUM_INTEROP_THREADS",
)


def thread_env(threads: int) -> dict[str, str]:
    """The environment that sizes every library's pool to ``threads``."""
    return dict.fromkeys(THREAD_VARIABLES, str(threads))


def apply(threads: int) -> None:
    """Size the pools of this process: the variables for libraries not loaded yet, torch's pool now.

    torch is only touched when it is already imported (importing it here would cost the caller
    hundreds of MB and seconds); it reads OMP_NUM_THREADS itself when it is imported later.
    """
    os.environ.update(thread_env(threads))
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_num_threads(threads)
