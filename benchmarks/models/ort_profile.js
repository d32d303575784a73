#!/usr/bin/env node
// Per-node time of onnxruntime-node on one model, to set beside `ONNXEDGE_PROFILE=cpu onnxedge bench`.
//
//   node ort_profile.js MODEL --inputs DIR [--threads N] [--runs 30] [--warmup 5] [--top 25]
//
// DIR holds <input>.npy for every graph input (benchmarks/models/ort_profile.py makes them).
// ORT writes a Chrome trace; this sums each node's "kernel_time" events over the timed runs and
// prints the mean microseconds per run, by op type and for the slowest nodes.
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');
const { ort, readNpy } = require(path.join(__dirname, '../../tools/ort_ref/ort_npy.js'));

async function main() {
  const argv = process.argv.slice(2);
  const opt = { threads: 1, runs: 30, warmup: 5, top: 25, inputs: null, model: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--threads') opt.threads = parseInt(argv[++i], 10);
    else if (a === '--runs') opt.runs = parseInt(argv[++i], 10);
    else if (a === '--warmup') opt.warmup = parseInt(argv[++i], 10);
    else if (a === '--top') opt.top = parseInt(argv[++i], 10);
    else if (a === '--inputs') opt.inputs = argv[++i];
    else if (a.startsWith('--')) throw new Error(`unknown option '${a}'`);
    else opt.model = a;
  }
  if (!opt.model || !opt.inputs) throw new Error('usage: ort_profile.js MODEL --inputs DIR');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ort-profile-'));
  const session = await ort.InferenceSession.create(opt.model, {
    intraOpNumThreads: opt.threads, interOpNumThreads: 1, graphOptimizationLevel: 'all',
    executionMode: 'sequential', enableProfiling: true,
    profileFilePrefix: path.join(dir, 'ort'),
  });
  const feeds = {};
  for (const name of session.inputNames) feeds[name] = readNpy(path.join(opt.inputs, `${name}.npy`));
  for (let i = 0; i < opt.warmup; i++) await session.run(feeds);
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < opt.runs; i++) await session.run(feeds);
  const wallMs = Number(process.hrtime.bigint() - t0) / 1e6 / opt.runs;
  session.endProfiling();
  await session.release();
  const file = fs.readdirSync(dir).find((f) => f.endsWith('.json'));
  const events = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8'));
  fs.rmSync(dir, { recursive: true, force: true });

  // Every run (warm-up included) records one kernel_time event per node; keep the last `runs`.
  const perNode = new Map();
  for (const e of events) {
    if (e.cat !== 'Node' || !e.name.endsWith('_kernel_time')) continue;
    const name = e.name.slice(0, -'_kernel_time'.length);
    if (!perNode.has(name)) perNode.set(name, { op: e.args.op_name, times: [] });
    perNode.get(name).times.push(e.dur);
  }
  const byOp = new Map();
  const nodes = [];
  let total = 0;
  for (const [name, n] of perNode) {
    const timed = n.times.slice(-opt.runs);
    const us = timed.reduce((s, t) => s + t, 0) / timed.length;
    nodes.push({ name, op: n.op, us });
    byOp.set(n.op, (byOp.get(n.op) || 0) + us);
    total += us;
  }
  const fmt = (v, w) => v.toFixed(1).padStart(w);
  console.log(`ORT ${ort.env.versions ? ort.env.versions.common : ''} ${path.basename(opt.model)}` +
              ` threads=${opt.threads}: wall ${wallMs.toFixed(3)} ms/run, kernels ${(total / 1000).toFixed(3)} ms,` +
              ` ${nodes.length} nodes`);
  console.log('\nby op type (us/run, share)');
  for (const [op, us] of [...byOp].sort((a, b) => b[1] - a[1])) {
    console.log(`${op.padEnd(28)}${fmt(us, 10)}  ${fmt(100 * us / total, 5)}%`);
  }
  console.log(`\nslowest ${opt.top} nodes (us/run)`);
  for (const n of nodes.sort((a, b) => b.us - a.us).slice(0, opt.top)) {
    console.log(`${fmt(n.us, 9)}  ${n.op.padEnd(22)} ${n.name}`);
  }
}

main().catch((e) => { process.stderr.write(`ort_profile: ${e.message}\n`); process.exit(2); });
