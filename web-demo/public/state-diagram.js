// A live drawing of the session state diagram (docs/api.md §5.1) as inline SVG, with the current
// state highlighted. The boxes are placed here; the arrows are the transition table's
// (state-edges.js, generated from src/transitions.hpp), so the drawing cannot drift from the engine.
// It draws; the relying-party page decides the state.
import { EDGES, STATES } from './state-edges.js';

const NS = 'http://www.w3.org/2000/svg';

// x, y, width, height of each box, in three columns; USER_INTERACTION holds its two pseudo-states.
const BOXES = {
  STARTING: [10, 100, 110, 46],
  READY_FOR_USER_INTERACTION: [4, 172, 146, 46],  // only with manuallyStartUserInteraction
  USER_INTERACTION: [160, 40, 210, 160],
  WAIT_FOR_CONFIRMATION: [172, 72, 186, 40],
  WAIT_FOR_SECOND_FACTOR: [172, 142, 186, 40],
  ACTIVE: [430, 20, 110, 46],
  DONE: [430, 100, 110, 46],
  ERROR: [430, 180, 110, 46],
};
const COLUMN = { STARTING: 0, READY_FOR_USER_INTERACTION: 0, WAIT_FOR_CONFIRMATION: 1, WAIT_FOR_SECOND_FACTOR: 1, ACTIVE: 2, DONE: 2, ERROR: 2 };
const BELOW = 245;  // where arrows that skip a column pass under the USER_INTERACTION box

const el = (name, attrs, text) => {
  const e = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text) e.textContent = text;
  return e;
};
const centreY = ([, y, , h]) => y + h / 2;
const centreX = ([x, , w]) => x + w / 2;

// Spreads the arrows that leave or enter one side of a box along it, ordered by where their other
// end lies, so parallel arrows do not overlap.
function anchors(edges, side, otherEnd) {
  const groups = new Map();
  for (const e of edges) groups.set(side(e), [...(groups.get(side(e)) ?? []), e]);
  const at = new Map();
  for (const [name, group] of groups) {
    const [, y, , h] = BOXES[name];
    group.sort((a, b) => otherEnd(a) - otherEnd(b));
    group.forEach((e, i) => at.set(e, y + (h * (i + 1)) / (group.length + 1)));
  }
  return at;
}

// One path per edge: straight between neighbouring columns, vertical between stacked boxes, a
// curve under the diagram for a skipped column, a curve on the right between distant stacked boxes.
function route(edges) {
  const forward = edges.filter(([from, to]) => COLUMN[to] > COLUMN[from]);
  const skipY = ([from, to]) => (COLUMN[to] - COLUMN[from] > 1 ? BELOW : centreY(BOXES[from]));
  const leave = anchors(forward.filter(([f, t]) => COLUMN[t] - COLUMN[f] === 1), ([f]) => f, ([, t]) => centreY(BOXES[t]));
  const enter = anchors(forward, ([, t]) => t, skipY);
  const skips = forward.filter(([f, t]) => COLUMN[t] - COLUMN[f] > 1);
  return edges.map((edge) => {
    const [from, to] = edge;
    const [fx, fy, fw, fh] = BOXES[from];
    const [tx, ty, tw] = BOXES[to];
    if (COLUMN[to] - COLUMN[from] === 1) return `M${fx + fw} ${leave.get(edge)} L${tx} ${enter.get(edge)}`;
    if (COLUMN[to] > COLUMN[from]) {
      const i = skips.filter(([f]) => f === from).indexOf(edge);
      const n = skips.filter(([f]) => f === from).length;
      const sx = fx + (fw * (i + 1)) / (n + 1);
      const ey = enter.get(edge);
      return `M${sx} ${fy + fh} C ${sx} ${BELOW}, ${tx - 40} ${BELOW - 10 * i}, ${tx} ${ey}`;
    }
    if (ty > fy && Object.keys(COLUMN).some((n) => COLUMN[n] === COLUMN[from] && BOXES[n][1] > fy && BOXES[n][1] < ty)) {
      const x = fx + fw;
      return `M${x} ${centreY(BOXES[from])} C ${x + 30} ${centreY(BOXES[from])}, ${x + 30} ${centreY(BOXES[to])}, ${tx + tw} ${centreY(BOXES[to])}`;
    }
    return `M${centreX(BOXES[from])} ${fy + fh} L${centreX(BOXES[to])} ${ty}`;
  });
}

function box(name, [x, y, w, h], { sub = false } = {}) {
  const g = el('g', { class: sub ? 'pseudo' : 'state', 'data-state': name });
  g.append(el('rect', { x, y, width: w, height: h, rx: 8 }));
  const ty = STATES[name]?.length ? y + 20 : y + h / 2 + 5;
  // A name too long for its box (READY_FOR_USER_INTERACTION) takes two lines, split at "_FOR_".
  const lines = name.length * 7 > w && name.includes('_FOR_') ? name.replace('_FOR_', '_FOR_\n').split('\n') : [name];
  lines.forEach((line, i) => g.append(el('text', { x: x + w / 2, y: ty + (i - (lines.length - 1) / 2) * 13, 'text-anchor': 'middle' }, line)));
  return g;
}

export function createStateDiagram(container) {
  const svg = el('svg', { viewBox: '0 0 575 255', role: 'img', 'aria-label': 'session state diagram', class: 'state-diagram' });
  svg.append(el('defs', {}));
  svg.firstChild.innerHTML = '<marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto"><path d="M0 0 L10 5 L0 10 z"/></marker>';
  // A box holding pseudo-states goes under the arrows, which end at the pseudo-states inside it.
  const [holders, plain] = [Object.keys(STATES).filter((s) => STATES[s].length), Object.keys(STATES).filter((s) => !STATES[s].length)];
  for (const state of holders) svg.append(box(state, BOXES[state]));
  const paths = route(EDGES);
  EDGES.forEach(([from, to, inputs], i) => {
    const path = el('path', { d: paths[i], class: 'arrow', 'marker-end': 'url(#arrow)', 'data-from': from, 'data-to': to });
    path.append(el('title', {}, `${from} → ${to}: ${inputs}`));
    svg.append(path);
  });
  for (const state of plain) svg.append(box(state, BOXES[state]));
  for (const name of holders.flatMap((s) => STATES[s])) svg.append(box(name, BOXES[name], { sub: true }));
  const caption = el('text', { x: 10, y: 20, class: 'caption' }, '');
  svg.append(caption);
  container.replaceChildren(svg);

  return {
    /** Highlights `state` (or nothing for 'NONE'); `note` is written under the title, e.g. a history status. */
    set(state, note = '') {
      svg.dataset.current = state;
      for (const g of svg.querySelectorAll('g.state')) g.classList.toggle('current', g.dataset.state === state);
      caption.textContent = note;
    },
  };
}
