// mistral-cpp: a header-only C++20 client for the Mistral AI Chat Completion API.
// SPDX-License-Identifier: MIT
//
// Streaming: folding chunks into a response (stream_accumulator), and decoding the `data` of
// each server-sent event into a chat_chunk without allocating per chunk (chunk_decoder).
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parser.hpp>

#include "error.hpp"
#include "json.hpp"
#include "metadata.hpp"
#include "types.hpp"

namespace mistral {

/// Folds the chunks of a stream into the response a non-streaming call would have returned:
/// content text and thinking concatenated per choice, tool calls merged by their `index`
/// (whether each arrives whole or its arguments in pieces), the last finish_reason and usage,
/// and unknown members kept. client::stream() uses it and returns its response; it is also
/// usable by hand:
///
///     mistral::stream_accumulator acc;
///     acc.add(chunk);                       // for every chunk, in order
///     mistral::chat_response r = acc.response();
class stream_accumulator {
public:
    /// Folds one chunk in.
    void add(const chat_chunk& chunk) {
        if (chunks_++ == 0) {
            response_.id = chunk.id;
            response_.object = "chat.completion";
            response_.model = chunk.model;
            response_.created = chunk.created.value_or(0);
        }
        for (const auto& kv : chunk.extra) response_.extra.insert_or_assign(kv.key(), kv.value());
        if (chunk.usage) response_.usage = *chunk.usage;
        for (const chunk_choice& c : chunk.choices) fold(choice_at(c.index), c);
    }

    /// The response folded so far.
    const chat_response& response() const noexcept { return response_; }
    /// Moves the response out; the accumulator is then empty.
    chat_response take() {
        chunks_ = 0;
        return std::exchange(response_, chat_response{});
    }
    /// Number of chunks folded.
    std::size_t chunk_count() const noexcept { return chunks_; }

private:
    chat_choice& choice_at(std::int64_t index) {
        for (auto& c : response_.choices) {
            if (c.index == index) return c;
        }
        response_.choices.push_back(chat_choice{.index = index});
        return response_.choices.back();
    }

    static void fold(chat_choice& into, const chunk_choice& c) {
        const delta_message& delta = c.delta;
        if (delta.content) append_content(into.message, *delta.content);
        if (delta.tool_calls) {
            if (!into.message.tool_calls) into.message.tool_calls.emplace();
            for (const tool_call& call : *delta.tool_calls)
                merge_tool_call(*into.message.tool_calls, call);
        }
        for (const auto& kv : delta.extra)
            into.message.extra.insert_or_assign(kv.key(), kv.value());
        for (const auto& kv : c.extra) into.extra.insert_or_assign(kv.key(), kv.value());
        if (c.finish_reason) into.finish_reason = c.finish_reason;
    }

    static void append_text(std::vector<content_chunk>& list, const std::string& text) {
        if (!list.empty()) {
            if (auto* last = std::get_if<text_chunk>(&list.back())) {
                last->text += text;
                return;
            }
        }
        list.push_back(text_chunk{.text = text});
    }

    static void append_chunk(std::vector<content_chunk>& list, const content_chunk& chunk) {
        if (const auto* text = std::get_if<text_chunk>(&chunk)) {
            append_text(list, text->text);
            return;
        }
        if (const auto* thinking = std::get_if<thinking_chunk>(&chunk); thinking && !list.empty()) {
            if (auto* last = std::get_if<thinking_chunk>(&list.back())) {
                for (const thinking_part& part : thinking->thinking) {
                    const auto* t = std::get_if<text_chunk>(&part);
                    auto* prev = last->thinking.empty()
                                     ? nullptr
                                     : std::get_if<text_chunk>(&last->thinking.back());
                    if (t != nullptr && prev != nullptr) {
                        prev->text += t->text;
                    } else {
                        last->thinking.push_back(part);
                    }
                }
                if (thinking->signature) last->signature = thinking->signature;
                if (thinking->closed) last->closed = thinking->closed;
                return;
            }
        }
        list.push_back(chunk);
    }

    // String pieces concatenate; once a chunk list arrives the content becomes a list.
    static void append_content(assistant_message& message, const content& piece) {
        if (!message.content) {
            message.content = piece;
            return;
        }
        content& have = *message.content;
        if (const auto* text = std::get_if<std::string>(&piece)) {
            if (auto* s = std::get_if<std::string>(&have)) {
                *s += *text;
            } else if (!text->empty()) {
                append_text(std::get<std::vector<content_chunk>>(have), *text);
            }
            return;
        }
        if (auto* s = std::get_if<std::string>(&have)) {
            std::vector<content_chunk> list;
            if (!s->empty()) list.push_back(text_chunk{.text = std::move(*s)});
            have = std::move(list);
        }
        auto& list = std::get<std::vector<content_chunk>>(have);
        for (const content_chunk& chunk : std::get<std::vector<content_chunk>>(piece))
            append_chunk(list, chunk);
    }

    // A call with a known index (else id) continues that call: the name and argument pieces
    // are appended. Otherwise it is a new call.
    static void merge_tool_call(std::vector<tool_call>& calls, const tool_call& piece) {
        tool_call* target = nullptr;
        for (auto& call : calls) {
            if ((piece.index && call.index == piece.index) ||
                (!piece.index && piece.id && call.id == piece.id)) {
                target = &call;
            }
        }
        if (target == nullptr) {
            calls.push_back(piece);
            return;
        }
        if (piece.id) target->id = piece.id;
        if (piece.type) target->type = piece.type;
        target->function.name += piece.function.name;
        const auto* more = std::get_if<std::string>(&piece.function.arguments);
        auto* have = std::get_if<std::string>(&target->function.arguments);
        if (more != nullptr && have != nullptr) {
            *have += *more;
        } else {
            target->function.arguments = piece.function.arguments;
        }
        for (const auto& kv : piece.extra) target->extra.insert_or_assign(kv.key(), kv.value());
    }

    chat_response response_;
    std::size_t chunks_ = 0;
};

namespace detail {

/// Decodes the `data` of stream events. One JSON parser and one chat_chunk are reused for the
/// whole stream, and JSON values live in a monotonic buffer released per event, so a typical
/// chunk is decoded without touching the heap.
class chunk_decoder {
public:
    enum class result {
        chunk,  ///< chunk() holds the decoded chunk
        done,   ///< the `[DONE]` sentinel
        error,  ///< error_payload() holds an error object sent inside the stream
        skip,   ///< nothing to decode (empty data, a keep-alive event)
    };

    chunk_decoder()
        : parser_(boost::json::storage_ptr(), {}, parser_buffer_.data(), parser_buffer_.size()) {}
    chunk_decoder(const chunk_decoder&) = delete;
    chunk_decoder& operator=(const chunk_decoder&) = delete;

    /// Decodes one event. `type` is the SSE event type: "message" carries chunks, "error"
    /// carries an error; any other type is a keep-alive and skipped. Throws protocol_error for
    /// data that is not JSON or not a chunk.
    result decode(std::string_view type, std::string_view data) {
        if (data.empty()) return result::skip;
        const bool error_event = type == "error";
        if (!error_event && type != "message") return result::skip;
        if (data == "[DONE]") return result::done;
        value_.reset();  // before the buffer it lives in is recycled
        values_.release();
        parser_.reset(boost::json::storage_ptr(&values_));
        boost::system::error_code ec;
        parser_.write(data.data(), data.size(), ec);
        if (ec) {
            throw protocol_error("malformed JSON in stream event (" + ec.message() +
                                 "): " + snippet(data));
        }
        // Move-constructed, so the value keeps living in the monotonic buffer.
        const boost::json::value& value = value_.emplace(parser_.release());
        const auto* obj = value.if_object();
        if (obj == nullptr)
            throw protocol_error("stream event is not a JSON object: " + snippet(data));
        if (error_event || is_error_object(*obj)) return result::error;
        read_json(value, chunk_);
        return result::chunk;
    }

    const chat_chunk& chunk() const noexcept { return chunk_; }
    const boost::json::value& error_payload() const noexcept { return *value_; }

private:
    static bool is_error_object(const boost::json::object& obj) {
        if (obj.contains("choices")) return false;
        const auto* object = obj.if_contains("object");
        return (object != nullptr && object->is_string() && object->get_string() == "error") ||
               obj.contains("error");
    }

    static std::string snippet(std::string_view data) {
        constexpr std::size_t max = 200;
        return std::string(data.substr(0, max)) + (data.size() > max ? "..." : "");
    }

    alignas(std::max_align_t) std::array<unsigned char, 4096> parser_buffer_{};
    alignas(std::max_align_t) std::array<unsigned char, 16384> value_buffer_{};
    boost::json::monotonic_resource values_{value_buffer_.data(), value_buffer_.size()};
    boost::json::parser parser_;
    std::optional<boost::json::value> value_;
    chat_chunk chunk_;
};

}  // namespace detail

}  // namespace mistral
