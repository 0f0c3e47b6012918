// A tiny MCP server on the official TypeScript SDK (its low-level Server, stdio), for what the
// reference 'everything' server does not offer: a tool without annotations, a destructive one,
// and a tool list that changes on request (the 'everything' server announces list_changed only
// while it initialises, before a client's first tools/list can see a difference).
// Run: node peer.mjs <folder holding node_modules/@modelcontextprotocol/sdk>
import { pathToFileURL } from "node:url";
import path from "node:path";

const sdk = path.join(process.argv[2], "node_modules", "@modelcontextprotocol", "sdk", "dist", "esm");
const { Server } = await import(pathToFileURL(path.join(sdk, "server", "index.js")).href);
const { StdioServerTransport } = await import(pathToFileURL(path.join(sdk, "server", "stdio.js")).href);
const { ListToolsRequestSchema, CallToolRequestSchema } = await import(pathToFileURL(path.join(sdk, "types.js")).href);

const noteSchema = { type: "object", properties: { note: { type: "string" } }, required: ["note"] };
const tools = [
  // no annotations at all: MCP's defaults say it may destroy
  { name: "plain", description: "Says the note back, with the _meta it was sent", inputSchema: noteSchema },
  { name: "wipe", description: "Pretends to delete everything", inputSchema: { type: "object", properties: {} },
    annotations: { readOnlyHint: false, destructiveHint: true } },
  { name: "grow", description: "Adds a tool named extra-<n> and announces the new list",
    inputSchema: { type: "object", properties: {} }, annotations: { readOnlyHint: false, destructiveHint: false } },
];
let extras = 0;

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
await server.connect(new StdioServerTransport());
