// Flotilla runs itself on a swarm: the image is built from this machine's build (no registry),
// deploy/flotilla.yml is deployed to a sandbox swarm with the docker CLI, and once the
// image's health check passes, a browser sets up the first admin and logs in through the
// published port, and sees the sandbox's nodes. Then deploy/flotilla-ha.yml: two consoles on
// two managers sharing a PostgreSQL service, one login good on both, and 20 deploys of one
// stack spread over both numbered 1 to 20 with the swarm at the last.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { Sandbox, launchBrowser, eventually, createFirstAdmin, repoRoot, SETUP_CODE, dockerCli } from './support.mjs';

const sandbox = new Sandbox('fltimg', '10.238.0', 3);
const url = `http://${sandbox.address(1)}:3000`;
let browser;

/** The docker CLI on node1 with `env`, fed `input`. */
const docker = (args, { input = '', env = {} } = {}) => execFileSync(dockerCli, ['-H', sandbox.socket(1), ...args], {
  input, env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'],
}).toString();

before(() => {
  sandbox.up();
  sandbox.formSwarm();
});

after(async () => {
  await browser?.close();
  for (const stack of ['flotilla', 'flotilla-ha', 'counted']) {
    try { docker(['stack', 'rm', stack]); } catch { /* not deployed */ }
  }
  sandbox.down();
});

test('the image builds here without a registry, deploys as a stack, turns healthy, and serves setup, login and the nodes through the published port', async () => {
  const built = spawnSync(join(repoRoot, 'scripts', 'image.sh'), [], {
    env: { ...process.env, DOCKER_HOST: sandbox.socket(1), FLOTILLA_IMAGE: 'flotilla:e2e' },
  });
  assert.equal(built.status, 0, built.stderr.toString());
  const size = built.stderr.toString().match(/flotilla:e2e: (\d+) MB/);
  assert.ok(size, built.stderr.toString());
  console.log(`# image size: ${size[1]} MB`);
  assert.equal(docker(['image', 'inspect', 'flotilla:e2e', '--format', '{{.Config.User}}']).trim(), '10001:10001');

  docker(['secret', 'create', 'flotilla-secret-key', '-'], { input: Buffer.alloc(32, 7).toString('base64') });
  docker(['secret', 'create', 'flotilla-setup-code', '-'], { input: SETUP_CODE });
  const socket = sandbox.socket(1).replace('unix://', '');
  docker(['stack', 'deploy', '-c', join(repoRoot, 'deploy', 'flotilla.yml'), 'flotilla'], {
    env: {
      FLOTILLA_IMAGE: 'flotilla:e2e', FLOTILLA_PUBLIC_URL: url, DOCKER_SOCKET: socket,
      DOCKER_GID: String(statSync(socket).gid),
    },
  });
  // The task runs once the image's HEALTHCHECK (flotilla healthcheck) passes.
  await eventually(() => assert.match(docker(['ps', '--filter', 'label=com.docker.swarm.service.name=flotilla_console', '--format', '{{.Status}}']), /\(healthy\)/), { timeoutMs: 90_000, intervalMs: 1_000 });
  assert.equal((await fetch(`${url}/readyz`)).status, 200, 'ready: its database and the mounted engine answer');

  browser = await launchBrowser();
  const page = await browser.newPage();
  page.on('pageerror', (err) => { throw new Error(`page error: ${err.message}`); });
  await createFirstAdmin(page, url, 'admin', 'admin password');
  // The console registered the engine it was given as host `local`; adopting its swarm
  // shows the nodes.
  const container = docker(['ps', '-q', '--filter', 'label=com.docker.swarm.service.name=flotilla_console']).trim();
  const token = docker(['exec', container, '/usr/local/bin/flotilla', 'token', 'create', 'e2e', '--role', 'admin']).trim();
  const adopted = await fetch(`${url}/api/v1/swarms`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'sandbox', manager: 'unix:///var/run/docker.sock' }),
  });
  assert.equal(adopted.status, 201, await adopted.text());
  await page.goto(`${url}/swarms/sandbox`, { waitUntil: 'networkidle' });
  await page.waitForSelector('tr.node-row');
  const nodes = await page.$$eval('tr.node-row', (rows) => rows.map((r) => r.dataset.hostname).sort());
  assert.deepEqual(nodes, ['node1', 'node2', 'node3']);
});

/** `docker ps` on node `node`: the console's task states. */
const consoleStatus = (node, service) => execFileSync(dockerCli, ['-H', sandbox.socket(node), 'ps', '-a',
  '--filter', `label=com.docker.swarm.service.name=${service}`, '--format', '{{.Status}}']).toString().trim();

test('flotilla-ha.yml: two consoles on one PostgreSQL; a login holds on both; 20 deploys over both number 1 to 20', async () => {
  // The single console goes; its port on node1 is needed again.
  docker(['stack', 'rm', 'flotilla']);
  await eventually(() => assert.equal(consoleStatus(1, 'flotilla_console'), ''), { timeoutMs: 60_000 });
  const built = spawnSync(join(repoRoot, 'scripts', 'postgres-image.sh'), [], { env: { ...process.env, DOCKER_HOST: sandbox.socket(1) } });
  assert.equal(built.status, 0, built.stderr.toString());
  // Images live on each engine: node2 gets node1's.
  const saved = execFileSync(dockerCli, ['-H', sandbox.socket(1), 'save', 'flotilla:e2e', 'flotilla-postgres:local'], { maxBuffer: 1 << 30 });
  execFileSync(dockerCli, ['-H', sandbox.socket(2), 'load', '-q'], { input: saved, stdio: ['pipe', 'ignore', 'pipe'] });
  docker(['node', 'promote', 'node2']);
  docker(['node', 'update', '--label-add', 'flotilla-db=true', 'node1']);
  docker(['secret', 'create', 'flotilla-db-password', '-'], { input: 'e2e database password' });

  const urls = [url, `http://${sandbox.address(2)}:3000`];
  const socket = sandbox.socket(1).replace('unix://', '');
  docker(['stack', 'deploy', '-c', join(repoRoot, 'deploy', 'flotilla-ha.yml'), 'flotilla-ha'], {
    env: {
      FLOTILLA_IMAGE: 'flotilla:e2e', POSTGRES_IMAGE: 'flotilla-postgres:local', FLOTILLA_PUBLIC_URL: urls.join(','),
      DOCKER_SOCKET: socket, DOCKER_GID: String(statSync(socket).gid),
    },
  });
  for (const node of [1, 2]) {
    await eventually(() => assert.match(consoleStatus(node, 'flotilla-ha_console'), /\(healthy\)/), { timeoutMs: 120_000, intervalMs: 1_000 });
  }
  for (const consoleUrl of urls) assert.equal((await fetch(`${consoleUrl}/readyz`)).status, 200, `${consoleUrl} is ready`);

  // Set up and log in through node1; the same session cookie is good on node2, as behind a
  // load balancer, because the session lives in the shared database.
  const context = await browser.newContext();
  const page = await context.newPage();
  page.on('pageerror', (err) => { throw new Error(`page error: ${err.message}`); });
  await createFirstAdmin(page, urls[0], 'admin', 'admin password');
  const container = docker(['ps', '-q', '--filter', 'label=com.docker.swarm.service.name=flotilla-ha_console']).trim();
  const token = docker(['exec', container, '/usr/local/bin/flotilla', 'token', 'create', 'e2e', '--role', 'admin']).trim();
  const call = (consoleUrl, path, init = {}) => fetch(`${consoleUrl}/api/v1${path}`, {
    ...init, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
  });
  const adopted = await call(urls[1], '/swarms', { method: 'POST', body: JSON.stringify({ name: 'sandbox', manager: 'unix:///var/run/docker.sock' }) });
  assert.equal(adopted.status, 201, await adopted.text());
  const [session] = await context.cookies(urls[0]);
  assert.ok(session, 'logged in through node1');
  await context.addCookies([{ name: session.name, value: session.value, url: urls[1], httpOnly: true, sameSite: 'Lax' }]);
  await page.goto(`${urls[1]}/swarms/sandbox`, { waitUntil: 'networkidle' });
  assert.equal(page.url(), `${urls[1]}/swarms/sandbox`, 'still logged in through node2');
  await page.waitForSelector('tr.node-row');
  const nodes = await page.$$eval('tr.node-row', (rows) => rows.map((r) => r.dataset.hostname).sort());
  assert.deepEqual(nodes, ['node1', 'node2', 'node3']);

  // 20 deploys of one stack at once, every other one through the other console.
  const compose = (n) => `services:\n  app:\n    image: local/busybox:1\n    command: [sleep, "3600"]\n    environment:\n      DEPLOY: "${n}"\n`;
  const answers = await Promise.all(Array.from({ length: 20 }, (_, n) => call(urls[n % 2], '/swarms/sandbox/stacks/counted', {
    method: 'PUT', body: JSON.stringify({ compose: compose(n + 1) }),
  })));
  for (const answer of answers) assert.ok(answer.ok, `${answer.status} ${await answer.clone().text()}`);
  const versions = await (await call(urls[0], '/swarms/sandbox/stacks/counted/versions')).json();
  assert.deepEqual(versions.map((v) => v.version).sort((a, b) => a - b), Array.from({ length: 20 }, (_, n) => n + 1), 'consecutive, no gaps, no duplicates');
  const last = versions.find((v) => v.version === 20).compose.match(/DEPLOY: "(\d+)"/)[1];
  const env = JSON.parse(docker(['service', 'inspect', 'counted_app', '--format', '{{json .Spec.TaskTemplate.ContainerSpec.Env}}']));
  assert.ok(env.includes(`DEPLOY=${last}`), `the swarm runs version 20 (DEPLOY=${last}), has ${env}`);
  console.log(`# HA: 20 deploys over 2 consoles → versions 1..20, swarm at DEPLOY=${last}`);

  // Logging out through node2 ends the session on node1 too.
  assert.ok((await fetch(`${urls[1]}/api/logout`, { method: 'POST', redirect: 'manual', headers: { origin: urls[1], cookie: `${session.name}=${session.value}` } })).status < 400);
  const after = await fetch(urls[0], { redirect: 'manual', headers: { cookie: `${session.name}=${session.value}` } });
  assert.equal(after.headers.get('location'), '/login');
  await context.close();
});
