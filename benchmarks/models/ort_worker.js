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
const { ort, readNpy } = require(path.join(__dirname, '../../tools/ort_ref/ort_npy.js'));

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
