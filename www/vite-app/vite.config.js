// Top-level await (the package loads its wasm with the module) needs an
// es2022 target; everything else is Vite's default.
export default { build: { target: 'es2022' } };
