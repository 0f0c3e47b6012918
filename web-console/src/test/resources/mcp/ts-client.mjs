// Drives Baton's /mcp with the official MCP TypeScript SDK's client (an independent implementation of
// the protocol), for McpTypeScriptClientTest. Prints one JSON object per line; the test asserts on them.
//   node ts-client.mjs <base url> <bearer token> <plan JSON>
// The SDK is loaded from $BATON_TEST_MCP_DIR/node_modules (see .ci/mcp.sh).
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';

const [base, token, planJson] = process.argv.slice(2);
const sdk = (path) => import(pathToFileURL(join(process.env.BATON_TEST_MCP_DIR, 'node_modules/@modelcontextprotocol/sdk/dist/esm', path)).href);
const { Client } = await sdk('client/index.js');
const { StreamableHTTPClientTransport } = await sdk('client/streamableHttp.js');
const { ElicitRequestSchema, ResourceUpdatedNotificationSchema } = await sdk('types.js');

const out = (object) => process.stdout.write(JSON.stringify(object) + '\n');
const fail = (error) => {
  out({ event: 'error', message: String(error?.stack ?? error) });
  process.exit(1);
};
setTimeout(() => fail('timed out waiting for the run to succeed'), 60_000).unref();

// A client without a token is refused (401) before anything else.
try {
  const refused = new Client({ name: 'baton-ts-test', version: '1' });
  await refused.connect(new StreamableHTTPClientTransport(new URL('/mcp', base)));
  out({ event: 'unauthenticated', refused: false });
} catch (error) {
  out({ event: 'unauthenticated', refused: true, message: String(error?.message ?? error) });
}

const transport = new StreamableHTTPClientTransport(new URL('/mcp', base), {
  requestInit: { headers: { Authorization: `Bearer ${token}` } },
});
const client = new Client({ name: 'baton-ts-test', version: '1' }, { capabilities: { elicitation: {} } });
// The answer waits until the run's resource is subscribed to, so that the subscriber hears the run resume and end.
let subscribedNow;
const subscribed = new Promise((resolve) => (subscribedNow = resolve));
client.setRequestHandler(ElicitRequestSchema, async (request) => {
  out({ event: 'elicitation', params: request.params });
  await subscribed;
  return { action: 'accept', content: { decision: 'approve', comment: 'from the TypeScript client' } };
});
let finished;
const succeeded = new Promise((resolve) => (finished = resolve));
client.setNotificationHandler(ResourceUpdatedNotificationSchema, async (notification) => {
  const read = await client.readResource({ uri: notification.params.uri });
  const run = JSON.parse(read.contents[0].text);
  out({ event: 'updated', uri: notification.params.uri, status: run.status });
  if (run.status === 'SUCCEEDED') finished(run);
});

try {
  await client.connect(transport);
  out({ event: 'connected', server: client.getServerVersion(), capabilities: client.getServerCapabilities() });
  const { tools } = await client.listTools();
  out({ event: 'tools', tools: tools.map((t) => ({ name: t.name, annotations: t.annotations, input: t.inputSchema, output: t.outputSchema })) });

  const bad = await client.callTool({ name: 'start_run', arguments: { plan: JSON.parse(planJson) } });
  out({ event: 'bad', isError: bad.isError === true, text: bad.content?.[0]?.text });

  // The SDK checks structuredContent against the tool's outputSchema here.
  const started = await client.callTool({ name: 'start_run', arguments: { goal: 'from TypeScript', plan: JSON.parse(planJson) } });
  out({ event: 'started', isError: started.isError === true, run: started.structuredContent });
  await client.subscribeResource({ uri: `baton://runs/${started.structuredContent.id}` });
  out({ event: 'subscribed' });
  subscribedNow();

  const run = await succeeded;
  out({ event: 'succeeded', run });
  await transport.terminateSession();
  await client.close();
  process.exit(0);
} catch (error) {
  fail(error);
}
