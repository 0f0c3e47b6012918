// The plan graph: dagre lays it out, cytoscape draws it with the positions given (preset layout).
// The layout is recomputed only when the set of tasks or edges changes, so it stays put as statuses change.
const COLOURS = {
  PENDING: '#c9ccd1', READY: '#9ec5fe', RUNNING: '#3d8bfd', RETRY_WAIT: '#ffc107', WAITING_APPROVAL: '#fd7e14',
  SUCCEEDED: '#2fa35a', FAILED: '#dc3545', REJECTED: '#a52834', SKIPPED: '#8c959f', CANCELLED: '#6c757d'
};

function label(task) {
  const attempts = task.attempts ? ' · ×' + task.attempts : '';
  const undo = task.compensation ? '\nundo · ' + task.compensation.status : '';
  const fallback = task.fallback ? '\nfallback · ' + task.fallback.status : '';
  return (task.title || task.id) + '\n' + task.kind + ' · ' + task.status + attempts + fallback + undo;
}

function shape(tasks) {
  return tasks.map(t => t.id + '<' + (t.dependsOn || []).join(',')).join('|');
}

export class PlanGraph {
  constructor(container, onSelect) {
    this.container = container;
    this.shape = null;
    const style = [
      { selector: 'node', style: {
        'shape': 'round-rectangle', 'width': 180, 'height': 54, 'label': 'data(label)', 'text-wrap': 'wrap',
        'text-max-width': 170, 'font-size': 11, 'text-valign': 'center', 'text-halign': 'center',
        'background-color': COLOURS.PENDING, 'border-width': 1, 'border-color': '#555', 'color': '#111' } },
      { selector: 'node:selected', style: { 'border-width': 3, 'border-color': '#111' } },
      { selector: 'edge', style: { 'width': 1.5, 'line-color': '#888', 'target-arrow-color': '#888',
        'target-arrow-shape': 'triangle', 'curve-style': 'bezier' } }
    ];
    for (const [status, colour] of Object.entries(COLOURS)) {
      style.push({ selector: 'node.status-' + status.toLowerCase(), style: { 'background-color': colour } });
    }
    style.push({ selector: 'node.status-running, node.status-succeeded, node.status-failed, node.status-rejected',
      style: { 'color': '#fff' } });
    this.cy = window.cytoscape({ container, style, layout: { name: 'preset' }, wheelSensitivity: 0.3,
      boxSelectionEnabled: false, autounselectify: false });
    this.cy.on('tap', 'node', e => onSelect(e.target.id()));
  }

  update(tasks) {
    const next = shape(tasks);
    if (next !== this.shape) {
      this.shape = next;
      const g = new window.dagre.graphlib.Graph();
      g.setGraph({ rankdir: 'LR', nodesep: 24, ranksep: 56, marginx: 10, marginy: 10,
        ranker: 'tight-tree' }); // network-simplex (the default) takes twice as long on 500 tasks
      g.setDefaultEdgeLabel(() => ({}));
      const ids = new Set(tasks.map(t => t.id));
      for (const t of tasks) g.setNode(t.id, { width: 180, height: 54 });
      for (const t of tasks) for (const d of t.dependsOn || []) if (ids.has(d)) g.setEdge(d, t.id);
      window.dagre.layout(g);
      this.cy.startBatch();
      this.cy.elements().remove();
      this.cy.add(tasks.map(t => ({ group: 'nodes', data: { id: t.id, label: label(t) },
        position: { x: g.node(t.id).x, y: g.node(t.id).y }, classes: 'status-' + t.status.toLowerCase() })));
      const edges = [];
      for (const t of tasks) for (const d of t.dependsOn || []) if (ids.has(d)) {
        edges.push({ group: 'edges', data: { id: d + '->' + t.id, source: d, target: t.id } });
      }
      this.cy.add(edges);
      this.cy.endBatch();
      this.cy.fit(undefined, 20);
    } else {
      this.cy.batch(() => {
        for (const t of tasks) {
          const node = this.cy.getElementById(t.id);
          const text = label(t);
          if (node.data('label') !== text) node.data('label', text);
          const cls = 'status-' + t.status.toLowerCase();
          if (!node.hasClass(cls)) node.classes(cls);
        }
      });
    }
  }

  select(id) {
    this.cy.nodes().unselect();
    if (id) this.cy.getElementById(id).select();
  }

  destroy() {
    this.cy.destroy();
  }
}
