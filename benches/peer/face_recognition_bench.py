#!/usr/bin/env python3
"""Times face_recognition (dlib) on a photo directory, one thread, as the peer for Sapa's numbers.

For each photo: load (decode to RGB), detect faces with the default HOG detector (one upsample),
and encode the largest face with the default 5-point alignment and one jitter. Prints per-stage
medians, the per-photo median and total, and the photos where no face was found.

    OMP_NUM_THREADS=1 python3 benches/peer/face_recognition_bench.py ../shared/fixtures/faces

Not part of CI: it needs `dlib-bin` and `face_recognition` in a virtualenv (see BENCHMARKS.md).
"""

import os

# One thread for every numeric library, set before they are imported.
for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "VECLIB_MAXIMUM_THREADS"):
    os.environ.setdefault(var, "1")

import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import face_recognition  # noqa: E402

EXTENSIONS = {".jpg", ".jpeg", ".png"}


def area(box):
    top, right, bottom, left = box
    return (bottom - top) * (right - left)


def main(directory: str) -> int:
    photos = sorted(p for p in Path(directory).iterdir() if p.suffix.lower() in EXTENSIONS)
    if not photos:
        print(f"no photos in {directory}", file=sys.stderr)
        return 1
    load_ms, detect_ms, encode_ms, total_ms, no_face = [], [], [], [], []
    started, cpu_started = time.perf_counter(), time.process_time()
    for path in photos:
        t0 = time.perf_counter()
        image = face_recognition.load_image_file(str(path))
        t1 = time.perf_counter()
        boxes = face_recognition.face_locations(image)  # HOG, one upsample: the defaults
        t2 = time.perf_counter()
        if boxes:
            largest = max(boxes, key=area)
            face_recognition.face_encodings(image, known_face_locations=[largest])
        else:
            no_face.append(path.name)
        t3 = time.perf_counter()
        load_ms.append((t1 - t0) * 1e3)
        detect_ms.append((t2 - t1) * 1e3)
        encode_ms.append((t3 - t2) * 1e3)
        total_ms.append((t3 - t0) * 1e3)
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    med = statistics.median
    print(f"photos: {len(photos)}, no face found: {len(no_face)} {no_face}")
    print(f"median ms per photo: load {med(load_ms):.1f}, detect {med(detect_ms):.1f}, "
          f"encode {med(encode_ms):.1f}, total {med(total_ms):.1f}")
    print(f"mean ms per photo: {statistics.mean(total_ms):.1f}")
    print(f"total: {wall:.2f} s = {len(photos) / wall:.2f} photos/s on one thread "
          f"(CPU time {cpu:.2f} s, model loading excluded)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "../shared/fixtures/faces"))
