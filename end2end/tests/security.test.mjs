// The attacks a probe of the console made, replayed against the release build: hostile
// plans, hostile logins, DNS rebinding, a readable database, a host that is no engine, and an
// operator who would be root on the nodes. Each test fails on the console as it was before
// the fixes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createServer } from 'node:http';
import { statSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  Sandbox, startConsole, flotillaCli, loginCookie, rawRequest, residentBytes, SETUP_CODE,
} from './support.mjs';

const sandbox = new Sandbox('fltsec', '10.224.0', 1);
let console_;
let url;
let admin;
let operator;

const form = (body) => new URLSearchParams(body).toString();
const post = (path, body, headers = {}) => fetch(`${url}${path}`, {
  method: 'POST',
  redirect: 'manual',
  headers: { origin: url, 'content-type': 'application/x-www-form-urlencoded', ...headers },
  body: form(body),
});
const api = (token, path, init = {}) => fetch(`${url}/api/v1${path}`, {
  ...init, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...init.headers },
});
/** The server's own audit log, as an admin reads it. */
const auditActions = async () => {
  const response = await post('/api/audit/list', { actor: '', action: '', outcome: '' }, { authorization: `Bearer ${admin}` });
  assert.equal(response.status, 200);
  return response.json();
};

before(async () => {
  sandbox.up();
  sandbox.formSwarm();
  // 127.0.0.1 is a trusted proxy here, so a test can speak for other addresses.
  console_ = await startConsole({ captureLog: true, env: { FLOTILLA_TRUSTED_PROXIES: '127.0.0.1' } });
  url = console_.url;
});

after(async () => {
  await console_?.stop();
  sandbox.down();
});

test('a rebinding page cannot claim the console before setup, and a wrong setup code cannot either', async () => {
  const port = new URL(url).port;
  const setup = form({ name: 'mallory', password: 'mallory password', confirm: 'mallory password', code: SETUP_CODE });
  const rebound = await rawRequest(url, {
    method: 'POST',
    path: '/api/setup',
    headers: { host: `evil.example:${port}`, origin: `http://evil.example:${port}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: setup,
  });
  assert.equal(rebound.status, 403, rebound.body);
  const otherScheme = await post('/api/setup', { name: 'mallory', password: 'x'.repeat(12), confirm: 'x'.repeat(12), code: SETUP_CODE }, { origin: url.replace('http:', 'https:') });
  assert.equal(otherScheme.status, 403, 'an https:// origin is not this http:// console');
  const guessed = await post('/api/setup', { name: 'mallory', password: 'x'.repeat(12), confirm: 'x'.repeat(12), code: 'ABCD-EFGH' });
  assert.equal(guessed.status, 422);
  assert.match(await guessed.text(), /setup code/);
  assert.equal((await post('/api/login', { name: 'mallory', password: 'x'.repeat(12) })).status, 403, 'no mallory was made');
});

test('setup raced five times makes one admin; the others are told it is done', async () => {
  const fresh = await startConsole();
  try {
    const race = await Promise.all([0, 1, 2, 3, 4].map((i) => fetch(`${fresh.url}/api/setup`, {
      method: 'POST',
      redirect: 'manual',
      headers: { origin: fresh.url, 'content-type': 'application/x-www-form-urlencoded' },
      body: form({ name: `admin${i}`, password: 'admin password', confirm: 'admin password', code: SETUP_CODE }),
    })));
    const statuses = race.map((r) => r.status).sort();
    assert.equal(statuses.filter((s) => s < 400).length, 1, `${statuses}`);
    assert.deepEqual(statuses.filter((s) => s >= 400), [403, 403, 403, 403], `${statuses}`);
  } finally {
    await fresh.stop();
  }
});

test('after setup a rebound Host is refused, for pages and writes alike', async () => {
  flotillaCli(console_, ['user', 'add', 'root', '--role', 'admin'], 'root password\n');
  admin = flotillaCli(console_, ['token', 'create', 'sec-admin', '--role', 'admin']).trim();
  operator = flotillaCli(console_, ['token', 'create', 'sec-operator', '--role', 'operator']).trim();
  const port = new URL(url).port;
  for (const [method, path] of [['GET', '/'], ['GET', '/login'], ['POST', '/api/login']]) {
    const response = await rawRequest(url, { method, path, headers: { host: `evil.example:${port}` } });
    assert.equal(response.status, 403, `${method} ${path}`);
  }
  const ours = await rawRequest(url, { path: '/login', headers: { host: `localhost:${port}` } });
  assert.equal(ours.status, 200, 'localhost names the console too');
});

test('every answer carries the security headers; oversized bodies are 413', async () => {
  const page = await fetch(`${url}/login`);
  assert.equal(page.headers.get('x-frame-options'), 'DENY');
  assert.match(page.headers.get('content-security-policy'), /frame-ancestors 'none'/);
  assert.equal(page.headers.get('x-content-type-options'), 'nosniff');
  assert.equal(page.headers.get('referrer-policy'), 'same-origin');
  assert.equal(page.headers.get('cache-control'), 'no-store');
  // Refused on the declared length, before a byte of the body is read.
  const declared = (path, length, headers) => rawRequest(url, {
    method: 'POST', path, body: '{}', headers: { 'content-length': String(length), ...headers },
  });
  const big = await declared('/api/v1/swarms/x/stacks/y/plan', 5 * 1024 * 1024,
    { authorization: `Bearer ${operator}`, 'content-type': 'application/json' });
  assert.equal(big.status, 413);
  assert.equal(JSON.parse(big.body).error.code, 'payload_too_large');
  const bigLogin = await declared('/api/login', 100 * 1024,
    { origin: url, 'content-type': 'application/x-www-form-urlencoded' });
  assert.equal(bigLogin.status, 413, 'a login form is small');
});

test('hostile plans are refused at their line, the console keeps answering, and plans are audited', async () => {
  const plan = (compose, env = {}) => api(operator, '/swarms/nope/stacks/bomb/plan', {
    method: 'POST', body: JSON.stringify({ compose, env }),
  });
  const ranges = `services:\n  web:\n    image: nginx\n    ports:\n${'      - "0-65535"\n'.repeat(400)}`;
  const longVariable = `services:\n  web:\n    image: nginx\n    environment:\n      BIG: "${'$A'.repeat(50_000)}"\n`;
  // 80,000 keys merged in (inline, so YAML's own alias budget does not stop it first).
  const keys = Array.from({ length: 80_000 }, (_, i) => `        k${i}: v\n`).join('');
  const merges = `services:\n  web:\n    image: nginx\n    labels:\n      <<:\n${keys}`;
  const hostile = [
    [ranges, {}, /names 65536 ports/],
    [longVariable, { A: 'x'.repeat(100 * 1024) }, /exceeds 1024 KiB/],
    [merges, {}, /keys in one mapping/],
  ];
  let slowest = 0;
  let answering = true;
  const probe = (async () => {
    while (answering) {
      const started = Date.now();
      assert.equal((await fetch(`${url}/healthz`)).status, 200);
      slowest = Math.max(slowest, Date.now() - started);
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  const answers = await Promise.all(hostile.flatMap(([compose, env]) => [plan(compose, env), plan(compose, env)]));
  answering = false;
  await probe;
  for (const [i, response] of answers.entries()) {
    const [, , message] = hostile[Math.floor(i / 2)];
    assert.equal(response.status, 422);
    const error = (await response.json()).error;
    assert.match(error.message, message);
    assert.ok(error.details.line >= 1, 'the error names its line');
  }
  assert.ok(slowest < 1000, `/healthz took ${slowest} ms during hostile plans`);
  const audit = await auditActions();
  assert.ok(audit.filter((row) => row.action === 'stack.plan').length >= 6, 'plans are audited');
});

test('300 hostile logins leave memory where it was and forge no log line', async () => {
  // Each from its own address, as a botnet would, so the per-address limit does not stop
  // them: half with 1.5 MB names, half with names that try to forge a log line.
  const from = (i) => ({ 'x-forwarded-for': `203.0.${Math.floor(i / 250)}.${i % 250}` });
  const hostileLogin = async (i) => {
    const name = i % 2 === 0 ? `${i}${'n'.repeat(1_500_000)}` : `${i}\nERROR forged: admin logged in\n${'n'.repeat(4000)}`;
    try {
      return (await post('/api/login', { name, password: 'x' }, from(i))).status;
    } catch {
      return 'closed'; // refused before the body was read: the upload was cut
    }
  };
  for (let i = 0; i < 20; i++) await hostileLogin(1000 + i);
  const start = residentBytes(console_.pid);
  const statuses = [];
  for (let batch = 0; batch < 30; batch++) {
    statuses.push(...await Promise.all(Array.from({ length: 10 }, (_, i) => hostileLogin(batch * 10 + i))));
  }
  assert.ok(statuses.every((s) => [403, 413, 'closed'].includes(s)), `${[...new Set(statuses)]}`);
  assert.equal((await fetch(`${url}/healthz`)).status, 200);
  const grown = residentBytes(console_.pid) - start;
  console.log(`memory after 300 hostile logins: ${(grown / 1024 / 1024).toFixed(1)} MiB more than before`);
  assert.ok(grown < 10 * 1024 * 1024, `memory grew by ${grown} bytes`);
  assert.doesNotMatch(console_.log(), /^ERROR forged/m, 'a newline in a name cannot start a log line');
  assert.match(console_.log(), /\\nERROR forged/, 'the name is logged, escaped');
  assert.ok(console_.log().length < 1_000_000, 'names are cut before they are logged');
});

test('41 simultaneous guesses at one account get at most 5 checks', async () => {
  flotillaCli(console_, ['user', 'add', 'target', '--role', 'viewer'], 'the right password\n');
  const xff = { 'x-forwarded-for': '203.0.113.41' };
  const answers = await Promise.all(Array.from({ length: 41 }, (_, i) => post('/api/login', { name: 'target', password: `guess ${i}` }, xff)));
  const checked = answers.filter((r) => r.status !== 429).length;
  assert.ok(checked <= 5, `${checked} guesses were checked`);
  assert.ok(answers.every((r) => [403, 429].includes(r.status)));
});

test('an attacker elsewhere cannot lock a user out, and the audit log names each address', async () => {
  flotillaCli(console_, ['user', 'add', 'alice', '--role', 'viewer'], 'alice password\n');
  const attacker = { 'x-forwarded-for': '198.51.100.66' };
  for (let i = 0; i < 8; i++) await post('/api/login', { name: 'alice', password: `wrong ${i}` }, attacker);
  assert.equal((await post('/api/login', { name: 'alice', password: 'alice password' }, attacker)).status, 429);
  const alice = await post('/api/login', { name: 'alice', password: 'alice password' }, { 'x-forwarded-for': '192.0.2.10' });
  assert.ok(alice.status < 400, `alice from her own address got ${alice.status}`);
  const audit = await auditActions();
  const logins = audit.filter((row) => row.action === 'user.login' && row.target === 'alice');
  assert.ok(logins.some((row) => row.client_addr === '192.0.2.10' && row.outcome === 'ok'));
  assert.ok(logins.some((row) => row.client_addr === '198.51.100.66' && row.outcome === 'error'));
});

test('the database is private, and a copied session row lets nobody in', async () => {
  const dir = statSync(console_.dataDir);
  assert.equal(dir.mode & 0o777, 0o700);
  for (const file of readdirSync(console_.dataDir)) {
    assert.equal(statSync(join(console_.dataDir, file)).mode & 0o777, 0o600, file);
  }
  const cookie = await loginCookie(url, 'root', 'root password');
  assert.equal((await fetch(`${url}/`, { headers: { cookie }, redirect: 'manual' })).status, 200);
  const rows = execFileSync('sqlite3', [join(console_.dataDir, 'flotilla.db'), 'SELECT id FROM tower_sessions']).toString().trim().split('\n');
  assert.ok(rows.length > 0);
  const cookieId = cookie.split('=')[1];
  assert.ok(!rows.includes(cookieId), 'the table holds no session ID a browser sends');
  for (const id of rows) {
    const replayed = await fetch(`${url}/`, { headers: { cookie: `flotilla_session=${id}` }, redirect: 'manual' });
    assert.equal(replayed.status, 303, 'a copied row is not a session');
  }
});

test('a new password ends the sessions begun with the old one', async () => {
  flotillaCli(console_, ['user', 'add', 'bob', '--role', 'viewer'], 'bob password 1\n');
  const cookie = await loginCookie(url, 'bob', 'bob password 1');
  assert.equal((await fetch(`${url}/`, { headers: { cookie }, redirect: 'manual' })).status, 200);
  flotillaCli(console_, ['user', 'reset-password', 'bob'], 'bob password 2\n');
  const after = await fetch(`${url}/`, { headers: { cookie }, redirect: 'manual' });
  assert.equal(after.status, 303);
  assert.equal(after.headers.get('location'), '/login');
});

test('a service that is no engine is not echoed, and viewers never make the console probe', async () => {
  const secret = 'TOP-SECRET-BODY-7f3a';
  const server = createServer((_, response) => { response.writeHead(200, { 'content-type': 'text/plain' }); response.end(secret); });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  let hits = 0;
  server.on('request', () => { hits += 1; });
  const address = `tcp://127.0.0.1:${server.address().port}`;
  try {
    const refused = await post('/api/hosts/add', { name: 'web', url: address, tls_ca: '', tls_cert: '', tls_key: '' }, { authorization: `Bearer ${admin}` });
    assert.equal(refused.status, 502);
    const text = await refused.text();
    assert.doesNotMatch(text, new RegExp(secret));
    assert.match(text, /not .*Docker engine/);
    const saved = await post('/api/hosts/add', { name: 'web', url: address, tls_ca: '', tls_cert: '', tls_key: '', save_anyway: 'on' }, { authorization: `Bearer ${admin}` });
    assert.ok(saved.status < 400, await saved.clone().text());
    const viewer = flotillaCli(console_, ['token', 'create', 'sec-viewer', '--role', 'viewer']).trim();
    const probedSoFar = hits;
    for (let i = 0; i < 20; i++) {
      const list = await post('/api/hosts/list', {}, { authorization: `Bearer ${viewer}` });
      assert.equal(list.status, 200);
      assert.doesNotMatch(await list.text(), new RegExp(secret));
    }
    // At most the console's own periodic check (every 30 s) may fall in between.
    assert.ok(hits - probedSoFar <= 2, `20 host lists made ${hits - probedSoFar} requests to the host`);
    const metadata = await post('/api/hosts/add', { name: 'meta', url: 'tcp://169.254.169.254:80', tls_ca: '', tls_cert: '', tls_key: '', save_anyway: 'on' }, { authorization: `Bearer ${admin}` });
    assert.equal(metadata.status, 422);
    const file = await post('/api/hosts/add', { name: 'file', url: 'unix:///etc/passwd', tls_ca: '', tls_cert: '', tls_key: '' }, { authorization: `Bearer ${admin}` });
    const missing = await post('/api/hosts/add', { name: 'file', url: 'unix:///etc/no-such-file', tls_ca: '', tls_cert: '', tls_key: '' }, { authorization: `Bearer ${admin}` });
    const message = async (r) => (await r.json()).message.replace(/\/etc\/[^\s:]+/g, 'PATH');
    assert.equal(await message(file), await message(missing), 'which files exist is not told');
    await post('/api/hosts/remove', { name: 'web' }, { authorization: `Bearer ${admin}` });
  } finally {
    server.close();
  }
});

test("an operator's plan that mounts the Docker socket is refused; an admin's passes; the policy can let operators", async () => {
  const adopted = await api(admin, '/swarms', { method: 'POST', body: JSON.stringify({ name: 'prod', manager: sandbox.socket(1) }) });
  assert.equal(adopted.status, 201, await adopted.clone().text());
  const compose = 'services:\n  agent:\n    image: local/busybox:1\n    command: ["sleep", "3600"]\n'
    + '    volumes:\n      - /var/run/docker.sock:/var/run/docker.sock\n';
  const plan = (token) => api(token, '/swarms/prod/stacks/ops/plan', { method: 'POST', body: JSON.stringify({ compose }) });
  const asOperator = await (await plan(operator)).json();
  assert.deepEqual(asOperator.privileges, [{ service: 'ops_agent', what: "bind-mounts the host's /var/run/docker.sock" }]);
  assert.equal(asOperator.problems.length, 1);
  assert.match(asOperator.problems[0], /ops_agent bind-mounts the host's \/var\/run\/docker.sock: on swarm prod that needs an admin/);
  const deploy = await api(operator, '/swarms/prod/stacks/ops', { method: 'PUT', body: JSON.stringify({ compose }) });
  assert.equal(deploy.status, 409);
  assert.equal((await deploy.json()).error.code, 'plan_refused');
  assert.equal(sandbox.docker(1, 'service', 'ls', '-q').trim(), '', 'nothing was deployed');
  const asAdmin = await (await plan(admin)).json();
  assert.deepEqual(asAdmin.problems, []);
  assert.equal(asAdmin.privileges.length, 1, 'the plan still names what reaches the nodes');
  const opened = await post('/api/swarm/set-privileged-deploys', { swarm: 'prod', role: 'operator' }, { authorization: `Bearer ${admin}` });
  assert.equal(opened.status, 200);
  assert.deepEqual((await (await plan(operator)).json()).problems, []);
  const refused = await post('/api/swarm/set-privileged-deploys', { swarm: 'prod', role: 'admin' }, { authorization: `Bearer ${operator}` });
  assert.equal(refused.status, 403, 'only admins set the policy');
});

test('reading join tokens is audited', async () => {
  const tokens = await post('/api/swarm/tokens', { swarm: 'prod' }, { authorization: `Bearer ${admin}` });
  assert.equal(tokens.status, 200);
  const actions = (await auditActions()).map((row) => row.action);
  for (const action of ['swarm.join-tokens', 'swarm.deploy-policy', 'stack.plan', 'user.login']) {
    assert.ok(actions.includes(action), `${action} in the audit log`);
  }
});

test('stack variables and files are sealed in the database', async () => {
  const compose = 'services:\n  app:\n    image: local/busybox:1\n    command: ["sleep", "3600"]\n'
    + '    environment:\n      TOKEN: ${TOKEN}\n    secrets: [key]\nsecrets:\n  key:\n    file: ./key.txt\n';
  const body = { compose, env: { TOKEN: 'hunter2-in-env' }, files: { './key.txt': Buffer.from('hunter2-in-file').toString('base64') } };
  const deployed = await api(admin, '/swarms/prod/stacks/vault', { method: 'PUT', body: JSON.stringify(body) });
  assert.equal(deployed.status, 200, await deployed.clone().text());
  const stored = execFileSync('sqlite3', [join(console_.dataDir, 'flotilla.db'), 'SELECT env, files FROM stack_versions']).toString();
  assert.ok(stored.length > 0);
  for (const secret of ['hunter2', Buffer.from('hunter2-in-file').toString('base64')]) {
    assert.ok(!stored.includes(secret), `${secret} is stored in the clear: ${stored}`);
  }
  const source = await post('/api/stacks/source', { swarm: 'prod', stack: 'vault' }, { authorization: `Bearer ${admin}` });
  assert.equal(source.status, 200, await source.clone().text());
  assert.equal((await source.json()).env.TOKEN, 'hunter2-in-env', 'the console itself reads them back');
  await api(admin, '/swarms/prod/stacks/vault', { method: 'DELETE' });
});
