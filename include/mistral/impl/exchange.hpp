// mistral/impl/exchange.hpp: the definitions of exchange.hpp: the request a call sends (with its
// validation), a whole response decoded, and the stream decoder (events, chunks, folding, error
// bodies, [DONE], limits, redaction). Templates, so that a translation unit compiles them only
// where it uses them; included at the end of exchange.hpp in a header-only build, else only by
// src.hpp.
// SPDX-License-Identifier: MIT
#pragma once

#include <algorithm>
#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include "../detail/ascii.hpp"
#include "../detail/config.hpp"
#include "../detail/prefix_repeat.hpp"
#include "../detail/proxy.hpp"
#include "../detail/sanitize.hpp"
#include "../error.hpp"
#include "../exchange.hpp"
#include "../history.hpp"
#include "../http.hpp"
#include "../json.hpp"
#include "../sse.hpp"
#include "../stream.hpp"
#include "../version.hpp"
#include "chunk_decoder.hpp"

MISTRAL_NAMESPACE_BEGIN

namespace detail {

// Every text of an error is the server's, and a server may echo the key in any of them.
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

inline protocol_error response_too_large(std::size_t limit) {
    return protocol_error("response body larger than max_response_size (" + std::to_string(limit) +
                          " bytes)");
}

// The api_error of a response with an error status, from its metadata (headers redacted) and
// its body (kept up to max_error_body).
inline api_error error_of_response(response_metadata meta, std::string body,
                                   const sanitizer& redact) {
    if (body.size() > max_error_body) body.resize(max_error_body);
    api_error_details details = parse_error_body(body);
    return make_api_error(std::move(meta), std::move(body), std::move(details), redact);
}

// Headers that frame the message on the wire: the client and the transport own them, so a
// caller's header can never change where the body ends or which host it goes to.
inline constexpr std::string_view framing_headers[] = {
    "content-length", "transfer-encoding", "host",   "connection",      "keep-alive", "te",
    "trailer",        "upgrade",           "expect", "proxy-connection"};

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
    // What without_userinfo() would hide is credentials (it errs towards hiding): refused.
    if (without_userinfo(base) != base) {
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

// What must never be printed or kept of a call: the API key, the values of its secret headers
// (the options' and the call's), proxy passwords.
inline sanitizer make_sanitizer(const client_options& options, const call_options& call) {
    http_headers headers = options.headers;
    for (const auto& h : call.headers) headers.set(h.name, h.value);
    sanitizer out(options.api_key, headers, options.secret_headers);
    for (const std::string& password : proxy_secrets(options.transport.proxy))
        out.add_secret(password);
    return out;
}

// A request ready to go, and what must never be printed or kept of it.
struct prepared_call {
    http_request http;
    sanitizer redact;
};

// Before anything else of a call: a key that can be sent.
inline void check_api_key(const client_options& options) {
    // A local OpenAI-compatible server needs no key: then none is sent.
    if (options.api_key.empty() && options.dialect != dialect::openai_compatible) {
        throw usage_error(
            "no API key: set client_options::api_key or the MISTRAL_API_KEY environment variable");
    }
    if (!is_field_value(options.api_key))
        throw usage_error("the API key holds a control character (CR, LF, NUL...)");
}

// The key and the model of a request, checked before anything is sent.
inline void check_key_and_model(const client_options& options, const std::string& model) {
    check_api_key(options);
    if (model.empty()) throw usage_error("cannot send the request: model is empty");
}

// The part of every request that is not the endpoint's: the URL (base_url + path), the headers
// (the API key, the options' and the call's, checked), the timeouts, the stop token and the
// sanitizer. The caller checked the key (check_api_key) and sets the body.
inline prepared_call prepare_http(const client_options& options, const call_options& call,
                                  const char* method, std::string_view path, bool streaming) {
    const std::string base = checked_base_url(options.base_url);
    for (const auto& h : options.headers) check_header(h, "client_options");
    for (const auto& h : call.headers) check_header(h, "call_options");

    const timeout_options& timeouts = call.timeouts ? *call.timeouts : options.timeouts;
    prepared_call out;
    http_request& http = out.http;
    http.method = method;
    http.url = base;
    http.url += path;
    if (!options.api_key.empty()) http.headers.add("Authorization", "Bearer " + options.api_key);
    if (http.method != "GET") http.headers.add("Content-Type", "application/json");
    http.headers.add("Accept", streaming ? "text/event-stream" : "application/json");
    http.headers.add("User-Agent", "mistral-cpp/" MISTRAL_CPP_VERSION_STRING);
    for (const auto& h : options.headers) http.headers.set(h.name, h.value);
    for (const auto& h : call.headers) http.headers.set(h.name, h.value);
    http.connect_timeout = timeouts.connect;
    http.read_timeout = streaming ? timeouts.stream_idle : timeouts.read;
    http.stop = call.stop;
    out.redact = make_sanitizer(options, call);
    return out;
}

// For OpenAI-compatible servers, which take an assistant's content as text (llama.cpp and
// Ollama refuse other parts): the history with the thinking of earlier replies left out, as
// OpenAI's API wants reasoning not sent back; nullopt when no message has thinking (no copy).
inline std::optional<chat_request> without_thinking(const chat_request& request) {
    const auto has_thinking = [](const message& m) {
        const auto* a = std::get_if<assistant_message>(&m);
        const auto* list = a != nullptr && a->content
                               ? std::get_if<std::vector<content_chunk>>(&*a->content)
                               : nullptr;
        return list != nullptr && std::any_of(list->begin(), list->end(), [](const auto& piece) {
                   return std::holds_alternative<thinking_chunk>(piece);
               });
    };
    if (std::none_of(request.messages.begin(), request.messages.end(), has_thinking))
        return std::nullopt;
    std::optional<chat_request> out(request);
    for (message& m : out->messages) {
        if (!has_thinking(m)) continue;
        auto& content = *std::get<assistant_message>(m).content;
        auto& list = std::get<std::vector<content_chunk>>(content);
        std::erase_if(
            list, [](const auto& piece) { return std::holds_alternative<thinking_chunk>(piece); });
        if (std::all_of(list.begin(), list.end(), [](const auto& piece) {
                return std::holds_alternative<text_chunk>(piece);
            }))
            content = text_of(content);
    }
    return out;
}

// The body of a chat or FIM request, plain or streamed, in the client's dialect. Written once,
// straight from the request (no JSON tree): the body is the only copy.
template <class Request>
std::string completion_body(const client_options& options, const Request& request, bool streaming) {
    boost::json::object overrides;
    if (streaming) overrides["stream"] = true;
    if (options.dialect == dialect::mistral) return sendable_json(request, overrides);
    if constexpr (std::is_same_v<Request, chat_request>) {
        if (const std::optional<chat_request> plain = without_thinking(request))
            return completion_body(options, *plain, streaming);
    }
    // OpenAI's names: `seed`, and usage in a stream only when asked for.
    if (request.random_seed && request.extra.contains("seed")) {
        throw usage_error(
            "cannot send the request: random_seed and extra[\"seed\"] are both set "
            "(dialect::openai_compatible sends random_seed as seed)");
    }
    if (streaming && !request.extra.contains("stream_options"))
        overrides["stream_options"] = boost::json::object{{"include_usage", true}};
    static constexpr member_rename openai_names[] = {{"random_seed", "seed"}};
    return sendable_json(request, overrides, openai_names);
}

// prepare_request(), with the form asked for: the streamed request or the plain one.
template <class Unused = void>
prepared_call prepare_call(const client_options& options, const chat_request& request,
                           const call_options& call, bool streaming) {
    check_key_and_model(options, request.model);
    if (request.messages.empty()) throw usage_error("cannot send the request: messages is empty");
    // The history rules are the API's own (other servers make longer tool-call ids, say).
    if (options.preflight && options.dialect == dialect::mistral) check_history(request.messages);
    prepared_call out = prepare_http(options, call, "POST", "/v1/chat/completions", streaming);
    out.http.body = completion_body(options, request, streaming);
    return out;
}

// An error sent with a success status (inside a 200 stream, or as a 200 reply): its status is
// the payload's raw_status_code when present, else an HTTP status in its `code` (as
// OpenAI-compatible servers send), else the response's. A payload that is not JSON is the
// error's message.
inline api_error error_in_success(const response_head& head, std::string body,
                                  const sanitizer& redact) {
    api_error_details details = parse_error_body(body);
    if (details.message.empty() && details.type.empty() && details.code.empty())
        details.message = body;
    int status = head.status;
    if (details.raw_status_code) {
        status = *details.raw_status_code;
    } else if (const auto code = parse_header_integer(details.code);
               code && *code >= 400 && *code <= 599) {
        status = static_cast<int>(*code);
    }
    return make_api_error(make_response_metadata(status, head.headers), std::move(body),
                          std::move(details), redact);
}

// The parts of a stream decoder: the event parser, the chunk decoder, the fold, the error body,
// and a resumed stream's prefix.
template <class Unused>
struct stream_decoder_state {
    enum class mode { events, error_body, unexpected_body };

    stream_decoder_state(const client_options& options, const call_options& call)
        : redact(make_sanitizer(options, call)),
          parser(options.max_event_size),
          decoder(&redact, options.dialect == dialect::openai_compatible),
          accumulate(call.accumulate),
          max_folded(options.max_response_size),
          error_body(max_error_body) {}

    // A new response of the same call (a retry, or a resume that continues the fold).
    void begin_response() {
        head = {};
        error_body.clear();
        parser.reset();
        if (prefix.empty()) {
            fold = stream_accumulator(accumulate);
        } else {
            repeat.emplace(prefix);  // a resumed stream keeps what it delivered
        }
        state = mode::events;
        delivered = done_seen = stopped = false;
    }

    void on_head(const response_head& received) {
        head = {received.status, redact(received.headers)};
        if (head.status < 200 || head.status > 299) {
            state = mode::error_body;
        } else if (const auto type = head.headers.find("content-type");
                   !type || !starts_with_icase(*type, "text/event-stream")) {
            state = mode::unexpected_body;
        }
        fold.set_http(make_response_metadata(head.status, head.headers));
    }

    void feed(std::string_view bytes, function_ref<bool(const chat_chunk&)> on_chunk) {
        if (state != mode::events) {
            error_body.append(bytes);
            return;
        }
        if (done_seen || stopped) return;  // the rest only ends the body
        callback = &on_chunk;
        try {
            parser.feed(
                bytes, [this](const sse::event& e) { on_event(e); },
                [this](std::string_view name, std::string_view value) {
                    // llama.cpp's server reports a failure in a stream as an `error:` line.
                    if (name == "error") on_event(sse::event{"error", value, {}, {}});
                });
        } catch (const sse::size_limit_error& e) {
            parser.reset();
            protocol_error failure(std::string(e.what()) + " (client_options::max_event_size)");
            attach_partial(failure);
            throw failure;
        } catch (error& e) {
            parser.reset();
            if (e.partial_response() == nullptr) attach_partial(e);
            throw;
        } catch (...) {
            parser.reset();
            throw;
        }
    }

    // [DONE] ends the stream. The WHATWG rules dispatch an event only at the blank line that
    // follows it, so a body that ends right after the "data: [DONE]" line (one line end, then
    // the end) leaves it undispatched: the parser, which stays exact, discards it. But [DONE]
    // and everything before it did arrive, so the stream is complete.
    bool done() const noexcept {
        if (done_seen) return true;
        const auto pending = parser.pending_event();
        return pending && pending->type == "message" && pending->data == "[DONE]";
    }

    chat_response finish() {
        if (state == mode::error_body) throw error_of_body();
        if (state == mode::unexpected_body) {
            const auto type = head.headers.find("content-type");
            throw protocol_error("expected an event stream, got Content-Type \"" +
                                 std::string(type.value_or("")) +
                                 "\": " + redact.excerpt(error_body.text()));
        }
        if (!done() && !stopped) {
            protocol_error e("stream ended before [DONE] after " +
                             std::to_string(fold.chunk_count()) + " chunks" +
                             (parser.finish() ? "" : " (in the middle of an event)"));
            attach_partial(e);
            throw e;
        }
        if (!stopped) check_tool_calls();
        chat_response r = fold.take();
        r.http = make_response_metadata(head.status, head.headers);
        prefix.clear();
        repeat.reset();
        return r;
    }

    // The api_error of an error status, from the body collected.
    api_error error_of_body() {
        return error_of_response(make_response_metadata(head.status, head.headers),
                                 std::move(error_body.text()), redact);
    }

    // The text delivered so far, when the stream was cut in a way that can be resumed: a reply
    // of plain text in one choice, not finished, not stopped.
    std::optional<std::string> resumable_text() const {
        if (!accumulate || state != mode::events || done() || stopped) return std::nullopt;
        const auto& choices = fold.response().choices;
        if (choices.size() != 1 || choices[0].finish_reason) return std::nullopt;
        const assistant_message& m = choices[0].message;
        if ((m.tool_calls && !m.tool_calls->empty()) || !m.thinking().empty()) return std::nullopt;
        std::string text = m.text();
        if (text.empty()) return std::nullopt;
        return text;
    }

    // The next response continues this one after `text`, dropping a repeat of it; what it bills
    // adds to what the cut one billed.
    void resume(std::string text) {
        prefix = std::move(text);
        fold.begin_continuation();
    }

    void attach_partial(error& e) const {
        if (fold.chunk_count() > 0) {
            chat_response partial = fold.response();
            partial.http = make_response_metadata(head.status, head.headers);
            e.set_partial_response(std::make_shared<const chat_response>(std::move(partial)));
        }
    }

    // A folded tool call without a name can be neither run nor sent back (a response's tool
    // call requires one): the stream never sent it, so the stream was malformed.
    void check_tool_calls() const {
        const auto& choices = fold.response().choices;
        for (std::size_t i = 0; i < choices.size(); ++i) {
            const auto& calls = choices[i].message.tool_calls;
            for (std::size_t k = 0; calls && k < calls->size(); ++k) {
                if (!(*calls)[k].function.name.empty()) continue;
                const std::string path = "choices[" + std::to_string(i) + "].message.tool_calls[" +
                                         std::to_string(k) + "].function.name";
                protocol_error e(path + ": no piece of the stream carried it", path);
                attach_partial(e);
                throw e;
            }
        }
    }

    void on_event(const sse::event& e) {
        if (done_seen || stopped) return;
        const auto result = decoder.decode(e.type, e.data);
        if (result != chunk_decoder<>::result::skip) ++events;
        switch (result) {
            case chunk_decoder<>::result::skip:
                return;
            case chunk_decoder<>::result::done:
                done_seen = true;
                if (repeat && !repeat->settled()) release_held();
                return;
            case chunk_decoder<>::result::error:
                throw stream_error();
            case chunk_decoder<>::result::chunk:
                break;
        }
        const chat_chunk* chunk = &decoder.chunk();
        if (repeat && !repeat->settled()) {
            chunk = without_repeat(*chunk);
            if (chunk == nullptr) return;
        }
        deliver(*chunk);
    }

    void deliver(const chat_chunk& chunk) {
        fold.add(chunk);
        // A compressed body can inflate a few megabytes into gigabytes of valid chunks.
        if (fold.folded_size() > max_folded) {
            throw protocol_error("the streamed response grew past max_response_size (" +
                                 std::to_string(max_folded) + " bytes)");
        }
        delivered = true;
        if (!(*callback)(chunk)) stopped = true;
    }

    // A continuation's chunk with the repeat of the prefix taken out of its text (one choice:
    // only such replies are resumed), or nullptr when it carries nothing else to deliver.
    const chat_chunk* without_repeat(const chat_chunk& chunk) {
        edited = chunk;
        bool carries = edited.usage.has_value();
        for (chunk_choice& choice : edited.choices) {
            const bool last = choice.finish_reason.has_value();
            auto& content = choice.delta.content;
            if (!content) {
                if (last && !repeat->settled()) content.emplace(repeat->release());
                carries = carries || last || choice.delta.tool_calls.has_value();
                continue;
            }
            if (auto* text = std::get_if<std::string>(&*content)) {
                *text = repeat->filter(*text, last);
                carries = carries || !text->empty();
            } else {
                auto& list = std::get<std::vector<content_chunk>>(*content);
                for (content_chunk& piece : list) {
                    if (auto* t = std::get_if<text_chunk>(&piece))
                        t->text = repeat->filter(t->text, false);
                }
                if (last && !repeat->settled()) list.push_back(text_chunk{repeat->release()});
                std::erase_if(list, [](const content_chunk& piece) {
                    const auto* t = std::get_if<text_chunk>(&piece);
                    return t != nullptr && t->text.empty();
                });
                carries = carries || !list.empty();
            }
            carries = carries || last || choice.delta.tool_calls.has_value();
        }
        return carries ? &edited : nullptr;
    }

    // [DONE] while the continuation still matched the prefix: what it held back is its own.
    void release_held() {
        std::string text = repeat->release();
        if (text.empty()) return;
        const chat_response& folded = fold.response();
        edited = chat_chunk{.id = folded.id,
                            .object = "chat.completion.chunk",
                            .created = folded.created,
                            .model = folded.model,
                            .choices = {{.index = 0, .delta = {.content = std::move(text)}}}};
        deliver(edited);
    }

    // An error inside a 200 stream (an error event, a payload that is an error object, an
    // `error:` line), with what the stream delivered before it.
    api_error stream_error() const {
        api_error e = error_in_success(head, decoder.error_data(), redact);
        attach_partial(e);
        return e;
    }

    sanitizer redact;
    sse::parser parser;
    chunk_decoder<> decoder;
    bool accumulate;
    std::size_t max_folded;
    stream_accumulator fold{accumulate};
    response_head head;
    body_buffer error_body;
    std::string prefix;                   // what a resumed stream had delivered
    std::optional<prefix_repeat> repeat;  // drops its repeat from the continuation
    chat_chunk edited;
    mode state = mode::events;
    std::uint64_t events = 0;
    bool delivered = false;
    bool done_seen = false;
    bool stopped = false;
    function_ref<bool(const chat_chunk&)>* callback = nullptr;
};

// What the library's own drivers (the blocking engine, the Asio client) need of a decoder
// beyond its public interface: retries, resumes and the partial response of a failure.
struct stream_decoder_access {
    template <class U>
    static stream_decoder_state<U>& state(basic_stream_decoder<U>& d) noexcept {
        return *d.state_;
    }
    template <class U>
    static const stream_decoder_state<U>& state(const basic_stream_decoder<U>& d) noexcept {
        return *d.state_;
    }
};

}  // namespace detail

template <class Unused>
http_request prepare_request(const client_options& options, const chat_request& request,
                             const call_options& call) {
    return detail::prepare_call<Unused>(options, request, call, request.stream.value_or(false))
        .http;
}

namespace detail {

// A whole answer of a JSON endpoint, parsed, before its type's codec reads it.
struct json_reply {
    boost::json::value json;
    response_metadata http;
};

// The reply as the endpoint's response type (every one has an `http` member): unknown members
// move out of the tree.
template <class T>
T read_reply(json_reply&& reply) {
    T out;
    read_json(std::move(reply.json), out);
    out.http = std::move(reply.http);
    return out;
}

// A whole non-streamed answer of any endpoint as JSON, for its own codec to read: the error of an
// error status, the size bound and malformed JSON are thrown here, as chat() throws them.
template <class Unused = void>
json_reply parse_reply(const response_head& head, std::string_view body,
                       const client_options& options, const call_options& call) {
    const sanitizer redact = make_sanitizer(options, call);
    const response_head kept{head.status, redact(head.headers)};
    if (head.status < 200 || head.status > 299) {
        throw error_of_response(make_response_metadata(kept.status, kept.headers),
                                std::string(body.substr(0, max_error_body)), redact);
    }
    if (body.size() > options.max_response_size)
        throw response_too_large(options.max_response_size);
    boost::system::error_code ec;
    json_reply out;
    out.json = boost::json::parse(body, ec);
    if (ec) {
        throw protocol_error("malformed JSON response (" + ec.message() +
                             "): " + redact.excerpt(body));
    }
    if (auto* obj = out.json.if_object()) {
        if (is_error_object(*obj)) throw error_in_success(kept, std::string(body), redact);
        if (options.dialect == dialect::openai_compatible)
            each_choice_member(*obj, "message", reasoning_as_thinking);
    }
    out.http = make_response_metadata(kept.status, kept.headers);
    return out;
}

}  // namespace detail

template <class Unused>
chat_response decode_response(const response_head& head, std::string_view body,
                              const client_options& options, const call_options& call) {
    return detail::read_reply<chat_response>(
        detail::parse_reply<Unused>(head, body, options, call));
}

template <class Unused>
basic_stream_decoder<Unused>::basic_stream_decoder(const client_options& options,
                                                   const call_options& call)
    : state_(std::make_unique<detail::stream_decoder_state<Unused>>(options, call)) {}

template <class Unused>
basic_stream_decoder<Unused>::basic_stream_decoder(basic_stream_decoder&&) noexcept = default;
template <class Unused>
basic_stream_decoder<Unused>& basic_stream_decoder<Unused>::operator=(
    basic_stream_decoder&&) noexcept = default;
template <class Unused>
basic_stream_decoder<Unused>::~basic_stream_decoder() = default;

template <class Unused>
void basic_stream_decoder<Unused>::head(const response_head& head) {
    state_->on_head(head);
}

template <class Unused>
void basic_stream_decoder<Unused>::feed_chunks(
    std::string_view bytes, detail::function_ref<bool(const chat_chunk&)> on_chunk) {
    state_->feed(bytes, on_chunk);
}

template <class Unused>
bool basic_stream_decoder<Unused>::done() const noexcept {
    return state_->done();
}

template <class Unused>
bool basic_stream_decoder<Unused>::stopped() const noexcept {
    return state_->stopped;
}

template <class Unused>
chat_response basic_stream_decoder<Unused>::finish() {
    return state_->finish();
}

template <class Unused>
const chat_response& basic_stream_decoder<Unused>::response() const noexcept {
    return state_->fold.response();
}

template <class Unused>
std::uint64_t basic_stream_decoder<Unused>::events() const noexcept {
    return state_->events;
}

MISTRAL_NAMESPACE_END
