#!/usr/bin/env node
// Reference runner for tests/real_models: runs models in onnxruntime-node (CPU) on .npy inputs
// and writes every output as .npy, so onnxedge's outputs can be compared with ORT's.
//
// usage: node ort_ref.js PLAN.json
//
// PLAN.json is a list of jobs; each loads one model once and runs it one or more times:
//   [{"model": "m.onnx",
//     "opt_level": "all",                      // optional: all|extended|basic|disabled
//     "threads": 1,                            // optional, intra-op threads (default 1)
//     "carry": {"stateN": "state"},            // optional: run k>0 takes input "state" from
//                                              //   run k-1's output "stateN" unless given
//     "runs": [{"inputs": {"x": "in/x.npy"}, "output_dir": "out/0"}, ...]}]
// Output NAME of a run is written to OUTPUT_DIR/NAME.npy, named as onnxedge's `run` names it:
// '/', '\\', ':' and a leading '.' become '_', and a name already used gets _2, _3, ...
// Prints one JSON line per job (model, runs, milliseconds) and exits 2 on any error.
'use strict';

const fs = require('fs');
const path = require('path');

// onnxruntime-node is installed by scripts/setup.sh into tools/ort_ref/node_modules; ORT_NODE_DIR
// points elsewhere when set.
const ortDir = process.env.ORT_NODE_DIR ||
  path.join(__dirname, '..', '..', 'tools', 'ort_ref', 'node_modules', 'onnxruntime-node');
const ort = require(ortDir);

// npy descr <-> ORT type
const TYPES = {
  '<f4': ['float32', Float32Array], '<f8': ['float64', Float64Array],
  '|i1': ['int8', Int8Array], '|u1': ['uint8', Uint8Array], '<i2': ['int16', Int16Array],
  '<u2': ['uint16', Uint16Array], '<i4': ['int32', Int32Array], '<u4': ['uint32', Uint32Array],
  '<i8': ['int64', BigInt64Array], '<u8': ['uint64', BigUint64Array], '|b1': ['bool', Uint8Array],
};
const DESCR = {};
for (const [d, [t]] of Object.entries(TYPES)) DESCR[t] = d;

function readNpy(file) {
  const buf = fs.readFileSync(file);
  if (buf.readUInt32BE(0) !== 0x934e554d || buf[4] !== 0x50 || buf[5] !== 0x59) {
    throw new Error(`${file}: not a .npy file`);
  }
  const major = buf[6];
  const hlen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const hstart = major === 1 ? 10 : 12;
  const header = buf.toString('latin1', hstart, hstart + hlen);
  const descr = /'descr'\s*:\s*'([^']+)'/.exec(header)[1];
  if (/'fortran_order'\s*:\s*True/.test(header)) throw new Error(`${file}: fortran order`);
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

function writeNpy(file, tensor) {
  const descr = DESCR[tensor.type];
  if (!descr) throw new Error(`cannot write ${tensor.type} as npy (${file})`);
  const d = tensor.dims;
  const shape = d.length === 0 ? '()' : d.length === 1 ? `(${d[0]},)` : `(${d.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shape}, }`;
  header += ' '.repeat((64 - ((10 + header.length + 1) % 64)) % 64) + '\n';
  const pre = Buffer.alloc(10);
  pre.writeUInt32BE(0x934e554d, 0); pre[4] = 0x50; pre[5] = 0x59; pre[6] = 1; pre[7] = 0;
  pre.writeUInt16LE(header.length, 8);
  const data = tensor.data;
  const body = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file + '.tmp', Buffer.concat([pre, Buffer.from(header, 'latin1'), body]));
  fs.renameSync(file + '.tmp', file);
}

function sanitize(name) {
  const s = name.replace(/[/\\:]/g, '_');
  return s === '' ? '_' : s.replace(/^\./, '_');
}

async function runJob(job) {
  const session = await ort.InferenceSession.create(job.model, {
    executionProviders: ['cpu'],
    intraOpNumThreads: job.threads || 1,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: job.opt_level || 'all',
  });
  const t0 = process.hrtime.bigint();
  let previous = null;
  for (const run of job.runs) {
    const feeds = {};
    for (const [name, file] of Object.entries(run.inputs)) feeds[name] = readNpy(file);
    for (const [out, inp] of Object.entries(job.carry || {})) {
      if (previous && !(inp in feeds)) feeds[inp] = previous[out];
    }
    const results = await session.run(feeds);
    const used = new Set();
    for (const name of session.outputNames) {
      let stem = sanitize(name);
      for (let k = 2; used.has(stem); ++k) stem = `${sanitize(name)}_${k}`;
      used.add(stem);
      writeNpy(path.join(run.output_dir, `${stem}.npy`), results[name]);
    }
    previous = results;
  }
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  process.stdout.write(JSON.stringify({ model: path.basename(job.model), runs: job.runs.length,
    opt_level: job.opt_level || 'all', ms: Math.round(ms) }) + '\n');
  await session.release();
}

async function main() {
  if (process.argv.length !== 3) throw new Error('usage: node ort_ref.js PLAN.json');
  const plan = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
  for (const job of plan) {
    try {
      await runJob(job);
    } catch (e) {
      throw new Error(`${job.model}: ${e && e.message ? e.message : e}`);
    }
  }
}

main().catch((e) => {
  process.stderr.write(`ort_ref: ${String(e && e.message ? e.message : e).split('\n')[0]}\n`);
  process.exitCode = 2;
});
