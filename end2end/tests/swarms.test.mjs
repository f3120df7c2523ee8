// Building and running a swarm from the browser against three real hosts (one reached over
// TLS), in headless Chromium, with the docker CLI as the reference for what happened.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { clickUntil, Sandbox, startConsole, launchBrowser, eventually, artifacts, createFirstAdmin, flotillaCli, loginCookie } from './support.mjs';

const sandbox = new Sandbox('flte2e', '10.218.0', 3, { tls: true });
let console_;
let browser;
let page;

before(async () => {
  mkdirSync(artifacts, { recursive: true });
  sandbox.up();
  console_ = await startConsole();
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  page.on('pageerror', (err) => { throw new Error(`page error: ${err.message}`); });
});

after(async () => {
  if (page) await page.screenshot({ path: join(artifacts, 'swarms-last.png'), fullPage: true }).catch(() => {});
  await browser?.close();
  await console_?.stop();
  sandbox.down();
});

const swarmState = (node) => sandbox.docker(node, 'info', '--format', '{{.Swarm.LocalNodeState}}').trim();
/** `docker node ls` on node1, as sorted "hostname manager-status availability status" lines. */
const nodeLs = () => sandbox.docker(1, 'node', 'ls', '--format',
  '{{.Hostname}} {{.ManagerStatus}} {{.Availability}} {{.Status}}').trim().split('\n').sort();

test('first start: an admin, then an empty console that says where to begin', async () => {
  await createFirstAdmin(page, console_.url, 'admin', 'admin password');
  await page.waitForSelector('#swarms-empty');
});

test('a viewer can neither register hosts nor create swarms', async () => {
  flotillaCli(console_, ['user', 'add', 'vera', '--role', 'viewer'], 'viewer password\n');
  const cookie = await loginCookie(console_.url, 'vera', 'viewer password');
  for (const [path, body] of [
    ['/api/hosts/add', { name: 'n1', url: sandbox.socket(1), tls_ca: '', tls_cert: '', tls_key: '' }],
    ['/api/swarms/init', { name: 'x', host: 'n1', advertise_addr: '' }],
  ]) {
    const response = await fetch(`${console_.url}${path}`, {
      method: 'POST',
      headers: { cookie, origin: console_.url, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(body),
    });
    assert.equal(response.status, 403, path);
    assert.match(await response.text(), /vera is a viewer; this needs admin/);
  }
  assert.equal(swarmState(1), 'inactive');
});

async function registerHost(name, url, { tls, refused = false } = {}) {
  await page.fill('#host-form input[name=name]', name);
  await page.fill('#host-form input[name=url]', url);
  if (tls) {
    await page.click('#host-form summary');
    await page.fill('#host-form textarea[name=tls_ca]', tls.ca);
    await page.fill('#host-form textarea[name=tls_cert]', tls.cert);
    await page.fill('#host-form textarea[name=tls_key]', tls.key);
  }
  await clickUntil(page, '#host-form button[type=submit]', async () => {
    assert.ok(await page.$(refused ? '#host-error' : `tr.host-row[data-name="${name}"]`));
  });
}

test('hosts are registered by URL; a bad one is explained and not saved', async () => {
  await page.goto(`${console_.url}/hosts`, { waitUntil: 'networkidle' });
  await page.waitForSelector('#hosts-empty');
  await registerHost('ghost', `tcp://${sandbox.address(1)}:2399`, { refused: true });
  assert.match(await page.textContent('#host-error'), /cannot reach the Docker engine at tcp:\/\/10\.218\.0\.11:2399/);
  assert.ok(await page.isVisible('#host-form input[name=save_anyway]'), 'offers to save anyway');
  assert.equal(await page.$$eval('tr.host-row', (rows) => rows.length), 0);

  await registerHost('node1', sandbox.socket(1));
  await registerHost('node2', sandbox.socket(2));
  await registerHost('node3', sandbox.tlsUrl(3), {
    tls: { ca: sandbox.tlsFile('ca.pem'), cert: sandbox.tlsFile('cert.pem'), key: sandbox.tlsFile('key.pem') },
  });
  await page.waitForSelector('tr.host-row[data-name=node3]');
  const rows = await page.$$eval('tr.host-row', (trs) => trs.map((tr) => [
    tr.dataset.name, tr.querySelector('.engine').textContent, tr.querySelector('.swarm').textContent]));
  assert.deepEqual(rows.map(([name]) => name), ['node1', 'node2', 'node3']);
  for (const [name, engine, swarm] of rows) {
    assert.match(engine, /^20\.10\.\d+/, name);
    assert.equal(swarm, 'inactive', name);
  }
  assert.doesNotMatch(await page.content(), /PRIVATE KEY/, 'TLS material is never shown back');
  await page.screenshot({ path: join(artifacts, 'hosts.png'), fullPage: true });
});

test('a swarm is created from the three hosts by clicking, host by host', async () => {
  await page.goto(`${console_.url}/swarms/new`, { waitUntil: 'networkidle' });
  const row = (host) => `tr.create-host[data-host=${host}]`;
  assert.equal(await page.inputValue(`${row('node3')} input.advertise`), sandbox.address(3),
    'the advertise address is pre-filled from a tcp:// URL');
  // Two managers: the page warns that an even count buys nothing.
  await eventually(async () => {
    await page.selectOption(`${row('node2')} select.role`, 'manager');
    await page.waitForSelector('#even-managers', { timeout: 1_000 });
  }, { timeoutMs: 15_000 });
  await page.selectOption(`${row('node2')} select.role`, 'worker');
  await page.waitForSelector('#even-managers', { state: 'detached' });
  await page.fill('#swarm-name', 'prod');
  for (const i of [1, 2]) await page.fill(`${row(`node${i}`)} input.advertise`, sandbox.address(i));
  // node3 goes away after the page listed it: its join fails, the hosts that joined stay,
  // and Retry finishes the job once it is back.
  sandbox.stopEngine(3);
  await page.click('#create-swarm');
  await page.waitForSelector('#create-done', { timeout: 90_000 });
  const steps = () => page.$$eval('li.step', (lis) => lis.map((li) => [li.dataset.host, li.dataset.status]));
  assert.deepEqual(await steps(), [['node1', 'done'], ['node2', 'done'], ['node3', 'failed']]);
  assert.match(await page.textContent('li.step[data-host=node3]'),
    /failed: .*cannot reach the Docker engine at tcp:\/\/10\.218\.0\.13:2376/);
  await eventually(() => assert.deepEqual(nodeLs(), ['node1 Leader Active Ready', 'node2  Active Ready']));
  await page.screenshot({ path: join(artifacts, 'create-swarm-failed-join.png'), fullPage: true });
  sandbox.restartEngines();
  await page.click('li.step[data-host=node3] button.retry');
  await page.waitForSelector('li.step[data-host=node3][data-status=done]', { timeout: 60_000 });
  assert.deepEqual(await steps(), [['node1', 'done'], ['node2', 'done'], ['node3', 'done']]);
  await eventually(() => assert.deepEqual(nodeLs(),
    ['node1 Leader Active Ready', 'node2  Active Ready', 'node3  Active Ready']));
  await page.screenshot({ path: join(artifacts, 'create-swarm.png'), fullPage: true });
});

const nodeRow = (host) => `tr.node-row[data-hostname=${host}]`;

async function onSwarmPage() {
  // node1 is the manager throughout; the others come and go.
  await page.goto(`${console_.url}/swarms/prod`, { waitUntil: 'networkidle' });
  await page.waitForSelector(nodeRow('node1'));
}

test('the swarm page lists the nodes the CLI lists, with their hosts', async () => {
  await page.goto(console_.url, { waitUntil: 'networkidle' });
  assert.equal(await page.textContent('tr.swarm-row[data-name=prod] .managers'), '1');
  assert.equal(await page.textContent('tr.swarm-row[data-name=prod] .workers'), '2');
  await onSwarmPage();
  const rows = await page.$$eval('tr.node-row', (trs) => trs.map((tr) => [tr.dataset.hostname, tr.dataset.role, tr.dataset.state]));
  assert.deepEqual(rows, [['node1', 'manager', 'ready'], ['node2', 'worker', 'ready'], ['node3', 'worker', 'ready']]);
  assert.match(await page.textContent(`${nodeRow('node1')} .role`), /manager \(leader\)/);
  assert.equal(await page.$$eval('article.node', (cards) => cards.length), 3);
});

test('promote, demote, drain and label from the nodes table', async () => {
  await onSwarmPage();
  await clickUntil(page, `${nodeRow('node2')} button.promote`, () =>
    assert.match(nodeLs()[1], /^node2 Reachable Active Ready$/));
  await page.waitForSelector(`${nodeRow('node2')}[data-role=manager]`);
  await clickUntil(page, `${nodeRow('node2')} button.demote`, () =>
    assert.match(nodeLs()[1], /^node2  Active Ready$/));
  await clickUntil(page, `${nodeRow('node3')} button.drain`, () =>
    assert.match(nodeLs()[2], /^node3  Drain Ready$/));
  await page.waitForSelector(`${nodeRow('node3')}[data-availability=drain]`);
  await page.fill(`${nodeRow('node2')} input.label-input`, 'zone=b');
  await clickUntil(page, `${nodeRow('node2')} button.add-label`, () =>
    assert.equal(sandbox.docker(1, 'node', 'inspect', '-f', '{{json .Spec.Labels}}', 'node2').trim(), '{"zone":"b"}'));
  await page.waitForSelector(`${nodeRow('node2')} .label-chip[data-key=zone]`);
});

test('demoting the last manager is refused and changes nothing', async () => {
  const before = nodeLs();
  await onSwarmPage();
  await clickUntil(page, `${nodeRow('node1')} button.demote`, async () => {
    // page.$ does not wait, so the first check before any click fails fast.
    const error = await page.$('#node-error');
    assert.ok(error, 'no error shown yet');
    assert.match(await error.textContent(), /node1 is the swarm's last manager/);
  });
  assert.deepEqual(nodeLs(), before);
});

test('join tokens are for admins; the page shows the ones the CLI shows', async () => {
  await onSwarmPage();
  await clickUntil(page, '#show-tokens', async () => assert.ok(await page.$('#worker-token')));
  assert.equal(await page.textContent('#worker-token'), sandbox.docker(1, 'swarm', 'join-token', '-q', 'worker').trim());
  const cookie = await loginCookie(console_.url, 'vera', 'viewer password');
  const response = await fetch(`${console_.url}/api/swarm/tokens`, {
    method: 'POST',
    headers: { cookie, origin: console_.url, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ swarm: 'prod' }),
  });
  assert.equal(response.status, 403);
  const before = await page.textContent('#worker-token');
  await page.click('#rotate-worker');
  await eventually(async () => assert.notEqual(await page.textContent('#worker-token'), before), { timeoutMs: 15_000 });
  assert.equal(await page.textContent('#worker-token'), sandbox.docker(1, 'swarm', 'join-token', '-q', 'worker').trim());
  await page.screenshot({ path: join(artifacts, 'swarm.png'), fullPage: true });
});

test('the automation API lists swarms and nodes with a bearer token, and errors in JSON', async () => {
  const admin = flotillaCli(console_, ['token', 'create', 'ci', '--role', 'admin']).trim();
  const viewer = flotillaCli(console_, ['token', 'create', 'dash', '--role', 'viewer']).trim();
  const api = (path, token, init = {}) => fetch(`${console_.url}/api/v1${path}`, {
    ...init, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...init.headers },
  });
  const swarms = await (await api('/swarms', viewer)).json();
  assert.deepEqual(swarms.map(({ name, managers, workers }) => ({ name, managers, workers })),
    [{ name: 'prod', managers: 1, workers: 2 }]);
  const nodes = await (await api(`/swarms/${swarms[0].id}/nodes`, viewer)).json();
  assert.deepEqual(nodes.map((n) => [n.hostname, n.host]), [['node1', 'node1'], ['node2', 'node2'], ['node3', 'node3']]);

  const missing = await api('/swarms/nope/nodes', viewer);
  assert.equal(missing.status, 404);
  assert.equal((await missing.json()).error.code, 'not_found');
  const adopt = (token, body) => api('/swarms', token, { method: 'POST', body: JSON.stringify(body) });
  const refused = await adopt(viewer, { name: 'x', manager: sandbox.socket(1) });
  assert.equal(refused.status, 403);
  assert.equal((await refused.json()).error.code, 'forbidden');
  const bad = await adopt(admin, { name: 'x', manager: 'http://nowhere' });
  assert.equal(bad.status, 422);
  assert.deepEqual((await bad.json()).error.details, { field: 'url' });
  const worker = await adopt(admin, { name: 'x', manager: sandbox.socket(2) });
  assert.equal(worker.status, 422);
  assert.match((await worker.json()).error.message, /is not a swarm manager/);

  // A second console adopts the same swarm through its manager.
  const second = await startConsole();
  try {
    const other = await browser.newPage();
    await createFirstAdmin(other, second.url, 'admin', 'admin password');
    await other.close();
    const token = flotillaCli(second, ['token', 'create', 'ci', '--role', 'admin']).trim();
    const created = await fetch(`${second.url}/api/v1/swarms`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'adopted', manager: sandbox.socket(1) }),
    });
    assert.equal(created.status, 201);
    assert.equal((await created.json()).id, swarms[0].id);
    const listed = await (await fetch(`${second.url}/api/v1/swarms/adopted/nodes`, {
      headers: { authorization: `Bearer ${token}` },
    })).json();
    assert.equal(listed.length, 3);
  } finally {
    await second.stop();
  }
});

test('a node is removed from the table: drained, its host leaves, the record goes', async () => {
  await onSwarmPage();
  await clickUntil(page, `${nodeRow('node3')} button.remove`, () =>
    assert.deepEqual(nodeLs(), ['node1 Leader Active Ready', 'node2  Active Ready']), 60_000);
  assert.equal(swarmState(3), 'inactive');
});

/** Types the swarm's name into the danger zone of its page and dissolves it. */
async function dissolve(swarm) {
  await page.goto(`${console_.url}/swarms/${swarm}`, { waitUntil: 'networkidle' });
  assert.equal(await page.isDisabled('#dissolve'), true, 'nothing typed yet');
  await eventually(async () => {
    await page.fill('#dissolve-confirm', '');
    await page.type('#dissolve-confirm', swarm);
    assert.equal(await page.isEnabled('#dissolve'), true);
  }, { timeoutMs: 15_000 });
  await page.click('#dissolve');
  await page.waitForSelector('#dissolve-result', { timeout: 60_000 });
  assert.match(await page.textContent('#dissolve-result'), /Dissolved/);
}

const nodeRows = () => page.$$eval('tr.node-row', (trs) => trs.map((tr) => tr.dataset.hostname));

test('a second swarm from the freed host; every page is scoped to its own swarm', async () => {
  await page.goto(`${console_.url}/swarms/new`, { waitUntil: 'networkidle' });
  assert.deepEqual(await page.$$eval('tr.create-host:not(.unavailable)', (trs) => trs.map((tr) => tr.dataset.host)), ['node3']);
  assert.match(await page.textContent('tr.create-host[data-host=node1] .reason'), /already in a swarm/);
  // Without a manager there is nothing to initialise (and this waits for hydration).
  await eventually(async () => {
    await page.selectOption('tr.create-host[data-host=node3] select.role', 'worker');
    await page.click('#create-swarm');
    await page.waitForSelector('#create-error', { timeout: 1_000 });
  }, { timeoutMs: 15_000 });
  assert.match(await page.textContent('#create-error'), /pick at least one manager/);
  await page.selectOption('tr.create-host[data-host=node3] select.role', 'manager');
  await page.fill('#swarm-name', 'stage');
  await page.click('#create-swarm');
  await page.waitForSelector('#create-done', { timeout: 60_000 });
  assert.equal(sandbox.docker(3, 'info', '--format', '{{.Swarm.ControlAvailable}}').trim(), 'true');

  await page.goto(console_.url, { waitUntil: 'networkidle' });
  const swarms = await page.$$eval('tr.swarm-row', (trs) => trs.map((tr) => [
    tr.dataset.name, tr.querySelector('.managers').textContent, tr.querySelector('.workers').textContent]));
  assert.deepEqual(swarms, [['prod', '1', '1'], ['stage', '1', '0']]);
  await page.goto(`${console_.url}/swarms/stage`, { waitUntil: 'networkidle' });
  await page.waitForSelector(nodeRow('node3'));
  assert.deepEqual(await nodeRows(), ['node3']);
  await onSwarmPage();
  assert.deepEqual(await nodeRows(), ['node1', 'node2']);
});

test('a host moves from one swarm to another: dissolve one, add the host to the other', async () => {
  await dissolve('stage');
  assert.equal(swarmState(3), 'inactive');
  await onSwarmPage();
  await page.selectOption('#add-host-form select[name=host]', 'node3');
  await page.fill('#add-host-form input[name=advertise_addr]', sandbox.address(3));
  await page.click('#add-host-form button[type=submit]');
  await eventually(() => assert.deepEqual(nodeLs(),
    ['node1 Leader Active Ready', 'node2  Active Ready', 'node3  Active Ready']));
});

test('a host that is gone leaves a down node, which can be force-removed', async () => {
  sandbox.stopEngine(3);
  await eventually(async () => {
    await onSwarmPage();
    await page.waitForSelector(`${nodeRow('node3')}[data-state=down]`, { timeout: 1_000 });
  }, { timeoutMs: 90_000, intervalMs: 2_000 });
  assert.equal(await page.textContent(`${nodeRow('node3')} button.remove`), 'Force remove');
  await clickUntil(page, `${nodeRow('node3')} button.remove`, () =>
    assert.deepEqual(nodeLs(), ['node1 Leader Active Ready', 'node2  Active Ready']));
  // Back from the dead, the engine still believes it is in the swarm; its operator makes it leave.
  sandbox.restartEngines();
  sandbox.docker(3, 'swarm', 'leave', '--force');
});

test('every change is in the audit log', async () => {
  await page.goto(`${console_.url}/audit`, { waitUntil: 'networkidle' });
  const actions = await page.$$eval('tr.audit-row', (trs) => trs.map((tr) => tr.dataset.action));
  for (const action of ['host.add', 'swarm.init', 'swarm.join', 'node.promote', 'node.demote', 'node.drain',
    'node.label-add', 'node.remove', 'swarm.adopt', 'swarm.rotate-token', 'swarm.dissolve']) {
    assert.ok(actions.includes(action), `${action} in ${actions}`);
  }
});

test('dissolving needs the swarm name typed, then every host leaves', async () => {
  await dissolve('prod');
  for (const node of [1, 2, 3]) assert.equal(swarmState(node), 'inactive', `node${node}`);
  await page.goto(console_.url, { waitUntil: 'networkidle' });
  await page.waitForSelector('#swarms-empty');
});
