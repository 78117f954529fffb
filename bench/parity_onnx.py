"""Parity of Likeness's ONNX packs with an independent Python reference.

The reference follows ../shared/models/MODELS.md with onnxruntime (networks), OpenCV's Python
wheel (decoding, resizing, warping, and cv2.FaceDetectorYN for YuNet) and numpy (SCRFD anchor
decoding and NMS as InsightFace does it, Umeyama alignment by SVD as skimage does it, the
Silent-Face crop). Both run on the same photos; faces are matched by box and the script prints
the worst box and landmark difference (px), the worst embedding cosine and the worst liveness
score difference, per pack. Usage (from the repo root):

    bench/parity_onnx.sh            # builds likeness in release, sets up the venv, runs this
"""
import json
import math
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import onnxruntime as ort

LIKENESS = sys.argv[1]
SHARED = Path(sys.argv[2]).resolve()
PACKS = sys.argv[3:]
TEMPLATE = np.array([[38.2946, 51.6963], [73.5318, 51.5014], [56.0252, 71.7366],
                     [41.5493, 92.3655], [70.7299, 92.2041]], dtype=np.float64)


def detection_limit(w, h, size, min_face):
    """Likeness's DetectionScale: the longer side to shrink to, lowered from input_size so that a
    face of min_face_size pixels is still 20 at the detector, never below 160."""
    if not min_face:
        return size
    return min(size, max(160, math.ceil(max(w, h) * 20.0 / min_face)))


def images():
    faces = SHARED / "faces"
    picked = sorted((faces / "deepface").glob("*.jpg"))
    picked += sorted((faces / "face_recognition").glob("*.jpg"))
    picked += sorted((faces / "insightface").glob("*.jp*g")) + sorted((faces / "insightface").glob("*.png"))
    picked += sorted((faces / "spoof").glob("*.jpg"))
    picked += sorted((faces / "dlib").glob("*.jpg"))
    picked += sorted((faces / "lfw-devtrain").rglob("*.jpg"))[:300:6]
    return [p for p in picked if p.exists()]


def session(path):
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


class YuNet:
    """cv2.FaceDetectorYN at the image's own size: shrunk (half-even rounding of the new size)
    to input_size on its longer side when larger, in the top-left corner of a canvas padded to
    multiples of 32 (at least 64); a detector created for each canvas size, since OpenCV 4.6's
    results depend on the sizes a detector was set to before."""

    def __init__(self, spec, base):
        self.path = str(base / spec["model"]["file"])
        self.score = spec.get("score_threshold", 0.9)
        self.nms = spec.get("nms_threshold", 0.3)
        self.size = spec.get("input_size", 640)
        self.min_face = spec.get("min_face_size")

    def __call__(self, img):
        h, w = img.shape[:2]
        limit = detection_limit(w, h, self.size, self.min_face)
        f = limit / max(w, h) if max(w, h) > limit else 1.0
        if f < 1:
            img = cv2.resize(img, (max(1, round(w * f)), max(1, round(h * f))))
        ch, cw = (max(64, (n + 31) // 32 * 32) for n in img.shape[:2])
        canvas = np.zeros((ch, cw, 3), dtype=np.uint8)
        canvas[:img.shape[0], :img.shape[1]] = img
        det = cv2.FaceDetectorYN.create(self.path, "", (cw, ch), self.score, self.nms, 5000)
        _, found = det.detect(canvas)
        out = []
        for r in (found if found is not None else []):
            r = r.astype(np.float64)
            box, kps = r[:4] / f, r[4:14].reshape(5, 2) / f
            x1, y1 = min(max(box[0], 0), w), min(max(box[1], 0), h)
            x2, y2 = min(max(box[0] + box[2], 0), w), min(max(box[1] + box[3], 0), h)
            # Boxes mostly outside the image (on the canvas padding) are dropped, as Likeness does.
            if x2 - x1 > 0 and y2 - y1 > 0 and (x2 - x1) * (y2 - y1) >= 0.5 * box[2] * box[3]:
                out.append((box, kps, float(r[14])))
        return out


def freed(path):
    """The model with its input's height and width named instead of fixed (onnx), so onnxruntime
    runs it at any size, as Likeness does in memory."""
    import onnx
    model = onnx.load(str(path))
    dims = model.graph.input[0].type.tensor_type.shape.dim
    for i, name in ((2, "height"), (3, "width")):
        dims[i].ClearField("dim_value")
        dims[i].dim_param = name
    for out in model.graph.output:
        for i, d in enumerate(out.type.tensor_type.shape.dim):
            d.ClearField("dim_value")
            d.dim_param = f"d{i}"
    del model.graph.value_info[:]
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    return ort.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])


class SCRFD:
    """At the image's own size (shrunk to input_size on its longer side when larger, half-even
    rounding, padded bottom and right to multiples of 32), as Likeness runs it on onnxruntime."""

    def __init__(self, spec, base):
        self.sess = freed(base / spec["model"]["file"])
        self.size = spec.get("input_size", 640)
        self.min_face = spec.get("min_face_size")
        self.score = spec.get("score_threshold", 0.5)
        self.nms_thresh = spec.get("nms_threshold", 0.4)
        names = spec["outputs"]
        self.names = names["scores"] + names["boxes"] + names["keypoints"]

    def __call__(self, img):
        h0, w0 = img.shape[:2]
        limit = detection_limit(w0, h0, self.size, self.min_face)
        f = limit / max(w0, h0) if max(w0, h0) > limit else 1.0
        nw, nh = (max(1, round(w0 * f)), max(1, round(h0 * f))) if f < 1 else (w0, h0)
        scale = nh / h0
        ch, cw = (max(32, (n + 31) // 32 * 32) for n in (nh, nw))
        canvas = np.zeros((ch, cw, 3), dtype=np.uint8)
        canvas[:nh, :nw] = cv2.resize(img, (nw, nh)) if f < 1 else img
        blob = cv2.dnn.blobFromImage(canvas, 1.0 / 128, (cw, ch), (127.5, 127.5, 127.5), swapRB=True)
        outs = self.sess.run(self.names, {self.sess.get_inputs()[0].name: blob})
        dets = []
        for i, stride in enumerate([8, 16, 32]):
            scores = outs[i].reshape(-1)
            boxes = outs[3 + i].reshape(-1, 4) * stride
            kps = outs[6 + i].reshape(-1, 10) * stride
            ys, xs = np.mgrid[:ch // stride, :cw // stride]
            centres = np.stack([xs, ys], axis=-1).reshape(-1, 2).astype(np.float64) * stride
            centres = np.repeat(centres, 2, axis=0)
            for a in np.where(scores >= self.score)[0]:
                cx, cy = centres[a]
                b = np.array([cx - boxes[a, 0], cy - boxes[a, 1], cx + boxes[a, 2], cy + boxes[a, 3]]) / scale
                k = (centres[a] + kps[a].reshape(5, 2)) / scale
                dets.append((float(scores[a]), b, k))
        dets.sort(key=lambda d: -d[0])
        kept = []
        for s, b, k in dets:
            ok = True
            for _, o, _ in kept:
                iw = max(0.0, min(b[2], o[2]) - max(b[0], o[0]) + 1)
                ih = max(0.0, min(b[3], o[3]) - max(b[1], o[1]) + 1)
                inter = iw * ih
                union = (b[2] - b[0] + 1) * (b[3] - b[1] + 1) + (o[2] - o[0] + 1) * (o[3] - o[1] + 1) - inter
                if inter / union > self.nms_thresh:
                    ok = False
                    break
            if ok:
                kept.append((s, b, k))
        out = []
        h, w = img.shape[:2]
        for s, b, k in kept:
            box = np.array([b[0], b[1], b[2] - b[0], b[3] - b[1]])
            c = clip(box, w, h)
            # Boxes mostly outside the image are dropped, as Likeness does.
            if c[2] > 0 and c[3] > 0 and c[2] * c[3] >= 0.5 * box[2] * box[3]:
                out.append((box, k, s))
        return out


def clip(box, w, h):
    x1, y1 = min(max(box[0], 0), w), min(max(box[1], 0), h)
    x2, y2 = min(max(box[0] + box[2], 0), w), min(max(box[1] + box[3], 0), h)
    return np.array([x1, y1, x2 - x1, y2 - y1])


def umeyama(src, dst):
    """Least-squares similarity (Umeyama 1991) by SVD, as skimage's SimilarityTransform."""
    n, d = src.shape
    ms, md = src.mean(0), dst.mean(0)
    s, t = src - ms, dst - md
    A = t.T @ s / n
    D = np.ones(d)
    if np.linalg.det(A) < 0:
        D[-1] = -1
    U, S, Vt = np.linalg.svd(A)
    R = U @ np.diag(D) @ Vt
    scale = (S * D).sum() / s.var(0).sum()
    M = np.zeros((2, 3))
    M[:, :2] = scale * R
    M[:, 2] = md - scale * R @ ms
    return M


class ArcFace:
    def __init__(self, spec, base):
        self.sess = session(base / spec["model"]["file"])
        self.size = spec.get("input_size", 112)
        norm = spec["normalization"]
        self.rgb, self.mean, self.std = norm["rgb"], np.array(norm["mean"]), np.array(norm["std"])

    def __call__(self, img, landmarks):
        M = umeyama(landmarks, TEMPLATE * self.size / 112)
        face = cv2.warpAffine(img, M, (self.size, self.size), borderValue=0.0).astype(np.float32)
        if self.rgb:
            face = face[:, :, ::-1]
        x = ((face - self.mean) / self.std).transpose(2, 0, 1)[None].astype(np.float32)
        v = self.sess.run(None, {self.sess.get_inputs()[0].name: x})[0][0].astype(np.float64)
        return v / np.linalg.norm(v)


class Liveness:
    def __init__(self, spec, base):
        self.models = [(session(base / m["model"]["file"]), m["scale"], m.get("input_size", 80)) for m in spec["models"]]

    @staticmethod
    def region(box, scale, w, h):
        x, y, bw, bh = box
        bw, bh = max(bw, 1), max(bh, 1)
        scale = min((h - 1) / bh, min((w - 1) / bw, scale))
        nw, nh = bw * scale, bh * scale
        cx, cy = x + bw / 2, y + bh / 2
        l, t, r, b = cx - nw / 2, cy - nh / 2, cx + nw / 2, cy + nh / 2
        if l < 0: r -= l; l = 0
        if t < 0: b -= t; t = 0
        if r > w - 1: l -= r - w + 1; r = w - 1
        if b > h - 1: t -= b - h + 1; b = h - 1
        # Sides that land exactly on an integer (a capped scale) are nudged as Likeness does, so
        # rounding noise does not pick the pixel.
        return tuple(int(v + 1e-6) for v in (l, t, r, b))

    def __call__(self, img, box):
        h, w = img.shape[:2]
        total = 0.0
        for sess, scale, size in self.models:
            l, t, r, b = self.region(box, scale, w, h)
            crop = cv2.resize(img[t:b + 1, l:r + 1], (size, size))
            x = crop.astype(np.float32).transpose(2, 0, 1)[None]
            logits = sess.run(None, {sess.get_inputs()[0].name: x})[0][0].astype(np.float64)
            e = np.exp(logits - logits.max())
            total += (e / e.sum())[1]
        return total / len(self.models)


def swift_run(pack, paths):
    out = subprocess.run([LIKENESS, "embed", "--pack", pack, "--max-faces", "1000", "--list", "-"],
                         input="\n".join(map(str, paths)), capture_output=True, text=True)
    return {json.loads(line)["path"]: json.loads(line) for line in out.stdout.splitlines()}


def main():
    paths = images()
    print(f"{len(paths)} images")
    for pack_file in PACKS:
        pack = json.loads(Path(pack_file).read_text())
        base = Path(pack_file).resolve().parent
        detector = (YuNet if pack["detector"]["type"] == "yunet" else SCRFD)(pack["detector"], base)
        embedder = ArcFace(pack["recognizer"], base)
        live = Liveness(pack["liveness"], base) if pack.get("liveness") else None
        swift = swift_run(pack_file, paths)
        worst = {"box": 0.0, "landmarks": 0.0, "cosine": 1.0, "liveness": 0.0}
        where = {}
        faces = missing = extra = 0
        for p in paths:
            img = cv2.imread(str(p), cv2.IMREAD_COLOR)
            h, w = img.shape[:2]
            ours = swift[str(p)].get("faces", [])
            ref = detector(img)
            used = set()
            for box, kps, score in ref:
                cb = clip(box, w, h)
                best, best_iou = None, 0.0
                for j, f in enumerate(ours):
                    if j in used:
                        continue
                    b = np.array(f["box"])
                    ix = max(0, min(cb[0] + cb[2], b[0] + b[2]) - max(cb[0], b[0]))
                    iy = max(0, min(cb[1] + cb[3], b[1] + b[3]) - max(cb[1], b[1]))
                    iou = ix * iy / (cb[2] * cb[3] + b[2] * b[3] - ix * iy + 1e-9)
                    if iou > best_iou:
                        best, best_iou = j, iou
                if best is None or best_iou < 0.5:
                    missing += 1
                    continue
                used.add(best)
                f = ours[best]
                faces += 1
                # Our JSON rounds to 1e-3 px.
                db = float(np.abs(np.array(f["box"]) - cb).max())
                dl = float(np.abs(np.array(f["landmarks"]) - kps).max())
                cos = float(np.dot(embedder(img, kps), np.array(f["embedding"], dtype=np.float64)))
                for key, value, worse in (("box", db, db > worst["box"]), ("landmarks", dl, dl > worst["landmarks"]),
                                          ("cosine", cos, cos < worst["cosine"])):
                    if worse:
                        worst[key] = value
                        where[key] = p.name
                if live is not None and "liveness" in f:
                    dv = abs(live(img, np.array(f["box"])) - f["liveness"]["score"])
                    if dv > worst["liveness"]:
                        worst["liveness"], where["liveness"] = dv, p.name
            extra += len(ours) - len(used)
        print(f"{pack['name']}: {faces} faces matched, {missing} only in the reference, {extra} only in Likeness")
        print(f"  worst box difference       {worst['box']:.4f} px  ({where.get('box', '-')})")
        print(f"  worst landmark difference  {worst['landmarks']:.4f} px  ({where.get('landmarks', '-')})")
        print(f"  worst embedding cosine     {worst['cosine']:.7f}  ({where.get('cosine', '-')})")
        if live is not None:
            print(f"  worst liveness difference  {worst['liveness']:.2e}  ({where.get('liveness', '-')})")
        ok = (missing == 0 and extra == 0 and worst["box"] <= 1 and worst["landmarks"] <= 1 and worst["cosine"] >= 0.999
              and worst["liveness"] <= 1e-3)
        print(f"  {'PASS' if ok else 'FAIL'} (targets: boxes and landmarks within 1 px, cosine >= 0.999, liveness within 1e-3)")


main()
