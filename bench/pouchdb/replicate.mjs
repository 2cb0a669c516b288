// PouchDB's replication on the same case records as kimsync's benchmark, for
// the side-by-side table of docs/performance.md (issue 7).
//
//   node replicate.mjs --records FILE --work DIR [--runs 3] [--incremental 1000]
//
// FILE holds one record per line as JSON: {"id": "...", "fields": {...}}.
// Each run starts a fresh pouchdb-server (leveldb, on 127.0.0.1) and runs
// each phase in its own node process, so that every phase's peak memory is
// its own: load (the records written into a local replica; not replication,
// so not in the client's peak), push (that replica replicates to the
// server), pull (a fresh replica bootstraps from the server), incremental
// (the first replica edits --incremental records, pushes; the second pulls).
// Prints one JSON object: the figures of every run and their medians.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

// Thrown for what the user or the run got wrong; the top level prints it, and
// the servers started so far are stopped on the way (finally).
class BenchError extends Error {}
function fail(message) {
  throw new BenchError(message);
}

function parseArgs(argv) {
  const args = { runs: 3, incremental: 1000 };
  for (let i = 0; i < argv.length; i += 2) {
    const [key, value] = [argv[i], argv[i + 1]];
    if (value === undefined) fail(`${key} needs a value`);
    if (key === '--records') args.records = path.resolve(value);
    else if (key === '--work') args.work = path.resolve(value);
    else if (key === '--runs' || key === '--incremental' || key === '--count') {
      const n = Number(value);
      if (!Number.isInteger(n) || n < 1) fail(`${key} must be a whole number above 0 (got '${value}')`);
      args[key.slice(2)] = n;
    } else if (key === '--phase' || key === '--server') args[key.slice(2)] = value;
    else fail(`unknown option ${key}; see the head of replicate.mjs`);
  }
  if (!args.records) fail('--records FILE is missing');
  if (!fs.existsSync(args.records)) fail(`no records file ${args.records}: write one with kim_bench_records`);
  if (!args.work) fail('--work DIR is missing');
  return args;
}

// Peak resident memory of a process, from the kernel's count (VmHWM), in MiB.
function peakMiB(pid) {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = Number(/VmHWM:\s+(\d+) kB/.exec(status)[1]);
  return kib / 1024;
}

async function readRecords(file) {
  const records = [];
  const lines = readline.createInterface({ input: fs.createReadStream(file), crlfDelay: Infinity });
  let number = 0;
  for await (const line of lines) {
    ++number;
    if (line.trim() === '') continue;
    let record;
    try {
      record = JSON.parse(line);
    } catch (e) {
      fail(`${file}: line ${number} is not JSON (${e.message}); write the file again with kim_bench_records`);
    }
    const fields = record?.fields;
    if (typeof record?.id !== 'string' || fields === null || typeof fields !== 'object' || Array.isArray(fields)) {
      fail(`${file}: line ${number} is not {"id": "...", "fields": {...}}`);
    }
    records.push(record);
  }
  return records;
}

// ---------------------------------------------------------------- phases ---
// Each runs in its own process (see runPhase) and prints one JSON line.

async function phase(args) {
  const { default: PouchDB } = await import('pouchdb');
  const remote = `${args.server}/cases`;
  const result = { phase: args.phase };
  // A replication that wrote fewer documents than asked is no throughput.
  const expect = (replicated, count, what) => {
    if (replicated.docs_written !== count || replicated.doc_write_failures !== 0) {
      fail(`${what} wrote ${replicated.docs_written} of ${count} documents (${replicated.doc_write_failures} failures)`);
    }
  };
  if (args.phase === 'load') {
    const records = await readRecords(args.records);
    const local = new PouchDB(path.join(args.work, 'replica-a'));
    const started = performance.now();
    for (let i = 0; i < records.length; i += 1000) {
      await local.bulkDocs(records.slice(i, i + 1000).map((r) => ({ _id: r.id, ...r.fields })));
    }
    result.seconds = (performance.now() - started) / 1000;
    result.docs = records.length;
    await local.close();
  } else if (args.phase === 'push' || args.phase === 'pull') {
    // Every record: replica A sends them to the server, a fresh replica B bootstraps.
    const push = args.phase === 'push';
    const local = new PouchDB(path.join(args.work, push ? 'replica-a' : 'replica-b'));
    const started = performance.now();
    const replicated = await (push ? local.replicate.to(remote) : local.replicate.from(remote));
    result.seconds = (performance.now() - started) / 1000;
    result.docs = replicated.docs_written;
    expect(replicated, args.count, args.phase);
    await local.close();
  } else if (args.phase === 'incremental') {
    const a = new PouchDB(path.join(args.work, 'replica-a'));
    const b = new PouchDB(path.join(args.work, 'replica-b'));
    const some = await a.allDocs({ include_docs: true, limit: args.incremental });
    await a.bulkDocs(some.rows.map((row) => ({ ...row.doc, phase: 'monitoring' })));
    const started = performance.now();
    const pushed = await a.replicate.to(remote);
    const pulled = await b.replicate.from(remote);
    result.seconds = (performance.now() - started) / 1000;
    result.docs = pulled.docs_written;
    expect(pushed, some.rows.length, 'incremental push');
    expect(pulled, some.rows.length, 'incremental pull');
    await a.close();
    await b.close();
  } else {
    fail(`unknown phase '${args.phase}'`);
  }
  result.peak_mib = peakMiB(process.pid);
  console.log(JSON.stringify(result));
}

// ----------------------------------------------------------- orchestrator ---

async function freePort() {
  const server = net.createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address();
  server.close();
  return port;
}

async function startServer(dir) {
  const port = await freePort();
  const bin = path.join(here, 'node_modules', '.bin', 'pouchdb-server');
  if (!fs.existsSync(bin)) fail(`no ${bin}: run 'npm install' beside this script first (bench/run pouchdb does)`);
  // In `dir` also its config.json and log.txt, which it writes where it runs.
  const child = spawn(bin, ['--host', '127.0.0.1', '--port', String(port), '--dir', dir, '--no-stdout-logs'], {
    cwd: dir,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  let exited = null;
  child.on('error', (e) => { exited = e.message; });
  child.on('exit', (code, signal) => { exited = `exit ${code ?? signal}`; });
  const url = `http://127.0.0.1:${port}`;
  for (let tries = 0; ; ++tries) {
    if (exited) fail(`pouchdb-server stopped before it answered (${exited})`);
    try {
      const answer = await fetch(`${url}/cases`, { method: 'PUT', signal: AbortSignal.timeout(1000) });
      if (answer.ok) break;
    } catch {
      // not listening yet
    }
    if (tries > 200) {
      child.kill();
      fail('pouchdb-server did not answer within 20 s');
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { child, url };
}

async function runPhase(args, name, server, work, count) {
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), '--phase', name, '--server', server,
    '--records', args.records, '--work', work, '--incremental', String(args.incremental), '--count', String(count)],
  { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (chunk) => { out += chunk; });
  // 'close', not 'exit': only then has all of its output been read.
  const [code, signal] = await once(child, 'close');
  if (code !== 0) fail(`phase ${name} ended with ${code === null ? `signal ${signal}` : `exit ${code}`}`);
  return JSON.parse(out.trim().split('\n').pop());
}

function median(xs) {
  const v = [...xs].sort((a, b) => a - b);
  const n = v.length;
  return n % 2 ? v[(n - 1) / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

async function orchestrate(args) {
  const count = (await readRecords(args.records)).length;
  const runs = [];
  for (let run = 1; run <= args.runs; ++run) {
    const work = path.join(args.work, `run-${run}`);
    fs.rmSync(work, { recursive: true, force: true });
    fs.mkdirSync(path.join(work, 'server'), { recursive: true });
    const server = await startServer(path.join(work, 'server'));
    try {
      const figures = { records: count };
      for (const name of ['load', 'push', 'pull', 'incremental']) {
        figures[name] = await runPhase(args, name, server.url, work, count);
      }
      figures.server_peak_mib = peakMiB(server.child.pid);
      runs.push(figures);
      console.error(`run ${run}: push ${(figures.push.docs / figures.push.seconds).toFixed(0)} docs/s, ` +
        `pull ${(figures.pull.docs / figures.pull.seconds).toFixed(0)} docs/s, ` +
        `incremental ${figures.incremental.seconds.toFixed(2)} s`);
    } finally {
      server.child.kill();
    }
  }
  const perPhase = (name, f) => median(runs.map((r) => f(r[name])));
  const versionOf = (name) => JSON.parse(fs.readFileSync(path.join(here, 'node_modules', name, 'package.json'), 'utf8')).version;
  console.log(JSON.stringify({
    records: count,
    versions: { node: process.version, pouchdb: versionOf('pouchdb'), pouchdb_server: versionOf('pouchdb-server') },
    runs,
    median: {
      push_docs_per_s: perPhase('push', (p) => p.docs / p.seconds),
      pull_docs_per_s: perPhase('pull', (p) => p.docs / p.seconds),
      incremental_s: perPhase('incremental', (p) => p.seconds),
      client_peak_mib: median(runs.map((r) => Math.max(r.push.peak_mib, r.pull.peak_mib, r.incremental.peak_mib))),
      server_peak_mib: median(runs.map((r) => r.server_peak_mib)),
    },
  }));
}

try {
  const args = parseArgs(process.argv.slice(2));
  await (args.phase ? phase(args) : orchestrate(args));
} catch (e) {
  if (!(e instanceof BenchError)) throw e;
  console.error(`replicate.mjs: ${e.message}`);
  process.exitCode = 2;
}
