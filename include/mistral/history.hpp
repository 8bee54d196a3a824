// mistral/history.hpp: checks and repairs of a conversation history: the rules the API is known
// to reject a history for (checked before any I/O when client_options::preflight is on), and
// sanitize_tool_call_ids() for histories with ids from elsewhere (e.g. OpenAI's "call_...").
// SPDX-License-Identifier: MIT
#pragma once

#include <algorithm>
#include <cstddef>
#include <string_view>
#include <vector>

#include "detail/ascii.hpp"
#include "detail/config.hpp"
#include "types.hpp"

MISTRAL_NAMESPACE_BEGIN

/// Whether the API accepts `id` as a tool-call id: exactly 9 characters from [a-zA-Z0-9].
inline bool valid_tool_call_id(std::string_view id) noexcept {
    return id.size() == 9 && std::all_of(id.begin(), id.end(), detail::is_alnum);
}

/// Throws usage_error, naming the message's index and the rule, for a history the API is known
/// to reject with a 400 (each rule with the API's own words). basic_client runs it before any
/// I/O unless client_options::preflight is false.
MISTRAL_DECL void check_history(const std::vector<message>& messages);

/// Rewrites every tool-call id the API would refuse (not 9 characters from [a-zA-Z0-9]) in the
/// assistants' tool calls and the tool messages, consistently: a call and the results that
/// answer it keep one id, ids stay distinct (a foreign id that several calls reuse, such as
/// "call_0" in every turn, gets a new id for each call, and a tool message the id of the latest
/// call of that name before it), valid ids are kept, and the same history always gets the same
/// ids. Returns how many new ids it gave.
MISTRAL_DECL std::size_t sanitize_tool_call_ids(std::vector<message>& messages);

/// @cond internal
namespace detail {
// sanitize_tool_call_ids() for messages[first] onwards; earlier messages keep their ids (and
// are taken into account). The tool loop runs it over the messages it appends.
MISTRAL_DECL std::size_t sanitize_tool_call_ids_from(std::vector<message>& messages,
                                                     std::size_t first);
}  // namespace detail
/// @endcond

MISTRAL_NAMESPACE_END

#ifndef MISTRAL_SEPARATE_COMPILATION
#include "impl/history.hpp"
#endif
