// Writes pkg/package.json for the package as `make build` leaves it: the
// entry is the TypeScript layer (js/src compiled into pkg/index.js and its
// modules); the wasm-bindgen glue (pkg/chat_realtime.js) is an internal
// module behind pkg/native.js. Keeps wasm-pack's name, version, description,
// license and repository. Usage: node scripts/package-json.mjs [pkgDir]
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const pkgDir = resolve(process.argv[2] ?? join(fileURLToPath(new URL('..', import.meta.url)), 'pkg'));
const file = join(pkgDir, 'package.json');
const old = JSON.parse(readFileSync(file, 'utf8'));
const names = readdirSync(pkgDir);
for (const need of ['index.js', 'index.d.ts', 'native.js', 'chat_realtime.js', 'chat_realtime_bg.wasm', 'react/index.js']) {
  if (!existsSync(join(pkgDir, need))) throw new Error(`pkg/${need} is missing: run wasm-pack and tsc first`);
}

// What is published: the modules and their declarations, the wasm, the
// glue's snippets, the React entry (react/); not wasm-bindgen's declaration
// of the raw wasm exports.
const files = names
  .filter((n) => n === 'snippets' || n === 'react' || n.endsWith('.wasm') || n.endsWith('.js')
    || (n.endsWith('.d.ts') && !n.endsWith('.wasm.d.ts')))
  .sort();

const manifest = {
  name: old.name,
  type: 'module',
  description: old.description,
  version: old.version,
  license: old.license,
  repository: old.repository,
  files,
  main: 'index.js',
  module: 'index.js',
  types: 'index.d.ts',
  exports: {
    '.': { types: './index.d.ts', import: './index.js' },
    // The provider and hooks (js/src/react), on the same module client.
    './react': { types: './react/index.d.ts', import: './react/index.js' },
    // For initSync(bytes) or a bundler's asset URL.
    './chat_realtime_bg.wasm': './chat_realtime_bg.wasm',
    './package.json': './package.json',
  },
  // No module is imported for what it does when loaded: a bundler may drop
  // any whose exports are unused.
  sideEffects: false,
  // Only `chat-realtime/react` imports React.
  peerDependencies: { react: '>=18' },
  peerDependenciesMeta: { react: { optional: true } },
};
for (const k of Object.keys(manifest)) if (manifest[k] === undefined) delete manifest[k];
writeFileSync(file, `${JSON.stringify(manifest, null, 2)}\n`);
console.log(`pkg/package.json: entry index.js, ${files.length} files`);
