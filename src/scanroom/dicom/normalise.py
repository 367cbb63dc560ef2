"""Bring any readable DICOM image into one stored form: uncompressed Explicit VR Little Endian.

Serving frames then needs no codec in the browser (WADO-RS frames with transfer-syntax
1.2.840.10008.1.2.1, PS3.18 §8.7.3), and PALETTE COLOR / YBR images become RGB, which every viewer draws.
"""

from __future__ import annotations

import numpy as np
import pydicom
from pydicom.dataset import Dataset
from pydicom.pixels import apply_color_lut, convert_color_space
from pydicom.uid import ExplicitVRLittleEndian


class UnsupportedImage(ValueError):
    """The file is not a DICOM image Scanroom can store and serve."""


_PALETTE_TAGS = (
    "RedPaletteColorLookupTableDescriptor", "GreenPaletteColorLookupTableDescriptor",
    "BluePaletteColorLookupTableDescriptor", "RedPaletteColorLookupTableData",
    "GreenPaletteColorLookupTableData", "BluePaletteColorLookupTableData",
    "SegmentedRedPaletteColorLookupTableData", "SegmentedGreenPaletteColorLookupTableData",
    "SegmentedBluePaletteColorLookupTableData", "PaletteColorLookupTableUID",
)


def normalise(ds: Dataset) -> Dataset:
    """Return ``ds`` decoded to native pixels in Explicit VR Little Endian (colour as RGB, interleaved)."""
    if "PixelData" not in ds:
        raise UnsupportedImage("The DICOM file has no pixel data.")
    required = ("StudyInstanceUID", "SeriesInstanceUID", "SOPInstanceUID", "Rows", "Columns")
    missing = [k for k in required if k not in ds]
    if missing:
        raise UnsupportedImage(f"The DICOM file lacks {', '.join(missing)}.")
    try:
        pixels = ds.pixel_array
    except Exception as exc:  # decoders raise many types; all mean "cannot decode"
        raise UnsupportedImage(f"Cannot decode the pixel data: {exc}") from exc

    photometric = str(ds.get("PhotometricInterpretation", "MONOCHROME2"))
    if photometric == "PALETTE COLOR":
        pixels = apply_color_lut(pixels, ds)
        if pixels.dtype != np.uint8:  # 16-bit palettes: scale to 8 bits for display
            pixels = (pixels >> 8).astype(np.uint8)
        for tag in _PALETTE_TAGS:
            if tag in ds:
                del ds[tag]
        photometric = "RGB"
    elif photometric.startswith("YBR"):
        # pydicom already converts YBR_FULL(_422) to RGB when decoding compressed data;
        # for native YBR data convert explicitly.
        if ds.file_meta.TransferSyntaxUID.is_compressed is False:
            pixels = convert_color_space(pixels, photometric, "RGB")
        photometric = "RGB"

    samples = 3 if photometric == "RGB" else 1
    if samples == 3:
        pixels = np.ascontiguousarray(pixels.astype(np.uint8))
        ds.BitsAllocated = 8
        ds.BitsStored = 8
        ds.HighBit = 7
        ds.PixelRepresentation = 0
        ds.PlanarConfiguration = 0
    ds.PhotometricInterpretation = photometric
    ds.SamplesPerPixel = samples
    if ds.original_encoding[1] is False:
        _swap_other_binary(ds)
        ds.set_original_encoding(False, True, ds.original_character_set)
    little = pixels.astype(pixels.dtype.newbyteorder("<"), copy=False)
    ds.PixelData = little.tobytes()
    ds["PixelData"].VR = "OW" if ds.BitsAllocated > 8 else "OB"
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    return ds


_WORD_BYTES = {"OW": 2, "OF": 4, "OL": 4, "OD": 8, "OV": 8}


def _swap_other_binary(ds: Dataset) -> None:
    """Big endian source (retired PS3.5 transfer syntax 1.2.840.10008.1.2.2): swap the bytes of the other
    binary values (LUTs, overlays …) that pydicom keeps as read; numbers and text are already decoded.
    Pixel data is rewritten by ``normalise`` from the decoded array."""
    for elem in ds.iterall():
        size = _WORD_BYTES.get(elem.VR)
        if size and elem.tag != 0x7FE00010 and isinstance(elem.value, bytes) and len(elem.value) % size == 0:
            elem.value = np.frombuffer(elem.value, dtype=f">u{size}").astype(f"<u{size}").tobytes()


def read_and_normalise(path: str) -> Dataset:
    try:
        ds = pydicom.dcmread(path, force=False)
    except Exception as exc:
        raise UnsupportedImage(f"{path}: not a readable DICOM file ({exc})") from exc
    return normalise(ds)


def frame_bytes(ds: Dataset, frame_number: int) -> bytes:
    """Native little-endian bytes of one frame (1-based) of a normalised dataset."""
    frames = int(ds.get("NumberOfFrames", 1) or 1)
    if not 1 <= frame_number <= frames:
        raise IndexError(f"Frame {frame_number} is outside 1..{frames}.")
    frame_size = int(ds.Rows) * int(ds.Columns) * int(ds.SamplesPerPixel) * (int(ds.BitsAllocated) // 8)
    start = (frame_number - 1) * frame_size
    data: bytes = ds.PixelData
    return data[start:start + frame_size]
