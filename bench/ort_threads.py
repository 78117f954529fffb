"""ONNX Runtime's intra-op threading on this machine's two cores, for the one-request case
(issue 10's p50 target): YuNet at 256 x 256 and MobileFaceNet, 1 or 2 threads, idle threads
spinning or sleeping. Medians of 300 runs after 30 warm-ups.
    python bench/ort_threads.py [MODEL_DIR]      (bench/onnx_reference_venv.sh gives a python)
"""
import sys, time
import numpy as np, onnx, onnxruntime as ort

models = (sys.argv[1] if len(sys.argv) > 1 else "../shared/models").rstrip("/") + "/"

def freed(path, h, w):
    m = onnx.load(path)
    for i in m.graph.input:
        d = i.type.tensor_type.shape.dim
        if len(d) == 4:
            d[2].dim_value, d[3].dim_value = h, w
    del m.graph.value_info[:]
    for o in m.graph.output:
        for dim in o.type.tensor_type.shape.dim:
            dim.ClearField("dim_value")
    return m.SerializeToString()

def session(model, threads, spin):
    so = ort.SessionOptions()
    so.intra_op_num_threads, so.inter_op_num_threads = threads, 1
    so.add_session_config_entry("session.intra_op.allow_spinning", spin)
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(model, so, providers=["CPUExecutionProvider"])

def median_ms(s, x, n=300):
    name = s.get_inputs()[0].name
    for _ in range(30):
        s.run(None, {name: x})
    times = []
    for _ in range(n):
        t = time.perf_counter()
        s.run(None, {name: x})
        times.append(time.perf_counter() - t)
    return float(np.median(times)) * 1000

if __name__ == "__main__":  # bench/ort_pools.py borrows freed()
    yunet = freed(models + "face_detection_yunet_2022mar.onnx", 256, 256)
    mfn = open(models + "mobilefacenet_128.onnx", "rb").read()
    for threads in (1, 2):
        for spin in ("0", "1"):
            y = median_ms(session(yunet, threads, spin), np.random.rand(1, 3, 256, 256).astype(np.float32) * 255)
            m = median_ms(session(mfn, threads, spin), np.random.rand(1, 3, 112, 112).astype(np.float32))
            print(f"onnxruntime {ort.__version__} threads={threads} spinning={spin}: YuNet@256 {y:.2f} ms, MobileFaceNet {m:.2f} ms", flush=True)
