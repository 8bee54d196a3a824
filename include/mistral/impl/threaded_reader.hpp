// mistral/impl/threaded_reader.hpp: open_on_helper_thread(), a body_reader over a push-only
// transport's send() that runs it on one helper thread and hands each piece to the reading thread.
// SPDX-License-Identifier: MIT
//
// Besides the default transport's deadline watchdog, this is the only thread the library starts
// unasked, and only for basic_client::open_stream() over a transport that cannot pull (Debian's
// cpp-httplib 0.11.4, a user's push-only transport).
// The hand-off is bounded to one piece, and zero-copy: the helper thread waits inside on_body()
// until the reader has finished with the piece (asked for the next one, or closed), so the
// transport's buffer stays valid while the caller reads it and nothing piles up in memory.
#pragma once

#include <condition_variable>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string_view>
#include <thread>
#include <utility>

#include "../detail/config.hpp"
#include "../error.hpp"
#include "../stop_token.hpp"
#include "../transport.hpp"

MISTRAL_NAMESPACE_BEGIN
namespace detail {

class threaded_reader final : public body_reader {
public:
    // Starts the exchange and returns once the head arrived; throws what send() threw before it.
    threaded_reader(push_send send, const http_request& request) : request_(request) {
        request_.stop = stop_.get_token();
        forward_stop_.emplace(request.stop, [this] { stop_.request_stop(); });
        worker_ = std::thread([this, send = std::move(send)] { run(send); });
        std::unique_lock lock(mutex_);
        changed_.wait(lock, [this] { return head_ || ended_; });
        if (!head_) {
            lock.unlock();
            worker_.join();
            if (failure_) std::rethrow_exception(failure_);
            throw transport_error(transport_error_kind::other,
                                  "the transport returned without a response head");
        }
    }

    threaded_reader(const threaded_reader&) = delete;
    threaded_reader& operator=(const threaded_reader&) = delete;

    // Closing early cancels the exchange (the transport aborts and does not reuse the
    // connection); the helper thread is joined, so nothing outlives the reader.
    ~threaded_reader() override {
        {
            std::lock_guard lock(mutex_);
            closed_ = true;
        }
        changed_.notify_all();
        stop_.request_stop();
        if (worker_.joinable()) worker_.join();
    }

    const response_head& head() const noexcept override { return *head_; }

    void content_complete() override {
        std::lock_guard lock(mutex_);
        complete_ = true;
    }

    std::string_view read() override {
        std::unique_lock lock(mutex_);
        if (std::exchange(lent_, false)) {
            piece_.reset();  // the caller is done with it: the helper thread may go on
            changed_.notify_all();
        }
        changed_.wait(lock, [this] { return piece_ || ended_; });
        if (piece_) {
            lent_ = true;
            return *piece_;
        }
        if (failure_) std::rethrow_exception(failure_);
        return {};
    }

private:
    class handoff final : public response_handler {
    public:
        explicit handoff(threaded_reader& owner) : owner_(owner) {}
        bool on_head(response_head head) override {
            std::lock_guard lock(owner_.mutex_);
            owner_.head_.emplace(std::move(head));
            owner_.changed_.notify_all();
            return !owner_.closed_;
        }
        bool on_body(std::string_view piece) override {
            if (piece.empty()) return true;
            std::unique_lock lock(owner_.mutex_);
            if (owner_.closed_) return false;
            owner_.piece_ = piece;
            owner_.changed_.notify_all();
            owner_.changed_.wait(lock, [this] { return !owner_.piece_ || owner_.closed_; });
            return !owner_.closed_;
        }
        bool complete() const noexcept override {
            std::lock_guard lock(owner_.mutex_);
            return owner_.complete_;
        }

    private:
        threaded_reader& owner_;
    };

    void run(const push_send& send) {
        handoff handler(*this);
        std::exception_ptr failure;
        try {
            send(request_, handler);
        } catch (...) {
            failure = std::current_exception();
        }
        std::lock_guard lock(mutex_);
        failure_ = failure;
        piece_.reset();
        ended_ = true;
        changed_.notify_all();
    }

    http_request request_;
    stop_source stop_;
    std::optional<stop_callback<std::function<void()>>> forward_stop_;
    mutable std::mutex mutex_;
    std::condition_variable changed_;
    std::optional<response_head> head_;
    std::optional<std::string_view> piece_;  // the piece on offer
    bool lent_ = false;                      // ... and read() gave it out
    bool ended_ = false;
    bool closed_ = false;
    bool complete_ = false;  // the reader has what it needs of the body
    std::exception_ptr failure_;
    std::thread worker_;
};

MISTRAL_DECL std::unique_ptr<body_reader> open_on_helper_thread(push_send send,
                                                                const http_request& request) {
    return std::make_unique<threaded_reader>(std::move(send), request);
}

}  // namespace detail
MISTRAL_NAMESPACE_END
