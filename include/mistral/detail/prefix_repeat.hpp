// mistral/detail/prefix_repeat.hpp: drops the start of a resumed stream's text when it repeats the
// prefix the stream was resumed with. Standard library only.
// SPDX-License-Identifier: MIT
#pragma once

#include <algorithm>
#include <string>
#include <string_view>
#include <utility>

#include "config.hpp"

MISTRAL_NAMESPACE_BEGIN
namespace detail {

// Whether the API echoes an assistant prefix at the start of its continuation is not
// documented, so both are handled: the continuation's text is held back while it matches the
// prefix's beginning, dropped once it has matched the whole prefix (a piece that crosses the
// end is trimmed), and released as it is as soon as it differs (or the reply ends first).
class prefix_repeat {
public:
    explicit prefix_repeat(std::string prefix) : prefix_(std::move(prefix)) {}

    // The text of the next continuation piece -> the text to deliver ("" while held back).
    // `last`: no text follows (the piece carries the finish reason).
    std::string filter(std::string_view text, bool last) {
        if (settled_) return std::string(text);
        const std::size_t n = std::min(text.size(), prefix_.size() - matched_);
        if (text.substr(0, n) != std::string_view(prefix_).substr(matched_, n)) {
            settled_ = true;
            return std::exchange(held_, {}) + std::string(text);
        }
        matched_ += n;
        held_.append(text.substr(0, n));
        if (matched_ == prefix_.size()) {
            settled_ = true;
            held_.clear();
            return std::string(text.substr(n));
        }
        if (last) return release();
        return {};
    }

    // The reply ended while its text still matched: what was held back is the reply's own text.
    std::string release() {
        settled_ = true;
        return std::exchange(held_, {});
    }

    bool settled() const noexcept { return settled_; }

private:
    std::string prefix_;
    std::string held_;
    std::size_t matched_ = 0;
    bool settled_ = false;
};

}  // namespace detail
MISTRAL_NAMESPACE_END
