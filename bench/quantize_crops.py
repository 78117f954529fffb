"""Aligned 112 x 112 faces for int8 calibration, from `likeness detect` landmarks (bench/quantize.sh).

    quantize_crops.py DETECT_JSONL OUT.npy MEAN STD RGB

Each face is aligned on the ArcFace template by a similarity transform (cv2, as MODELS.md says)
and normalised as the pack does, so the quantizer sees what the float model sees in the server.
"""
import json
import sys

import cv2
import numpy as np

TEMPLATE = np.array([[38.2946, 51.6963], [73.5318, 51.5014], [56.0252, 71.7366],
                     [41.5493, 92.3655], [70.7299, 92.2041]], dtype=np.float32)
mean = np.array(json.loads(sys.argv[3]), dtype=np.float32)
std = np.array(json.loads(sys.argv[4]), dtype=np.float32)
rgb = sys.argv[5] == "true"
blobs = []
for line in open(sys.argv[1]):
    rec = json.loads(line)
    if not rec.get("faces"):
        continue
    img = cv2.imread(rec["path"])
    points = np.array(rec["faces"][0]["landmarks"], dtype=np.float32)
    m, _ = cv2.estimateAffinePartial2D(points, TEMPLATE, method=cv2.LMEDS)
    face = cv2.warpAffine(img, m, (112, 112)).astype(np.float32)
    if rgb:
        face = face[:, :, ::-1]
    blobs.append(((face - mean) / std).transpose(2, 0, 1))
np.save(sys.argv[2], np.stack(blobs).astype(np.float32))
print(f"{len(blobs)} calibration faces", file=sys.stderr)
