// `make bench`: the live visualizer on a three-node sandbox swarm. Prints
//   1. engine event → card shown (or gone) in headless Chromium, over 60 scales: p50, p99
//      (goal p50 ≤ 250 ms, p99 ≤ 1 s);
//   2. engine requests per minute with 1 viewer and with 50 (goal: equal), counted on a proxy
//      in front of the manager's socket while a service is scaled every 10 s;
//   3. the console's resident memory with 450 running tasks and 50 viewers (goal ≤ 50 MB);
//   4. with 10,000 tasks in the swarm (pending: a constraint no node meets, so no container
//      runs): the swarm page rendered on the server (time, bytes), and the browser's
//      scripting per change received (goal ≤ 16 ms, one frame).
import { request } from 'node:http';
import { createServer, connect } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  Sandbox, startConsole, flotillaCli, loginCookie, launchBrowser, createFirstAdmin, eventually, residentBytes,
} from '../tests/support.mjs';

const CHANGES = 60;
// Which of the four measurements to make (`BENCH_PHASES=4` for the 10,000-task one alone).
const PHASES = process.env.BENCH_PHASES || '1234';
const VIEWERS = 50;
const sandbox = new Sandbox('fltbviz', '10.232.0', 3);
const engineSocket = `/run/${sandbox.name}/node1.sock`;

/** One Engine API call over node 1's own socket (not through the counting proxy). */
function engine(method, path, body) {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: engineSocket, method, path, headers: { 'content-type': 'application/json' } }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        if (res.statusCode < 300) resolve(text ? JSON.parse(text) : null);
        else reject(new Error(`${method} ${path}: ${res.statusCode} ${text}`));
      });
    });
    req.on('error', reject);
    req.end(body ? JSON.stringify(body) : undefined);
  });
}

async function scale(service, replicas) {
  const current = await engine('GET', `/v1.41/services/${service}`);
  const spec = { ...current.Spec, Mode: { Replicated: { Replicas: replicas } } };
  await engine('POST', `/v1.41/services/${current.ID}/update?version=${current.Version.Index}`, spec);
}

/** A unix socket in front of the engine's that counts the requests passing through it. */
function countingProxy(path) {
  let requests = 0;
  const server = createServer((client) => {
    const upstream = connect(engineSocket);
    client.on('data', (chunk) => {
      requests += (chunk.toString('latin1').match(/^[A-Z]+ \S+ HTTP\/1\.1\r$/gm) ?? []).length;
    });
    client.pipe(upstream).pipe(client);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  server.listen(path);
  return { take() { const n = requests; requests = 0; return n; }, close() { server.close(); } };
}

/** The times (unix ms, fractional) of the manager's service events, as the engine stamps them. */
function serviceEvents() {
  const times = [];
  const filters = encodeURIComponent(JSON.stringify({ type: ['service'], event: ['update'] }));
  const req = request({ socketPath: engineSocket, path: `/v1.41/events?filters=${filters}` }, (res) => {
    let buffered = '';
    res.on('data', (chunk) => {
      buffered += chunk;
      let newline;
      while ((newline = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        if (line.trim()) times.push(Number(JSON.parse(line).timeNano) / 1e6);
      }
    });
  });
  req.end();
  return { times, close() { req.destroy(); } };
}

const quantile = (values, q) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(q * values.length))];
const ms = (v) => `${v.toFixed(1).padStart(7)} ms`;
const sleep = (msecs) => new Promise((r) => setTimeout(r, msecs));

/** Opens `count` live streams with `token`; returns a function that closes them. */
async function viewers(url, token, count) {
  const controller = new AbortController();
  for (let i = 0; i < count; i++) {
    const response = await fetch(`${url}/api/v1/swarms/prod/live`, { headers: { authorization: `Bearer ${token}` }, signal: controller.signal });
    if (response.status !== 200) throw new Error(`viewer ${i}: ${response.status}`);
    // Read and drop what comes, as a browser tab would.
    response.body.pipeTo(new WritableStream()).catch(() => {});
  }
  return () => controller.abort();
}

const work = mkdtempSync(join(tmpdir(), 'flotilla-bench-'));
sandbox.up();
let console_;
let browser;
let proxy;
let events;
try {
  sandbox.formSwarm();
  sandbox.docker(1, 'service', 'create', '--detach', '--name', 'web', '--replicas', '1', 'local/busybox:1', 'sleep', '3600');
  proxy = countingProxy(join(work, 'engine.sock'));
  console_ = await startConsole({ env: { FLOTILLA_MAX_LIVE_STREAMS: String(VIEWERS + 10) } });
  browser = await launchBrowser();
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  await createFirstAdmin(page, console_.url, 'admin', 'admin password');
  const token = flotillaCli(console_, ['token', 'create', 'bench', '--role', 'admin']).trim();
  const adopted = await fetch(`${console_.url}/api/v1/swarms`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'prod', manager: `unix://${join(work, 'engine.sock')}` }),
  });
  if (adopted.status !== 201) throw new Error(`adopt: ${adopted.status} ${await adopted.text()}`);
  page.on('requestfailed', (r) => { if (r.url().includes('/live')) console.log(`${new Date().toISOString()} live stream failed: ${r.failure()?.errorText}`); });
  await page.goto(`${console_.url}/swarms/prod`, { waitUntil: 'networkidle' });
  const cards = (service) => page.$$eval(`#board .task-card[data-service="${service}"]`, (els) => els.length);
  await eventually(async () => { if ((await cards('web')) !== 1) throw new Error('web not shown'); }, { timeoutMs: 30_000 });

  // 1. Event → card. The page notes (on its own clock, the same machine's) when the count
  // of web's cards first reaches the target; the engine stamps its event.
  if (PHASES.includes('1')) {
  events = serviceEvents();
  await sleep(500);
  const latencies = [];
  for (let i = 0; i < CHANGES; i++) {
    const target = i % 2 === 0 ? 2 : 1;
    await page.evaluate((want) => {
      window.cardsAt = new Promise((resolve) => {
        const count = () => document.querySelectorAll('#board .task-card[data-service="web"]').length;
        const observer = new MutationObserver(() => {
          if (count() === want) { observer.disconnect(); resolve(performance.timeOrigin + performance.now()); }
        });
        observer.observe(document.getElementById('board'), { childList: true, subtree: true });
      });
    }, target);
    const before = events.times.length;
    await scale('web', target);
    const shownAt = await page.evaluate(() => Promise.race([window.cardsAt, new Promise((r) => setTimeout(() => r(null), 10_000))]));
    if (shownAt === null) throw new Error(`change ${i}: web's cards did not become ${target} within 10 s`);
    await eventually(() => { if (events.times.length <= before) throw new Error('no event yet'); }, { timeoutMs: 5_000, intervalMs: 20 });
    latencies.push(shownAt - events.times[before]);
    await sleep(250);
  }
  console.log(`engine event → card, ${CHANGES} changes:          p50 ${ms(quantile(latencies, 0.5))}  p99 ${ms(quantile(latencies, 0.99))}  max ${ms(Math.max(...latencies))}`);
  console.log(`goal p50 ≤ 250 ms (${quantile(latencies, 0.5) <= 250 ? 'met' : 'NOT met'}), p99 ≤ 1 s (${quantile(latencies, 0.99) <= 1000 ? 'met' : 'NOT met'})`);

  }

  // 2. Engine requests per minute, one viewer and fifty, the swarm changing every 10 s.
  if (PHASES.includes('2')) {
  const perMinute = async () => {
    await sleep(5_000);
    proxy.take();
    for (let i = 0; i < 6; i++) {
      await scale('web', i % 2 === 0 ? 2 : 1);
      await sleep(10_000);
    }
    return proxy.take();
  };
  const one = await perMinute();
  const close = await viewers(console_.url, token, VIEWERS - 1);
  const fifty = await perMinute();
  close();
  console.log(`engine requests per minute, 1 viewer: ${one}, ${VIEWERS} viewers: ${fifty} (ratio ${(fifty / one).toFixed(2)}; goal 1.00)`);
  }

  // 3. Memory with 450 running tasks and fifty viewers.
  if (PHASES.includes('3')) {
  const rssBefore = residentBytes(console_.pid);
  sandbox.docker(1, 'service', 'create', '--detach', '--name', 'load', '--replicas', '450', 'local/busybox:1', 'sleep', '36000');
  const started = performance.now();
  await eventually(async () => {
    const tasks = await engine('GET', `/v1.41/tasks?filters=${encodeURIComponent(JSON.stringify({ service: ['load'], 'desired-state': ['running'] }))}`);
    const running = tasks.filter((t) => t.Status.State === 'running').length;
    if (running < 450) throw new Error(`${running} of 450 running`);
  }, { timeoutMs: 900_000, intervalMs: 5_000 });
  const close = await viewers(console_.url, token, VIEWERS - 1);
  await eventually(async () => { if ((await page.$$eval('#board .task-card', (els) => els.length)) < 3) throw new Error('not drawn'); }, { timeoutMs: 30_000 });
  await sleep(5_000);
  const rss = residentBytes(console_.pid);
  console.log(`450 tasks running after ${((performance.now() - started) / 1000).toFixed(0)} s; console RSS ${(rssBefore / 2 ** 20).toFixed(1)} MB before, ${(rss / 2 ** 20).toFixed(1)} MB with 450 tasks and ${VIEWERS} viewers (goal ≤ 50 MB: ${rss <= 50 * 2 ** 20 ? 'met' : 'NOT met'})`);
  close();
  await engine('DELETE', '/v1.41/services/load');
  }

  // 4. 10,000 tasks: the page rendered on the server, and a change applied in the browser.
  if (PHASES.includes('4')) {
  sandbox.docker(1, 'service', 'create', '--detach', '--name', 'pending', '--replicas', '10000',
    '--constraint', 'node.labels.nowhere==here', 'local/busybox:1', 'sleep', '3600');
  await eventually(async () => {
    const tasks = await engine('GET', `/v1.41/tasks?filters=${encodeURIComponent(JSON.stringify({ service: ['pending'] }))}`);
    if (tasks.length < 10_000) throw new Error(`${tasks.length} of 10,000 tasks made`);
  }, { timeoutMs: 600_000, intervalMs: 5_000 });
  const cookie = await loginCookie(console_.url, 'admin', 'admin password');
  await eventually(async () => {
    const html = await (await fetch(`${console_.url}/swarms/prod`, { headers: { cookie } })).text();
    if (!html.includes('10001 tasks') && !html.includes('10002 tasks')) throw new Error('the live state has not every task yet');
  }, { timeoutMs: 120_000, intervalMs: 2_000 });
  const renders = [];
  let bytes = 0;
  for (let i = 0; i < 20; i++) {
    const t0 = performance.now();
    const html = await (await fetch(`${console_.url}/swarms/prod`, { headers: { cookie } })).text();
    renders.push(performance.now() - t0);
    bytes = Buffer.byteLength(html);
  }
  console.log(`swarm page at 10,000 tasks (SSR):               p50 ${ms(quantile(renders, 0.5))}  p99 ${ms(quantile(renders, 0.99))}  ${(bytes / 1024).toFixed(1)} KB (goal ≤ 100 ms: ${quantile(renders, 0.5) <= 100 ? 'met' : 'NOT met'}, ≤ 2 MB: ${bytes <= 2 * 2 ** 20 ? 'met' : 'NOT met'})`);

  await page.goto(`${console_.url}/swarms/prod`, { waitUntil: 'networkidle' });
  await eventually(async () => { if ((await cards('web')) < 1) throw new Error('web not shown'); }, { timeoutMs: 60_000 });
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Performance.enable');
  await cdp.send('Network.enable');
  let messages = 0;
  cdp.on('Network.eventSourceMessageReceived', () => { messages += 1; });
  const scripting = async () => (await cdp.send('Performance.getMetrics')).metrics.find((m) => m.name === 'ScriptDuration').value * 1000;
  const perChange = [];
  for (let i = 0; i < 20; i++) {
    const target = i % 2 === 0 ? 2 : 1;
    await sleep(4_000); // the follow-up readings of the last change are over
    const [script0, messages0] = [await scripting(), messages];
    await scale('web', target);
    await eventually(async () => { if ((await cards('web')) !== target) throw new Error('not yet'); }, { timeoutMs: 30_000, intervalMs: 100 });
    await sleep(4_000);
    const received = messages - messages0;
    if (received > 0) perChange.push((await scripting() - script0) / received);
  }
  console.log(`browser scripting per change at 10,000 tasks:   p50 ${ms(quantile(perChange, 0.5))}  max ${ms(Math.max(...perChange))}  (goal ≤ 16 ms: ${quantile(perChange, 0.5) <= 16 ? 'met' : 'NOT met'})`);
  }
} finally {
  events?.close();
  proxy?.close();
  await browser?.close();
  await console_?.stop();
  sandbox.down();
  rmSync(work, { recursive: true, force: true });
}
