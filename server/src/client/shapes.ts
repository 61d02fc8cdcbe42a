// Checks that a decoded JSON answer has the shape the client's types promise, so a server (or a
// proxy) answering something else fails with a `bad_response` error naming the field instead of
// an `undefined` surfacing far from the call. Each shape also describes itself as the JSON-Schema
// subset of openapi.ts, which lets tests/js/rp-client.test.js compare the client's models with
// GET /openapi.json field by field.
//
// Fields a shape does not name pass through unchecked: a newer server may add fields, and an
// older client must keep working with it.

/** What a shape describes: the subset of JSON Schema the document uses. */
export interface ShapeSchema {
  type?: string | string[];
  enum?: readonly unknown[];
  const?: unknown;
  items?: ShapeSchema;
  properties?: Record<string, ShapeSchema>;
  required?: string[];
}

export interface Shape<T> {
  readonly schema: ShapeSchema;
  /** `value` itself once it fits; ShapeMismatch otherwise (`at` names the value in the message). */
  parse(value: unknown, at: string): T;
}

/** A decoded value that does not fit its shape. */
export class ShapeMismatch extends Error {}

const describe = (value: unknown): string =>
  value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value === 'object' ? 'an object' : `${typeof value} ${JSON.stringify(value)}`.slice(0, 60);

function primitive<T>(type: 'string' | 'integer' | 'boolean', test: (v: unknown) => boolean): Shape<T> {
  return {
    schema: { type },
    parse(value, at) {
      if (!test(value)) throw new ShapeMismatch(`${at}: expected ${type}, got ${describe(value)}`);
      return value as T;
    },
  };
}

export const string = primitive<string>('string', (v) => typeof v === 'string');
export const integer = primitive<number>('integer', (v) => Number.isInteger(v));
export const boolean = primitive<boolean>('boolean', (v) => typeof v === 'boolean');

export function nullable<T>(inner: Shape<T>): Shape<T | null> {
  const type = inner.schema.type;
  return {
    schema: { ...inner.schema, type: [...(Array.isArray(type) ? type : type ? [type] : []), 'null'] },
    parse: (value, at) => (value === null ? null : inner.parse(value, at)),
  };
}

export function oneOf<const V extends readonly (string | null)[]>(...values: V): Shape<V[number]> {
  return {
    schema: { enum: values },
    parse(value, at) {
      if (!values.includes(value as V[number])) throw new ShapeMismatch(`${at}: expected one of ${JSON.stringify(values)}, got ${describe(value)}`);
      return value as V[number];
    },
  };
}

export function literal<const V extends string | number | boolean | null>(expected: V): Shape<V> {
  return {
    schema: { const: expected },
    parse(value, at) {
      if (value !== expected) throw new ShapeMismatch(`${at}: expected ${JSON.stringify(expected)}, got ${describe(value)}`);
      return expected;
    },
  };
}

export function arrayOf<T>(item: Shape<T>): Shape<T[]> {
  return {
    schema: { type: 'array', items: item.schema },
    parse(value, at) {
      if (!Array.isArray(value)) throw new ShapeMismatch(`${at}: expected an array, got ${describe(value)}`);
      value.forEach((v, i) => item.parse(v, `${at}[${i}]`));
      return value as T[];
    },
  };
}

/** A marker for a field that may be absent (never for one that may be null: that is `nullable`). */
export interface Optional<T> {
  readonly optional: Shape<T>;
}
export const optional = <T>(shape: Shape<T>): Optional<T> => ({ optional: shape });

type Fields = Record<string, Shape<unknown> | Optional<unknown>>;
type Required<F extends Fields> = { [K in keyof F as F[K] extends Shape<unknown> ? K : never]: F[K] extends Shape<infer T> ? T : never };
type Optionals<F extends Fields> = { [K in keyof F as F[K] extends Optional<unknown> ? K : never]?: F[K] extends Optional<infer T> ? T : never };
export type ObjectOf<F extends Fields> = Required<F> & Optionals<F>;

export function object<F extends Fields>(fields: F): Shape<ObjectOf<F>> {
  const entries = Object.entries(fields).map(([key, f]) => ('optional' in f ? { key, shape: f.optional, required: false } : { key, shape: f as Shape<unknown>, required: true }));
  return {
    schema: {
      type: 'object',
      properties: Object.fromEntries(entries.map((e) => [e.key, e.shape.schema])),
      required: entries.filter((e) => e.required).map((e) => e.key),
    },
    parse(value, at) {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ShapeMismatch(`${at}: expected an object, got ${describe(value)}`);
      const record = value as Record<string, unknown>;
      for (const { key, shape, required } of entries) {
        if (!Object.hasOwn(record, key)) {
          if (required) throw new ShapeMismatch(`${at}.${key}: missing`);
          continue;
        }
        shape.parse(record[key], `${at}.${key}`);
      }
      return value as ObjectOf<F>;
    },
  };
}
