// mistral/impl/types.hpp: the definitions of types.hpp's functions that walk content and
// messages (the text of a reply, of a chunk, of thinking). Included at the end of types.hpp in a
// header-only build, else only by src.hpp.
// SPDX-License-Identifier: MIT
#pragma once

#include "../detail/config.hpp"
#include "../types.hpp"

MISTRAL_NAMESPACE_BEGIN

MISTRAL_DECL std::string_view unknown_chunk::type() const noexcept {
    const auto* t = json.if_contains("type");
    return t != nullptr && t->is_string() ? std::string_view(t->get_string()) : std::string_view();
}

MISTRAL_DECL std::string thinking_chunk::text() const {
    std::string out;
    for (const auto& part : thinking) {
        if (const auto* t = std::get_if<text_chunk>(&part)) out += t->text;
    }
    return out;
}

MISTRAL_DECL std::string text_of(const content& c) {
    if (const auto* s = std::get_if<std::string>(&c)) return *s;
    std::string out{};
    for (const auto& chunk : std::get<std::vector<content_chunk>>(c)) {
        if (const auto* t = std::get_if<text_chunk>(&chunk)) out += t->text;
    }
    return out;
}

MISTRAL_DECL std::string thinking_of(const content& c) {
    std::string out{};
    if (const auto* list = std::get_if<std::vector<content_chunk>>(&c)) {
        for (const auto& chunk : *list) {
            if (const auto* t = std::get_if<thinking_chunk>(&chunk)) out += t->text();
        }
    }
    return out;
}

MISTRAL_DECL std::string text_of(const message& m) {
    return std::visit([](const auto& msg) { return msg.text(); }, m);
}

MISTRAL_DECL std::string chat_response::text() const {
    for (const auto& c : choices) {
        if (c.index == 0) return c.message.text();
    }
    return {};
}

MISTRAL_DECL std::string chat_chunk::text() const {
    for (const auto& c : choices) {
        if (c.index == 0) return c.delta.text();
    }
    return {};
}

MISTRAL_NAMESPACE_END
