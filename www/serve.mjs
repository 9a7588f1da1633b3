// A tiny static server for the demo page, the wasm package and the browser
// suites' pages (/tests/browser/), on 127.0.0.1.
// Usage: node serve.mjs [port]  (0 picks a free port). Prints `SERVING <url>`.
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const defaultRoots = {
  '/pkg/': join(here, '..', 'pkg'), '/bench/': join(here, 'bench'), '/vendor/': join(here, 'node_modules'),
  '/tests/browser/': join(here, 'tests', 'browser'),
};
const types = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.mjs': 'text/javascript',
  '.wasm': 'application/wasm', '.json': 'application/json', '.css': 'text/css', '.map': 'application/json',
};

/** `pkgDir` serves another build as `/pkg/` (the benchmark's profiling build). */
export function serve(port = 0, { pkgDir } = {}) {
  const roots = { ...defaultRoots, ...(pkgDir ? { '/pkg/': pkgDir } : {}) };
  const server = createServer(async (req, res) => {
    const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    let file = join(here, 'demo', path === '/' ? 'index.html' : path);
    for (const [prefix, dir] of Object.entries(roots)) {
      if (path.startsWith(prefix)) file = join(dir, path.slice(prefix.length));
    }
    if (normalize(file) !== file || file.includes('..')) { res.writeHead(400).end(); return; }
    try {
      const body = await readFile(file);
      res.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' });
      res.end(body);
    } catch {
      res.writeHead(404, { 'content-type': 'text/plain' }).end(`not found: ${path}`);
    }
  });
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(server)));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const server = await serve(Number(process.argv[2] ?? 8080));
  console.log(`SERVING http://127.0.0.1:${server.address().port}/`);
  const stop = () => server.close(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
