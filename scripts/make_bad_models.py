#!/usr/bin/python3
"""Writes the corpus of broken and hostile model files that tests/bad_models checks.

Every case is one file plus one line in DIR/MANIFEST:

    <file> <TAB> <mode> <TAB> <status code> <TAB> <needle> [<TAB> <needle> ...]

mode "load": loading must fail with that code and a one-line message containing every needle.
mode "run":  loading must succeed; one run (zero-filled inputs of the declared shapes, a
             deadline) must fail with that code and message, before allocating beyond the
             session memory limit.

    make_bad_models.py --small DIR      the small files, committed under tests/data/bad_models
    make_bad_models.py --generated DIR  cases that cannot be committed (symlinks, hard links,
                                        large or deep files); the test writes them at run time

Needs Debian's python3-onnx (run with /usr/bin/python3). Output is deterministic.
"""
import argparse
import os
import random
import struct
import sys

import onnx
from onnx import TensorProto, helper

OPSET = 17
cases = []  # (file, mode, code, needles)


def model(nodes, inputs, outputs, initializers=(), opset=OPSET, extra_opsets=(), functions=(),
          sparse=(), ir_version=8):
    graph = helper.make_graph(nodes, "g", inputs, outputs, initializer=list(initializers),
                              sparse_initializer=list(sparse))
    opsets = [helper.make_opsetid("", opset)] + [helper.make_opsetid(d, v) for d, v in extra_opsets]
    m = helper.make_model(graph, opset_imports=opsets, producer_name="make_bad_models",
                          functions=list(functions))
    m.ir_version = ir_version
    return m


def fvi(name, shape):
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, shape)


def add_model(initializers=(), sparse=()):
    """Y = Add(X, W) with X float[4]; the caller provides W."""
    return model([helper.make_node("Add", ["X", "W"], ["Y"], name="add")], [fvi("X", [4])],
                 [fvi("Y", [4])], initializers, sparse=sparse)


def raw_tensor(name, dims, raw, dtype=TensorProto.FLOAT):
    t = TensorProto()
    t.name = name
    t.data_type = dtype
    t.dims.extend(dims)
    t.raw_data = raw
    return t


def external_tensor(name, location, offset=None, length=None, dims=(4,), dtype=TensorProto.FLOAT):
    t = TensorProto()
    t.name = name
    t.data_type = dtype
    t.dims.extend(dims)
    t.data_location = TensorProto.EXTERNAL
    for key, value in (("location", location), ("offset", offset), ("length", length)):
        if value is not None:
            kv = t.external_data.add()
            kv.key = key
            kv.value = str(value)
    return t


def write(out, name, data, mode, code, *needles):
    with open(os.path.join(out, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.SerializeToString())
    cases.append((name, mode, code, needles))


# --- Raw protobuf encoding, for files the onnx package refuses to build --------------------------

def varint(v):
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        if v:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def field(number, wire, payload):
    tag = varint((number << 3) | wire)
    if wire == 2:
        return tag + varint(len(payload)) + payload
    return tag + payload


def deep_if_model(depth):
    """ModelProto whose graph nests If subgraphs `depth` levels deep, encoded by hand (the onnx
    package cannot serialize messages this deep)."""
    leaf = field(1, 2, field(1, 2, b"X") + field(2, 2, b"Y") + field(4, 2, b"Identity")) + \
        field(12, 2, field(1, 2, b"Y"))  # GraphProto{node, output}
    g = leaf
    for _ in range(depth):
        attr = field(1, 2, b"then_branch") + field(20, 0, varint(5)) + field(6, 2, g)
        node = field(1, 2, b"C") + field(2, 2, b"Y") + field(4, 2, b"If") + field(5, 2, attr)
        g = field(1, 2, node) + field(12, 2, field(1, 2, b"Y"))
    opset = field(2, 0, varint(OPSET))
    return field(1, 0, varint(8)) + field(8, 2, opset) + field(7, 2, g)


# --- The committed corpus ------------------------------------------------------------------------

def small(out):
    ok = add_model([helper.make_tensor("W", TensorProto.FLOAT, [4], [1, 2, 3, 4])])
    ok_bytes = ok.SerializeToString()

    # Not a model at all.
    write(out, "empty.onnx", b"", "load", "InvalidModel", "the file is empty")
    rng = random.Random(7)
    write(out, "random_bytes.onnx", bytes(rng.getrandbits(8) for _ in range(4096)), "load",
          "InvalidModel", "not a valid ONNX model")
    write(out, "truncated.onnx", ok_bytes[:len(ok_bytes) // 2], "load", "InvalidModel",
          "not a valid ONNX model", "truncated")
    # Field 1 (ir_version, an int64) sent as a length-delimited string.
    write(out, "wrong_wire_type_ir_version.onnx", field(1, 2, b"abc") + ok_bytes[2:], "load",
          "InvalidModel", "ir_version", "wire type")
    # Field 7 (graph, a message) sent as a varint.
    write(out, "wrong_wire_type_graph.onnx", field(1, 0, varint(8)) + field(7, 0, varint(3)),
          "load", "InvalidModel", "graph", "wire type")
    # A tensor's data_type (int32) sent as a fixed64.
    t = raw_tensor("W", [4], b"\0" * 16).SerializeToString()
    bad_t = t.replace(field(2, 0, varint(1)), field(2, 1, b"\1" + b"\0" * 7))
    g = field(1, 2, field(1, 2, b"X") + field(1, 2, b"W") + field(2, 2, b"Y") +
              field(4, 2, b"Add")) + field(5, 2, bad_t)
    write(out, "wrong_wire_type_data_type.onnx",
          field(1, 0, varint(8)) + field(8, 2, field(2, 0, varint(OPSET))) + field(7, 2, g),
          "load", "InvalidModel", "data_type", "wire type")
    write(out, "bad_varint.onnx", field(1, 0, b"\xff" * 11), "load", "InvalidModel",
          "not a valid ONNX model", "varint")
    write(out, "group_wire_type.onnx", varint((7 << 3) | 3) + varint((7 << 3) | 4), "load",
          "InvalidModel", "not a valid ONNX model", "group")
    write(out, "no_graph.onnx", field(1, 0, varint(8)) + field(8, 2, field(2, 0, varint(OPSET))),
          "load", "InvalidModel", "no graph")
    m = add_model([helper.make_tensor("W", TensorProto.FLOAT, [4], [1, 2, 3, 4])])
    m.ir_version = 99
    write(out, "ir_version_99.onnx", m, "load", "InvalidModel", "IR version 99")
    m = add_model([helper.make_tensor("W", TensorProto.FLOAT, [4], [1, 2, 3, 4])])
    m.opset_import[0].version = 1000
    write(out, "opset_1000.onnx", m, "load", "NotImplemented", "opset 1000")
    # Nesting beyond protobuf's limit of 100 (the 10,000-deep file is generated at test time).
    write(out, "nested_subgraphs_150.onnx", deep_if_model(150), "load", "InvalidModel",
          "nested deeper than 100", "graph.node.attribute.g")

    # Tensors.
    write(out, "dims_overflow.onnx", add_model([raw_tensor("W", [1 << 40, 1 << 40], b"")]),
          "load", "InvalidModel", "tensor 'W'", "overflows")
    write(out, "dims_overflow_many.onnx",
          add_model([raw_tensor("W", [1 << 20] * 4 + [4], b"")]), "load", "InvalidModel",
          "tensor 'W'", "overflows")
    write(out, "negative_dim.onnx", add_model([raw_tensor("W", [-4], b"\0" * 16)]), "load",
          "InvalidModel", "tensor 'W'", "negative dim -4")
    write(out, "raw_data_short.onnx", add_model([raw_tensor("W", [4], b"\0" * 12)]), "load",
          "InvalidModel", "tensor 'W'", "raw_data has 12 bytes", "need 16")
    write(out, "raw_data_long.onnx", add_model([raw_tensor("W", [4], b"\0" * 20)]), "load",
          "InvalidModel", "tensor 'W'", "raw_data has 20 bytes")
    t = TensorProto(name="W", data_type=TensorProto.FLOAT, dims=[4], float_data=[1, 2, 3])
    write(out, "typed_data_short.onnx", add_model([t]), "load", "InvalidModel", "tensor 'W'",
          "has 3 values", "need 4")
    # 1e12 elements declared, no data: refused by the element limit before any allocation.
    write(out, "memory_bomb_1e12.onnx", add_model([raw_tensor("W", [10**12], b"")]), "load",
          "InvalidModel", "tensor 'W'", "1000000000000 elements", "more than the limit")
    # 1e9 floats (4 GB) declared, below the element limit, with no data.
    write(out, "memory_bomb_1e9_no_data.onnx", add_model([raw_tensor("W", [10**9], b"")]),
          "load", "InvalidModel", "tensor 'W'", "raw_data has 0 bytes")
    t = TensorProto(name="W", data_type=TensorProto.STRING, dims=[10**9])
    t.string_data.append(b"x")
    write(out, "string_tensor_huge_claim.onnx", add_model([t]), "load", "InvalidModel",
          "tensor 'W'", "has 1 strings")
    t = TensorProto(name="W", data_type=TensorProto.FLOAT, dims=[4])
    write(out, "tensor_no_data.onnx", add_model([t]), "load", "InvalidModel", "tensor 'W'",
          "has 0 values")
    t = raw_tensor("W", [4], b"\0" * 16, dtype=0)
    write(out, "tensor_undefined_type.onnx", add_model([t]), "load", "InvalidModel", "tensor 'W'",
          "no data_type")
    t = raw_tensor("W", [4], b"\0" * 16, dtype=77)
    write(out, "tensor_unknown_type.onnx", add_model([t]), "load", "NotImplemented", "tensor 'W'",
          "element type 77")
    write(out, "initializer_duplicate.onnx",
          add_model([raw_tensor("W", [4], b"\0" * 16), raw_tensor("W", [4], b"\0" * 16)]),
          "load", "InvalidModel", "duplicate initializer 'W'")

    # Sparse tensors.
    def sparse(dims, values, indices, index_dims=None, name="W"):
        v = TensorProto(name=name, data_type=TensorProto.FLOAT, dims=[len(values)],
                        float_data=values)
        i = TensorProto(data_type=TensorProto.INT64,
                        dims=index_dims if index_dims else [len(indices)], int64_data=indices)
        sp = onnx.SparseTensorProto(dims=dims)
        sp.values.CopyFrom(v)
        sp.indices.CopyFrom(i)
        return sp
    write(out, "sparse_index_out_of_range.onnx", add_model(sparse=[sparse([4], [1.0], [4])]),
          "load", "InvalidModel", "sparse tensor 'W'", "index 4 out of range")
    write(out, "sparse_index_negative.onnx", add_model(sparse=[sparse([4], [1.0], [-1])]),
          "load", "InvalidModel", "sparse tensor 'W'", "out of range")
    write(out, "sparse_coordinate_out_of_range.onnx",
          add_model(sparse=[sparse([2, 2], [1.0], [0, 7], index_dims=[1, 2])]), "load",
          "InvalidModel", "sparse tensor 'W'", "out of range")
    write(out, "sparse_indices_count_mismatch.onnx",
          add_model(sparse=[sparse([4], [1.0, 2.0], [1])]), "load", "InvalidModel",
          "sparse tensor 'W'", "does not match 2 values")
    write(out, "sparse_dense_1e12.onnx", add_model(sparse=[sparse([10**12], [1.0], [0])]),
          "load", "InvalidModel", "sparse tensor 'W'", "more than the limit")
    # 2^32 dense floats (16 GiB) from a few bytes: the memory limit refuses the densification.
    write(out, "sparse_densify_bomb.onnx", add_model(sparse=[sparse([1 << 32], [1.0], [0])]),
          "load", "OutOfMemory", "'W'", "memory limit")
    write(out, "sparse_dims_overflow.onnx",
          add_model(sparse=[sparse([1 << 40, 1 << 40], [1.0], [0])]), "load", "InvalidModel",
          "sparse tensor 'W'", "overflows")

    # External data (the symlink, hard link and large cases are generated at test time).
    with open(os.path.join(out, "weights.bin"), "wb") as f:
        f.write(struct.pack("<4f", 1, 2, 3, 4))
    write(out, "external_absolute.onnx", add_model([external_tensor("W", "/etc/passwd")]),
          "load", "InvalidModel", "tensor 'W'", "'/etc/passwd' is an absolute path")
    write(out, "external_dotdot.onnx",
          add_model([external_tensor("W", "../../../../etc/passwd")]), "load", "InvalidModel",
          "tensor 'W'", "contains '..'")
    write(out, "external_dotdot_inner.onnx",
          add_model([external_tensor("W", "sub/../../weights.bin")]), "load", "InvalidModel",
          "tensor 'W'", "contains '..'")
    write(out, "external_missing.onnx", add_model([external_tensor("W", "missing.bin")]), "load",
          "InvalidModel", "tensor 'W'", "missing.bin", "does not exist")
    write(out, "external_offset_past_end.onnx",
          add_model([external_tensor("W", "weights.bin", offset=100)]), "load", "InvalidModel",
          "tensor 'W'", "offset 100 is past the end")
    write(out, "external_length_past_end.onnx",
          add_model([external_tensor("W", "weights.bin", offset=8, length=16)]), "load",
          "InvalidModel", "tensor 'W'", "past the end")
    write(out, "external_offset_length_overflow.onnx",
          add_model([external_tensor("W", "weights.bin", offset=8,
                                      length=(1 << 63) - 1)]), "load",
          "InvalidModel", "tensor 'W'", "past the end")
    write(out, "external_offset_huge.onnx",
          add_model([external_tensor("W", "weights.bin", offset=(1 << 63) - 1)]), "load",
          "InvalidModel", "tensor 'W'", "past the end")
    write(out, "external_offset_not_a_number.onnx",
          add_model([external_tensor("W", "weights.bin", offset="12abc")]), "load",
          "InvalidModel", "tensor 'W'", "'offset' is not a non-negative integer")
    write(out, "external_offset_negative.onnx",
          add_model([external_tensor("W", "weights.bin", offset=-4)]), "load", "InvalidModel",
          "tensor 'W'", "'offset' is not a non-negative integer")
    write(out, "external_offset_too_big_for_int64.onnx",
          add_model([external_tensor("W", "weights.bin", offset="99999999999999999999")]),
          "load", "InvalidModel", "tensor 'W'", "'offset' is not a non-negative integer")
    write(out, "external_length_mismatch.onnx",
          add_model([external_tensor("W", "weights.bin", length=8)]), "load", "InvalidModel",
          "tensor 'W'", "length 8 does not match")
    write(out, "external_directory.onnx", add_model([external_tensor("W", ".")]), "load",
          "InvalidModel", "tensor 'W'", "not a regular file")
    write(out, "external_empty_location.onnx", add_model([external_tensor("W", "")]), "load",
          "InvalidModel", "tensor 'W'", "empty location")
    write(out, "external_no_location.onnx",
          add_model([external_tensor("W", None, offset=0)]), "load", "InvalidModel",
          "tensor 'W'", "empty location")
    write(out, "external_string_tensor.onnx",
          add_model([external_tensor("W", "weights.bin", dtype=TensorProto.STRING)]), "load",
          "InvalidModel", "tensor 'W'", "string tensors cannot be external")
    write(out, "external_memory_bomb.onnx",
          add_model([external_tensor("W", "weights.bin", dims=[10**12])]), "load",
          "InvalidModel", "tensor 'W'", "more than the limit")

    # Graph structure.
    x = [fvi("X", [2])]
    write(out, "graph_cycle.onnx",
          model([helper.make_node("Add", ["X", "B"], ["A"], name="first"),
                 helper.make_node("Relu", ["A"], ["B"], name="second")], x, [fvi("B", [2])]),
          "load", "InvalidModel", "cycle", "node '")
    write(out, "graph_self_loop.onnx",
          model([helper.make_node("Add", ["X", "A"], ["A"], name="selfish")], x, [fvi("A", [2])]),
          "load", "InvalidModel", "node 'selfish'", "consumes its own output 'A'")
    write(out, "graph_dangling_input.onnx",
          model([helper.make_node("Add", ["X", "ghost"], ["Y"], name="adder")], x,
                [fvi("Y", [2])]),
          "load", "InvalidModel", "node 'adder'", "'ghost' which no node")
    write(out, "graph_output_not_produced.onnx",
          model([helper.make_node("Relu", ["X"], ["Y"], name="r")], x, [fvi("Z", [2])]),
          "load", "InvalidModel", "output 'Z' is not produced")
    write(out, "duplicate_producer.onnx",
          model([helper.make_node("Relu", ["X"], ["Y"], name="r1"),
                 helper.make_node("Relu", ["X"], ["Y"], name="r2")], x, [fvi("Y", [2])]),
          "load", "InvalidModel", "value 'Y' is produced by both", "'r1'", "'r2'")
    write(out, "duplicate_graph_input.onnx",
          model([helper.make_node("Relu", ["X"], ["Y"], name="r")], x + x, [fvi("Y", [2])]),
          "load", "InvalidModel", "duplicate input name 'X'")
    write(out, "node_writes_graph_input.onnx",
          model([helper.make_node("Relu", ["X"], ["X"], name="r")], x, [fvi("X", [2])]),
          "load", "InvalidModel", "node 'r'", "graph input 'X'")
    write(out, "node_writes_initializer.onnx",
          model([helper.make_node("Relu", ["X"], ["W"], name="r")], x, [fvi("W", [2])],
                [raw_tensor("W", [2], b"\0" * 8)]),
          "load", "InvalidModel", "node 'r'", "initializer 'W'")
    write(out, "node_no_op_type.onnx",
          model([helper.make_node("", ["X"], ["Y"], name="anon")], x, [fvi("Y", [2])]),
          "load", "InvalidModel", "node 'anon'", "no op_type")
    body = helper.make_graph([helper.make_node("Relu", ["ghost"], ["o"], name="inner")], "body",
                             [], [fvi("o", [2])])
    write(out, "subgraph_dangling_input.onnx",
          model([helper.make_node("If", ["C"], ["Y"], name="branch", then_branch=body,
                                  else_branch=body)],
                [helper.make_tensor_value_info("C", TensorProto.BOOL, [])], [fvi("Y", [2])]),
          "load", "InvalidModel", "node 'branch'", "'ghost' which no node")

    # Ops, domains, opsets.
    write(out, "unknown_op_custom_domain.onnx",
          model([helper.make_node("Frobnicate", ["X"], ["Y"], name="frob",
                                  domain="com.example")], x, [fvi("Y", [2])],
                extra_opsets=[("com.example", 3)]),
          "load", "NotImplemented", "Frobnicate", "com.example", "opset 3")
    write(out, "unknown_op_default_domain.onnx",
          model([helper.make_node("NoSuchOp", ["X"], ["Y"], name="nso")], x, [fvi("Y", [2])]),
          "load", "NotImplemented", "NoSuchOp", "ai.onnx", "opset 17")
    write(out, "domain_not_imported.onnx",
          model([helper.make_node("Frobnicate", ["X"], ["Y"], name="frob",
                                  domain="com.example")], x, [fvi("Y", [2])]),
          "load", "InvalidModel", "node 'frob'", "domain 'com.example'", "does not import")
    m = model([helper.make_node("Relu", ["X"], ["Y"], name="r")], x, [fvi("Y", [2])],
              extra_opsets=[("", 13)])
    write(out, "domain_imported_twice.onnx", m, "load", "InvalidModel", "imported more than once")
    m = model([helper.make_node("Relu", ["X"], ["Y"], name="r")], x, [fvi("Y", [2])],
              extra_opsets=[("com.example", 0)])
    write(out, "opset_version_zero.onnx", m, "load", "InvalidModel", "com.example",
          "invalid version 0")

    # Attributes.
    def node_with(op, inputs, attrs, name="n", outputs=("Y",)):
        n = helper.make_node(op, inputs, list(outputs), name=name)
        n.attribute.extend(attrs)
        return n
    perm_float = helper.make_attribute("perm", 1.5)
    write(out, "attribute_wrong_type.onnx",
          model([node_with("Transpose", ["X"], [perm_float], "tr")], [fvi("X", [2, 3])],
                [fvi("Y", [3, 2])]),
          "load", "InvalidModel", "node 'tr' (Transpose)", "perm")
    # Declared INTS but the payload is a float: type confusion.
    a = onnx.AttributeProto(name="perm", type=onnx.AttributeProto.INTS, f=1.0)
    write(out, "attribute_type_confusion.onnx",
          model([node_with("Transpose", ["X"], [a], "tr")], [fvi("X", [2, 3])],
                [fvi("Y", [3, 2])]),
          "load", "InvalidModel", "node 'tr' (Transpose)", "attribute 'perm'", "ints",
          "float")
    a = onnx.AttributeProto(name="to", type=onnx.AttributeProto.INT, i=1, s=b"FLOAT")
    write(out, "attribute_two_values.onnx",
          model([node_with("Cast", ["X"], [a], "cast")], x, [fvi("Y", [2])]),
          "load", "InvalidModel", "node 'cast' (Cast)", "attribute 'to'", "more than one")
    # AttributeProto.type = 77, which the onnx package refuses to write: patch the bytes.
    a = onnx.AttributeProto(name="alpha", type=onnx.AttributeProto.FLOAT, f=1.0)
    data = model([node_with("LeakyRelu", ["X"], [a], "lr")], x, [fvi("Y", [2])])
    data = data.SerializeToString()
    assert data.count(b"\xa0\x01\x01") == 1
    write(out, "attribute_unknown_type.onnx", data.replace(b"\xa0\x01\x01", b"\xa0\x01\x4d"),
          "load", "InvalidModel", "type", "unknown value 77")
    a = onnx.AttributeProto(name="alpha")
    write(out, "attribute_no_value.onnx",
          model([node_with("LeakyRelu", ["X"], [a], "lr")], x, [fvi("Y", [2])]),
          "load", "InvalidModel", "node 'lr' (LeakyRelu)", "attribute 'alpha'", "no value")
    write(out, "attribute_missing_required.onnx",
          model([node_with("Cast", ["X"], [], "cast")], x, [fvi("Y", [2])]),
          "load", "InvalidModel", "node 'cast' (Cast)", "to")
    write(out, "attribute_duplicate.onnx",
          model([node_with("LeakyRelu", ["X"], [helper.make_attribute("alpha", 0.1),
                                                helper.make_attribute("alpha", 0.2)], "lr")],
                x, [fvi("Y", [2])]),
          "load", "InvalidModel", "node 'lr' (LeakyRelu)", "attribute 'alpha' twice")
    write(out, "attribute_unknown_name.onnx",
          model([node_with("Relu", ["X"], [helper.make_attribute("bogus", 1)], "r")], x,
                [fvi("Y", [2])]),
          "load", "InvalidModel", "node 'r' (Relu)", "bogus")
    write(out, "attribute_graph_missing.onnx",
          model([node_with("If", ["C"], [onnx.AttributeProto(
              name="then_branch", type=onnx.AttributeProto.GRAPH)], "branch")],
              [helper.make_tensor_value_info("C", TensorProto.BOOL, [])], [fvi("Y", [2])]),
          "load", "InvalidModel", "node 'branch' (If)", "then_branch", "holds none")
    write(out, "too_many_inputs.onnx",
          model([helper.make_node("Relu", ["X", "X"], ["Y"], name="r")], x, [fvi("Y", [2])]),
          "load", "InvalidModel", "node 'r' (Relu)")
    write(out, "constant_two_values.onnx",
          model([node_with("Constant", [], [helper.make_attribute("value_float", 1.0),
                                            helper.make_attribute("value_int", 1)], "c")],
                [], [fvi("Y", [])]),
          "load", "InvalidModel", "node 'c' (Constant)")
    # Attributes with absurd values, refused when the kernel is created.
    write(out, "transpose_perm_out_of_range.onnx",
          model([node_with("Transpose", ["X"], [helper.make_attribute("perm", [0, 1 << 40])],
                           "tr")], [fvi("X", [2, 3])], [fvi("Y", [3, 2])]),
          "load", "InvalidModel", "node 'tr' (Transpose)", "perm")
    body = helper.make_graph([helper.make_node("Identity", ["s"], ["s_out"], name="id"),
                              helper.make_node("Identity", ["x"], ["y"], name="id2")], "body",
                             [fvi("s", [2]), fvi("x", [2])], [fvi("s_out", [2]), fvi("y", [2])])
    for name, value in (("huge", 1 << 40), ("negative", -5)):
        write(out, "scan_num_scan_inputs_%s.onnx" % name,
              model([node_with("Scan", ["S", "X"],
                               [helper.make_attribute("body", body),
                                helper.make_attribute("num_scan_inputs", value)], "scan",
                               outputs=("S_out", "Y"))],
                    [fvi("S", [2]), fvi("X", [3, 2])], [fvi("S_out", [2]), fvi("Y", [3, 2])]),
              "load", "InvalidModel", "node 'scan' (Scan)", "num_scan_inputs")
    write(out, "scan_axes_out_of_range.onnx",
          model([node_with("Scan", ["S", "X"],
                           [helper.make_attribute("body", body),
                            helper.make_attribute("num_scan_inputs", 1),
                            helper.make_attribute("scan_input_axes", [1 << 40])], "scan",
                           outputs=("S_out", "Y"))],
                [fvi("S", [2]), fvi("X", [3, 2])], [fvi("S_out", [2]), fvi("Y", [3, 2])]),
          "run", "InvalidArgument", "node 'scan' (Scan)", "axis")

    # Functions.
    rec = helper.make_function("local", "Rec", ["a"], ["b"],
                               [helper.make_node("Rec", ["a"], ["t"], domain="local"),
                                helper.make_node("Rec", ["t"], ["b"], domain="local")],
                               [helper.make_opsetid("", OPSET), helper.make_opsetid("local", 1)])
    write(out, "function_recursive.onnx",
          model([helper.make_node("Rec", ["X"], ["Y"], name="rec", domain="local")], x,
                [fvi("Y", [2])], extra_opsets=[("local", 1)], functions=[rec]),
          "load", "InvalidModel", "function 'local.Rec' is recursive", "local.Rec -> local.Rec")
    fa = helper.make_function("local", "A", ["a"], ["b"],
                              [helper.make_node("B", ["a"], ["b"], domain="local")],
                              [helper.make_opsetid("", OPSET), helper.make_opsetid("local", 1)])
    fb = helper.make_function("local", "B", ["a"], ["b"],
                              [helper.make_node("A", ["a"], ["b"], domain="local")],
                              [helper.make_opsetid("", OPSET), helper.make_opsetid("local", 1)])
    write(out, "function_mutually_recursive.onnx",
          model([helper.make_node("A", ["X"], ["Y"], name="a", domain="local")], x,
                [fvi("Y", [2])], extra_opsets=[("local", 1)], functions=[fa, fb]),
          "load", "InvalidModel", "is recursive", "local.A -> local.B")
    # Not recursive, but every level doubles: 2^40 nodes if expanded naively.
    fns = []
    for level in range(40):
        callee = "F%d" % (level + 1)
        nodes = ([helper.make_node(callee, ["a"], ["t"], domain="local"),
                  helper.make_node(callee, ["t"], ["b"], domain="local")] if level < 39 else
                 [helper.make_node("Relu", ["a"], ["b"])])
        fns.append(helper.make_function("local", "F%d" % level, ["a"], ["b"], nodes,
                                        [helper.make_opsetid("", OPSET),
                                         helper.make_opsetid("local", 1)]))
    write(out, "function_exponential_expansion.onnx",
          model([helper.make_node("F0", ["X"], ["Y"], name="f0", domain="local")], x,
                [fvi("Y", [2])], extra_opsets=[("local", 1)], functions=fns),
          "load", "InvalidModel", "function 'local.F", "nests function calls 17 deep")

    # Run-time bombs: tiny files that ask kernels for huge outputs. Under the session memory
    # limit they must fail with OutOfMemory before allocating.
    def const_i64(name, values):
        return helper.make_tensor(name, TensorProto.INT64, [len(values)], values)
    write(out, "run_constant_of_shape_1e12.onnx",
          model([helper.make_node("ConstantOfShape", ["shape"], ["Y"], name="cos")], [],
                [fvi("Y", None)], [const_i64("shape", [10**6, 10**6])]),
          "run", "OutOfMemory", "node 'cos' (ConstantOfShape)")
    write(out, "run_resize_1e12_pixels.onnx",
          model([helper.make_node("Resize", ["X", "", "", "sizes"], ["Y"], name="resize")],
                [fvi("X", [1, 1, 2, 2])], [fvi("Y", None)],
                [const_i64("sizes", [1, 1, 10**6, 10**6])]),
          "run", "OutOfMemory", "node 'resize' (Resize)")
    write(out, "run_expand_huge.onnx",
          model([helper.make_node("Expand", ["X", "shape"], ["Y"], name="expand")],
                [fvi("X", [1])], [fvi("Y", None)], [const_i64("shape", [10**7, 10**7])]),
          "run", "OutOfMemory", "node 'expand' (Expand)")
    write(out, "run_tile_huge.onnx",
          model([helper.make_node("Tile", ["X", "reps"], ["Y"], name="tile")],
                [fvi("X", [2])], [fvi("Y", None)], [const_i64("reps", [10**12])]),
          "run", "OutOfMemory", "node 'tile' (Tile)")
    write(out, "run_range_huge.onnx",
          model([helper.make_node("Range", ["start", "limit", "delta"], ["Y"], name="range")],
                [], [helper.make_tensor_value_info("Y", TensorProto.INT64, None)],
                [helper.make_tensor("start", TensorProto.INT64, [], [0]),
                 helper.make_tensor("limit", TensorProto.INT64, [], [10**15]),
                 helper.make_tensor("delta", TensorProto.INT64, [], [1])]),
          "run", "OutOfMemory", "node 'range' (Range)")
    write(out, "run_pad_huge.onnx",
          model([helper.make_node("Pad", ["X", "pads"], ["Y"], name="pad")],
                [fvi("X", [2])], [fvi("Y", None)], [const_i64("pads", [0, 10**12])]),
          "run", "OutOfMemory", "node 'pad' (Pad)")
    write(out, "run_onehot_huge_depth.onnx",
          model([helper.make_node("OneHot", ["idx", "depth", "values"], ["Y"], name="onehot")],
                [helper.make_tensor_value_info("idx", TensorProto.INT64, [4])], [fvi("Y", None)],
                [helper.make_tensor("depth", TensorProto.INT64, [], [10**12]),
                 helper.make_tensor("values", TensorProto.FLOAT, [2], [0, 1])]),
          "run", "OutOfMemory", "node 'onehot' (OneHot)")
    write(out, "run_random_normal_huge.onnx",
          model([helper.make_node("RandomNormal", [], ["Y"], name="rn", shape=[10**6, 10**6])],
                [], [fvi("Y", None)]),
          "run", "OutOfMemory", "node 'rn' (RandomNormal)")
    write(out, "run_upsample_huge_scale.onnx",
          model([helper.make_node("Upsample", ["X", "scales"], ["Y"], name="up")],
                [fvi("X", [1, 1, 2, 2])], [fvi("Y", None)],
                [helper.make_tensor("scales", TensorProto.FLOAT, [4], [1, 1, 1e6, 1e6])],
                opset=9),
          "run", "OutOfMemory", "node 'up' (Upsample)")
    write(out, "run_eye_like_huge.onnx",
          model([helper.make_node("ConstantOfShape", ["shape"], ["Z"], name="cos"),
                 helper.make_node("EyeLike", ["Z"], ["Y"], name="eye")],
                [], [fvi("Y", None)], [const_i64("shape", [10**6, 10**6])]),
          "run", "OutOfMemory", "node 'cos' (ConstantOfShape)")
    # A loop with 1e18 iterations: stopped by the run's deadline.
    body = helper.make_graph(
        [helper.make_node("Identity", ["cond"], ["cond_out"], name="id"),
         helper.make_node("Identity", ["v"], ["v_out"], name="id2")], "body",
        [helper.make_tensor_value_info("i", TensorProto.INT64, []),
         helper.make_tensor_value_info("cond", TensorProto.BOOL, []), fvi("v", [1])],
        [helper.make_tensor_value_info("cond_out", TensorProto.BOOL, []), fvi("v_out", [1])])
    write(out, "run_loop_1e18_iterations.onnx",
          model([helper.make_node("Loop", ["M", "", "V"], ["V_final"], name="loop", body=body)],
                [], [fvi("V_final", [1])],
                [helper.make_tensor("M", TensorProto.INT64, [], [10**18]),
                 helper.make_tensor("V", TensorProto.FLOAT, [1], [0])]),
          "run", "Cancelled", "deadline")

    # A function-doubling chain within the nesting limit: 2^15 Relu nodes once inlined is fine,
    # but 40 such functions called in sequence from a 2^15-node function exceed the node limit.
    fns = []
    for level in range(15):
        nodes = [helper.make_node("G%d" % (level + 1), ["a"], ["t"], domain="local"),
                 helper.make_node("G%d" % (level + 1), ["t"], ["b"], domain="local")]
        fns.append(helper.make_function("local", "G%d" % level, ["a"], ["b"], nodes,
                                        [helper.make_opsetid("", OPSET),
                                         helper.make_opsetid("local", 1)]))
    fns.append(helper.make_function("local", "G15", ["a"], ["b"],
                                    [helper.make_node("Relu", ["a"], ["b"])],
                                    [helper.make_opsetid("", OPSET)]))
    nodes = [helper.make_node("G0", ["X" if i == 0 else "t%d" % i], ["t%d" % (i + 1)],
                              name="g%d" % i, domain="local") for i in range(40)]
    write(out, "function_too_many_nodes.onnx",
          model(nodes, x, [fvi("t40", [2])], extra_opsets=[("local", 1)], functions=fns),
          "load", "InvalidModel", "expands to more than 1048576 nodes")


# --- Generated at test time ----------------------------------------------------------------------

def generated(out):
    outside = os.path.join(out, "outside")
    inside = os.path.join(out, "model_dir")
    os.makedirs(outside, exist_ok=True)
    os.makedirs(inside, exist_ok=True)
    secret = os.path.join(outside, "secret.bin")
    with open(secret, "wb") as f:
        f.write(struct.pack("<4f", 1, 2, 3, 4))
    with open(os.path.join(inside, "ok.bin"), "wb") as f:
        f.write(struct.pack("<4f", 1, 2, 3, 4))

    def in_dir(name, data, mode, code, *needles):
        write(out, os.path.join("model_dir", name), data, mode, code, *needles)

    os.symlink(secret, os.path.join(inside, "link_out.bin"))
    in_dir("external_symlink_outside.onnx", add_model([external_tensor("W", "link_out.bin")]),
           "load", "InvalidModel", "tensor 'W'", "outside the model folder")
    os.symlink("../outside", os.path.join(inside, "dirlink"))
    in_dir("external_dir_symlink_outside.onnx",
           add_model([external_tensor("W", "dirlink/secret.bin")]), "load", "InvalidModel",
           "tensor 'W'", "outside the model folder")
    os.link(secret, os.path.join(inside, "hard.bin"))
    in_dir("external_hard_link.onnx", add_model([external_tensor("W", "hard.bin")]), "load",
           "InvalidModel", "tensor 'W'", "hard links")
    os.mkfifo(os.path.join(inside, "fifo.bin"))
    in_dir("external_fifo.onnx", add_model([external_tensor("W", "fifo.bin")]), "load",
           "InvalidModel", "tensor 'W'", "not a regular file")
    # A symlink loop must not hang the resolver.
    os.symlink("loop_b.bin", os.path.join(inside, "loop_a.bin"))
    os.symlink("loop_a.bin", os.path.join(inside, "loop_b.bin"))
    in_dir("external_symlink_loop.onnx", add_model([external_tensor("W", "loop_a.bin")]),
           "load", "InvalidModel", "tensor 'W'", "loop_a.bin")

    write(out, "nested_subgraphs_10000.onnx", deep_if_model(10000), "load", "InvalidModel",
          "nested deeper than 100", "graph.node.attribute.g")
    # 4 million empty nodes: 8 MB on disk, ~1 GB once parsed. The memory limit refuses it before
    # protobuf parses it.
    g = field(1, 2, b"") * (4 << 20)
    write(out, "many_empty_nodes.onnx",
          field(1, 0, varint(8)) + field(8, 2, field(2, 0, varint(OPSET))) + field(7, 2, g),
          "load", "OutOfMemory", "memory limit")
    # An attribute list of 2 million ints (Transpose perm): 16 MB once parsed, copied several
    # times while loading: refused under the memory limit before protobuf parses it.
    n = helper.make_node("Transpose", ["X"], ["Y"], name="tr", perm=list(range(2 << 20)))
    write(out, "attribute_huge_ints.onnx",
          model([n], [fvi("X", [2, 3])], [fvi("Y", [3, 2])]), "load", "OutOfMemory",
          "graph structure", "memory limit")
    # 200k ints fit: the model loads and the run refuses the permutation of the wrong rank.
    n = helper.make_node("Transpose", ["X"], ["Y"], name="tr", perm=list(range(200000)))
    write(out, "attribute_long_ints.onnx",
          model([n], [fvi("X", [2, 3])], [fvi("Y", [3, 2])]), "run", "InvalidArgument",
          "node 'tr' (Transpose)", "perm")
    # A 50k-node chain closed into a cycle: found without recursion.
    nodes = [helper.make_node("Relu", ["t%d" % i], ["t%d" % (i + 1)], name="r%d" % i)
             for i in range(50000)]
    nodes.append(helper.make_node("Add", ["X", "t50000"], ["t0"], name="close"))
    write(out, "long_cycle.onnx", model(nodes, [fvi("X", [2])], [fvi("t0", [2])]), "load",
          "InvalidModel", "cycle")


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--small", metavar="DIR")
    group.add_argument("--generated", metavar="DIR")
    args = parser.parse_args()
    out = args.small or args.generated
    os.makedirs(out, exist_ok=True)
    if os.listdir(out) and args.generated:
        sys.exit("make_bad_models.py: %s is not empty" % out)
    (small if args.small else generated)(out)
    with open(os.path.join(out, "MANIFEST"), "w") as f:
        f.write("# Written by scripts/make_bad_models.py; checked by tests/bad_models.\n")
        for name, mode, code, needles in cases:
            f.write("\t".join((name, mode, code) + tuple(needles)) + "\n")
    print("make_bad_models.py: %d cases in %s" % (len(cases), out))


if __name__ == "__main__":
    main()
