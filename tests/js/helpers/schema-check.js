// A checker for the JSON Schema subset server/src/openapi.ts uses (type incl. type lists, properties,
// required, additionalProperties: false, items, enum, const, minimum, maximum, maxLength, $ref into
// the document). Returns a list of problems, empty when the value fits.
'use strict';

function resolveRef(doc, ref) {
  if (!ref.startsWith('#/')) throw new Error(`unsupported $ref ${ref}`);
  let node = doc;
  for (const part of ref.slice(2).split('/')) {
    node = node?.[part];
    if (node === undefined) throw new Error(`dangling $ref ${ref}`);
  }
  return node;
}

const typeOf = (v) => (v === null ? 'null' : Array.isArray(v) ? 'array' : Number.isInteger(v) ? 'integer' : typeof v);
const KNOWN = new Set(['type', 'properties', 'required', 'additionalProperties', 'items', 'enum', 'const', 'minimum', 'maximum',
  'maxLength', '$ref', 'description', 'format']);

function check(doc, schema, value, at = '$', problems = []) {
  if (schema.$ref) return check(doc, resolveRef(doc, schema.$ref), value, at, problems);
  for (const k of Object.keys(schema)) if (!KNOWN.has(k)) throw new Error(`schema keyword ${k} at ${at} is not supported by the checker`);
  if (schema.type !== undefined) {
    const types = Array.isArray(schema.type) ? schema.type : [schema.type];
    const t = typeOf(value);
    if (!types.includes(t) && !(t === 'integer' && types.includes('number'))) {
      problems.push(`${at}: ${JSON.stringify(value)} is ${t}, expected ${types.join('|')}`);
      return problems;
    }
  }
  if (schema.const !== undefined && value !== schema.const) problems.push(`${at}: expected ${JSON.stringify(schema.const)}`);
  if (schema.enum && !schema.enum.includes(value)) problems.push(`${at}: ${JSON.stringify(value)} not in ${JSON.stringify(schema.enum)}`);
  if (typeof value === 'number') {
    if (schema.minimum !== undefined && value < schema.minimum) problems.push(`${at}: ${value} < ${schema.minimum}`);
    if (schema.maximum !== undefined && value > schema.maximum) problems.push(`${at}: ${value} > ${schema.maximum}`);
  }
  if (typeof value === 'string' && schema.maxLength !== undefined && value.length > schema.maxLength) problems.push(`${at}: longer than ${schema.maxLength}`);
  if (typeOf(value) === 'object') {
    for (const key of schema.required ?? []) if (!(key in value)) problems.push(`${at}: missing ${key}`);
    for (const [key, v] of Object.entries(value)) {
      const sub = schema.properties?.[key];
      if (sub) check(doc, sub, v, `${at}.${key}`, problems);
      else if (schema.additionalProperties === false) problems.push(`${at}: undocumented field ${key}`);
    }
  }
  if (Array.isArray(value) && schema.items) value.forEach((v, i) => check(doc, schema.items, v, `${at}[${i}]`, problems));
  return problems;
}

module.exports = { check, resolveRef };
