// The plan graph: dagre lays it out, cytoscape draws it with the positions given (preset layout).
// dagre lays out the first plan; later plans (a replan, added tasks) keep every node that stays where it
// is and place only the new ones (see reshape), so the picture never jumps.
// Node colours are the status badges' (baton.css's --status-*-bg/-fg variables), read from the page so
// that the graph follows the colour scheme (light or dark) and meets the same contrast.
const STATUSES = ['PENDING', 'READY', 'RUNNING', 'RETRY_WAIT', 'WAITING_APPROVAL', 'SUCCEEDED', 'FAILED', 'REJECTED', 'SKIPPED', 'CANCELLED'];
const DARK = window.matchMedia ? window.matchMedia('(prefers-color-scheme: dark)') : null;
let colours = null;

/** The scheme's colours: { STATUS: {bg, fg} } and the graph's own (edges, borders, selection). */
function palette() {
  if (colours) return colours;
  const css = getComputedStyle(document.documentElement);
  const read = (name, fallback) => css.getPropertyValue(name).trim() || fallback;
  colours = { status: {}, edge: read('--graph-edge', '#888'), border: read('--graph-border', '#555'), selected: read('--selected-border', '#111') };
  for (const s of STATUSES) {
    const key = s.toLowerCase();
    colours.status[s] = { bg: read('--status-' + key + '-bg', '#c9ccd1'), fg: read('--status-' + key + '-fg', '#111') };
  }
  return colours;
}

function label(task) {
  const attempts = task.attempts ? ' · ×' + task.attempts : '';
  const undo = task.compensation ? '\nundo · ' + task.compensation.status : '';
  const fallback = task.fallback ? '\nfallback · ' + task.fallback.status : '';
  return (task.title || task.id) + '\n' + task.kind + ' · ' + task.status + attempts + fallback + undo;
}

const WIDTH = 180;
const HEIGHT = 54;
const NODE_SEP = 24;
const RANK_SEP = 56;

/**
 * A node's look as data (label and colours), not classes: cytoscape then matches three selectors
 * per element instead of a dozen, which is most of the cost of drawing a 500-task plan.
 */
function look(task) {
  const c = palette().status;
  const { bg, fg } = c[task.status] || c.PENDING;
  return { label: label(task), bg, fg };
}

function nodeOf(task, position) {
  return { group: 'nodes', data: Object.assign({ id: task.id }, look(task)), position };
}

/** Edges of a big plan are plain lines (haystack: no arrow geometry); the layout reads left to right anyway. */
const MANY = 150;

function edgeOf(source, target, many) {
  return { group: 'edges', data: { id: source + '->' + target, source, target }, classes: many ? 'many' : undefined };
}

function shape(tasks) {
  return tasks.map(t => t.id + '<' + (t.dependsOn || []).join(',')).join('|');
}

export class PlanGraph {
  constructor(container, onSelect) {
    this.container = container;
    this.shape = null;
    this.tasks = [];
    const style = () => [
      { selector: 'node', style: {
        'shape': 'round-rectangle', 'width': 180, 'height': 54, 'label': 'data(label)', 'text-wrap': 'wrap',
        'text-max-width': 170, 'font-size': 11, 'text-valign': 'center', 'text-halign': 'center',
        'background-color': 'data(bg)', 'border-width': 1, 'border-color': palette().border, 'color': 'data(fg)',
        // Zoomed out on a big plan the labels would be unreadable specks: skip drawing them.
        'min-zoomed-font-size': 7 } },
      { selector: 'node:selected', style: { 'border-width': 3, 'border-color': palette().selected } },
      { selector: 'edge', style: { 'width': 1.5, 'line-color': palette().edge, 'target-arrow-color': palette().edge,
        'target-arrow-shape': 'triangle', 'curve-style': 'straight' } }, // at most one edge per pair: nothing to bundle
      { selector: 'edge.many', style: { 'curve-style': 'haystack', 'haystack-radius': 0, 'target-arrow-shape': 'none' } }
    ];
    this.cy = window.cytoscape({ container, style: style(), layout: { name: 'preset' }, wheelSensitivity: 0.3,
      boxSelectionEnabled: false, autounselectify: false,
      // big plans: draw a snapshot while panning and zooming instead of every element
      textureOnViewport: true, hideEdgesOnViewport: true });
    this.cy.on('tap', 'node', e => onSelect(e.target.id()));
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
    if (this.cy.nodes().empty()) this.layoutAll(tasks);
    else this.reshape(tasks);
  }

  /** The first plan: one dagre pass, then every element added in one batch. */
  layoutAll(tasks) {
    const g = new window.dagre.graphlib.Graph();
    g.setGraph({ rankdir: 'LR', nodesep: NODE_SEP, ranksep: RANK_SEP, marginx: 10, marginy: 10,
      ranker: 'tight-tree' }); // network-simplex (the default) takes twice as long on 500 tasks
    g.setDefaultEdgeLabel(() => ({}));
    const ids = new Set(tasks.map(t => t.id));
    for (const t of tasks) g.setNode(t.id, { width: WIDTH, height: HEIGHT });
    for (const t of tasks) for (const d of t.dependsOn || []) if (ids.has(d)) g.setEdge(d, t.id);
    window.dagre.layout(g);
    const elements = tasks.map(t => nodeOf(t, { x: g.node(t.id).x, y: g.node(t.id).y }));
    const many = tasks.length > MANY;
    for (const t of tasks) for (const d of t.dependsOn || []) if (ids.has(d)) elements.push(edgeOf(d, t.id, many));
    this.cy.batch(() => this.cy.add(elements));
    // Fit from dagre's own size: cy.fit() would first measure every element's label.
    const { width, height } = g.graph();
    const pad = 20;
    const zoom = Math.min(this.cy.width() / (width + 2 * pad), this.cy.height() / (height + 2 * pad), 1.5) || 1;
    this.cy.viewport({ zoom, pan: { x: (this.cy.width() - width * zoom) / 2, y: (this.cy.height() - height * zoom) / 2 } });
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
    const placed = new Map(); // id -> position, for the nodes that stay and those placed here
    cy.nodes().forEach(n => { if (ids.has(n.id())) placed.set(n.id(), Object.assign({}, n.position())); });
    let left = Infinity;
    let bottom = -Infinity;
    for (const p of placed.values()) { left = Math.min(left, p.x); bottom = Math.max(bottom, p.y); }
    if (!placed.size) { left = WIDTH / 2 + 10; bottom = 0; }
    const taken = (x, y) => {
      for (const p of placed.values()) if (Math.abs(p.x - x) < WIDTH && Math.abs(p.y - y) < HEIGHT + NODE_SEP / 2) return true;
      return false;
    };
    const byId = new Map(tasks.map(t => [t.id, t]));
    const added = [];
    const place = (t, path) => {
      if (placed.has(t.id)) return placed.get(t.id);
      path.add(t.id);
      const deps = (t.dependsOn || []).filter(d => byId.has(d) && !path.has(d)).map(d => place(byId.get(d), path));
      let x = left;
      let y = bottom + HEIGHT + NODE_SEP;
      if (deps.length) {
        x = Math.max(...deps.map(p => p.x)) + WIDTH + RANK_SEP;
        y = deps.reduce((sum, p) => sum + p.y, 0) / deps.length;
      }
      // search outwards from the wanted height: y, y + step, y - step, y + 2 step, ...
      const step = HEIGHT + NODE_SEP;
      let slot = y;
      for (let i = 1; taken(x, slot); i++) slot = y + (i % 2 ? 1 : -1) * Math.ceil(i / 2) * step;
      const position = { x, y: slot };
      placed.set(t.id, position);
      added.push(t);
      return position;
    };
    for (const t of tasks) place(t, new Set());

    const edges = new Map(); // id -> [source, target]
    for (const t of tasks) for (const d of t.dependsOn || []) if (ids.has(d)) edges.set(d + '->' + t.id, [d, t.id]);
    cy.batch(() => {
      cy.elements().filter(e => e.isNode() ? !ids.has(e.id()) : !edges.has(e.id())).remove();
      const elements = added.map(t => nodeOf(t, placed.get(t.id)));
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

  /** Labels and status colours of the nodes that changed (all of them after a change of scheme). */
  restyle(tasks, all) {
    this.cy.batch(() => {
      for (const t of tasks) {
        const node = this.cy.getElementById(t.id);
        const next = look(t);
        if (all || node.data('label') !== next.label || node.data('bg') !== next.bg) node.data(next);
      }
    });
  }

  /** Where a task's node is, for tests: {x, y} or null. */
  position(id) {
    const node = this.cy.getElementById(id);
    return node.empty() ? null : Object.assign({}, node.position());
  }

  select(id) {
    this.cy.nodes().unselect();
    if (id) this.cy.getElementById(id).select();
  }

  destroy() {
    if (DARK) DARK.removeEventListener('change', this.onScheme);
    this.cy.destroy();
  }
}
