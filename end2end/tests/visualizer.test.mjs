// The live visualizer on a real three-node swarm: cards follow the CLI's scale and drain
// without a reload, a legend button scales, a lost manager shows as unreachable and recovers,
// and a logged-out page's stream ends. The engine events arrive through the console's one
// live state per swarm.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  Sandbox, startConsole, launchBrowser, eventually, artifacts, createFirstAdmin, flotillaCli, clickUntil,
} from './support.mjs';

const sandbox = new Sandbox('fltviz', '10.230.0', 3);
let console_;
let browser;
let page;
let admin;

const cards = (service) => page.$$eval(`#board .task-card[data-service="${service}"]`, (els) => els.map((el) => ({
  node: el.closest('article.node')?.dataset.hostname ?? null,
  state: el.querySelector('.task-state')?.textContent,
})));
const replicas = (service) => Number(sandbox.docker(1, 'service', 'inspect', service, '--format', '{{.Spec.Mode.Replicated.Replicas}}').trim());

before(async () => {
  mkdirSync(artifacts, { recursive: true });
  sandbox.up();
  sandbox.formSwarm();
  sandbox.docker(1, 'service', 'create', '--detach', '--name', 'web', '--replicas', '2', 'local/busybox:1', 'sleep', '3600');
  console_ = await startConsole({ captureLog: true });
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  await createFirstAdmin(page, console_.url, 'admin', 'admin password');
  admin = flotillaCli(console_, ['token', 'create', 'setup', '--role', 'admin']).trim();
  const adopted = await fetch(`${console_.url}/api/v1/swarms`, {
    method: 'POST',
    headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'prod', manager: sandbox.socket(1) }),
  });
  assert.equal(adopted.status, 201, await adopted.text());
});

after(async () => {
  if (page) await page.screenshot({ path: join(artifacts, 'visualizer-last.png'), fullPage: true }).catch(() => {});
  await browser?.close();
  await console_?.stop();
  sandbox.down();
});

test('a scale by the CLI shows its new cards without a reload', async () => {
  await page.goto(`${console_.url}/swarms/prod`, { waitUntil: 'networkidle' });
  await page.evaluate(() => { window.notReloaded = true; });
  await eventually(async () => assert.equal((await cards('web')).filter((c) => c.state === 'running').length, 2), { timeoutMs: 30_000 });
  const started = Date.now();
  sandbox.docker(1, 'service', 'scale', '--detach', 'web=5');
  await eventually(async () => assert.equal((await cards('web')).length, 5), { timeoutMs: 10_000, intervalMs: 50 });
  console.log(`five cards on the page ${Date.now() - started} ms after the CLI's scale`);
  await eventually(async () => assert.equal((await cards('web')).filter((c) => c.state === 'running').length, 5), { timeoutMs: 30_000 });
  assert.equal(await page.evaluate(() => window.notReloaded), true, 'the page was not reloaded');
  await page.screenshot({ path: join(artifacts, 'visualizer.png'), fullPage: true });
});

test('a drained node empties its column; the legend scales and highlights', async () => {
  sandbox.docker(1, 'node', 'update', '--availability', 'drain', 'node3');
  await eventually(async () => {
    assert.equal(await page.getAttribute('article.node[data-hostname=node3]', 'data-availability'), 'drain');
    assert.ok((await cards('web')).every((c) => c.node !== 'node3'), 'no card left on node3');
  }, { timeoutMs: 30_000 });
  sandbox.docker(1, 'node', 'update', '--availability', 'active', 'node3');
  await clickUntil(page, '#legend li[data-service=web] .legend-up', async () => assert.equal(replicas('web'), 6));
  await eventually(async () => assert.equal((await cards('web')).length, 6), { timeoutMs: 15_000 });
  await page.hover('#legend li[data-service=web] .legend-name');
  await eventually(async () => assert.match(await page.$eval('style', (s) => s.textContent).catch(() => ''), /web/), { timeoutMs: 5_000 });
});

test('a lost manager shows as unreachable, and the page recovers when it returns', async () => {
  sandbox.stopEngine(1);
  await page.waitForSelector('#live-stale', { timeout: 30_000 });
  assert.match(await page.textContent('#live-stale'), /Engine unreachable since \d\d:\d\d:\d\d UTC/);
  sandbox.restartEngines();
  await page.waitForSelector('#live-stale', { state: 'detached', timeout: 90_000 });
  await eventually(async () => assert.equal((await cards('web')).length, 6), { timeoutMs: 60_000 });
});

test('of two pages, the one logged out loses its stream', async () => {
  const other = await browser.newContext();
  const second = await other.newPage();
  await second.goto(`${console_.url}/login`);
  await second.fill('#login-form input[name=name]', 'admin');
  await second.fill('#login-form input[name=password]', 'admin password');
  await Promise.all([second.waitForURL(`${console_.url}/`), second.click('#login-form button[type=submit]')]);
  await second.goto(`${console_.url}/swarms/prod`, { waitUntil: 'networkidle' });
  await page.goto(`${console_.url}/swarms/prod`, { waitUntil: 'networkidle' });
  const open = () => Number((console_.log().match(/live stream (?:opened|closed).*open=(\d+)/g) ?? ['open=0']).at(-1).match(/open=(\d+)/)[1]);
  await eventually(() => assert.equal(open(), 2), { timeoutMs: 10_000 });
  await clickUntil(second, '#logout', async () => assert.match(second.url(), /\/login/));
  await eventually(() => assert.equal(open(), 1), { timeoutMs: 5_000, intervalMs: 100 });
  await other.close();

  // A new password, set from another process, ends the remaining page's stream too.
  flotillaCli(console_, ['user', 'reset-password', 'admin'], 'a newer admin password\n');
  await eventually(() => assert.equal(open(), 0), { timeoutMs: 10_000, intervalMs: 100 });
});

test('a caller holds at most sixteen live streams open', async () => {
  const controller = new AbortController();
  const stream = (signal = controller.signal) => fetch(`${console_.url}/api/v1/swarms/prod/live`, {
    headers: { authorization: `Bearer ${admin}` }, signal,
  });
  const held = [];
  for (let i = 0; i < 16; i += 1) held.push(await stream());
  assert.deepEqual(held.map((r) => r.status), Array(16).fill(200));
  const refused = await stream();
  assert.equal(refused.status, 429);
  assert.match((await refused.json()).error.message, /16 live streams/);
  controller.abort();
  // Closed streams give their places back.
  const later = new AbortController();
  await eventually(async () => assert.equal((await stream(later.signal)).status, 200), { timeoutMs: 10_000 });
  later.abort();
});

test('SIGTERM with live streams and a page open: the streams end and the console exits within 10 s', async () => {
  assert.equal((await fetch(`${console_.url}/readyz`)).status, 200, 'ready: the database and an engine answer');
  const streams = await Promise.all([1, 2, 3].map(() => fetch(`${console_.url}/api/v1/swarms/prod/live`, {
    headers: { authorization: `Bearer ${admin}` },
  })));
  assert.deepEqual(streams.map((s) => s.status), [200, 200, 200]);
  const ended = streams.map(async (stream) => {
    const reader = stream.body.getReader();
    try { while (!(await reader.read()).done) { /* events until the console ends the stream */ } } catch { /* cut */ }
    return Date.now();
  });
  await page.goto(`${console_.url}/swarms/prod/visualizer`, { waitUntil: 'networkidle' }).catch(() => {});
  const signalled = Date.now();
  process.kill(console_.pid, 'SIGTERM');
  const endedAt = await Promise.all(ended);
  assert.ok(Math.max(...endedAt) - signalled < 5_000, `streams ended ${Math.max(...endedAt) - signalled} ms after SIGTERM`);
  await console_.exited;
  assert.ok(Date.now() - signalled < 10_000, `exited ${Date.now() - signalled} ms after SIGTERM`);
  assert.match(console_.log(), /draining/);
});
