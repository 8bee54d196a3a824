// mistral/impl/client_engine.hpp: the blocking client's driver: it runs the attempts of a call
// (call_plan: retries, resumes, the deadline) over a transport, and hands the response to the
// byte-fed core (exchange.hpp: decode_response, stream_decoder), so that the Asio client and any
// other driver apply the same rules. Type-erased over the transport and the callback, so it is
// compiled once in separate compilation: included at the end of client.hpp in a header-only
// build, else only by src.hpp.
// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include "../chat_stream.hpp"
#include "../client.hpp"
#include "../detail/config.hpp"
#include "../detail/function_ref.hpp"
#include "../detail/sleep.hpp"
#include "../error.hpp"
#include "../exchange.hpp"
#include "../stop_token.hpp"
#include "../transport.hpp"
#include "../types.hpp"
#include "call_plan.hpp"
#include "exchange.hpp"

MISTRAL_NAMESPACE_BEGIN

namespace detail {

// Everything a blocking call does that does not depend on the transport's type. A template only
// so that a translation unit that includes it without calling a client compiles none of it.
template <class Unused = void>
class client_engine {
public:
    static chat_response chat(const client_options& options, send_function send,
                              const chat_request& request, const call_options& call);
    static chat_response stream(const client_options& options, send_function send,
                                const chat_request& request, chunk_function on_chunk,
                                const call_options& call);
    // Another endpoint's stream of chat chunks (FIM), prepared by it: never resumed.
    static chat_response stream_call(const client_options& options, send_function send,
                                     prepared_call request, chunk_function on_chunk,
                                     const call_options& call);
    static std::unique_ptr<stream_source> open_stream(const client_options& options,
                                                      open_function open, chat_request request,
                                                      call_options call, usage_function on_usage);
    // Any other JSON endpoint's request, prepared by it (impl/endpoints.hpp): the answer parsed,
    // for its own codec to read.
    static json_reply call_json(const client_options& options, send_function send,
                                prepared_call request, const call_options& call);
    // A download (a file's content): each piece of a 2xx body handed to on_bytes as it arrives,
    // retried only until its first byte reached it.
    static void download(const client_options& options, send_function send, prepared_call request,
                         function_ref<bool(std::string_view)> on_bytes, const call_options& call);

private:
    using clock = std::chrono::steady_clock;
    using plan = call_plan<Unused>;
    class pull_source;

    // What receives the response of one call, attempt after attempt: the transport's handler.
    class sink : public response_handler {
    public:
        virtual void begin_attempt() = 0;
        // Whether anything reached the caller (then nothing is retried).
        virtual bool delivered() const noexcept = 0;
        // Whether the stream's [DONE] arrived (a failure while draining after it is ignored).
        virtual bool completed() const noexcept = 0;
        // An exception raised while handling the body (the callback's, a decoding error, an
        // error event): never retried, and it carries what arrived.
        virtual void rethrow_if_failed() = 0;
        // A bound the sink keeps itself expired (it stopped the transfer).
        virtual std::optional<transport_error> stalled() const { return std::nullopt; }
        // The head as received (secrets the server echoed removed by the decoder).
        virtual const response_head& head() const noexcept = 0;
        // The api_error of an error status, from the body received, with the call's attempts.
        virtual api_error error(const plan& p) = 0;
        // The api_error of a response's error status and body.
        static api_error error_of(const plan& p, const response_head& head, std::string body) {
            response_metadata meta = make_response_metadata(head.status, head.headers);
            p.stamp(meta);
            return error_of_response(std::move(meta), std::move(body), p.redact());
        }
        // A stream cut after chunks arrived: resumed when the plan allows (true), else this
        // throws what the cut is to the caller.
        virtual bool resume_or_fail(plan& p, const transport_error& e) = 0;
        // Whether a body that ended before [DONE] is resumed.
        virtual bool resume(plan& p) = 0;

    protected:
        ~sink() = default;
    };

    // Receives the response of chat(): the JSON body, decoded by the byte-fed core.
    class json_sink final : public sink {
    public:
        explicit json_sink(const plan& p) : plan_(p), body_(max_error_body) {}

        void begin_attempt() override {
            head_ = {};
            body_.clear();
        }
        bool on_head(response_head head) override {
            head_ = {head.status, plan_.redact()(head.headers)};
            const bool success = head_.status >= 200 && head_.status <= 299;
            const std::size_t max = plan_.options().max_response_size;
            body_ = body_buffer(success ? max : std::min(max, max_error_body));
            return true;
        }
        bool on_body(std::string_view piece) override { return body_.append(piece); }
        bool delivered() const noexcept override { return false; }
        bool completed() const noexcept override { return false; }
        void rethrow_if_failed() override {}
        const response_head& head() const noexcept override { return head_; }
        api_error error(const plan& p) override {
            return sink::error_of(p, head_, std::move(body_.text()));
        }
        json_reply finish() {
            if (body_.overflow()) throw response_too_large(plan_.options().max_response_size);
            std::string body = std::move(body_.text());  // freed before the tree is decoded
            return parse_reply<Unused>(head_, body, plan_.options(), plan_.call());
        }
        bool resume_or_fail(plan&, const transport_error& e) override { throw e; }
        bool resume(plan&) override { return false; }

    private:
        const plan& plan_;
        response_head head_;
        body_buffer body_;
    };

    // Receives the response of stream(): a stream_decoder fed from the transport, the caller's
    // callback behind it. Exceptions cannot cross a transport, so they wait in failure_ and the
    // transfer is stopped.
    class event_sink final : public sink {
    public:
        event_sink(chunk_function on_chunk, const plan& p)
            : plan_(p),
              on_chunk_(on_chunk),
              decoder_(p.options(), p.call()),
              idle_((p.call().timeouts ? *p.call().timeouts : p.options().timeouts).stream_idle) {}

        void begin_attempt() override {
            state().begin_response();
            failure_ = nullptr;
            stalled_.reset();
        }
        bool on_head(response_head head) override {
            decoder_.head(head);
            last_event_ = clock::now();
            return true;
        }
        bool on_body(std::string_view piece) override {
            if (decoder_.done()) return true;  // drained so that the connection can be reused
            const auto events_before = decoder_.events();
            try {
                decoder_.feed(piece, on_chunk_);
            } catch (...) {
                failure_ = std::current_exception();
                return false;
            }
            // stream_idle bounds the silence between events, not between bytes: a server that
            // sends only comments (": keep-alive") does not hold a stream forever.
            const auto now = clock::now();
            if (decoder_.events() != events_before) {
                last_event_ = now;
            } else if (reads_events() && now - last_event_ >= idle_) {
                stalled_.emplace(transport_error_kind::timeout,
                                 "no event for " + std::to_string(idle_.count()) +
                                     " ms (timeouts.stream_idle); the server sent only "
                                     "comments or keep-alives",
                                 true);
                return false;
            }
            return !decoder_.stopped();
        }
        bool complete() const noexcept override { return reads_events() && decoder_.done(); }
        bool delivered() const noexcept override { return state().delivered; }
        bool completed() const noexcept override { return decoder_.done(); }
        std::optional<transport_error> stalled() const override { return stalled_; }
        void rethrow_if_failed() override {
            if (failure_) std::rethrow_exception(std::exchange(failure_, nullptr));
        }
        const response_head& head() const noexcept override { return state().head; }
        api_error error(const plan& p) override {
            return sink::error_of(p, state().head, std::move(state().error_body.text()));
        }
        chat_response finish() { return decoder_.finish(); }

        bool resume_or_fail(plan& p, const transport_error& e) override {
            if (p.resume(decoder_)) return true;
            fail_mid_stream(e);
        }
        bool resume(plan& p) override { return p.resume(decoder_); }

        bool reads_events() const noexcept {
            return state().state == stream_decoder_state<Unused>::mode::events;
        }
        const chat_response& folded() const noexcept { return decoder_.response(); }

        // Attaches what arrived to an error thrown without it.
        void attach_partial_if_missing(mistral::error& e) const {
            if (e.partial_response() == nullptr) state().attach_partial(e);
        }

        // The transport failed after chunks reached the caller: timeouts and cancellation keep
        // their kind; a broken connection is a stream that ended early.
        [[noreturn]] void fail_mid_stream(const transport_error& e) const {
            if (e.kind() == transport_error_kind::timeout ||
                e.kind() == transport_error_kind::cancelled) {
                transport_error copy = e;
                state().attach_partial(copy);
                throw copy;
            }
            protocol_error ended("stream ended before [DONE] after " +
                                 std::to_string(folded_chunks()) + " chunks: " + e.what());
            state().attach_partial(ended);
            throw ended;
        }

        // The folded response's metadata counts the call's attempts and resumes so far.
        void stamp(const plan& p) {
            response_metadata meta =
                make_response_metadata(state().head.status, state().head.headers);
            p.stamp(meta);
            state().fold.set_http(std::move(meta));
        }

    private:
        stream_decoder_state<Unused>& state() noexcept {
            return stream_decoder_access::state(decoder_);
        }
        const stream_decoder_state<Unused>& state() const noexcept {
            return stream_decoder_access::state(decoder_);
        }
        std::size_t folded_chunks() const noexcept { return state().fold.chunk_count(); }

        const plan& plan_;
        chunk_function on_chunk_;
        basic_stream_decoder<Unused> decoder_;
        std::chrono::milliseconds idle_;
        clock::time_point last_event_ = clock::now();
        std::optional<transport_error> stalled_;
        std::exception_ptr failure_;
    };

    // Receives a download: the pieces of a 2xx body go to the caller as they arrive; an error
    // status's body is kept for its api_error.
    class byte_sink final : public sink {
    public:
        byte_sink(function_ref<bool(std::string_view)> on_bytes, const plan& p)
            : plan_(p), on_bytes_(on_bytes), error_body_(max_error_body) {}

        void begin_attempt() override {
            head_ = {};
            error_body_.clear();
        }
        bool on_head(response_head head) override {
            head_ = {head.status, plan_.redact()(head.headers)};
            return true;
        }
        bool on_body(std::string_view piece) override {
            if (head_.status < 200 || head_.status > 299) return error_body_.append(piece);
            if (piece.empty()) return true;
            received_ += piece.size();
            try {
                return on_bytes_(piece);
            } catch (...) {
                failure_ = std::current_exception();
                return false;
            }
        }
        bool delivered() const noexcept override { return received_ != 0; }
        bool completed() const noexcept override { return false; }
        void rethrow_if_failed() override {
            if (failure_) std::rethrow_exception(std::exchange(failure_, nullptr));
        }
        const response_head& head() const noexcept override { return head_; }
        api_error error(const plan& p) override {
            return sink::error_of(p, head_, std::move(error_body_.text()));
        }
        // What reached the caller cannot be taken back: a cut download is not retried.
        bool resume_or_fail(plan&, const transport_error& e) override {
            throw transport_error(
                e.kind(), "download cut after " + std::to_string(received_) + " bytes: " + e.what(),
                e.request_sent());
        }
        bool resume(plan&) override { return false; }

    private:
        const plan& plan_;
        function_ref<bool(std::string_view)> on_bytes_;
        response_head head_;
        body_buffer error_body_;
        std::uint64_t received_ = 0;
        std::exception_ptr failure_;
    };

    // The attempts of a call until a response: retries of transport failures and error statuses,
    // resumes of a stream cut after chunks arrived. With `until_head`, returns once a 2xx head
    // arrived (open_stream() reads the body later); else the whole response.
    static void execute(plan& p, send_function send, sink& s, bool until_head);
    static chat_response streamed(plan& p, send_function send, chunk_function on_chunk);
    static void sleep(const plan& p, std::chrono::milliseconds wait);
    // Runs one piece of I/O (a send, a read of the body) and says how it failed, if it did:
    // the transport's error (or the sink's own bound) without secrets, logged. A failure of the
    // sink (the callback's, a decoding error) is thrown instead. Cancellation wins over whatever
    // the aborted exchange looked like (a close-delimited body simply ends when its socket is
    // shut down).
    template <class Io>
    static std::optional<transport_error> io_failure(const plan& p, sink& s, Io&& io) {
        std::optional<transport_error> failure;
        try {
            io();
        } catch (const transport_error& e) {
            failure.emplace(e);
        }
        if (auto stalled = s.stalled()) failure = std::move(stalled);
        s.rethrow_if_failed();
        if (p.call().stop.stop_requested() && !s.completed() &&
            (!failure || failure->kind() != transport_error_kind::cancelled)) {
            failure.emplace(cancelled(true));
        }
        if (failure) failure.emplace(p.failure(*failure));
        return failure;
    }
};

template <class Unused>
void client_engine<Unused>::sleep(const plan& p, std::chrono::milliseconds wait) {
    const stop_token& stop = p.call().stop;
    if (p.options().environment.sleep) {
        p.options().environment.sleep(wait, stop);
    } else {
        interruptible_sleep(wait, stop);
    }
    if (stop.stop_requested()) throw cancelled(false);
}

template <class Unused>
void client_engine<Unused>::execute(plan& p, send_function send, sink& s, bool until_head) {
    // The one retry path: throws `failure` unless the plan allows another attempt, else waits.
    const auto retry_or_throw = [&p](const auto& failure, const auto& decision) {
        if (!decision) throw failure;
        sleep(p, decision->wait);
    };
    for (;;) {
        p.begin_attempt();
        s.begin_attempt();
        const std::optional<transport_error> failure =
            io_failure(p, s, [&] { send(p.request(), s); });
        if (failure && !s.completed()) {  // after [DONE], only the draining failed
            if (s.delivered()) {
                s.resume_or_fail(p, *failure);
            } else {
                retry_or_throw(*failure, p.retry_after(*failure));
            }
            continue;
        }
        const response_head& head = s.head();
        p.on_head(head);
        if (head.status < 200 || head.status > 299) {
            const api_error e = s.error(p);
            retry_or_throw(e, p.retry_after(e));
            continue;
        }
        if (until_head) return;
        if (p.streaming() && !s.completed() && s.resume(p)) continue;  // ended before [DONE]
        return;
    }
}

template <class Unused>
chat_response client_engine<Unused>::chat(const client_options& options, send_function send,
                                          const chat_request& request, const call_options& call) {
    plan p(options, request, call, false);  // refuses "stream": true
    json_sink sink(p);
    execute(p, send, sink, false);
    chat_response r = read_reply<chat_response>(sink.finish());
    p.stamp(r.http);
    return r;
}

template <class Unused>
json_reply client_engine<Unused>::call_json(const client_options& options, send_function send,
                                            prepared_call request, const call_options& call) {
    plan p(options, std::move(request), call);
    json_sink sink(p);
    execute(p, send, sink, false);
    json_reply r = sink.finish();
    p.stamp(r.http);
    return r;
}

template <class Unused>
void client_engine<Unused>::download(const client_options& options, send_function send,
                                     prepared_call request,
                                     function_ref<bool(std::string_view)> on_bytes,
                                     const call_options& call) {
    plan p(options, std::move(request), call);
    byte_sink sink(on_bytes, p);
    execute(p, send, sink, false);
}

template <class Unused>
chat_response client_engine<Unused>::stream(const client_options& options, send_function send,
                                            const chat_request& request, chunk_function on_chunk,
                                            const call_options& call) {
    plan p(options, request, call, true);
    return streamed(p, send, on_chunk);
}

template <class Unused>
chat_response client_engine<Unused>::stream_call(const client_options& options, send_function send,
                                                 prepared_call request, chunk_function on_chunk,
                                                 const call_options& call) {
    plan p(options, std::move(request), call, true);
    return streamed(p, send, on_chunk);
}

template <class Unused>
chat_response client_engine<Unused>::streamed(plan& p, send_function send,
                                              chunk_function on_chunk) {
    event_sink sink(on_chunk, p);
    try {
        execute(p, send, sink, false);
        chat_response r = sink.finish();
        p.stamp(r.http);
        return r;
    } catch (error& e) {
        sink.attach_partial_if_missing(e);
        throw;
    }
}

// The stream of open_stream(): the same attempts as stream() up to the response head, then the
// body is read step by step, as the caller asks for chunks.
template <class Unused>
class client_engine<Unused>::pull_source final : public stream_source {
public:
    pull_source(const client_options& options, open_function open, chat_request request,
                call_options call, usage_function on_usage)
        : open_(std::move(open)),
          on_usage_(std::move(on_usage)),
          request_(std::move(request)),
          call_(std::move(call)),
          plan_(options, request_, call_, true),
          sink_(ready_, plan_) {
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
        execute(plan_, send, sink_, true);
        if (!sink_.reads_events()) sink_.finish();  // throws what a 2xx that is not SSE is
        sink_.stamp(plan_);
    }

    void read_some() {
        std::string_view piece;
        const auto failure = io_failure(plan_, sink_, [&] { piece = reader_->read(); });
        if (failure) {
            if (!sink_.completed()) {
                resume_or_fail(*failure);
                return;
            }
            piece = {};  // [DONE] had arrived: only the draining failed
        }
        if (piece.empty()) {
            if (!sink_.completed() && resume()) return;
            reader_.reset();
            final_.emplace(sink_.finish());
            plan_.stamp(final_->http);
            report(final_->usage);
            return;
        }
        sink_.on_body(piece);
        sink_.rethrow_if_failed();
        if (const auto stalled = sink_.stalled()) {
            resume_or_fail(plan_.failure(*stalled));
            return;
        }
        if (sink_.completed()) reader_->content_complete();  // the rest only ends the body
    }

    void resume_or_fail(const transport_error& failure) {
        if (!sink_.resume(plan_)) sink_.fail_mid_stream(failure);
        reader_.reset();
        connect();
    }

    bool resume() {
        if (!sink_.resume(plan_)) return false;
        reader_.reset();
        connect();
        return true;
    }

    void report(const usage_info& usage) {
        if (std::exchange(reported_, true)) return;
        if (on_usage_) on_usage_(usage);
    }

    open_function open_;
    usage_function on_usage_;
    chat_request request_;
    call_options call_;
    plan plan_;
    ready_chunks ready_;
    std::size_t taken_ = 0;  // of ready_: handed out to the caller
    event_sink sink_;
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
