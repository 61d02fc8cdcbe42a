// Query parameters of the v2.2 list calls: limit, marker (an offset), sort (`col:asc|desc`, several)
// and filter (`attr=value`, repeatable), checked against per-list whitelists; the SQL is in db.ts.
import type { ListQuery } from './db';
import { HttpError } from './http';

export const DEFAULT_PAGE = 1000;
export const MAX_PAGE = 1000;
export const MAX_MARKER = 2 ** 31 - 1;
const MAX_SORT_KEYS = 5;
const MAX_FILTERS = 10;
export const MAX_TEXT_PARAM_CHARS = 256;

export function intParam(q: URLSearchParams, key: string, dflt: number, min: number, max: number): number {
  const v = q.get(key);
  if (v === null || v === '') return dflt;
  if (!/^\d{1,10}$/.test(v) || Number(v) < min || Number(v) > max) {
    throw new HttpError(400, `query "${key}" must be an integer in ${min}..${max}`);
  }
  return Number(v);
}

/** `true` / `false`, or HttpError 400 naming `what`. */
export function parseBool(v: string, what: string): boolean {
  if (v === 'true') return true;
  if (v === 'false') return false;
  throw new HttpError(400, `${what} must be true or false`);
}

/** A required text query parameter (non-empty, at most 256 characters). */
export function requiredText(q: URLSearchParams, key: string): string {
  const v = q.get(key);
  if (v === null || v === '') throw new HttpError(400, `query "${key}" is required`);
  if (v.length > MAX_TEXT_PARAM_CHARS) throw new HttpError(400, `query "${key}" is too long (at most ${MAX_TEXT_PARAM_CHARS} characters)`);
  return v;
}

export type FilterType = 'text' | 'nullable-text' | 'bool' | 'int';

function shown(s: string): string {
  return JSON.stringify(s.length > 40 ? `${s.slice(0, 40)}…` : s);
}

/**
 * limit (default and maximum 1000), marker, sort and filter of a list call. `sortable` names the
 * columns sort may use; `filterable` the attributes filter may use, with their value types
 * (`nullable-text`: an empty value matches no value, e.g. `userid=` lists accounts without a user).
 */
export function listQuery(q: URLSearchParams, sortable: readonly string[], filterable: Readonly<Record<string, FilterType>>): ListQuery {
  const offset = intParam(q, 'marker', 0, 0, MAX_MARKER);
  const limit = intParam(q, 'limit', DEFAULT_PAGE, 0, MAX_PAGE);
  const sort: ListQuery['sort'] = [];
  for (const value of q.getAll('sort')) {
    for (const item of value.split(',')) {
      if (item === '') continue;
      const m = /^([A-Za-z]+)(?::(asc|desc))?$/.exec(item);
      if (!m) throw new HttpError(400, `sort ${shown(item)} must be column or column:asc or column:desc`);
      if (!sortable.includes(m[1])) throw new HttpError(400, `unknown sort column ${shown(m[1])} (sortable: ${sortable.join(', ')})`);
      sort.push({ column: m[1], desc: m[2] === 'desc' });
    }
  }
  if (sort.length > MAX_SORT_KEYS) throw new HttpError(400, `at most ${MAX_SORT_KEYS} sort columns`);
  const filters: ListQuery['filters'] = [];
  const raw = q.getAll('filter').filter((f) => f !== '');
  if (raw.length > MAX_FILTERS) throw new HttpError(400, `at most ${MAX_FILTERS} filters`);
  for (const f of raw) {
    const eq = f.indexOf('=');
    if (eq <= 0) throw new HttpError(400, `filter ${shown(f)} must be attribute=value`);
    const attr = f.slice(0, eq);
    const value = f.slice(eq + 1);
    const type = Object.hasOwn(filterable, attr) ? filterable[attr] : undefined;
    if (!type) throw new HttpError(400, `unknown filter attribute ${shown(attr)} (filterable: ${Object.keys(filterable).join(', ')})`);
    if (value.length > MAX_TEXT_PARAM_CHARS) throw new HttpError(400, `filter value of "${attr}" is too long`);
    if (type === 'bool') filters.push({ column: attr, value: parseBool(value, `filter "${attr}"`) ? 1 : 0 });
    else if (type === 'int') {
      if (!/^\d{1,10}$/.test(value) || Number(value) > MAX_MARKER) throw new HttpError(400, `filter "${attr}" must be a non-negative integer`);
      filters.push({ column: attr, value: Number(value) });
    } else if (value === '') {
      if (type !== 'nullable-text') throw new HttpError(400, `filter "${attr}" needs a value`);
      filters.push({ column: attr, value: null });
    } else filters.push({ column: attr, value });
  }
  return { filters, sort, limit, offset };
}

/** `search`: a substring to look for (LIKE, case-insensitive; % and _ match themselves). */
export function searchParam(q: URLSearchParams): string | null {
  const v = q.get('search');
  if (v === null || v === '') return null;
  if (v.length > MAX_TEXT_PARAM_CHARS) throw new HttpError(400, 'query "search" is too long');
  return v;
}
