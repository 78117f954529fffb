// Building the page from elements and text nodes only: names and other user data never pass
// through innerHTML, so they cannot inject markup.
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') element.addEventListener(key.slice(2), value);
    else if (key === 'class') element.className = value;
    else if (value === true) element.setAttribute(key, '');
    else element.setAttribute(key, String(value));
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export function replace(element, ...children) {
  element.replaceChildren();
  append(element, children);
}

let ids = 0;
// A labelled input: the label names it for screen readers and clicks focus it.
export function field(label, input) {
  if (!input.id) input.id = `f${++ids}`;
  return h('div', { class: 'field' }, h('label', { for: input.id }, label), input);
}

export function toast(message, kind = 'info') {
  const box = document.getElementById('toast');
  box.className = `toast ${kind}`;
  box.textContent = message;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { box.textContent = ''; box.className = 'toast'; }, 6000);
}

export function date(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString();
}

export function percent(x) { return `${(x * 100).toFixed(1)}%`; }

export function similarity(x) { return x === null || x === undefined ? '-' : Number(x).toFixed(3); }
