// mistral/impl/history.hpp: the definitions of history.hpp: the preflight rules and the
// rewriting of tool-call ids. Included at the end of history.hpp in a header-only build, else
// only by src.hpp.
// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <variant>

#include "../detail/config.hpp"
#include "../error.hpp"
#include "../history.hpp"

MISTRAL_NAMESPACE_BEGIN

MISTRAL_DECL void check_history(const std::vector<message>& messages) {
    auto reject = [](std::size_t index, const std::string& why) {
        throw usage_error("messages[" + std::to_string(index) + "]: " + why +
                          " (preflight; client_options::preflight = false sends it anyway)");
    };
    std::set<std::string> calls;  // the tool-call ids asked for so far
    for (std::size_t i = 0; i < messages.size(); ++i) {
        const message& m = messages[i];
        if (const auto* a = std::get_if<assistant_message>(&m)) {
            const bool has_calls = a->tool_calls && !a->tool_calls->empty();
            // API: "Assistant message must have either content or tool_calls, but not none."
            if (!a->content && !has_calls)
                reject(i, "an assistant message needs content or tool calls");
            if (has_calls) {
                for (const tool_call& call : *a->tool_calls) {
                    // API: "Tool call id was ... but must be a-z, A-Z, 0-9, with a length of 9."
                    const std::string id = call.id.value_or("");
                    if (!valid_tool_call_id(id)) {
                        reject(i, "tool call id \"" + id +
                                      "\" is not 9 characters from [a-zA-Z0-9] (see "
                                      "sanitize_tool_call_ids)");
                    }
                    calls.insert(id);
                }
            }
        } else if (const auto* t = std::get_if<tool_message>(&m)) {
            const std::string id = t->tool_call_id.value_or("");
            if (!valid_tool_call_id(id)) {
                reject(i, "tool_call_id \"" + id +
                              "\" is not 9 characters from [a-zA-Z0-9] (see "
                              "sanitize_tool_call_ids)");
            }
            if (!calls.contains(id))
                reject(i, "tool message answers \"" + id + "\", which no earlier tool call has");
        } else if (std::holds_alternative<user_message>(m) && i > 0 &&
                   std::holds_alternative<tool_message>(messages[i - 1])) {
            // API: "Unexpected role 'user' after role 'tool'"
            reject(i,
                   "a user message right after a tool message (the model must answer the "
                   "tool results first)");
        }
    }
    // API: "Expected last role User or Tool (or Assistant with prefix True) for serving but got
    // assistant"
    if (const auto* last =
            messages.empty() ? nullptr : std::get_if<assistant_message>(&messages.back());
        last != nullptr && !last->prefix.value_or(false)) {
        reject(messages.size() - 1,
               "the last message is an assistant message without prefix: true");
    }
}

MISTRAL_DECL std::size_t sanitize_tool_call_ids(std::vector<message>& messages) {
    static constexpr char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    std::set<std::string> taken;
    auto each_id = [&messages](auto&& visit) {
        for (message& m : messages) {
            if (auto* a = std::get_if<assistant_message>(&m); a && a->tool_calls) {
                for (tool_call& call : *a->tool_calls) {
                    if (call.id) visit(*call.id);
                }
            } else if (auto* t = std::get_if<tool_message>(&m); t && t->tool_call_id) {
                visit(*t->tool_call_id);
            }
        }
    };
    each_id([&](const std::string& id) {
        if (valid_tool_call_id(id)) taken.insert(id);
    });
    std::map<std::string, std::string> renamed;
    each_id([&](std::string& id) {
        if (valid_tool_call_id(id)) return;
        auto [it, fresh] = renamed.try_emplace(id);
        if (fresh) {
            // FNV-1a of the old id (and a salt on collision), written in base 62.
            for (std::uint64_t salt = 0;; ++salt) {
                std::uint64_t h = 14695981039346656037ull ^ salt;
                for (const char c : id) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ull;
                std::string candidate;
                for (int k = 0; k < 9; ++k, h /= 62) candidate += alphabet[h % 62];
                if (taken.insert(candidate).second) {
                    it->second = std::move(candidate);
                    break;
                }
            }
        }
        id = it->second;
    });
    return renamed.size();
}

MISTRAL_NAMESPACE_END
