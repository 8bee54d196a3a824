// mistral/impl/history.hpp: the definitions of history.hpp: the preflight rules and the
// rewriting of tool-call ids. Included at the end of history.hpp in a header-only build, else
// only by src.hpp.
// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "../detail/config.hpp"
#include "../error.hpp"
#include "../history.hpp"

MISTRAL_NAMESPACE_BEGIN

namespace detail {
// Whether the message before messages[i] has the role Role.
template <class Role>
bool follows(const std::vector<message>& messages, std::size_t i) {
    return i > 0 && std::holds_alternative<Role>(messages[i - 1]);
}
}  // namespace detail

MISTRAL_DECL void check_history(const std::vector<message>& messages) {
    auto reject = [](std::size_t index, const std::string& why) {
        throw usage_error("messages[" + std::to_string(index) + "]: " + why +
                          " (preflight; client_options::preflight = false sends it anyway)");
    };
    std::set<std::string> calls;  // the tool-call ids asked for so far
    std::vector<std::pair<std::string, std::size_t>> unanswered;  // of the last asking message
    // API: "Not the same number of function calls and responses"
    auto all_answered = [&](std::size_t index) {
        if (unanswered.empty()) return;
        reject(index, "tool call \"" + unanswered.front().first + "\" of messages[" +
                          std::to_string(unanswered.front().second) +
                          "] has no tool message before this message");
    };
    for (std::size_t i = 0; i < messages.size(); ++i) {
        const message& m = messages[i];
        if (const auto* a = std::get_if<assistant_message>(&m)) {
            all_answered(i);
            const bool has_calls = a->tool_calls && !a->tool_calls->empty();
            // API: "Assistant message must have either content or tool_calls, but not none."
            if (!a->content && !has_calls) {
                reject(i,
                       "an assistant message needs content or tool calls (a reply whose content "
                       "is null and asks for no tool: give it content, e.g. \"\")");
            }
            // API: "Assistant message with prefix True must be last message"
            if (a->prefix.value_or(false) && i + 1 < messages.size())
                reject(i, "an assistant message with prefix: true must be the last message");
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
                    unanswered.emplace_back(id, i);
                }
            }
        } else if (const auto* t = std::get_if<tool_message>(&m)) {
            // API: "Unexpected role 'tool' after role 'user'"
            if (detail::follows<user_message>(messages, i)) {
                reject(i,
                       "a tool message right after a user message (tool results follow the "
                       "assistant message that asked for them)");
            }
            const std::string id = t->tool_call_id.value_or("");
            if (!valid_tool_call_id(id)) {
                reject(i, "tool_call_id \"" + id +
                              "\" is not 9 characters from [a-zA-Z0-9] (see "
                              "sanitize_tool_call_ids)");
            }
            if (!calls.contains(id))
                reject(i, "tool message answers \"" + id + "\", which no earlier tool call has");
            std::erase_if(unanswered, [&](const auto& call) { return call.first == id; });
        } else if (std::holds_alternative<user_message>(m)) {
            // API: "Unexpected role 'user' after role 'tool'"
            if (detail::follows<tool_message>(messages, i)) {
                reject(i,
                       "a user message right after a tool message (the model must answer the "
                       "tool results first)");
            }
            all_answered(i);
        } else if (std::holds_alternative<system_message>(m) &&
                   detail::follows<tool_message>(messages, i)) {
            // API: "Unexpected role 'system' after role 'tool'"
            reject(i,
                   "a system message right after a tool message (the model must answer the tool "
                   "results first)");
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

namespace detail {

MISTRAL_DECL std::size_t sanitize_tool_call_ids_from(std::vector<message>& messages,
                                                     std::size_t first) {
    static constexpr char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    std::set<std::string> taken;
    for (message& m : messages) {
        if (auto* a = std::get_if<assistant_message>(&m); a && a->tool_calls) {
            for (const tool_call& call : *a->tool_calls) {
                if (call.id && valid_tool_call_id(*call.id)) taken.insert(*call.id);
            }
        } else if (auto* t = std::get_if<tool_message>(&m); t && t->tool_call_id) {
            if (valid_tool_call_id(*t->tool_call_id)) taken.insert(*t->tool_call_id);
        }
    }
    // A fresh id for the `occurrence`-th use of a foreign id: FNV-1a of both (and a salt on
    // collision), written in base 62. The same history always gets the same ids.
    auto fresh = [&](const std::string& id, std::uint64_t occurrence) {
        for (std::uint64_t salt = 0;; ++salt) {
            std::uint64_t h = 14695981039346656037ull ^ salt ^ (occurrence * 0x9E3779B97F4A7C15ull);
            for (const char c : id) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ull;
            std::string candidate;
            for (int k = 0; k < 9; ++k, h /= 62) candidate += alphabet[h % 62];
            if (taken.insert(candidate).second) return candidate;
        }
    };
    // A foreign id names the latest call that used it: each call is renamed on its own (a
    // reused id gets a new id each time), and a tool message takes its call's new id.
    std::map<std::string, std::string> current;
    std::map<std::string, std::uint64_t> uses;
    std::size_t given = 0;
    for (std::size_t i = 0; i < messages.size(); ++i) {
        const bool rewrite = i >= first;
        if (auto* a = std::get_if<assistant_message>(&messages[i]); a && a->tool_calls) {
            for (tool_call& call : *a->tool_calls) {
                if (!call.id || valid_tool_call_id(*call.id)) continue;
                if (!rewrite) {
                    current[*call.id] = *call.id;  // kept as it is; its results follow suit
                    continue;
                }
                std::string renamed = fresh(*call.id, uses[*call.id]++);
                ++given;
                current[*call.id] = renamed;
                call.id = std::move(renamed);
            }
        } else if (auto* t = std::get_if<tool_message>(&messages[i]);
                   rewrite && t && t->tool_call_id && !valid_tool_call_id(*t->tool_call_id)) {
            auto [it, unknown] = current.try_emplace(*t->tool_call_id);
            if (unknown) {  // answers no call: an id of its own, shared by its repeats
                it->second = fresh(*t->tool_call_id, uses[*t->tool_call_id]++);
                ++given;
            }
            t->tool_call_id = it->second;
        }
    }
    return given;
}

}  // namespace detail

MISTRAL_DECL std::size_t sanitize_tool_call_ids(std::vector<message>& messages) {
    return detail::sanitize_tool_call_ids_from(messages, 0);
}

MISTRAL_NAMESPACE_END
