#!/usr/bin/env node
// Runs an ONNX model in onnxruntime-node (CPU, ORT's own graph optimizations disabled, so ORT
// executes the graph exactly as saved) on .npy inputs and compares every output with .npy
// references: |got - want| <= atol + rtol * |want|.
//
// usage: node ort_check.js MODEL INPUT_DIR EXPECTED_DIR [ATOL] [RTOL]
//   INPUT_DIR holds NAME.npy per graph input; EXPECTED_DIR holds output_<i>.npy per output i.
// Prints one line; exit 0 when every output matches, 1 on a mismatch, 2 on an error.
'use strict';

const fs = require('fs');
const path = require('path');

// onnxruntime-node is installed by scripts/setup.sh into tools/ort_ref/node_modules; ORT_NODE_DIR
// points elsewhere when set.
const ortDir = process.env.ORT_NODE_DIR ||
  path.join(__dirname, '..', '..', 'tools', 'ort_ref', 'node_modules', 'onnxruntime-node');
const ort = require(ortDir);

const TYPES = {
  '<f4': ['float32', Float32Array], '<f8': ['float64', Float64Array],
  '|i1': ['int8', Int8Array], '|u1': ['uint8', Uint8Array], '<i4': ['int32', Int32Array],
  '<i8': ['int64', BigInt64Array], '|b1': ['bool', Uint8Array],
};

function readNpy(file) {
  const buf = fs.readFileSync(file);
  if (buf.readUInt32BE(0) !== 0x934e554d) throw new Error(`${file}: not a .npy file`);
  const major = buf[6];
  const hlen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const hstart = major === 1 ? 10 : 12;
  const header = buf.toString('latin1', hstart, hstart + hlen);
  const descr = /'descr'\s*:\s*'([^']+)'/.exec(header)[1];
  const dims = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)[1].split(',')
    .map((s) => s.trim()).filter((s) => s.length).map(Number);
  const entry = TYPES[descr];
  if (!entry) throw new Error(`${file}: unsupported dtype ${descr}`);
  const [type, Ctor] = entry;
  const n = dims.reduce((a, b) => a * b, 1);
  const off = hstart + hlen;
  const ab = new ArrayBuffer(n * Ctor.BYTES_PER_ELEMENT);
  new Uint8Array(ab).set(buf.subarray(off, off + n * Ctor.BYTES_PER_ELEMENT));
  return new ort.Tensor(type, new Ctor(ab), dims);
}

async function main() {
  const [model, inDir, expDir, atolS, rtolS] = process.argv.slice(2);
  if (!expDir) throw new Error('usage: node ort_check.js MODEL INPUT_DIR EXPECTED_DIR [ATOL] [RTOL]');
  const atol = atolS ? parseFloat(atolS) : 1e-4;
  const rtol = rtolS ? parseFloat(rtolS) : 1e-4;
  const session = await ort.InferenceSession.create(model, {
    graphOptimizationLevel: 'disabled', intraOpNumThreads: 1, executionProviders: ['cpu'],
  });
  const feeds = {};
  for (const name of session.inputNames) feeds[name] = readNpy(path.join(inDir, `${name}.npy`));
  const results = await session.run(feeds);
  let ok = true;
  const report = [];
  session.outputNames.forEach((name, i) => {
    const want = readNpy(path.join(expDir, `output_${i}.npy`));
    const got = results[name];
    if (got.dims.join('x') !== want.dims.join('x')) {
      ok = false;
      report.push(`${name}: shape ${got.dims} != ${want.dims}`);
      return;
    }
    let maxAbs = 0;
    let bad = 0;
    for (let k = 0; k < want.data.length; k++) {
      const w = Number(want.data[k]);
      const d = Math.abs(Number(got.data[k]) - w);
      if (!(d <= atol + rtol * Math.abs(w))) bad++;
      if (d > maxAbs || Number.isNaN(d)) maxAbs = d;
    }
    if (bad) ok = false;
    report.push(`${name}: ${bad} mismatches, max_abs ${maxAbs.toExponential(2)}`);
  });
  console.log(`${ok ? 'ok' : 'MISMATCH'} ${model}: ${report.join('; ')}`);
  process.exit(ok ? 0 : 1);
}

main().catch((e) => {
  console.log(`ERROR ${e.message}`);
  process.exit(2);
});
