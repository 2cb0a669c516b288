// The coordinators' dashboard in real headless Chromium: a real kim-server on
// a free loopback port, cases from real `kim` replicas of two sites, sign-in
// with a password, every chart compared with the /v1/stats answer it draws,
// suppression, CSV downloads, sign-out; no request leaves 127.0.0.1.
// Run by tests/browser/run (ctest: browser.dashboard). Environment:
//   KIM_BINARY, KIM_SERVER_BINARY  the binaries under test (required)
//   KIM_CHROMIUM                   the browser (default /usr/bin/chromium, Debian's)
//   KIM_BROWSER_ARTIFACTS          where the screenshots go (default: $TMPDIR/kimsync-browser-artifacts)
//   KIM_BROWSER_KEEP=1             keep the temp folder also when the test passes
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFile } from 'node:child_process';
import { generateKeyPairSync, sign } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { chromium } from 'playwright-core';

const execFileAsync = promisify(execFile);

const KIM = requiredEnv('KIM_BINARY');
const KIM_SERVER = requiredEnv('KIM_SERVER_BINARY');
const CHROMIUM = process.env.KIM_CHROMIUM || '/usr/bin/chromium';
const K = 3; // the server's default --stats-k
const COORD = { name: 'coord', password: 'correct horse battery staple 7' };
const AUDITOR_WITH_PASSWORD = { name: 'audit1', password: 'auditor password 42' };
const PASSPHRASE = 'browser-test-passphrase';
const STEP_TIMEOUT = 20_000;

function requiredEnv(name) {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run this test through tests/browser/run (or ctest -R browser)`);
  return v;
}

// ---------------------------------------------------------------------------
// The seed: made-up cases of two sites, chosen so that every chart has large
// cells, cells of 1 or 2 (suppressed: k = 3), and hence secondary suppression.
// Quarters in the past; 2026-Q1 and 2026-Q2 are both opened and closed quarters.
const CASES = [
  // site, phase, opened, closed, needs, referrals [target_type, outcome, barrier]
  { site: 'hamborn', phase: 'intake', opened: '2026-Q2', needs: { wohnen: 2, deutsch: 1 },
    referrals: [['jobcenter', 'pending', 'waiting_time']] },
  { site: 'hamborn', phase: 'intake', opened: '2026-Q2', needs: { wohnen: 2, deutsch: 1 },
    referrals: [['jobcenter', 'pending', 'waiting_time']] },
  { site: 'hamborn', phase: 'intake', opened: '2026-Q3', needs: { wohnen: 2, arbeit: 3 },
    referrals: [['jobcenter', 'pending', 'documents']] },
  { site: 'hamborn', phase: 'intake', opened: '2026-Q3', needs: { wohnen: 3 } },
  { site: 'hamborn', phase: 'planning', opened: '2026-Q1', needs: { wohnen: 2, deutsch: 1 },
    referrals: [['language_course', 'successful', 'none']] },
  { site: 'hamborn', phase: 'planning', opened: '2026-Q2', needs: { arbeit: 3 } },
  { site: 'hamborn', phase: 'planning', opened: '2026-Q2', needs: { arbeit: 3, deutsch: 2 } },
  { site: 'hamborn', phase: 'linking', opened: '2026-Q1', needs: { gesundheit: 1 } },
  { site: 'hamborn', phase: 'closed', opened: '2025-Q4', closed: '2026-Q2', needs: { wohnen: 1 } },
  { site: 'hamborn', phase: 'closed', opened: '2025-Q4', closed: '2026-Q2', needs: { arbeit: 3 } },
  { site: 'hochfeld', phase: 'intake', opened: '2026-Q3', needs: { wohnen: 2 },
    referrals: [['language_course', 'successful', 'language']] },
  { site: 'hochfeld', phase: 'intake', opened: '2026-Q3', needs: { deutsch: 1 },
    referrals: [['language_course', 'successful', 'waiting_time']] },
  { site: 'hochfeld', phase: 'intake', opened: '2026-Q3', needs: { wohnen: 2 },
    referrals: [['housing', 'unsuccessful', 'discrimination']] },
  { site: 'hochfeld', phase: 'planning', opened: '2026-Q2', needs: { arbeit: 3 },
    referrals: [['jobcenter', 'successful', 'language']] },
  { site: 'hochfeld', phase: 'planning', opened: '2026-Q2', needs: { wohnen: 2 } },
  { site: 'hochfeld', phase: 'planning', opened: '2026-Q1', needs: { deutsch: 1 } },
  { site: 'hochfeld', phase: 'planning', opened: '2026-Q1', needs: {} },
  { site: 'hochfeld', phase: 'closed', opened: '2025-Q4', closed: '2026-Q1', needs: {} },
  { site: 'hochfeld', phase: 'closed', opened: '2025-Q3', closed: '2026-Q2', needs: {} },
];
const SITES = ['hamborn', 'hochfeld'];

// The charts of the dashboard and the /v1/stats queries they draw (the DOM
// contract). `truth` gives, per query, the real count of each cell key
// ("value|value", "" for a record without the value) from the seed above.
const CHARTS = [
  { id: 'open-by-phase-site', tables: [{ name: 'main', query: 'count=cases&by=site,phase' }] },
  { id: 'needs', tables: [{ name: 'main', query: 'count=cases&by=need' }] },
  { id: 'opened-closed', tables: [
    { name: 'opened', query: 'count=cases&by=opened_quarter' },
    { name: 'closed', query: 'count=cases&by=closed_quarter' },
  ] },
  { id: 'referrals', tables: [{ name: 'main', query: 'count=referrals&by=target_type,outcome' }] },
  { id: 'barriers', tables: [{ name: 'main', query: 'count=referrals&by=barrier' }] },
];

function tally(rows) {
  const m = new Map();
  for (const r of rows) m.set(r, (m.get(r) ?? 0) + 1);
  return m;
}
const referralsOf = (c) => (c.referrals ?? []).map((r) => ({ site: c.site, target_type: r[0], outcome: r[1], barrier: r[2] }));
const TRUTH = {
  'count=cases&by=site,phase': tally(CASES.map((c) => `${c.site}|${c.phase}`)),
  'count=cases&by=need': tally(CASES.flatMap((c) => Object.entries(c.needs).map(([n, l]) => `${n}|${l}`))),
  'count=cases&by=opened_quarter': tally(CASES.map((c) => c.opened)),
  'count=cases&by=closed_quarter': tally(CASES.map((c) => c.closed ?? '')),
  'count=referrals&by=target_type,outcome': tally(CASES.flatMap(referralsOf).map((r) => `${r.target_type}|${r.outcome}`)),
  'count=referrals&by=barrier': tally(CASES.flatMap(referralsOf).map((r) => r.barrier)),
};

// ---------------------------------------------------------------------------
// State shared by the steps (they run in order).
const started = Date.now();
const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1)} s`;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kimsync-browser-'));
const artifacts = process.env.KIM_BROWSER_ARTIFACTS || path.join(os.tmpdir(), 'kimsync-browser-artifacts');
let server = null; // { proc, url, log }
let context = null; // the browser context (persistent, fresh profile)
let page = null;
const foreignRequests = new Set(); // URLs of requests to anywhere but the server
const pageErrors = [];
const consoleErrors = [];
const statsRequests = [];
let failed = false;

function log(...args) {
  console.log(`[${elapsed()}]`, ...args);
}

// ---------------------------------------------------------------------------
// Processes

async function kim(home, args, env = {}) {
  try {
    const { stdout } = await execFileAsync(KIM, ['--home', home, ...args], {
      env: { ...process.env, KIM_PASSPHRASE: PASSPHRASE, ...env },
      timeout: 60_000,
    });
    return stdout;
  } catch (e) {
    throw new Error(`kim ${args.join(' ')} failed: ${e.stderr || e.message}`);
  }
}

function runAdmin(args, input) {
  return new Promise((resolve, reject) => {
    const p = spawn(KIM_SERVER, ['--data', path.join(tmp, 'server'), ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    p.on('error', reject);
    p.on('close', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`kim-server ${args.join(' ')} exited ${code}: ${err}${out}`)));
    p.stdin.end(input ?? '');
  });
}

function startServer() {
  const logFile = path.join(tmp, 'server.log');
  const logFd = fs.openSync(logFile, 'a');
  const proc = spawn(KIM_SERVER, ['--data', path.join(tmp, 'server'), 'serve', '--listen', '127.0.0.1:0'], {
    stdio: ['ignore', 'pipe', logFd],
  });
  fs.closeSync(logFd);
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`kim-server did not report listening within 20 s: ${seen}`)), 20_000);
    const early = (code) => {
      clearTimeout(timer);
      reject(new Error(`kim-server exited (${code}) before listening: ${fs.readFileSync(logFile, 'utf8')}`));
    };
    proc.on('error', (e) => { clearTimeout(timer); reject(e); });
    proc.once('exit', early);
    const onData = (d) => {
      seen += d;
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(seen);
      if (m) {
        clearTimeout(timer);
        proc.off('exit', early);
        proc.stdout.off('data', onData);
        proc.stdout.resume(); // what it prints later ("stopped") is read and dropped
        resolve({ proc, url: m[1], log: logFile });
      }
    };
    proc.stdout.on('data', onData);
  });
}

async function stopServer() {
  if (!server || server.proc.exitCode !== null || server.proc.signalCode !== null) return;
  const exited = new Promise((resolve) => server.proc.once('exit', resolve));
  server.proc.kill('SIGTERM');
  let timer;
  const timeout = new Promise((resolve) => { timer = setTimeout(() => resolve('timeout'), 8_000); });
  const outcome = await Promise.race([exited, timeout]);
  clearTimeout(timer);
  if (outcome === 'timeout') {
    log('kim-server did not stop within 8 s of SIGTERM: killed');
    server.proc.kill('SIGKILL');
    await exited;
    throw new Error('kim-server did not stop within 8 s of SIGTERM');
  }
}

// Whatever happens (a failed assertion, an exception, Ctrl-C), the server dies with us.
process.on('exit', () => {
  if (server && server.proc.exitCode === null && server.proc.signalCode === null) server.proc.kill('SIGKILL');
});
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => process.exit(130));
}

// ---------------------------------------------------------------------------
// HTTP helpers (Node's fetch, bearer tokens by challenge-response)

function newKey() {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const raw = publicKey.export({ format: 'der', type: 'spki' }).subarray(-32);
  return { privateKey, publicBase64: raw.toString('base64') };
}

async function postJson(url, body) {
  const r = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  const text = await r.text();
  return { status: r.status, body: text ? JSON.parse(text) : null };
}

async function bearerToken(identity, key) {
  const c = await postJson(`${server.url}/v1/auth/challenge`, { identity });
  assert.equal(c.status, 200, `challenge for ${identity}: ${JSON.stringify(c.body)}`);
  const message = Buffer.from(`kimsync-auth-v1\n${identity}\n${c.body.challenge}`, 'utf8');
  const signature = sign(null, message, key.privateKey).toString('base64');
  const t = await postJson(`${server.url}/v1/auth/token`, { identity, challenge: c.body.challenge, signature });
  assert.equal(t.status, 200, `token for ${identity}: ${JSON.stringify(t.body)}`);
  return t.body;
}

// ---------------------------------------------------------------------------

function caseFields(c) {
  const f = { name: `Testperson ${c.site}`, phase: c.phase, opened_quarter: c.opened };
  if (c.closed) Object.assign(f, { closed_quarter: c.closed, closure_reason: 'goals_met' });
  for (const [n, l] of Object.entries(c.needs)) f[`need.${n}`] = String(l);
  return f;
}
const referralFields = ([target_type, outcome, barrier]) => ({ agency: 'Stelle', target_type, outcome, barrier });
const asArgs = (fields) => Object.entries(fields).map(([k, v]) => `${k}=${v}`);

// One `kim case import` (one passphrase derivation) where kim has it, else
// one `kim case new` per case and one `kim add referral` per referral.
async function seedCases(home, cases) {
  const canImport = await execFileAsync(KIM, ['case', 'import', '--help']).then(() => true, () => false);
  if (canImport) {
    const file = `${home}-cases.jsonl`;
    fs.writeFileSync(file, cases.map((c) => JSON.stringify({
      fields: caseFields(c), referrals: (c.referrals ?? []).map(referralFields),
    })).join('\n') + '\n');
    await kim(home, ['case', 'import', file]);
    return;
  }
  for (const c of cases) {
    const id = (await kim(home, ['case', 'new', ...asArgs(caseFields(c))])).trim().split('\n').pop();
    for (const r of c.referrals ?? []) await kim(home, ['add', 'referral', '--case', id, ...asArgs(referralFields(r))]);
  }
}

before(async () => {
  try {
    await setUp();
  } catch (e) {
    failed = true;
    throw e;
  }
}, { timeout: 150_000 });

async function setUp() {
  log(`temp folder ${tmp}; kim ${KIM}; kim-server ${KIM_SERVER}; chromium ${CHROMIUM}`);
  assert.ok(fs.existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install chromium (scripts/test installs it)`);
  fs.mkdirSync(artifacts, { recursive: true });
  for (const f of fs.readdirSync(artifacts)) {
    if (/^(dashboard|failure-\d+)\.png$/.test(f)) fs.rmSync(path.join(artifacts, f)); // from an earlier run
  }

  await runAdmin(['init']);
  server = await startServer();
  log(`kim-server listening on ${server.url}`);

  // One replica per site, seeded in parallel (each kim call derives its key with Argon2id).
  await Promise.all(SITES.map(async (site) => {
    const home = path.join(tmp, `${site}-a`);
    const init = await kim(home, ['init', '--site', site, '--replica', `${site}-a`]);
    const pubkey = /Public key[^:]*:\s*(\S+)/.exec(init)?.[1] ?? (await kim(home, ['pubkey'])).trim();
    await runAdmin(['replica', 'add', `${site}-a`, '--site', site, '--pubkey', pubkey]);
    await seedCases(home, CASES.filter((x) => x.site === site));
    await kim(home, ['sync', '--server', server.url]);
  }));
  log(`seeded ${CASES.length} cases and ${CASES.flatMap(referralsOf).length} referrals from ${SITES.length} replicas`);

  await runAdmin(['user', 'add', COORD.name, '--role', 'coordinator', '--password-stdin'], `${COORD.password}\n`);
  await runAdmin(['user', 'add', AUDITOR_WITH_PASSWORD.name, '--role', 'auditor', '--password-stdin'],
    `${AUDITOR_WITH_PASSWORD.password}\n`);

  context = await chromium.launchPersistentContext(path.join(tmp, 'chromium-profile'), {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
    viewport: { width: 1280, height: 900 },
    acceptDownloads: false,
  });
  context.setDefaultTimeout(STEP_TIMEOUT);
  // Only the server on loopback may be asked for anything: no CDN, no font, no telemetry.
  const ours = new URL(server.url).host;
  await context.route('**/*', (route) => {
    const u = new URL(route.request().url());
    if (u.protocol === 'data:' || u.protocol === 'blob:' || u.host === ours) return route.continue();
    foreignRequests.add(route.request().url());
    return route.abort('blockedbyclient');
  });
  context.on('request', (r) => {
    const u = new URL(r.url());
    if (u.protocol !== 'data:' && u.protocol !== 'blob:' && u.host !== ours) foreignRequests.add(r.url());
    if (u.pathname === '/v1/stats') statsRequests.push(u);
  });
  page = context.pages()[0] ?? (await context.newPage());
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  // The guard itself works: a request elsewhere (a name that never resolves) is caught and refused.
  const probe = 'http://cdn.invalid/guard-probe.js';
  const reached = await page.evaluate((u) => fetch(u).then(() => true, () => false), probe);
  assert.equal(reached, false, 'the probe request was refused');
  assert.deepEqual([...foreignRequests], [probe], 'the guard saw the probe request');
  foreignRequests.clear();
  page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
  log('chromium started');
}

after(async () => {
  try {
    if (context) await context.close().catch(() => {});
  } finally {
    await stopServer();
    if (failed || process.env.KIM_BROWSER_KEEP === '1') {
      log(`kept ${tmp} (server log: ${path.join(tmp, 'server.log')})`);
    } else {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
    log('done');
  }
});

// A test step; a failed one keeps the temp folder and leaves a screenshot
// of the page as it was then (failure-N.png beside dashboard.png).
let stepNumber = 0;
function step(name, fn) {
  const n = ++stepNumber;
  test(name, { timeout: 60_000 }, async () => {
    try {
      await fn();
    } catch (e) {
      failed = true;
      if (page) {
        const shot = path.join(artifacts, `failure-${n}.png`);
        await page.screenshot({ path: shot, fullPage: true }).then(() => log(`screenshot of the failure: ${shot}`), () => {});
      }
      throw e;
    }
  });
}

const cookieOf = async () => (await context.cookies(server.url)).find((c) => c.name === 'kim_session');

// ---------------------------------------------------------------------------

step('replicas and auditors get 403 on /v1/stats with a valid bearer token; a coordinator key gets 200', async () => {
  const replicaKey = newKey();
  const auditorKey = newKey();
  const coordKey = newKey();
  await runAdmin(['replica', 'add', 'node-replica', '--site', 'hamborn', '--pubkey', replicaKey.publicBase64]);
  await runAdmin(['user', 'add', 'audit2', '--role', 'auditor', '--pubkey', auditorKey.publicBase64]);
  await runAdmin(['user', 'add', 'coordkey', '--role', 'coordinator', '--pubkey', coordKey.publicBase64]);
  const url = `${server.url}/v1/stats?count=cases&by=site`;
  for (const [identity, key, role, status] of [
    ['node-replica', replicaKey, 'replica', 403],
    ['audit2', auditorKey, 'auditor', 403],
    ['coordkey', coordKey, 'coordinator', 200],
  ]) {
    const t = await bearerToken(identity, key);
    assert.equal(t.role, role);
    const r = await fetch(url, { headers: { Authorization: `Bearer ${t.token}` } });
    const body = await r.json();
    assert.equal(r.status, status, `${identity} (${role}): ${JSON.stringify(body)}`);
    if (status === 403) assert.equal(body.error, 'forbidden');
  }
  const anonymous = await fetch(url);
  assert.equal(anonymous.status, 401);
});

step('the page loads signed out, from the server only', async () => {
  const response = await page.goto(`${server.url}/`);
  assert.equal(response.status(), 200);
  const csp = response.headers()['content-security-policy'] ?? '';
  assert.match(csp, /default-src 'self'/, `Content-Security-Policy: ${csp}`);
  await page.locator('#login-form').waitFor({ state: 'visible' });
  for (const id of ['#login-name', '#login-password', '#login-submit']) {
    assert.ok(await page.locator(id).isVisible(), `${id} visible`);
  }
  assert.equal(await page.locator('#signed-in-as').isVisible(), false, 'nobody is signed in yet');
});

step('a wrong password is refused: an error, still signed out, no cookie', async () => {
  await page.fill('#login-name', COORD.name);
  await page.fill('#login-password', 'not the password');
  const answered = page.waitForResponse((r) => new URL(r.url()).pathname === '/v1/session' && r.request().method() === 'POST');
  await page.click('#login-submit');
  assert.equal((await answered).status(), 401);
  await page.locator('#login-error').waitFor({ state: 'visible' });
  assert.notEqual((await page.locator('#login-error').innerText()).trim(), '', 'the error says something');
  assert.ok(await page.locator('#login-form').isVisible(), 'the sign-in form is still there');
  assert.equal(await page.locator('#signed-in-as').isVisible(), false);
  assert.equal(await cookieOf(), undefined, 'no session cookie after a wrong password');
});

step("an auditor's correct password does not open the dashboard", async () => {
  await page.fill('#login-name', AUDITOR_WITH_PASSWORD.name);
  await page.fill('#login-password', AUDITOR_WITH_PASSWORD.password);
  const answered = page.waitForResponse((r) => new URL(r.url()).pathname === '/v1/session' && r.request().method() === 'POST');
  await page.click('#login-submit');
  assert.equal((await answered).status(), 403);
  await page.locator('#login-error').waitFor({ state: 'visible' });
  assert.equal(await page.locator('#signed-in-as').isVisible(), false);
  assert.equal(await cookieOf(), undefined, 'no session cookie for an auditor');
});

step('the coordinator signs in; the cookie is HttpOnly and SameSite=Strict', async () => {
  await page.fill('#login-name', COORD.name);
  await page.fill('#login-password', COORD.password);
  await page.click('#login-submit');
  await page.locator('#signed-in-as').waitFor({ state: 'visible' });
  assert.match(await page.locator('#signed-in-as').innerText(), new RegExp(COORD.name));
  assert.ok(await page.locator('#logout').isVisible());
  assert.equal(await page.locator('#login-form').isVisible(), false, 'the sign-in form is gone');
  const cookie = await cookieOf();
  assert.ok(cookie, 'a kim_session cookie is set');
  assert.equal(cookie.httpOnly, true, 'HttpOnly');
  assert.equal(cookie.sameSite, 'Strict', 'SameSite=Strict');
  assert.equal(cookie.path, '/');
  assert.equal(cookie.secure, false, 'plain HTTP on loopback: not Secure');
  assert.ok(!(await page.evaluate(() => document.cookie)).includes('kim_session'), 'scripts cannot read the cookie');
});

step('every chart is drawn', async () => {
  await chartsDrawn('');
  for (const chart of CHARTS) {
    const section = page.locator(`section.chart[data-chart="${chart.id}"]`);
    await section.waitFor({ state: 'visible' });
    assert.ok(await section.locator('table.figures').count() >= 1, `${chart.id}: a table.figures`);
    assert.ok(await section.locator('a.csv-download').count() >= 1, `${chart.id}: a CSV link`);
  }
  const shot = path.join(artifacts, 'dashboard.png');
  await page.screenshot({ path: shot, fullPage: true });
  log(`screenshot: ${shot}`);
  console.log(`browser test artefact: ${shot}`);
});

// What the page leaves out of the drawing on purpose (dashboard.js says so,
// and the page says "nur in der Tabelle"): the needs chart draws levels 1-3
// only, the quarter chart no cell without a quarter. Those are checked in
// the table instead.
function drawnOnPurpose(by, cell) {
  if (by === 'site,phase') return cell.phase !== 'closed';
  if (by === 'need,level') return cell.level === '1' || cell.level === '2' || cell.level === '3';
  if (by === 'opened_quarter' || by === 'closed_quarter') return cell[by] !== null && cell[by] !== undefined;
  return true;
}

// The cells a chart must draw: "by/key=N" or "by/key=suppressed".
function cellsToDraw(answer) {
  const dims = answer.dimensions.map((d) => d.name);
  const by = dims.join(',');
  const out = [];
  for (const cell of answer.cells) {
    if (!drawnOnPurpose(by, cell)) continue;
    const key = dims.map((d) => cell[d] ?? '').join('|');
    if (cell.suppressed === true) out.push(`${by}/${key}=suppressed`);
    else if (cell.count > 0) out.push(`${by}/${key}=${cell.count}`);
  }
  return out.sort();
}

// How many numbers of the answers the table must show as suppressed: cells,
// margins and the total.
function suppressedNumbers(answers) {
  let n = 0;
  for (const a of answers) {
    n += a.cells.filter((c) => c.suppressed === true).length;
    for (const list of Object.values(a.margins ?? {})) n += list.filter((m) => m.suppressed === true).length;
    if (a.total?.suppressed === true) n++;
  }
  return n;
}

// Compares every chart with the API's answers to the same queries (plus
// `extra`, e.g. a site filter); `seed` also checks the answers against the seed.
async function compareCharts(extra, seed) {
  for (const chart of CHARTS) {
    const section = `section.chart[data-chart="${chart.id}"]`;
    const drawn = await page.locator(`${section} svg [data-key]`).evaluateAll(
      (els) => els.map((e) => ({
        chart: e.getAttribute('data-chart'),
        key: e.getAttribute('data-key'),
        by: e.getAttribute('data-by'),
        count: e.getAttribute('data-count'),
        suppressed: e.getAttribute('data-suppressed'),
      })));
    assert.ok(drawn.length > 0, `${chart.id}: nothing drawn`);
    const expected = [];
    const answers = [];
    for (const table of chart.tables) {
      const query = table.query + extra;
      const r = await context.request.get(`${server.url}/v1/stats?${query}`);
      assert.equal(r.status(), 200, `${query}: ${await r.text()}`);
      const answer = await r.json();
      if (seed) checkAgainstSeed(table.query, answer);
      answers.push(answer);
      expected.push(...cellsToDraw(answer));
      // The page asked the server for the same table (parameters in any order).
      assert.ok(statsRequests.some((u) => sameQuery(u.searchParams, new URLSearchParams(query))),
        `${chart.id}: the page never requested /v1/stats?${query}; it requested ${statsRequests.map((u) => u.search).join(' ')}`);
    }
    const byOf = (d) => {
      if (chart.tables.length === 1) return answers[0].dimensions.map((x) => x.name).join(',');
      assert.ok(d.by, `${chart.id} draws ${chart.tables.length} tables: its element ${d.key} must say which (data-by)`);
      return d.by;
    };
    const got = drawn.map((d) => {
      assert.equal(d.chart, chart.id, `element of ${chart.id} with data-chart="${d.chart}"`);
      assert.ok((d.count === null) !== (d.suppressed === null), `${chart.id} ${d.key}: exactly one of data-count, data-suppressed`);
      if (d.suppressed !== null) assert.equal(d.suppressed, 'true');
      else assert.match(d.count, /^[1-9][0-9]*$/, `${chart.id} ${d.key}: data-count`);
      return `${byOf(d)}/${d.key}=${d.suppressed === 'true' ? 'suppressed' : d.count}`;
    }).sort();
    expected.sort();
    assert.deepEqual(got, expected, `${chart.id}: drawn cells differ from the API's`);
    // The table shows every suppressed number as such (none as a figure).
    const tableSuppressed = await page.locator(`${section} table.figures td.suppressed, ${section} table.figures th.suppressed`).count();
    assert.equal(tableSuppressed, suppressedNumbers(answers), `${chart.id}: suppressed numbers in table.figures`);
    log(`${chart.id}${extra}: ${got.length} cells drawn as the API answers (${got.filter((g) => g.endsWith('=suppressed')).length} suppressed)`);
  }
}

// Waits until every chart has drawn the answers to queries ending in `extra`.
async function chartsDrawn(extra) {
  await page.waitForFunction((extra) => {
    const sections = [...document.querySelectorAll('section.chart[data-chart]')];
    return sections.length === 5 && sections.every((s) => {
      const marks = [...s.querySelectorAll('svg [data-key]')];
      return !s.hasAttribute('aria-busy') && marks.length > 0 &&
        marks.every((m) => !m.hasAttribute('data-query') || (extra ? m.getAttribute('data-query').endsWith(extra) : !m.getAttribute('data-query').includes('&site=')));
    });
  }, extra, { timeout: STEP_TIMEOUT });
}

step('each chart draws exactly the cells of its /v1/stats answer (counts > 0 and suppressed ones)', async () => {
  await compareCharts('', true);
});

// A table filtered to one site would be suppressed on its own, and beside the
// unfiltered one could give a suppressed cell away (docs/decisions.md 91):
// the page offers no such filter, and asks only the unfiltered questions.
step('the page offers no site filter and asks no filtered question', async () => {
  assert.equal(await page.locator('#site-filter').count(), 0, 'no site filter');
  for (const url of statsRequests) assert.ok(!/[?&]site=/.test(url), `a filtered question was asked: ${url}`);
});

function sameQuery(a, b) {
  const norm = (p) => [...p.entries()].filter(([k]) => k !== 'format').map(([k, v]) => `${k}=${v}`).sort().join('&');
  return norm(a) === norm(b);
}

// The API against the seed: published counts are the real ones, every real
// count from 1 to k-1 is suppressed, and so is at least one count >= k (a
// cell or a margin) where the seed needs secondary suppression: every table
// but the barriers (whose small cells are several and hide one another).
function checkAgainstSeed(query, answer) {
  assert.equal(answer.k, K, 'the server runs with k = 3');
  const truth = TRUTH[query];
  const dims = answer.dimensions.map((d) => d.name);
  let small = 0;
  let secondary = 0;
  for (const cell of answer.cells) {
    const key = dims.map((d) => cell[d] ?? '').join('|');
    const real = truth.get(key) ?? 0;
    if (cell.suppressed) {
      assert.equal(cell.count, null, `${query} ${key}: a suppressed count is null`);
      if (real >= K) secondary++;
    } else {
      assert.equal(cell.count, real, `${query} ${key}: published count`);
      assert.ok(real === 0 || real >= K, `${query} ${key}: ${real} < k published`);
    }
    if (real > 0 && real < K) small++;
  }
  const marginTruth = (dimIndex, value) => {
    let n = 0;
    for (const [key, count] of truth) if ((key.split('|')[dimIndex] ?? '') === (value ?? '')) n += count;
    return n;
  };
  if (answer.margins) {
    dims.forEach((d, i) => {
      for (const m of answer.margins[d] ?? []) {
        const real = marginTruth(i, m[d]);
        if (m.suppressed) { if (real >= K) secondary++; } else assert.equal(m.count, real, `${query} margin ${d}=${m[d]}`);
      }
    });
  }
  assert.ok(small > 0, `${query}: the seed gives this table a small cell`);
  if (query !== 'count=referrals&by=barrier') {
    // Each of these has a row (or list) with a single small cell and a
    // published total, so something else must be suppressed with it.
    assert.ok(secondary > 0, `${query}: a lone small cell but no secondary suppression`);
  }
}

step('suppressed cells are drawn as suppressed, never as 0', async () => {
  const primary = page.locator('section.chart[data-chart="open-by-phase-site"] svg [data-key="hamborn|linking"]');
  assert.equal(await primary.getAttribute('data-suppressed'), 'true', 'the one case of hamborn in linking is suppressed');
  assert.ok(await primary.isVisible(), 'and drawn visibly');
  const marks = await page.locator('section.chart svg [data-suppressed="true"]').evaluateAll((els) => els.map((e) => ({
    key: `${e.getAttribute('data-chart')} ${e.getAttribute('data-key')}`,
    title: e.querySelector('title')?.textContent?.trim() ?? '',
    // The visible words of the drawing the mark is in.
    words: [...e.ownerSVGElement.querySelectorAll('text')].filter((t) => t.getBBox().width > 0).map((t) => t.textContent.trim()),
  })));
  assert.ok(marks.length > 0);
  for (const m of marks) {
    // The mark's own label (its tooltip) says suppressed ("gesperrt") and shows no 0.
    assert.match(m.title, /gesperrt/, `${m.key}: the label of a suppressed cell`);
    assert.ok(!/(^|[^0-9])0([^0-9]|$)/.test(m.title), `${m.key}: a suppressed cell labelled "${m.title}"`);
    assert.ok(m.words.includes('gesperrt'), `${m.key}: the drawing says "gesperrt" beside its suppressed marks`);
  }
});

step('the CSV links answer text/csv', async () => {
  for (const chart of CHARTS) {
    const hrefs = await page.locator(`section.chart[data-chart="${chart.id}"] a.csv-download`).evaluateAll(
      (els) => els.map((e) => e.href));
    assert.equal(hrefs.length, chart.tables.length, `${chart.id}: one CSV link per table`);
    for (const href of hrefs) {
      const u = new URL(href);
      assert.equal(u.pathname, '/v1/stats');
      assert.equal(u.searchParams.get('format'), 'csv', href);
      assert.ok(chart.tables.some((t) => sameQuery(u.searchParams, new URLSearchParams(t.query))), `${chart.id}: ${href}`);
      const r = await context.request.get(href);
      assert.equal(r.status(), 200, href);
      assert.match(r.headers()['content-type'] ?? '', /^text\/csv/);
      const lines = (await r.text()).trim().split(/\r?\n/);
      assert.match(lines[0], /,count,suppressed$/, `${href}: header ${lines[0]}`);
      assert.ok(lines.length > 1, `${href}: rows`);
    }
  }
});

step('no request left 127.0.0.1, and the page raised no error', async () => {
  assert.deepEqual([...foreignRequests], [], 'requests to anywhere but the server');
  assert.deepEqual(pageErrors, [], 'uncaught exceptions in the page');
  const csp = consoleErrors.filter((m) => /Content Security Policy/i.test(m));
  assert.deepEqual(csp, [], 'Content-Security-Policy violations');
  if (consoleErrors.length) log(`console errors (allowed: failed loads such as the 401 of a signed-out check): ${consoleErrors.join(' | ')}`);
});

step('sign-out ends the session: /v1/stats answers 401 and the sign-in form is back', async () => {
  await page.click('#logout');
  await page.locator('#login-form').waitFor({ state: 'visible' });
  assert.equal(await page.locator('#signed-in-as').isVisible(), false);
  assert.equal(await page.locator('section.chart svg [data-key]:visible').count(), 0, 'no figure stays visible');
  assert.equal(await cookieOf(), undefined, 'the cookie is cleared');
  const r = await context.request.get(`${server.url}/v1/stats?count=cases&by=site`);
  assert.equal(r.status(), 401);
  log(`total ${elapsed()}`);
});
