"""One lone request's two passes (YuNet at 256 x 256, then MobileFaceNet), as the server runs them,
with a short idle gap between requests: each session with its own pool of 2 intra-op threads (what
the shim did before) against one process-wide pool of 2 shared by both sessions (ORT's global
thread pools, what the shim does now). Medians and means of 300 requests after 30 warm-ups; each mode in its own process,
since the global pools must be set before the first session. Idle threads sleep in both modes.
    python bench/ort_pools.py [MODEL_DIR]      (bench/onnx_reference_venv.sh gives a python)
"""
import subprocess, sys, time
import numpy as np, onnxruntime as ort
from ort_threads import freed  # YuNet with its input freed to a given size

models = (sys.argv[1] if len(sys.argv) > 1 else "../shared/models").rstrip("/") + "/"


def measure(mode):
    shared = mode == "global"
    if shared:
        ort.capi._pybind_state.set_global_thread_pool_sizes(2, 1)

    def session(model):
        so = ort.SessionOptions()
        so.inter_op_num_threads = 1
        if shared:
            so.use_per_session_threads = False
        else:
            so.intra_op_num_threads = 2
        so.add_session_config_entry("session.intra_op.allow_spinning", "0")
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        return ort.InferenceSession(model, so, providers=["CPUExecutionProvider"])

    det, emb = session(freed(models + "face_detection_yunet_2022mar.onnx", 256, 256)), session(open(models + "mobilefacenet_128.onnx", "rb").read())
    xd = np.random.rand(1, 3, 256, 256).astype(np.float32) * 255
    xe = np.random.rand(1, 3, 112, 112).astype(np.float32)
    dn, en = det.get_inputs()[0].name, emb.get_inputs()[0].name
    d, e = [], []
    for k in range(330):
        t0 = time.perf_counter()
        det.run(None, {dn: xd})
        t1 = time.perf_counter()
        emb.run(None, {en: xe})
        t2 = time.perf_counter()
        time.sleep(0.002)  # decode, search, HTTP: the pools go idle between requests
        if k >= 30:
            d.append((t1 - t0) * 1000)
            e.append((t2 - t1) * 1000)
    print(f"onnxruntime {ort.__version__} {mode:>11} pools: YuNet@256 {np.median(d):.2f} ms (mean {np.mean(d):.2f}), "
          f"MobileFaceNet {np.median(e):.2f} ms (mean {np.mean(e):.2f}), both {np.median(np.add(d, e)):.2f} ms", flush=True)


if len(sys.argv) > 2:
    measure(sys.argv[2])
else:
    for _ in range(2):
        for mode in ("per-session", "global"):
            subprocess.run([sys.executable, __file__, models, mode], check=True)
