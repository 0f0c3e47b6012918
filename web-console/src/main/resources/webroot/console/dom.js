// Building DOM without HTML strings: every piece of data goes in as text.
export function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') node.className = value;
    else if (key === 'text') node.textContent = String(value);
    else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/**
 * Puts {@code node} right after {@code prev} (first in {@code container} when prev is null),
 * moving it only when it is elsewhere: a keyed list keeps its order without re-adding its nodes,
 * so what is in them (a half-typed comment, the focus) stays. Returns the node, the next prev.
 */
export function placeAfter(container, prev, node) {
  if ((prev ? prev.nextSibling : container.firstChild) !== node) {
    if (prev) prev.after(node); else container.prepend(node);
  }
  return node;
}

export function clear(node) {
  while (node.firstChild) node.removeChild(node.firstChild);
  return node;
}

export function json(value) {
  return value === undefined || value === null ? '—' : JSON.stringify(value, null, 2);
}

/** "3 h", "12 min", "40 s": a span of seconds as a person says it. */
export function span(s) {
  if (s < 60) return Math.round(s) + ' s';
  if (s < 3600) return Math.round(s / 60) + ' min';
  if (s < 86400) return Math.round(s / 3600) + ' h';
  return Math.round(s / 86400) + ' d';
}

export function age(iso) {
  if (!iso) return '';
  return span(Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000))) + ' ago';
}

/** A deadline relative to now: "expires in 3 h", or "expired 2 min ago" while the server catches up. */
export function deadline(expiresAt, now = Date.now()) {
  const s = (Date.parse(expiresAt) - now) / 1000;
  return s >= 0.5 ? 'expires in ' + span(s) : 'expired ' + span(-s) + ' ago';
}

export function duration(from, to) {
  if (!from || !to) return '';
  const ms = Math.max(0, Date.parse(to) - Date.parse(from));
  if (ms < 1000) return ms + ' ms';
  if (ms < 60000) return (ms / 1000).toFixed(1) + ' s';
  if (ms < 3600000) return Math.floor(ms / 60000) + ' min ' + Math.round(ms % 60000 / 1000) + ' s';
  return Math.floor(ms / 3600000) + ' h ' + Math.round(ms % 3600000 / 60000) + ' min';
}

export const FINISHED = new Set(['SUCCEEDED', 'FAILED', 'CANCELLED', 'COMPENSATION_FAILED']);

export function badge(status) {
  return el('span', { class: 'badge status-' + String(status || '').toLowerCase(), text: status });
}
