// The /tools view: every tool a plan or an agent may call (GET /api/tools), grouped by where it
// came from, and the MCP servers that lend theirs (GET /api/mcp/servers) with their connection state.
// Names, descriptions and schemas come from tool authors and from MCP servers nobody here wrote:
// they go into the page as text only (dom.js).
import { get } from './api.js';
import { el, clear, age, json } from './dom.js';

// Polled: an MCP server may drop, come back or change its tools (tools/list_changed) at any time.
const POLL_MS = 3000;

/** What a source is called on the page; MCP sources are named by their server. */
function sourceTitle(source) {
  if (source.startsWith('mcp:')) return 'MCP server ' + source.slice(4);
  return {
    builtin: 'Built in', annotated: 'Annotated Java methods', code: 'Java code',
    'service-loader': 'Tool jars (ServiceLoader)', triage: 'Ticket triage',
  }[source] || source;
}

/** Renders the view into ctx.view. ctx: { view, failed(error), onDispose(fn) } from app.js. */
export async function toolsView(ctx) {
  const { view, failed } = ctx;
  let gone = false;
  let timer = 0;
  ctx.onDispose(() => {
    gone = true;
    clearInterval(timer);
  });
  const count = el('span', { class: 'count' });
  const body = el('div', { id: 'tool-list' });
  view.append(el('section', { class: 'card' },
    el('h1', {}, 'Tools ', count),
    el('p', { class: 'hint', text: 'What plans and agents may call, by source. A tool marked “approval” waits for a person at every call;'
      + ' a plan cannot lift that. MCP servers are configured with BATON_MCP_SERVERS. Updated every 3 s.' }),
    body));

  let shown = '';
  const refresh = async () => {
    const [tools, servers] = await Promise.all([get('/api/tools'), mcpServers()]);
    if (gone) return;
    const key = JSON.stringify([tools, servers.map(s => [s.name, s.state, s.tools, s.error])]);
    if (key === shown) return; // nothing changed: keep open details and the scroll position
    shown = key;
    count.textContent = '(' + tools.length + ')';
    clear(body).append(...render(tools, servers));
  };
  await refresh();
  timer = setInterval(() => refresh().catch(failed), POLL_MS);
}

/** The MCP servers' states, or none when the server has no MCP client (an older server answers 404). */
async function mcpServers() {
  try {
    return await get('/api/mcp/servers');
  } catch (e) {
    if (e && e.status === 404) return [];
    throw e;
  }
}

function render(tools, servers) {
  const bySource = new Map();
  for (const server of servers) bySource.set('mcp:' + server.name, []); // a server with no tools (yet) shows too
  for (const tool of tools) {
    if (!bySource.has(tool.source)) bySource.set(tool.source, []);
    bySource.get(tool.source).push(tool);
  }
  const order = [...bySource.keys()].sort((a, b) => (a.startsWith('mcp:') - b.startsWith('mcp:')) || a.localeCompare(b));
  return order.map(source => {
    const server = servers.find(s => 'mcp:' + s.name === source);
    const list = bySource.get(source);
    return el('section', { class: 'tool-source', 'data-source': source },
      el('h2', {}, sourceTitle(source), ' ', el('span', { class: 'count', text: '(' + list.length + ')' })),
      server ? serverLine(server) : null,
      list.length ? toolTable(list) : el('p', { class: 'empty', text: 'No tools from this source right now.' }));
  });
}

function serverLine(server) {
  const state = el('span', { class: 'badge mcp-' + server.state, text: server.state });
  return el('p', { class: 'meta mcp-server', 'data-state': server.state },
    state, ' ', server.transport === 'stdio' ? 'stdio' : 'streamable HTTP',
    server.since ? ' · since ' + age(server.since) : '',
    server.error ? el('span', { class: 'error', text: ' · ' + server.error }) : null);
}

function toolTable(tools) {
  return el('table', { class: 'runs tools' },
    el('thead', {}, el('tr', {}, ['Tool', 'What it does', 'Flags', 'Arguments'].map(h => el('th', { scope: 'col', text: h })))),
    el('tbody', {}, tools.map(t => el('tr', { 'data-tool': t.name },
      el('td', { class: 'name' }, el('code', { text: t.name })),
      el('td', { class: 'description', text: t.description || '' }),
      el('td', { class: 'flags' },
        t.requiresApproval ? el('span', { class: 'badge flag-approval', text: 'approval' }) : null, ' ',
        t.idempotent ? el('span', { class: 'badge flag-idempotent', text: 'idempotent' }) : null),
      el('td', { class: 'schema' }, el('details', {}, el('summary', { text: argumentNames(t.parameters) }),
        el('pre', { class: 'json', text: json(t.parameters) })))))));
}

function argumentNames(schema) {
  const names = Object.keys((schema && schema.properties) || {});
  const required = new Set((schema && schema.required) || []);
  return names.length ? names.map(n => required.has(n) ? n : n + '?').join(', ') : 'none';
}
