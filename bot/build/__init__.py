"""Build every artefact under ``models/``, each only when its inputs changed (``jenabot build``).

``steps`` orders the steps and fingerprints their inputs; the other modules are what a step runs:
the offline embedding model (``embedding``, ``e5_convert``), the NLU lookup tables (``lookups``) and
Rasa training (``rasa_model``). The running bot never imports this package: it only loads what was
built here (``knowledge/``).
"""

from bot.build.steps import Step, build_all, fingerprint, steps

__all__ = ["Step", "build_all", "fingerprint", "steps"]
