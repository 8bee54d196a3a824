// mistral/impl/chunk_decoder.hpp: decodes the `data` of each server-sent event of a stream into
// a reused chat_chunk, by a SAX fast path without allocating per chunk, and by the tree decoder
// of json.hpp for anything unusual. Used by the client engine.
// SPDX-License-Identifier: MIT
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parser.hpp>

#include "../detail/config.hpp"
#include "../detail/sanitize.hpp"
#include "../error.hpp"
#include "../json.hpp"
#include "../types.hpp"

MISTRAL_NAMESPACE_BEGIN

namespace detail {

// Decodes the usual shape of a stream chunk straight from the JSON parser's events into the
// reused chat_chunk, without building a JSON tree first:
//   {"id", "object", "created", "model",
//    "choices": [{"index", "delta": {"role", "content": "<text>"}, "finish_reason"}],
//    "usage": {"prompt_tokens", "completion_tokens", "total_tokens"}}
// Anything else (an unknown or repeated member, content as a list, tool calls, a null where the
// tree decoder would keep one, a wrong type) makes it give up, and the caller decodes with the
// tree decoder, which handles everything. For what it accepts, both give the same chat_chunk.
// (A template only so that it is compiled where it is used.)
template <class Unused = void>
class fast_chunk_handler {
public:
    static constexpr std::size_t max_array_size = std::size_t(-1);
    static constexpr std::size_t max_object_size = std::size_t(-1);
    static constexpr std::size_t max_string_size = std::size_t(-1);
    static constexpr std::size_t max_key_size = std::size_t(-1);

    void start(chat_chunk& out) noexcept {
        out_ = &out;
        depth_ = 0;
        slot_ = slot::none;
        complete_ = false;
        part_.clear();
    }
    bool complete() const noexcept { return complete_; }

    bool on_document_begin(boost::system::error_code&) { return true; }
    bool on_document_end(boost::system::error_code&) {
        complete_ = true;
        return true;
    }

    bool on_object_begin(boost::system::error_code& ec) {
        place opened = place::none;
        if (depth_ == 0) {
            opened = place::top;
            out_->extra.clear();
            choices_ = 0;
        } else if (here() == place::choices) {
            opened = place::choice;
            if (choices_ == out_->choices.size()) out_->choices.emplace_back();
            choice_ = &out_->choices[choices_++];
            reset_members_except(*choice_, {"index", "delta"});
        } else if (slot_ == slot::delta) {
            opened = place::delta;
            // role and content are reset once the object ends, if not sent (keeping storage).
            reset_members_except(choice_->delta, {"role", "content"});
        } else if (slot_ == slot::usage) {
            opened = place::usage;
            out_->usage.emplace();
        } else {
            return give_up(ec);
        }
        return push(opened, ec);
    }

    bool on_object_end(std::size_t, boost::system::error_code& ec) {
        const unsigned seen = seen_[depth_ - 1];
        switch (here()) {
            case place::top:
                if (!has(seen, slot::id) || !has(seen, slot::model) || !has(seen, slot::choices))
                    return give_up(ec);
                // Members not sent are unset; resetting only now keeps the strings' storage.
                if (!has(seen, slot::object)) out_->object.reset();
                if (!has(seen, slot::created)) out_->created.reset();
                if (!has(seen, slot::usage)) out_->usage.reset();
                break;
            case place::choice:
                if (!has(seen, slot::index) || !has(seen, slot::delta)) return give_up(ec);
                break;
            case place::delta:
                if (!has(seen, slot::role)) choice_->delta.role.reset();
                if (!has(seen, slot::content)) choice_->delta.content.reset();
                break;
            case place::usage:
                if (!has(seen, slot::prompt_tokens) || !has(seen, slot::completion_tokens) ||
                    !has(seen, slot::total_tokens)) {
                    return give_up(ec);
                }
                break;
            default:
                return give_up(ec);
        }
        --depth_;
        slot_ = slot::none;
        return true;
    }

    bool on_array_begin(boost::system::error_code& ec) {
        if (slot_ != slot::choices) return give_up(ec);
        return push(place::choices, ec);
    }

    bool on_array_end(std::size_t, boost::system::error_code&) {
        out_->choices.resize(choices_);
        --depth_;
        slot_ = slot::none;
        return true;
    }

    bool on_key_part(boost::json::string_view s, std::size_t, boost::system::error_code&) {
        part_.append(s.data(), s.size());
        return true;
    }

    bool on_key(boost::json::string_view s, std::size_t, boost::system::error_code& ec) {
        slot_ = classify(here(), whole(s));
        part_.clear();
        unsigned& seen = seen_[depth_ - 1];
        const unsigned bit = 1u << static_cast<unsigned>(slot_);
        if (slot_ == slot::none || (seen & bit) != 0) return give_up(ec);  // unknown or repeated
        seen |= bit;
        return true;
    }

    bool on_string_part(boost::json::string_view s, std::size_t, boost::system::error_code&) {
        part_.append(s.data(), s.size());
        return true;
    }

    bool on_string(boost::json::string_view s, std::size_t, boost::system::error_code& ec) {
        const std::string_view text = whole(s);
        std::string* target = nullptr;
        switch (slot_) {
            case slot::id:
                target = &out_->id;
                break;
            case slot::model:
                target = &out_->model;
                break;
            case slot::object:
                target = &emplace(out_->object);
                break;
            case slot::finish_reason:
                target = &emplace(choice_->finish_reason);
                break;
            case slot::role:
                target = &emplace(choice_->delta.role);
                break;
            case slot::content: {
                auto& content = choice_->delta.content;
                if (!content || content->index() != 0) content.emplace(std::in_place_index<0>);
                target = &std::get<0>(*content);
                break;
            }
            default:
                return give_up(ec);
        }
        target->assign(text.data(), text.size());
        part_.clear();
        slot_ = slot::none;
        return true;
    }

    bool on_int64(std::int64_t i, boost::json::string_view, boost::system::error_code& ec) {
        switch (slot_) {
            case slot::created:
                out_->created = i;
                break;
            case slot::index:
                choice_->index = i;
                break;
            case slot::prompt_tokens:
                out_->usage->prompt_tokens = i;
                break;
            case slot::completion_tokens:
                out_->usage->completion_tokens = i;
                break;
            case slot::total_tokens:
                out_->usage->total_tokens = i;
                break;
            default:
                return give_up(ec);
        }
        slot_ = slot::none;
        return true;
    }

    bool on_uint64(std::uint64_t u, boost::json::string_view s, boost::system::error_code& ec) {
        if (u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
            return give_up(ec);
        return on_int64(static_cast<std::int64_t>(u), s, ec);
    }

    // A null is an absent member (json.hpp's rule), for every member this path knows.
    bool on_null(boost::system::error_code& ec) {
        switch (slot_) {
            case slot::finish_reason:
                choice_->finish_reason.reset();
                break;
            case slot::role:
                choice_->delta.role.reset();
                break;
            case slot::content:
                choice_->delta.content.reset();
                break;
            case slot::usage:
                out_->usage.reset();
                break;
            default:
                return give_up(ec);
        }
        slot_ = slot::none;
        return true;
    }

    bool on_number_part(boost::json::string_view, boost::system::error_code& ec) {
        return give_up(ec);
    }
    bool on_double(double, boost::json::string_view, boost::system::error_code& ec) {
        return give_up(ec);
    }
    bool on_bool(bool, boost::system::error_code& ec) { return give_up(ec); }
    bool on_comment_part(boost::json::string_view, boost::system::error_code& ec) {
        return give_up(ec);
    }
    bool on_comment(boost::json::string_view, boost::system::error_code& ec) { return give_up(ec); }

private:
    enum class place : unsigned char { none, top, choices, choice, delta, usage };
    enum class slot : unsigned char {
        none,
        id,
        object,
        created,
        model,
        choices,
        usage,
        index,
        delta,
        finish_reason,
        role,
        content,
        prompt_tokens,
        completion_tokens,
        total_tokens,
    };
    static constexpr int max_depth = 5;

    static bool has(unsigned seen, slot s) noexcept {
        return (seen & (1u << static_cast<unsigned>(s))) != 0;
    }

    // A literal's length is a constant here, so the comparison compiles to a few loads instead
    // of a call to memcmp (which string_view's == makes, once per key of every chunk).
    template <std::size_t N>
    static bool is(std::string_view key, const char (&literal)[N]) noexcept {
        return key.size() == N - 1 && std::memcmp(key.data(), literal, N - 1) == 0;
    }

    static slot classify(place p, std::string_view key) noexcept {
        switch (p) {
            case place::top:
                if (is(key, "id")) return slot::id;
                if (is(key, "object")) return slot::object;
                if (is(key, "created")) return slot::created;
                if (is(key, "model")) return slot::model;
                if (is(key, "choices")) return slot::choices;
                if (is(key, "usage")) return slot::usage;
                break;
            case place::choice:
                if (is(key, "index")) return slot::index;
                if (is(key, "delta")) return slot::delta;
                if (is(key, "finish_reason")) return slot::finish_reason;
                break;
            case place::delta:
                if (is(key, "content")) return slot::content;
                if (is(key, "role")) return slot::role;
                break;
            case place::usage:
                if (is(key, "prompt_tokens")) return slot::prompt_tokens;
                if (is(key, "completion_tokens")) return slot::completion_tokens;
                if (is(key, "total_tokens")) return slot::total_tokens;
                break;
            default:
                break;
        }
        return slot::none;
    }

    static std::string& emplace(std::optional<std::string>& o) { return o ? *o : o.emplace(); }

    // The parser delivers a key or string split across input buffers in parts; joins the last.
    std::string_view whole(boost::json::string_view s) {
        if (part_.empty()) return {s.data(), s.size()};
        return part_.append(s.data(), s.size());
    }

    place here() const noexcept { return depth_ == 0 ? place::none : stack_[depth_ - 1]; }

    bool push(place p, boost::system::error_code& ec) {
        if (depth_ == max_depth) return give_up(ec);
        stack_[depth_] = p;
        seen_[depth_] = 0;
        ++depth_;
        slot_ = slot::none;
        return true;
    }

    static bool give_up(boost::system::error_code& ec) {
        ec = boost::json::error::exception;  // any error: the caller falls back to the tree decoder
        return false;
    }

    chat_chunk* out_ = nullptr;
    chunk_choice* choice_ = nullptr;
    std::size_t choices_ = 0;
    place stack_[max_depth] = {};
    unsigned seen_[max_depth] = {};
    int depth_ = 0;
    slot slot_ = slot::none;
    bool complete_ = false;
    std::string part_;  // a key or string the parser delivered in pieces
};

// Whether a payload where a chunk or a reply was expected is an error instead: `{"error":...}`
// (not null) or `{"object":"error",...}`, without choices.
inline bool is_error_object(const boost::json::object& obj) {
    if (obj.contains("choices")) return false;
    const auto* object = obj.if_contains("object");
    const auto* error = obj.if_contains("error");
    return (object != nullptr && object->is_string() && object->get_string() == "error") ||
           (error != nullptr && !error->is_null());
}

// Calls `f` with the object `member` ("message", "delta") of each choice of a response or chunk.
template <class F>
void each_choice_member(boost::json::object& response, std::string_view member, F f) {
    auto* choices = response.if_contains("choices");
    if (choices == nullptr || !choices->is_array()) return;
    for (auto& choice : choices->get_array()) {
        auto* c = choice.if_object();
        auto* m = c != nullptr ? c->if_contains(member) : nullptr;
        if (m != nullptr && m->is_object()) f(m->get_object());
    }
}

// The reasoning text of a message or a delta as OpenAI-compatible servers send it (`reasoning`:
// vLLM and Ollama; `reasoning_content`: llama.cpp, and vLLM before 0.11, which sent both), made
// the thinking chunk the API itself sends, ahead of the text: thinking() reads it, text() never.
// A member that is not text, or a second text that differs, stays as it came (in extra); so does
// everything when the content has a wrong type (the decoder then names it). Built in the
// message's own storage, moving the text: a stream's monotonic buffer, no heap per chunk.
inline void reasoning_as_thinking(boost::json::object& message) {
    const auto* content = message.if_contains("content");
    if (content != nullptr && !content->is_null() && !content->is_string() && !content->is_array())
        return;
    const boost::json::storage_ptr& sp = message.storage();
    boost::json::value reasoning(sp);
    for (const std::string_view name : {"reasoning", "reasoning_content"}) {
        const auto it = message.find(name);
        if (it == message.end()) continue;
        const auto* text = it->value().if_string();
        if (text != nullptr && !text->empty()) {
            if (reasoning.is_null()) {
                reasoning = std::move(it->value());
            } else if (*text != reasoning.get_string()) {
                continue;  // a different text: kept
            }
        } else if (text == nullptr && !it->value().is_null()) {
            continue;
        }
        message.erase(it);
    }
    if (reasoning.is_null()) return;
    boost::json::object text_part(sp);
    text_part.emplace("type", "text");
    text_part.emplace("text", std::move(reasoning));
    boost::json::object thinking(sp);
    thinking.emplace("type", "thinking");
    boost::json::array thought(sp);
    thought.emplace_back(std::move(text_part));
    thinking.emplace("thinking", std::move(thought));
    boost::json::array parts(sp);
    parts.emplace_back(std::move(thinking));
    boost::json::value& slot = message["content"];
    if (auto* list = slot.if_array()) {
        for (auto& piece : *list) parts.emplace_back(std::move(piece));
    } else if (slot.is_string() && !slot.get_string().empty()) {
        boost::json::object text(sp);
        text.emplace("type", "text");
        text.emplace("text", std::move(slot));
        parts.emplace_back(std::move(text));
    }
    slot = std::move(parts);
}

/// Decodes the `data` of stream events. A typical chunk is decoded by the fast path straight
/// into a reused chat_chunk; anything else is parsed into a JSON tree (in a monotonic buffer
/// released per event) and decoded from it. Either way no allocation is needed per chunk once
/// warm. A template only so that it is instantiated where it is used.
template <class Unused = void>
class chunk_decoder {
public:
    enum class result {
        chunk,  ///< chunk() holds the decoded chunk
        done,   ///< the `[DONE]` sentinel
        error,  ///< error_data() holds an error sent inside the stream
        skip,   ///< nothing to decode (empty data, a keep-alive event)
    };

    /// `redact`: what a stream event may not show in an error message (the API key a server
    /// echoes); nullptr shows the data as it is.
    /// `reasoning_fields`: read the `reasoning` and `reasoning_content` members of a delta as
    /// thinking (dialect::openai_compatible; see reasoning_as_thinking).
    explicit chunk_decoder(const sanitizer* redact = nullptr, bool reasoning_fields = false)
        : redact_(redact), reasoning_fields_(reasoning_fields) {}
    chunk_decoder(const chunk_decoder&) = delete;
    chunk_decoder& operator=(const chunk_decoder&) = delete;

    /// Decodes one event. `type` is the SSE event type: "message" carries chunks, "error"
    /// carries an error (its data JSON or text); any other type is a keep-alive and skipped.
    /// Throws protocol_error for a message whose data is not JSON or not a chunk.
    result decode(std::string_view type, std::string_view data) {
        if (data.empty()) return result::skip;
        const bool error_event = type == "error";
        if (!error_event && type != "message") return result::skip;
        if (data == "[DONE]") return result::done;
        if (!error_event) {
            fast_.reset();
            fast_.handler().start(chunk_);
            boost::system::error_code ec;
            const std::size_t used = fast_.write_some(false, data.data(), data.size(), ec);
            if (!ec && used == data.size() && fast_.handler().complete()) return result::chunk;
        }
        if (!tree_) tree_ = std::make_unique<tree_parts>();
        tree_parts& tree = *tree_;
        tree.value.reset();   // before the buffer it lives in is recycled
        tree.parser.reset();  // ... and what a failed parse left in it
        // A monotonic resource made afresh for each event: Boost.JSON 1.81's release() keeps
        // the size of its next block, which doubles with every event larger than the buffer,
        // so that a few dozen large events would ask for gigabytes.
        tree.values.emplace(tree.value_buffer.data(), tree.value_buffer.size());
        tree.parser.reset(boost::json::storage_ptr(&*tree.values));
        boost::system::error_code ec;
        tree.parser.write(data.data(), data.size(), ec);
        if (ec && !error_event)
            throw protocol_error("malformed JSON in stream event (" + ec.message() +
                                 "): " + excerpt(data));
        // Move-constructed, so the value keeps living in the monotonic buffer.
        boost::json::value* value = ec ? nullptr : &tree.value.emplace(tree.parser.release());
        const auto* obj = value != nullptr ? value->if_object() : nullptr;
        if (error_event || (obj != nullptr && is_error_object(*obj))) {
            error_data_.assign(data);  // whatever its payload: JSON, or a line of text
            return result::error;
        }
        if (obj == nullptr)
            throw protocol_error("stream event is not a JSON object: " + excerpt(data));
        if (reasoning_fields_)
            each_choice_member(value->get_object(), "delta", reasoning_as_thinking);
        read_json(*value, chunk_);
        return result::chunk;
    }

    const chat_chunk& chunk() const noexcept { return chunk_; }
    /// The data of the last error event, as the server sent it.
    const std::string& error_data() const noexcept { return error_data_; }

private:
    std::string excerpt(std::string_view data) const {
        return redact_ != nullptr ? redact_->excerpt(data) : snippet(data);
    }

    // The tree decoder's parts, made the first time an event needs them: a stream of plain text
    // never does, and then holds 20 KiB less (thousands of streams at once add up).
    struct tree_parts {
        alignas(std::max_align_t) std::array<unsigned char, 4096> parser_buffer{};
        alignas(std::max_align_t) std::array<unsigned char, 16384> value_buffer{};
        std::optional<boost::json::monotonic_resource> values;
        boost::json::parser parser{
            boost::json::storage_ptr(), {}, parser_buffer.data(), parser_buffer.size()};
        std::optional<boost::json::value> value;
    };

    const sanitizer* redact_;
    bool reasoning_fields_;
    boost::json::basic_parser<fast_chunk_handler<>> fast_{boost::json::parse_options{}};
    std::unique_ptr<tree_parts> tree_;
    std::string error_data_;
    chat_chunk chunk_;
};

}  // namespace detail

MISTRAL_NAMESPACE_END
