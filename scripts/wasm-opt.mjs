// Optimizes the built wasm for size with binaryen's wasm-opt from npm (Debian's is too old).
import { execFileSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

const file = process.argv[2];
const bin = join(fileURLToPath(new URL('..', import.meta.url)), 'www', 'node_modules', '.bin', 'wasm-opt');
const before = statSync(file).size;
execFileSync(bin, ['-Oz', '--enable-bulk-memory', '--enable-nontrapping-float-to-int', '--enable-sign-ext',
  '--enable-mutable-globals', '--enable-reference-types', '--enable-multivalue', file, '-o', file], { stdio: 'inherit' });
console.log(`wasm-opt: ${before} -> ${statSync(file).size} bytes`);
