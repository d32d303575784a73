#!/usr/bin/python3
"""Rewrites a float32 model as float64, to compute a reference that float32 rounding does not
disturb (docs/real_models.md: used where onnxedge and ORT differ by more than the tolerance).

usage: to_float64.py IN.onnx OUT.onnx

Every float tensor (initializers, Constant values, ConstantOfShape values, graph inputs, outputs
and value_info) becomes double and every Cast to float casts to double, except where the operator
definition requires float: the scales input of Resize/Upsample.
"""
import sys

import numpy as np
import onnx
from onnx import TensorProto, numpy_helper

F, D = TensorProto.FLOAT, TensorProto.DOUBLE
FLOAT_ONLY_INPUTS = {"Resize": {2}, "Upsample": {1}}


def must_stay_float(graphs):
    keep = set()
    for g in graphs:
        for n in g.node:
            for i in FLOAT_ONLY_INPUTS.get(n.op_type, ()):
                if i < len(n.input) and n.input[i]:
                    keep.add(n.input[i])
    return keep


def to_double(t):
    if t.data_type != F:
        return t
    d = numpy_helper.from_array(numpy_helper.to_array(t).astype(np.float64), t.name)
    t.CopyFrom(d)
    return t


def all_graphs(g):
    yield g
    for n in g.node:
        for a in n.attribute:
            if a.type == onnx.AttributeProto.GRAPH:
                yield from all_graphs(a.g)
            for sub in a.graphs:
                yield from all_graphs(sub)


def convert(model):
    graphs = list(all_graphs(model.graph))
    keep = must_stay_float(graphs)
    for g in graphs:
        for t in g.initializer:
            if t.name not in keep:
                to_double(t)
        for n in g.node:
            for a in n.attribute:
                if a.type == onnx.AttributeProto.TENSOR and not (n.op_type == "Constant" and
                                                                 n.output[0] in keep):
                    to_double(a.t)
                if n.op_type == "Cast" and a.name == "to" and a.i == F:
                    a.i = D
        for vi in list(g.input) + list(g.output) + list(g.value_info):
            tt = vi.type.tensor_type
            if tt.elem_type == F and vi.name not in keep:
                tt.elem_type = D
    return model


if __name__ == "__main__":
    onnx.save(convert(onnx.load(sys.argv[1])), sys.argv[2])
