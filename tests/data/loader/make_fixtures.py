#!/usr/bin/python3
"""Regenerates the loader fixture models with Debian's onnx (/usr/bin/python3).

The .onnx files are committed; run this only to change them:  /usr/bin/python3 make_fixtures.py
They imitate what other exporters write. tests/unit/loader_fixtures_test.cc runs them through the
API and computes the expected values itself (the formulas are mirrored there);
tests/real_models runs them through the CLI and compares with onnxruntime-node.

unsorted_graph.onnx  nodes in reverse order (consumers before producers), a Constant node last
                     that an earlier node reads, and an If whose branches are unsorted too and
                     read an outer-scope value that a node later in the list produces.
                       r = Relu(MatMul(x, W) + b)
                       W = [[1, -1], [0.5, 2], [-1, 0]], b = [0.25, -0.5]
                       y = flag ? r * 3 + 1 : -r
unused_domains.onnx  imports nine domains the graph never uses (as ORT's quantizer and
                     hand-edited files do, among them one no runtime knows) and tags one
                     standard node with the explicit "ai.onnx" domain name.
                       y = Softmax(MatMul(x, W) + b) over the last axis (W, b as above)
"""
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

here = os.path.dirname(os.path.abspath(__file__))

W = np.array([[1, -1], [0.5, 2], [-1, 0]], dtype=np.float32)
B = np.array([0.25, -0.5], dtype=np.float32)


def const(name, value):
    return helper.make_node("Constant", [], [name], name=name + "_node",
                            value=numpy_helper.from_array(value, name))


def unsorted_graph():
    # If branches: written consumer-first, and both read 'r' from the outer graph.
    then_body = helper.make_graph(
        [
            helper.make_node("Add", ["r3", "one"], ["y_then"], name="then_add"),
            helper.make_node("Mul", ["r", "three"], ["r3"], name="then_mul"),
            const("three", np.array(3, dtype=np.float32)),
            const("one", np.array(1, dtype=np.float32)),
        ],
        "then_branch", [], [helper.make_tensor_value_info("y_then", TensorProto.FLOAT, None)])
    else_body = helper.make_graph(
        [helper.make_node("Neg", ["r"], ["y_else"], name="else_neg")],
        "else_branch", [], [helper.make_tensor_value_info("y_else", TensorProto.FLOAT, None)])
    nodes = [
        helper.make_node("If", ["flag"], ["y"], name="branch", then_branch=then_body,
                         else_branch=else_body),
        helper.make_node("Relu", ["a"], ["r"], name="relu"),
        helper.make_node("Add", ["m", "b"], ["a"], name="add_bias"),
        helper.make_node("MatMul", ["x", "W"], ["m"], name="matmul"),
        const("b", B),
    ]
    graph = helper.make_graph(
        nodes, "unsorted",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n", 3]),
         helper.make_tensor_value_info("flag", TensorProto.BOOL, [])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["n", 2]),
         helper.make_tensor_value_info("r", TensorProto.FLOAT, ["n", 2])],
        initializer=[numpy_helper.from_array(W, "W")])
    model = helper.make_model(graph, producer_name="onnxedge-fixture",
                              opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    return model


def unused_domains():
    nodes = [
        helper.make_node("MatMul", ["x", "W"], ["m"], name="matmul"),
        helper.make_node("Add", ["m", "b"], ["a"], name="add_bias", domain="ai.onnx"),
        helper.make_node("Softmax", ["a"], ["y"], name="softmax", axis=-1),
    ]
    graph = helper.make_graph(
        nodes, "unused_domains",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n", 3])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["n", 2])],
        initializer=[numpy_helper.from_array(W, "W"), numpy_helper.from_array(B, "b")])
    domains = [("", 15), ("ai.onnx.ml", 3), ("ai.onnx.preview.training", 1),
               ("ai.onnx.training", 1), ("com.microsoft", 1), ("com.microsoft.experimental", 1),
               ("com.microsoft.nchwc", 1), ("com.ms.internal.nhwc", 19), ("org.pytorch.aten", 1),
               ("com.example.never.heard.of", 7)]
    model = helper.make_model(graph, producer_name="onnxedge-fixture",
                              opset_imports=[helper.make_opsetid(d, v) for d, v in domains])
    model.ir_version = 8
    return model


def main():
    for name, model in (("unsorted_graph.onnx", unsorted_graph()),
                        ("unused_domains.onnx", unused_domains())):
        onnx.save(model, os.path.join(here, name))


if __name__ == "__main__":
    main()
