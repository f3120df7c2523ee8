// Shared pieces of the browser tests: a sandbox of Docker hosts, the built console, Chromium.
import { execFileSync, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdtempSync, readdirSync, existsSync, chownSync, rmSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { connect } from 'node:net';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const artifacts = join(repoRoot, 'end2end', 'artifacts');
const targetDir = process.env.CARGO_TARGET_DIR || join(repoRoot, 'target');
export const serverBin = process.env.FLOTILLA_BIN || join(targetDir, 'release', 'flotilla');
const siteRoot = process.env.LEPTOS_SITE_ROOT || join(targetDir, 'site');
export const dockerCli = process.env.DOCKER_CLI || '/usr/local/bin/docker';

/** A sandbox of `nodes` Docker hosts with names and a subnet no other test uses. */
export class Sandbox {
  /** With `registry`, the engines may pull from a registry on the bridge (`registryUp`). */
  constructor(name, subnet, nodes, { tls = false, registry = false } = {}) {
    this.env = {
      ...process.env, SANDBOX_NAME: name, SANDBOX_SUBNET: subnet, NODES: String(nodes), DOCKER_CLI: dockerCli,
      SANDBOX_TLS: tls ? '1' : '0', SANDBOX_REGISTRY: registry ? `${subnet}.1:5000` : '',
    };
    this.name = name;
    this.subnet = subnet;
  }
  /** Where the sandbox's registry listens. */
  get registry() { return `${this.subnet}.1:5000`; }
  /** Starts (or restarts, keeping its images) the sandbox's registry with one login. */
  registryUp({ user, password, notify = '' }) {
    execFileSync(join(repoRoot, 'scripts', 'registry.sh'), ['up'], {
      env: { ...process.env, REGISTRY_NAME: `${this.name}-r`, REGISTRY_ADDR: this.registry, REGISTRY_USER: user, REGISTRY_PASSWORD: password, REGISTRY_NOTIFY: notify },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
  }
  registryDown() {
    execFileSync(join(repoRoot, 'scripts', 'registry.sh'), ['down'], { env: { ...process.env, REGISTRY_NAME: `${this.name}-r` }, stdio: 'ignore' });
  }
  run(command, ...args) {
    return execFileSync(join(repoRoot, 'scripts', 'sandbox.sh'), [command, ...args], { env: this.env, stdio: ['ignore', 'pipe', 'inherit'] }).toString();
  }
  up() { this.run('down'); this.run('up'); }
  /** Stops one node's engine, as when a host goes away. */
  stopEngine(node) { this.run('stop-node', String(node)); }
  /** The process ID of node `node`'s engine (to freeze it with SIGSTOP). */
  enginePid(node) { return Number(readFileSync(`/run/${this.name}/node${node}.pid`, 'utf8').trim()); }
  /** Starts every stopped engine again. */
  restartEngines() { this.run('up'); }
  down() { this.run('down'); }
  formSwarm() { this.run('swarm'); }
  socket(node) { return `unix:///run/${this.name}/node${node}.sock`; }
  address(node) { return `${this.subnet}.${10 + node}`; }
  tlsUrl(node) { return `tcp://${this.address(node)}:2376`; }
  /** A PEM file of the sandbox's TLS material (ca.pem, cert.pem, key.pem). */
  tlsFile(file) { return readFileSync(`/run/${this.name}/tls/${file}`, 'utf8'); }
  /** The docker CLI against node `node` of this sandbox. */
  docker(node, ...args) {
    return execFileSync(dockerCli, ['-H', this.socket(node), ...args], { stdio: ['ignore', 'pipe', 'pipe'] }).toString();
  }
  /** The docker CLI against node `node` with its own login file in `config`, fed `input`. */
  dockerAs(config, node, input, ...args) {
    return execFileSync(dockerCli, ['-H', this.socket(node), ...args], { input, env: { ...process.env, DOCKER_CONFIG: config }, stdio: ['pipe', 'pipe', 'pipe'] }).toString();
  }
}

async function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** The first-admin setup code every console started here is given (FLOTILLA_SETUP_CODE). */
export const SETUP_CODE = 'E2E-SETUP-CODE';

/** A fresh data directory for one console (its SQLite database lives there). */
export function newDataDir() {
  return mkdtempSync(join(tmpdir(), 'flotilla-e2e-'));
}

/** Runs `flotilla ARGS…` on the database of a started console, feeding `stdin`; returns stdout. */
export function flotillaCli(console_, args, stdin = '') {
  const env = { ...process.env, FLOTILLA_DATA_DIR: console_.dataDir, DATABASE_URL: console_.databaseUrl };
  return execFileSync(serverBin, args, { input: stdin, env }).toString();
}

/** A throwaway PostgreSQL cluster (Debian's postgresql) on a free loopback port. */
export async function startPostgres() {
  const root = '/usr/lib/postgresql';
  const bin = readdirSync(root).map((v) => join(root, v, 'bin')).find((b) => existsSync(join(b, 'initdb')));
  if (!bin) throw new Error('PostgreSQL is not installed (apt-get install -y postgresql; make test does it)');
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'flotilla-e2e-pg-'));
  const uid = Number(execFileSync('id', ['-u', 'postgres']).toString());
  const gid = Number(execFileSync('id', ['-g', 'postgres']).toString());
  chownSync(dir, uid, gid);
  const asPostgres = (script) => execFileSync('su', ['postgres', '-s', '/bin/sh', '-c', script], { stdio: 'inherit' });
  asPostgres(`${bin}/initdb -D ${dir}/data -A trust -U flotilla >/dev/null`);
  asPostgres(`${bin}/pg_ctl -D ${dir}/data -l ${dir}/log -w -o "-k ${dir} -c listen_addresses=127.0.0.1 -p ${port}" start >/dev/null`);
  return {
    url: `postgres://flotilla@127.0.0.1:${port}/postgres`,
    stop() {
      asPostgres(`${bin}/pg_ctl -D ${dir}/data -m immediate stop >/dev/null`);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Starts the built console; resolves once /healthz answers. `stop()` removes its data dir unless `{ keepData: true }`. */
export async function startConsole({ dataDir = newDataDir(), port: fixedPort, databaseUrl = '', env: extraEnv = {}, captureLog = false } = {}) {
  const port = fixedPort || await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(serverBin, [], {
    env: {
      ...process.env,
      FLOTILLA_ADDR: `127.0.0.1:${port}`,
      LEPTOS_SITE_ROOT: siteRoot,
      FLOTILLA_DATA_DIR: dataDir,
      DATABASE_URL: databaseUrl,
      FLOTILLA_SETUP_CODE: SETUP_CODE,
      ...extraEnv,
    },
    stdio: ['ignore', 'inherit', captureLog ? 'pipe' : 'inherit'],
  });
  const log = [];
  child.stderr?.on('data', (chunk) => { log.push(chunk.toString()); process.stderr.write(chunk); });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) throw new Error(`${serverBin} exited with ${child.exitCode}`);
    try {
      if ((await fetch(`${url}/healthz`)).ok) {
        const stop = async ({ keepData = false } = {}) => {
          child.kill('SIGTERM');
          await exited;
          if (!keepData) rmSync(dataDir, { recursive: true, force: true });
        };
        // The log as text, its colours taken out.
        return { url, port, dataDir, databaseUrl, stop, exited, pid: child.pid, log: () => log.join('').replace(/\x1b\[[0-9;]*m/g, '') };
      }
    } catch { /* not listening yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`${serverBin} did not answer on ${url}/healthz within 10 s`);
}

export async function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** Retries `check` until it stops throwing, for state that converges (tasks starting). */
export async function eventually(check, { timeoutMs = 90_000, intervalMs = 500 } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  }
}

/** Clicks `selector` on `page` (again, until hydration has attached the handler) until `done` holds. */
export async function clickUntil(page, selector, done, timeoutMs = 30_000) {
  await eventually(async () => {
    try { await done(); return; } catch { /* not yet: click (again) */ }
    await page.click(selector, { timeout: 5_000 });
    await eventually(done, { timeoutMs: 5_000, intervalMs: 250 });
  }, { timeoutMs });
}

/** Fills and submits the first-start form that creates the admin; ends on the home page. */
export async function createFirstAdmin(page, url, name, password) {
  await page.goto(url, { waitUntil: 'networkidle' });
  if (!page.url().endsWith('/setup')) throw new Error(`expected the setup page, got ${page.url()}`);
  await page.fill('#setup-form input[name=name]', name);
  await page.fill('#setup-form input[name=password]', password);
  await page.fill('#setup-form input[name=confirm]', password);
  await page.fill('#setup-form input[name=code]', SETUP_CODE);
  await Promise.all([page.waitForURL(`${url}/`), page.click('#setup-form button[type=submit]')]);
}

/** Logs in through the API as a script would; returns the session cookie header value. */
export async function loginCookie(url, name, password) {
  const response = await fetch(`${url}/api/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { origin: url, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ name, password }),
  });
  const cookie = response.headers.get('set-cookie');
  if (!cookie) throw new Error(`login of ${name} failed: ${response.status} ${await response.text()}`);
  return cookie.split(';')[0];
}

/**
 * One HTTP/1.1 request written by hand, with exactly these headers (fetch will not send a
 * chosen Host, and gives up on an answer that arrives before an upload ends). The answer is
 * read until the server closes the connection.
 */
export function rawRequest(url, { method = 'GET', path = '/', headers = {}, body = '' } = {}) {
  const target = new URL(url);
  const lines = [`${method} ${path} HTTP/1.1`];
  const all = { host: target.host, connection: 'close', 'content-length': String(Buffer.byteLength(body)), ...headers };
  for (const [name, value] of Object.entries(all)) lines.push(`${name}: ${value}`);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(target.port), target.hostname, () => socket.write(`${lines.join('\r\n')}\r\n\r\n${body}`));
    const chunks = [];
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', (err) => (chunks.length ? null : reject(err)));
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString();
      const [head, ...rest] = text.split('\r\n\r\n');
      const [status, ...headerLines] = head.split('\r\n');
      const parsed = Object.fromEntries(headerLines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
      resolve({ status: Number(status.split(' ')[1]), headers: parsed, body: rest.join('\r\n\r\n') });
    });
  });
}

/** The resident memory of process `pid`, in bytes. */
export function residentBytes(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)[1]) * 1024;
}
