"""When the catalogue changed on disk: a cheap fingerprint of the files the loader reads.

Kept apart from ``reload`` (which builds indexes) so that the gateway can compare signatures without
loading the embedding model, torch or spaCy.
"""

from __future__ import annotations

from pathlib import Path

#: The folders the loader reads (``loader.load_catalog``); anything else in the catalogue folder is ignored.
WATCHED = ("services", "offices", "leika")

Signature = tuple[tuple[str, int, int], ...]


def catalog_signature(root: Path) -> Signature:
    """Name, modification time and size of every file the catalogue is loaded from (hidden files left out)."""
    entries = []
    for folder in WATCHED:
        base = root / folder
        if not base.is_dir():
            continue
        for path in base.iterdir():
            if path.name.startswith("."):
                continue
            try:
                stat = path.stat()
            except FileNotFoundError:  # replaced while we looked; the next look sees the new file
                continue
            entries.append((f"{folder}/{path.name}", stat.st_mtime_ns, stat.st_size))
    return tuple(sorted(entries))
