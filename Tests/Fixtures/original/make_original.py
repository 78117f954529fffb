"""Recreates an original deployment's files for the import test (Tests/.../ImportOriginalTests):
the FAISS index and its .npz metadata, as the original Python system kept them, and its people
table as a MySQL dump. The vectors are made by ../shared/seedstack's pipeline (YuNet +
MobileFaceNet 128-d through onnxruntime, the original's alignment) from the second and third photo
of the first 12 LFW DevTrain people with at least two photos; the test asks about each one's
first photo. Run with the seedstack venv:

    bash ../shared/seedstack/setup.sh
    PACK=yunet /tmp/seedstack-venv/bin/python Tests/Fixtures/original/make_original.py
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SHARED = os.path.join(HERE, "..", "..", "..", "..", "shared")
sys.path.insert(0, os.path.join(SHARED, "seedstack"))
os.environ.setdefault("PACK", "yunet")

import faiss  # noqa: E402
import numpy as np  # noqa: E402
import server  # noqa: E402  (seedstack's pipeline; nothing is served)

lfw = os.path.join(SHARED, "faces", "lfw-devtrain")
pipeline = server.Pipeline()
people, vectors, ids, class_ids = [], [], [], []
image_id = 1000
for person in sorted(os.listdir(lfw)):
    folder = os.path.join(lfw, person)
    if not os.path.isdir(folder):
        continue
    files = sorted(f for f in os.listdir(folder) if f.endswith(".jpg"))
    if len(files) < 2:
        continue
    people.append(person)
    for name in files[1:3]:
        with open(os.path.join(folder, name), "rb") as f:
            emb, _ = pipeline.embed_largest(f.read())
        vectors.append(emb)
        ids.append(image_id)
        class_ids.append(person)
        image_id += 7  # the original's ids are not positions
    if len(people) == 12:
        break

index = faiss.IndexIDMap2(faiss.IndexFlatIP(vectors[0].shape[0]))
index.add_with_ids(np.stack(vectors).astype(np.float32), np.array(ids, dtype=np.int64))
faiss.write_index(index, os.path.join(HERE, "faiss_index.index"))
np.savez(os.path.join(HERE, "faiss_index.npz"), ids=np.array(ids, dtype=np.int64), class_ids=np.array(class_ids))
with open(os.path.join(HERE, "nguoi.sql"), "w") as f:
    f.write("CREATE TABLE nguoi (class_id VARCHAR(100) NOT NULL PRIMARY KEY, name VARCHAR(255) NOT NULL, info TEXT);\n")
    for n, person in enumerate(people):
        f.write(f"INSERT INTO nguoi (class_id, name, info) VALUES ('{person}', '{person.replace('_', ' ')}', 'Employee ID: {10000 + n}');\n")
print(f"{len(vectors)} vectors of {len(people)} people, faiss {faiss.__version__}")
