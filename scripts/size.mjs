// `make size`: the bytes of everything a page loads for the full feature set
// (the package's entry module, every module it imports, the wasm it fetches),
// raw, gzip -9 and brotli -q 11: as shipped in pkg/, and as an app's bundler
// ships it (esbuild, minified, ESM, es2020: how the code it replaces was
// measured). The bundled total is checked against size-budget.json.
// Also imported by www/bench/run.mjs, so both report the same files.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants as zc, gzipSync } from 'node:zlib';

export const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** The files a page loads: the entry of pkg/package.json and what it reaches. */
export function pageFiles(pkgDir = join(root, 'pkg')) {
  const manifest = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
  const entry = manifest.module ?? manifest.main;
  const seen = new Set();
  const todo = [join(pkgDir, entry)];
  while (todo.length) {
    const file = todo.pop();
    if (seen.has(file)) continue;
    if (!existsSync(file)) throw new Error(`${relative(root, file)} is referenced but missing`);
    seen.add(file);
    if (!file.endsWith('.js')) continue;
    const text = readFileSync(file, 'utf8');
    // Static imports and re-exports, dynamic imports, and assets fetched
    // through `new URL('…', import.meta.url)` (the wasm).
    const refs = [
      ...text.matchAll(/(?:import|export)\s[^'"`;]*?from\s*['"](\.[^'"]+)['"]/g),
      ...text.matchAll(/import\s*\(?\s*['"](\.[^'"]+)['"]/g),
      ...text.matchAll(/new URL\(\s*['"](\.?[^'"]+)['"]\s*,\s*import\.meta\.url\s*\)/g),
    ];
    for (const m of refs) todo.push(resolve(dirname(file), m[1]));
  }
  return [...seen].sort();
}

/** Raw, gzip -9 and brotli -q 11 bytes of one file. */
export function sizeOf(file) {
  const b = readFileSync(file);
  return {
    file: relative(root, file),
    raw: b.length,
    gzip: gzipSync(b, { level: 9 }).length,
    brotli: brotliCompressSync(b, { params: { [zc.BROTLI_PARAM_QUALITY]: 11 } }).length,
  };
}

function withTotal(files, label) {
  const total = { file: label, raw: 0, gzip: 0, brotli: 0 };
  for (const f of files) for (const k of ['raw', 'gzip', 'brotli']) total[k] += f[k];
  return { files, total };
}

/** Per-file sizes of pkg/ as shipped, and their total. */
export function measure(pkgDir = join(root, 'pkg')) {
  return withTotal(pageFiles(pkgDir).map(sizeOf), 'total as shipped');
}

/**
 * The entry bundled into one module by esbuild (minified, ESM, es2020 with
 * top-level await, which the entry uses to load the wasm with the module), plus
 * the other assets it fetches (the wasm), and their total.
 */
export function measureBundled(pkgDir = join(root, 'pkg')) {
  const manifest = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
  const entry = join(pkgDir, manifest.module ?? manifest.main);
  const dir = mkdtempSync(join(tmpdir(), 'size-'));
  try {
    const out = join(dir, 'bundle.js');
    execFileSync(join(root, 'js', 'node_modules', '.bin', 'esbuild'), [
      entry, '--bundle', '--minify', '--format=esm', '--target=es2020', '--supported:top-level-await=true',
      '--platform=browser',
      '--log-level=error', `--outfile=${out}`,
    ]);
    const bundle = sizeOf(out);
    bundle.file = `${relative(root, entry)} bundled (esbuild --minify)`;
    const assets = pageFiles(pkgDir).filter((f) => !f.endsWith('.js')).map(sizeOf);
    return withTotal([bundle, ...assets], 'total bundled');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * What `chat-realtime/react` adds to an app that imports the root entry too:
 * both entries bundled together (React left out: the app has it) minus the
 * root entry alone, gzip -9. Reported, not in the budget.
 */
export function measureReact(pkgDir = join(root, 'pkg')) {
  const dir = mkdtempSync(join(tmpdir(), 'size-'));
  try {
    const gz = (name, code) => {
      const entry = join(dir, `${name}.mjs`);
      writeFileSync(entry, code);
      const out = join(dir, `${name}.js`);
      execFileSync(join(root, 'js', 'node_modules', '.bin', 'esbuild'), [
        entry, '--bundle', '--minify', '--format=esm', '--target=es2020', '--supported:top-level-await=true',
        '--platform=browser', '--external:react', '--log-level=error', `--outfile=${out}`,
      ]);
      return sizeOf(out).gzip;
    };
    const rootEntry = JSON.stringify(join(pkgDir, 'index.js'));
    const both = gz('both', `export * from ${rootEntry};\nexport * from ${JSON.stringify(join(pkgDir, 'react', 'index.js'))};\n`);
    return both - gz('root', `export * from ${rootEntry};\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const budget = JSON.parse(readFileSync(join(root, 'size-budget.json'), 'utf8'));
  const shipped = measure(process.argv[2]);
  const bundled = measureBundled(process.argv[2]);
  const pad = (v, n) => String(v).padStart(n);
  console.log(`${'file'.padEnd(64)} ${pad('raw', 9)} ${pad('gzip', 9)} ${pad('brotli', 9)}`);
  for (const f of [...shipped.files, shipped.total, ...bundled.files, bundled.total]) {
    console.log(`${f.file.padEnd(64)} ${pad(f.raw, 9)} ${pad(f.gzip, 9)} ${pad(f.brotli, 9)}`);
  }
  console.log(`chat-realtime/react beside the root entry: +${measureReact(process.argv[2])} B gzip bundled (React not counted; not in the budget)`);
  const { total } = bundled;
  const over = total.gzip - budget.gzip;
  console.log(`budget (size-budget.json): ${budget.gzip} B gzip bundled; ${over > 0 ? `OVER by ${over} B` : `${-over} B under`} (goal ${budget.goal} B)`);
  if (over > 0) process.exit(1);
}
