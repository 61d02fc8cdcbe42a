// A live drawing of the session state diagram (docs/api.md §5.1) as inline SVG: STARTING →
// USER_INTERACTION (WAIT_FOR_CONFIRMATION, WAIT_FOR_SECOND_FACTOR) → ACTIVE / DONE / ERROR, with
// the current state highlighted. It draws; the relying-party page decides the state.
const NS = 'http://www.w3.org/2000/svg';

// x, y, width, height of each state's box; USER_INTERACTION holds its two pseudo-states.
const BOXES = {
  STARTING: [10, 92, 110, 46],
  USER_INTERACTION: [160, 40, 210, 150],
  ACTIVE: [420, 20, 110, 46],
  DONE: [420, 92, 110, 46],
  ERROR: [420, 164, 110, 46],
};
const PSEUDO = { WAIT_FOR_CONFIRMATION: [172, 72, 186, 40], WAIT_FOR_SECOND_FACTOR: [172, 132, 186, 40] };
const ARROWS = [
  ['M120 115 L160 115'],                 // STARTING → USER_INTERACTION
  ['M265 112 L265 132'],                 // confirmation → second factor
  ['M370 60 L420 43'],                   // → ACTIVE
  ['M370 115 L420 115'],                 // → DONE
  ['M370 170 L420 187'],                 // → ERROR
  ['M475 66 L475 92'],                   // ACTIVE → DONE (logout)
  ['M65 138 C 65 230, 300 230, 420 192'], // STARTING → ERROR
];

const el = (name, attrs, text) => {
  const e = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text) e.textContent = text;
  return e;
};

function box(name, [x, y, w, h], { label = name, sub = false } = {}) {
  const g = el('g', { class: sub ? 'pseudo' : 'state', 'data-state': name });
  g.append(el('rect', { x, y, width: w, height: h, rx: 8 }));
  const ty = name === 'USER_INTERACTION' ? y + 20 : y + h / 2 + 5;
  g.append(el('text', { x: x + w / 2, y: ty, 'text-anchor': 'middle' }, label));
  return g;
}

export function createStateDiagram(container) {
  const svg = el('svg', { viewBox: '0 0 540 225', role: 'img', 'aria-label': 'session state diagram', class: 'state-diagram' });
  svg.append(el('defs', {}));
  svg.firstChild.innerHTML = '<marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto"><path d="M0 0 L10 5 L0 10 z"/></marker>';
  for (const [d] of ARROWS) svg.append(el('path', { d, class: 'arrow', 'marker-end': 'url(#arrow)' }));
  for (const [name, rect] of Object.entries(BOXES)) svg.append(box(name, rect));
  for (const [name, rect] of Object.entries(PSEUDO)) svg.append(box(name, rect, { sub: true }));
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
