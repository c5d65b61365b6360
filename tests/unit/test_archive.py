"""The zip of stored files is written as it is read: a chunk at a time, never whole in memory."""

import io
import os
import tracemalloc
import zipfile
from datetime import datetime

from app.archive import ArchiveEntry, compress_type_for, stream_zip, unique_names
from app.storage import LocalStorage
from app.storage.local import prepare_root

MB = 1024 * 1024


def test_repeated_names_get_a_number_case_aside():
    names = ["plan.pdf", "Plan.PDF", "plan.pdf", "README", "readme", "plan (2).pdf"]

    assert unique_names(names) == [
        "plan.pdf",
        "Plan (2).PDF",
        "plan (3).pdf",
        "README",
        "readme (2)",
        "plan (2) (2).pdf",
    ]


def test_compressed_formats_are_stored_and_text_formats_deflated():
    assert compress_type_for("photo.JPG") == zipfile.ZIP_STORED
    assert compress_type_for("piece.3mf") == zipfile.ZIP_STORED
    assert compress_type_for("plan.pdf") == zipfile.ZIP_STORED
    assert compress_type_for("programme.nc") == zipfile.ZIP_DEFLATED
    assert compress_type_for("piece.step") == zipfile.ZIP_DEFLATED
    assert compress_type_for("LISEZMOI") == zipfile.ZIP_DEFLATED


def test_large_files_stream_in_small_chunks_with_little_memory(tmp_path):
    prepare_root(tmp_path, None)
    storage = LocalStorage(tmp_path)
    gcode = b"".join(
        b"N%d G01 X%d.125 Y-%d.5 F1200\n" % (i, i % 997, i % 353) for i in range(450_000)
    )
    random_part = os.urandom(8 * MB)
    blobs = [
        (storage.save(io.BytesIO(gcode), 100 * MB), "programme.nc", gcode),
        (storage.save(io.BytesIO(random_part), 100 * MB), "scan.pdf", random_part),
    ]
    entries = [
        ArchiveEntry(blob.key, name, blob.size_bytes, datetime(2026, 12, 6, 9, 30))
        for blob, name, _ in blobs
    ]
    out = tmp_path / "out.zip"

    tracemalloc.start()
    largest = 0
    with open(out, "wb") as target:
        for chunk in stream_zip(storage, entries):
            largest = max(largest, len(chunk))
            target.write(chunk)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    total = len(gcode) + len(random_part)
    assert total > 20 * MB
    assert largest <= 2 * MB
    assert peak < 8 * MB
    with zipfile.ZipFile(out) as archive:
        assert archive.testzip() is None
        for _, name, data in blobs:
            assert archive.read(name) == data
        assert archive.getinfo("programme.nc").date_time == (2026, 12, 6, 9, 30, 0)
        assert archive.getinfo("scan.pdf").compress_size >= len(random_part)
