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

const { ort, readNpy } = require(path.join(__dirname, '..', '..', 'tools', 'ort_ref', 'ort_npy.js'));

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
