// mistral/impl/stream_accumulator.hpp: how stream_accumulator folds chunks (stream.hpp).
// Included at the end of stream.hpp in a header-only build, else only by src.hpp.
// SPDX-License-Identifier: MIT
#pragma once

#include <algorithm>

#include "../detail/config.hpp"
#include "../stream.hpp"

MISTRAL_NAMESPACE_BEGIN

MISTRAL_DECL void stream_accumulator::add(const chat_chunk& chunk) {
    if (chunks_++ == 0) {
        response_.id = chunk.id;
        response_.object = "chat.completion";
        response_.model = chunk.model;
        response_.created = chunk.created.value_or(0);
    }
    for (const auto& kv : chunk.extra) keep_member(response_.extra, kv.key(), kv.value());
    if (chunk.usage) {
        response_.usage = *chunk.usage;
        if (billed_before_) add_tokens(response_.usage, *billed_before_);
    }
    for (const chunk_choice& c : chunk.choices) {
        fold(choice_at(c.index), c);
        if (keep_content_) folded_size_ += piece_size(c.delta);
    }
}

MISTRAL_DECL const chat_response& stream_accumulator::response() const noexcept {
    if (!choices_in_order_) sort_choices();
    return response_;
}

MISTRAL_DECL chat_response stream_accumulator::take() {
    if (!choices_in_order_) sort_choices();
    chunks_ = 0;
    folded_size_ = 0;
    billed_before_.reset();
    choice_positions_.clear();
    call_positions_.clear();
    return std::exchange(response_, chat_response{});
}

MISTRAL_DECL void stream_accumulator::begin_continuation() {
    billed_before_ = response_.usage;
}

MISTRAL_DECL void stream_accumulator::add_tokens(usage_info& into, const usage_info& more) {
    into.prompt_tokens += more.prompt_tokens;
    into.completion_tokens += more.completion_tokens;
    into.total_tokens += more.total_tokens;
    if (const auto& details = more.prompt_tokens_details; details && details->cached_tokens) {
        if (!into.prompt_tokens_details) into.prompt_tokens_details.emplace();
        auto& cached = into.prompt_tokens_details->cached_tokens;
        cached = cached.value_or(0) + *details->cached_tokens;
    }
}

MISTRAL_DECL chat_choice& stream_accumulator::choice_at(std::int64_t index) {
    auto& choices = response_.choices;
    const auto [at, added] = choice_positions_.try_emplace(index, choices.size());
    if (!added) return choices[at->second];
    if (!choices.empty() && choices.back().index > index) choices_in_order_ = false;
    folded_size_ += sizeof(chat_choice);
    chat_choice& choice = choices.emplace_back();
    choice.index = index;
    return choice;
}

MISTRAL_DECL void stream_accumulator::sort_choices() const {
    auto& choices = response_.choices;
    std::sort(choices.begin(), choices.end(),
              [](const chat_choice& a, const chat_choice& b) { return a.index < b.index; });
    for (std::size_t i = 0; i < choices.size(); ++i) choice_positions_[choices[i].index] = i;
    choices_in_order_ = true;
}

namespace detail {
// About the memory a JSON value takes: its text, and a fixed cost per value.
inline std::size_t json_size(const boost::json::value& v) {
    constexpr std::size_t element = 32;
    if (const auto* s = v.if_string()) return element + s->size();
    if (const auto* a = v.if_array()) {
        std::size_t n = element;
        for (const auto& item : *a) n += json_size(item);
        return n;
    }
    if (const auto* o = v.if_object()) {
        std::size_t n = element;
        for (const auto& kv : *o) n += kv.key().size() + json_size(kv.value());
        return n;
    }
    return element;
}
}  // namespace detail

MISTRAL_DECL void stream_accumulator::keep_member(boost::json::object& into, std::string_view key,
                                                  const boost::json::value& value) {
    if (const auto* had = into.if_contains(key)) {
        folded_size_ -= std::min(folded_size_, key.size() + detail::json_size(*had));
    }
    folded_size_ += key.size() + detail::json_size(value);
    into.insert_or_assign(key, value);
}

MISTRAL_DECL std::size_t stream_accumulator::piece_size(const delta_message& d) {
    constexpr std::size_t element = 64;
    constexpr std::size_t opaque = 256;  // a chunk or member that is not text
    std::size_t n = 0;
    auto text = [](const std::optional<std::string>& s) { return s ? s->size() : 0; };
    if (d.content) {
        if (const auto* s = std::get_if<std::string>(&*d.content)) {
            n += s->size();
        } else {
            for (const content_chunk& chunk : std::get<std::vector<content_chunk>>(*d.content)) {
                if (const auto* t = std::get_if<text_chunk>(&chunk)) {
                    n += element + t->text.size();
                } else if (const auto* th = std::get_if<thinking_chunk>(&chunk)) {
                    n += element + th->text().size() + text(th->signature);
                } else {
                    n += opaque;
                }
            }
        }
    }
    if (d.tool_calls) {
        for (const tool_call_delta& call : *d.tool_calls) {
            n += element + text(call.id) + text(call.type);
            if (!call.function) continue;
            n += text(call.function->name);
            if (const auto& args = call.function->arguments) {
                const auto* s = std::get_if<std::string>(&*args);
                n += s != nullptr ? s->size() : opaque;
            }
        }
    }
    for (const auto& kv : d.extra)
        n += element + (kv.value().is_string() ? kv.value().get_string().size() : opaque);
    return n;
}

MISTRAL_DECL void stream_accumulator::fold(chat_choice& into, const chunk_choice& c) {
    const delta_message& delta = c.delta;
    if (delta.content && keep_content_) append_content(into.message, *delta.content);
    if (delta.tool_calls && keep_content_) {
        if (!into.message.tool_calls) into.message.tool_calls.emplace();
        for (const tool_call_delta& piece : *delta.tool_calls)
            merge_tool_call(c.index, *into.message.tool_calls, piece);
    }
    if (keep_content_) append_members(into.message.extra, delta.extra);
    for (const auto& kv : c.extra) keep_member(into.extra, kv.key(), kv.value());
    if (c.finish_reason) into.finish_reason = c.finish_reason;
}

MISTRAL_DECL void stream_accumulator::append_members(boost::json::object& into,
                                                     const boost::json::object& piece) {
    for (const auto& kv : piece) {
        auto* have = into.if_contains(kv.key());
        if (have != nullptr && have->is_string() && kv.value().is_string()) {
            have->get_string().append(kv.value().get_string());
        } else {
            into.insert_or_assign(kv.key(), kv.value());
        }
    }
}

MISTRAL_DECL void stream_accumulator::append_text(std::vector<content_chunk>& list,
                                                  const std::string& text) {
    if (!list.empty()) {
        if (auto* last = std::get_if<text_chunk>(&list.back())) {
            last->text += text;
            return;
        }
    }
    list.push_back(text_chunk{.text = text});
}

MISTRAL_DECL void stream_accumulator::append_chunk(std::vector<content_chunk>& list,
                                                   const content_chunk& chunk) {
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

MISTRAL_DECL void stream_accumulator::append_content(assistant_message& message,
                                                     const content& piece) {
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

MISTRAL_DECL void stream_accumulator::merge_tool_call(std::int64_t choice,
                                                      std::vector<tool_call>& calls,
                                                      const tool_call_delta& piece) {
    tool_call* target = nullptr;
    if (piece.index) {
        const auto [at, added] = call_positions_.try_emplace({choice, *piece.index}, calls.size());
        if (!added) target = &calls[at->second];
    }
    if (target == nullptr) {
        target = &calls.emplace_back();
        target->index = piece.index;
    }
    auto first_wins = [](std::optional<std::string>& have, const std::optional<std::string>& more) {
        if ((!have || have->empty()) && more && !more->empty()) have = more;
    };
    first_wins(target->id, piece.id);
    first_wins(target->type, piece.type);
    append_members(target->extra, piece.extra);
    if (!piece.function) return;
    function_call& function = target->function;
    if (function.name.empty() && piece.function->name) function.name = *piece.function->name;
    if (const auto& more = piece.function->arguments) {
        auto* have = std::get_if<std::string>(&function.arguments);
        const auto* text = std::get_if<std::string>(&*more);
        if (have != nullptr && text != nullptr) {
            *have += *text;
        } else {
            function.arguments = *more;
        }
    }
    append_members(function.extra, piece.function->extra);
}

MISTRAL_NAMESPACE_END
