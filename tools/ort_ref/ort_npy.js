// Shared by the project's onnxruntime-node scripts (tests/real_models/ort_ref.js,
// tests/optimizer/ort_check.js, benchmarks/models/ort_worker.js): loads onnxruntime-node and
// reads/writes .npy files as ORT tensors.
'use strict';

const fs = require('fs');
const path = require('path');

// onnxruntime-node is installed by scripts/setup.sh into tools/ort_ref/node_modules; ORT_NODE_DIR
// points elsewhere when set.
const ortDir = process.env.ORT_NODE_DIR ||
  path.join(__dirname, 'node_modules', 'onnxruntime-node');
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

module.exports = { ort, TYPES, readNpy, writeNpy };
