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

const { ort, readNpy, writeNpy } = require(path.join(__dirname, '..', '..', 'tools', 'ort_ref', 'ort_npy.js'));

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
