// The plan graph: dagre lays it out, cytoscape draws it with the positions given (preset layout).
// dagre lays out the first plan; later plans (a replan, added tasks) keep every node that stays where it
// is and place only the new ones (see reshape), so the picture never jumps.
//
// Readable at 50 tasks and more (issue 16):
// - labels fit their node: the title is wrapped on two lines at most, with an ellipsis, and the node is
//   as wide as its label (measured); the full title shows on hover (a tooltip) and in the task's detail;
// - zoom and pan with the wheel and the mouse, and buttons (zoom in, zoom out, fit); the first view is
//   never zoomed out so far that labels are unreadable: a plan too big for that opens on its first tasks;
// - a layer (tasks at the same depth) of more than LAYER_LIMIT tasks is drawn collapsed, as one node
//   with its counts by status; selecting it expands it into a compound node of its tasks, and back.
import { el } from './dom.js';

// Node colours are the status badges' (baton.css's --status-*-bg/-fg variables), read from the page so
// that the graph follows the colour scheme (light or dark) and meets the same contrast.
const STATUSES = ['PENDING', 'READY', 'RUNNING', 'RETRY_WAIT', 'WAITING_APPROVAL', 'SUCCEEDED', 'FAILED', 'REJECTED', 'SKIPPED', 'CANCELLED'];
const DARK = window.matchMedia ? window.matchMedia('(prefers-color-scheme: dark)') : null;
let colours = null;

/** The scheme's colours: { STATUS: {bg, fg} } and the graph's own (edges, borders, selection, layer boxes). */
function palette() {
  if (colours) return colours;
  const css = getComputedStyle(document.documentElement);
  const read = (name, fallback) => css.getPropertyValue(name).trim() || fallback;
  colours = { status: {}, edge: read('--graph-edge', '#888'), border: read('--graph-border', '#555'), selected: read('--selected-border', '#111'),
    parentBg: read('--surface-2', '#eef1f6'), parentBorder: read('--graph-edge', '#777'), parentText: read('--text', '#333') };
  for (const s of STATUSES) {
    const key = s.toLowerCase();
    colours.status[s] = { bg: read('--status-' + key + '-bg', '#c9ccd1'), fg: read('--status-' + key + '-fg', '#111') };
  }
  return colours;
}
/** A collapsed layer takes the colour of the most pressing status among its tasks. */
const URGENCY = ['FAILED', 'REJECTED', 'WAITING_APPROVAL', 'RETRY_WAIT', 'RUNNING', 'READY', 'PENDING', 'CANCELLED', 'SKIPPED', 'SUCCEEDED'];

/** A layer with more tasks than this is drawn collapsed. */
export const LAYER_LIMIT = 12;

const FONT_SIZE = 11;
const FONT = FONT_SIZE + 'px sans-serif';
const LINE_HEIGHT = 14;
const MIN_WIDTH = 110;
const MAX_TEXT = 200; // px of text on a line; the node adds PADDING
const PADDING = 16;
const NODE_SEP = 24;
const RANK_SEP = 56;
/** The first view's smallest zoom: 11 px text drawn at 9 px or more. */
export const READABLE_ZOOM = 0.82;

let measurer = null;
function textWidth(text) {
  if (!measurer) {
    measurer = document.createElement('canvas').getContext('2d');
    measurer.font = FONT;
  }
  return measurer.measureText(text).width;
}

/** Cuts {@code text} to fit {@code max} px, with an ellipsis when cut. */
function ellipsis(text, max) {
  if (textWidth(text) <= max) return text;
  let lo = 0;
  let hi = text.length;
  while (lo < hi) { // the longest prefix that fits with the ellipsis
    const mid = (lo + hi + 1) >> 1;
    if (textWidth(text.slice(0, mid) + '…') <= max) lo = mid; else hi = mid - 1;
  }
  return text.slice(0, lo).trimEnd() + '…';
}

/** The title on at most two lines of at most MAX_TEXT px, the second cut with an ellipsis. */
export function titleLines(title) {
  const words = String(title).replace(/\s+/g, ' ').trim().split(' ');
  let first = '';
  let i = 0;
  for (; i < words.length; i++) {
    const next = first ? first + ' ' + words[i] : words[i];
    if (textWidth(next) > MAX_TEXT) break;
    first = next;
  }
  if (!first) return [ellipsis(words.join(' '), MAX_TEXT)]; // one very long word
  if (i === words.length) return [first];
  return [first, ellipsis(words.slice(i).join(' '), MAX_TEXT)];
}

function kindOf(task) {
  return task.kind || (task.agent ? 'agent' : task.wait ? 'wait' : 'tool');
}

function taskLines(task) {
  const status = task.status || 'PENDING';
  const lines = titleLines(task.title || task.id);
  lines.push(kindOf(task) + ' · ' + status + (task.attempts ? ' · ×' + task.attempts : ''));
  if (task.fallback) lines.push('fallback · ' + task.fallback.status);
  if (task.compensation) lines.push('undo · ' + task.compensation.status);
  return lines;
}

/** A node's look as data (label, size and colours), not classes: cheap to match for cytoscape. */
function lookOf(lines, status) {
  const width = Math.max(MIN_WIDTH, Math.ceil(Math.max(...lines.map(textWidth))) + PADDING);
  const c = palette().status;
  const { bg, fg } = c[status] || c.PENDING;
  return { label: lines.join('\n'), w: width, h: lines.length * LINE_HEIGHT + 14, bg, fg };
}

function look(task) {
  return lookOf(taskLines(task), task.status || 'PENDING');
}

function layerLook(layer, tasks) {
  const counts = new Map();
  for (const t of tasks) counts.set(t.status || 'PENDING', (counts.get(t.status || 'PENDING') || 0) + 1);
  const urgent = URGENCY.find(s => counts.has(s)) || 'PENDING';
  const byStatus = [...counts].sort((a, b) => URGENCY.indexOf(a[0]) - URGENCY.indexOf(b[0]))
    .map(([s, n]) => n + ' ' + s.toLowerCase().replace('_', ' '));
  const lines = ['Layer ' + (layer + 1) + ' · ' + tasks.length + ' tasks (collapsed)'];
  for (let i = 0; i < byStatus.length; i += 2) lines.push(byStatus.slice(i, i + 2).join(' · '));
  return lookOf(lines, urgent);
}

/** Edges of a big plan are plain lines (haystack: no arrow geometry); the layout reads left to right anyway. */
const MANY = 150;

function edgeOf(source, target, many) {
  return { group: 'edges', data: { id: source + '->' + target, source, target }, classes: many ? 'many' : undefined };
}

function shape(tasks) {
  return tasks.map(t => t.id + '<' + (t.dependsOn || []).join(',')).join('|');
}

/** Each task's depth (0 for a task with no dependency, else one more than its deepest dependency). */
function depths(tasks) {
  const byId = new Map(tasks.map(t => [t.id, t]));
  const depth = new Map();
  const visit = (t, path) => {
    if (depth.has(t.id)) return depth.get(t.id);
    path.add(t.id);
    let d = 0;
    for (const dep of t.dependsOn || []) {
      const parent = byId.get(dep);
      if (parent && !path.has(dep)) d = Math.max(d, visit(parent, path) + 1);
    }
    path.delete(t.id);
    depth.set(t.id, d);
    return d;
  };
  for (const t of tasks) visit(t, new Set());
  return depth;
}

const layerId = (layer) => 'layer:' + layer;

export class PlanGraph {
  /**
   * @param container the element cytoscape draws in
   * @param onSelect called with a task's id when its node is selected
   * @param options {collapse: false} never collapses layers (the plan-approval preview shows every task)
   */
  constructor(container, onSelect, options) {
    this.container = container;
    this.collapse = !options || options.collapse !== false;
    this.shape = null;
    this.tasks = [];
    this.layers = new Map(); // layer id -> task ids, for the layers big enough to collapse
    this.layerOf = new Map(); // task id -> layer id, for those tasks
    this.expanded = new Set(); // layer ids a person expanded
    this.size = null; // the laid-out graph's width and height (dagre's), for the first view
    const style = () => [
      { selector: 'node', style: {
        'shape': 'round-rectangle', 'label': 'data(label)', 'text-wrap': 'wrap', 'font-family': 'sans-serif',
        'font-size': FONT_SIZE, 'text-valign': 'center', 'text-halign': 'center',
        'background-color': 'data(bg)', 'border-width': 1, 'border-color': palette().border, 'color': 'data(fg)',
        // Zoomed out on a big plan the labels would be unreadable specks: skip drawing them.
        'min-zoomed-font-size': 7 } },
      { selector: 'node[w]', style: { 'width': 'data(w)', 'height': 'data(h)' } },
      { selector: 'node.layer', style: { 'border-width': 2, 'border-style': 'double', 'border-color': palette().selected } },
      { selector: ':parent', style: { 'background-color': palette().parentBg, 'background-opacity': 0.6, 'border-style': 'dashed',
        'border-color': palette().parentBorder, 'text-valign': 'top', 'text-halign': 'center', 'color': palette().parentText, 'padding': 12 } },
      { selector: 'node:selected', style: { 'border-width': 3, 'border-color': palette().selected } },
      { selector: 'edge', style: { 'width': 1.5, 'line-color': palette().edge, 'target-arrow-color': palette().edge,
        'target-arrow-shape': 'triangle', 'curve-style': 'straight' } }, // at most one edge per pair: nothing to bundle
      { selector: 'edge.many', style: { 'curve-style': 'haystack', 'haystack-radius': 0, 'target-arrow-shape': 'none' } }
    ];
    this.cy = window.cytoscape({ container, style: style(), layout: { name: 'preset' }, wheelSensitivity: 0.3,
      minZoom: 0.05, maxZoom: 3, boxSelectionEnabled: false, autounselectify: false,
      // big plans: draw a snapshot while panning and zooming instead of every element
      textureOnViewport: true, hideEdgesOnViewport: true });
    this.cy.on('tap', 'node', e => {
      const id = e.target.id();
      if (this.layers.has(id)) this.toggleLayer(id);
      else onSelect(id);
    });
    // The full title on hover: a tooltip over the canvas, its text set as text.
    this.tip = el('div', { class: 'graph-tip', role: 'tooltip', hidden: true });
    this.cy.on('mouseover', 'node', e => this.showTip(e.target));
    this.cy.on('mouseout', 'node', () => { this.tip.hidden = true; });
    this.cy.on('viewport', () => { this.tip.hidden = true; });
    this.layerButton = el('button', { type: 'button', class: 'graph-layers', hidden: true, onclick: () => this.toggleAll() });
    this.controls = el('div', { class: 'graph-controls', role: 'toolbar', 'aria-label': 'Graph view' },
      el('button', { type: 'button', 'aria-label': 'Zoom in', title: 'Zoom in', text: '+', onclick: () => this.zoomBy(1.25) }),
      el('button', { type: 'button', 'aria-label': 'Zoom out', title: 'Zoom out', text: '−', onclick: () => this.zoomBy(0.8) }),
      el('button', { type: 'button', text: 'Fit', title: 'Show the whole plan', onclick: () => this.fit() }),
      this.layerButton);
    // The colour scheme changed (the system went dark): new colours for the style and every node.
    this.onScheme = () => {
      colours = null;
      this.cy.style(style());
      this.restyle(this.tasks, true);
    };
    if (DARK) DARK.addEventListener('change', this.onScheme);
  }

  update(tasks) {
    this.tasks = tasks;
    const next = shape(tasks);
    if (next === this.shape) {
      this.restyle(tasks);
      return;
    }
    this.shape = next;
    const hadLayers = this.layers.size > 0;
    this.findLayers(tasks);
    // A plan with collapsible layers is laid out again when its shape changes; a small one keeps its nodes' places.
    if (this.cy.nodes().empty() || hadLayers || this.layers.size) this.layoutAll(true);
    else this.reshape(tasks);
  }

  findLayers(tasks) {
    this.layers = new Map();
    this.layerOf = new Map();
    if (!this.collapse) return;
    const byLayer = new Map();
    for (const [id, d] of depths(tasks)) {
      if (!byLayer.has(d)) byLayer.set(d, []);
      byLayer.get(d).push(id);
    }
    for (const [d, ids] of byLayer) {
      if (ids.length <= LAYER_LIMIT) continue;
      this.layers.set(layerId(d), { depth: d, ids });
      for (const id of ids) this.layerOf.set(id, layerId(d));
    }
    for (const id of [...this.expanded]) if (!this.layers.has(id)) this.expanded.delete(id);
    this.layerButton.hidden = !this.layers.size;
    this.layerButton.textContent = this.expanded.size === this.layers.size ? 'Collapse layers' : 'Expand layers';
  }

  /** What stands for a task in the drawing: itself, or its collapsed layer. */
  unitOf(id) {
    const layer = this.layerOf.get(id);
    return layer && !this.expanded.has(layer) ? layer : id;
  }

  /** One dagre pass over what is drawn (tasks, collapsed layers, expanded layers as compounds), then one batch. */
  layoutAll(firstView) {
    const tasks = this.tasks;
    const compound = this.expanded.size > 0;
    const g = new window.dagre.graphlib.Graph({ compound });
    g.setGraph({ rankdir: 'LR', nodesep: NODE_SEP, ranksep: RANK_SEP, marginx: 10, marginy: 10,
      ranker: 'tight-tree' }); // network-simplex (the default) takes twice as long on 500 tasks
    g.setDefaultEdgeLabel(() => ({}));
    const ids = new Set(tasks.map(t => t.id));
    const byId = new Map(tasks.map(t => [t.id, t]));
    const elements = [];
    const looks = new Map();
    for (const [id, layer] of this.layers) {
      const members = layer.ids.map(m => byId.get(m));
      if (this.expanded.has(id)) {
        g.setNode(id, {});
        elements.push({ group: 'nodes', data: { id, label: 'Layer ' + (layer.depth + 1) + ' · ' + layer.ids.length + ' tasks (select here to collapse)' } });
      } else {
        const l = layerLook(layer.depth, members);
        looks.set(id, l);
        g.setNode(id, { width: l.w, height: l.h });
      }
    }
    for (const t of tasks) {
      if (this.unitOf(t.id) !== t.id) continue;
      const l = look(t);
      looks.set(t.id, l);
      g.setNode(t.id, { width: l.w, height: l.h });
      if (compound && this.layerOf.has(t.id)) g.setParent(t.id, this.layerOf.get(t.id));
    }
    const edges = new Map();
    for (const t of tasks) {
      for (const d of t.dependsOn || []) {
        if (!ids.has(d)) continue;
        const source = this.unitOf(d);
        const target = this.unitOf(t.id);
        if (source !== target) edges.set(source + '->' + target, [source, target]);
      }
    }
    for (const [source, target] of edges.values()) g.setEdge(source, target);
    window.dagre.layout(g);
    for (const [id, l] of looks) {
      const data = Object.assign({ id }, l);
      if (compound && this.layerOf.has(id)) data.parent = this.layerOf.get(id);
      const node = g.node(id);
      elements.push({ group: 'nodes', data, position: { x: node.x, y: node.y }, classes: this.layers.has(id) ? 'layer' : undefined });
    }
    const many = edges.size > MANY;
    for (const [source, target] of edges.values()) elements.push(edgeOf(source, target, many));
    const selected = this.cy.$('node:selected').map(n => n.id());
    this.cy.batch(() => {
      this.cy.elements().remove();
      this.cy.add(elements);
    });
    for (const id of selected) this.cy.getElementById(id).select();
    const { width, height } = g.graph();
    this.size = { width, height };
    if (firstView) this.firstView();
  }

  /**
   * The whole plan if it fits at a readable zoom; otherwise a readable zoom on its first tasks (the
   * left, where a plan starts). Measured from dagre's size: cy.fit() would first measure every label.
   */
  firstView() {
    const { width, height } = this.size;
    const pad = 20;
    const cy = this.cy;
    const fit = Math.min(cy.width() / (width + 2 * pad), cy.height() / (height + 2 * pad), 1.5) || 1;
    const zoom = Math.max(fit, READABLE_ZOOM);
    const x = fit >= READABLE_ZOOM || width * zoom <= cy.width() ? (cy.width() - width * zoom) / 2 : pad;
    const y = fit >= READABLE_ZOOM || height * zoom <= cy.height() ? (cy.height() - height * zoom) / 2 : pad;
    cy.viewport({ zoom, pan: { x, y } });
  }

  zoomBy(factor) {
    const cy = this.cy;
    cy.zoom({ level: Math.min(cy.maxZoom(), Math.max(cy.minZoom(), cy.zoom() * factor)),
      renderedPosition: { x: cy.width() / 2, y: cy.height() / 2 } });
  }

  fit() {
    this.cy.fit(undefined, 20);
  }

  toggleLayer(id) {
    if (this.expanded.has(id)) this.expanded.delete(id); else this.expanded.add(id);
    this.findLayers(this.tasks);
    this.layoutAll(false);
    const node = this.cy.getElementById(id);
    if (node.nonempty()) this.cy.animate({ center: { eles: node } }, { duration: 200 });
  }

  toggleAll() {
    if (this.expanded.size === this.layers.size) this.expanded.clear();
    else for (const id of this.layers.keys()) this.expanded.add(id);
    this.findLayers(this.tasks);
    this.layoutAll(false);
    this.fit();
  }

  showTip(node) {
    const id = node.id();
    const layer = this.layers.get(id);
    let text;
    if (layer) {
      text = node.data('label').split('\n').slice(1).join(', ') + (this.expanded.has(id) ? '' : ' — select to expand');
      text = 'Layer ' + (layer.depth + 1) + ': ' + layer.ids.length + ' tasks, ' + text;
    } else {
      const task = this.tasks.find(t => t.id === id); // one lookup per hover
      if (!task) return;
      text = (task.title || task.id) + ' (' + task.id + ') · ' + (task.status || 'PENDING');
    }
    this.tip.textContent = text;
    const p = node.renderedPosition();
    this.tip.style.left = Math.round(this.container.offsetLeft + p.x) + 'px'; // CSSOM, which the CSP allows
    this.tip.style.top = Math.round(this.container.offsetTop + p.y + node.renderedOuterHeight() / 2 + 4) + 'px';
    this.tip.hidden = false;
  }

  /**
   * A later plan (tasks added, or a replan replacing the unfinished part): the nodes that stay
   * keep their positions, the ones gone are removed, and each new one goes one rank to the right
   * of its rightmost dependency (or into the first rank), in the first free slot near its
   * dependencies' height, so that nothing already drawn moves.
   */
  reshape(tasks) {
    const ids = new Set(tasks.map(t => t.id));
    const cy = this.cy;
    const looks = new Map(tasks.map(t => [t.id, look(t)]));
    const placed = new Map(); // id -> {x, y, w, h}, for the nodes that stay and those placed here
    cy.nodes().forEach(n => { if (ids.has(n.id())) placed.set(n.id(), Object.assign({ w: n.data('w'), h: n.data('h') }, n.position())); });
    let left = Infinity;
    let bottom = -Infinity;
    for (const p of placed.values()) { left = Math.min(left, p.x - p.w / 2); bottom = Math.max(bottom, p.y + p.h / 2); }
    if (!placed.size) { left = 10; bottom = 0; }
    const taken = (x, y, w, h) => {
      for (const p of placed.values()) if (Math.abs(p.x - x) < (p.w + w) / 2 && Math.abs(p.y - y) < (p.h + h) / 2 + NODE_SEP / 2) return true;
      return false;
    };
    const byId = new Map(tasks.map(t => [t.id, t]));
    const added = [];
    const place = (t, path) => {
      if (placed.has(t.id)) return placed.get(t.id);
      path.add(t.id);
      const deps = (t.dependsOn || []).filter(d => byId.has(d) && !path.has(d)).map(d => place(byId.get(d), path));
      const { w, h } = looks.get(t.id);
      let x = left + w / 2;
      let y = bottom + h / 2 + NODE_SEP;
      if (deps.length) {
        x = Math.max(...deps.map(p => p.x + p.w / 2)) + RANK_SEP + w / 2;
        y = deps.reduce((sum, p) => sum + p.y, 0) / deps.length;
      }
      // search outwards from the wanted height: y, y + step, y - step, y + 2 step, ...
      const step = h + NODE_SEP;
      let slot = y;
      for (let i = 1; taken(x, slot, w, h); i++) slot = y + (i % 2 ? 1 : -1) * Math.ceil(i / 2) * step;
      const position = { x, y: slot, w, h };
      placed.set(t.id, position);
      added.push(t);
      return position;
    };
    for (const t of tasks) place(t, new Set());

    const edges = new Map(); // id -> [source, target]
    for (const t of tasks) for (const d of t.dependsOn || []) if (ids.has(d)) edges.set(d + '->' + t.id, [d, t.id]);
    cy.batch(() => {
      cy.elements().filter(e => e.isNode() ? !ids.has(e.id()) : !edges.has(e.id())).remove();
      const elements = added.map(t => ({ group: 'nodes', data: Object.assign({ id: t.id }, looks.get(t.id)),
        position: { x: placed.get(t.id).x, y: placed.get(t.id).y } }));
      for (const [id, [source, target]] of edges) if (cy.getElementById(id).empty()) elements.push(edgeOf(source, target, tasks.length > MANY));
      cy.add(elements);
    });
    this.restyle(tasks);
    // Bring new nodes into view without rearranging anything.
    const box = cy.extent();
    const outside = added.some(t => {
      const p = placed.get(t.id);
      return p.x < box.x1 || p.x > box.x2 || p.y < box.y1 || p.y > box.y2;
    });
    if (outside) cy.animate({ fit: { eles: cy.elements(), padding: 20 } }, { duration: 250 });
  }

  /** Labels, sizes and status colours of the nodes (and collapsed layers) that changed (all of them after a change of scheme). */
  restyle(tasks, all) {
    const byId = new Map(tasks.map(t => [t.id, t]));
    this.cy.batch(() => {
      for (const t of tasks) {
        if (this.unitOf(t.id) !== t.id) continue;
        const node = this.cy.getElementById(t.id);
        const next = look(t);
        if (all || node.data('label') !== next.label || node.data('bg') !== next.bg) node.data(next);
      }
      for (const [id, layer] of this.layers) {
        if (this.expanded.has(id)) continue;
        const node = this.cy.getElementById(id);
        const next = layerLook(layer.depth, layer.ids.map(m => byId.get(m)));
        if (all || node.data('label') !== next.label || node.data('bg') !== next.bg) node.data(next);
      }
    });
  }

  /** Where a task's node is, for tests: {x, y} or null (also when its layer is collapsed). */
  position(id) {
    const node = this.cy.getElementById(id);
    return node.empty() ? null : Object.assign({}, node.position());
  }

  /** Selects a task's node; a task in a collapsed layer expands its layer first, so that it shows. */
  select(id) {
    this.cy.nodes().unselect();
    const changed = id !== this.selectedId;
    this.selectedId = id;
    if (!id) return;
    const layer = this.layerOf.get(id);
    if (changed && layer && !this.expanded.has(layer)) {
      this.expanded.add(layer);
      this.findLayers(this.tasks);
      this.layoutAll(false);
    }
    this.cy.getElementById(id).select();
  }

  destroy() {
    if (DARK) DARK.removeEventListener('change', this.onScheme);
    this.cy.destroy();
  }
}
