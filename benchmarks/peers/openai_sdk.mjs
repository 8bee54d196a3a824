// The openai npm SDK consuming one stream from the benchmark server.
//   node openai_sdk.mjs http://127.0.0.1:<port>
import OpenAI from "openai";

const client = new OpenAI({ apiKey: "benchmark", baseURL: process.argv[2] + "/v1", maxRetries: 0 });
const stream = await client.chat.completions.create({
  model: "mistral-small-latest",
  messages: [{ role: "user", content: "Hi" }],
  stream: true,
});
let chunks = 0;
for await (const chunk of stream) {
  if (chunk) chunks++;
}
console.log(`${chunks} chunks`);
