// The in-page test harness of the browser suites: tests registered with
// `test()`, run one after the other by `run()`, each with a timeout, and a few
// assertions whose failures say what differed. No dependency: it runs in any
// browser as a plain ES module.

const registered = [];
let cleanups = null;

/** Registers `fn` (sync or async) as the test `name`; `timeoutMs` bounds it (default 60 s). */
export function test(name, fn, { timeoutMs = 60_000 } = {}) {
  if (registered.some((t) => t.name === name)) throw new Error(`two tests named "${name}"`);
  registered.push({ name, fn, timeoutMs });
}

/**
 * Runs `fn` after the current test ends (passed, failed or timed out), the
 * last registered first, as Rust drops its locals. Outside a test it throws.
 */
export function onCleanup(fn) {
  if (!cleanups) throw new Error('onCleanup() outside a test');
  cleanups.push(fn);
}

/** The names of the registered tests, in order. */
export function names() {
  return registered.map((t) => t.name);
}

class Timeout extends Error {}

/**
 * Runs the registered tests serially (only the one named `only`, if given)
 * and resolves to `[{name, ok, error, ms}]`; `error` holds the message and
 * the stack. `onProgress({current, timeoutMs, done, total, results})` is
 * called (and awaited) before each test, with the results so far, and at the
 * end (`current: null`).
 */
export async function run({ only, onProgress = () => {} } = {}) {
  const chosen = only ? registered.filter((t) => t.name === only) : registered;
  if (only && chosen.length === 0) {
    return [{ name: only, ok: false, error: `no test named "${only}"; there are: ${names().join(' | ')}`, ms: 0 }];
  }
  const results = [];
  for (const t of chosen) {
    await onProgress({ current: t.name, timeoutMs: t.timeoutMs, done: results.length, total: chosen.length, results: [...results] });
    const start = performance.now();
    let error = null;
    cleanups = [];
    let timer;
    try {
      await Promise.race([
        (async () => t.fn())(),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Timeout(`timed out after ${t.timeoutMs} ms (the test's timeoutMs)`)), t.timeoutMs);
        }),
      ]);
    } catch (e) {
      error = describe(e);
    } finally {
      clearTimeout(timer);
    }
    const pending = cleanups.reverse();
    cleanups = null;
    for (const c of pending) {
      try {
        await c();
      } catch (e) {
        error ??= `cleanup failed: ${describe(e)}`;
      }
    }
    results.push({ name: t.name, ok: error === null, error, ms: Math.round(performance.now() - start) });
  }
  await onProgress({ current: null, timeoutMs: 0, done: results.length, total: chosen.length, results: [...results] });
  return results;
}

/** An error's message with its stack (or the thrown value shown). */
export function describe(e) {
  if (e instanceof Error) {
    const head = `${e.name}: ${e.message}`;
    const stack = typeof e.stack === 'string' ? e.stack : '';
    // Chromium's stack starts with the head; Firefox's is the frames only.
    return stack.startsWith(head) ? stack : `${head}\n${stack}`;
  }
  return `thrown (not an Error): ${show(e)}`;
}

// ---- assertions ---------------------------------------------------------------

/** Thrown by the assertions (the message says what differed). */
export class AssertionError extends Error {
  constructor(message) {
    super(message);
    this.name = 'AssertionError';
  }
}

const why = (message) => (message ? `${message}: ` : '');

/** Fails with `message` unless `cond` is truthy. */
export function assert(cond, message = 'assertion failed') {
  if (!cond) throw new AssertionError(message);
}

/** `actual` is `expected` (Object.is). */
export function equal(actual, expected, message) {
  if (!Object.is(actual, expected)) {
    throw new AssertionError(`${why(message)}expected ${show(expected)}, got ${show(actual)}`);
  }
}

/**
 * `actual` and `expected` hold the same data: primitives by Object.is, arrays
 * element by element, plain objects key by key (order ignored, a key holding
 * `undefined` differs from a missing one), Dates by time. The failure shows a
 * line diff (`-` expected, `+` actual).
 */
export function deepEqual(actual, expected, message) {
  if (!same(actual, expected)) {
    throw new AssertionError(`${why(message)}values differ (- expected, + actual):\n${diff(pretty(expected), pretty(actual))}`);
  }
}

function same(a, b) {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;
  if (a instanceof Date) return Object.is(a.getTime(), b.getTime());
  if (Array.isArray(a)) return a.length === b.length && a.every((x, i) => same(x, b[i]));
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  return ka.length === kb.length && ka.every((k) => Object.hasOwn(b, k) && same(a[k], b[k]));
}

/** Awaits `promise` (or `fn()`'s promise), which must reject; see `throws` for the checks. Resolves to the error. */
export async function rejects(promise, ErrorClass, pattern) {
  let value;
  try {
    value = await (typeof promise === 'function' ? promise() : promise);
  } catch (e) {
    return checkError(e, ErrorClass, pattern, 'rejection');
  }
  throw new AssertionError(`expected a rejection${ErrorClass ? ` with a ${ErrorClass.name}` : ''}, it resolved to ${show(value)}`);
}

/**
 * Calls `fn`, which must throw an instance of `ErrorClass` (if given) whose
 * message matches `pattern`: a RegExp, or a string it must contain. Returns the error.
 */
export function throws(fn, ErrorClass, pattern) {
  let value;
  try {
    value = fn();
  } catch (e) {
    return checkError(e, ErrorClass, pattern, 'error');
  }
  throw new AssertionError(`expected ${ErrorClass ? `a ${ErrorClass.name}` : 'an error'}, the call returned ${show(value)}`);
}

function checkError(e, ErrorClass, pattern, what) {
  const text = e instanceof Error ? `${e.name}: ${e.message}` : show(e);
  if (ErrorClass && !(e instanceof ErrorClass)) {
    throw new AssertionError(`expected a ${ErrorClass.name} ${what}, got ${text}`);
  }
  if (pattern !== undefined) {
    const message = e instanceof Error ? e.message : String(e);
    const ok = pattern instanceof RegExp ? pattern.test(message) : message.includes(pattern);
    if (!ok) throw new AssertionError(`the ${what}'s message ${show(message)} does not match ${pattern instanceof RegExp ? pattern : show(pattern)}`);
  }
  return e;
}

// ---- showing values -------------------------------------------------------------

/** A short one-line rendering of any value. */
export function show(v) {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'bigint') return `${v}n`;
  if (typeof v === 'function') return `[function ${v.name || 'anonymous'}]`;
  if (typeof v === 'symbol' || v === undefined || typeof v === 'number') return String(v);
  const s = pretty(v, 0);
  return s.length > 400 ? `${s.slice(0, 400)}…` : s;
}

/** Indented rendering (JSON-like; shows undefined, NaN, Dates, functions and cycles). */
function pretty(v, indent = 2, seen = new Set(), depth = 0) {
  const pad = indent ? `\n${' '.repeat(indent * (depth + 1))}` : '';
  const end = indent ? `\n${' '.repeat(indent * depth)}` : '';
  const sep = indent ? ',' : ', ';
  if (v === null || typeof v !== 'object') {
    if (typeof v === 'string') return JSON.stringify(v);
    if (typeof v === 'bigint') return `${v}n`;
    if (typeof v === 'function') return `[function ${v.name || 'anonymous'}]`;
    return String(v);
  }
  if (seen.has(v)) return '[cycle]';
  if (v instanceof Date) return `Date(${Number.isNaN(v.getTime()) ? 'invalid' : v.toISOString()})`;
  if (v instanceof Error) return `${v.name}(${JSON.stringify(v.message)})`;
  seen.add(v);
  let out;
  if (Array.isArray(v)) {
    out = v.length === 0 ? '[]' : `[${v.map((x) => pad + pretty(x, indent, seen, depth + 1)).join(sep)}${end}]`;
  } else {
    const keys = Object.keys(v).sort();
    const name = Object.getPrototypeOf(v) === Object.prototype || Object.getPrototypeOf(v) === null ? '' : `${v.constructor?.name ?? '?'} `;
    out = keys.length === 0 ? `${name}{}` : `${name}{${keys.map((k) => `${pad}${JSON.stringify(k)}: ${pretty(v[k], indent, seen, depth + 1)}`).join(sep)}${end}}`;
  }
  seen.delete(v);
  return out;
}

/** A line diff of two renderings (longest common subsequence). */
function diff(expected, actual) {
  const a = expected.split('\n');
  const b = actual.split('\n');
  if (a.length * b.length > 250_000) return `- ${expected}\n+ ${actual}`;
  const lcs = Array.from({ length: a.length + 1 }, () => new Array(b.length + 1).fill(0));
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      lcs[i][j] = a[i] === b[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
    }
  }
  const out = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) {
      out.push(`  ${a[i]}`);
      i++;
      j++;
    } else if (i < a.length && (j === b.length || lcs[i + 1][j] >= lcs[i][j + 1])) {
      out.push(`- ${a[i++]}`);
    } else {
      out.push(`+ ${b[j++]}`);
    }
  }
  return out.join('\n');
}
