#!/usr/bin/env bash
# Lays out a found set of handwritten signatures for `sapa signature`, cut from the document scans of
# the Roboflow 100 "signatures" set (roboflow-100/signatures-xc8up v2, CC BY 4.0, created by Pierrick
# Dossin), as a git snapshot of Rovsi135/Signature_Detection_On_Documents holds it (Yolo_Dataset_jpg:
# 368 pages, 443 signature boxes in YOLO format; the export's README.dataset.txt and data.yaml name
# the licence).
#   scripts/signature-set.sh GIT_DIR OUT_DIR
# OUT_DIR must be outside the repository: these are third-party images, never committed.
# Needs python3 with Pillow.
#
# Each box is cut with a margin of 10% of its height (at least 6 px) and judged by eye:
#   usable               one handwritten signature, plain white or near-white paper, dark ink, nothing
#                        printed in the frame, box at least 60 px high (ink clearly above 40 px);
#   a signature code     the defect is plain in the image (a stamp or ruled or patterned paper behind
#                        the ink, red or green ink, ...); other flaws may be there too;
#   signature_too_small  every box under 40 px high (the ink is under 40 px);
#   excluded             all the rest (a printed name or letter text in the frame, tinted paper, a
#                        signing line, a box 40-59 px high, or nothing plain): OUT_DIR/excluded.csv.
# Fourteen usable samples are cut tighter inside their box to leave out a printed name or letter text:
# at the middle of the longest band of blank rows near a given fraction of the cut (x0,y0,x1,y1;
# only the rows move), so that the tighter cut never runs through ink.
set -euo pipefail
git_dir="$1"; out="$2"
root="$(cd "$(dirname "$0")/.." && pwd)"
case "$(realpath -m "$out")/" in "$root"/*) echo "OUT_DIR must be outside $root" >&2; exit 1 ;; esac
mkdir -p "$out"
python3 - "$git_dir" "$out" <<'PY'
import csv, io, os, subprocess, sys
from PIL import Image

git_dir, out = sys.argv[1], sys.argv[2]
REPO, LICENSE = "Rovsi135/Signature_Detection_On_Documents", "CC-BY-4.0"
# name (page stem, box index) -> label [crop fractions]
LABELS = """
image_129_png_jpg_0 usable
image_149_png_jpg_0 usable
image_17_jpg_0 usable
image_25_jpg_0 usable
image_26_png_jpg_0 usable 0,0.07,1,0.93
image_28_jpg_0 usable
image_42_jpg_0 usable
image_44_jpg_1 usable
image_107_png_jpg_0 usable 0,0,1,0.915
image_109_png_jpg_0 usable 0,0,1,0.72
image_131_png_jpg_0 usable 0,0,1,0.82
image_92_png_jpg_0 usable 0,0.1,1,0.91
image_99_png_jpg_0 usable 0,0,1,0.9
image_66_png_jpg_0 usable 0,0.09,1,0.915
image_119_png_jpg_0 usable 0,0,1,0.88
image_120_png_jpg_0 usable 0,0.15,1,0.72
image_12_jpg_0 usable 0,0.15,1,1
image_12_jpg_1 usable 0,0.12,1,1
image_146_png_jpg_0 usable 0,0.13,1,0.86
image_13_png_jpg_0 usable 0,0,1,0.88
image_64_png_jpg_0 usable 0,0.23,1,0.82
image_137_png_jpg_0 background_not_plain security-pattern paper
image_140_png_jpg_0 background_not_plain ruled green paper
image_140_png_jpg_1 background_not_plain ruled green paper
image_165_png_jpg_0 background_not_plain stamp behind the ink
image_188_png_jpg_0 background_not_plain stamp behind the ink
image_190_png_jpg_0 background_not_plain stamp behind the ink
image_190_png_jpg_1 background_not_plain stamp behind the ink
image_27_png_jpg_0 background_not_plain stamp behind the ink
image_35_png_jpg_1 background_not_plain stamp behind the ink
image_36_png_jpg_0 background_not_plain stamp behind the ink
image_37_png_jpg_1 background_not_plain stamp behind the ink
image_44_png_jpg_0 background_not_plain stamp behind the ink
image_48_png_jpg_0 background_not_plain printed pattern behind the ink
image_48_png_jpg_1 background_not_plain printed pattern behind the ink
image_50_png_jpg_0 background_not_plain laid (ribbed) paper
image_68_png_jpg_0 background_not_plain stamp behind the ink
image_75_png_jpg_0 background_not_plain stamp behind the ink
image_82_png_jpg_0 background_not_plain stamp behind the ink
image_96_png_jpg_2 background_not_plain box rules around the ink
image_144_png_jpg_0 ink_colour red ink
image_164_png_jpg_4 ink_colour green ink
image_176_png_jpg_4 ink_colour green ink
image_38_png_jpg_0 ink_colour green ink
image_38_png_jpg_2 ink_colour green ink
image_40_png_jpg_0 rotated written at 90 degrees
image_96_png_jpg_1 low_contrast grey ink on grey paper
image_1_jpg_0 signature_cropped strokes run off the left edge
image_1_jpg_1 signature_cropped strokes run off the right edge
image_23_jpg_1 signature_cropped a stroke runs off the right edge
image_23_jpg_2 signature_cropped a stroke runs off the left edge
"""
judged = {}
for line in LABELS.strip().splitlines():
    name, label, *rest = line.split()
    frac = tuple(map(float, rest[0].split(","))) if rest and "," in rest[0] else None
    note = " ".join(rest[1:] if frac else rest)
    judged[name] = (label, frac, note)

def blank_rows(page, x0, y0, x1, y1):
    """Which rows of the cut hold no pixel darker than 215 (no ink, no print)."""
    g = page.crop((x0, y0, x1, y1)).convert("L")
    w, h = g.size
    px = g.load()
    return [all(px[x, y] >= 215 for x in range(w)) for y in range(h)]


def snap(page, x0, y0, x1, y1, f):
    """The page row of the middle of the longest run of blank rows within 8% of the cut's
    height of fraction f (the nearest on a tie): a tighter cut never runs through ink."""
    blank = blank_rows(page, x0, y0, x1, y1)
    h, t = len(blank), round(f * len(blank))
    if f in (0.0, 1.0):
        return y0 + t
    runs, start = [], None
    for y in range(h + 1):
        if y < h and blank[y] and abs(y - t) <= 0.08 * h:
            start = y if start is None else start
        elif start is not None:
            runs.append((start, y - 1)); start = None
    assert runs and max(b - a + 1 for a, b in runs) >= 3, f"no blank band near {f}"
    a, b = max(runs, key=lambda r: (r[1] - r[0], -abs((r[0] + r[1]) / 2 - t)))
    return y0 + (a + b + 1) // 2


def git(*args, text=True):
    return subprocess.run(["git", "--git-dir", git_dir, *args], check=True, capture_output=True, text=text).stdout

commit = git("rev-parse", "HEAD").strip()
pages = sorted(p for p in git("ls-tree", "-r", "HEAD", "--name-only", "Yolo_Dataset_jpg").split("\n")
               if "/images/" in p and p.endswith(".jpg"))
head = ["file", "source_repo", "source_commit", "source_path", "box", "license", "label", "notes"]
with open(os.path.join(out, "labels.csv"), "w", newline="") as lf, \
     open(os.path.join(out, "excluded.csv"), "w", newline="") as xf:
    labels, excluded = csv.writer(lf), csv.writer(xf)
    labels.writerow(head); excluded.writerow(head)
    seen = set()
    for path in pages:
        page = Image.open(io.BytesIO(git("show", "HEAD:" + path, text=False))).convert("RGB")
        W, H = page.size
        boxes = [list(map(float, l.split()[1:5]))
                 for l in git("show", "HEAD:" + path.replace("/images/", "/labels/")[:-4] + ".txt").splitlines()
                 if l.strip()]
        stem = os.path.basename(path).split(".rf.")[0]
        for i, (cx, cy, bw, bh) in enumerate(boxes):
            name = f"{stem}_{i}"
            bw, bh = bw * W, bh * H
            m = max(0.10 * bh, 6)
            x0, x1 = max(0, round(cx * W - bw / 2 - m)), min(W, round(cx * W + bw / 2 + m))
            y0, y1 = max(0, round(cy * H - bh / 2 - m)), min(H, round(cy * H + bh / 2 + m))
            label, frac, note = judged.get(name, (None, None, ""))
            if frac:
                y0, y1 = snap(page, x0, y0, x1, y1, frac[1]), snap(page, x0, y0, x1, y1, frac[3])
                note = f"cut tighter at blank rows near {frac[1]} and {frac[3]} of the cut, leaving out printed text"
            if label is None and bh < 40:
                label, note = "signature_too_small", f"box {bh:.0f} px high"
            assert name not in seen, name
            seen.add(name)
            file = f"rf100_{name}.png"
            row = [file, REPO, commit, path, f"{i}:{x0} {y0} {x1} {y1}", LICENSE, label or "excluded", note]
            if label is None:
                row[-1] = "printed text, tinted paper, a signing line, a box 40-59 px high, or nothing plain"
                excluded.writerow(row)
                continue
            if label == "usable":
                b = blank_rows(page, x0, y0, x1, y1)
                if not (b[0] and b[-1]):
                    print(f"warning: {file}: ink or print on the top or bottom row", file=sys.stderr)
            page.crop((x0, y0, x1, y1)).save(os.path.join(out, file))
            labels.writerow(row)
    missing = set(judged) - seen
    assert not missing, f"labelled but not in the snapshot: {sorted(missing)}"
PY
{
  echo "Source: Roboflow 100 'signatures' (roboflow-100/signatures-xc8up, v2), created by Pierrick Dossin,"
  echo "licensed CC BY 4.0 (https://creativecommons.org/licenses/by/4.0/); cut into single-signature"
  echo "crops (changed) for evaluating Sapa. Taken from a git snapshot of Rovsi135/Signature_Detection_On_Documents"
  echo "at $(git --git-dir="$git_dir" rev-parse HEAD), Yolo_Dataset_jpg/."
} > "$out/ATTRIBUTION.txt"
python3 - "$out" >&2 <<'PY'
import collections, csv, os, sys
rows = list(csv.DictReader(open(os.path.join(sys.argv[1], "labels.csv"))))
n_ex = sum(1 for _ in open(os.path.join(sys.argv[1], "excluded.csv"))) - 1
count = collections.Counter(r["label"] for r in rows)
print(f"{len(rows)} samples in {sys.argv[1]}/labels.csv ({', '.join(f'{k} {v}' for k, v in sorted(count.items()))}); {n_ex} boxes in excluded.csv")
PY
