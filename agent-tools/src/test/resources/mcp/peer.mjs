// A tiny MCP server on the official TypeScript SDK (its low-level Server), for what the
// reference 'everything' server does not offer: a tool without annotations, a destructive one,
// and a tool list that changes on request (the 'everything' server announces list_changed only
// while it initialises, before a client's first tools/list can see a difference).
// Run: node peer.mjs <folder holding node_modules/@modelcontextprotocol/sdk> [--http <port>]
// (stdio unless --http; over HTTP, the SDK's streamable HTTP transport, one per session).
import { pathToFileURL } from "node:url";
import path from "node:path";
import http from "node:http";
import { randomUUID } from "node:crypto";

const sdk = path.join(process.argv[2], "node_modules", "@modelcontextprotocol", "sdk", "dist", "esm");
const load = (file) => import(pathToFileURL(path.join(sdk, file)).href);
const { Server } = await load("server/index.js");
const { ListToolsRequestSchema, CallToolRequestSchema } = await load("types.js");

const noteSchema = { type: "object", properties: { note: { type: "string" } }, required: ["note"] };
const tools = [
  // no annotations at all: MCP's defaults say it may destroy
  { name: "plain", description: "Says the note back, with the _meta it was sent", inputSchema: noteSchema },
  { name: "wipe", description: "Pretends to delete everything", inputSchema: { type: "object", properties: {} },
    annotations: { readOnlyHint: false, destructiveHint: true } },
  { name: "grow", description: "Adds a tool named extra-<n> and announces the new list",
    inputSchema: { type: "object", properties: {} }, annotations: { readOnlyHint: false, destructiveHint: false } },
];
// A console test sets PEER_HOSTILE: a tool whose description is markup, which the page must show as text.
if (process.env.PEER_HOSTILE) {
  tools.push({ name: "odd", description: process.env.PEER_HOSTILE, inputSchema: { type: "object", properties: {} },
               annotations: { readOnlyHint: true } });
}
let extras = 0;

function newServer() {
  const server = new Server({ name: "baton-test-peer", version: "1.0.0" }, { capabilities: { tools: { listChanged: true } } });
  server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools }));
  server.setRequestHandler(CallToolRequestSchema, async (request) => {
    const { name, arguments: args } = request.params;
    if (name === "plain") {
      return { content: [{ type: "text", text: `plain: ${args?.note}` }],
               structuredContent: { note: args?.note, meta: request.params._meta ?? null } };
    }
    if (name === "wipe") return { content: [{ type: "text", text: "wiped" }] };
    if (name === "grow") {
      extras += 1;
      tools.push({ name: `extra-${extras}`, description: "Added by grow", inputSchema: { type: "object", properties: {} },
                   annotations: { readOnlyHint: true } });
      await server.sendToolListChanged();
      return { content: [{ type: "text", text: `extra-${extras}` }] };
    }
    if (name.startsWith("extra-")) return { content: [{ type: "text", text: name }] };
    return { content: [{ type: "text", text: `unknown tool ${name}` }], isError: true };
  });
  return server;
}

const httpAt = process.argv.indexOf("--http");
if (httpAt < 0) {
  const { StdioServerTransport } = await load("server/stdio.js");
  await newServer().connect(new StdioServerTransport());
} else {
  const { StreamableHTTPServerTransport } = await load("server/streamableHttp.js");
  const sessions = new Map();
  http.createServer(async (req, res) => {
    const id = req.headers["mcp-session-id"];
    let transport = id ? sessions.get(id) : undefined;
    if (!transport) {
      if (id) { res.writeHead(404).end(); return; }
      transport = new StreamableHTTPServerTransport({ sessionIdGenerator: () => randomUUID(),
                                                      onsessioninitialized: (sid) => sessions.set(sid, transport) });
      await newServer().connect(transport);
    }
    await transport.handleRequest(req, res);
  }).listen(Number(process.argv[httpAt + 1]), "127.0.0.1", () => console.error("listening"));
}
