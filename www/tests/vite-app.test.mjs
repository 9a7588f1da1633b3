// The package as users get it: the tarball `make pack` builds
// (target/pack/chat-realtime.tgz) installed into the minimal Vite app
// (www/vite-app, its other packages from its lockfile), built by Vite, and
// the built app opened in Chromium: the wasm loads from Vite's output and
// `chat-realtime/react`'s provider connects to the test server.
// Needs `make pack` and the test server (scripts/with-server.sh).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createServer } from 'node:http';
import { existsSync, lstatSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launch, control, serverUrl } from './browser.mjs';

const app = fileURLToPath(new URL('../vite-app/', import.meta.url));
const tarball = fileURLToPath(new URL('../../target/pack/chat-realtime.tgz', import.meta.url));
const npm = (...args) => execFileSync('npm', [...args, '--no-audit', '--no-fund', '--loglevel=error'], { cwd: app, stdio: 'pipe' });

/** Serves `dir` on a free port of 127.0.0.1. */
function serveDir(dir) {
  const types = { '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm' };
  const server = createServer(async (req, res) => {
    const path = new URL(req.url, 'http://x').pathname;
    const file = join(dir, path === '/' ? 'index.html' : path);
    if (normalize(file) !== file || !file.startsWith(dir)) return void res.writeHead(400).end();
    try {
      const body = await readFile(file);
      res.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream' }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

test('the packed tarball installs into a Vite app, builds, and its page loads the wasm and connects', async () => {
  assert.ok(existsSync(tarball), `${tarball} is missing: run make pack`);
  const lock = readFileSync(join(app, 'package-lock.json'), 'utf8');
  if (!existsSync(join(app, 'node_modules', '.bin', 'vite'))) npm('ci');
  // The tarball itself (a new one every build: not in the lockfile, whose
  // integrity would not match), installed as a user's `npm install <tgz>` does.
  npm('install', '--no-save', '--prefer-offline', tarball);
  const installed = join(app, 'node_modules', 'chat-realtime');
  assert.ok(!lstatSync(installed).isSymbolicLink(), 'a copy of the tarball, not a link');
  const manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8'));
  assert.deepEqual(Object.keys(manifest.exports).slice(0, 2), ['.', './react']);
  assert.equal(readFileSync(join(app, 'package-lock.json'), 'utf8'), lock, 'the lockfile is left as committed');

  rmSync(join(app, 'dist'), { recursive: true, force: true });
  execFileSync(join(app, 'node_modules', '.bin', 'vite'), ['build', '--logLevel', 'error'], { cwd: app, stdio: 'pipe' });
  const assets = readdirSync(join(app, 'dist', 'assets'));
  assert.ok(assets.some((f) => f.endsWith('.wasm')), `Vite emitted the wasm (${assets})`);

  const web = await serveDir(join(app, 'dist'));
  const browser = await launch();
  try {
    const page = await browser.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    const wasm = page.waitForResponse((r) => r.url().endsWith('.wasm') && r.status() === 200, { timeout: 20_000 });
    const { token } = await control('GET', '/token?sub=vite');
    const q = new URLSearchParams({ server: serverUrl, token, user: 'vite' });
    await page.goto(`http://127.0.0.1:${web.address().port}/?${q}`);
    await wasm;
    await page.waitForSelector('#status[data-state="connected"]', { timeout: 20_000 });
    assert.match(await page.textContent('#status'), /^connected \(/);
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    web.close();
  }
});
