// mistral/impl/client_engine.hpp: the one place that knows about retries, SSE and transports
// together: prepares the request (validation, headers, body), runs the attempts, reads the
// response into a sink (a JSON body for chat(), events for stream()), and turns every failure
// into its typed error. Type-erased over the transport and the callback, so it is compiled once
// in separate compilation: included at the end of client.hpp in a header-only build, else only
// by src.hpp.
// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include <boost/json/serialize.hpp>
#include <boost/json/value_from.hpp>

#include "../chat_stream.hpp"
#include "../client.hpp"
#include "../detail/config.hpp"
#include "../detail/function_ref.hpp"
#include "../detail/prefix_repeat.hpp"
#include "../detail/proxy.hpp"
#include "../detail/sanitize.hpp"
#include "../detail/sleep.hpp"
#include "../detail/utf8.hpp"
#include "../error.hpp"
#include "../history.hpp"
#include "../http.hpp"
#include "../json.hpp"
#include "../retry.hpp"
#include "../sse.hpp"
#include "../stop_token.hpp"
#include "../stream.hpp"
#include "../transport.hpp"
#include "../types.hpp"
#include "../version.hpp"
#include "chunk_decoder.hpp"

MISTRAL_NAMESPACE_BEGIN

namespace detail {

// Every text of the error is the server's, and a server may echo the key in any of them.
inline api_error make_api_error(response_metadata meta, std::string body, api_error_details details,
                                const sanitizer& sanitize) {
    for (std::string* text : {&details.message, &details.type, &details.code, &details.param,
                              &details.request_id, &meta.request_id})
        *text = sanitize(std::move(*text));
    for (auto& issue : details.validation_issues) {
        for (std::string* text : {&issue.message, &issue.location, &issue.type})
            *text = sanitize(std::move(*text));
    }
    return api_error(std::move(meta), sanitize(std::move(body)), std::move(details));
}

// Collects a body, up to a limit (error bodies are kept only up to it).
class body_buffer {
public:
    explicit body_buffer(std::size_t limit) : limit_(limit) {}
    // Returns false once the limit is passed (the rest of the body is dropped).
    bool append(std::string_view piece) {
        const std::size_t room = limit_ - std::min(limit_, text_.size());
        text_.append(piece.substr(0, room));
        overflow_ = overflow_ || piece.size() > room;
        return !overflow_;
    }
    void clear() noexcept {
        text_.clear();
        overflow_ = false;
    }
    bool overflow() const noexcept { return overflow_; }
    std::string& text() noexcept { return text_; }

private:
    std::size_t limit_;
    std::string text_;
    bool overflow_ = false;
};

inline constexpr std::size_t max_error_body = std::size_t{1} << 20;

// Headers that frame the message on the wire: the client and the transport own them, so a
// caller's header can never change where the body ends or which host it goes to.
inline constexpr std::string_view framing_headers[] = {
    "content-length", "transfer-encoding", "host",   "connection",      "keep-alive", "te",
    "trailer",        "upgrade",           "expect", "proxy-connection"};

// Everything a call does that does not depend on the transport's type: preflight checks, the
// request, the retry loop, the response, SSE and JSON decoding, folding, errors. A template only
// so that a translation unit that includes it without calling a client compiles none of it.
template <class Unused = void>
class client_engine {
public:
    static chat_response chat(const client_options& options, send_function send,
                              const chat_request& request, const call_options& call);
    static chat_response stream(const client_options& options, send_function send,
                                const chat_request& request, chunk_function on_chunk,
                                const call_options& call);
    static std::unique_ptr<stream_source> open_stream(const client_options& options,
                                                      open_function open, chat_request request,
                                                      call_options call, usage_function on_usage);

private:
    using clock = std::chrono::steady_clock;

    // A request ready to go, and what must never be printed or kept of it.
    struct prepared_call {
        http_request http;
        sanitizer sanitize;
    };

    // What one call counts across its attempts and resumes.
    struct call_progress {
        int requests = 0;
        int resumes = 0;
        // timeouts.total from the call's start: resumes, which run their own attempts, share it.
        std::optional<clock::time_point> deadline;
    };
    // Called when a stream that delivered text was cut: true when it is to be resumed (the
    // request then asks for the continuation).
    using resume_function = function_ref<bool()>;
    static constexpr auto never_resume = [] { return false; };
    class pull_source;

    // What receives the response of one call, attempt after attempt.
    class sink : public response_handler {
    public:
        explicit sink(const sanitizer& sanitize) : sanitize_(sanitize) {}
        virtual void begin_attempt() = 0;
        // Whether anything reached the caller (then nothing is retried).
        virtual bool delivered() const noexcept = 0;
        // Whether the stream's [DONE] arrived (a failure while draining after it is ignored).
        virtual bool completed() const noexcept = 0;
        virtual void rethrow_if_failed() = 0;
        virtual std::string take_body() = 0;
        virtual chat_response finish(response_metadata meta) = 0;
        // The transport failed or the call was cancelled after the head arrived.
        [[noreturn]] virtual void fail_mid_stream(const transport_error& e) = 0;
        // A bound the sink keeps itself expired (it stopped the transfer).
        virtual std::optional<transport_error> stalled() const { return std::nullopt; }

        // The head as received, with secrets echoed by the server removed.
        const response_head& head() const noexcept { return head_; }
        bool on_head(response_head head) override {
            head_ = {head.status, sanitize_(head.headers)};
            return on_status();
        }

    protected:
        ~sink() = default;
        virtual bool on_status() = 0;
        response_head head_;
        const sanitizer& sanitize_;
    };

    // Receives the response of chat(): the JSON body.
    class json_sink final : public sink {
    public:
        json_sink(std::size_t max_size, const sanitizer& sanitize)
            : sink(sanitize), max_size_(max_size), body_(max_size) {}

        void begin_attempt() override {
            this->head_ = {};
            body_.clear();
        }
        bool on_body(std::string_view piece) override { return body_.append(piece); }
        bool delivered() const noexcept override { return false; }
        bool completed() const noexcept override { return false; }
        void rethrow_if_failed() override {}
        std::string take_body() override { return std::move(body_.text()); }

        chat_response finish(response_metadata meta) override {
            if (body_.overflow()) {
                throw protocol_error("response body larger than max_response_size (" +
                                     std::to_string(max_size_) + " bytes)");
            }
            boost::system::error_code ec;
            boost::json::value v = boost::json::parse(body_.text(), ec);
            if (ec) {
                throw protocol_error("malformed JSON response (" + ec.message() +
                                     "): " + this->sanitize_.excerpt(body_.text()));
            }
            // The text, then the tree, each freed once read: a large body is held once at a time.
            body_ = body_buffer(0);
            chat_response r;
            read_json(std::move(v), r);
            r.http = std::move(meta);
            return r;
        }

        [[noreturn]] void fail_mid_stream(const transport_error& e) override { throw e; }

    private:
        // An error body is kept only up to max_error_body, as for streams.
        bool on_status() override {
            const bool success = this->head_.status >= 200 && this->head_.status <= 299;
            body_ = body_buffer(success ? max_size_ : std::min(max_size_, max_error_body));
            return true;
        }

        std::size_t max_size_;
        body_buffer body_;
    };

    // Receives the response of stream(): parses events, decodes chunks, folds them and hands
    // them to the callback as they arrive.
    class event_sink final : public sink {
    public:
        event_sink(chunk_function on_chunk, const client_options& options, const call_options& call,
                   const sanitizer& sanitize)
            : sink(sanitize),
              on_chunk_(on_chunk),
              parser_(options.max_event_size),
              accumulate_(call.accumulate),
              max_folded_(options.max_response_size),
              idle_((call.timeouts ? *call.timeouts : options.timeouts).stream_idle),
              error_body_(max_error_body) {}

        void begin_attempt() override {
            this->head_ = {};
            error_body_.clear();
            parser_.reset();
            if (prefix_.empty()) {
                accumulator_ = stream_accumulator(accumulate_);
            } else {
                repeat_.emplace(prefix_);  // a resumed stream keeps what it delivered
            }
            mode_ = mode::events;
            delivered_ = done_ = stopped_ = false;
            failure_ = nullptr;
            stalled_.reset();
        }

        bool on_body(std::string_view piece) override {
            if (mode_ != mode::events) return error_body_.append(piece);
            if (done_) return true;  // drained so the connection can be reused
            const auto events_before = events_;
            try {
                parser_.feed(
                    piece, [this](const sse::event& e) { on_event(e); },
                    [this](std::string_view name, std::string_view value) {
                        // llama.cpp's server reports a failure in a stream as an `error:` line.
                        if (name == "error") on_event(sse::event{"error", value, {}, {}});
                    });
            } catch (const sse::size_limit_error& e) {
                failure_ = std::make_exception_ptr(
                    protocol_error(std::string(e.what()) + " (client_options::max_event_size)"));
                return false;
            } catch (...) {
                failure_ = std::current_exception();
                return false;
            }
            // stream_idle bounds the silence between events, not between bytes: a server that
            // sends only comments (": keep-alive") does not hold a stream forever.
            const auto now = clock::now();
            if (events_ != events_before) {
                last_event_ = now;
            } else if (now - last_event_ >= idle_) {
                stalled_.emplace(transport_error_kind::timeout,
                                 "no event for " + std::to_string(idle_.count()) +
                                     " ms (timeouts.stream_idle); the server sent only "
                                     "comments or keep-alives",
                                 true);
                return false;
            }
            return !stopped_;
        }

        // The idle bound between events expired (a timeout, as the transport's own).
        std::optional<transport_error> stalled() const override { return stalled_; }

        bool delivered() const noexcept override { return delivered_; }
        bool completed() const noexcept override { return done(); }
        bool complete() const noexcept override { return mode_ == mode::events && done(); }
        std::string take_body() override { return std::move(error_body_.text()); }

        // An exception raised while handling events (the callback's, a decoding error, an error
        // event): never retried, and carries what arrived.
        void rethrow_if_failed() override {
            if (!failure_) return;
            try {
                std::rethrow_exception(failure_);
            } catch (error& e) {
                attach_partial(e);
                throw;
            }
        }

        chat_response finish(response_metadata meta) override {
            if (deferred_ && mode_ == mode::events) {
                accumulator_.set_http(std::move(meta));
                return accumulator_.response();
            }
            if (mode_ == mode::unexpected_body) {
                const auto type = this->head_.headers.find("content-type");
                throw protocol_error("expected an event stream, got Content-Type \"" +
                                     std::string(type.value_or("")) +
                                     "\": " + this->sanitize_.excerpt(error_body_.text()));
            }
            if (!done() && !stopped_) {
                protocol_error e("stream ended before [DONE] after " +
                                 std::to_string(accumulator_.chunk_count()) + " chunks" +
                                 (parser_.finish() ? "" : " (in the middle of an event)"));
                attach_partial(e);
                throw e;
            }
            if (!stopped_) check_tool_calls();
            chat_response r = accumulator_.take();
            r.http = std::move(meta);
            return r;
        }

        // open_stream(): the body is read later, by the stream's steps; finish() then only
        // records the head, and finish_body() ends the stream.
        void defer_body() noexcept { deferred_ = true; }
        bool reads_events() const noexcept { return mode_ == mode::events; }
        chat_response finish_body() {
            deferred_ = false;
            response_metadata meta = accumulator_.response().http;
            return finish(std::move(meta));
        }
        const chat_response& folded() const noexcept { return accumulator_.response(); }

        // The text delivered so far, when the stream was cut in a way that can be resumed: a
        // reply of plain text in one choice, not finished, not stopped, not failed.
        std::optional<std::string> resumable_text() const {
            if (!accumulate_ || mode_ != mode::events || done() || stopped_ || failure_)
                return std::nullopt;
            const auto& choices = accumulator_.response().choices;
            if (choices.size() != 1 || choices[0].finish_reason) return std::nullopt;
            const assistant_message& m = choices[0].message;
            if ((m.tool_calls && !m.tool_calls->empty()) || !m.thinking().empty())
                return std::nullopt;
            std::string text = m.text();
            if (text.empty()) return std::nullopt;
            return text;
        }
        // The next attempts continue after `prefix`, dropping a repeat of it; what they bill
        // adds to what the cut attempts billed.
        void begin_resume(std::string prefix) {
            prefix_ = std::move(prefix);
            accumulator_.begin_continuation();
        }

        // Attaches what arrived to an error thrown without it (a resumed stream's failure).
        void attach_partial_if_missing(error& e) const {
            if (e.partial_response() == nullptr) attach_partial(e);
        }

        // The transport failed after chunks reached the caller: timeouts and cancellation keep
        // their kind; a broken connection is a stream that ended early.
        [[noreturn]] void fail_mid_stream(const transport_error& e) override {
            if (e.kind() == transport_error_kind::timeout ||
                e.kind() == transport_error_kind::cancelled) {
                transport_error copy = e;
                attach_partial(copy);
                throw copy;
            }
            protocol_error ended("stream ended before [DONE] after " +
                                 std::to_string(accumulator_.chunk_count()) +
                                 " chunks: " + e.what());
            attach_partial(ended);
            throw ended;
        }

    private:
        enum class mode { events, error_body, unexpected_body };

        bool on_status() override {
            last_event_ = clock::now();
            if (this->head_.status < 200 || this->head_.status > 299) {
                mode_ = mode::error_body;
            } else if (const auto type = this->head_.headers.find("content-type");
                       !type || !starts_with_icase(*type, "text/event-stream")) {
                mode_ = mode::unexpected_body;
            }
            return true;
        }

        // [DONE] ends the stream. The WHATWG rules dispatch an event only at the blank line that
        // follows it, so a body that ends right after the "data: [DONE]" line (one line end,
        // then the end) leaves it undispatched: the parser, which stays exact, discards it. But
        // [DONE] and everything before it did arrive, so the stream is complete.
        bool done() const noexcept {
            if (done_) return true;
            const auto pending = parser_.pending_event();
            return pending && pending->type == "message" && pending->data == "[DONE]";
        }

        // A folded tool call without a name can be neither run nor sent back (a response's
        // tool call requires one): the stream never sent it, so the stream was malformed.
        void check_tool_calls() const {
            const auto& choices = accumulator_.response().choices;
            for (std::size_t i = 0; i < choices.size(); ++i) {
                const auto& calls = choices[i].message.tool_calls;
                for (std::size_t k = 0; calls && k < calls->size(); ++k) {
                    if (!(*calls)[k].function.name.empty()) continue;
                    const std::string path = "choices[" + std::to_string(i) +
                                             "].message.tool_calls[" + std::to_string(k) +
                                             "].function.name";
                    protocol_error e(path + ": no piece of the stream carried it", path);
                    attach_partial(e);
                    throw e;
                }
            }
        }

        void on_event(const sse::event& e) {
            if (done_ || stopped_) return;
            const auto result = decoder_.decode(e.type, e.data);
            if (result != chunk_decoder<>::result::skip) ++events_;
            switch (result) {
                case chunk_decoder<>::result::skip:
                    return;
                case chunk_decoder<>::result::done:
                    done_ = true;
                    if (repeat_ && !repeat_->settled()) release_held();
                    return;
                case chunk_decoder<>::result::error:
                    throw stream_error();
                case chunk_decoder<>::result::chunk:
                    break;
            }
            const chat_chunk* chunk = &decoder_.chunk();
            if (repeat_ && !repeat_->settled()) {
                chunk = without_repeat(*chunk);
                if (chunk == nullptr) return;
            }
            deliver(*chunk);
        }

        void deliver(const chat_chunk& chunk) {
            accumulator_.add(chunk);
            // A compressed body can inflate a few megabytes into gigabytes of valid chunks.
            if (accumulator_.folded_size() > max_folded_) {
                throw protocol_error("the streamed response grew past max_response_size (" +
                                     std::to_string(max_folded_) + " bytes)");
            }
            delivered_ = true;
            if (!on_chunk_(chunk)) stopped_ = true;
        }

        // A continuation's chunk with the repeat of the prefix taken out of its text (one choice:
        // only such replies are resumed), or nullptr when it carries nothing else to deliver.
        const chat_chunk* without_repeat(const chat_chunk& chunk) {
            edited_ = chunk;
            bool carries = edited_.usage.has_value();
            for (chunk_choice& choice : edited_.choices) {
                const bool last = choice.finish_reason.has_value();
                auto& content = choice.delta.content;
                if (!content) {
                    if (last && !repeat_->settled()) content.emplace(repeat_->release());
                    carries = carries || last || choice.delta.tool_calls.has_value();
                    continue;
                }
                if (auto* text = std::get_if<std::string>(&*content)) {
                    *text = repeat_->filter(*text, last);
                    carries = carries || !text->empty();
                } else {
                    auto& list = std::get<std::vector<content_chunk>>(*content);
                    for (content_chunk& piece : list) {
                        if (auto* t = std::get_if<text_chunk>(&piece))
                            t->text = repeat_->filter(t->text, false);
                    }
                    if (last && !repeat_->settled()) list.push_back(text_chunk{repeat_->release()});
                    std::erase_if(list, [](const content_chunk& piece) {
                        const auto* t = std::get_if<text_chunk>(&piece);
                        return t != nullptr && t->text.empty();
                    });
                    carries = carries || !list.empty();
                }
                carries = carries || last || choice.delta.tool_calls.has_value();
            }
            return carries ? &edited_ : nullptr;
        }

        // [DONE] while the continuation still matched the prefix: what it held back is its own.
        void release_held() {
            std::string text = repeat_->release();
            if (text.empty()) return;
            const chat_response& folded = accumulator_.response();
            edited_ = chat_chunk{.id = folded.id,
                                 .object = "chat.completion.chunk",
                                 .created = folded.created,
                                 .model = folded.model,
                                 .choices = {{.index = 0, .delta = {.content = std::move(text)}}}};
            deliver(edited_);
        }

        // An error inside a 200 stream (an error event, a payload that is an error object, an
        // `error:` line): its status is the payload's raw_status_code when present, else an
        // HTTP status in its `code` (as OpenAI-compatible servers send), else the response's.
        // A payload that is not JSON is the error's message.
        api_error stream_error() const {
            std::string body = decoder_.error_data();
            api_error_details details = parse_error_body(body);
            if (details.message.empty() && details.type.empty() && details.code.empty())
                details.message = body;
            int status = this->head_.status;
            if (details.raw_status_code) {
                status = *details.raw_status_code;
            } else if (const auto code = parse_header_integer(details.code);
                       code && *code >= 400 && *code <= 599) {
                status = static_cast<int>(*code);
            }
            response_metadata meta = make_response_metadata(status, this->head_.headers);
            return make_api_error(std::move(meta), std::move(body), std::move(details),
                                  this->sanitize_);
        }

        void attach_partial(error& e) const {
            if (accumulator_.chunk_count() > 0) {
                chat_response partial = accumulator_.response();
                partial.http = make_response_metadata(this->head_.status, this->head_.headers);
                e.set_partial_response(std::make_shared<const chat_response>(std::move(partial)));
            }
        }

        chunk_function on_chunk_;
        sse::parser parser_;
        chunk_decoder<> decoder_{&this->sanitize_};
        bool accumulate_;
        std::size_t max_folded_;
        std::chrono::milliseconds idle_;
        std::uint64_t events_ = 0;  // events that carried something (a chunk, [DONE], an error)
        clock::time_point last_event_ = clock::now();
        std::optional<transport_error> stalled_;
        stream_accumulator accumulator_{accumulate_};
        std::string prefix_;                   // what a resumed stream had delivered
        std::optional<prefix_repeat> repeat_;  // drops its repeat from the continuation
        chat_chunk edited_;
        body_buffer error_body_;
        bool deferred_ = false;
        mode mode_ = mode::events;
        bool delivered_ = false;
        bool done_ = false;
        bool stopped_ = false;
        std::exception_ptr failure_;
    };

    static chat_response execute(const client_options& options, send_function send,
                                 prepared_call& call_data, bool streaming, const call_options& call,
                                 sink& sink, resume_function try_resume, call_progress& progress);
    // Whether a cut stream is resumed; if so, the request now asks for the continuation.
    static bool resume(const client_options& options, const chat_request& request,
                       const call_options& call, prepared_call& prepared, event_sink& sink,
                       call_progress& progress);
    static prepared_call prepare(const client_options& options, const chat_request& request,
                                 bool streaming, const call_options& call);
    // The wait before another attempt, and what chose it.
    struct retry_decision {
        std::chrono::milliseconds wait;
        const char* reason;  // "backoff" or "Retry-After"
    };
    // Whether attempt number `attempt` may be followed by another, within the policy, the
    // server's Retry-After (`asked`, when the server answered) and the deadline.
    static std::optional<retry_decision> decide_retry(const client_options& options,
                                                      const retry_policy& policy, int attempt,
                                                      const http_headers* asked,
                                                      clock::time_point start,
                                                      std::optional<clock::time_point> deadline);
    static void sleep(const client_options& options, std::chrono::milliseconds wait,
                      const stop_token& stop);
    // Runs one piece of I/O (a send, a read of the body) and says how it failed, if it did:
    // the transport's error with secrets removed, logged. A failure of the sink (the callback's,
    // a decoding error) is thrown instead. Cancellation wins over whatever the aborted exchange
    // looked like (a close-delimited body, for one, simply ends when its socket is shut down).
    template <class Io>
    static std::optional<transport_error> io_failure(const client_options& options,
                                                     const sanitizer& sanitize,
                                                     const call_options& call, sink& sink,
                                                     Io&& io) {
        std::optional<transport_error> failure;
        try {
            io();
        } catch (const transport_error& e) {
            failure.emplace(e.kind(), sanitize(e.what()), e.request_sent());
        }
        if (auto stalled = sink.stalled()) failure = std::move(stalled);
        sink.rethrow_if_failed();
        if (call.stop.stop_requested() && !sink.completed() &&
            (!failure || failure->kind() != transport_error_kind::cancelled)) {
            failure.emplace(cancelled(true));
        }
        if (failure) {
            log(options, sanitize,
                std::string("transport error (") + to_string(failure->kind()) +
                    "): " + failure->what());
        }
        return failure;
    }
    static clock::time_point now(const client_options& options) {
        return options.environment.now ? options.environment.now() : clock::now();
    }
    static void log(const client_options& options, const sanitizer& sanitize,
                    const std::string& line) {
        if (options.debug) options.debug(sanitize("mistral-cpp: " + line));
    }
};

template <class Unused>
chat_response client_engine<Unused>::chat(const client_options& options, send_function send,
                                          const chat_request& request, const call_options& call) {
    if (request.stream.value_or(false)) {
        throw usage_error("chat() sends non-streaming requests; use stream() for \"stream\": true");
    }
    prepared_call prepared = prepare(options, request, false, call);
    json_sink sink(options.max_response_size, prepared.sanitize);
    call_progress progress;
    return execute(options, send, prepared, false, call, sink, never_resume, progress);
}

template <class Unused>
chat_response client_engine<Unused>::stream(const client_options& options, send_function send,
                                            const chat_request& request, chunk_function on_chunk,
                                            const call_options& call) {
    prepared_call prepared = prepare(options, request, true, call);
    event_sink sink(on_chunk, options, call, prepared.sanitize);
    call_progress progress;
    const auto try_resume = [&] {
        return resume(options, request, call, prepared, sink, progress);
    };
    try {
        return execute(options, send, prepared, true, call, sink, try_resume, progress);
    } catch (error& e) {
        sink.attach_partial_if_missing(e);
        throw;
    }
}

template <class Unused>
bool client_engine<Unused>::resume(const client_options& options, const chat_request& request,
                                   const call_options& call, prepared_call& prepared,
                                   event_sink& sink, call_progress& progress) {
    if (progress.resumes >= call.max_resumes) return false;
    if (progress.deadline && now(options) >= *progress.deadline) return false;  // no time left
    std::optional<std::string> text = sink.resumable_text();
    if (!text) return false;
    chat_request continued = request;
    std::string prefix = std::move(*text);
    auto* last = std::get_if<assistant_message>(&continued.messages.back());
    if (last != nullptr && last->prefix.value_or(false)) {
        // The API takes one prefix message, the last: the caller's own is extended. The reply
        // began with it when the server echoes a prefix (the API does), else after it.
        if (std::string own = last->text(); !prefix.starts_with(own)) prefix.insert(0, own);
        last->content = prefix;
    } else {
        continued.messages.push_back(assistant_message{.content = prefix, .prefix = true});
    }
    prepared.http.body = sendable_json(continued, boost::json::object{{"stream", true}});
    log(options, prepared.sanitize,
        "resume " + std::to_string(++progress.resumes) + " after " + std::to_string(prefix.size()) +
            " bytes of text");
    sink.begin_resume(std::move(prefix));
    return true;
}

// The stream of open_stream(): the same attempts as stream() up to the response head, then
// the body is read step by step, as the caller asks for chunks.
template <class Unused>
class client_engine<Unused>::pull_source final : public stream_source {
public:
    pull_source(const client_options& options, open_function open, chat_request request,
                call_options call, usage_function on_usage)
        : options_(options),
          open_(std::move(open)),
          on_usage_(std::move(on_usage)),
          request_(std::move(request)),
          call_(std::move(call)),
          prepared_(prepare(options_, request_, true, call_)),
          sink_(ready_, options_, call_, prepared_.sanitize) {
        sink_.defer_body();
        connect();
    }
    pull_source(const pull_source&) = delete;
    pull_source& operator=(const pull_source&) = delete;
    ~pull_source() override {
        reader_.reset();  // before the rest: a helper thread may still be delivering into it
        report(sink_.folded().usage);
    }

    const chat_chunk* next() override {
        if (taken_ == ready_.count) taken_ = ready_.count = 0;  // all handed out: read more
        try {
            while (ready_.count == 0 && !final_) read_some();
        } catch (error& e) {
            sink_.attach_partial_if_missing(e);
            reader_.reset();
            final_.emplace(sink_.folded());
            report(final_->usage);
            throw;
        }
        return taken_ < ready_.count ? &ready_.chunks[taken_++] : nullptr;
    }

    const chat_response& response() const noexcept override {
        return final_ ? *final_ : sink_.folded();
    }

private:
    // Keeps the chunks of one piece of the body until the caller has taken them. The slots are
    // reused from piece to piece: assigning over a chunk keeps its strings' buffers, so a warm
    // stream copies without allocating.
    struct ready_chunks {
        std::vector<chat_chunk> chunks;
        std::size_t count = 0;
        bool operator()(const chat_chunk& chunk) {
            if (count < chunks.size()) {
                chunks[count] = chunk;
            } else {
                chunks.push_back(chunk);
            }
            ++count;
            return true;
        }
    };

    // Runs the attempts (and their retries) until a response head: an error status, a
    // transport failure, a body that is not an event stream are thrown from here.
    void connect() {
        const auto send = [this](const http_request& r, response_handler& handler) {
            reader_ = open_(r);
            handler.on_head(reader_->head());
            if (sink_.reads_events()) return;  // the steps read it
            for (auto piece = reader_->read(); !piece.empty(); piece = reader_->read()) {
                if (!handler.on_body(piece)) break;
            }
            reader_.reset();
        };
        // The steps resume a cut stream themselves (execute() returns at the head).
        execute(options_, send, prepared_, true, call_, sink_, never_resume, progress_);
    }

    void read_some() {
        std::string_view piece;
        const auto failure = io_failure(options_, prepared_.sanitize, call_, sink_,
                                        [&] { piece = reader_->read(); });
        if (failure) {
            if (!sink_.completed()) {
                if (!resume()) sink_.fail_mid_stream(*failure);
                return;
            }
            piece = {};  // [DONE] had arrived: only the draining failed
        }
        if (piece.empty()) {
            if (!sink_.completed() && resume()) return;
            reader_.reset();
            final_.emplace(sink_.finish_body());
            report(final_->usage);
            return;
        }
        sink_.on_body(piece);
        sink_.rethrow_if_failed();
        if (const auto stalled = sink_.stalled()) {
            if (!resume()) sink_.fail_mid_stream(*stalled);
            return;
        }
        if (sink_.completed()) reader_->content_complete();  // the rest only ends the body
    }

    bool resume() {
        if (!client_engine::resume(options_, request_, call_, prepared_, sink_, progress_))
            return false;
        reader_.reset();
        connect();
        return true;
    }

    void report(const usage_info& usage) {
        if (std::exchange(reported_, true)) return;
        if (on_usage_) on_usage_(usage);
    }

    const client_options& options_;
    open_function open_;
    usage_function on_usage_;
    chat_request request_;
    call_options call_;
    prepared_call prepared_;
    ready_chunks ready_;
    std::size_t taken_ = 0;  // of ready_: handed out to the caller
    event_sink sink_;
    call_progress progress_;
    std::unique_ptr<body_reader> reader_;
    std::optional<chat_response> final_;
    bool reported_ = false;
};

template <class Unused>
std::unique_ptr<stream_source> client_engine<Unused>::open_stream(const client_options& options,
                                                                  open_function open,
                                                                  chat_request request,
                                                                  call_options call,
                                                                  usage_function on_usage) {
    return std::make_unique<pull_source>(options, std::move(open), std::move(request),
                                         std::move(call), std::move(on_usage));
}

// base_url: an http or https URL of a host, with an optional path; never credentials, a query
// or a fragment, and no byte that could end the request line or a header. The error shows the
// URL without its credentials (and not at all when it holds control characters).
inline std::string checked_base_url(std::string_view base) {
    for (const char c : base) {
        const auto u = static_cast<unsigned char>(c);
        if (u <= 0x20 || u == 0x7F)
            throw usage_error("base_url holds a space or a control character (CR, LF, NUL...)");
    }
    const std::string shown = "base_url \"" + without_userinfo(base) + "\"";
    const auto scheme_end = base.find("://");
    if (scheme_end == std::string_view::npos)
        throw usage_error(shown + " has no scheme: write http://... or https://...");
    const std::string scheme = to_lower(base.substr(0, scheme_end));
    if (scheme != "http" && scheme != "https")
        throw usage_error(shown + ": the scheme must be http or https");
    const auto authority_end = base.find_first_of("/?#", scheme_end + 3);
    if (base.substr(0, authority_end).find('@', scheme_end + 3) != std::string_view::npos) {
        throw usage_error(shown +
                          " holds credentials (user:password@): the API authenticates "
                          "with the API key; credentials are never sent");
    }
    if (base.find_first_of("?#") != std::string_view::npos)
        throw usage_error(shown + " has a query or a fragment: the API path is appended to it");
    while (!base.empty() && base.back() == '/') base.remove_suffix(1);
    try {
        (void)parse_url(base);
    } catch (const transport_error&) {
        throw usage_error(shown + " is not a valid URL");
    }
    return std::string(base);
}

// Nothing a caller passes may change the framing of the request: header names are tokens,
// values have no control characters, and the framing headers are the client's own.
inline void check_header(const http_header& h, const char* origin) {
    const std::string where = std::string(origin) + " header \"" +
                              (is_token(h.name) ? h.name : std::string("(invalid name)")) + "\"";
    if (!is_token(h.name))
        throw usage_error(std::string(origin) + " header with a name that is not an HTTP token");
    if (!is_field_value(h.value))
        throw usage_error(where + ": its value holds a control character (CR, LF, NUL...)");
    for (const std::string_view owned : framing_headers) {
        if (iequals(h.name, owned))
            throw usage_error(where + " frames the request: the client sets it");
    }
}

template <class Unused>
typename client_engine<Unused>::prepared_call client_engine<Unused>::prepare(
    const client_options& options, const chat_request& request, bool streaming,
    const call_options& call) {
    if (options.api_key.empty()) {
        throw usage_error(
            "no API key: set client_options::api_key or the MISTRAL_API_KEY environment variable");
    }
    if (!is_field_value(options.api_key))
        throw usage_error("the API key holds a control character (CR, LF, NUL...)");
    if (request.model.empty()) throw usage_error("cannot send the request: model is empty");
    if (request.messages.empty()) throw usage_error("cannot send the request: messages is empty");
    if (options.preflight) check_history(request.messages);
    const std::string base = checked_base_url(options.base_url);
    for (const auto& h : options.headers) check_header(h, "client_options");
    for (const auto& h : call.headers) check_header(h, "call_options");

    const timeout_options& timeouts = call.timeouts ? *call.timeouts : options.timeouts;
    prepared_call out;
    http_request& http = out.http;
    http.url = base + "/v1/chat/completions";
    http.headers.add("Authorization", "Bearer " + options.api_key);
    http.headers.add("Content-Type", "application/json");
    http.headers.add("Accept", streaming ? "text/event-stream" : "application/json");
    http.headers.add("User-Agent", "mistral-cpp/" MISTRAL_CPP_VERSION_STRING);
    for (const auto& h : options.headers) http.headers.set(h.name, h.value);
    for (const auto& h : call.headers) http.headers.set(h.name, h.value);
    // Written once, straight from the request (no JSON tree): the body is the only copy.
    http.body = sendable_json(
        request, streaming ? boost::json::object{{"stream", true}} : boost::json::object{});
    http.connect_timeout = timeouts.connect;
    http.read_timeout = streaming ? timeouts.stream_idle : timeouts.read;
    http.stop = call.stop;
    out.sanitize = sanitizer(options.api_key, http.headers, options.secret_headers);
    for (const std::string& password : proxy_secrets(options.transport.proxy))
        out.sanitize.add_secret(password);
    return out;
}

// The wait before the next attempt, or nullopt when the error must be thrown instead.
template <class Unused>
auto client_engine<Unused>::decide_retry(const client_options& options, const retry_policy& policy,
                                         int attempt, const http_headers* asked,
                                         clock::time_point start,
                                         std::optional<clock::time_point> deadline)
    -> std::optional<retry_decision> {
    if (attempt > policy.max_retries) return std::nullopt;
    const auto& env = options.environment;
    retry_decision decision{
        policy.backoff(attempt - 1, env.jitter ? env.jitter() : default_jitter()), "backoff"};
    if (asked != nullptr) {
        const auto wall = env.wall_now ? env.wall_now() : std::chrono::system_clock::now();
        if (const auto wait = parse_retry_after(*asked, wall)) {
            if (*wait > policy.max_retry_after) return std::nullopt;
            decision = {*wait, "Retry-After"};
        }
    }
    const auto t = now(options);
    if (t - start + decision.wait > policy.max_elapsed) return std::nullopt;
    if (deadline && t + decision.wait >= *deadline) return std::nullopt;
    return decision;
}

template <class Unused>
void client_engine<Unused>::sleep(const client_options& options, std::chrono::milliseconds wait,
                                  const stop_token& stop) {
    if (options.environment.sleep) {
        options.environment.sleep(wait, stop);
    } else {
        interruptible_sleep(wait, stop);
    }
    if (stop.stop_requested()) throw cancelled(false);
}

template <class Unused>
chat_response client_engine<Unused>::execute(const client_options& options, send_function send,
                                             prepared_call& prepared, bool streaming,
                                             const call_options& call, sink& sink,
                                             resume_function try_resume, call_progress& progress) {
    const timeout_options& timeouts = call.timeouts ? *call.timeouts : options.timeouts;
    const retry_policy& policy = call.retry ? *call.retry : options.retry;
    http_request& http = prepared.http;
    const sanitizer& sanitize = prepared.sanitize;
    const auto start = now(options);
    if (timeouts.total && !progress.deadline) progress.deadline = start + *timeouts.total;
    const std::optional<clock::time_point> deadline = progress.deadline;
    http.deadline = deadline;

    // The one retry path: throws `failure` unless the policy allows another attempt, else
    // waits for it. `asked` holds the headers of the server's answer, when it answered.
    const auto retry_or_throw = [&](const auto& failure, bool retryable, int attempt,
                                    const http_headers* asked, const std::string& after) {
        const auto decision = retryable
                                  ? decide_retry(options, policy, attempt, asked, start, deadline)
                                  : std::nullopt;
        if (!decision) throw failure;
        log(options, sanitize,
            "retry " + std::to_string(attempt) + after + " in " +
                std::to_string(decision->wait.count()) + " ms (" + decision->reason + ")");
        sleep(options, decision->wait, call.stop);
    };

    // `attempt` counts the attempts of one request (a resume asks a new one).
    for (int attempt = 1;; ++attempt) {
        if (call.stop.stop_requested()) throw cancelled(false);
        if (deadline && now(options) >= *deadline) {
            throw total_timeout_expired();
        }
        ++progress.requests;
        log(options, sanitize,
            "POST " + http.url + (streaming ? " (stream)" : "") + ", attempt " +
                std::to_string(attempt) +
                ", headers: " + sanitizer::describe(http.headers, options.loggable_headers));
        sink.begin_attempt();
        const auto sent = now(options);
        std::optional<transport_error> failure =
            io_failure(options, sanitize, call, sink, [&] { send(http, sink); });
        if (failure) {
            if (sink.completed()) {
                failure.reset();  // [DONE] had arrived: only the draining failed
            } else if (sink.delivered()) {
                if (!try_resume()) sink.fail_mid_stream(*failure);
                attempt = 0;
                continue;
            } else {
                retry_or_throw(*failure, policy.retries_transport(*failure), attempt, nullptr, "");
                continue;
            }
        }
        const response_head& head = sink.head();
        response_metadata meta = make_response_metadata(head.status, head.headers);
        meta.attempts = progress.requests;
        meta.resumes = progress.resumes;
        log(options, sanitize,
            "status " + std::to_string(head.status) + " after " +
                std::to_string(
                    std::chrono::duration_cast<std::chrono::milliseconds>(now(options) - sent)
                        .count()) +
                " ms" + (meta.request_id.empty() ? "" : ", request id " + meta.request_id));
        if (head.status == 407) {
            // Only a proxy sends 407 (the API never does): it is not the API's answer.
            throw transport_error(transport_error_kind::proxy,
                                  "the proxy refused the request: 407 Proxy Authentication "
                                  "Required (give its credentials in transport.proxy.url)",
                                  false);
        }
        if (head.status < 200 || head.status > 299) {
            std::string body = sink.take_body();
            api_error_details details = parse_error_body(body);
            api_error err =
                make_api_error(std::move(meta), std::move(body), std::move(details), sanitize);
            retry_or_throw(err, policy.retries_status(err.status()), attempt, &err.headers(),
                           " after status " + std::to_string(err.status()));
            continue;
        }
        if (streaming && !sink.completed() && try_resume()) {  // ended before [DONE]
            attempt = 0;
            continue;
        }
        return sink.finish(std::move(meta));
    }
}

template <class Unused>
chat_response run_chat(const client_options& options, send_function send,
                       const chat_request& request, const call_options& call) {
    return client_engine<Unused>::chat(options, send, request, call);
}

template <class Unused>
chat_response run_stream(const client_options& options, send_function send,
                         const chat_request& request, chunk_function on_chunk,
                         const call_options& call) {
    return client_engine<Unused>::stream(options, send, request, on_chunk, call);
}

template <class Unused>
std::unique_ptr<stream_source> run_open_stream(const client_options& options, open_function open,
                                               chat_request request, call_options call,
                                               usage_function on_usage) {
    return client_engine<Unused>::open_stream(options, std::move(open), std::move(request),
                                              std::move(call), std::move(on_usage));
}

}  // namespace detail

MISTRAL_NAMESPACE_END
