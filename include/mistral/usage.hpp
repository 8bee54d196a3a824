// mistral/usage.hpp: usage accounting: the tokens and HTTP requests of every call a client made
// (usage_totals, what basic_client::usage() returns), counted safely from any thread.
// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>

#include "detail/config.hpp"
#include "types.hpp"

MISTRAL_NAMESPACE_BEGIN

/// Tokens and HTTP requests, summed.
struct usage_count {
    std::int64_t prompt_tokens = 0;      ///< tokens of the prompts
    std::int64_t completion_tokens = 0;  ///< tokens of the replies
    std::int64_t total_tokens = 0;       ///< their sum
    /// Prompt tokens served from the prompt cache (`usage.prompt_tokens_details.cached_tokens`).
    std::int64_t cached_prompt_tokens = 0;
    /// HTTP requests sent: every attempt, each retry included.
    std::int64_t requests = 0;
    bool operator==(const usage_count&) const = default;
};

/// What a client has used so far (basic_client::usage()): the sums over every call (chat(),
/// stream(), parse(), each round of run_tools(); a failed stream counts the usage it delivered),
/// and the same per model, keyed by the request's `model` (`models()` and `model(id)` name no
/// model: their requests count in the totals only).
struct usage_totals : usage_count {
    std::map<std::string, usage_count> per_model{};  ///< the same counts for each model
    bool operator==(const usage_totals&) const = default;
};

namespace detail {

// The counts of one client, shared by its copies and updated by every thread that calls it.
class usage_counter {
public:
    MISTRAL_DECL void add_request(const std::string& model);
    MISTRAL_DECL void add(const std::string& model, const usage_info& u);
    MISTRAL_DECL usage_totals totals() const;

private:
    mutable std::mutex mutex_;
    usage_totals totals_;
};

}  // namespace detail

MISTRAL_NAMESPACE_END

#ifndef MISTRAL_SEPARATE_COMPILATION
#include "impl/usage.hpp"
#endif
