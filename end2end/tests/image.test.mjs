// Flotilla runs itself on a swarm: the image is built from this machine's build (no registry),
// deploy/flotilla.yml is deployed to a sandbox swarm with the docker CLI, and once the
// image's health check passes, a browser sets up the first admin and logs in through the
// published port, and sees the sandbox's nodes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { Sandbox, launchBrowser, eventually, createFirstAdmin, repoRoot, SETUP_CODE, dockerCli } from './support.mjs';

const sandbox = new Sandbox('fltimg', '10.238.0', 2);
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
  try { docker(['stack', 'rm', 'flotilla']); } catch { /* not deployed */ }
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
  assert.deepEqual(nodes, ['node1', 'node2']);
});
