#!/usr/bin/python3
"""Writes one-op ONNX models that exercise the vectorised non-GEMM kernels (docs/performance.md,
section "Vectorised ops"). Usage: /usr/bin/python3 scripts/make_vector_op_models.py OUT_DIR"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def save(out_dir, name, nodes, inputs, output_name, inits=(), opset=17):
    graph = helper.make_graph(
        nodes, name,
        [helper.make_tensor_value_info(n, TensorProto.FLOAT, s) for n, s in inputs],
        [helper.make_tensor_value_info(output_name, TensorProto.FLOAT, None)],
        initializer=list(inits))
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 8
    onnx.save(model, os.path.join(out_dir, name + ".onnx"))


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(0)
    # BERT-base shapes: 8 sequences x 128 tokens x 768 hidden, 12 heads.
    save(out, "layernorm_1024x768",
         [helper.make_node("LayerNormalization", ["x", "g", "b"], ["y"], axis=-1, epsilon=1e-5)],
         [("x", [1024, 768])], "y",
         [numpy_helper.from_array(rng.standard_normal(768).astype(np.float32), "g"),
          numpy_helper.from_array(rng.standard_normal(768).astype(np.float32), "b")])
    save(out, "softmax_96x128x128", [helper.make_node("Softmax", ["x"], ["y"], axis=-1)],
         [("x", [96, 128, 128])], "y", opset=13)
    save(out, "softmax_axis1_8x128x1024", [helper.make_node("Softmax", ["x"], ["y"], axis=1)],
         [("x", [8, 128, 1024])], "y", opset=13)
    save(out, "add_rowbcast_1024x768",
         [helper.make_node("Add", ["x", "b"], ["y"])], [("x", [1024, 768])], "y",
         [numpy_helper.from_array(rng.standard_normal(768).astype(np.float32), "b")])
    save(out, "mul_same_1024x768", [helper.make_node("Mul", ["x", "z"], ["y"])],
         [("x", [1024, 768]), ("z", [1024, 768])], "y")
    save(out, "reducemean_last_1024x768",
         [helper.make_node("ReduceMean", ["x"], ["y"], axes=[-1], keepdims=1)],
         [("x", [1024, 768])], "y", opset=13)
    save(out, "reducesum_axis1_8x512x768",
         [helper.make_node("ReduceSum", ["x", "a"], ["y"], keepdims=0)],
         [("x", [8, 512, 768])], "y",
         [numpy_helper.from_array(np.array([1], dtype=np.int64), "a")], opset=13)
    save(out, "reducemax_last_1024x768",
         [helper.make_node("ReduceMax", ["x"], ["y"], axes=[-1], keepdims=1)],
         [("x", [1024, 768])], "y", opset=13)
    save(out, "gelu_erf_1024x768", [helper.make_node("Gelu", ["x"], ["y"])],
         [("x", [1024, 768])], "y", opset=20)
    save(out, "maxpool_1x64x112x112",
         [helper.make_node("MaxPool", ["x"], ["y"], kernel_shape=[3, 3], strides=[2, 2],
                           pads=[1, 1, 1, 1])], [("x", [1, 64, 112, 112])], "y")
    save(out, "avgpool3x3s1_1x64x56x56",
         [helper.make_node("AveragePool", ["x"], ["y"], kernel_shape=[3, 3], strides=[1, 1],
                           pads=[1, 1, 1, 1])], [("x", [1, 64, 56, 56])], "y")
    save(out, "globalavgpool_1x2048x7x7", [helper.make_node("GlobalAveragePool", ["x"], ["y"])],
         [("x", [1, 2048, 7, 7])], "y")
    save(out, "globalavgpool_1x256x56x56", [helper.make_node("GlobalAveragePool", ["x"], ["y"])],
         [("x", [1, 256, 56, 56])], "y")
    save(out, "transpose_0213_8x128x12x64",
         [helper.make_node("Transpose", ["x"], ["y"], perm=[0, 2, 1, 3])],
         [("x", [8, 128, 12, 64])], "y")


if __name__ == "__main__":
    main()
