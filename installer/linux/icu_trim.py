"""Shrink Qt's ICU data library (``libicudata.so.NN``, 31 MB) for the Linux bundle.

Why: Qt's ``libicuuc``/``libicui18n`` need ``libicudata.so.NN`` to load, but Qt itself
uses ICU only for locale-aware case mapping, collation (``QCollator``), time-zone names
and legacy text codecs (``QStringConverter``); it breaks text and formats numbers and
dates with its own CLDR tables. The app's two languages are zh_CN and en. So the data
keeps what ICU's core needs (root, the supplemental/time-zone tables, normalisation,
collation base) plus the ``en*``/``zh*`` locales and the Chinese codecs, and drops the
other ~800 locales, the word-break dictionaries (CJK/Thai/Khmer/Lao/Burmese),
transliteration, character names and ~180 legacy converters.

How: the ICU "common data" blob is the ``icudtNN_dat`` symbol of the library (the whole
``.rodata``). We read its table of contents, write a new blob with only the kept items,
and link a data-only shared library with the same SONAME and symbol (``gcc`` +
``.incbin``; no ICU tools needed). Usage (``build.spec`` calls :func:`trim_library`)::

    python installer/linux/icu_trim.py SRC/libicudata.so.73 OUT_DIR
"""

from __future__ import annotations

import re
import struct
import subprocess
import sys
import tempfile
from pathlib import Path

LANGS = ("en", "zh")  # the UI languages; every other locale goes
CODECS = {
    "gb18030.cnv",
    "windows-936-2000.cnv",
    "ibm-1383_P110-1999.cnv",
    "windows-950-2000.cnv",
    "ibm-950_P110-1999.cnv",
    "ibm-1386_P100-2001.cnv",
    "ibm-1373_P100-2002.cnv",
}  # GBK/Big5 extend these
DROP_DIRS = {"translit"}  # transliterators: Qt never asks for them
DROP_FILES = {"unames.icu", "confusables.cfu", "uemoji.icu"}  # char names, spoof checks
LOCALE = re.compile(r"^([a-z]{2,3})(_[A-Za-z0-9]*)*\.res$")


def keep(item: str) -> bool:
    """Whether an ICU data item (``icudt73l/coll/zh.res``) stays in the trimmed data."""
    parts = item.split("/")[1:]  # drop the "icudt73l" package prefix
    name = parts[-1]
    if (len(parts) > 1 and parts[0] in DROP_DIRS) or name in DROP_FILES:
        return False
    if name.endswith(".dict"):  # word-break dictionaries; Qt uses its own line breaker
        return False
    if name.endswith(".cnv"):
        return name in CODECS
    m = LOCALE.match(name)
    return m is None or m.group(1) in LANGS  # non-locale tables (pool, zoneinfo64...) stay


def _items(blob: bytes) -> tuple[int, list[tuple[str, bytes]]]:
    """The header size and the (name, data) items of an ICU common-data blob."""
    header_size = struct.unpack_from("<H", blob, 0)[0]
    if blob[2:4] != b"\xda\x27" or blob[12:16] != b"CmnD":
        raise ValueError("not an ICU common data blob (little-endian, ToC format)")
    toc = blob[header_size:]
    (count,) = struct.unpack_from("<I", toc, 0)
    entries = [struct.unpack_from("<II", toc, 4 + 8 * i) for i in range(count)]
    out = []
    for i, (name_off, data_off) in enumerate(entries):
        end = entries[i + 1][1] if i + 1 < count else len(toc)
        name = toc[name_off : toc.index(b"\0", name_off)].decode("ascii")
        out.append((name, toc[data_off:end]))
    return header_size, out


def _pad16(n: int) -> int:
    return (n + 15) & ~15


def trim_blob(blob: bytes) -> bytes:
    """A common-data blob with only the items :func:`keep` accepts (same header)."""
    header_size, items = _items(blob)
    items = [(n, d) for n, d in items if keep(n)]  # stays sorted: ICU binary-searches names
    names = b"".join(n.encode("ascii") + b"\0" for n, _ in items)
    toc_len = 4 + 8 * len(items)
    pos = _pad16(header_size + toc_len + len(names)) - header_size
    offsets, name_pos, chunks = [], toc_len, []
    for n, d in items:
        offsets.append((name_pos, pos))
        name_pos += len(n) + 1
        chunks.append(d + b"\0" * (_pad16(len(d)) - len(d)))  # items are 16-byte aligned
        pos += _pad16(len(d))
    toc = struct.pack("<I", len(items)) + b"".join(struct.pack("<II", *o) for o in offsets)
    head = blob[:header_size] + toc + names
    head += b"\0" * (_pad16(len(head)) - len(head))
    return head + b"".join(chunks)


def _rodata(lib: Path) -> bytes:
    with tempfile.TemporaryDirectory() as d:
        out = Path(d) / "rodata.bin"
        subprocess.run(["objcopy", "-O", "binary", "--only-section=.rodata", str(lib),
                        str(out)], check=True)  # fmt: skip
        return out.read_bytes()


def trim_library(src: Path, out_dir: Path) -> Path:
    """Write a trimmed copy of ``libicudata.so.NN`` into ``out_dir`` and return its path."""
    m = re.match(r"libicudata\.so\.(\d+)$", src.name)
    if not m:
        raise ValueError(f"not an ICU data library: {src}")
    ver = m.group(1)
    out_dir.mkdir(parents=True, exist_ok=True)
    dat = out_dir / f"icudt{ver}l.dat"
    dat.write_bytes(trim_blob(_rodata(src)))
    asm = out_dir / "icudata.S"
    asm.write_text(  # the same exported symbol as ICU's own data library
        f".section .rodata\n.globl icudt{ver}_dat\n.type icudt{ver}_dat, @object\n"
        f'.balign 16\nicudt{ver}_dat:\n.incbin "{dat}"\n.size icudt{ver}_dat, .-icudt{ver}_dat\n'
        '.section .note.GNU-stack,"",@progbits\n'
    )
    lib = out_dir / src.name
    subprocess.run(["gcc", "-shared", "-nostdlib", f"-Wl,-soname,{src.name}", "-o", str(lib),
                    str(asm)], check=True)  # fmt: skip
    return lib


if __name__ == "__main__":
    made = trim_library(Path(sys.argv[1]), Path(sys.argv[2]))
    print(
        f"{made}: {made.stat().st_size / 1e6:.1f} MB (from {Path(sys.argv[1]).stat().st_size / 1e6:.1f} MB)"
    )
