// The package's TypeScript declarations read in Node: the classes,
// constructors, methods, getters, parameter names, optionality, declared
// types, interfaces and type aliases users compile against. Drives the
// argument matrix (args.test.mjs) and the layer's own checks (layer.test.mjs).
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';


const OPEN = '({[';
const CLOSE = ')}]';

/** Index of the bracket closing the one at `i` (strings skipped). */
function matching(s, i) {
  let depth = 0;
  for (let j = i; j < s.length; j++) {
    const c = s[j];
    if (c === "'" || c === '"' || c === '`') { j = s.indexOf(c, j + 1); continue; }
    if (OPEN.includes(c)) depth++;
    else if (CLOSE.includes(c) && --depth === 0) return j;
  }
  throw new Error(`unbalanced brackets in ${s.slice(i, i + 80)}`);
}

/** Index of the `;` ending the statement that starts at `i`. */
function endOfStatement(s, i) {
  for (let j = i; j < s.length; j++) {
    const c = s[j];
    if (c === "'" || c === '"' || c === '`') { j = s.indexOf(c, j + 1); continue; }
    if (OPEN.includes(c)) { j = matching(s, j); continue; }
    if (c === ';') return j;
  }
  return s.length;
}

/** `s` split at `seps` outside brackets, generics and strings. */
function splitTop(s, seps) {
  const out = [];
  let depth = 0, cur = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === "'" || c === '"' || c === '`') {
      const end = s.indexOf(c, i + 1);
      cur += s.slice(i, end + 1);
      i = end;
      continue;
    }
    if (OPEN.includes(c) || c === '<') depth++;
    else if (CLOSE.includes(c) || (c === '>' && s[i - 1] !== '=')) depth--;
    if (depth === 0 && seps.includes(c)) { out.push(cur); cur = ''; continue; }
    cur += c;
  }
  out.push(cur);
  return out.map((x) => x.trim()).filter(Boolean);
}

const PRIMITIVES = new Set(['string', 'number', 'boolean', 'unknown', 'any', 'undefined', 'null',
  'void', 'bigint', 'symbol', 'object', 'Date', 'never']);

/** A TypeScript type as a tree the page can check values against. */
export function parseType(src) {
  const s = src.trim();
  const parts = splitTop(s, '|');
  if (parts.length > 1) return { k: 'union', of: parts.map(parseType) };
  if (s.startsWith('(')) {
    const close = matching(s, 0);
    const rest = s.slice(close + 1).trim();
    if (rest.startsWith('=>')) return { k: 'fn' };
    if (rest === '') return parseType(s.slice(1, close));
    if (rest === '[]') return { k: 'array', of: parseType(s.slice(1, close)) };
  }
  if (/^'[^']*'$|^"[^"]*"$/.test(s)) return { k: 'lit', v: s.slice(1, -1) };
  if (s.endsWith('[]')) return { k: 'array', of: parseType(s.slice(0, -2)) };
  if (s.startsWith('{')) return { k: 'obj', props: propsOf(splitTop(s.slice(1, matching(s, 0)), ';\n').map(parseMember)) };
  const generic = /^([\w$.]+)<([\s\S]*)>$/.exec(s);
  if (generic) {
    if (generic[1] === 'Partial') return { k: 'partial', of: parseType(generic[2]) };
    if (generic[1] === 'Array') return { k: 'array', of: parseType(generic[2]) };
    return { k: 'opaque', name: s };
  }
  if (PRIMITIVES.has(s)) return { k: s };
  if (/^[\w$]+$/.test(s)) return { k: 'ref', name: s };
  return { k: 'opaque', name: s };
}

function parseParams(s) {
  return splitTop(s, ',').map((p) => {
    const m = /^(\.\.\.)?([\w$]+)(\?)?\s*:\s*([\s\S]+)$/.exec(p);
    if (!m) throw new Error(`cannot read the parameter ${p}`);
    return { name: m[2], optional: Boolean(m[3]), rest: Boolean(m[1]), type: parseType(m[4]) };
  });
}

function parseMember(raw) {
  let s = raw.trim();
  const mods = new Set();
  for (let m; (m = /^(readonly|static|get|set|public)\s+(?=[\w$[])/.exec(s));) {
    mods.add(m[1]);
    s = s.slice(m[0].length);
  }
  const head = /^(\[[^\]]+\]|[\w$]+|'[^']*'|"[^"]*")(\?)?/.exec(s);
  if (!head) throw new Error(`cannot read the member ${raw}`);
  const name = head[1].replace(/^(['"])(.*)\1$/, '$2');
  s = s.slice(head[0].length).trim();
  // A generic method's type parameters (`on<T = any>(…)`): skipped, its parameters read as declared.
  for (let depth = 0, i = 0; s.startsWith('<') && i < s.length; i++) {
    if (s[i] === '<') depth++;
    else if (s[i] === '>' && s[i - 1] !== '=' && --depth === 0) s = s.slice(i + 1).trim();
  }
  if (s.startsWith('(')) {
    const close = matching(s, 0);
    const kind = mods.has('get') ? 'get' : mods.has('set') ? 'set' : name === 'constructor' ? 'ctor' : 'method';
    return { kind, name, static: mods.has('static'), params: parseParams(s.slice(1, close)) };
  }
  return { kind: 'prop', name, optional: Boolean(head[2]), readonly: mods.has('readonly'),
    static: mods.has('static'), type: parseType(s.replace(/^:/, '')) };
}

function propsOf(members) {
  return Object.fromEntries(members.filter((m) => m.kind === 'prop')
    .map((m) => [m.name, { type: m.type, optional: m.optional }]));
}

/** Classes, interfaces, type aliases and functions of a wasm-bindgen .d.ts. */
export function parseDts(text) {
  const src = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const model = { classes: {}, interfaces: {}, aliases: {}, functions: [] };
  const re = /export\s+(?:declare\s+)?(class|interface|type|function)\s+([\w$]+)/g;
  for (let m; (m = re.exec(src));) {
    const [, kind, name] = m;
    if (kind === 'class' || kind === 'interface') {
      const open = src.indexOf('{', re.lastIndex);
      const close = matching(src, open);
      const members = splitTop(src.slice(open + 1, close), ';\n').map(parseMember);
      re.lastIndex = close + 1;
      if (kind === 'interface') {
        const ext = /extends\s+([\w$,\s]+)/.exec(src.slice(m.index, open))?.[1] ?? '';
        model.interfaces[name] = { extends: ext.split(',').map((x) => x.trim()).filter(Boolean), props: propsOf(members) };
        continue;
      }
      const skip = new Set(['free', '[Symbol.dispose]']);
      model.classes[name] = {
        ctor: members.find((x) => x.kind === 'ctor') ?? null,
        // An overloaded method once, as its first signature.
        methods: members.filter((x, i) => x.kind === 'method' && !skip.has(x.name)
          && members.findIndex((y) => y.kind === 'method' && y.name === x.name) === i),
        getters: members.filter((x) => x.kind === 'get' || x.kind === 'prop').map((x) => x.name),
        setters: members.filter((x) => x.kind === 'set' || (x.kind === 'prop' && !x.readonly))
          .map((x) => ({ name: x.name, type: x.type ?? x.params[0].type })),
      };
    } else if (kind === 'type') {
      const eq = src.indexOf('=', re.lastIndex);
      const end = endOfStatement(src, eq + 1);
      model.aliases[name] = parseType(src.slice(eq + 1, end));
      re.lastIndex = end + 1;
    } else {
      const open = src.indexOf('(', re.lastIndex);
      const close = matching(src, open);
      model.functions.push({ name, params: parseParams(src.slice(open + 1, close)) });
      re.lastIndex = endOfStatement(src, close) + 1;
    }
  }
  // wasm-bindgen's loader, not the package's API.
  model.functions = model.functions.filter((f) => f.name !== 'initSync');
  return model;
}


/**
 * The declarations of the package's entry (pkg/package.json `types`): the
 * entry's .d.ts and those of the modules it re-exports, as one text.
 * native.d.ts is left out: the entry takes only the wasm loader from it
 * (`init`, `initSync`), and the rest describes the layer's insides.
 */
export function entryDeclarations(pkgDir) {
  const manifest = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
  const seen = new Set();
  const texts = [];
  const visit = (file) => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = readFileSync(file, 'utf8');
    texts.push(text);
    for (const m of text.matchAll(/^export\s[^;]*?\sfrom\s+['"](\.\/[\w.-]+)\.js['"]/gm)) {
      if (m[1] !== './native') visit(join(dirname(file), `${m[1]}.d.ts`));
    }
  };
  visit(join(pkgDir, manifest.types));
  return texts.join('\n');
}
