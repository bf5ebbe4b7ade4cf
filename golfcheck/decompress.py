"""Size-capped decompression and compressor sniffing. Every decompression in golfcheck goes here.

A payload that would expand past ``cap`` bytes raises :class:`DecompressionError` instead of
exhausting memory (zip bombs in untrusted submissions). :func:`decompress` returns the bytes (decoded
code); :func:`stream_size` only counts them, chunk by chunk (model artifacts up to 2 GiB expanded).
"""

from __future__ import annotations

import bz2
import lzma
import zlib
from pathlib import Path

DEFAULT_CAP = 64 * 1024 * 1024  # decoded code is never this big; model blobs pass their own cap
STREAM_CAP = 2 * 1024 * 1024 * 1024  # no 16 MB artifact honestly expands past 2 GiB
CHUNK = 1 << 20
READ_CHUNK = 1 << 16


class DecompressionError(ValueError):
    """The data is corrupt, of the wrong format, or expands past the cap."""


def sniff(data: bytes) -> str | None:
    """Name the compressor from magic bytes: zlib, zstd, xz, lzma-alone, bz2, gzip, lrzip (brotli has none)."""
    if data[:4] == b"\x28\xb5\x2f\xfd":
        return "zstd"
    if data[:6] == b"\xfd7zXZ\x00":
        return "xz"
    if data[:2] == b"\x1f\x8b":
        return "gzip"
    if data[:3] == b"BZh":
        return "bz2"
    if data[:4] == b"LRZI":
        return "lrzip"
    if len(data) >= 2 and data[0] == 0x78 and (data[0] * 256 + data[1]) % 31 == 0:
        return "zlib"
    if len(data) >= 13 and data[0] == 0x5D and data[1:5] in (b"\x00\x00\x80\x00", b"\x00\x00\x00\x01", b"\x00\x00\x00\x04"):
        return "lzma-alone"
    return None


def _too_big(cap: int) -> DecompressionError:
    return DecompressionError(f"decompressed size exceeds the cap of {cap:,} bytes")


def decompress(data: bytes, method: str, cap: int = DEFAULT_CAP, **lzma_kwargs) -> bytes:
    """Decompress ``data`` with ``method`` (zlib, gzip, zstd, xz, lzma, lzma-alone, lzma-raw, bz2, brotli).

    ``lzma_kwargs`` are ``format``/``filters`` as given to :func:`lzma.decompress`.
    """
    try:
        if method in ("zlib", "gzip"):
            d = zlib.decompressobj(zlib.MAX_WBITS | (16 if method == "gzip" else 0))
            out = d.decompress(data, cap + 1)
            if len(out) > cap or d.unconsumed_tail:
                raise _too_big(cap)
            if not d.eof:
                raise DecompressionError("truncated zlib stream")
            return out
        if method in ("xz", "lzma", "lzma-alone", "lzma-raw"):
            fmt = lzma_kwargs.get("format")
            if fmt is None:
                fmt = {"xz": lzma.FORMAT_XZ, "lzma-alone": lzma.FORMAT_ALONE}.get(method, lzma.FORMAT_AUTO)
            filters = lzma_kwargs.get("filters")
            d = lzma.LZMADecompressor(format=fmt, filters=filters) if fmt == lzma.FORMAT_RAW else lzma.LZMADecompressor(format=fmt)
            out = d.decompress(data, max_length=cap + 1)
            if len(out) > cap or (not d.eof and not d.needs_input):
                raise _too_big(cap)
            if fmt != lzma.FORMAT_RAW and not d.eof:
                raise DecompressionError("truncated lzma stream")
            return out
        if method == "bz2":
            d = bz2.BZ2Decompressor()
            out = d.decompress(data, max_length=cap + 1)
            if len(out) > cap or (not d.eof and not d.needs_input):
                raise _too_big(cap)
            return out
        if method == "zstd":
            import zstandard

            dctx = zstandard.ZstdDecompressor()
            reader = dctx.stream_reader(data)
            out = reader.read(cap + 1)
            if len(out) > cap:
                raise _too_big(cap)
            return out
        if method == "brotli":
            import brotli

            d = brotli.Decompressor()
            out = bytearray(d.process(data, output_buffer_limit=cap + 1))
            while len(out) <= cap and not d.is_finished() and not d.can_accept_more_data():
                out += d.process(b"", output_buffer_limit=cap + 1 - len(out) + 1)
            if len(out) > cap:
                raise _too_big(cap)
            if not d.is_finished():
                raise DecompressionError("truncated brotli stream")
            return bytes(out)
    except DecompressionError:
        raise
    except (lzma.LZMAError, zlib.error, OSError, EOFError, ValueError, TypeError) as exc:
        raise DecompressionError(f"not valid {method} data: {exc}") from None
    except Exception as exc:  # zstd.ZstdError, brotli.error
        raise DecompressionError(f"not valid {method} data: {exc}") from None
    raise DecompressionError(f"unknown compressor {method!r}")


def stream_size(path: Path, method: str, cap: int = STREAM_CAP) -> tuple[int | None, str]:
    """Decompress ``path`` chunk by chunk without keeping the output; (size, problem)."""
    total = 0
    try:
        with open(path, "rb") as fh:
            if method in ("zlib", "gzip"):
                d = zlib.decompressobj(zlib.MAX_WBITS | (16 if method == "gzip" else 0))
                for chunk in iter(lambda: fh.read(READ_CHUNK), b""):
                    buf = chunk
                    while buf:
                        out = d.decompress(buf, CHUNK)
                        total += len(out)
                        if total > cap:
                            return None, f"expands past the cap of {cap:,} bytes"
                        buf = d.unconsumed_tail
                    if d.eof:
                        break
                while not d.eof:
                    out = d.decompress(b"", CHUNK)
                    if not out:
                        break
                    total += len(out)
                return (total, "") if d.eof else (None, "truncated stream")
            if method in ("xz", "lzma"):
                d = lzma.LZMADecompressor()
                for chunk in iter(lambda: fh.read(READ_CHUNK), b""):
                    out = d.decompress(chunk, CHUNK)
                    total += len(out)
                    while not d.eof and not d.needs_input:
                        out = d.decompress(b"", CHUNK)
                        total += len(out)
                        if total > cap:
                            return None, f"expands past the cap of {cap:,} bytes"
                    if total > cap:
                        return None, f"expands past the cap of {cap:,} bytes"
                    if d.eof:
                        break
                return (total, "") if d.eof else (None, "truncated stream")
            if method == "zstd":
                import zstandard

                reader = zstandard.ZstdDecompressor().stream_reader(fh, read_size=READ_CHUNK)
                while True:
                    out = reader.read(CHUNK)
                    if not out:
                        break
                    total += len(out)
                    if total > cap:
                        return None, f"expands past the cap of {cap:,} bytes"
                return total, ""
            if method == "brotli":
                import brotli

                d = brotli.Decompressor()
                for chunk in iter(lambda: fh.read(READ_CHUNK), b""):
                    out = d.process(chunk, output_buffer_limit=CHUNK)
                    total += len(out)
                    # drain pending output (can_accept_more_data() stays True while output is pending)
                    while out and not d.is_finished() and total <= cap:
                        out = d.process(b"", output_buffer_limit=CHUNK)
                        total += len(out)
                    if total > cap:
                        return None, f"expands past the cap of {cap:,} bytes"
                    if total > cap:
                        return None, f"expands past the cap of {cap:,} bytes"
                return (total, "") if d.is_finished() else (None, "truncated or not brotli")
    except Exception as exc:  # noqa: BLE001 - corrupt data of any library: a finding, not a crash
        return None, f"not valid {method} data ({type(exc).__name__}: {str(exc)[:80]})"
    return None, f"cannot decompress {method} here"
