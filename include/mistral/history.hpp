// mistral/history.hpp: checks and repairs of a conversation history: the rules the API is known
// to reject a history for (checked before any I/O when client_options::preflight is on), and
// sanitize_tool_call_ids() for histories with ids from elsewhere (e.g. OpenAI's "call_...").
// SPDX-License-Identifier: MIT
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "detail/ascii.hpp"
#include "detail/config.hpp"
#include "error.hpp"
#include "types.hpp"

MISTRAL_NAMESPACE_BEGIN

/// Whether the API accepts `id` as a tool-call id: exactly 9 characters from [a-zA-Z0-9].
inline bool valid_tool_call_id(std::string_view id) noexcept {
    return id.size() == 9 && std::all_of(id.begin(), id.end(), detail::is_alnum);
}

/// Throws usage_error, naming the message's index and the rule, for a history the API is known
/// to reject with a 400 (each rule with the API's own words). basic_client runs it before any
/// I/O unless client_options::preflight is false.
inline void check_history(const std::vector<message>& messages) {
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

/// Rewrites every tool-call id the API would refuse (not 9 characters from [a-zA-Z0-9]) in the
/// assistants' tool calls and the tool messages, consistently: a call and the results that
/// answer it keep one id, ids stay distinct, valid ids are kept, and the same history always
/// gets the same ids. Returns how many distinct ids were rewritten.
inline std::size_t sanitize_tool_call_ids(std::vector<message>& messages) {
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
