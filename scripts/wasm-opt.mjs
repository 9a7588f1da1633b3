// Optimizes the built wasm for size with binaryen's wasm-opt from npm (Debian's is too old).
import { execFileSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

const file = process.argv[2];
const bin = join(fileURLToPath(new URL('..', import.meta.url)), 'www', 'node_modules', '.bin', 'wasm-opt');
const before = statSync(file).size;
// -Oz, then flattening and re-looping the control flow and -Os to a fixed point: about 1.5 kB gzip
// less than -Oz alone, measured on this crate.
const passes = ['-Oz', '--flatten', '--rereloop', '-Os', '--converge'];
execFileSync(bin, [...passes, '--enable-bulk-memory', '--enable-nontrapping-float-to-int', '--enable-sign-ext',
  '--enable-mutable-globals', '--enable-reference-types', '--enable-multivalue', file, '-o', file], { stdio: 'inherit' });
console.log(`wasm-opt: ${before} -> ${statSync(file).size} bytes`);
