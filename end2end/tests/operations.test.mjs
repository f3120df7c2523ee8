// Starting and probing the console as an operator does: a bad setting stops the start with
// one line naming the flag and its variable, and the probes answer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { serverBin, newDataDir, startConsole, rawRequest } from './support.mjs';

/** Starts the console with `env` and returns its exit status and the `flotilla:` lines. */
function start(env) {
  const dataDir = newDataDir();
  const run = spawnSync(serverBin, [], {
    env: { ...process.env, FLOTILLA_DATA_DIR: dataDir, FLOTILLA_ADDR: '127.0.0.1:0', FLOTILLA_LOG: 'warn', ...env },
    timeout: 30_000,
  });
  const lines = run.stderr.toString().replace(/\x1b\[[0-9;]*m/g, '').split('\n').filter((l) => l.startsWith('flotilla:'));
  return { status: run.status, lines };
}

test('a bad setting stops the start with one line that names it, and a non-zero exit', () => {
  const cases = [
    [{ FLOTILLA_ADDR: '300.1.2.3:80' }, /--addr.*FLOTILLA_ADDR/],
    [{ FLOTILLA_ADDR: '192.0.2.1:3000' }, /--addr \(FLOTILLA_ADDR\) 192\.0\.2\.1:3000: cannot listen/],
    [{ DATABASE_URL: 'postgres://flotilla:hunter2@127.0.0.1:1/flotilla' }, /DATABASE_URL.*127\.0\.0\.1:1/],
    [{ DATABASE_URL: 'mysql://db/flotilla' }, /DATABASE_URL.*unsupported database URL scheme `mysql:`/],
    [{ FLOTILLA_REGISTER_HOST: 'unix:///nonexistent/docker.sock' }, /FLOTILLA_REGISTER_HOST.*\/nonexistent\/docker\.sock/],
    [{ FLOTILLA_METRICS_INTERVAL: '-5' }, /--metrics-interval.*FLOTILLA_METRICS_INTERVAL/],
    [{ FLOTILLA_LOG_FORMAT: 'xml' }, /--log-format.*FLOTILLA_LOG_FORMAT/],
    [{ FLOTILLA_SECRET_KEY_FILE: '/nonexistent/secret-key' }, /FLOTILLA_SECRET_KEY_FILE\) \/nonexistent\/secret-key/],
    [{ FLOTILLA_SETUP_CODE_FILE: '/nonexistent/setup-code' }, /FLOTILLA_SETUP_CODE_FILE\) \/nonexistent\/setup-code/],
  ];
  for (const [env, named] of cases) {
    const { status, lines } = start(env);
    assert.notEqual(status, 0, `${JSON.stringify(env)} started`);
    assert.equal(lines.length, 1, `${JSON.stringify(env)}: ${lines.join(' | ')}`);
    assert.match(lines[0], named);
    assert.doesNotMatch(lines[0], /hunter2/, 'a password in DATABASE_URL is not printed');
  }
});

test('/healthz and /readyz answer anyone; /readyz says ready with no host registered', async () => {
  const console_ = await startConsole();
  try {
    assert.equal((await fetch(`${console_.url}/healthz`)).status, 200);
    const ready = await fetch(`${console_.url}/readyz`);
    assert.equal(ready.status, 200);
    assert.equal((await ready.text()).trim(), 'ready');
  } finally {
    await console_.stop();
  }
});

test('the site\'s files go out precompressed (brotli, else gzip) under names hashed from their content, kept a year by browsers', async () => {
  const console_ = await startConsole();
  try {
    const page = await (await fetch(`${console_.url}/login`)).text();
    const named = (ext) => page.match(new RegExp(`/pkg/flotilla\\.[0-9a-f]{16}\\.${ext}`))?.[0];
    for (const ext of ['wasm', 'js', 'css']) assert.ok(named(ext), `the page names the hashed ${ext}`);
    const get = (headers) => rawRequest(console_.url, { path: named('wasm'), headers });
    const plain = await get({});
    const brotli = await get({ 'accept-encoding': 'gzip, deflate, br' });
    const gzip = await get({ 'accept-encoding': 'gzip' });
    assert.equal(plain.headers['content-encoding'], undefined);
    assert.equal(brotli.headers['content-encoding'], 'br');
    assert.equal(gzip.headers['content-encoding'], 'gzip');
    const size = (answer) => Number(answer.headers['content-length']);
    assert.ok(size(brotli) < size(gzip) && size(gzip) < size(plain) / 2, `${size(brotli)} < ${size(gzip)} < ${size(plain)} / 2`);
    assert.equal(brotli.headers.vary, 'accept-encoding');
    assert.equal(brotli.headers['cache-control'], 'public, max-age=31536000, immutable');
    for (const ext of ['js', 'css']) {
      const file = await rawRequest(console_.url, { path: named(ext), headers: { 'accept-encoding': 'br' } });
      assert.equal(file.status, 200, ext);
      assert.equal(file.headers['cache-control'], 'public, max-age=31536000, immutable', ext);
    }
    const unhashed = await rawRequest(console_.url, { path: '/pkg/flotilla.wasm' });
    assert.equal(unhashed.status, 404, 'only the hashed names are served');
    assert.notEqual(unhashed.headers['cache-control'], 'public, max-age=31536000, immutable', 'a miss is not kept');
    const outside = await rawRequest(console_.url, { path: '/pkg/../Cargo.toml' });
    assert.equal(outside.status, 404);
    console.log(`# first page WASM over the wire: ${size(brotli)} bytes (brotli), ${size(gzip)} (gzip), ${size(plain)} uncompressed`);
  } finally {
    await console_.stop();
  }
});
