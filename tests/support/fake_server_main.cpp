// tests/support/fake_server_main.cpp: mistral-fake-server: the fake Mistral API as a program, for
// the demo, the examples and your own integration tests (tests/support/README.md).
//
//   mistral-fake-server [--port 8088] [--token-delay-ms 40] [--tls CERT KEY] [--echo-prefix]
//                       [--no-auth] [--demo-hint] [--openai-compatible] [--latency-ms N]
//                       [--rate-limit N] [--fail-every N] [--threads N] [--help]
//
// Prints "listening on <url>" and serves until interrupted. --port 0 picks a free port.
#include <csignal>
#include <cstdlib>
#include <iostream>
#include <string>

#include "fake_server.hpp"

namespace {
volatile std::sig_atomic_t interrupted = 0;

constexpr const char* help = R"(usage: mistral-fake-server [options]

A fake Mistral AI API on one machine, for tests and demos: POST /v1/chat/completions answers
plausibly and deterministically (the same request gets the same answer), as JSON or, with
"stream": true, as server-sent events one word per chunk, with usage and rate-limit headers and
an x-request-id.

Options:
  --port N            listen on 127.0.0.1:N (default 8088; 0 picks a free port)
  --token-delay-ms N  pause N ms between streamed chunks, to watch them arrive
  --tls CERT KEY      serve https with this PEM certificate and key
  --echo-prefix       a prefixed continuation repeats the prefix first (see below)
  --no-auth           accept requests without "Authorization: Bearer <key>"
  --demo-hint         end a default answer with "Set MISTRAL_API_KEY to ask api.mistral.ai
                      instead." (tools/demo.sh)
  --openai-compatible answer chat completions as vLLM, llama.cpp or Ollama do (for
                      dialect::openai_compatible): no key needed; "random_seed" refused with
                      400 {"error":{...}} (they take "seed"), as is an assistant message
                      with a part other than text; a "magistral" model reasons
                      first, in "reasoning_content"; a stream has usage only when
                      "stream_options": {"include_usage": true} asks, in a chunk of its own
  --latency-ms N      answer every request after N ms, as a real model would take time
  --rate-limit N      more than N requests in one second get 429 with a Retry-After (in
                      seconds, with decimals) saying when there is room again
  --fail-every N      every Nth chat completion fails, in turn: a 429 (Retry-After 0.05), a
                      503, and a connection dropped mid-body
  --threads N         connections served at once (default 16; each keep-alive connection holds
                      one until it is idle for 5 s: give at least mistral-batch's --in-flight)
  --help              this text

What it answers, by what the request holds:
  a question with "capital of France"   "The capital of France is Paris."
  a question with "haiku"                a three-line haiku
  any other question                     a greeting that quotes the question
  max_tokens N                           the first N words, finish_reason "length"
  tools (and tool_choice not "none")     a call of each function the question names, or else of
                                         the first; arguments built from its JSON Schema
  tool messages after a call             "Here is what I found: <tool> says <result>."
  response_format json_schema            a JSON value built from the schema (enums, anyOf,
                                         minItems/maxItems; array items differ from each other)
  response_format json_object            {"answer": ..., "question": ...}
  images (URL or base64)                 how many it received, of each kind
  a last assistant message with          the rest of the answer the history without it would
  "prefix": true                         get (its continuation), or the whole answer otherwise
  no Authorization header                401, as the API's gateway answers
  a tool-call id not [a-zA-Z0-9]{9}      400 with code "3280", the API's own error
  a body that is not a chat request      422 with the API's validation error shape

The neighbouring endpoints:
  POST /v1/fim/completions               chat's shapes (JSON or SSE): between a prompt ending in
                                         "f(a, b):" and a suffix "return c", "c = a + b"
  POST /v1/embeddings                    per text, a unit vector made from its words (texts that
                                         share words are near), output_dimension long (1024)
  POST /v1/moderations                   per text, the API's nine categories, each tripped by
  POST /v1/chat/moderations              words such as "kill", "hate", "steal", "password"
                                         (score 0.93, else 0.0012); a conversation judged whole
  POST /v1/ocr                           a PDF (a URL with "pdf" in it) or a file id: three pages
                                         (an image on the second, a table on the third); an
                                         image: one page; pages, include_image_base64,
                                         image_limit and table_format honoured
  GET /v1/models                         six models: mistral-small-latest, codestral-latest,
                                         mistral-embed, mistral-moderation-latest,
                                         mistral-ocr-latest, and open-mistral-7b (deprecated)
  GET /v1/models/{id}                    one of them, or 404 with the API's invalid_model error
The Batch API (kept in memory):
  POST /v1/files                         a multipart upload (file, purpose); GET /v1/files
                                         (?purpose=), GET and DELETE /v1/files/{id}, and
                                         GET /v1/files/{id}/content
  POST /v1/batch/jobs                    a job from input_files or inline requests; each GET of
                                         it advances it: QUEUED, RUNNING, then SUCCESS with an
                                         output file of the chat answers (and an error file for
                                         the requests that failed); GET /v1/batch/jobs
                                         (?status=&model=); POST /v1/batch/jobs/{id}/cancel:
                                         CANCELLATION_REQUESTED, then CANCELLED at the next GET
)";
}  // namespace

int main(int argc, char** argv) {
    mistral::test::fake_server_options options;
    options.port = 8088;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "--port" && i + 1 < argc) {
            options.port = std::atoi(argv[++i]);
        } else if (arg == "--token-delay-ms" && i + 1 < argc) {
            options.token_delay = std::chrono::milliseconds(std::atoi(argv[++i]));
        } else if (arg == "--tls" && i + 2 < argc) {
            options.cert_file = argv[++i];
            options.key_file = argv[++i];
        } else if (arg == "--echo-prefix") {
            options.echo_prefix = true;
        } else if (arg == "--no-auth") {
            options.require_auth = false;
        } else if (arg == "--demo-hint") {
            options.demo_hint = true;
        } else if (arg == "--openai-compatible") {
            options.openai_compatible = true;
        } else if (arg == "--latency-ms" && i + 1 < argc) {
            options.latency = std::chrono::milliseconds(std::atoi(argv[++i]));
        } else if (arg == "--rate-limit" && i + 1 < argc) {
            options.rate_limit = std::atof(argv[++i]);
        } else if (arg == "--fail-every" && i + 1 < argc) {
            options.fail_every = static_cast<std::size_t>(std::atoi(argv[++i]));
        } else if (arg == "--threads" && i + 1 < argc) {
            options.threads = static_cast<std::size_t>(std::atoi(argv[++i]));
        } else if (arg == "--help" || arg == "-h") {
            std::cout << help;
            return 0;
        } else {
            std::cerr << "mistral-fake-server: unknown option " << arg << "\n\n" << help;
            return 2;
        }
    }
    std::signal(SIGINT, [](int) { interrupted = 1; });
    std::signal(SIGTERM, [](int) { interrupted = 1; });
    try {
        mistral::test::fake_server server(options);
        std::cout << "listening on " << server.base_url() << std::endl;
        while (interrupted == 0) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    } catch (const std::exception& e) {
        std::cerr << "mistral-fake-server: " << e.what() << "\n";
        return 1;
    }
}
