// A form built from a JSON Schema (a playbook's input): one field per property, with its
// description as help, its default, a marker when it is required, and the schema's own checks
// (required, type, pattern, length, minimum/maximum, enum, format uri/email) run before anything
// is sent, each message next to its field. Errors the server found (input_invalid) can be shown
// next to their fields too. Everything from the schema goes into the page as text (dom.js).
import { el } from './dom.js';

let forms = 0; // distinct ids when several forms are on a page

const INPUT_TYPES = { uri: 'url', url: 'url', 'uri-reference': 'text', email: 'email', date: 'date' };

function kind(schema) {
  if (!schema || typeof schema !== 'object') return 'json';
  if (Array.isArray(schema.enum)) return 'enum';
  let type = schema.type;
  if (Array.isArray(type)) type = type.find(t => t !== 'null');
  if (type === 'array') {
    const items = schema.items || {};
    const itemType = Array.isArray(items.type) ? items.type.find(t => t !== 'null') : items.type;
    return ['string', 'number', 'integer'].includes(itemType) || !itemType ? 'list' : 'json';
  }
  return ['string', 'number', 'integer', 'boolean', 'object'].includes(type) ? type : (schema.properties ? 'object' : 'json');
}

function itemKind(schema) {
  const items = (schema && schema.items) || {};
  const t = Array.isArray(items.type) ? items.type.find(x => x !== 'null') : items.type;
  return t || 'string';
}

function label(name, schema) {
  return schema.title || name;
}

/** Whether a value counts as not given (an optional field left empty is left out). */
function empty(value) {
  return value === undefined || value === '' || (Array.isArray(value) && value.length === 0);
}

/** The checks the schema asks of one value (already converted); the first failing one's message, or null. */
function check(schema, value, required) {
  const k = kind(schema);
  if (empty(value)) return required ? 'Required.' : null;
  if (k === 'number' || k === 'integer') {
    if (typeof value !== 'number' || Number.isNaN(value)) return 'Must be a number.';
    if (k === 'integer' && !Number.isInteger(value)) return 'Must be a whole number.';
    if (typeof schema.minimum === 'number' && value < schema.minimum) return 'Must be at least ' + schema.minimum + '.';
    if (typeof schema.maximum === 'number' && value > schema.maximum) return 'Must be at most ' + schema.maximum + '.';
    if (typeof schema.exclusiveMinimum === 'number' && value <= schema.exclusiveMinimum) return 'Must be more than ' + schema.exclusiveMinimum + '.';
    if (typeof schema.exclusiveMaximum === 'number' && value >= schema.exclusiveMaximum) return 'Must be less than ' + schema.exclusiveMaximum + '.';
    return null;
  }
  if (k === 'enum') return schema.enum.some(v => String(v) === String(value)) ? null : 'Must be one of ' + schema.enum.join(', ') + '.';
  if (k === 'string') {
    const chars = [...value].length;
    if (typeof schema.minLength === 'number' && chars < schema.minLength) return 'Must be at least ' + schema.minLength + ' characters.';
    if (typeof schema.maxLength === 'number' && chars > schema.maxLength) return 'Must be at most ' + schema.maxLength + ' characters.';
    if (schema.pattern) {
      let re = null;
      try { re = new RegExp(schema.pattern, 'u'); } catch (e) { re = null; } // the server checks what the browser cannot
      if (re && !re.test(value)) return 'Must match the pattern ' + schema.pattern + '.';
    }
    if (schema.format === 'uri' || schema.format === 'url') {
      let url = null;
      try { url = new URL(value); } catch (e) { url = null; }
      if (!url || !/^[a-z][a-z0-9+.-]*:$/i.test(url.protocol)) return 'Must be a full address such as https://example.com/.';
    }
    if (schema.format === 'email' && !/^[^\s@]+@[^\s@]+$/.test(value)) return 'Must be an email address.';
    return null;
  }
  if (k === 'list') {
    if (typeof schema.minItems === 'number' && value.length < schema.minItems) return 'Needs at least ' + schema.minItems + ' entries.';
    if (typeof schema.maxItems === 'number' && value.length > schema.maxItems) return 'Takes at most ' + schema.maxItems + ' entries.';
    const it = itemKind(schema);
    for (const v of value) {
      if ((it === 'number' || it === 'integer') && (typeof v !== 'number' || Number.isNaN(v))) return 'Every entry must be a number.';
      const bad = check(schema.items || {}, v, false);
      if (bad) return 'Entry “' + v + '”: ' + bad;
    }
  }
  return null;
}

/**
 * The form for {@code schema} (an object schema). {@code values} fills it (else the schema's
 * defaults). Returns { node, read, showErrors, focusFirstError }: read() checks every field and
 * gives {value, errors} (errors a Map from path, such as "url" or "address.city", to message, shown
 * next to the fields); showErrors(map) shows errors found elsewhere (the server's).
 */
export function schemaForm(schema, { values, legend } = {}) {
  const prefix = 'sf' + (++forms) + '-';
  const fields = new Map(); // path -> { read(), error node, control }

  function fieldFor(name, prop, path, required, value) {
    const k = kind(prop);
    const id = prefix + path.replace(/[^A-Za-z0-9_-]/g, '_');
    const help = prop.description ? el('p', { class: 'hint field-help', id: id + '-help', text: prop.description }) : null;
    const error = el('p', { class: 'field-error', id: id + '-error', 'data-field-error': path, hidden: true });
    const described = [help ? id + '-help' : null, id + '-error'].filter(Boolean).join(' ');
    const initial = value !== undefined ? value : prop.default;
    const mark = required ? el('span', { class: 'required', 'aria-hidden': 'true', text: ' *' }) : null;
    let control;
    let read;
    if (k === 'object') {
      const inner = objectFields(prop, path + '.', initial || {});
      return el('fieldset', { class: 'schema-object', 'data-field': path }, el('legend', {}, label(name, prop), mark), help, inner, error);
    } else if (k === 'boolean') {
      control = el('input', { id, type: 'checkbox', name: path, 'aria-describedby': described });
      control.checked = initial === true;
      read = () => control.checked;
      return register(path, prop, false, error, control, read,
        el('div', { class: 'schema-field checkbox', 'data-field': path }, control, el('label', { for: id, class: 'inline' }, ' ', label(name, prop)), help, error));
    } else if (k === 'enum') {
      control = el('select', { id, name: path, 'aria-describedby': described, 'aria-required': required ? 'true' : null },
        required && initial !== undefined ? null : el('option', { value: '', text: required ? 'Choose…' : '(none)' }),
        prop.enum.map(v => el('option', { value: String(v), text: String(v), selected: initial !== undefined && String(v) === String(initial) })));
      read = () => {
        if (control.value === '') return undefined;
        return prop.enum.find(v => String(v) === control.value);
      };
    } else if (k === 'number' || k === 'integer') {
      control = el('input', { id, name: path, type: 'number', step: k === 'integer' ? '1' : 'any', min: prop.minimum, max: prop.maximum,
        'aria-describedby': described, 'aria-required': required ? 'true' : null });
      if (initial !== undefined) control.value = String(initial);
      read = () => (control.value.trim() === '' ? (control.validity && control.validity.badInput ? NaN : undefined) : Number(control.value));
    } else if (k === 'list') {
      control = el('textarea', { id, name: path, rows: 3, spellcheck: 'false', 'aria-describedby': described, 'aria-required': required ? 'true' : null });
      if (Array.isArray(initial)) control.value = initial.join('\n');
      const it = itemKind(prop);
      read = () => control.value.split('\n').map(s => s.trim()).filter(s => s !== '')
        .map(s => (it === 'number' || it === 'integer' ? Number(s) : s));
    } else if (k === 'string') {
      const long = typeof prop.maxLength === 'number' ? prop.maxLength > 200 : false;
      control = long
        ? el('textarea', { id, name: path, rows: 3, 'aria-describedby': described, 'aria-required': required ? 'true' : null })
        : el('input', { id, name: path, type: INPUT_TYPES[prop.format] || 'text', autocomplete: 'off',
          placeholder: prop.format === 'uri' || prop.format === 'url' ? 'https://' : prop.examples && prop.examples.length ? String(prop.examples[0]) : null,
          'aria-describedby': described, 'aria-required': required ? 'true' : null });
      if (initial !== undefined && initial !== null) control.value = String(initial);
      read = () => control.value.trim();
    } else {
      control = el('textarea', { id, name: path, rows: 3, spellcheck: 'false', placeholder: 'JSON', 'aria-describedby': described,
        'aria-required': required ? 'true' : null });
      if (initial !== undefined) control.value = JSON.stringify(initial, null, 2);
      read = () => {
        if (control.value.trim() === '') return undefined;
        try { return JSON.parse(control.value); } catch (e) { return { invalidJson: e.message }; }
      };
    }
    return register(path, prop, required, error, control, read,
      el('div', { class: 'schema-field', 'data-field': path },
        el('label', { for: id }, label(name, prop), mark, k === 'list' ? el('span', { class: 'hint', text: ' (one per line)' }) : null),
        help, control, error));
  }

  function register(path, prop, required, error, control, read, node) {
    fields.set(path, { prop, required, error, control, read });
    // a message goes once its field is edited; the next check says whether it still holds
    control.addEventListener('input', () => setError(path, null));
    return node;
  }

  function objectFields(objSchema, base, objValues) {
    const required = new Set(objSchema.required || []);
    return Object.entries(objSchema.properties || {}).map(([name, prop]) =>
      fieldFor(name, prop || {}, base + name, required.has(name), objValues ? objValues[name] : undefined));
  }

  const body = objectFields(schema || {}, '', values || {});
  const node = el('fieldset', { class: 'schema-form' }, legend ? el('legend', { text: legend }) : null, body);
  if (!body.length) node.append(el('p', { class: 'hint', text: 'This playbook takes no input.' }));

  function setError(path, message) {
    const field = fields.get(path);
    if (!field) return false;
    field.error.textContent = message || '';
    field.error.hidden = !message;
    if (message) field.control.setAttribute('aria-invalid', 'true'); else field.control.removeAttribute('aria-invalid');
    return true;
  }

  /** Reads and checks every field: { value, errors } (errors shown next to the fields). */
  function read() {
    const value = {};
    const errors = new Map();
    for (const [path, field] of fields) {
      const v = field.read();
      let problem = v && typeof v === 'object' && !Array.isArray(v) && v.invalidJson ? 'Not valid JSON: ' + v.invalidJson
        : check(field.prop, v, field.required);
      setError(path, problem);
      if (problem) { errors.set(path, problem); continue; }
      if (empty(v) || (v === false && !field.required && field.prop.default === undefined)) continue;
      const keys = path.split('.');
      let at = value;
      for (const key of keys.slice(0, -1)) at = at[key] = at[key] || {};
      at[keys[keys.length - 1]] = v;
    }
    return { value, errors };
  }

  /** Shows errors found elsewhere: a Map from path to message; those without a field are returned. */
  function showErrors(errors) {
    const rest = [];
    for (const [path, message] of errors) if (!setError(path, message)) rest.push(message);
    return rest;
  }

  function focusFirstError() {
    for (const field of fields.values()) if (!field.error.hidden) { field.control.focus(); return; }
  }

  return { node, read, showErrors, focusFirstError, clearErrors: () => { for (const path of fields.keys()) setError(path, null); } };
}

/**
 * The fields an input_invalid error names, from its message ("the input does not fit playbook
 * 'p': input.url: must be a string; input: missing required property 'name'"): a Map from field
 * path ("url", "name") to message, plus the playbook's name.
 */
export function inputErrors(message) {
  const errors = new Map();
  const text = String(message || '');
  const playbook = (text.match(/playbook '([^']+)'/) || [])[1] || null;
  const colon = text.indexOf("': ");
  const list = colon >= 0 ? text.slice(colon + 3) : text;
  for (const part of list.split('; ')) {
    const m = part.match(/^input((?:\.[^\s:[]+|\[\d+\])*)\s*:\s*(.*)$/);
    if (!m) continue;
    let path = m[1].replace(/^\./, '').replace(/\[\d+\]/g, '');
    let msg = m[2];
    const missing = msg.match(/missing required property '([^']+)'/);
    if (missing) { path = path ? path + '.' + missing[1] : missing[1]; msg = 'Required.'; }
    if (path && !errors.has(path)) errors.set(path, msg);
  }
  return { playbook, errors };
}

