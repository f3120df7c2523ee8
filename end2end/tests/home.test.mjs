// The home page against a real two-node swarm, in headless Chromium: initialise the swarm
// from the page, see every node and where each task landed, filter in the hydrated page.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Sandbox, startConsole, launchBrowser, eventually, artifacts, createFirstAdmin, flotillaCli, loginCookie } from './support.mjs';

const sandbox = new Sandbox('flte2e', '10.218.0', 2);
let console_;
let browser;
let page;

before(async () => {
  mkdirSync(artifacts, { recursive: true });
  sandbox.up();
  console_ = await startConsole(sandbox.socket(1));
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.on('pageerror', (err) => { throw new Error(`page error: ${err.message}`); });
});

after(async () => {
  if (page) await page.screenshot({ path: join(artifacts, 'home-last.png'), fullPage: true }).catch(() => {});
  await browser?.close();
  await console_?.stop();
  sandbox.down();
});

/** Which task names the page shows on each node card, e.g. { node1: ['web.1'], … }. */
async function tasksByNode() {
  return page.$$eval('article.node', (cards) => Object.fromEntries(cards.map((card) => [
    card.dataset.hostname,
    [...card.querySelectorAll('li.task-running .task-name')].map((el) => el.textContent).sort(),
  ])));
}

test('first start asks for an admin, then shows the engine', async () => {
  await createFirstAdmin(page, console_.url, 'admin', 'admin password');
  assert.match(await page.textContent('#engine-message'), /is not part of a swarm/);
});

test('a viewer cannot initialise the swarm, even calling the server directly', async () => {
  flotillaCli(console_, ['user', 'add', 'vera', '--role', 'viewer'], 'viewer password\n');
  const cookie = await loginCookie(console_.url, 'vera', 'viewer password');
  const response = await fetch(`${console_.url}/api/swarm/init`, {
    method: 'POST',
    headers: { cookie, origin: console_.url, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ advertise_addr: sandbox.address(1) }),
  });
  assert.equal(response.status, 403);
  assert.match(await response.text(), /vera is a viewer; this needs admin/);
  assert.equal(sandbox.docker(1, 'info', '--format', '{{.Swarm.LocalNodeState}}').trim(), 'inactive');
});

test('an engine outside any swarm is explained, and the page initialises one', async () => {
  const response = await page.goto(console_.url, { waitUntil: 'networkidle' });
  assert.equal(response.status(), 200);
  assert.match(await page.textContent('#engine-message'), /is not part of a swarm/);
  // A bad address is refused with a message that names the field, and changes nothing.
  await eventually(async () => {
    await page.fill('input[name=advertise_addr]', 'not-an-address');
    await page.click('form.init-swarm button[type=submit]');
    await page.waitForSelector('#init-error', { timeout: 2_000 });
  }, { timeoutMs: 15_000 });
  assert.match(await page.textContent('#init-error'), /advertise address: `not-an-address` is not an IP address/);
  assert.equal(sandbox.docker(1, 'info', '--format', '{{.Swarm.LocalNodeState}}').trim(), 'inactive');
  await page.fill('input[name=advertise_addr]', sandbox.address(1));
  await page.click('form.init-swarm button[type=submit]');
  await page.waitForSelector('#swarm-id', { timeout: 30_000 });
  assert.equal(await page.textContent('#manager-count'), '1');
  assert.equal(sandbox.docker(1, 'info', '--format', '{{.Swarm.LocalNodeState}}').trim(), 'active');
});

test('the swarm init is in the audit log, with who, from where and how it ended', async () => {
  await page.goto(`${console_.url}/audit`, { waitUntil: 'networkidle' });
  const actions = await page.$$eval('tr.audit-row', (trs) => trs.map((tr) => tr.dataset.action).sort());
  assert.deepEqual(actions, ['swarm.init', 'user.add', 'user.setup'],
    'refused attempts (viewer, bad address) never reached the engine');
  const rows = await page.$$eval('tr.audit-row[data-action="swarm.init"]', (trs) => trs.map((tr) => tr.textContent));
  assert.match(rows[0], /admin/);
  assert.match(rows[0], /127\.0\.0\.1/);
  assert.match(rows[0], /swarm\.init/);
  assert.match(rows[0], new RegExp(`"advertise_addr":"${sandbox.address(1).replaceAll('.', '\\.')}"`));
  assert.match(rows[0], /ok$/);
  await eventually(async () => {
    await page.selectOption('select[name=outcome]', 'error');
    await page.waitForSelector('#audit-empty', { timeout: 2_000 });
  }, { timeoutMs: 15_000 });
  await page.screenshot({ path: join(artifacts, 'audit.png'), fullPage: true });
});

test('the page shows both nodes and where every task of the service runs', async () => {
  sandbox.formSwarm();
  sandbox.docker(1, 'service', 'create', '--detach', '--name', 'web', '--replicas', '3',
    'local/busybox:1', 'sleep', '3600');
  // The engine is the reference: where does it say each running task is?
  const expected = await eventually(() => {
    const lines = sandbox.docker(1, 'service', 'ps', 'web', '--filter', 'desired-state=running',
      '--format', '{{.Name}} {{.Node}} {{.CurrentState}}').trim().split('\n');
    assert.equal(lines.length, 3);
    const placement = { node1: [], node2: [] };
    for (const line of lines) {
      const [name, node, state] = line.split(' ');
      assert.equal(state, 'Running', line);
      placement[node].push(name);
    }
    return Object.fromEntries(Object.entries(placement).map(([n, t]) => [n, t.sort()]));
  });
  await page.goto(console_.url, { waitUntil: 'networkidle' });
  assert.equal(await page.textContent('#manager-count'), '1');
  assert.equal(await page.textContent('#worker-count'), '1');
  const hostnames = await page.$$eval('article.node h2.hostname', (els) => els.map((el) => el.textContent));
  assert.deepEqual(hostnames, ['node1', 'node2']);
  assert.deepEqual(await tasksByNode(), expected);
  assert.match(await page.textContent('article.node[data-hostname=node1] .role'), /manager · leader/);
  assert.match(await page.textContent('article.node[data-hostname=node1]'), /20\.10\./);
  await page.screenshot({ path: join(artifacts, 'home.png'), fullPage: true });
});

test('the filter box works in the hydrated page without a round trip', async () => {
  const onNode2 = (await tasksByNode()).node2.length;
  let requests = 0;
  page.on('request', () => { requests += 1; });
  // Typing before the WASM has hydrated changes nothing, so keep typing until it does.
  await eventually(async () => {
    await page.fill('#task-filter', '');
    await page.type('#task-filter', 'node2');
    assert.equal(await page.isHidden('article.node[data-hostname=node1]'), true);
  }, { timeoutMs: 15_000 });
  assert.equal(await page.isVisible('article.node[data-hostname=node2]'), true);
  assert.equal(await page.textContent('#task-count'), `${onNode2} of 3 tasks`);
  await page.fill('#task-filter', 'no-such-thing');
  assert.equal(await page.textContent('#task-count'), '0 of 3 tasks');
  assert.equal(await page.isHidden('article.node[data-hostname=node2]'), true);
  await page.fill('#task-filter', '');
  assert.equal(await page.isVisible('article.node[data-hostname=node1]'), true);
  assert.equal(requests, 0, 'filtering must happen in the browser');
  await page.type('#task-filter', 'web');
  await page.screenshot({ path: join(artifacts, 'home-filtered.png'), fullPage: true });
});

test('a console pointed at a worker says to use a manager', async () => {
  const atWorker = await startConsole(sandbox.socket(2));
  try {
    const other = await browser.newPage();
    await createFirstAdmin(other, atWorker.url, 'admin', 'admin password');
    assert.match(await other.textContent('#engine-message'), /node2\.sock is a swarm worker/);
    await other.close();
  } finally {
    await atWorker.stop();
  }
});

test('an engine that is down gives a clear message, not a 500', async () => {
  const down = await startConsole('unix:///run/flte2e/no-such-engine.sock');
  try {
    const other = await browser.newPage();
    await createFirstAdmin(other, down.url, 'admin', 'admin password');
    const response = await other.goto(down.url, { waitUntil: 'networkidle' });
    assert.equal(response.status(), 200);
    assert.match(await other.textContent('#engine-message'),
      /cannot reach the Docker engine at unix:\/\/\/run\/flte2e\/no-such-engine\.sock/);
    await other.close();
  } finally {
    await down.stop();
  }
});
