#!/usr/bin/env python3
"""Rewrites a model with the com.onnxedge fused ops, to measure what the kernels gain from
fusion before the optimizer (src/optimizer/) emits them itself. Stand-in only: no type checks
beyond float32-by-convention, single-consumer checks only.

  Conv -> Relu | Clip(const min/max) | LeakyRelu | Sigmoid | HardSigmoid | HardSwish
  Conv -> Sigmoid -> Mul(conv, sigmoid)                     => FusedConv(activation=Silu)
  Conv -> Add(conv, other) [-> Relu]                        => FusedConv(Z=other)
  MatMul(x, W: 2-D initializer) -> Add(bias: [N] initializer) [-> Relu]  => FusedGemm

usage: /usr/bin/python3 fuse_model.py IN.onnx OUT.onnx
"""
import sys

import onnx
from onnx import helper, numpy_helper

DOMAIN = "com.onnxedge"


def main(src, dst):
    m = onnx.load(src)
    g = m.graph
    inits = {t.name: t for t in g.initializer}
    # Constant nodes and Identity-of-initializer count as initializers.
    for n in g.node:
        if n.op_type == "Constant" and n.attribute and n.attribute[0].name == "value":
            t = onnx.TensorProto()
            t.CopyFrom(n.attribute[0].t)
            t.name = n.output[0]
            inits[n.output[0]] = t
    for n in g.node:
        if n.op_type == "Identity" and n.input[0] in inits:
            t = onnx.TensorProto()
            t.CopyFrom(inits[n.input[0]])
            t.name = n.output[0]
            inits[n.output[0]] = t
    consumers = {}
    for n in g.node:
        for i in n.input:
            consumers.setdefault(i, []).append(n)
    graph_outputs = {o.name for o in g.output}
    producer = {o: n for n in g.node for o in n.output}

    def only_consumer(name):
        c = consumers.get(name, [])
        return c[0] if len(c) == 1 and name not in graph_outputs else None

    removed = set()
    new_nodes = {}  # id(first node) -> replacement

    def attr(n, name, default=None):
        for a in n.attribute:
            if a.name == name:
                return helper.get_attribute_value(a)
        return default

    def activation_of(n):
        """(name, params) when n is a fusable activation node, else None."""
        if n.op_type == "Relu":
            return "Relu", []
        if n.op_type == "LeakyRelu":
            return "LeakyRelu", [attr(n, "alpha", 0.01)]
        if n.op_type == "Sigmoid":
            return "Sigmoid", []
        if n.op_type == "HardSigmoid":
            return "HardSigmoid", [attr(n, "alpha", 0.2), attr(n, "beta", 0.5)]
        if n.op_type == "HardSwish":
            return "HardSwish", []
        if n.op_type == "Clip":
            lo, hi = float("-inf"), float("inf")
            if len(n.input) > 1 and n.input[1]:
                if n.input[1] not in inits:
                    return None
                lo = float(numpy_helper.to_array(inits[n.input[1]]))
            if len(n.input) > 2 and n.input[2]:
                if n.input[2] not in inits:
                    return None
                hi = float(numpy_helper.to_array(inits[n.input[2]]))
            if attr(n, "min") is not None:
                lo = attr(n, "min")
            if attr(n, "max") is not None:
                hi = attr(n, "max")
            return "Clip", [lo, hi]
        return None

    counts = {}
    for n in list(g.node):
        if id(n) in removed:
            continue
        if n.op_type == "Conv":
            out = n.output[0]
            nxt = only_consumer(out)
            z = None
            act = None
            last = n
            chain = []
            outs = consumers.get(out, [])
            if (len(outs) == 2 and out not in graph_outputs and
                    {c.op_type for c in outs} == {"Sigmoid", "Mul"}):
                sig = [c for c in outs if c.op_type == "Sigmoid"][0]
                mul = [c for c in outs if c.op_type == "Mul"][0]
                if set(mul.input) == {out, sig.output[0]} and \
                        consumers.get(sig.output[0], []) == [mul]:
                    nxt = None
                    act = ("Silu", [])
                    chain = [sig, mul]
                    last = mul
            if (nxt is not None and nxt.op_type == "Add" and id(nxt) not in removed and
                    not any(i in inits for i in nxt.input)):
                other = nxt.input[1] if nxt.input[0] == out else nxt.input[0]
                # Z must be produced before the Conv runs (any producer is fine: topological).
                z = other
                chain.append(nxt)
                last = nxt
                nxt = only_consumer(nxt.output[0])
            if nxt is not None and id(nxt) not in removed and act is None:
                if nxt.op_type == "Sigmoid":
                    mul = consumers.get(nxt.output[0], [])
                    src = last.output[0]
                    if (len(mul) == 1 and mul[0].op_type == "Mul" and
                            set(mul[0].input) == {src, nxt.output[0]} and
                            len(consumers.get(src, [])) == 2):
                        act = ("Silu", [])
                        chain += [nxt, mul[0]]
                        last = mul[0]
                elif activation_of(nxt) is not None:
                    act = activation_of(nxt)
                    chain.append(nxt)
                    last = nxt
            # Silu needs the conv output twice (Sigmoid and Mul).
            if act is None and z is None:
                continue
            if act is None and z is not None and len(consumers.get(out, [])) != 1:
                continue
            inputs = list(n.input) + [""] * (3 - len(n.input))
            if z is not None:
                inputs.append(z)
            else:
                inputs = [i for i in inputs]
                while inputs and inputs[-1] == "":
                    inputs.pop()
            fused = helper.make_node("FusedConv", inputs, [last.output[0]], name=n.name + "_fused",
                                     domain=DOMAIN)
            fused.attribute.extend(n.attribute)
            if act is not None:
                fused.attribute.append(helper.make_attribute("activation", act[0]))
                if act[1]:
                    fused.attribute.append(helper.make_attribute("activation_params",
                                                                 [float(p) for p in act[1]]))
            new_nodes[id(n)] = fused
            for c in chain:
                removed.add(id(c))
            counts["FusedConv"] = counts.get("FusedConv", 0) + 1
        elif n.op_type == "MatMul" and n.input[1] in inits and len(inits[n.input[1]].dims) == 2:
            add = only_consumer(n.output[0])
            if add is None or add.op_type != "Add" or id(add) in removed:
                continue
            bias = add.input[1] if add.input[0] == n.output[0] else add.input[0]
            if bias not in inits or list(inits[bias].dims) != [inits[n.input[1]].dims[1]]:
                continue
            last = add
            chain = [add]
            act = None
            nxt = only_consumer(add.output[0])
            if nxt is not None and activation_of(nxt) is not None and nxt.op_type != "Sigmoid":
                act = activation_of(nxt)
                chain.append(nxt)
                last = nxt
            fused = helper.make_node("FusedGemm", [n.input[0], n.input[1], bias],
                                     [last.output[0]], name=n.name + "_fused", domain=DOMAIN)
            if act is not None:
                fused.attribute.append(helper.make_attribute("activation", act[0]))
                if act[1]:
                    fused.attribute.append(helper.make_attribute("activation_params",
                                                                 [float(p) for p in act[1]]))
            new_nodes[id(n)] = fused
            for c in chain:
                removed.add(id(c))
            counts["FusedGemm"] = counts.get("FusedGemm", 0) + 1

    nodes = []
    for n in g.node:
        if id(n) in removed:
            continue
        nodes.append(new_nodes.get(id(n), n))
    # Topological order: a FusedConv's Z may come from a node after the Conv.
    ready = {i.name for i in g.input} | set(inits)
    ordered, pending = [], nodes
    while pending:
        rest = []
        for n in pending:
            if all((not i) or i in ready for i in n.input):
                ordered.append(n)
                ready.update(n.output)
            else:
                rest.append(n)
        if len(rest) == len(pending):
            raise SystemExit("cycle or missing input while ordering")
        pending = rest
    del g.node[:]
    g.node.extend(ordered)
    if not any(o.domain == DOMAIN for o in m.opset_import):
        m.opset_import.append(helper.make_opsetid(DOMAIN, 1))
    del g.value_info[:]
    onnx.save(m, dst)
    print(f"{src} -> {dst}: {counts}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
