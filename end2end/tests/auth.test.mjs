// Nobody anonymous touches a swarm: what an anonymous caller, a cross-site form and a
// password guesser get, and what survives a restart. No engine is needed for this.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startConsole, flotillaCli, loginCookie, newDataDir, startPostgres, SETUP_CODE } from './support.mjs';


// The same suite on both backends: SQLite (the default) and a real PostgreSQL server.
for (const backend of ['sqlite', 'postgres']) describe(`accounts on ${backend}`, () => {
let console_;
let url;
let postgres;

const get = (path, headers = {}) => fetch(`${url}${path}`, { redirect: 'manual', headers });
const post = (path, body = {}, headers = {}) => fetch(`${url}${path}`, {
  method: 'POST',
  redirect: 'manual',
  headers: { origin: url, 'content-type': 'application/x-www-form-urlencoded', ...headers },
  body: new URLSearchParams(body),
});

// Every page the console has, and every endpoint under /api from the server's own access
// table (`flotilla endpoints`): the crawls cover each without a hand-kept list.
const pages = ['/', '/hosts', '/swarms/new', '/swarms/prod', '/swarms/prod/stacks/new', '/swarms/prod/stacks/shop', '/login', '/setup', '/audit', '/docs/api', '/users', '/no-such-page'];
const endpoints = JSON.parse(flotillaCli({ dataDir: newDataDir(), databaseUrl: '' }, ['endpoints']));
const ranks = { viewer: 1, operator: 2, admin: 3 };
const signedIn = endpoints.filter((e) => e.access in ranks);
const serverFunctions = signedIn.filter((e) => !e.path.startsWith('/api/v1/')).map((e) => e.path);
/** An endpoint's path with sample values for its parameters. */
const concrete = (path) => path.replace('{swarm}', 'nosuch').replace('{stack}', 'nostack').replace('{version}', '1');
/** One request to `endpoint` as `headers` say, with an empty body of the kind it takes. */
const call = (endpoint, headers = {}) => {
  const api = endpoint.path.startsWith('/api/v1/');
  const body = endpoint.method === 'GET' || endpoint.method === 'DELETE' ? undefined : (api ? '{}' : '');
  return fetch(`${url}${concrete(endpoint.path)}`, {
    method: endpoint.method,
    redirect: 'manual',
    headers: { origin: url, 'content-type': api ? 'application/json' : 'application/x-www-form-urlencoded', ...headers },
    body,
  });
};

before(async () => {
  if (backend === 'postgres') postgres = await startPostgres();
  console_ = await startConsole({ dataDir: newDataDir(), databaseUrl: postgres?.url ?? '' });
  url = console_.url;
});

after(async () => {
  await console_?.stop();
  postgres?.stop();
});

test('before the first admin exists, everything leads to setup', async () => {
  for (const path of pages.filter((p) => p !== '/setup')) {
    const response = await get(path);
    assert.equal(response.status, 303, path);
    assert.equal(response.headers.get('location'), '/setup', path);
  }
  assert.equal((await get('/setup')).status, 200);
  for (const path of serverFunctions) assert.equal((await post(path)).status, 401, path);
});

test('setup creates the admin once, and only from our own pages', async () => {
  const form = { name: 'root', password: 'root password', confirm: 'root password', code: SETUP_CODE };
  const crossSite = await post('/api/setup', form, { origin: 'http://evil.example' });
  assert.equal(crossSite.status, 403);
  const short = await post('/api/setup', { ...form, password: 'short', confirm: 'short' });
  assert.equal(short.status, 422);
  assert.match(await short.text(), /password: at least 8 characters/);
  // Five setups at once (on PostgreSQL too, under a lock) make one admin; the rest are 403.
  const race = await Promise.all(['root', 'r1', 'r2', 'r3', 'r4'].map((name) => post('/api/setup', { ...form, name })));
  const statuses = race.map((r) => r.status);
  assert.equal(statuses.filter((s) => s < 400).length, 1, `${statuses}`);
  assert.ok(statuses.filter((s) => s >= 400).every((s) => s === 403), `${statuses}`);
  const created = race.find((r) => r.status < 400);
  const winner = ['root', 'r1', 'r2', 'r3', 'r4'][race.indexOf(created)];
  if (winner !== 'root') flotillaCli(console_, ['user', 'add', 'root', '--role', 'admin'], 'root password\n');
  const again = await post('/api/setup', { ...form, name: 'mallory' });
  assert.equal(again.status, 403);
  assert.equal((await get('/setup')).status, 303);
});

test('an anonymous crawl of every route gets 401 or the login page', async () => {
  for (const path of pages.filter((p) => p !== '/login')) {
    const response = await get(path);
    assert.equal(response.status, 303, path);
    assert.equal(response.headers.get('location'), '/login', path);
  }
  const login = await get('/login');
  assert.equal(login.status, 200);
  assert.equal((await get('/healthz')).status, 200);
  const loader = (await login.text()).match(/\/pkg\/flotilla\.[0-9a-f]{16}\.js/);
  assert.ok(loader, 'the page names the hashed loader');
  assert.equal((await get(loader[0])).status, 200);
  for (const path of serverFunctions) assert.equal((await post(path)).status, 401, path);
  const api = await get('/api/v1/swarms');
  assert.equal(api.status, 401);
  assert.equal((await api.json()).error.code, 'unauthorized', 'the automation API answers in JSON');
  const forged = await post('/api/swarms/list', {}, { cookie: 'flotilla_session=forged' });
  assert.equal(forged.status, 401);
  const badToken = await post('/api/swarms/list', {}, { authorization: 'Bearer flt_nope' });
  assert.equal(badToken.status, 401);
});

test('the session cookie is HttpOnly and SameSite=Lax, and a cross-site login is refused', async () => {
  const crossSite = await post('/api/login', { name: 'root', password: 'root password' }, { origin: 'http://evil.example' });
  assert.equal(crossSite.status, 403);
  assert.equal(crossSite.headers.get('set-cookie'), null);
  const response = await post('/api/login', { name: 'root', password: 'root password' });
  const cookie = response.headers.get('set-cookie');
  assert.match(cookie, /^flotilla_session=/);
  assert.match(cookie, /HttpOnly/);
  assert.match(cookie, /SameSite=Lax/);
  assert.doesNotMatch(cookie, /Secure/, 'plain HTTP on loopback: Secure only when configured');
});

test('a bearer token acts with its role and dies when revoked', async () => {
  const token = flotillaCli(console_, ['token', 'create', 'reader', '--role', 'viewer']).trim();
  const read = await post('/api/swarms/list', {}, { authorization: `Bearer ${token}`, origin: '' });
  assert.equal(read.status, 200);
  const write = await post('/api/swarms/init', { name: 'x', host: 'h', advertise_addr: '' }, { authorization: `Bearer ${token}` });
  assert.equal(write.status, 403);
  const audit = await post('/api/audit/list', { actor: '', action: '', outcome: '' }, { authorization: `Bearer ${token}` });
  assert.equal(audit.status, 403, 'the audit log is for admins');
  flotillaCli(console_, ['token', 'revoke', 'reader']);
  assert.equal((await post('/api/swarms/list', {}, { authorization: `Bearer ${token}` })).status, 401);
});

test('ten wrong passwords lock the account for a while', async () => {
  flotillaCli(console_, ['user', 'add', 'guessme', '--role', 'viewer'], 'the real password\n');
  const statuses = [];
  for (let i = 0; i < 10; i++) {
    statuses.push((await post('/api/login', { name: 'guessme', password: `guess ${i}` })).status);
  }
  assert.deepEqual(statuses.slice(0, 5), [403, 403, 403, 403, 403]);
  assert.deepEqual(statuses.slice(5), [429, 429, 429, 429, 429]);
  const right = await post('/api/login', { name: 'guessme', password: 'the real password' });
  assert.equal(right.status, 429, 'even the right password waits out the lock');
  assert.match(await right.text(), /too many failed logins/);
});

test('every endpoint × every role: the access table is what the server enforces', async () => {
  assert.ok(signedIn.length > 30, `only ${signedIn.length} endpoints in the table`);
  const tokens = Object.fromEntries(Object.keys(ranks).map((role) =>
    [role, flotillaCli(console_, ['token', 'create', `walk-${role}`, '--role', role]).trim()]));
  let checked = 0;
  for (const endpoint of signedIn) {
    const what = `${endpoint.method} ${endpoint.path}`;
    assert.equal((await call(endpoint)).status, 401, `anonymous ${what}`);
    checked += 1;
    for (const [role, token] of Object.entries(tokens)) {
      const status = (await call(endpoint, { authorization: `Bearer ${token}` })).status;
      if (ranks[role] >= ranks[endpoint.access]) {
        assert.ok(![401, 403].includes(status), `${role} ${what} is allowed but got ${status}`);
      } else {
        assert.equal(status, 403, `${role} ${what} needs ${endpoint.access}`);
      }
      checked += 1;
    }
  }
  const unlisted = await call({ method: 'POST', path: '/api/not/in/the/table' }, { authorization: `Bearer ${tokens.admin}` });
  assert.equal(unlisted.status, 404, 'a path the table does not list is refused, even to an admin');
  console.log(`endpoint × role walk: ${signedIn.length} endpoints × 4 callers = ${checked} requests`);
  for (const role of Object.keys(ranks)) flotillaCli(console_, ['token', 'revoke', `walk-${role}`]);
});

test('sessions and users survive a restart; logout ends the session', async () => {
  const cookie = await loginCookie(url, 'root', 'root password');
  assert.equal((await get('/', { cookie })).status, 200);
  await console_.stop({ keepData: true });
  console_ = await startConsole({ dataDir: console_.dataDir, port: console_.port, databaseUrl: console_.databaseUrl });
  assert.equal((await get('/', { cookie })).status, 200, 'the session outlived the restart');
  assert.ok((await post('/api/logout', {}, { cookie })).status < 400);
  const after = await get('/', { cookie });
  assert.equal(after.status, 303);
  assert.equal(after.headers.get('location'), '/login');
});
});
