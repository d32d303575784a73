#!/usr/bin/env node
// Persistent onnxruntime-node worker for interleaved benchmarks (driven by compare_ort.py).
//
//   node ort_worker.js MODEL --threads N --inputs DIR [--opt-level all|extended|basic|disabled]
//
// Loads MODEL once, reads every graph input from DIR/<name>.npy, then answers commands on stdin,
// one per line, with one line on stdout:
//   run   -> wall milliseconds of one session.run()
//   rss   -> peak resident set size of this process in KiB (VmHWM)
//   quit  -> exits
'use strict';

const fs = require('fs');
const path = require('path');
const readline = require('readline');
const ort = require(path.join(__dirname, '../../tools/ort_ref/node_modules/onnxruntime-node'));

const NPY_TYPES = {
  '<f4': ['float32', Float32Array], '<f8': ['float64', Float64Array],
  '<i8': ['int64', BigInt64Array], '<i4': ['int32', Int32Array], '|u1': ['uint8', Uint8Array],
  '|i1': ['int8', Int8Array], '|b1': ['bool', Uint8Array],
};

function readNpy(file) {
  const buf = fs.readFileSync(file);
  if (buf.toString('latin1', 0, 6) !== '\x93NUMPY') throw new Error(`${file}: not a .npy file`);
  const major = buf[6];
  const headerLen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const start = (major === 1 ? 10 : 12) + headerLen;
  const header = buf.toString('latin1', major === 1 ? 10 : 12, start);
  const descr = /'descr':\s*'([^']+)'/.exec(header)[1];
  const shape = /'shape':\s*\(([^)]*)\)/.exec(header)[1].split(',').map((s) => s.trim())
    .filter((s) => s.length).map((s) => parseInt(s, 10));
  if (/'fortran_order':\s*True/.test(header)) throw new Error(`${file}: fortran order`);
  const t = NPY_TYPES[descr];
  if (!t) throw new Error(`${file}: unsupported dtype ${descr}`);
  const bytes = buf.subarray(start);
  const copy = new Uint8Array(bytes.length);
  copy.set(bytes);
  const data = new t[1](copy.buffer, 0, bytes.length / t[1].BYTES_PER_ELEMENT);
  return new ort.Tensor(t[0], t[0] === 'bool' ? Uint8Array.from(data) : data, shape);
}

function peakRssKiB() {
  const m = /VmHWM:\s+(\d+)/.exec(fs.readFileSync('/proc/self/status', 'utf8'));
  return m ? parseInt(m[1], 10) : -1;
}

async function main() {
  const argv = process.argv.slice(2);
  let model = null; let threads = 1; let inputs = null; let optLevel = 'all';
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--threads') threads = parseInt(argv[++i], 10);
    else if (argv[i] === '--inputs') inputs = argv[++i];
    else if (argv[i] === '--opt-level') optLevel = argv[++i];
    else model = argv[i];
  }
  const session = await ort.InferenceSession.create(model, {
    intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: optLevel,
    executionMode: 'sequential',
  });
  const feeds = {};
  for (const name of session.inputNames) feeds[name] = readNpy(path.join(inputs, `${name}.npy`));
  process.stdout.write('ready\n');
  const rl = readline.createInterface({ input: process.stdin });
  for await (const line of rl) {
    const cmd = line.trim();
    if (cmd === 'run') {
      const t0 = process.hrtime.bigint();
      await session.run(feeds);
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      process.stdout.write(`${ms}\n`);
    } else if (cmd === 'rss') {
      process.stdout.write(`${peakRssKiB()}\n`);
    } else if (cmd === 'quit') {
      break;
    } else {
      process.stdout.write(`error unknown command '${cmd}'\n`);
    }
  }
  process.exit(0);
}

main().catch((e) => { process.stderr.write(`ort_worker: ${e.message}\n`); process.exit(2); });
