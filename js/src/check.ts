// The argument checks of every public method, in one place: JavaScript may
// pass anything, and a wrong value must be refused with a JavaScript error
// before it reaches the wasm.
//
// - `TypeError`: not of the declared type (a number where a string is
//   expected, anything but a plain object for an options object, an unknown
//   key, a non-function callback, `undefined`/`null` for a required value).
// - `RangeError`: the right type outside what the parameter allows (an empty
//   id, a string outside a literal union, NaN, a negative duration).
// - Refusals that depend on state or on a rule of the domain (not
//   initialized, disposed, queue full) are the wasm's, as `Error`s.
//
// Messages read `method(): param must be <expected>, got <what came>`; a key
// of an object is `param.key`, an array item `param[i]`.

/** The largest integer a JavaScript number holds exactly. */
export const MAX_SAFE = 9_007_199_254_740_991;
/** The largest u32, for counts. */
export const U32_MAX = 4_294_967_295;
/** The latest instant a JavaScript `Date` holds, in ms since the epoch. */
const MAX_MS = 8_640_000_000_000_000;

/** What an object key holds. */
export type Kind =
  | 'str' // any string
  | 'id' // a non-empty string
  | 'bool'
  | 'ms' // a finite non-negative number of milliseconds
  | 'intMs' // a non-negative integer number of milliseconds
  | 'num' // a finite number
  | 'strings' // an array of strings
  | 'timestamp' // a Date, ms since the epoch or an ISO 8601 string
  | 'any' // checked by the caller (a class instance)
  | 'json' // any value JSON can carry
  | 'fn' // a function
  | { readonly max: number } // a non-negative integer up to max
  | { readonly oneOf: readonly string[] }
  | { readonly fields: Schema } // a nested plain object
  | { readonly items: Schema } // an array of plain objects
  | { readonly listOf: readonly string[] }; // a non-empty array of these strings

/** A required key (keys are optional unless wrapped). */
export interface Required {
  readonly required: Kind;
}

/** The keys of an object argument, in the order they are checked. */
export type Schema = Readonly<Record<string, Kind | Required>>;

/** A schema with exactly the keys of `T`: the declared type and the checks cannot drift apart. */
export type SchemaOf<T> = { readonly [K in keyof globalThis.Required<T>]: Kind | Required };

/** A required key of kind `kind`. */
export const req = (kind: Kind): Required => ({ required: kind });

/** `undefined` or `null`: not given. */
export const absent = (v: unknown): v is undefined | null => v === undefined || v === null;

/** A string quoted for a message (as JSON writes it). */
export const quote = (s: string): string => JSON.stringify(s);

/** An object literal (or `Object.create(null)`): not an array, function, Date or class instance. */
export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === null || Object.getPrototypeOf(proto) === null;
}

/** The name of an object's constructor (`Date`, `RealtimeClient`). */
function className(v: object): string | undefined {
  try {
    const name = (v as { constructor?: { name?: unknown } }).constructor?.name;
    return typeof name === 'string' && name !== '' ? name : undefined;
  } catch {
    return undefined;
  }
}

/** A short description of a value for error messages. */
export function describe(v: unknown): string {
  if (v === undefined) return 'undefined';
  if (v === null) return 'null';
  switch (typeof v) {
    case 'string': return `the string ${quote(Array.from(v).slice(0, 40).join(''))}`;
    case 'number': return `the number ${v}`;
    case 'boolean': return String(v);
    case 'symbol': return 'a symbol';
    case 'bigint': return `the bigint ${v}n`;
    case 'function': return 'a function';
    case 'object': {
      if (Array.isArray(v)) return 'an array';
      if (isPlainObject(v)) return 'an object';
      const name = className(v);
      return name ? `a ${name}` : 'an object';
    }
    default: return `a ${typeof v}`;
  }
}

/** A `TypeError` saying what `what` must be and what came. */
export const typeError = (what: string, expected: string, v: unknown): TypeError =>
  new TypeError(`${what} must be ${expected}, got ${describe(v)}`);

/** A `RangeError` saying what `what` must be and what came. */
export const rangeError = (what: string, expected: string, v: unknown): RangeError =>
  new RangeError(`${what} must be ${expected}, got ${describe(v)}`);

/** Any string. */
export function string(v: unknown, what: string): string {
  if (typeof v !== 'string') throw typeError(what, 'a string', v);
  return v;
}

/** A non-empty string (an id, an event name, a token). */
export function id(v: unknown, what: string): string {
  const expected = 'a non-empty string';
  if (typeof v !== 'string') throw typeError(what, expected, v);
  if (v === '') throw rangeError(what, expected, v);
  return v;
}

/** An optional id (absent, `undefined` or `null`, gives `undefined`). */
export function optId(v: unknown, what: string): string | undefined {
  return absent(v) ? undefined : id(v, what);
}

/** A boolean. */
export function boolean(v: unknown, what: string): boolean {
  if (typeof v !== 'boolean') throw typeError(what, 'a boolean (true or false)', v);
  return v;
}

/** One of the strings of a literal union. */
export function oneOf<T extends string>(v: unknown, what: string, allowed: readonly T[]): T {
  const expected = `one of ${allowed.map((a) => `'${a}'`).join(', ')}`;
  if (typeof v !== 'string') throw typeError(what, expected, v);
  if (!(allowed as readonly string[]).includes(v)) throw rangeError(what, expected, v);
  return v as T;
}

function array<T>(v: unknown, what: string, expected: string, item: (x: unknown, what: string) => T): T[] {
  if (!Array.isArray(v)) throw typeError(what, expected, v);
  return v.map((x, i) => item(x, `${what}[${i}]`));
}

/** An array of non-empty strings. */
export const ids = (v: unknown, what: string): string[] => array(v, what, 'an array of non-empty strings', id);

/** An array of strings. */
export const strings = (v: unknown, what: string): string[] => array(v, what, 'an array of strings', string);

/** A function. */
export function callback<F extends Function>(v: unknown, what: string): F {
  if (typeof v !== 'function') throw typeError(what, 'a function', v);
  return v as F;
}

/** An optional function. */
export function optCallback<F extends Function>(v: unknown, what: string): F | undefined {
  return absent(v) ? undefined : callback<F>(v, what);
}

/** A finite number. */
export function number(v: unknown, what: string, expected: string): number {
  if (typeof v !== 'number') throw typeError(what, expected, v);
  if (!Number.isFinite(v)) throw rangeError(what, expected, v);
  return v;
}

/** A finite non-negative number of milliseconds. */
export function ms(v: unknown, what: string): number {
  const expected = 'a finite non-negative number of milliseconds';
  const n = number(v, what, expected);
  if (n < 0 || n > MAX_SAFE) throw rangeError(what, expected, v);
  return n;
}

/** An optional number of milliseconds. */
export function optMs(v: unknown, what: string): number | undefined {
  return absent(v) ? undefined : ms(v, what);
}

/** A non-negative integer up to `max`. */
export function count(v: unknown, what: string, max: number): number {
  const expected = `a non-negative integer (at most ${max})`;
  const n = number(v, what, expected);
  if (n < 0 || !Number.isInteger(n) || n > max) throw rangeError(what, expected, v);
  return n;
}

/** An optional non-negative integer up to `max`. */
export function optCount(v: unknown, what: string, max: number): number | undefined {
  return absent(v) ? undefined : count(v, what, max);
}

/**
 * An instant: a valid `Date`, ms since the epoch, or a string. Whether a
 * string reads as a time is the wasm's to say (ISO 8601 is a wire rule kept
 * once, in src/core/time.rs); it refuses one with this module's RangeError.
 */
export function timestamp(v: unknown, what: string): unknown {
  const expected = 'a Date, a number of ms since the epoch or an ISO 8601 string';
  if (v instanceof Date) {
    const t = v.getTime();
    if (!(Number.isFinite(t) && t >= 0)) throw rangeError(what, 'a valid Date', v);
    return v;
  }
  if (typeof v === 'number') {
    if (!(Number.isFinite(v) && v >= 0 && v <= MAX_MS)) throw rangeError(what, expected, v);
    return v;
  }
  if (typeof v !== 'string') throw typeError(what, expected, v);
  return v;
}

/** A payload JSON can carry (`undefined`: no payload). */
export function json(v: unknown, what: string): unknown {
  if (v === undefined) return v;
  let text: string | undefined;
  try {
    text = JSON.stringify(v);
  } catch {
    text = undefined;
  }
  if (text === undefined) {
    throw typeError(what, 'a JSON-serializable value (no BigInt, symbol, function or cycle at the top)', v);
  }
  return v;
}

/** An instance found live by the caller (`found`), else a TypeError. */
export function instance<N>(found: N | undefined, v: unknown, what: string, expected: string): N {
  if (found === undefined) throw typeError(what, expected, v);
  return found;
}

/** What a missing required key should have been. */
function expectedOf(kind: Kind): string {
  if (typeof kind === 'object') {
    return 'max' in kind ? 'a non-negative integer' : 'oneOf' in kind ? 'one of its string values'
      : 'items' in kind ? 'an array of plain objects' : 'listOf' in kind ? 'a non-empty array of its string values'
      : 'a plain object';
  }
  return {
    str: 'a string', id: 'a non-empty string', bool: 'a boolean (true or false)',
    ms: 'a non-negative number of milliseconds', intMs: 'a non-negative number of milliseconds',
    num: 'a finite number', strings: 'an array of strings',
    timestamp: 'a Date, a number of ms since the epoch or an ISO 8601 string', any: 'given',
    json: 'a JSON-serializable value', fn: 'a function',
  }[kind];
}

/** `v` checked as `kind`. */
function checkKind(v: unknown, what: string, kind: Kind): void {
  if (typeof kind === 'object') {
    if ('max' in kind) count(v, what, kind.max);
    else if ('oneOf' in kind) oneOf(v, what, kind.oneOf);
    else if ('items' in kind) array(v, what, 'an array of plain objects', (x, at) => fields(x, at, kind.items));
    else if ('listOf' in kind) {
      const expected = `a non-empty array of ${kind.listOf.map((a) => `'${a}'`).join(', ')}`;
      if (array(v, what, expected, (x, at) => oneOf(x, at, kind.listOf)).length === 0) throw rangeError(what, expected, v);
    }
    else fields(v, what, kind.fields);
    return;
  }
  switch (kind) {
    case 'str': string(v, what); break;
    case 'id': id(v, what); break;
    case 'bool': boolean(v, what); break;
    case 'ms': ms(v, what); break;
    case 'intMs': count(v, what, MAX_SAFE); break;
    case 'num': number(v, what, 'a finite number'); break;
    case 'strings': strings(v, what); break;
    case 'timestamp': timestamp(v, what); break;
    case 'any': break;
    case 'json': json(v, what); break;
    case 'fn': callback(v, what); break;
  }
}

/**
 * `v` checked against `schema`: a plain object with no other keys, each key
 * of its kind and the required ones given. Returns `v` itself.
 */
export function fields<T>(v: unknown, what: string, schema: Schema): T {
  if (!isPlainObject(v)) throw typeError(what, 'a plain object', v);
  const known = Object.keys(schema);
  for (const key of Object.keys(v)) {
    if (!known.includes(key)) {
      throw new TypeError(`${what} has an unknown key ${quote(key)}; known keys: ${known.join(', ')}`);
    }
  }
  for (const key of known) field(v[key], `${what}.${key}`, schema[key]);
  return v as T;
}

/** `value` checked as `f` (named `what`); false when it is absent (and may be). */
function field(value: unknown, what: string, f: Kind | Required, nullable = true): boolean {
  const required = typeof f === 'object' && 'required' in f;
  const kind = required ? (f as Required).required : (f as Kind);
  if (value === null && !nullable && kind !== 'json') throw typeError(what, expectedOf(kind), value);
  if (absent(value)) {
    if (required) throw typeError(what, expectedOf(kind), value);
    return false;
  }
  checkKind(value, what, kind);
  return true;
}

/**
 * Positional arguments checked against `schema` (its keys are the
 * parameters, in order; messages name `method(): param`): an object of
 * those given, by parameter name. `null` is a value here (refused but for
 * `json`): an optional parameter is `undefined` when not given.
 */
export function params(args: readonly unknown[], what: string, schema: Schema): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  Object.keys(schema).forEach((key, i) => {
    if (field(args[i], `${what}: ${key}`, schema[key], false)) out[key] = args[i];
  });
  return out;
}

/** An optional object argument checked against `schema`. */
export function optFields<T>(v: unknown, what: string, schema: Schema): T | undefined {
  return absent(v) ? undefined : fields<T>(v, what, schema);
}
