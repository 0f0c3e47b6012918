// Page-wide keyboard shortcuts for a view, and the help overlay that lists them.
// A shortcut never fires while the user types (in an input, a select, a textarea or an editable
// element) nor with Ctrl, Alt or Meta held; Escape is the exception: it leaves the field.
import { el } from './dom.js';

/** Whether the key event comes from somewhere the user types. */
export function typing(ev) {
  const t = ev.target;
  if (!t || !t.closest) return false;
  return !!t.closest('input, select, textarea, [contenteditable=""], [contenteditable="true"]');
}

/**
 * Installs {@code keys} (an array of { keys: ['j', 'ArrowDown'], label, run(ev) -> false to let the
 * browser have it, when?: (ev) => boolean }) on the document; {@code onEscapeInField(ev)} is called
 * for Escape typed in a field. Returns the function that removes them.
 */
export function bindKeys(keys, onEscapeInField) {
  const handler = (ev) => {
    if (ev.defaultPrevented || ev.ctrlKey || ev.altKey || ev.metaKey) return;
    if (typing(ev)) {
      if (ev.key === 'Escape' && onEscapeInField) onEscapeInField(ev);
      return;
    }
    for (const k of keys) {
      if (!k.keys.includes(ev.key) || (k.when && !k.when(ev))) continue;
      if (k.run(ev) === false) return;
      ev.preventDefault();
      return;
    }
  };
  document.addEventListener('keydown', handler);
  return () => document.removeEventListener('keydown', handler);
}

/**
 * The help overlay: a modal dialog listing the keys ({ keys, label }), closed by Escape (the
 * dialog's own), its Close button, or ? again. Returns { node, toggle() }.
 */
export function keyHelp(title, keys) {
  const close = el('button', { type: 'button', text: 'Close' });
  const dialog = el('dialog', { id: 'key-help', class: 'key-help', 'aria-labelledby': 'key-help-title' },
    el('h2', { id: 'key-help-title', text: title }),
    el('dl', {}, keys.filter(k => k.label).map(k => [
      el('dt', {}, k.keys.filter(x => x !== ' ').map((x, i) => [i ? ' or ' : '', el('kbd', { text: keyName(x) })])),
      el('dd', { text: k.label })])),
    el('div', { class: 'actions' }, close));
  close.addEventListener('click', () => dialog.close());
  // a click on the backdrop (outside the dialog's box) closes it too
  dialog.addEventListener('click', (ev) => { if (ev.target === dialog) dialog.close(); });
  const toggle = () => { if (dialog.open) dialog.close(); else dialog.showModal(); };
  return { node: dialog, toggle };
}

function keyName(key) {
  return { ArrowDown: '↓', ArrowUp: '↑', Escape: 'Esc' }[key] || key;
}
