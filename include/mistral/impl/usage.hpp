// mistral/impl/usage.hpp: the definitions of usage.hpp's counter, which every call of a client
// updates. Included at the end of usage.hpp in a header-only build, else only by src.hpp.
// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <mutex>
#include <string>

#include "../detail/config.hpp"
#include "../usage.hpp"

MISTRAL_NAMESPACE_BEGIN
namespace detail {

MISTRAL_DECL void usage_counter::add_request(const std::string& model) {
    std::lock_guard lock(mutex_);
    ++totals_.requests;
    if (!model.empty()) ++totals_.per_model[model].requests;  // models() names none
}

MISTRAL_DECL void usage_counter::add(const std::string& model, const usage_info& u) {
    const std::int64_t cached =
        u.prompt_tokens_details ? u.prompt_tokens_details->cached_tokens.value_or(0) : 0;
    std::lock_guard lock(mutex_);
    for (usage_count* c : {static_cast<usage_count*>(&totals_), &totals_.per_model[model]}) {
        c->prompt_tokens += u.prompt_tokens;
        c->completion_tokens += u.completion_tokens;
        c->total_tokens += u.total_tokens;
        c->cached_prompt_tokens += cached;
    }
}

MISTRAL_DECL usage_totals usage_counter::totals() const {
    std::lock_guard lock(mutex_);
    return totals_;
}

}  // namespace detail
MISTRAL_NAMESPACE_END
