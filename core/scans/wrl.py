"""VRML 2.0 (.wrl / .vrml) meshes, the format of BU-3DFE and BU-4DFE: read and written by hand.

Reading (:func:`read_wrl`) parses the text itself; VTK is not involved. (VTK 9's ``vtkVRMLImporter`` segfaults the
process on valid files — a line break inside a coordinate triple, ``point [ 0\n0 0, ...]`` —, which no check before
it can rule out for every field of every node, so a scan file could kill the app.)

1. The text is checked and outlined: the ``#VRML V2.0`` header, no binary bytes, comments and strings blanked,
   balanced brackets and braces. Nodes a face scan never has (``PROTO``, ``EXTERNPROTO``, ``Inline``,
   ``Script``), geometry other than ``IndexedFaceSet`` (``Box``, ``PointSet``, ...) and any node type that is
   not one of VRML97's 54 are refused.
2. Every ``Coordinate`` node must be a finite numeric ``point [...]`` list (a multiple of 3 values, within float32
   range); every ``IndexedFaceSet`` may hold only the fields VRML97 defines for it, exactly one ``coord`` (inline or
   ``USE`` of an earlier ``DEF``) and one ``coordIndex`` list of integers in ``[-1, n_points)``. Its per-corner
   attributes (``texCoord``, ``texCoordIndex``, ``normal``, ``normalIndex``, ``color``, ``colorIndex``) are
   checked for syntax and otherwise ignored. Line breaks, tabs, commas and comments may stand anywhere VRML
   allows whitespace.
3. The scan is built from the stored lists: vertices exactly as stored (float32; no ``Transform`` applied:
   BU-3DFE/BU-4DFE use the identity), the ``coordIndex`` polygons in file order (``-1`` ends a polygon, a last
   polygon without it counts), polygons with more than 3 corners split into a fan ``(p0, pi, pi+1)``, polygons with
   fewer than 3 corners dropped. Several ``IndexedFaceSet`` nodes are concatenated in file order (a ``Coordinate``
   shared through ``USE`` contributes its points once).

Writing (:func:`save_wrl`) produces the BU-3DFE layout: ``#VRML V2.0 utf8``, a ``Transform`` holding one
``Shape`` with an ``IndexedFaceSet``, ``coord Coordinate { point [ x y z, ... ] }`` and
``coordIndex [ a, b, c, -1, ... ]``. Coordinates are written with ``'%.9g'`` (9 significant digits, the
shortest fixed format in which every float32 survives a write/read round trip exactly), "\\n" line ends
and UTF-8, so the same input always gives the same bytes.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core.config_io import write_bytes_atomic
from core.scans.meshes import TEXT_BYTES
from core.scans.types import Scan, ScanError

HEADER = "#VRML V2.0"

# A VRML name (DEF/USE identifier): anything but whitespace, separators and reserved characters.
_NAME = r"[^\s,\"#'\[\]{}\\]+"
_BRACKETS = "[]{}"
_BINARY = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
_COORDINATE = re.compile(rf"(?:\bDEF\s+({_NAME})\s+)?\bCoordinate\s*{{")
_COORDINATE_BODY = re.compile(r"\s*(?:point\s*\[([^\]]*)\]\s*)?")
_IFS = re.compile(r"\bIndexedFaceSet\s*\{")
_COORD_FIELD = re.compile(rf"\bcoord\s+(?:(?:DEF\s+{_NAME}\s+)?Coordinate\s*{{|USE\s+({_NAME}))")
_COORD_WORD = re.compile(r"\bcoord\b")
_COORD_INDEX = re.compile(r"\bcoordIndex\s*\[")
_COORD_INDEX_WORD = re.compile(r"\bcoordIndex\b")
_ATTRIBUTE_NODE = re.compile(
    rf"\b(?:texCoord|normal|color)\s+(?:(?:DEF\s+{_NAME}\s+)?(?:TextureCoordinate|Normal|Color)\s*{{"
    rf"|USE\s+{_NAME}|NULL\b)"
)
_ATTRIBUTE_INDEX = re.compile(r"\b(?:texCoordIndex|normalIndex|colorIndex)\s*(?:\[|[-+]?\d+)")
_ATTRIBUTE_WORD = re.compile(r"\b(?:texCoord|normal|color)(?:Index)?\b")
_UNSUPPORTED_KEYWORD = re.compile(r"\b(PROTO|EXTERNPROTO)\b")
_UNSUPPORTED_NODE = re.compile(
    r"\b(Inline|Script|Box|Sphere|Cone|Cylinder|ElevationGrid|Extrusion|IndexedLineSet|PointSet|Text)\s*\{"
)
_NOT_FLOAT = re.compile(r"[^0-9eE+\-., \t\n\r\x0c]")
# Fast checks (bytes.translate deleting the allowed bytes leaves nothing); the regexes above find the culprit.
_FLOAT_BYTES = b"0123456789eE+-., \t\n\r\x0c"
_SIGNS, _SPACES = ("-", "+"), " \t\n\r\x0c"
_INT64 = np.iinfo(np.int64)
_INT_BYTES = b"0123456789+-, \t\n\r\x0c"
# A node's opening: its type name before "{" (in the outline, where strings and comments are blanked).
_NODE_OPENING = re.compile(rf"({_NAME})\s*\{{")
_TOKEN = re.compile(r"[\[\]{}]|[^\s,\[\]{}]+")
_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|0[xX][0-9a-fA-F]+")

#: The node types of VRML97 (ISO/IEC 14772-1:1997, section 6).
VRML97_NODES = frozenset(
    """Anchor Appearance AudioClip Background Billboard Box Collision Color ColorInterpolator Cone Coordinate
    CoordinateInterpolator Cylinder CylinderSensor DirectionalLight ElevationGrid Extrusion Fog FontStyle Group
    ImageTexture IndexedFaceSet IndexedLineSet Inline LOD Material MovieTexture NavigationInfo Normal
    NormalInterpolator OrientationInterpolator PixelTexture PlaneSensor PointLight PointSet PositionInterpolator
    ProximitySensor ScalarInterpolator Script Shape Sound Sphere SphereSensor SpotLight Switch Text TextureCoordinate
    TextureTransform TimeSensor TouchSensor Transform Viewpoint VisibilitySensor WorldInfo""".split()
)
#: The fields of an IndexedFaceSet (ISO/IEC 14772-1:1997, 6.23), eventIns included.
IFS_FIELDS = frozenset(
    """color coord normal texCoord ccw colorIndex colorPerVertex convex coordIndex creaseAngle normalIndex
    normalPerVertex solid texCoordIndex set_colorIndex set_coordIndex set_normalIndex set_texCoordIndex""".split()
)


@dataclass
class _FaceSet:
    """One IndexedFaceSet as the pre-parse sees it: which Coordinate node it uses and its coordIndex."""

    coordinate: int
    coord_index: np.ndarray


def read_wrl(path: str | Path) -> Scan:
    """Read a VRML 2.0 mesh: vertices (V, 3) as stored, fan-triangulated faces (see the module docstring)."""
    path = Path(path)
    text = _check_text(path.read_bytes(), path)  # the bytes are not kept: the text is all that is needed
    coordinates, face_sets = _preparse(text, path)
    return _assemble(coordinates, face_sets, path)


def _check_text(data: bytes, path: Path) -> str:
    if not data.strip():
        raise ScanError(path, "empty file")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if not data.startswith(HEADER.encode()):
        raise ScanError(path, f"not a VRML 2.0 file (the first line must start with {HEADER!r})")
    text = data.decode("latin-1")
    if "\r" in text:  # line numbers count \n; same length, so positions and line numbers hold
        text = text.replace("\r\n", " \n").replace("\r", "\n")
    if data.translate(None, TEXT_BYTES) and (bad := _BINARY.search(text)):
        raise ScanError(path, f"binary data in a text file (byte 0x{ord(bad.group()):02x} at offset {bad.start()})")
    return text


def _occurrences(text: str, chars: str, start: int = 0):
    """Positions of any of ``chars`` in ``text``, in order. One str.find per hit and character: much
    faster than a regex over a megabyte of numbers when, as here, the characters are rare."""
    following = {c: text.find(c, start) for c in chars}
    while True:
        pos = min((p for p in following.values() if p >= 0), default=-1)
        if pos < 0:
            return
        yield pos
        following[text[pos]] = text.find(text[pos], pos + 1)


def _blank_comments_and_strings(text: str, path: Path) -> str:
    """``text`` with comments (# to the end of the line) and "strings" replaced by spaces (newlines kept),
    so that brackets or keywords inside them are not structure. Same length as ``text``."""
    pieces, done = [], 0
    for pos in _occurrences(text, '#"'):
        if pos < done:  # inside a comment or string already blanked
            continue
        if text[pos] == "#":
            end = text.find("\n", pos)
            end = len(text) if end < 0 else end
        else:
            end = pos + 1
            while True:
                end = text.find('"', end)
                if end < 0:
                    raise ScanError(path, f"unterminated string at line {text.count(chr(10), 0, pos) + 1}")
                before = end - 1
                while text[before] == "\\":  # count the backslashes before the quote: odd means escaped
                    before -= 1
                end += 1
                if (end - 2 - before) % 2 == 0:
                    break
        pieces += [text[done:pos], re.sub(r"[^\n]", " ", text[pos:end])]
        done = end
    pieces.append(text[done:])
    return "".join(pieces)


class _Outline:
    """The structure of a VRML text: comments and strings blanked, and the contents of every innermost
    ``[...]`` list (the bulk numbers) left out, so the keyword searches run over a few hundred characters
    instead of the whole file. ``closing`` pairs brackets and ``to_text`` maps a position back."""

    def __init__(self, text: str, path: Path):
        self.source = text
        self.plain = plain = _blank_comments_and_strings(text, path)  # same length as text
        # Piece i of the outline starts at self._starts[i] there and at self._offsets[i] in the text.
        pieces, self._starts, self._offsets, pos, length = [], [], [], 0, 0
        for open_pos, close_pos in _innermost_lists(plain, path):
            pieces.append(plain[pos : open_pos + 1])
            self._starts.append(length)
            self._offsets.append(pos)
            length, pos = length + len(pieces[-1]), close_pos
        pieces.append(plain[pos:])
        self._starts.append(length)
        self._offsets.append(pos)
        self.text = "".join(pieces).replace(",", " ")  # commas are whitespace in VRML; same length
        self.closing = _match_brackets(self.text, path)

    def to_text(self, pos: int) -> int:
        i = bisect.bisect_right(self._starts, pos) - 1
        return self._offsets[i] + pos - self._starts[i]

    def content(self, open_pos: int) -> str:
        """The text (comments and strings blanked) between the bracket at ``open_pos`` and its partner."""
        return self.plain[self.to_text(open_pos) + 1 : self.to_text(self.closing[open_pos])]

    def line(self, pos: int) -> int:
        return self.source.count("\n", 0, self.to_text(pos)) + 1


def _preparse(text: str, path: Path) -> tuple[list[np.ndarray], list[_FaceSet]]:
    """Validate the structure; return the Coordinate point lists and the IndexedFaceSets."""
    outline = _Outline(text, path)
    skeleton = outline.text
    bad = _UNSUPPORTED_KEYWORD.search(skeleton) or _UNSUPPORTED_NODE.search(skeleton)
    if bad:
        raise ScanError(path, f"unsupported VRML node {bad.group(1)!r} (a face scan is a set of IndexedFaceSet nodes)")
    for m in _NODE_OPENING.finditer(skeleton):
        if m.group(1) not in VRML97_NODES:
            raise ScanError(path, f"unknown VRML node {m.group(1)!r} at line {outline.line(m.start())}")

    coordinates: list[np.ndarray] = []
    coordinate_at: dict[int, int] = {}  # position of a Coordinate's '{' -> its index in coordinates
    defined: list[tuple[int, str, int]] = []  # (position, DEF name, coordinate index)
    for m in _COORDINATE.finditer(skeleton):
        open_pos = m.end() - 1
        line = outline.line(m.start())
        body = _COORDINATE_BODY.fullmatch(skeleton, open_pos + 1, outline.closing[open_pos])
        if body is None:
            raise ScanError(path, f"unsupported Coordinate node syntax at line {line}")
        points = _parse_floats(outline.content(body.start(1) - 1) if body.group(1) is not None else "", path, line)
        coordinate_at[open_pos] = len(coordinates)
        if m.group(1):
            defined.append((m.start(), m.group(1), len(coordinates)))
        coordinates.append(points)

    face_sets: list[_FaceSet] = []
    for m in _IFS.finditer(skeleton):
        start, end = m.end() - 1, outline.closing[m.end() - 1]
        line = outline.line(m.start())
        _check_face_set_fields(outline, start, end, path, line)
        coordinate = _face_set_coordinate(skeleton, start, end, coordinate_at, defined, path, line)
        face_set = _FaceSet(coordinate, _face_set_index(outline, start, end, path, line))
        n_points = len(coordinates[coordinate])
        idx = face_set.coord_index
        if idx.size and (idx.min() < -1 or idx.max() >= n_points):
            raise ScanError(path, f"coordIndex out of range [-1, {n_points}) in the IndexedFaceSet at line {line}")
        face_sets.append(face_set)
        _check_attribute_fields(outline, start, end, path)
    if not face_sets:
        raise ScanError(path, "no IndexedFaceSet (no mesh) in the file")
    return coordinates, face_sets


def _innermost_lists(plain: str, path: Path) -> list[tuple[int, int]]:
    """Check that brackets and braces pair up; return (open, close) positions of every ``[...]`` with no
    bracket or brace inside (a value list: numbers, or strings already blanked)."""
    pairs = {"]": "[", "}": "{"}
    stack: list[int] = []
    lists, previous = [], -1
    for pos in _occurrences(plain, _BRACKETS):
        c = plain[pos]
        if c in "[{":
            stack.append(pos)
        elif not stack or plain[stack[-1]] != pairs[c]:
            raise ScanError(path, f"unbalanced {c!r} (truncated or corrupt file?)")
        else:
            opened = stack.pop()
            if c == "]" and opened == previous:
                lists.append((opened, pos))
        previous = pos
    if stack:
        raise ScanError(path, f"unclosed {plain[stack[-1]]!r}: the file is truncated")
    return lists


def _match_brackets(plain: str, path: Path) -> dict[int, int]:
    """Position of each opening bracket/brace -> position of its closing partner (balanced input)."""
    stack: list[int] = []
    closing: dict[int, int] = {}
    for pos in _occurrences(plain, _BRACKETS):
        if plain[pos] in "[{":
            stack.append(pos)
        else:
            closing[stack.pop()] = pos
    return closing


def _parse_floats(content: str, path: Path, line: int) -> np.ndarray:
    if content.encode("latin-1").translate(None, _FLOAT_BYTES) and (bad := _NOT_FLOAT.search(content)):
        before, after = re.search(r"[^\s,]*\Z", content[: bad.start()]), re.match(r"[^\s,]*", content[bad.start() :])
        token = before[0] + after[0]
        raise ScanError(path, f"non-numeric coordinate {token!r} in the point list at line {line}")
    try:
        values = _numbers(content, np.float64)
    except ValueError as exc:
        raise ScanError(path, f"malformed number in the point list at line {line} ({exc})") from None
    if len(values) % 3:
        raise ScanError(path, f"the point list at line {line} has {len(values)} numbers, not a multiple of 3")
    points = values.reshape(-1, 3)
    with np.errstate(over="ignore"):
        if not np.all(np.isfinite(points.astype(np.float32))):
            raise ScanError(path, f"the point list at line {line} has a coordinate outside the float32 range")
    return points


def _numbers(content: str, dtype: type) -> np.ndarray:
    """The numbers of a list's ``content`` (separated by whitespace or commas) as a 1-D ``dtype`` array; ValueError
    when a token is not one number. numpy parses the text itself: no list of token strings (20 million indices
    took 1 GB that way)."""
    text = content.replace(",", " ")
    if not text or text.isspace():
        return np.zeros(0, dtype=dtype)
    if text.endswith(_SIGNS) or any(sign + space in text for sign in _SIGNS for space in _SPACES):
        raise ValueError("a sign without digits")  # numpy reads "- 5" as -5, and a last "-" as 0
    values = np.fromstring(text, dtype=dtype, sep=" ")
    if dtype is np.int64 and values.size and (values.max() == _INT64.max or values.min() == _INT64.min):
        raise ValueError("an integer outside the 64-bit range")  # numpy clamps those
    return values


def _face_set_coordinate(
    skeleton: str, start: int, end: int, coordinate_at: dict, defined: list, path: Path, line: int
) -> int:
    """Index of the Coordinate node the IndexedFaceSet skeleton[start:end] uses (inline, or through USE)."""
    fields = list(_COORD_FIELD.finditer(skeleton, start, end))
    if len(fields) != 1 or len(_COORD_WORD.findall(skeleton, start, end)) != 1:
        raise ScanError(path, f"the IndexedFaceSet at line {line} needs exactly one 'coord Coordinate {{ ... }}'")
    field = fields[0]
    if field.group(1) is None:
        return coordinate_at[field.end() - 1]
    name = field.group(1)
    earlier = [index for pos, def_name, index in defined if def_name == name and pos < field.start()]
    if not earlier:
        raise ScanError(path, f"'coord USE {name}' at line {line} names no Coordinate defined before it")
    return earlier[-1]


def _face_set_index(outline: _Outline, start: int, end: int, path: Path, line: int) -> np.ndarray:
    fields = list(_COORD_INDEX.finditer(outline.text, start, end))
    if len(fields) != 1 or len(_COORD_INDEX_WORD.findall(outline.text, start, end)) != 1:
        raise ScanError(path, f"the IndexedFaceSet at line {line} needs exactly one 'coordIndex [ ... ]'")
    content = outline.content(fields[0].end() - 1)
    if content.encode("latin-1").translate(None, _INT_BYTES):
        raise ScanError(path, f"non-integer value in the coordIndex list of the IndexedFaceSet at line {line}")
    try:
        return _numbers(content, np.int64)
    except ValueError:
        raise ScanError(path, f"malformed integer in the coordIndex of the IndexedFaceSet at line {line}") from None


def _check_attribute_fields(outline: _Outline, start: int, end: int, path: Path) -> None:
    """The texCoord/normal/color fields and their index fields of the IndexedFaceSet outline.text[start:end] must
    have a supported syntax (a node, USE, NULL, or a list/number for the index fields); their values are unused."""
    skeleton, spans = outline.text, []
    for pattern in (_ATTRIBUTE_NODE, _ATTRIBUTE_INDEX):
        for m in pattern.finditer(skeleton, start, end):
            stop = outline.closing[m.end() - 1] + 1 if skeleton[m.end() - 1] in "{[" else m.end()
            spans.append((m.start(), stop))
    for m in _ATTRIBUTE_WORD.finditer(skeleton, start, end):
        if not any(a <= m.start() < b for a, b in spans):
            raise ScanError(path, f"unsupported syntax for the field {m.group()!r} at line {outline.line(m.start())}")


def _check_face_set_fields(outline: _Outline, start: int, end: int, path: Path, line: int) -> None:
    """Every field of the IndexedFaceSet outline.text[start:end] (its braces) must be one VRML97 defines for it.

    Walks the node's top level: a field name, then its value — a bracketed list, a node (``[DEF name] Type {...}``),
    ``USE name``, ``NULL`` or a run of numbers / TRUE / FALSE — skipped as a whole."""
    tokens = _TOKEN.findall(outline.text, start + 1, end)
    i = 0
    while i < len(tokens):
        name = tokens[i]
        if name not in IFS_FIELDS:
            raise ScanError(path, f"unknown field {name!r} in the IndexedFaceSet at line {line}")
        i += 1
        while i < len(tokens):
            token = tokens[i]
            if token in ("[", "{"):
                depth = 0
                while i < len(tokens):
                    depth += tokens[i] in ("[", "{")
                    depth -= tokens[i] in ("]", "}")
                    i += 1
                    if depth == 0:
                        break
                break
            if token == "USE":
                i += 2
                break
            if token == "DEF":
                i += 2
                continue
            if token in VRML97_NODES:
                i += 1
                continue
            if token in ("NULL", "TRUE", "FALSE") or _NUMBER.fullmatch(token):
                i += 1
                if token == "NULL":
                    break
                continue
            break


# ---------------------------------------------------------------------------------------- assembling


def _assemble(coordinates: list[np.ndarray], face_sets: list[_FaceSet], path: Path) -> Scan:
    blocks: dict[int, int] = {}  # Coordinate index -> offset of its points in the vertex array
    vertices, triangles, n_vertices = [], [], 0
    for face_set in face_sets:
        if face_set.coordinate not in blocks:
            blocks[face_set.coordinate] = n_vertices
            vertices.append(coordinates[face_set.coordinate].astype(np.float32))
            n_vertices += len(vertices[-1])
        offsets, connectivity = _polygons(face_set.coord_index)
        triangles.append(_fan_triangulate(offsets, connectivity) + blocks[face_set.coordinate])
    faces = np.concatenate(triangles)
    if len(faces) == 0:
        raise ScanError(path, "the file has no polygon with 3 or more corners")
    return Scan(np.concatenate(vertices), faces, str(path))


def _polygons(coord_index: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(offsets (P+1,), connectivity) of the polygons of a coordIndex list: -1 ends a polygon; a last polygon
    without -1 counts; empty polygons (-1 -1) have size 0."""
    idx = np.asarray(coord_index, dtype=np.int64)
    if idx.size == 0:
        return np.zeros(1, dtype=np.int64), idx
    ends = idx == -1
    polygon = np.cumsum(ends) - ends  # the polygon each entry belongs to (a -1 to the one it ends)
    n_polygons = int(ends.sum()) + (0 if ends[-1] else 1)
    sizes = np.bincount(polygon[~ends], minlength=n_polygons)[:n_polygons]
    return np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64), idx[~ends]


def _fan_triangulate(offsets: np.ndarray, connectivity: np.ndarray) -> np.ndarray:
    """Triangles (T, 3) int64 from polygons given as offsets (P+1,) and connectivity: polygon
    ``p0 p1 ... pn`` becomes ``(p0, p1, p2), (p0, p2, p3), ...``; polygons with < 3 corners are dropped."""
    sizes = np.diff(offsets)
    if sizes.size and np.all(sizes == 3):
        return connectivity.reshape(-1, 3).copy()
    n_tri = np.clip(sizes - 2, 0, None)
    total = int(n_tri.sum())
    if total == 0:
        return np.empty((0, 3), dtype=np.int64)
    polygon = np.repeat(np.arange(len(sizes)), n_tri)
    first = offsets[:-1][polygon]
    j = np.arange(total) - np.repeat(np.cumsum(n_tri) - n_tri, n_tri) + 1
    return np.stack([connectivity[first], connectivity[first + j], connectivity[first + j + 1]], axis=1)


# ------------------------------------------------------------------------------------------- writing


def save_wrl(path: str | Path, vertices: np.ndarray, faces: np.ndarray) -> None:
    """Write a triangle mesh as VRML 2.0 in the BU-3DFE layout (see the module docstring).

    vertices: (V, 3) finite floats, written with '%.9g'; faces: (F, 3) integer indices into vertices, F >= 1.
    """
    v = np.asarray(vertices)
    f = np.asarray(faces)
    if v.ndim != 2 or v.shape[1] != 3 or len(v) == 0:
        raise ValueError(f"vertices must be a non-empty (V, 3) array, got shape {v.shape}")
    if not np.all(np.isfinite(v)):
        raise ValueError("vertices contain NaN or inf")
    if f.ndim != 2 or f.shape[1] != 3 or len(f) == 0:
        raise ValueError(f"faces must be a non-empty (F, 3) array, got shape {f.shape}")
    if not np.issubdtype(f.dtype, np.integer):
        raise ValueError(f"faces must be integers, got {f.dtype}")
    if f.min() < 0 or f.max() >= len(v):
        raise ValueError(f"face indices out of range [0, {len(v)})")
    points = ",\n".join(map("            %.9g %.9g %.9g".__mod__, map(tuple, v.astype(np.float64).tolist())))
    index = ",\n".join(map("            %d, %d, %d, -1".__mod__, map(tuple, f.tolist())))
    text = (
        "#VRML V2.0 utf8\n\nTransform {\n  children [\n    Shape {\n      geometry IndexedFaceSet {\n"
        "        solid FALSE\n        coord Coordinate {\n          point [\n"
        f"{points}\n          ]\n        }}\n        coordIndex [\n{index}\n        ]\n"
        "      }\n    }\n  ]\n}\n"
    )
    write_bytes_atomic(path, text.encode("utf-8"))  # a full disk leaves no truncated file under the name
