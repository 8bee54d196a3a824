// The official Mistral TypeScript SDK consuming one stream from the benchmark server.
//   node mistral_sdk.mjs http://127.0.0.1:<port>
import { Mistral } from "@mistralai/mistralai";

const client = new Mistral({ apiKey: "benchmark", serverURL: process.argv[2] });
const stream = await client.chat.stream({
  model: "mistral-small-latest",
  messages: [{ role: "user", content: "Hi" }],
});
let chunks = 0;
for await (const event of stream) {
  if (event.data) chunks++;
}
console.log(`${chunks} chunks`);
