"""Static int8 quantization (QDQ, per-channel int8 weights, uint8 activations) of an ONNX
recognizer with onnxruntime's tools, calibrated on faces from bench/quantize_crops.py.

    quantize_model.py FLOAT.onnx CROPS.npy OUT.onnx
"""
import sys

import numpy as np
import onnx
import onnx.version_converter
from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static
from onnxruntime.quantization.shape_inference import quant_pre_process


class Faces(CalibrationDataReader):
    def __init__(self, crops, name):
        self.items = iter([{name: c[None]} for c in crops])

    def get_next(self):
        return next(self.items, None)


source, crops, out = sys.argv[1:4]
# Per-channel scales need DequantizeLinear's axis, which opsets before 13 lack.
upgraded = out + ".opset13.onnx"
model = onnx.load(source)
if max(o.version for o in model.opset_import if o.domain in ("", "ai.onnx")) < 13:
    model = onnx.version_converter.convert_version(model, 13)
onnx.save(model, upgraded)
prepared = out + ".pre.onnx"
quant_pre_process(upgraded, prepared)
name = onnx.load(prepared).graph.input[0].name
quantize_static(prepared, out, Faces(np.load(crops), name), quant_format=QuantFormat.QDQ, per_channel=True,
                weight_type=QuantType.QInt8, activation_type=QuantType.QUInt8)
print(f"wrote {out}", file=sys.stderr)
