"""Write a catalogue entry back to its YAML file so that ``git diff`` shows only what changed.

The files stay the source of truth and are written by hand as well as by the staff console, so an
edit must not reformat them: the file is loaded in ruamel's round-trip mode (comments, key order,
quoting and folded text kept), only the values that really changed are replaced, and the result is
dumped with the catalogue's own layout (2-space indent, lists indented under their key, no line
wrapping except for text that was folded before). Every result is read back and compared with the
entry it should hold; if the careful path ever fails, the whole entry is written fresh instead.
"""

from __future__ import annotations

import difflib
import hashlib
import io
import json
import os
import re
from collections.abc import Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError as RoundTripError
from ruamel.yaml.scalarfloat import ScalarFloat
from ruamel.yaml.scalarstring import FoldedScalarString, LiteralScalarString

#: Fields the loader fills in; they never belong in a file.
LOADER_FILLED = frozenset({"tier", "for_business", "leika_names"})
LINE_WIDTH = 120  # folded text is wrapped to lines of at most this many characters, like the hand-written files
FOLD_FROM = 100  # new text longer than this is written folded (``>-``) instead of on one line
_YamlLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def digest(text: str) -> str:
    """A file's version: edits are refused when the file changed since the form was opened."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def plain(model: BaseModel) -> dict[str, Any]:
    """A model as its file holds it: no empty values, no fields the loader fills, URLs as text, field order."""
    out: dict[str, Any] = {}
    for name in model.__fields__:
        if name in LOADER_FILLED:
            continue
        value = _plain_value(getattr(model, name))
        if value is not None and value != [] and value != {}:
            out[name] = value
    return out


def _plain_value(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return plain(value)
    if isinstance(value, list):
        return [_plain_value(v) for v in value]
    if isinstance(value, str):
        return str(value)  # HttpUrl and other str subclasses
    return value


def render(old_text: str | None, data: Mapping[str, Any], model: type[BaseModel]) -> str:
    """``old_text`` changed to hold ``data`` (as ``plain`` gives it), or a new file without ``old_text``.

    Values equal to the old ones keep their text; keys the new data leaves out are removed unless
    they were empty anyway. Raises ``ValueError`` if no written form reads back as ``data``.
    """
    expected = model.parse_obj(data)
    if old_text is not None:
        try:
            root = _yaml().load(old_text)
        except RoundTripError:  # a broken file is replaced by the whole entry, under its comments
            root = None
        if isinstance(root, CommentedMap):
            _update_map(root, data, list(data))
            text = _dump(root)
            if _holds(text, expected, model):
                return text
    text = _header(old_text) + _dump(_fresh(dict(data), 0))
    if not _holds(text, expected, model):
        raise ValueError("Der Eintrag lässt sich nicht als YAML schreiben, das ihn unverändert wiedergibt.")
    return text


def unified_diff(old_text: str, new_text: str, name: str) -> str:
    """The change as ``git diff`` would show it (without its header lines about the commit)."""
    lines = difflib.unified_diff(
        old_text.splitlines(keepends=True), new_text.splitlines(keepends=True), f"a/{name}", f"b/{name}"
    )
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


def write_atomically(path: Path, text: str) -> None:
    """Replace ``path`` in one step: a reader (the bot's reload) sees the old file or the new one, never half.

    The temporary file starts with a dot and does not end in ``.yml``, so the loader never reads it.
    """
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


# --- round trip -------------------------------------------------------------------------------


def _yaml() -> YAML:
    y: Any = YAML()  # ruamel's settings are untyped attributes
    y.preserve_quotes = True
    y.width = 4096  # never re-wrap a line the editor wrote on one line
    y.indent(mapping=2, sequence=4, offset=2)
    return y


def _dump(node: Any) -> str:
    out = io.StringIO()
    _yaml().dump(node, out)
    return out.getvalue()


def _holds(text: str, expected: BaseModel, model: type[BaseModel]) -> bool:
    try:
        data = yaml.load(text, Loader=_YamlLoader)
        return isinstance(data, dict) and model.parse_obj(data) == expected
    except (yaml.YAMLError, ValueError):
        return False


def _header(old_text: str | None) -> str:
    """The comment lines at the top of a file (what the file is, where its facts come from)."""
    lines = []
    for line in (old_text or "").splitlines(keepends=True):
        if not line.startswith("#") and line.strip():
            break
        lines.append(line)
    return "".join(lines)


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def _same(old: Any, new: Any) -> bool:
    """Equal as data (an ``int`` 13 in the file equals the amount 13.0; a date equals itself)."""
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        return old.keys() == new.keys() and all(_same(old[k], new[k]) for k in old)
    if isinstance(old, list) and isinstance(new, list):
        return len(old) == len(new) and all(_same(a, b) for a, b in zip(old, new, strict=True))
    if isinstance(old, bool) or isinstance(new, bool):  # True == 1 in Python, not in a catalogue
        return isinstance(old, bool) and isinstance(new, bool) and old == new
    return bool(old == new)


def _update_map(node: CommentedMap, new: Mapping[str, Any], order: Sequence[str]) -> None:
    for key in list(node):
        if key not in new and not _empty(node[key]):
            _delete_key(node, key)
    for key, value in new.items():
        if key in node:
            node[key] = _merged(node[key], value, _indent_of(node) + 2)
        else:
            node.insert(_position(node, key, order), key, _fresh(value, _indent_of(node) + 2))


def _delete_key(node: CommentedMap, key: Any) -> None:
    """Remove ``key``; a comment that followed its value (about the next key) moves to the key before it."""
    keys = list(node)
    comment = node.ca.items.pop(key, None)
    del node[key]
    at = keys.index(key)
    if comment is not None and at > 0 and keys[at - 1] not in node.ca.items:
        node.ca.items[keys[at - 1]] = comment


def _position(node: CommentedMap, key: str, order: Sequence[str]) -> int:
    """Where a new key goes: after the nearest key before it in ``order`` that the file has."""
    earlier = list(order[: order.index(key)]) if key in order else list(order)
    positions = [i for i, k in enumerate(node) if k in earlier]
    return positions[-1] + 1 if positions else 0


def _merged(old: Any, new: Any, indent: int) -> Any:
    if _same(old, new):
        return old
    if isinstance(old, CommentedMap) and isinstance(new, Mapping):
        _update_map(old, new, list(new))
        return old
    if isinstance(old, CommentedSeq) and isinstance(new, list):
        _update_seq(old, new, indent)
        return old
    if isinstance(old, ScalarFloat) and isinstance(new, int | float) and not isinstance(new, bool):
        return _like(old, float(new))
    if isinstance(new, str) and isinstance(old, str) and type(old) is not str:
        if isinstance(old, FoldedScalarString | LiteralScalarString):
            return _text(new, indent, folded=True)
        try:
            return type(old)(new)  # the quoting the editor chose ("99001001002000")
        except TypeError:
            return _fresh(new, indent)
    return _fresh(new, indent)


def _like(old: ScalarFloat, new: float) -> Any:
    """A new amount written with as many decimals as the old one ("46.00" -> "49.50"), if that is exact."""
    decimals = getattr(old, "_width", 0) - getattr(old, "_prec", 0) - 1
    if getattr(old, "_exp", None) or decimals < 1:
        return _fresh(new, 0)
    text = f"{new:.{decimals}f}"
    if float(text) != new:
        return _fresh(new, 0)
    return ScalarFloat(new, width=len(text), prec=text.index("."), m_sign=False, m_lead0=0)


def _update_seq(node: CommentedSeq, new: list[Any], indent: int) -> None:
    if len(node) == len(new):
        for i, value in enumerate(new):
            node[i] = _merged(node[i], value, indent + 2)
        return
    old = list(node)
    keys = [_key(v) for v in old], [_key(v) for v in new]
    items: list[Any] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=keys[0], b=keys[1], autojunk=False).get_opcodes():
        if tag == "equal" or (tag == "replace" and i2 - i1 == j2 - j1):
            items += [_merged(a, b, indent + 2) for a, b in zip(old[i1:i2], new[j1:j2], strict=True)]
        else:
            items += [_fresh(v, indent + 2) for v in new[j1:j2]]
    trailing = node.ca.items.get(len(node) - 1)  # a comment after the list belongs after its new last item
    node.ca.items.clear()
    del node[:]
    node.extend(items)
    if trailing is not None and items:
        node.ca.items[len(items) - 1] = trailing


def _key(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str, ensure_ascii=False)


def _indent_of(node: Any) -> int:
    """The column of a node's keys or items as loaded (0 for the top level and for new nodes)."""
    line_col = getattr(node, "lc", None)
    col = getattr(line_col, "col", None)
    return int(col) if isinstance(col, int) else 0


# --- new values in the catalogue's style ------------------------------------------------------


def _fresh(value: Any, indent: int) -> Any:
    if isinstance(value, Mapping):
        node = CommentedMap()
        for k, v in value.items():
            node[k] = _fresh(v, indent + 2)
        return node
    if isinstance(value, list):
        return CommentedSeq([_fresh(v, indent + 4) for v in value])
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        return _text(value, indent, folded=len(value) > FOLD_FROM)
    if isinstance(value, date | int | float | bool):
        return value
    return str(value)


_SIMPLE_SPACES = re.compile(r"^\S+( \S+)*$")


def _text(value: str, indent: int, folded: bool) -> str:
    """Text on one line; long text folded at word boundaries (``>-``); text with line breaks literal (``|-``)."""
    if "\n" in value:
        return LiteralScalarString(value)
    if not folded or not _SIMPLE_SPACES.match(value):
        return value  # folding would change double spaces; ruamel quotes when needed
    width = max(40, LINE_WIDTH - indent - 2)
    node = FoldedScalarString(value)
    fold_pos: list[int] = []
    start = 0
    while len(value) - start > width:
        cut = value.rfind(" ", start, start + width + 1)
        if cut <= start:
            cut = value.find(" ", start + width)
            if cut < 0:
                break
        fold_pos.append(cut)
        start = cut + 1
    node.fold_pos = fold_pos
    return node
