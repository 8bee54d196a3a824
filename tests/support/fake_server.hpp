// tests/support/fake_server.hpp: A fake Mistral API on 127.0.0.1 for tests, examples and the demo:
// it answers chat completions plausibly (JSON and SSE, tool calls, structured output, images) and
// can be scripted to misbehave. Built on cpp-httplib's server; tests/support is not part of the
// library.
#pragma once

#include <httplib.h>

#include <mistral/types.hpp>

#include <boost/json/object.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace mistral::test {

struct fake_server_options {
    std::string host = "127.0.0.1";
    int port = 0;  ///< 0 = any free port
    /// TLS when both are set (PEM files).
    std::string cert_file{};
    std::string key_file{};
    /// With TLS: require a client certificate signed by this CA (mutual TLS).
    std::string client_ca_file{};
    /// Pause between streamed tokens, so that a person watching sees them arrive.
    std::chrono::milliseconds token_delay{0};
    /// Worker threads: one per concurrent keep-alive connection.
    std::size_t threads = 16;
    /// Answer 401 to requests without "Authorization: Bearer <something>".
    bool require_auth = true;
    /// A request whose last message is an assistant message with `prefix: true` is answered
    /// with the rest of the reply the history without it gets (the continuation of the
    /// prefix). With echo_prefix the continuation repeats the prefix first, as a model might.
    bool echo_prefix = false;
    /// The demo's hint at the end of a default answer: "Set MISTRAL_API_KEY to ask
    /// api.mistral.ai instead." (tools/demo.sh sets it; a user's own program is not told that).
    bool demo_hint = false;
    /// Chat completions as an OpenAI-compatible server (vLLM, llama.cpp, Ollama) answers them,
    /// for dialect::openai_compatible: no key needed, no tool-call id rule; `random_seed` is
    /// refused with 400 in the `{"error":{...}}` envelope (those servers take `seed`, and would
    /// ignore it silently), and so is an assistant message with a part other than text (as
    /// llama.cpp and Ollama refuse it); a model whose name has "magistral" reasons first, in
    /// `reasoning_content`; a stream carries usage only when `stream_options.include_usage`
    /// asks, in a last chunk of its own with `choices: []`.
    bool openai_compatible = false;
    /// Every request waits this long before it is answered, as a real model's would.
    std::chrono::milliseconds latency{0};
    /// More than this many requests in one second (0: no limit) are answered 429, with the API's
    /// body and a Retry-After (in seconds, with decimals) saying when the window has room.
    double rate_limit = 0;
    /// Every Nth chat completion (0: none) fails, in turn, with a 429 (Retry-After 0.05), a 503,
    /// and a connection dropped before the body ended: transient failures to retry.
    std::size_t fail_every = 0;
};

/// What the server received.
struct received_request {
    std::string method;
    std::string path;
    httplib::Headers headers;
    std::string body;
    int remote_port = 0;
    std::string target;  ///< the path and query as sent (path is decoded, without the query)
    std::chrono::steady_clock::time_point at{};  ///< when it arrived
    int status = 0;  ///< 429 when the rate limit refused it, else 0 (not recorded)
};

/// Takes over one request (see fake_server::script).
using fake_handler = std::function<void(const httplib::Request&, httplib::Response&)>;

class fake_server {
public:
    explicit fake_server(fake_server_options options = {});
    ~fake_server();
    fake_server(const fake_server&) = delete;
    fake_server& operator=(const fake_server&) = delete;

    int port() const noexcept { return port_; }
    /// "http://127.0.0.1:<port>" (https when TLS is on).
    std::string base_url() const;

    /// The next requests are answered by these handlers, in order; then the default answers
    /// resume.
    void script(fake_handler handler);
    /// Every request received so far.
    std::vector<received_request> requests() const;
    /// Number of distinct client connections seen (by remote port).
    std::size_t connection_count() const;
    /// Stops serving; pending scripted waits (stalls, drips) end at once.
    void stop();

    /// Waits until stop() or the timeout; what scripted stalls use so shutdown is prompt.
    void wait_or_stop(std::chrono::milliseconds timeout);

    /// The default answer: a plausible completion for the request. A stream is cut (the
    /// connection dropped, no [DONE]) after `cut_after_chunks` chunks when that is given.
    void answer(const httplib::Request& req, httplib::Response& res,
                std::size_t cut_after_chunks = static_cast<std::size_t>(-1));
    /// The default answer of POST /v1/embeddings: per text, a unit vector made from its words
    /// (texts that share words are near each other), `output_dimension` long (1024 by default).
    void answer_embeddings(const httplib::Request& req, httplib::Response& res);
    /// The default answer of POST /v1/fim/completions (chat's shapes, streamed or not): for a
    /// prompt ending in a signature "f(a, b):" and a suffix "return c", "\n    c = a + b\n".
    void answer_fim(const httplib::Request& req, httplib::Response& res);
    /// The default answer of POST /v1/moderations and /v1/chat/moderations: the API's nine
    /// categories, each true (score 0.93) when the text holds one of its words in
    /// fake_server.cpp ("kill", "hate", "password"...), else false (0.0012).
    void answer_moderations(const httplib::Request& req, httplib::Response& res);
    /// The default answer of POST /v1/ocr: a PDF (a URL with "pdf" in it) or a file id reads as
    /// three pages (the second has an image, the third a table), an image as one; `pages`,
    /// `include_image_base64`, `image_limit` and `table_format` are honoured.
    void answer_ocr(const httplib::Request& req, httplib::Response& res);
    /// The default answer of GET /v1/models and GET /v1/models/{id}: a fixed set of models
    /// (in fake_server.cpp), 404 for an id not among them.
    void answer_models(const httplib::Request& req, httplib::Response& res);
    /// The Batch API and its files (fake_server_batch.cpp): uploads (multipart, kept in memory),
    /// lists, gets, downloads and deletes files; creates jobs from files or inline requests,
    /// which advance one status per poll (QUEUED, RUNNING, then SUCCESS with an output file of
    /// the default chat answers, and an error file for the requests that failed), lists them
    /// (filtered by status and model), and cancels them (CANCELLATION_REQUESTED, then CANCELLED).
    void answer_batch(const httplib::Request& req, httplib::Response& res);

private:
    // The request id and rate-limit headers every answer has: the request's serial, or 0 (a
    // 401 written) for a request without a key when the server requires one.
    int admit(const httplib::Request& req, httplib::Response& res);
    // A completion to send, as chat and FIM answer: its text as it is streamed, its tool calls.
    struct completion {
        std::string model{};
        std::vector<std::string> tokens{};
        std::vector<tool_call> calls{};
        std::string finish_reason{};
        std::int64_t prompt_tokens = 0;
        int serial = 0;
        std::vector<std::string> reasoning{};  // openai_compatible: sent before the text
        bool include_usage = true;             // openai_compatible: usage when asked, alone
    };
    void send_completion(httplib::Response& res, completion r, bool stream,
                         std::size_t cut_after_chunks);
    // Every route: the request recorded, then the next scripted handler, else the route's own.
    void serve(const httplib::Request& req, httplib::Response& res, const fake_handler& own);

    // The files and jobs of the Batch API (fake_server_batch.cpp), under their own lock.
    struct batch_store {
        struct file {
            boost::json::object meta;  // as the API describes it
            std::string content;
        };
        struct job {
            boost::json::object meta;        // as the API describes it
            std::vector<std::string> lines;  // its requests, one JSON object each
            std::string authorization;       // of its creation, for the requests it runs
        };
        std::mutex mutex;
        std::map<std::string, file> files;
        std::map<std::string, job> jobs;
        int serial = 0;
    };
    void run_batch_job(batch_store::job& job);
    fake_server_options options_;
    std::unique_ptr<batch_store> batch_;
    std::unique_ptr<httplib::Server> server_;
    std::thread thread_;
    int port_ = 0;
    mutable std::mutex mutex_;
    std::condition_variable stopping_cv_;
    bool stopping_ = false;
    std::deque<fake_handler> script_;
    std::vector<received_request> requests_;
    std::set<int> remote_ports_;
    std::deque<std::chrono::steady_clock::time_point>
        admitted_;                   // for rate_limit: the last second's
    std::size_t chat_requests_ = 0;  // for fail_every
    std::atomic<int> counter_{0};
};

/// Scripted misbehaviours for fake_server::script.
namespace faults {

/// Answers with this status and body.
fake_handler status(int code, std::string body, std::string content_type = "application/json",
                    httplib::Headers headers = {});
/// Streams these raw SSE bytes, one write each, with a pause between them; then ends the body
/// normally, or drops the connection (without ending the chunked body) when `cut` is set.
fake_handler raw_stream(fake_server& server, std::vector<std::string> writes, bool cut = false,
                        std::chrono::milliseconds pause = std::chrono::milliseconds(0));
/// Streams `chunks` valid chunks of text then stops: `done` adds data: [DONE].
std::vector<std::string> text_events(std::size_t chunks, bool done);
/// The default answer, streamed, with the connection dropped after `chunks` chunks (the role
/// chunk counts as one).
fake_handler cut_after(fake_server& server, std::size_t chunks);
/// Sends the head of a 200 event stream, then nothing for `silence` (or until the server stops).
fake_handler stall(fake_server& server, std::chrono::milliseconds silence);

}  // namespace faults

}  // namespace mistral::test
